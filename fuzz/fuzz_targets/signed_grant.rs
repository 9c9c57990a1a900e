//! Structure-aware: grants sealed through the API for fuzzed epochs and recipients open for
//! their recipient, against their granter, to their epoch; any changed byte, another
//! recipient or another granter fails.
#![no_main]
use arbitrary::Arbitrary;
use confide::rng::seeded_rng;
use confide::{MemberSecretKey, MemberSeed, Workspace};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    rotations: u8,
    recipient: u8,
    flip: (u16, u8),
    seed: [u8; 4],
}

fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n % 4 + 1; 32]))
}

fuzz_target!(|input: Input| {
    let mut rng_seed = [0u8; 32];
    rng_seed[..4].copy_from_slice(&input.seed);
    let mut ws = Workspace::create_with_rng(member(0), 1_790_000_000, &mut seeded_rng(rng_seed))
        .expect("create");
    for r in 0..input.rotations % 4 {
        ws.rotate(1_790_000_100 + u64::from(r)).expect("rotate");
    }
    let recipient = member(input.recipient);
    let granter = member(0).public_bundle().as_bytes().to_vec();
    let grant = ws
        .grant(recipient.public_bundle().as_bytes())
        .expect("grant");
    let opened = Workspace::open_grant(member(input.recipient), &grant, &granter).expect("opens");
    assert_eq!(opened.epoch(), ws.epoch());
    assert_eq!(opened.id(), ws.id());
    let mut altered = grant.clone();
    let at = usize::from(input.flip.0) % altered.len();
    altered[at] ^= input.flip.1.max(1);
    assert!(
        Workspace::open_grant(member(input.recipient), &altered, &granter).is_err(),
        "byte {at}"
    );
    let other = member(input.recipient.wrapping_add(1));
    if other.fingerprint() != recipient.fingerprint() {
        assert!(Workspace::open_grant(other, &grant, &granter).is_err());
    }
    let wrong_granter = member(1).public_bundle().as_bytes().to_vec();
    assert!(Workspace::open_grant(member(input.recipient), &grant, &wrong_granter).is_err());
});

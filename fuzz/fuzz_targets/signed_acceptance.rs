//! Structure-aware: acceptances made through the API for fuzzed invites are admitted by their
//! inviter; a changed byte, another invite's link or a second use is refused.
#![no_main]
use arbitrary::Arbitrary;
use confide::rng::seeded_rng;
use confide::{Acceptance, InviteLink, MemberSecretKey, MemberSeed, Role, Workspace};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    admin: bool,
    validity: u32,
    delay: u32,
    invitee: u8,
    flip: (u16, u8),
}

fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n % 4 + 2; 32]))
}

fuzz_target!(|input: Input| {
    let t0 = 1_790_000_000;
    let creator = MemberSecretKey::derive(MemberSeed::from_bytes([1; 32]));
    let mut ws = Workspace::create_with_rng(creator, t0, &mut seeded_rng([7; 32])).expect("create");
    let role = if input.admin {
        Role::Admin
    } else {
        Role::Member
    };
    let validity = u64::from(input.validity % (90 * 86_400)) + 1;
    let new = ws.create_invite(role, t0, validity).expect("invite");
    let other = ws.create_invite(role, t0, validity).expect("invite");
    let link = InviteLink::parse(&new.link.to_fragment()).expect("link");
    let acceptance = link.accept(&member(input.invitee));
    let parsed = Acceptance::parse(&acceptance).expect("parses");
    assert_eq!(parsed.invite_id(), new.invite_id);
    let at = t0 + u64::from(input.delay % (100 * 86_400));
    let mut altered = acceptance.clone();
    let i = usize::from(input.flip.0) % altered.len();
    altered[i] ^= input.flip.1.max(1);
    assert!(ws.admit(&altered, t0).is_err(), "byte {i}");
    let for_other = InviteLink::parse(&other.link.to_fragment())
        .expect("link")
        .accept(&member(input.invitee));
    let admitted = ws.admit(&acceptance, at);
    assert_eq!(admitted.is_ok(), at <= t0 + validity, "expiry");
    if admitted.is_ok() {
        assert!(ws.admit(&acceptance, at).is_err(), "second use");
        assert!(ws.admit(&for_other, at).is_err(), "already a member");
    }
});

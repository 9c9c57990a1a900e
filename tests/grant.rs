//! Grants and bundles (docs/FORMAT.md#grant, #public-bundle).

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use confide::rng::seeded_rng;
use confide::{
    ContentType, EncryptOptions, ErrorCode, GRANT_LEN, GrantError, MemberPublicBundle,
    MemberSecretKey, RecordContext, Workspace,
};

fn member(seed: u8) -> MemberSecretKey {
    MemberSecretKey::generate_with_rng(&mut seeded_rng([seed; 32]))
}

fn code(r: Result<Workspace, GrantError>) -> &'static str {
    match r {
        Ok(_) => "success",
        Err(e) => e.code(),
    }
}

#[test]
fn grant_lets_the_recipient_read() {
    let (alice, bob) = (member(1), member(2));
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    let bob_bundle = bob.public_bundle().as_bytes().to_vec();
    let ws = Workspace::create(alice, 1_790_000_000).unwrap();
    let ctx = RecordContext {
        record_id: "n-1",
        field: "body",
    };
    let record = ws
        .encrypt(
            b"hello",
            &ctx,
            EncryptOptions {
                content_type: ContentType::Text,
                pad: true,
            },
        )
        .unwrap();
    let grant = ws.grant(&bob_bundle).unwrap();
    assert_eq!(grant.len(), GRANT_LEN);
    let ws_bob = Workspace::open_grant(bob, &grant, &alice_bundle).unwrap();
    assert_eq!(ws_bob.id(), ws.id());
    assert_eq!(ws_bob.epoch(), 0);
    assert_eq!(
        ws_bob.decrypt(&record, &ctx).unwrap().1.as_slice(),
        b"hello"
    );
}

#[test]
fn grant_opened_by_wrong_member_is_rejected() {
    let (alice, bob, carol) = (member(1), member(2), member(3));
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    let ws = Workspace::create(alice, 1_790_000_000).unwrap();
    let grant = ws.grant(bob.public_bundle().as_bytes()).unwrap();
    assert_eq!(
        code(Workspace::open_grant(carol, &grant, &alice_bundle)),
        "not_for_this_member"
    );
    // Rewriting the recipient id to carol's passes the first check but breaks the signature.
    let carol = member(3);
    let mut redirected = grant.clone();
    redirected[24..56].copy_from_slice(&carol.fingerprint().id());
    assert_eq!(
        code(Workspace::open_grant(carol, &redirected, &alice_bundle)),
        "bad_signature"
    );
}

#[test]
fn grant_signed_by_someone_else_is_rejected() {
    let (alice, bob, mallory) = (member(1), member(2), member(4));
    let mallory_bundle = mallory.public_bundle().as_bytes().to_vec();
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    // Mallory (say, the server) makes her own workspace and grants its key to bob,
    // then claims the grant is alice's.
    let forged_ws = Workspace::create(mallory, 1_790_000_000).unwrap();
    let forged = forged_ws.grant(bob.public_bundle().as_bytes()).unwrap();
    assert_eq!(
        code(Workspace::open_grant(bob, &forged, &alice_bundle)),
        "bad_signature"
    );
    // Swapping in alice's id as the granter does not help either.
    let bob = member(2);
    let mut relabelled = forged.clone();
    relabelled[56..88].copy_from_slice(
        &MemberPublicBundle::from_bytes(&alice_bundle)
            .unwrap()
            .fingerprint()
            .id(),
    );
    assert_eq!(
        code(Workspace::open_grant(bob, &relabelled, &alice_bundle)),
        "bad_signature"
    );
    // Checked against mallory's own bundle, it opens: the check is who signed, not that someone did.
    assert_eq!(
        code(Workspace::open_grant(member(2), &forged, &mallory_bundle)),
        "success"
    );
}

#[test]
fn grant_bit_flips_are_rejected() {
    let (alice, bob) = (member(1), member(2));
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    let ws = Workspace::create(alice, 1_790_000_000).unwrap();
    let grant = ws.grant(bob.public_bundle().as_bytes()).unwrap();
    // One bit in every byte (X-Wing decapsulation makes all 8 per byte too slow in debug).
    let mut flipped = grant.clone();
    for i in 0..grant.len() {
        let bit = i % 8;
        flipped[i] ^= 1 << bit;
        assert_ne!(
            code(Workspace::open_grant(
                bob.rederive(),
                &flipped,
                &alice_bundle
            )),
            "success",
            "byte {i}"
        );
        flipped[i] ^= 1 << bit;
    }
    for cut in [0, 3, 4, 100, GRANT_LEN - 1] {
        assert_eq!(
            code(Workspace::open_grant(
                bob.rederive(),
                &grant[..cut],
                &alice_bundle
            )),
            "malformed",
            "cut {cut}"
        );
    }
}

#[test]
fn bundle_with_bad_self_signature_is_rejected() {
    let alice = member(1);
    let bundle = alice.public_bundle().as_bytes().to_vec();
    assert!(MemberPublicBundle::from_bytes(&bundle).is_ok());
    for i in [4, 35, 36, 1000, 1251, 1252, 1315] {
        let mut b = bundle.clone();
        b[i] ^= 0x10;
        assert_eq!(
            MemberPublicBundle::from_bytes(&b).unwrap_err().code(),
            "malformed",
            "byte {i}"
        );
    }
    // Another member's X-Wing key under alice's signing key does not verify.
    let mallory = member(4);
    let mut spliced = bundle.clone();
    spliced[36..1252].copy_from_slice(&mallory.public_bundle().as_bytes()[36..1252]);
    assert_eq!(
        MemberPublicBundle::from_bytes(&spliced).unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn fingerprint_is_twelve_groups_of_five_digits_and_stable() {
    let alice = member(1);
    let digits = alice.fingerprint().to_digits();
    let groups: Vec<&str> = digits.split(' ').collect();
    assert_eq!(groups.len(), 12);
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit()))
    );
    assert_eq!(member(1).fingerprint(), alice.fingerprint());
    assert_ne!(member(2).fingerprint(), alice.fingerprint());
}

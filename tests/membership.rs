//! The membership log, invites and removal, and a malicious server that attacks them
//! (docs/FORMAT.md#membership-log, docs/SECURITY.md#what-a-malicious-server-can-try).
//!
//! `Server` plays the storage server: it stores what clients publish and hands it back,
//! and each attack test alters what it hands back. Each attack must fail with its own code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use confide::rng::seeded_rng;
use confide::{
    ContentType, EncryptOptions, ErrorCode, Head, InviteLink, LoadInput, MemberSecretKey,
    MembershipError, RecordContext, Role, Rotation, Workspace,
};
use ed25519_dalek::Signer;

mod common;
use common::{id, member, signing_key};

const T0: u64 = 1_790_000_000;
const WEEK: u64 = 7 * 86_400;
const CTX: RecordContext<'static> = RecordContext {
    record_id: "n-42",
    field: "body",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

fn code<T>(r: Result<T, MembershipError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// What the storage server holds: the log, grants by recipient, history links.
#[derive(Clone, Default)]
struct Server {
    log: Vec<Vec<u8>>,
    grants: Vec<([u8; 32], Vec<u8>)>,
    history: Vec<Vec<u8>>,
}

impl Server {
    fn publish_rotation(&mut self, rotation: Rotation) {
        self.log.push(rotation.log_entry);
        self.grants
            .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
        self.history.push(rotation.history_link);
    }

    fn grants_for(&self, member: &MemberSecretKey) -> Vec<Vec<u8>> {
        self.grants
            .iter()
            .filter(|(to, _)| *to == id(member))
            .map(|(_, g)| g.clone())
            .collect()
    }

    /// Loads as `member`, with whatever anchor the caller gives.
    fn load(
        &self,
        member: &MemberSecretKey,
        pinned_head: Option<Head>,
        invite: Option<&InviteLink>,
    ) -> Result<Workspace, MembershipError> {
        self.load_with_grants(member, &self.grants_for(member), pinned_head, invite)
    }

    fn load_with_grants(
        &self,
        member: &MemberSecretKey,
        grants: &[Vec<u8>],
        pinned_head: Option<Head>,
        invite: Option<&InviteLink>,
    ) -> Result<Workspace, MembershipError> {
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
        let history: Vec<&[u8]> = self.history.iter().map(Vec::as_slice).collect();
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &history,
            pinned_head,
            invite,
        };
        Workspace::load(member.rederive(), &input)
    }
}

/// Alice creates the workspace and publishes its genesis entry and her own grant.
fn create() -> (Workspace, Server) {
    let alice = member(1);
    let bundle = alice.public_bundle().as_bytes().to_vec();
    let ws = Workspace::create_with_rng(alice, T0, &mut seeded_rng([10; 32])).unwrap();
    let mut server = Server::default();
    server
        .log
        .push(ws.membership().unwrap().entries().next().unwrap().to_vec());
    server
        .grants
        .push((id(ws.member()), ws.grant(&bundle).unwrap()));
    (ws, server)
}

/// The whole invite flow for `invitee`, as `role`; returns the link it joined through.
fn invite(
    admin: &mut Workspace,
    server: &mut Server,
    invitee: &MemberSecretKey,
    role: Role,
) -> InviteLink {
    let new = admin.create_invite(role, T0 + 10, WEEK).unwrap();
    server.log.push(new.log_entry);
    let fragment = new.link.to_fragment();
    let link = InviteLink::parse(&fragment).unwrap();
    let acceptance = link.accept(invitee);
    let admission = admin.admit(&acceptance, T0 + 20).unwrap();
    server.log.push(admission.log_entry);
    server.grants.push((admission.member_id, admission.grant));
    link
}

/// Alice's workspace with Bob admitted as a member, and Bob's loaded workspace.
fn with_bob() -> (Workspace, Workspace, Server, InviteLink) {
    let (mut alice, mut server) = create();
    let bob = member(2);
    let link = invite(&mut alice, &mut server, &bob, Role::Member);
    let ws_bob = server.load(&bob, None, Some(&link)).unwrap();
    (alice, ws_bob, server, link)
}

// ---------- forging helpers: what an attacker with some key can produce -----------------

/// A log entry built from FORMAT.md#log-entry alone and signed by member `n`, whatever
/// the log says about `n`.
fn forge_entry(n: u8, server: &Server, time: u64, kind: u8, body: &[u8]) -> Vec<u8> {
    common::forge_entry(n, &server.log, time, kind, body)
}

fn decrypt_text(ws: &Workspace, record: &[u8]) -> Result<String, &'static str> {
    ws.decrypt(record, &CTX)
        .map(|(_, p)| String::from_utf8(p.to_vec()).unwrap())
        .map_err(|e| e.code())
}

// ---------- what members can do ---------------------------------------------------------

#[test]
fn an_invitee_joins_through_the_link_and_reads_the_workspace() {
    let (alice, bob, server, _) = with_bob();
    let record = alice.encrypt(b"Client slept well.", &CTX, TEXT).unwrap();
    assert_eq!(decrypt_text(&bob, &record).unwrap(), "Client slept well.");
    assert_eq!(bob.head(), alice.head());
    let roster: Vec<_> = bob
        .membership()
        .unwrap()
        .members()
        .map(|m| (m.id(), m.role()))
        .collect();
    assert_eq!(
        roster,
        vec![
            (id(&member(1)), Role::Admin),
            (id(&member(2)), Role::Member)
        ]
    );
    // Later loads anchor on the head Bob remembered.
    let again = server.load(&member(2), bob.head(), None).unwrap();
    assert_eq!(decrypt_text(&again, &record).unwrap(), "Client slept well.");
}

#[test]
fn the_creator_reloads_anchored_by_her_own_genesis_entry() {
    let (alice, server) = create();
    let reloaded = server.load(&member(1), None, None).unwrap();
    assert_eq!(reloaded.head(), alice.head());
}

#[test]
fn removal_starts_an_epoch_the_removed_member_cannot_read() {
    let (mut alice, bob, mut server, _) = with_bob();
    let carol = member(3);
    invite(&mut alice, &mut server, &carol, Role::Member);
    let before = alice.encrypt(b"Written before.", &CTX, TEXT).unwrap();

    let rotation = alice.remove(&id(&member(2)), T0 + 100).unwrap();
    assert_eq!(rotation.epoch, 1);
    let recipients: Vec<_> = rotation.grants.iter().map(|g| g.member_id).collect();
    assert_eq!(recipients, vec![id(&member(1)), id(&carol)]);
    server.publish_rotation(rotation);
    let after = alice.encrypt(b"Written after.", &CTX, TEXT).unwrap();

    // Bob keeps what he had, but nothing written after.
    assert_eq!(decrypt_text(&bob, &before).unwrap(), "Written before.");
    assert_eq!(decrypt_text(&bob, &after), Err("unknown_epoch"));
    assert_eq!(
        code(server.load(&member(2), bob.head(), None)),
        "not_a_member"
    );

    // Carol reads both: epoch 1 from her grant, epoch 0 through the history link.
    let ws_carol = server.load(&carol, alice.head(), None).unwrap();
    assert_eq!(ws_carol.epoch(), 1);
    assert_eq!(decrypt_text(&ws_carol, &before).unwrap(), "Written before.");
    assert_eq!(decrypt_text(&ws_carol, &after).unwrap(), "Written after.");
}

#[test]
fn a_member_admitted_later_reads_every_earlier_epoch_through_history_links() {
    let (mut alice, mut server) = create();
    let mut records = vec![alice.encrypt(b"epoch 0", &CTX, TEXT).unwrap()];
    for _ in 0..3 {
        server.publish_rotation(alice.rotate(T0 + 50).unwrap());
        let text = format!("epoch {}", alice.epoch());
        records.push(alice.encrypt(text.as_bytes(), &CTX, TEXT).unwrap());
    }
    let dave = member(4);
    let link = invite(&mut alice, &mut server, &dave, Role::Member);
    // Dave's only grant is for epoch 3, made at admission.
    assert_eq!(server.grants_for(&dave).len(), 1);
    let ws_dave = server.load(&dave, None, Some(&link)).unwrap();
    for (epoch, record) in records.iter().enumerate() {
        assert_eq!(
            decrypt_text(&ws_dave, record).unwrap(),
            format!("epoch {epoch}")
        );
    }
    // Without the history links, only the current epoch opens.
    let mut no_history = server.clone();
    no_history.history.clear();
    let ws = no_history.load(&dave, None, Some(&link)).unwrap();
    assert_eq!(decrypt_text(&ws, &records[0]), Err("unknown_epoch"));
    assert_eq!(decrypt_text(&ws, &records[3]).unwrap(), "epoch 3");
}

#[test]
fn a_promoted_member_administers_and_a_demoted_one_cannot() {
    let (mut alice, _, mut server, _) = with_bob();
    server.log.push(
        alice
            .set_role(&id(&member(2)), Role::Admin, T0 + 30)
            .unwrap(),
    );
    let mut bob = server.load(&member(2), alice.head(), None).unwrap();
    let carol = member(3);
    let seen_by_alice = server.log.len();
    let link = invite(&mut bob, &mut server, &carol, Role::Member);
    // Carol's grant is signed by Bob, an admin during epoch 0.
    server.load(&carol, None, Some(&link)).unwrap();

    // Alice catches up with Bob's entries, then demotes him.
    alice.extend_log(&server.log[seen_by_alice..]).unwrap();
    server.log.push(
        alice
            .set_role(&id(&member(2)), Role::Member, T0 + 40)
            .unwrap(),
    );
    let mut bob = server.load(&member(2), bob.head(), None).unwrap();
    assert_eq!(
        code(bob.create_invite(Role::Member, T0 + 50, WEEK)),
        "not_authorized"
    );
    assert_eq!(code(bob.rotate(T0 + 50)), "not_authorized");
}

#[test]
fn the_last_admin_cannot_leave_or_be_demoted() {
    let (mut alice, _, _, _) = with_bob();
    assert_eq!(
        code(alice.remove(&id(&member(1)), T0 + 30)),
        "cannot_remove_self"
    );
    assert_eq!(
        code(alice.set_role(&id(&member(1)), Role::Member, T0 + 30)),
        "last_admin"
    );
}

/// Issue 10, defect 1: a remove entry naming its own signer would have the leaver sign the
/// new epoch's grants, which nobody accepts, and brick the workspace. It is refused in the
/// API and in every log; leaving is a request another admin carries out.
#[test]
fn an_admin_cannot_remove_itself_and_another_admin_carries_out_its_leave_request() {
    let (mut alice, ws_bob, mut server, _) = with_bob();
    let carol = member(3);
    let carol_link = invite(&mut alice, &mut server, &carol, Role::Admin);
    let mut ws_carol = server.load(&carol, None, Some(&carol_link)).unwrap();
    assert_eq!(
        code(ws_carol.remove(&id(&carol), T0 + 40)),
        "cannot_remove_self"
    );
    // The same entry made below the API: no log that holds it verifies.
    let mut body = id(&carol).to_vec();
    body.extend_from_slice(&1u32.to_be_bytes());
    body.extend_from_slice(&[7u8; 32]);
    let mut forged = server.clone();
    forged.log.push(forge_entry(3, &server, T0 + 40, 4, &body));
    assert_eq!(
        code(forged.load(&member(1), alice.head(), None)),
        "cannot_remove_self"
    );
    assert_eq!(
        code(forged.load(&carol, ws_carol.head(), None)),
        "cannot_remove_self"
    );

    // Carol asks to leave; Alice removes her. Everyone who stays loads and reads on.
    server.publish_rotation(alice.remove(&id(&carol), T0 + 50).unwrap());
    let record = alice.encrypt(b"after Carol left", &CTX, TEXT).unwrap();
    let alice_again = server.load(&member(1), alice.head(), None).unwrap();
    let bob_again = server.load(&member(2), ws_bob.head(), None).unwrap();
    for ws in [&alice_again, &bob_again] {
        assert_eq!(ws.epoch(), 1);
        assert_eq!(decrypt_text(ws, &record).unwrap(), "after Carol left");
    }
    assert_eq!(
        code(server.load(&carol, ws_carol.head(), None)),
        "not_a_member"
    );
}

/// Issue 10, defect 3: the caps are checked before any entry is parsed, and the anchor
/// before any signature, so a server cannot make a client verify a log it will refuse.
#[test]
fn a_log_past_its_limits_or_its_anchor_is_refused_before_verification() {
    use confide::limits::{MAX_LOG_BYTES, MAX_LOG_ENTRIES};
    let too_many = Server {
        log: vec![vec![0u8; 4]; MAX_LOG_ENTRIES + 1],
        ..Server::default()
    };
    assert_eq!(code(too_many.load(&member(1), None, None)), "log_too_large");
    let too_long = Server {
        log: vec![vec![0u8; MAX_LOG_BYTES / 2 + 1]; 2],
        ..Server::default()
    };
    assert_eq!(code(too_long.load(&member(1), None, None)), "log_too_large");
    assert_eq!(
        code(confide::MembershipLog::verify(&too_many.log)),
        "log_too_large"
    );

    // A long tail of garbage after the entry Alice pinned, with that entry altered: the
    // pinned head is checked first and stops the load.
    let (alice, _, server, _) = with_bob();
    let mut attacked = server.clone();
    attacked.log[2][200] ^= 1;
    attacked.log.extend(vec![vec![0xff; 1625]; 10_000]);
    assert_eq!(
        code(attacked.load(&member(1), alice.head(), None)),
        "fork_detected"
    );
    // With the pinned entry intact, the same garbage is found by verification.
    let mut tail = server.clone();
    tail.log.extend(vec![vec![0xff; 1625]; 10]);
    assert_eq!(code(tail.load(&member(1), alice.head(), None)), "malformed");
}

/// Appending to a loaded workspace verifies only the new entries, and a bad one leaves the
/// log as it was.
#[test]
fn extending_the_log_keeps_it_unchanged_when_an_entry_fails() {
    let (mut alice, mut ws_bob, mut server, _) = with_bob();
    let before = ws_bob.head();
    let new = alice.create_invite(Role::Member, T0 + 60, WEEK).unwrap();
    let good = new.log_entry.clone();
    let mut bad = alice
        .create_invite(Role::Member, T0 + 61, WEEK)
        .unwrap()
        .log_entry;
    bad[100] ^= 1;
    assert_eq!(
        code(ws_bob.extend_log(&[good.clone(), bad])),
        "bad_signature"
    );
    assert_eq!(ws_bob.head(), before);
    server.log.push(good.clone());
    ws_bob.extend_log(&[good]).unwrap();
    assert_eq!(ws_bob.head().unwrap().seq(), 3);
}

#[test]
fn a_load_with_no_anchor_is_refused() {
    let (_, _, server, _) = with_bob();
    assert_eq!(code(server.load(&member(2), None, None)), "no_trust_anchor");
}

#[test]
fn invite_links_round_trip_and_reject_garbage() {
    let (mut alice, _) = create();
    let new = alice.create_invite(Role::Member, T0, WEEK).unwrap();
    let fragment = new.link.to_fragment();
    assert!(fragment.starts_with("#confide-invite="));
    let url = format!("https://practice.example/join{}", fragment.as_str());
    let parsed = InviteLink::parse(&url).unwrap();
    assert_eq!(parsed.invite_id(), new.invite_id);
    assert_eq!(parsed.inviter_id(), id(alice.member()));
    for bad in [
        "",
        "#confide-invite=",
        "#confide-invite=AAAA",
        "not base64 !!",
    ] {
        assert_eq!(
            InviteLink::parse(bad).err().map(|e| e.code()),
            Some("malformed")
        );
    }
    assert_eq!(
        code(alice.create_invite(Role::Member, T0, 91 * 86_400)),
        "invalid_argument"
    );
    assert_eq!(
        code(alice.create_invite(Role::Member, T0, 0)),
        "invalid_argument"
    );
}

// ---------- the malicious server ----------------------------------------------------------

#[test]
fn attack_substituted_bundle_in_the_log() {
    let (_, _, server, link) = with_bob();
    // Swap Bob's bundle inside his admit entry for Mallory's.
    let mut attacked = server.clone();
    let admit = &mut attacked.log[2];
    let offset = 97 + 52;
    admit[offset..offset + 1316].copy_from_slice(member(9).public_bundle().as_bytes());
    // Bob's link expects his own admission: the anchor check sees someone else's first.
    assert_eq!(
        code(attacked.load(&member(2), None, Some(&link))),
        "not_a_member"
    );
    // Alice, anchored by her own entries, verifies the log: the signature no longer holds.
    assert_eq!(code(attacked.load(&member(1), None, None)), "bad_signature");
    // Swap the creator's bundle in the genesis entry.
    let mut attacked = server.clone();
    attacked.log[0][97..97 + 1316].copy_from_slice(member(9).public_bundle().as_bytes());
    assert_eq!(
        code(attacked.load(&member(2), None, Some(&link))),
        "bad_signature"
    );
}

#[test]
fn attack_substituted_bundle_in_an_acceptance() {
    let (mut alice, _) = create();
    let new = alice.create_invite(Role::Member, T0, WEEK).unwrap();
    let acceptance = new.link.accept(&member(2));
    // The server swaps in Mallory's bundle and has Mallory sign; the MAC still covers Bob.
    let mut forged = acceptance[..52].to_vec();
    forged.extend_from_slice(member(9).public_bundle().as_bytes());
    forged.extend_from_slice(&acceptance[52 + 1316..52 + 1316 + 32]);
    let mut signed = b"confide/v1/acceptance\x00".to_vec();
    signed.extend_from_slice(&forged);
    forged.extend_from_slice(&signing_key(9).sign(&signed).to_bytes());
    assert_eq!(code(alice.admit(&forged, T0 + 1)), "bad_acceptance");
    // Without re-signing, the invitee's signature breaks first.
    let mut swapped = acceptance.clone();
    swapped[52..52 + 1316].copy_from_slice(member(9).public_bundle().as_bytes());
    assert_eq!(code(alice.admit(&swapped, T0 + 1)), "bad_signature");
    // The genuine one still works afterwards.
    alice.admit(&acceptance, T0 + 1).unwrap();
}

#[test]
fn attack_grant_from_a_non_member() {
    let (alice, _, server, link) = with_bob();
    // Mallory runs her own workspace under Alice's id? She cannot: grants name their
    // signer, and Mallory is not in the log.
    let mallory = Workspace::create(member(9), T0).unwrap();
    let forged = mallory.grant(member(2).public_bundle().as_bytes()).unwrap();
    let mut grant = forged.clone();
    grant[4..20].copy_from_slice(alice.id().as_bytes());
    assert_eq!(
        code(server.load_with_grants(&member(2), &[grant], None, Some(&link))),
        "unknown_signer"
    );
}

#[test]
fn attack_grant_from_a_member_who_is_not_an_admin() {
    let (mut alice, bob, mut server, _) = with_bob();
    let carol = member(3);
    let link = invite(&mut alice, &mut server, &carol, Role::Member);
    let from_bob = bob.grant(carol.public_bundle().as_bytes()).unwrap();
    assert_eq!(
        code(server.load_with_grants(&carol, &[from_bob], None, Some(&link))),
        "not_authorized"
    );
}

#[test]
fn attack_grant_for_the_wrong_epoch_or_recipient() {
    let (mut alice, _, mut server, _) = with_bob();
    let carol = member(3);
    invite(&mut alice, &mut server, &carol, Role::Member);
    let head = alice.head();
    let epoch0 = server.grants_for(&carol);
    server.publish_rotation(alice.rotate(T0 + 50).unwrap());
    let head1 = alice.head();
    // Only the old epoch's grant: the current key is missing.
    assert_eq!(
        code(server.load_with_grants(&carol, &epoch0, head1, None)),
        "missing_grant"
    );
    // A grant for an epoch the log (as served) does not have yet.
    let mut rolled = server.clone();
    rolled.log.pop();
    assert_eq!(
        code(rolled.load_with_grants(&carol, &server.grants_for(&carol), head, None)),
        "unknown_epoch"
    );
    // Bob's grant handed to Carol.
    assert_eq!(
        code(server.load_with_grants(&carol, &server.grants_for(&member(2)), head1, None)),
        "not_for_this_member"
    );
}

#[test]
fn attack_grant_of_a_key_the_log_does_not_record() {
    let (alice, _, server, _) = with_bob();
    // Two copies of Alice's workspace each rotate: same signer, same epoch, different keys.
    let mut copy_a = server.load(&member(1), alice.head(), None).unwrap();
    let mut copy_b = server.load(&member(1), alice.head(), None).unwrap();
    let rotation_a = copy_a.rotate(T0 + 60).unwrap();
    let rotation_b = copy_b.rotate(T0 + 60).unwrap();
    let mut attacked = server.clone();
    attacked.log.push(rotation_a.log_entry);
    let grant_b = rotation_b
        .grants
        .into_iter()
        .find(|g| g.member_id == id(&member(2)));
    let grants = vec![
        server.grants_for(&member(2))[0].clone(),
        grant_b.unwrap().grant,
    ];
    assert_eq!(
        code(attacked.load_with_grants(&member(2), &grants, alice.head(), None)),
        "key_mismatch"
    );
}

#[test]
fn attack_replayed_invite() {
    let (mut alice, _) = create();
    let new = alice.create_invite(Role::Member, T0, WEEK).unwrap();
    let acceptance = new.link.accept(&member(2));
    alice.admit(&acceptance, T0 + 1).unwrap();
    assert_eq!(code(alice.admit(&acceptance, T0 + 2)), "invite_used");
    // The same link used by someone else.
    assert_eq!(
        code(alice.admit(&new.link.accept(&member(3)), T0 + 2)),
        "invite_used"
    );
}

#[test]
fn attack_replayed_admit_entry() {
    let (_, _, server, link) = with_bob();
    let mut attacked = server.clone();
    attacked.log.push(server.log[2].clone());
    assert_eq!(
        code(attacked.load(&member(2), None, Some(&link))),
        "broken_chain"
    );
}

#[test]
fn attack_expired_invite() {
    let (mut alice, _) = create();
    let new = alice.create_invite(Role::Member, T0, 3600).unwrap();
    let acceptance = new.link.accept(&member(2));
    assert_eq!(code(alice.admit(&acceptance, T0 + 3601)), "invite_expired");
    alice.admit(&acceptance, T0 + 3600).unwrap();
}

#[test]
fn attack_altered_invite() {
    let (mut alice, mut server) = create();
    let new = alice.create_invite(Role::Member, T0, WEEK).unwrap();
    // The server raises the invite's role to admin in the stored entry.
    let mut entry = new.log_entry.clone();
    entry[97 + 32 + 16] = 1;
    let mut attacked = server.clone();
    attacked.log.push(entry);
    // Alice pinned the invite she made: the altered entry is not it, and the load stops
    // there, before verifying any signature (FORMAT.md#loading-a-workspace).
    assert_eq!(
        code(attacked.load(&member(1), alice.head(), None)),
        "fork_detected"
    );
    // Without that head, verification finds the altered entry.
    assert_eq!(code(attacked.load(&member(1), None, None)), "bad_signature");

    server.log.push(new.log_entry);
    let acceptance = new.link.accept(&member(2));
    let admission = alice.admit(&acceptance, T0 + 1).unwrap();
    server.log.push(admission.log_entry);
    server.grants.push((admission.member_id, admission.grant));
    let fragment = new.link.to_fragment();

    // A link whose inviter was changed to Mallory: the log's inviter does not match.
    let mut payload = base64ct_decode(&fragment);
    payload[49..81].copy_from_slice(&id(&member(9)));
    let link = InviteLink::parse(&base64ct_encode(&payload)).unwrap();
    assert_eq!(
        code(server.load(&member(2), None, Some(&link))),
        "inviter_mismatch"
    );

    // A link whose secret was altered names an invite that does not exist.
    let mut payload = base64ct_decode(&fragment);
    payload[20] ^= 1;
    let link = InviteLink::parse(&base64ct_encode(&payload)).unwrap();
    assert_eq!(
        code(server.load(&member(2), None, Some(&link))),
        "invite_unknown"
    );
    assert_eq!(
        code(alice.admit(&link.accept(&member(3)), T0 + 2)),
        "invite_unknown"
    );
}

fn base64ct_decode(fragment: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(fragment.trim_start_matches("#confide-invite=")).unwrap()
}

fn base64ct_encode(payload: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    format!(
        "#confide-invite={}",
        Base64UrlUnpadded::encode_string(payload)
    )
}

#[test]
fn attack_acceptance_made_without_the_secret() {
    let (mut alice, _) = create();
    let new = alice.create_invite(Role::Member, T0, WEEK).unwrap();
    // The server knows the invite id but not the secret: it guesses a MAC.
    let mut forged = b"CFA\x01".to_vec();
    forged.extend_from_slice(alice.id().as_bytes());
    forged.extend_from_slice(&new.invite_id);
    forged.extend_from_slice(member(9).public_bundle().as_bytes());
    forged.extend_from_slice(&[0u8; 32]);
    let mut signed = b"confide/v1/acceptance\x00".to_vec();
    signed.extend_from_slice(&forged);
    forged.extend_from_slice(&signing_key(9).sign(&signed).to_bytes());
    assert_eq!(code(alice.admit(&forged, T0 + 1)), "bad_acceptance");
}

#[test]
fn attack_truncated_log() {
    let (alice, _, server, link) = with_bob();
    // Cut at the end, against a pinned head: rollback.
    let mut cut = server.clone();
    cut.log.truncate(2);
    assert_eq!(
        code(cut.load(&member(1), alice.head(), None)),
        "rollback_detected"
    );
    // Cut at the end for a first-time invitee: the admission is gone.
    assert_eq!(
        code(cut.load(&member(2), None, Some(&link))),
        "not_a_member"
    );
    // An entry dropped from the middle.
    let mut holed = server.clone();
    holed.log.remove(1);
    // The invitee's link names an invite the holed log no longer has.
    assert_eq!(
        code(holed.load(&member(2), None, Some(&link))),
        "invite_unknown"
    );
    // Alice, anchored by her own genesis entry, finds the hole when she verifies the chain.
    assert_eq!(code(holed.load(&member(1), None, None)), "broken_chain");
    // The genesis entry dropped.
    let mut headless = server.clone();
    headless.log.remove(0);
    assert_eq!(
        code(headless.load(&member(2), None, Some(&link))),
        "malformed"
    );
    // Nothing at all.
    let empty = Server::default();
    assert_eq!(code(empty.load(&member(2), None, Some(&link))), "malformed");
}

#[test]
fn attack_rolled_back_log_hides_a_removal() {
    let (mut alice, _, mut server, _) = with_bob();
    let carol = member(3);
    let link = invite(&mut alice, &mut server, &carol, Role::Member);
    let ws_carol = server.load(&carol, None, Some(&link)).unwrap();
    let before_removal = server.clone();
    server.publish_rotation(alice.remove(&id(&member(2)), T0 + 100).unwrap());
    let ws_carol = server.load(&carol, ws_carol.head(), None).unwrap();
    // The server now serves Carol the log from before Bob's removal.
    assert_eq!(
        code(before_removal.load(&carol, ws_carol.head(), None)),
        "rollback_detected"
    );
}

#[test]
fn attack_forked_log() {
    let (alice, bob, server, _) = with_bob();
    // Alice's two devices each append a different entry at seq 3.
    let mut device_a = server.load(&member(1), alice.head(), None).unwrap();
    let mut device_b = server.load(&member(1), alice.head(), None).unwrap();
    let mut branch_a = server.clone();
    branch_a.publish_rotation(device_a.rotate(T0 + 60).unwrap());
    let mut branch_b = server.clone();
    branch_b.publish_rotation(device_b.rotate(T0 + 61).unwrap());
    let bob_a = branch_a.load(&member(2), bob.head(), None).unwrap();
    assert_eq!(
        code(branch_b.load(&member(2), bob_a.head(), None)),
        "fork_detected"
    );
}

#[test]
fn attack_entry_signed_by_a_non_admin() {
    let (_, bob, server, _) = with_bob();
    // Bob, a member, forges an invite entry: role admin, nonce and id of his choosing.
    let mut body = [7u8; 32].to_vec();
    body.extend_from_slice(&[0u8; 16]);
    body.push(1);
    body.extend_from_slice(&(T0 + WEEK).to_be_bytes());
    let mut attacked = server.clone();
    attacked
        .log
        .push(forge_entry(2, &server, T0 + 30, 2, &body));
    assert_eq!(
        code(attacked.load(&member(2), bob.head(), None)),
        "not_authorized"
    );
    // Mallory, not a member at all.
    let mut attacked = server.clone();
    attacked
        .log
        .push(forge_entry(9, &server, T0 + 30, 2, &body));
    assert_eq!(
        code(attacked.load(&member(2), bob.head(), None)),
        "unknown_signer"
    );
}

#[test]
fn attack_removed_member_readmits_itself() {
    let (mut alice, bob, mut server, _) = with_bob();
    server.publish_rotation(alice.remove(&id(&member(2)), T0 + 100).unwrap());
    // Bob forges an invite and an admit of himself, signed with his own key.
    let mut invite_body = [7u8; 32].to_vec();
    invite_body.extend_from_slice(&[0u8; 16]);
    invite_body.push(2);
    invite_body.extend_from_slice(&(T0 + WEEK).to_be_bytes());
    let mut attacked = server.clone();
    attacked
        .log
        .push(forge_entry(2, &server, T0 + 200, 2, &invite_body));
    assert_eq!(
        code(attacked.load(&member(1), alice.head(), None)),
        "unknown_signer"
    );
    // Nor can Bob's old workspace administer.
    let mut bob = bob;
    assert_eq!(
        code(bob.create_invite(Role::Member, T0 + 200, WEEK)),
        "not_authorized"
    );
}

#[test]
fn attack_removed_member_reads_a_record_written_after_removal() {
    let (mut alice, bob, mut server, _) = with_bob();
    server.publish_rotation(alice.remove(&id(&member(2)), T0 + 100).unwrap());
    let after = alice.encrypt(b"After Bob left.", &CTX, TEXT).unwrap();
    assert_eq!(decrypt_text(&bob, &after), Err("unknown_epoch"));
    // Nor through the server: no grant for epoch 1, and the log says he is gone.
    assert_eq!(
        code(server.load(&member(2), bob.head(), None)),
        "not_a_member"
    );
}

#[test]
fn every_bit_of_an_admit_entry_matters() {
    let (_, _, server, link) = with_bob();
    let entry = server.log[2].clone();
    for i in 0..entry.len() {
        let mut attacked = server.clone();
        attacked.log[2][i] ^= 0x01;
        let result = attacked.load(&member(2), None, Some(&link));
        assert!(result.is_err(), "flipping byte {i} went unnoticed");
    }
}

// ---------- property: any history of membership changes -----------------------------------

#[derive(Debug, Clone)]
enum Op {
    Invite { admin: bool },
    Remove(usize),
    Promote(usize),
    Rotate,
    Write,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        any::<bool>().prop_map(|admin| Op::Invite { admin }),
        (0usize..8).prop_map(Op::Remove),
        (0usize..8).prop_map(Op::Promote),
        Just(Op::Rotate),
        Just(Op::Write),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// After any sequence of invites, removals, promotions and rotations, every current member
    /// loads the same head and reads every record, and every removed member is refused and
    /// cannot read what was written after its removal.
    #[test]
    fn every_member_agrees_and_removed_members_are_shut_out(ops in proptest::collection::vec(op(), 1..9)) {
        let (mut alice, mut server) = create();
        let mut current: Vec<u8> = vec![1];
        // (member, its workspace as loaded just before removal, records written before removal)
        let mut removed: Vec<(u8, Workspace, usize)> = Vec::new();
        let mut records = Vec::new();
        let mut next = 2u8;
        for op in ops {
            match op {
                Op::Invite { admin } => {
                    let role = if admin { Role::Admin } else { Role::Member };
                    invite(&mut alice, &mut server, &member(next), role);
                    current.push(next);
                    next += 1;
                }
                Op::Remove(i) => {
                    let target = current[i % current.len()];
                    if target == 1 {
                        continue; // Alice keeps administering
                    }
                    let last_view = server.load(&member(target), alice.head(), None).unwrap();
                    server.publish_rotation(alice.remove(&id(&member(target)), T0 + 100).unwrap());
                    current.retain(|m| *m != target);
                    removed.push((target, last_view, records.len()));
                }
                Op::Promote(i) => {
                    let target = current[i % current.len()];
                    server.log.push(alice.set_role(&id(&member(target)), Role::Admin, T0 + 50).unwrap());
                }
                Op::Rotate => server.publish_rotation(alice.rotate(T0 + 60).unwrap()),
                Op::Write => {
                    let text = format!("record {}", records.len());
                    records.push((text.clone(), alice.encrypt(text.as_bytes(), &CTX, TEXT).unwrap()));
                }
            }
        }
        for m in &current {
            let ws = server.load(&member(*m), alice.head(), None).unwrap();
            proptest::prop_assert_eq!(ws.head(), alice.head());
            proptest::prop_assert_eq!(ws.epoch(), alice.epoch());
            for (text, record) in &records {
                proptest::prop_assert_eq!(&decrypt_text(&ws, record).unwrap(), text);
            }
        }
        for (m, last_view, written_before) in &removed {
            proptest::prop_assert_eq!(code(server.load(&member(*m), alice.head(), None)), "not_a_member");
            for (i, (text, record)) in records.iter().enumerate() {
                let got = decrypt_text(last_view, record);
                if i < *written_before {
                    proptest::prop_assert_eq!(&got.unwrap(), text);
                } else {
                    proptest::prop_assert_eq!(got, Err("unknown_epoch"));
                }
            }
        }
    }
}

#[test]
fn attack_junk_history_link_does_not_hide_the_real_one() {
    let (mut alice, _, mut server, _) = with_bob();
    let before = alice.encrypt(b"Epoch 0.", &CTX, TEXT).unwrap();
    server.publish_rotation(alice.rotate(T0 + 50).unwrap());
    let mut junk = server.history[0].clone();
    junk[30] ^= 1;
    // Only the epoch-1 grant, so epoch 0 must come through a history link.
    let latest = server.grants_for(&member(2)).pop().unwrap();
    let load = |s: &Server| {
        s.load_with_grants(
            &member(2),
            std::slice::from_ref(&latest),
            alice.head(),
            None,
        )
    };
    // Junk first, then the real link: the real one is used.
    let mut attacked = server.clone();
    attacked.history.insert(0, junk.clone());
    let ws = load(&attacked).unwrap();
    assert_eq!(decrypt_text(&ws, &before).unwrap(), "Epoch 0.");
    // Junk alone: the load says so.
    attacked.history = vec![junk];
    assert_eq!(code(load(&attacked)), "decryption_failed");
}

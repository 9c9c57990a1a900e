//! Cases (docs/FORMAT.md#cases): least privilege by keys, and a malicious server that
//! attacks it (docs/SECURITY.md#cases). A practice: Mia the manager (admin, on no case),
//! Cleo and Dan, clinicians, and Sam, a supervisor with summary access.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::practice::{CLEO, DAN, MIA, SAM, Server, T0, practice};
use common::{id, member, signing_key};
use confide::rng::seeded_rng;
use confide::{
    Case, CaseChange, ContentType, DecryptError, EncryptOptions, ErrorCode, Level, MembershipError,
    RecordContext, Workspace,
};
use ed25519_dalek::Signer;

const CTX: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "notes",
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

fn dcode<T>(r: Result<T, DecryptError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn summary_and_note(case: &Case, cleo: &Workspace) -> (Vec<u8>, Vec<u8>) {
    let summary = case
        .encrypt(cleo, b"J.D., 50 min, active", &CTX, TEXT, Level::Summary)
        .unwrap();
    let note = case
        .encrypt(
            cleo,
            b"Discussed the panic attacks in detail.",
            &CTX,
            TEXT,
            Level::Full,
        )
        .unwrap();
    (summary, note)
}

fn text(case: &Case, record: &[u8]) -> Result<String, &'static str> {
    case.decrypt(record, &CTX)
        .map(|(_, p)| String::from_utf8(p.to_vec()).unwrap())
        .map_err(|e| e.code())
}

#[test]
fn each_member_reads_exactly_what_its_level_and_cases_allow() {
    let (server, cleo, case) = practice();
    let (summary, note) = summary_and_note(&case, &cleo);
    assert_eq!(
        text(&case, &note).unwrap(),
        "Discussed the panic attacks in detail."
    );
    // Sam, the supervisor: the summary, and no key at all for the clinical note.
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    assert_eq!(sam.level(), Level::Summary);
    assert_eq!(text(&sam, &summary).unwrap(), "J.D., 50 min, active");
    assert_eq!(text(&sam, &note), Err("level_too_low"));
    assert_eq!(
        code(sam.encrypt(&sam_ws, b"x", &CTX, TEXT, Level::Summary)),
        "level_too_low"
    );
    // Dan, another clinician, and Mia, the manager who runs the roster: not on the case.
    for n in [DAN, MIA] {
        let ws = server.workspace(n).unwrap();
        assert_eq!(code(server.case(&ws, None)), "not_a_member");
        // Nor does the workspace's own key open a case record.
        assert_eq!(dcode(ws.decrypt(&note, &CTX)), "wrong_case");
    }
    // A case key does not open a workspace record.
    let ws_record = cleo.encrypt(b"workspace note", &CTX, TEXT).unwrap();
    assert_eq!(dcode(case.decrypt(&ws_record, &CTX)), "wrong_case");
}

#[test]
fn a_member_added_reads_from_then_on_and_earlier_notes_only_when_shared() {
    let (mut server, cleo, mut case) = practice();
    let (_, before) = summary_and_note(&case, &cleo);
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 10)
            .unwrap(),
    );
    let after = case
        .encrypt(&cleo, b"after Dan joined", &CTX, TEXT, Level::Full)
        .unwrap();
    let dan_ws = server.workspace(DAN).unwrap();
    let dan = server.case(&dan_ws, None).unwrap();
    assert_eq!(text(&dan, &after).unwrap(), "after Dan joined");
    assert_eq!(text(&dan, &before), Err("unknown_epoch"));
    // History is an explicit, logged grant.
    server.publish(
        case.share_history(&cleo, &id(&member(DAN)), 0, T0 + 11)
            .unwrap(),
    );
    let dan = server.case(&dan_ws, None).unwrap();
    assert_eq!(
        text(&dan, &before).unwrap(),
        "Discussed the panic attacks in detail."
    );
}

#[test]
fn removal_from_the_workspace_forces_a_new_case_key_before_anything_is_written() {
    let (mut server, cleo, mut case) = practice();
    let (_, before) = summary_and_note(&case, &cleo);
    let mut mia = server.workspace(MIA).unwrap();
    let rotation = mia.remove(&id(&member(SAM)), T0 + 20).unwrap();
    server.log.push(rotation.log_entry);
    server
        .grants
        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
    server.history.push(rotation.history_link);
    let cleo = server.workspace(CLEO).unwrap();
    // Sam still holds this epoch's summary key: nothing new under it.
    assert!(case.needs_rotation(&cleo));
    assert_eq!(
        code(case.encrypt(&cleo, b"x", &CTX, TEXT, Level::Summary)),
        "case_needs_rotation"
    );
    for change in case.remove_departed(&cleo, T0 + 21).unwrap() {
        server.publish(change);
    }
    assert!(!case.needs_rotation(&cleo));
    let after = case
        .encrypt(&cleo, b"after Sam left", &CTX, TEXT, Level::Summary)
        .unwrap();
    let reloaded = server.case(&cleo, Some(case.head())).unwrap();
    assert_eq!(text(&reloaded, &after).unwrap(), "after Sam left");
    assert_eq!(
        text(&reloaded, &before).unwrap(),
        "Discussed the panic attacks in detail."
    );
    // Sam can load neither the workspace nor the case.
    assert_eq!(code(server.workspace(SAM)), "not_a_member");
}

#[test]
fn a_case_signs_and_seals_only_as_the_member_it_was_loaded_as() {
    // A case keeps no copy of its member's keys (deriving one per case cost about half a
    // grant's opening): each change acts as the given workspace's member, who must be the
    // case's own, in the case's workspace.
    let (mut server, _, mut case) = practice();
    let dan = server.workspace(DAN).unwrap();
    let sam = id(&member(SAM));
    assert_eq!(code(case.rotate(&dan, T0 + 5)), "not_a_member");
    assert_eq!(code(case.remove(&dan, &sam, T0 + 5)), "not_a_member");
    assert_eq!(
        code(case.share_history(&dan, &sam, 0, T0 + 5)),
        "not_a_member"
    );
    assert_eq!(code(case.set_retention(&dan, 0, T0 + 5)), "not_a_member");
    assert_eq!(code(case.delete(&dan, T0 + 5)), "not_a_member");
    // Cleo's key, but another workspace.
    let elsewhere = Workspace::create_with_rng(member(CLEO), T0, &mut seeded_rng([9; 32])).unwrap();
    assert_eq!(
        code(case.set_retention(&elsewhere, 0, T0 + 5)),
        "wrong_workspace"
    );
    assert_eq!(
        code(case.share_history(&elsewhere, &sam, 0, T0 + 5)),
        "wrong_workspace"
    );
    // Nothing was appended; Cleo's workspace, loaded again, acts for the case.
    assert_eq!((case.epoch(), case.log().len()), (1, 2));
    let cleo = server.workspace(CLEO).unwrap();
    server.publish(case.rotate(&cleo, T0 + 6).unwrap());
    let reloaded = server.case(&cleo, Some(case.head())).unwrap();
    assert_eq!(reloaded.epoch(), 2);
    let sam_ws = server.workspace(SAM).unwrap();
    assert_eq!(server.case(&sam_ws, None).unwrap().epoch(), 2);
}

#[test]
fn the_last_full_member_hands_the_case_over_before_leaving() {
    let (mut server, cleo, mut case) = practice();
    let cleo_id = id(&member(CLEO));
    assert_eq!(
        code(case.remove(&cleo, &cleo_id, T0 + 30)),
        "cannot_remove_self"
    );
    assert_eq!(
        code(case.set_level(&cleo, &cleo_id, Level::Summary, T0 + 30)),
        "last_holder"
    );
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 31)
            .unwrap(),
    );
    let dan_ws = server.workspace(DAN).unwrap();
    let mut dan = server.case(&dan_ws, None).unwrap();
    server.publish(dan.remove(&dan_ws, &cleo_id, T0 + 32).unwrap());
    assert_eq!(code(server.case(&cleo, None)), "not_a_member");
    let dan = server.case(&dan_ws, None).unwrap();
    assert_eq!(dan.level(), Level::Full);
    assert_eq!(dan.log().members().count(), 2); // Dan and Sam
}

#[test]
fn a_deleted_case_opens_for_no_one_and_retention_holds_it() {
    let mut w = practice();
    let (server, cleo, case) = (&mut w.0, &w.1, &mut w.2);
    server.publish(CaseChange {
        log_entry: case.set_retention(cleo, T0 + 1000, T0 + 40).unwrap(),
        grants: Vec::new(),
    });
    assert_eq!(code(case.delete(cleo, T0 + 41)), "under_retention");
    server.publish(CaseChange {
        log_entry: case.set_retention(cleo, 0, T0 + 42).unwrap(),
        grants: Vec::new(),
    });
    let (_, note) = summary_and_note(case, cleo);
    let tombstone = case.delete(cleo, T0 + 43).unwrap();
    server.case_log.push(tombstone);
    assert_eq!(text(case, &note), Err("unknown_epoch"));
    assert_eq!(code(server.case(cleo, None)), "case_deleted");
    let sam_ws = server.workspace(SAM).unwrap();
    assert_eq!(code(server.case(&sam_ws, None)), "case_deleted");
}

/// The `*_with_rng` twins (used by the fuzz fixtures) make the same entry and grants from the
/// same generator; the plain methods draw fresh keys each time.
#[test]
fn set_level_and_share_history_with_rng_are_deterministic() {
    let (mut server, cleo, mut case) = practice();
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 5)
            .unwrap(),
    );
    let bytes = |c: CaseChange| {
        let mut out = vec![c.log_entry];
        out.extend(c.grants.into_iter().map(|g| g.grant));
        out
    };
    let twins = || {
        let mut case = server.case(&cleo, None).unwrap();
        let dan = id(&member(DAN));
        let shared = case
            .share_history_with_rng(&cleo, &dan, 0, T0 + 6, &mut seeded_rng([3; 32]))
            .unwrap();
        let sam = id(&member(SAM));
        let raised = case
            .set_level_with_rng(&cleo, &sam, Level::Full, T0 + 7, &mut seeded_rng([4; 32]))
            .unwrap();
        (bytes(shared), bytes(raised))
    };
    let (shared, raised) = twins();
    assert_eq!(
        shared.len(),
        3,
        "the entry and Dan's grants of epochs 0 and 1"
    );
    assert_eq!((shared, raised), twins());
    let plain = || {
        let mut case = server.case(&cleo, None).unwrap();
        let sam = id(&member(SAM));
        bytes(case.set_level(&cleo, &sam, Level::Full, T0 + 7).unwrap())
    };
    assert_ne!(plain(), plain());
}

// ---------- the malicious server --------------------------------------------------------

/// A case entry built from FORMAT.md#case-log-entry alone, signed by member `n`.
fn forge_case_entry(n: u8, server: &Server, ws_seq: u32, kind: u8, body: &[u8]) -> Vec<u8> {
    let first = &server.case_log[0];
    let mut e = b"CFC\x01".to_vec();
    e.extend_from_slice(&first[4..36]);
    e.extend_from_slice(&u32::try_from(server.case_log.len()).unwrap().to_be_bytes());
    let mut h = b"confide/v1/case-entry-hash\x00".to_vec();
    h.extend_from_slice(server.case_log.last().unwrap());
    e.extend_from_slice(&sha256(&h));
    e.extend_from_slice(&id(&member(n)));
    e.extend_from_slice(&ws_seq.to_be_bytes());
    e.extend_from_slice(&(T0 + 50).to_be_bytes());
    e.push(kind);
    e.extend_from_slice(body);
    let mut signed = b"confide/v1/case-entry\x00".to_vec();
    signed.extend_from_slice(&e);
    e.extend_from_slice(&signing_key(n).sign(&signed).to_bytes());
    e
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

#[test]
fn attack_the_server_adds_a_member_or_raises_a_level() {
    let (server, cleo, case) = practice();
    let ws_seq = cleo.head().unwrap().seq();
    let epoch = case.epoch() + 1;
    // An add entry for Dan signed by a key of the server's (member 9, never in the workspace).
    let mut body = id(&member(DAN)).to_vec();
    body.push(1);
    body.extend_from_slice(&epoch.to_be_bytes());
    body.extend_from_slice(&[0u8; 64]);
    let mut attacked = server.clone();
    attacked
        .case_log
        .push(forge_case_entry(9, &server, ws_seq, 2, &body));
    assert_eq!(code(attacked.case(&cleo, None)), "unknown_signer");
    // Sam, at summary level, raising himself to full: he may not sign case entries.
    let mut body = id(&member(SAM)).to_vec();
    body.push(1);
    body.extend_from_slice(&epoch.to_be_bytes());
    body.extend_from_slice(&[0u8; 64]);
    let mut attacked = server.clone();
    attacked
        .case_log
        .push(forge_case_entry(SAM, &server, ws_seq, 4, &body));
    assert_eq!(code(attacked.case(&cleo, None)), "not_authorized");
    // Mia, admin of the workspace, adding herself: admins run the roster, not the cases.
    let mut body = id(&member(MIA)).to_vec();
    body.push(1);
    body.extend_from_slice(&epoch.to_be_bytes());
    body.extend_from_slice(&[0u8; 64]);
    let mut attacked = server.clone();
    attacked
        .case_log
        .push(forge_case_entry(MIA, &server, ws_seq, 2, &body));
    assert_eq!(code(attacked.case(&cleo, None)), "not_authorized");
}

#[cfg(feature = "hazmat")]
/// A case grant built from FORMAT.md#case-grant alone: `keys` (64 bytes at full level, 32 at
/// summary) sealed to `recipient` and signed by member `granter`.
fn forge_case_grant(
    granter: u8,
    recipient: &confide::MemberSecretKey,
    case: &Case,
    epoch: u32,
    level: Level,
    keys: &[u8],
) -> Vec<u8> {
    use hpke::{Deserializable, Serializable};
    let mut header = b"CFK\x01".to_vec();
    header.extend_from_slice(case.workspace_id().as_bytes());
    header.extend_from_slice(case.id().as_bytes());
    header.extend_from_slice(&epoch.to_be_bytes());
    header.push(if level == Level::Full { 1 } else { 2 });
    header.extend_from_slice(&id(recipient));
    header.extend_from_slice(&id(&member(granter)));
    let mut info = b"confide/v1/case-grant\x00".to_vec();
    info.extend_from_slice(&header[4..41]);
    info.extend_from_slice(&id(recipient));
    let bundle = recipient.public_bundle().as_bytes();
    let pk = <hpke::kem::XWing as hpke::Kem>::PublicKey::from_bytes(&bundle[36..1252]).unwrap();
    let (enc, sealed) = hpke::single_shot_seal_with_rng::<
        hpke::aead::AesGcm256,
        hpke::kdf::HkdfSha256,
        hpke::kem::XWing,
    >(
        &hpke::OpModeS::Base,
        &pk,
        &info,
        keys,
        &header,
        &mut seeded_rng([6; 32]),
    )
    .unwrap();
    let mut grant = header;
    grant.extend_from_slice(&enc.to_bytes());
    grant.extend_from_slice(&sealed);
    let mut signed = b"confide/v1/case-grant-signature\x00".to_vec();
    signed.extend_from_slice(&grant);
    grant.extend_from_slice(&signing_key(granter).sign(&signed).to_bytes());
    grant
}

/// Needs the test-only `hazmat` feature for the true key (make test-rust runs it).
#[cfg(feature = "hazmat")]
#[test]
fn attack_the_server_swaps_a_case_key() {
    let (server, cleo, case) = practice();
    let sam = id(&member(SAM));
    let sam_ws = server.workspace(SAM).unwrap();
    let without_sams = |s: &Server| {
        let mut s = s.clone();
        s.case_grants.retain(|(to, _)| *to != sam);
        s
    };
    // A grant built by the spec alone, signed by Cleo, of the true summary key: it opens,
    // which shows the forger matches FORMAT.md.
    let true_key = case.hazmat_key(case.epoch(), Level::Summary).unwrap();
    let mut honest = without_sams(&server);
    honest.case_grants.push((
        sam,
        forge_case_grant(
            CLEO,
            &member(SAM),
            &case,
            case.epoch(),
            Level::Summary,
            &true_key,
        ),
    ));
    assert_eq!(
        server.case(&sam_ws, None).map(|c| c.epoch()).ok(),
        honest.case(&sam_ws, None).map(|c| c.epoch()).ok()
    );
    // The same, of a key the log does not record for the epoch: refused by the key check.
    let mut swapped = without_sams(&server);
    swapped.case_grants.push((
        sam,
        forge_case_grant(
            CLEO,
            &member(SAM),
            &case,
            case.epoch(),
            Level::Summary,
            &[7u8; 32],
        ),
    ));
    assert_eq!(code(swapped.case(&sam_ws, None)), "key_mismatch");
    // Signed by the server's own key: not a member who held the epoch.
    let mut by_server = without_sams(&server);
    by_server.case_grants.push((
        sam,
        forge_case_grant(
            9,
            &member(SAM),
            &case,
            case.epoch(),
            Level::Summary,
            &true_key,
        ),
    ));
    assert_eq!(code(by_server.case(&sam_ws, None)), "not_authorized");
    // A full-level grant for Sam, who is at summary level: more than his level allows.
    let mut raised = without_sams(&server);
    raised.case_grants.push((
        sam,
        forge_case_grant(
            CLEO,
            &member(SAM),
            &case,
            case.epoch(),
            Level::Full,
            &[7u8; 64],
        ),
    ));
    assert_eq!(code(raised.case(&sam_ws, None)), "not_authorized");
    // Another case's grant, served as this one's.
    let (_, other) = Case::create_with_rng(&cleo, T0 + 60, 0, &mut seeded_rng([7; 32])).unwrap();
    let mut crossed = server.clone();
    crossed
        .case_grants
        .push((id(&member(CLEO)), other.grants[0].grant.clone()));
    assert_eq!(code(crossed.case(&cleo, None)), "wrong_case");
}

#[test]
fn attack_the_server_rolls_back_or_forks_a_case_log() {
    let (mut server, cleo, mut case) = practice();
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let seen = sam.head();
    server.publish(case.remove(&cleo, &id(&member(SAM)), T0 + 70).unwrap());
    let cleo_head = case.head();
    // Hiding Sam's removal from Cleo, who saw it: rollback.
    let mut rolled = server.clone();
    rolled.case_log.pop();
    assert_eq!(
        code(rolled.case(&cleo, Some(cleo_head))),
        "rollback_detected"
    );
    // Another branch from the one Sam pinned: fork.
    let mut forked = server.clone();
    forked.case_log[1][150] ^= 1;
    assert_eq!(code(forked.case(&sam_ws, Some(seen))), "fork_detected");
    // Another case's head.
    let (other, _) = Case::create_with_rng(&cleo, T0 + 71, 0, &mut seeded_rng([8; 32])).unwrap();
    assert_eq!(code(server.case(&cleo, Some(other.head()))), "wrong_case");
}

#[test]
fn attack_the_server_moves_a_record_between_cases_or_levels() {
    let (server, cleo, case) = practice();
    let (summary, note) = summary_and_note(&case, &cleo);
    let (mut other, _) =
        Case::create_with_rng(&cleo, T0 + 80, 0, &mut seeded_rng([9; 32])).unwrap();
    other.rotate(&cleo, T0 + 81).unwrap(); // the same epoch as the note's
    assert_eq!(dcode(other.decrypt(&note, &CTX)), "wrong_case");
    // The case id rewritten to the other case's: the header is bound, so it fails to open.
    let mut moved = note.clone();
    moved[6..22].copy_from_slice(other.id().as_bytes());
    assert_eq!(dcode(other.decrypt(&moved, &CTX)), "decryption_failed");
    // A clinical note relabelled as summary, for Sam: the summary key does not open it.
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let mut lowered = note.clone();
    lowered[5] |= 0x02;
    assert_eq!(dcode(sam.decrypt(&lowered, &CTX)), "decryption_failed");
    // A summary relabelled as full: opened with the full key, it fails too.
    let mut raised = summary.clone();
    raised[5] &= !0x02;
    assert_eq!(dcode(case.decrypt(&raised, &CTX)), "decryption_failed");
}

#[test]
fn attack_the_server_keeps_a_removed_member_on_a_case() {
    let (mut server, _cleo, case) = practice();
    let mut mia = server.workspace(MIA).unwrap();
    let rotation = mia.remove(&id(&member(SAM)), T0 + 90).unwrap();
    server.log.push(rotation.log_entry);
    server
        .grants
        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
    // The server serves the case log without the rotation that would drop Sam: Cleo's page
    // refuses to write under the key Sam holds, and Sam cannot load anything.
    let cleo = server.workspace(CLEO).unwrap();
    let loaded = server.case(&cleo, Some(case.head())).unwrap();
    assert_eq!(
        code(loaded.encrypt(&cleo, b"x", &CTX, TEXT, Level::Full)),
        "case_needs_rotation"
    );
    assert_eq!(code(server.workspace(SAM)), "not_a_member");
}

/// What a removed member colluding with the server can still do, and where it stops
/// (SECURITY.md#cases): an entry signed after the removal but naming the workspace state
/// before it passes while no one has written to the case since; once a member has moved the
/// case on, entries follow the workspace forward and such an entry is refused.
#[test]
fn a_removed_member_cannot_backdate_past_the_next_change_of_the_case() {
    let (mut server, cleo, mut case) = practice();
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 95)
            .unwrap(),
    );
    let before_removal = server.workspace(MIA).unwrap().head().unwrap().seq();
    let mut mia = server.workspace(MIA).unwrap();
    let rotation = mia.remove(&id(&member(DAN)), T0 + 96).unwrap();
    server.log.push(rotation.log_entry);
    server
        .grants
        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
    let cleo = server.workspace(CLEO).unwrap();
    let retention = 5u64.to_be_bytes();
    let mut backdated = server.clone();
    backdated.case_log.push(forge_case_entry(
        DAN,
        &server,
        before_removal,
        7,
        &retention,
    ));
    assert_eq!(
        backdated
            .case(&cleo, None)
            .map(|_| ())
            .map_err(|e| e.code()),
        Ok(())
    );
    // Cleo moves the case on past Dan's removal; the same backdated entry is now refused.
    for change in case.remove_departed(&cleo, T0 + 97).unwrap() {
        server.publish(change);
    }
    let mut late = server.clone();
    late.case_log.push(forge_case_entry(
        DAN,
        &server,
        before_removal,
        7,
        &retention,
    ));
    assert_eq!(code(late.case(&cleo, None)), "broken_chain");
}

#[test]
fn a_case_entry_naming_a_newer_workspace_than_the_reader_has_is_refused() {
    let (server, cleo, _case) = practice();
    let mut attacked = server.clone();
    let future = cleo.head().unwrap().seq() + 5;
    attacked.case_log.push(forge_case_entry(
        CLEO,
        &server,
        future,
        7,
        &0u64.to_be_bytes(),
    ));
    assert_eq!(code(attacked.case(&cleo, None)), "workspace_out_of_date");
}

// ---------- what a storage server reads ------------------------------------------------

#[test]
fn a_storage_server_reads_what_case_entries_change_and_checks_the_grants_it_is_given() {
    use confide::{CaseEntry, CaseEntryChange, CaseGrantHeader};
    let (server, cleo, case) = practice();
    let (cleo_id, sam) = (id(&member(CLEO)), id(&member(SAM)));
    let created = CaseEntry::parse(&server.case_log[0]).unwrap();
    assert_eq!(created.seq(), 0);
    assert_eq!(created.signer_id(), cleo_id);
    assert_eq!(created.case_id(), case.id());
    assert_eq!(created.workspace_id(), cleo.id());
    assert_eq!(created.time(), T0 + 3);
    assert_eq!(
        created.change(),
        CaseEntryChange::Create { retention_until: 0 }
    );
    let added = CaseEntry::parse(&server.case_log[1]).unwrap();
    assert_eq!(added.seq(), 1);
    assert_eq!(added.workspace_seq(), cleo.head().unwrap().seq());
    assert_eq!(
        added.change(),
        CaseEntryChange::Add {
            member_id: sam,
            level: Level::Summary,
            epoch: 1
        }
    );
    assert_eq!(
        code(CaseEntry::parse(&server.case_log[1][..180]).map_err(MembershipError::from)),
        "malformed"
    );
    // The head's hash is the case entry hash of the last entry (FORMAT.md#case-log-entry).
    let mut labelled = b"confide/v1/case-entry-hash\x00".to_vec();
    labelled.extend_from_slice(&server.case_log[1]);
    assert_eq!(case.head().hash(), sha256(&labelled));
    assert_eq!(&case.head().to_bytes()[20..], &case.head().hash()[..]);

    // Every grant the members were given passes, and says whom it is for.
    let ws = cleo.membership().unwrap();
    let log = case.log();
    let mut seen = Vec::new();
    for (to, grant) in &server.case_grants {
        let header = log.check_grant(ws, grant).unwrap();
        assert_eq!(header, CaseGrantHeader::parse(grant).unwrap());
        assert_eq!(header.recipient_id(), *to);
        assert_eq!(header.granter_id(), cleo_id);
        assert_eq!(
            (header.workspace_id(), header.case_id()),
            (cleo.id(), case.id())
        );
        seen.push((header.epoch(), header.level(), *to == sam));
    }
    assert_eq!(
        seen,
        [
            (0, Level::Full, false),
            (1, Level::Full, false),
            (1, Level::Summary, true)
        ]
    );

    // What a server can refuse without the recipient's key, each with its code.
    let sams = &server.case_grants[2].1;
    let altered = |at: usize, bytes: &[u8]| {
        let mut g = sams.clone();
        g[at..at + bytes.len()].copy_from_slice(bytes);
        code(log.check_grant(ws, &g))
    };
    assert_eq!(code(log.check_grant(ws, b"CFK\x01 garbage")), "malformed");
    assert_eq!(code(log.check_grant(ws, &sams[..1336])), "malformed");
    assert_eq!(altered(4, &[0; 16]), "wrong_workspace");
    assert_eq!(altered(20, &[0; 16]), "wrong_case");
    assert_eq!(altered(36, &9u32.to_be_bytes()), "unknown_epoch");
    // Sam's grant made out to Dan, who is not on the case; signed by Sam, who grants nothing.
    assert_eq!(altered(41, &id(&member(DAN))), "not_authorized");
    assert_eq!(altered(73, &sam), "not_authorized");
    // Sam's grant of epoch 0, before he joined; Cleo's of epoch 1 relabelled as epoch 0's.
    assert_eq!(altered(36, &0u32.to_be_bytes()), "not_authorized");
    let mut relabelled = server.case_grants[1].1.clone();
    relabelled[36..40].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(code(log.check_grant(ws, &relabelled)), "bad_signature");
    let last = sams.len() - 1;
    assert_eq!(altered(last, &[sams[last] ^ 1]), "bad_signature");
    assert_eq!(altered(1300, &[sams[1300] ^ 1]), "bad_signature");
    // Another case's grant.
    let (_, other) = Case::create_with_rng(&cleo, T0 + 60, 0, &mut seeded_rng([7; 32])).unwrap();
    assert_eq!(
        code(log.check_grant(ws, &other.grants[0].grant)),
        "wrong_case"
    );
}

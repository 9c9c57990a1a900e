//! Record integrity in a case (docs/FORMAT.md#revisions): signed revisions, history,
//! pinning, tombstones, sign-off and the audit trail, and a malicious server that attacks
//! them (docs/SECURITY.md#record-integrity).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::practice::{CLEO, DAN, MIA, SAM, T0, practice};
use common::{id, member};
use confide::integrity::audit::{MAX_AUDIT_BYTES, MAX_AUDIT_ENTRIES};
use confide::integrity::{
    AuditAction, AuditEntryHeader, AuditEvent, AuditTrail, Revision, RevisionKind, RevisionPin,
    SignOffHeader, audit_entry_hash,
};
use confide::{
    Case, ContentType, EncryptOptions, ErrorCode, IntegrityError, Level, RecordContext, Workspace,
    WriteOptions,
};

const CTX: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "notes",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

fn code<T>(r: Result<T, IntegrityError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// Writes `text` as the next revision after `previous` (full level) and returns
/// (record, revision).
fn write(
    case: &Case,
    ws: &Workspace,
    text: &str,
    previous: Option<&[u8]>,
    now: u64,
) -> (Vec<u8>, Vec<u8>) {
    let previous = previous.map(|p| Revision::parse(p).unwrap());
    let w = case
        .write(
            ws,
            text.as_bytes(),
            &CTX,
            &WriteOptions {
                encrypt: TEXT,
                level: Level::Full,
                previous: previous.as_ref(),
                now,
            },
        )
        .unwrap();
    (w.record, w.revision)
}

fn refs(items: &[Vec<u8>]) -> Vec<&[u8]> {
    items.iter().map(Vec::as_slice).collect()
}

fn latest_text(
    case: &Case,
    ws: &Workspace,
    history: &[Vec<u8>],
    record: &[u8],
    pin: Option<&RevisionPin>,
) -> Result<String, &'static str> {
    case.open_history(ws, &CTX, &refs(history), Some(record), pin, None)
        .map(|o| String::from_utf8(o.latest.unwrap().1.to_vec()).unwrap())
        .map_err(|e| e.code())
}

#[test]
fn a_revised_record_opens_with_its_author_time_and_number_and_every_earlier_value() {
    let (_, cleo, case) = practice();
    let (r1, v1) = write(&case, &cleo, "Intake.", None, T0 + 10);
    let (r2, v2) = write(&case, &cleo, "Intake, amended.", Some(&v1), T0 + 20);
    let history = vec![v1, v2];
    let opened = case
        .open_history(&cleo, &CTX, &refs(&history), Some(&r2), None, None)
        .unwrap();
    let (content, text) = opened.latest.unwrap();
    assert_eq!(content, ContentType::Text);
    assert_eq!(&*text, b"Intake, amended.");
    let latest = opened.revisions.last().unwrap();
    assert_eq!(latest.number(), 2);
    assert_eq!(latest.author_id(), id(&member(CLEO)));
    assert_eq!(latest.time(), T0 + 20);
    assert_eq!(latest.kind(), RevisionKind::Write);
    assert_eq!(opened.pin, latest.pin());
    // The old value, from the verified history.
    let (_, old) = case.open_revision(&opened.revisions[0], &r1, &CTX).unwrap();
    assert_eq!(&*old, b"Intake.");
    // A record under another revision's hash, or another record's revision, is refused.
    assert_eq!(
        code(case.open_revision(&opened.revisions[0], &r2, &CTX)),
        "record_mismatch"
    );
    assert_eq!(
        latest_text(&case, &cleo, &history, &r1, None),
        Err("record_mismatch")
    );
    let other = RecordContext {
        record_id: "session-2",
        field: "notes",
    };
    assert_eq!(
        code(case.open_history(&cleo, &other, &refs(&history), Some(&r2), None, None)),
        "record_mismatch"
    );
    // A plain case record, written before revisions, still opens as before (unsigned).
    let legacy = case
        .encrypt(&cleo, b"legacy", &CTX, TEXT, Level::Full)
        .unwrap();
    assert_eq!(&*case.decrypt(&legacy, &CTX).unwrap().1, b"legacy");
}

#[test]
fn a_summary_member_reads_summary_revisions_and_writes_none() {
    let (server, cleo, case) = practice();
    let ctx = RecordContext {
        record_id: "session-1",
        field: "summary",
    };
    let w = case
        .write(
            &cleo,
            b"50 min",
            &ctx,
            &WriteOptions {
                encrypt: TEXT,
                level: Level::Summary,
                previous: None,
                now: T0 + 10,
            },
        )
        .unwrap();
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let opened = sam
        .open_history(&sam_ws, &ctx, &[&w.revision], Some(&w.record), None, None)
        .unwrap();
    assert_eq!(&*opened.latest.unwrap().1, b"50 min");
    let refused = sam.write(
        &sam_ws,
        b"x",
        &ctx,
        &WriteOptions {
            encrypt: TEXT,
            level: Level::Summary,
            previous: None,
            now: T0 + 11,
        },
    );
    assert_eq!(code(refused), "level_too_low");
}

#[test]
fn attack_the_server_rolls_back_or_forks_a_record() {
    let (_, cleo, case) = practice();
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let (r2, v2) = write(&case, &cleo, "two", Some(&v1), T0 + 20);
    let (r2b, v2b) = write(&case, &cleo, "two, the other branch", Some(&v1), T0 + 21);
    let pin = case
        .open_history(
            &cleo,
            &CTX,
            &refs(&[v1.clone(), v2.clone()]),
            Some(&r2),
            None,
            None,
        )
        .unwrap()
        .pin;
    // Revision 1 again, to a client that saw revision 2.
    assert_eq!(
        latest_text(&case, &cleo, std::slice::from_ref(&v1), &r2, Some(&pin)),
        Err("rollback_detected")
    );
    // Another revision 2.
    assert_eq!(
        latest_text(&case, &cleo, &[v1.clone(), v2b.clone()], &r2b, Some(&pin)),
        Err("fork_detected")
    );
    // Two revisions with the same parent in one history.
    assert_eq!(
        latest_text(
            &case,
            &cleo,
            &[v1.clone(), v2.clone(), v2b.clone()],
            &r2b,
            None
        ),
        Err("fork_detected")
    );
    // From the pinned revision on: it and the ones after it.
    let (r3, v3) = write(&case, &cleo, "three", Some(&v2), T0 + 30);
    assert_eq!(
        latest_text(&case, &cleo, &[v2.clone(), v3.clone()], &r3, Some(&pin)).unwrap(),
        "three"
    );
    // Only the ones after it: the pinned revision's state is needed to check theirs.
    assert_eq!(
        latest_text(&case, &cleo, std::slice::from_ref(&v3), &r3, Some(&pin)),
        Err("broken_chain")
    );
    let (r3b, v3b) = write(&case, &cleo, "three, other", Some(&v2b), T0 + 31);
    assert_eq!(
        latest_text(&case, &cleo, &[v2b.clone(), v3b], &r3b, Some(&pin)),
        Err("fork_detected")
    );
    // A hole, or a reordering.
    assert_eq!(
        latest_text(&case, &cleo, &[v1.clone(), v3.clone()], &r3, None),
        Err("broken_chain")
    );
    assert_eq!(
        latest_text(&case, &cleo, &[v2.clone(), v1.clone()], &r2, None),
        Err("broken_chain")
    );
}

#[test]
fn attack_the_server_attributes_a_revision_to_another_member() {
    let (mut server, cleo, mut case) = practice();
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 5)
            .unwrap(),
    );
    let (r1, v1) = write(&case, &cleo, "Cleo wrote this.", None, T0 + 10);
    // The author id rewritten to Dan's (offset 73): Dan's key does not verify Cleo's signature.
    let mut forged = v1.clone();
    forged[73..105].copy_from_slice(&id(&member(DAN)));
    assert_eq!(
        latest_text(&case, &cleo, &[forged], &r1, None),
        Err("bad_signature")
    );
    // Rewritten to Sam's, a summary member: he had no right to write it at all.
    let mut forged = v1.clone();
    forged[73..105].copy_from_slice(&id(&member(SAM)));
    assert_eq!(
        latest_text(&case, &cleo, &[forged], &r1, None),
        Err("not_authorized")
    );
    // To Mia's, who runs the roster and is on no case.
    let mut forged = v1;
    forged[73..105].copy_from_slice(&id(&member(MIA)));
    assert_eq!(
        latest_text(&case, &cleo, &[forged], &r1, None),
        Err("not_authorized")
    );
}

#[test]
fn a_removed_member_cannot_write_revisions_that_pass_for_current_ones() {
    let (mut server, cleo, mut case) = practice();
    server.publish(
        case.add(&cleo, &id(&member(DAN)), Level::Full, T0 + 5)
            .unwrap(),
    );
    let dan_ws = server.workspace(DAN).unwrap();
    let dan_case = server.case(&dan_ws, None).unwrap();
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    // Dan leaves the workspace; Cleo moves the case on and writes revision 2.
    let mut mia = server.workspace(MIA).unwrap();
    let rotation = mia.remove(&id(&member(DAN)), T0 + 20).unwrap();
    server.log.push(rotation.log_entry);
    server
        .grants
        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
    server.history.push(rotation.history_link);
    let cleo = server.workspace(CLEO).unwrap();
    for change in case.remove_departed(&cleo, T0 + 21).unwrap() {
        server.publish(change);
    }
    let (_, v2) = write(&case, &cleo, "two", Some(&v1), T0 + 30);
    // Dan, with the server's help, signs a revision 3 from his stale view: it names the
    // states before his removal, older than revision 2's, so the chain refuses it.
    let previous = Revision::parse(&v2).unwrap();
    let stale = dan_case
        .write(
            &dan_ws,
            b"backdated",
            &CTX,
            &WriteOptions {
                encrypt: TEXT,
                level: Level::Full,
                previous: Some(&previous),
                now: T0 + 40,
            },
        )
        .unwrap();
    assert_eq!(
        latest_text(
            &case,
            &cleo,
            &[v1.clone(), v2.clone(), stale.revision.clone()],
            &stale.record,
            None
        ),
        Err("broken_chain")
    );
    // Served to a reader that pinned revision 2, after it: the same refusal.
    let pin = Revision::parse(&v2).unwrap().pin();
    assert_eq!(
        latest_text(
            &case,
            &cleo,
            &[v2.clone(), stale.revision.clone()],
            &stale.record,
            Some(&pin)
        ),
        Err("broken_chain")
    );
    assert_eq!(
        latest_text(
            &case,
            &cleo,
            std::slice::from_ref(&stale.revision),
            &stale.record,
            Some(&pin)
        ),
        Err("broken_chain")
    );
    // Nor can he sign off revision 2 under the state he last held.
    let stale_sign_off = dan_case.sign_off(&dan_ws, &previous, T0 + 41).unwrap();
    assert_eq!(
        code(case.verify_sign_off(&cleo, &stale_sign_off, &previous)),
        "broken_chain"
    );
    // What SECURITY.md admits: a new record, or one whose latest revision predates his
    // removal, takes his revisions under the old state (they verify, and name an old epoch).
    let other = RecordContext {
        record_id: "session-9",
        field: "notes",
    };
    let backdated = dan_case
        .write(
            &dan_ws,
            b"a new record, backdated",
            &other,
            &WriteOptions {
                encrypt: TEXT,
                level: Level::Full,
                previous: None,
                now: T0 + 42,
            },
        )
        .unwrap();
    let opened = case
        .open_history(
            &cleo,
            &other,
            &[&backdated.revision],
            Some(&backdated.record),
            None,
            None,
        )
        .unwrap();
    let latest = opened.revisions.last().unwrap();
    assert!(latest.key_epoch() < case.epoch());
    assert_eq!(latest.author_id(), id(&member(DAN)));
    // Naming the current state instead: he was on no case epoch after his removal.
    let mut current = stale.revision.clone();
    let seq = u32::try_from(cleo.membership().unwrap().len() - 1).unwrap();
    current[105..109].copy_from_slice(&seq.to_be_bytes());
    current[109..113].copy_from_slice(&case.epoch().to_be_bytes());
    assert_eq!(
        latest_text(&case, &cleo, &[v1, v2, current], &stale.record, None),
        Err("not_authorized")
    );
}

#[test]
fn a_tombstone_says_who_deleted_and_a_withheld_one_is_detected() {
    let (_, cleo, case) = practice();
    let (r1, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let tomb = case
        .delete_record(&cleo, &CTX, &Revision::parse(&v1).unwrap(), T0 + 20)
        .unwrap();
    let history = vec![v1.clone(), tomb];
    let opened = case
        .open_history(&cleo, &CTX, &refs(&history), None, None, None)
        .unwrap();
    assert!(opened.latest.is_none());
    let last = opened.revisions.last().unwrap();
    assert_eq!(
        (last.kind(), last.author_id(), last.time()),
        (RevisionKind::Delete, id(&member(CLEO)), T0 + 20)
    );
    // The server withholds the tombstone from a client that pinned it...
    assert_eq!(
        latest_text(
            &case,
            &cleo,
            std::slice::from_ref(&v1),
            &r1,
            Some(&opened.pin)
        ),
        Err("rollback_detected")
    );
    // ...and from one that did not, but reads the audit trail.
    let mut trail = AuditTrail::new();
    for (action, revision) in [
        (AuditAction::Create, &history[0]),
        (AuditAction::Delete, &history[1]),
    ] {
        let r = Revision::parse(revision).unwrap();
        case.append_audit(&cleo, &mut trail, &event(action, &r), T0 + 21)
            .unwrap();
    }
    assert_eq!(
        code(case.open_history(&cleo, &CTX, &[&v1], Some(&r1), None, Some(&trail))),
        "rollback_detected"
    );
}

fn event(action: AuditAction, r: &Revision) -> AuditEvent {
    AuditEvent {
        action,
        record_id: r.record_id().into(),
        field: r.field().into(),
        revision_number: r.number(),
        revision_hash: r.hash(),
        note: String::new(),
    }
}

#[test]
fn a_sign_off_covers_one_exact_revision_and_an_edit_after_it_is_unsigned() {
    let (mut server, cleo, mut case) = practice();
    server.publish(
        case.set_level(&cleo, &id(&member(SAM)), Level::Full, T0 + 5)
            .unwrap(),
    );
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let rev1 = Revision::parse(&v1).unwrap();
    let signed = sam.sign_off(&sam_ws, &rev1, T0 + 11).unwrap();
    let verified = case.verify_sign_off(&cleo, &signed, &rev1).unwrap();
    assert_eq!(
        (verified.signer_id, verified.revision_number, verified.time),
        (id(&member(SAM)), 1, T0 + 11)
    );
    // An edit after sign-off: the sign-off is of revision 1, not of the new one.
    let (_, v2) = write(&case, &cleo, "two", Some(&v1), T0 + 20);
    let rev2 = Revision::parse(&v2).unwrap();
    assert_eq!(
        code(case.verify_sign_off(&cleo, &signed, &rev2)),
        "signoff_mismatch"
    );
    // Altered, or signed by someone off the case.
    let mut altered = signed.clone();
    altered[115] ^= 1;
    assert_eq!(
        code(case.verify_sign_off(&cleo, &altered, &rev1)),
        "bad_signature"
    );
    let mut by_mia = signed;
    by_mia[72..104].copy_from_slice(&id(&member(MIA)));
    assert_eq!(
        code(case.verify_sign_off(&cleo, &by_mia, &rev1)),
        "not_authorized"
    );
}

#[test]
fn the_audit_trail_verifies_reads_and_refuses_dropped_reordered_or_altered_entries() {
    let (server, cleo, case) = practice();
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let (_, v2) = write(&case, &cleo, "two", Some(&v1), T0 + 20);
    let mut trail = AuditTrail::new();
    let mut entries = Vec::new();
    for (action, v) in [(AuditAction::Create, &v1), (AuditAction::Edit, &v2)] {
        let r = Revision::parse(v).unwrap();
        entries.push(
            case.append_audit(&cleo, &mut trail, &event(action, &r), T0 + 30)
                .unwrap(),
        );
    }
    let mut export = event(AuditAction::Export, &Revision::parse(&v2).unwrap());
    export.note = "CSV report".into();
    entries.push(
        case.append_audit(&cleo, &mut trail, &export, T0 + 40)
            .unwrap(),
    );
    // Sam, a summary member, verifies and reads it.
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let read = sam.verify_audit(&sam_ws, &refs(&entries), None).unwrap();
    let actions: Vec<&str> = read
        .records()
        .iter()
        .map(|r| r.event.as_ref().unwrap().action.name())
        .collect();
    assert_eq!(actions, ["create", "edit", "export"]);
    assert_eq!(read.records()[2].event.as_ref().unwrap().note, "CSV report");
    assert_eq!(read.latest_revision("session-1", "notes").unwrap().0, 2);
    let head = read.head().unwrap();
    // Dropped, reordered, altered, or cut below the pinned head.
    assert_eq!(
        code(sam.verify_audit(&sam_ws, &[&entries[0], &entries[2]], None)),
        "broken_chain"
    );
    assert_eq!(
        code(sam.verify_audit(&sam_ws, &[&entries[1], &entries[0], &entries[2]], None)),
        "broken_chain"
    );
    let mut altered = entries[1].clone();
    let n = altered.len();
    altered[n - 70] ^= 1;
    assert_eq!(
        code(sam.verify_audit(&sam_ws, &[&entries[0], &altered, &entries[2]], None)),
        "bad_signature"
    );
    assert_eq!(
        code(sam.verify_audit(&sam_ws, &refs(&entries[..2]), Some(&head))),
        "rollback_detected"
    );
    // A summary member claims an edit far ahead: it counts for nothing in the cross-check.
    let mut sam_trail = read;
    let mut claim = event(AuditAction::Edit, &Revision::parse(&v2).unwrap());
    claim.revision_number = 99;
    let sam_case = server.case(&sam_ws, None).unwrap();
    entries.push(
        sam_case
            .append_audit(&sam_ws, &mut sam_trail, &claim, T0 + 50)
            .unwrap(),
    );
    let trail = case.verify_audit(&cleo, &refs(&entries), None).unwrap();
    assert_eq!(trail.latest_revision("session-1", "notes").unwrap().0, 2);
    assert_eq!(trail.records()[3].author_level, Level::Summary);
    // The server learns nothing new: no body text in the entries.
    assert!(
        !entries
            .iter()
            .any(|e| e.windows(10).any(|w| w == b"CSV report"))
    );
}

#[test]
fn a_kept_audit_trail_extends_by_its_new_entries_all_or_nothing() {
    let (server, cleo, case) = practice();
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let r = Revision::parse(&v1).unwrap();
    let mut trail = AuditTrail::new();
    let entries: Vec<Vec<u8>> = (0..5u64)
        .map(|i| {
            case.append_audit(
                &cleo,
                &mut trail,
                &event(AuditAction::Edit, &r),
                T0 + 20 + i,
            )
            .unwrap()
        })
        .collect();
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let full = sam.verify_audit(&sam_ws, &refs(&entries), None).unwrap();
    // Sam kept the first two; the server then serves the rest (`?after=1`).
    let mut kept = sam
        .verify_audit(&sam_ws, &refs(&entries[..2]), None)
        .unwrap();
    sam.extend_audit(&sam_ws, &mut kept, &refs(&entries[2..]))
        .unwrap();
    assert_eq!(kept.len(), 5);
    assert_eq!(kept.head(), full.head());
    assert_eq!(kept.records(), full.records());
    // Attack: an extension that skips, replays or alters an entry is refused, and the kept
    // trail stays as it was, ready for an honest answer.
    let mut kept = sam
        .verify_audit(&sam_ws, &refs(&entries[..2]), None)
        .unwrap();
    let before = kept.clone();
    let mut altered = entries[3].clone();
    let n = altered.len();
    altered[n - 70] ^= 1;
    for (served, expected) in [
        (vec![&entries[3][..], &entries[4]], "broken_chain"),
        (vec![&entries[1][..], &entries[2]], "broken_chain"),
        (
            vec![&entries[2][..], &altered, &entries[4]],
            "bad_signature",
        ),
    ] {
        assert_eq!(
            code(sam.extend_audit(&sam_ws, &mut kept, &served)),
            expected
        );
        assert_eq!(
            (kept.records(), kept.head(), kept.total_bytes()),
            (before.records(), before.head(), before.total_bytes())
        );
    }
    sam.extend_audit(&sam_ws, &mut kept, &refs(&entries[2..]))
        .unwrap();
    assert_eq!(kept.head(), full.head());
    // The caps hold across calls, refused on lengths alone: past MAX_AUDIT_ENTRIES in all,
    // and past MAX_AUDIT_BYTES in fewer entries, each with a long note.
    let many = vec![&entries[0][..]; MAX_AUDIT_ENTRIES];
    assert_eq!(
        code(sam.extend_audit(&sam_ws, &mut kept, &many)),
        "log_too_large"
    );
    let mut long = event(AuditAction::Export, &r);
    long.note = "n".repeat(1024);
    let long = case
        .append_audit(&cleo, &mut trail, &long, T0 + 30)
        .unwrap();
    let count = MAX_AUDIT_BYTES / long.len() + 1;
    assert!(count < MAX_AUDIT_ENTRIES - kept.len());
    assert_eq!(
        code(sam.extend_audit(&sam_ws, &mut kept, &vec![&long[..]; count])),
        "log_too_large"
    );
    assert_eq!(kept.len(), 5);
}

#[test]
fn the_headers_a_server_checks_parse_without_a_log_and_chain_by_the_entry_hash() {
    let (server, cleo, case) = practice();
    let (_, v1) = write(&case, &cleo, "one", None, T0 + 10);
    let rev1 = Revision::parse(&v1).unwrap();
    let mut trail = AuditTrail::new();
    let mut entries = Vec::new();
    for action in [AuditAction::Create, AuditAction::SignOff] {
        entries.push(
            case.append_audit(&cleo, &mut trail, &event(action, &rev1), T0 + 30)
                .unwrap(),
        );
    }
    let first = AuditEntryHeader::parse(&entries[0]).unwrap();
    let second = AuditEntryHeader::parse(&entries[1]).unwrap();
    assert_eq!((first.seq, first.prev_hash), (0, [0; 32]));
    assert_eq!(second.seq, 1);
    assert_eq!(second.prev_hash, audit_entry_hash(&entries[0]));
    assert_eq!(trail.head().unwrap().hash, audit_entry_hash(&entries[1]));
    assert_eq!(
        (
            first.workspace_id,
            first.case_id,
            first.author_id,
            first.time
        ),
        (cleo.id(), case.id(), id(&member(CLEO)), T0 + 30)
    );
    let mut long = entries[0].clone();
    long.push(0);
    for bad in [&entries[0][..187], &long[..]] {
        assert_eq!(code(AuditEntryHeader::parse(bad)), "malformed");
    }
    let sam_ws = server.workspace(SAM).unwrap();
    let sam = server.case(&sam_ws, None).unwrap();
    let signed = sam.sign_off(&sam_ws, &rev1, T0 + 11).unwrap();
    let header = SignOffHeader::parse(&signed).unwrap();
    assert_eq!(
        (
            header.revision_number,
            header.revision_hash,
            header.signer_id,
            header.case_id
        ),
        (1, rev1.hash(), id(&member(SAM)), case.id())
    );
    assert_eq!(code(SignOffHeader::parse(&signed[..183])), "malformed");
}

#[test]
fn a_blind_index_matches_equal_names_within_an_epoch_and_nothing_else() {
    let (server, cleo, _) = practice();
    let dan = server.workspace(DAN).unwrap();
    let index = |ws: &Workspace, text: &str| ws.blind_index(text, 0).unwrap();
    // Case and whitespace do not matter; the name does.
    assert_eq!(index(&cleo, "John  Doe"), index(&dan, " john doe "));
    assert_ne!(index(&cleo, "John Doe"), index(&cleo, "Jon Doe"));
    assert_eq!(index(&cleo, "John Doe")[..4], [0, 0, 0, 0]);
    // Another workspace's key gives another index for the same name.
    let other = Workspace::create(member(9), T0).unwrap();
    assert_ne!(index(&cleo, "John Doe"), index(&other, "John Doe"));
    assert_eq!(
        code(
            cleo.blind_index("John Doe", 7)
                .map_err(IntegrityError::from)
        ),
        "unknown_epoch"
    );
    assert_eq!(
        code(cleo.blind_index("   ", 0).map_err(IntegrityError::from)),
        "invalid_argument"
    );
    assert_eq!(
        code(
            cleo.blind_index(&"x".repeat(1025), 0)
                .map_err(IntegrityError::from)
        ),
        "invalid_argument"
    );
}

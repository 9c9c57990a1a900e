//! FORMAT.md#revisions, #sign-off, #audit-trail and #blind-index: one client's note revised
//! by two clinicians, signed off by their supervisor and audited, on a case of its own in the
//! practice of `cases.rs`; and the ways a server can tamper with each.

use std::path::Path;

use confide::integrity::{AuditAction, AuditEvent, AuditTrail, Revision};
use confide::rng::seeded_rng;
use confide::{
    Case, CaseLoadInput, ContentType, EncryptOptions, Level, RecordContext, Workspace, WriteOptions,
};

use crate::cases::{CLEO, CaseStore, DAN, MIA, SAM, WorkspaceView, id, signing_key};
use crate::{T0, Vector, flip, hexes};

const CTX: RecordContext<'static> = RecordContext {
    record_id: "session-3",
    field: "note",
};

const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

/// Offsets in a revision (FORMAT.md#revision): the version byte and the author id.
const REVISION_VERSION: usize = 3;
const REVISION_AUTHOR: usize = 73;
/// Offset of the signer id in a sign-off (FORMAT.md#sign-off).
const SIGN_OFF_SIGNER: usize = 72;

fn load_case(ws: &Workspace, store: &CaseStore, n: u8) -> Case {
    let log: Vec<&[u8]> = store.log.iter().map(Vec::as_slice).collect();
    let grants = store.grants_of(n);
    let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
    Case::load(
        ws,
        &CaseLoadInput {
            log: &log,
            grants: &grants,
            pinned_head: None,
        },
    )
    .expect("the case loads")
}

fn event(action: AuditAction, revision: &[u8]) -> AuditEvent {
    let r = Revision::parse(revision).expect("revision");
    AuditEvent {
        action,
        record_id: r.record_id().into(),
        field: r.field().into(),
        revision_number: r.number(),
        revision_hash: r.hash(),
        note: String::new(),
    }
}

/// A revision vector: the history, the latest record (if any) and the reader's pin.
fn history(
    v: Vector,
    revisions: &[&[u8]],
    record: Option<&[u8]>,
    ctx: &RecordContext<'_>,
    pin: Option<String>,
) -> Vector {
    let mut v = v
        .with("revisions", hexes(revisions))
        .with("record id", ctx.record_id)
        .with("field", ctx.field);
    if let Some(record) = record {
        v = v.hex("record", record);
    }
    if let Some(pin) = pin {
        v = v.with("pin", pin);
    }
    v
}

/// What a reader learns from a history that verifies: the latest revision and the new pin.
fn opened(v: Vector, latest: &Revision, plaintext: Option<&[u8]>) -> Vector {
    let kind = match latest.kind() {
        confide::integrity::RevisionKind::Write => "write",
        confide::integrity::RevisionKind::Delete => "delete",
        _ => unreachable!("a revision kind this generator does not know"),
    };
    let mut v = v
        .with("revision kind", kind)
        .with("revision number", latest.number().to_string())
        .hex("author", &latest.author_id())
        .with("time", latest.time().to_string())
        .with("new pin", latest.pin().to_base64url());
    if let Some(plaintext) = plaintext {
        v = v.hex("plaintext", plaintext);
    }
    v
}

#[allow(clippy::too_many_lines)] // one practice, written once, read top to bottom
pub fn integrity_vectors(dir: &Path, view: &WorkspaceView) {
    let cleo = view.load(CLEO);
    let dan = view.load(DAN);
    let sam = view.load(SAM);

    // A case of its own: Cleo creates it, adds Dan (full) and Sam (summary).
    let mut store = CaseStore::default();
    let (mut case, created) =
        Case::create_with_rng(&cleo, T0 + 400, 0, &mut seeded_rng([80; 32])).expect("case");
    store.publish(created);
    let mut dan_early = None;
    for (n, level, seed) in [(DAN, Level::Full, 81), (SAM, Level::Summary, 82)] {
        let change = case
            .add_with_rng(&cleo, &id(n), level, T0 + 401, &mut seeded_rng([seed; 32]))
            .expect("add");
        store.publish(change);
        if n == DAN {
            // Dan's view of the case before Sam joined (epoch 1), kept for a stale sign-off.
            dan_early = Some(load_case(&dan, &store, DAN));
        }
    }
    let dan_early = dan_early.expect("Dan's early view");
    let dan_case = load_case(&dan, &store, DAN);

    // Cleo writes revision 1; Dan edits it (revision 2); another revision 2 on a fork.
    let write = |c: &Case, ws: &Workspace, text: &[u8], prev: Option<&[u8]>, t, seed| {
        let previous = prev.map(|p| Revision::parse(p).expect("previous"));
        let options = WriteOptions {
            encrypt: TEXT,
            level: Level::Full,
            previous: previous.as_ref(),
            now: t,
        };
        c.write_with_rng(ws, text, &CTX, &options, &mut seeded_rng([seed; 32]))
            .expect("write")
    };
    let text1: &[u8] = b"Intake: panic attacks since March.";
    let text2: &[u8] = b"Intake: panic attacks since March; no medication.";
    let w1 = write(&case, &cleo, text1, None, T0 + 410, 83);
    let w2 = write(&dan_case, &dan, text2, Some(&w1.revision), T0 + 420, 84);
    let w2b = write(
        &case,
        &cleo,
        b"Intake: another second version.",
        Some(&w1.revision),
        T0 + 421,
        85,
    );
    let v1 = w1.revision.as_slice();
    let v2 = w2.revision.as_slice();
    let rev2 = Revision::parse(v2).expect("revision 2");
    let pin1 = Revision::parse(v1)
        .expect("revision 1")
        .pin()
        .to_base64url();
    let pin2 = rev2.pin().to_base64url();
    let base = |name, expect: &str, comment: &str, n| view.vector(name, expect, comment, n, &store);
    let kind = |v: Vector, k: &str| v.with("kind", k);

    opened(
        history(
            kind(base("revision", "success", "Cleo writes revision 1 of a note and Dan edits it (revision 2); Cleo opens the history, with no pin, and reads Dan's text", CLEO), "revision"),
            &[v1, v2],
            Some(&w2.record),
            &CTX,
            None,
        ),
        &rev2,
        Some(text2),
    )
    .write(dir);
    opened(
        history(
            kind(
                base(
                    "revision_after_pin",
                    "success",
                    "Cleo pinned revision 1 and is given it and revision 2, which continues it",
                    CLEO,
                ),
                "revision",
            ),
            &[v1, v2],
            Some(&w2.record),
            &CTX,
            Some(pin1.clone()),
        ),
        &rev2,
        Some(text2),
    )
    .write(dir);
    history(
        kind(base("revision_after_pin_only", "broken_chain", "Cleo pinned revision 1 and is given only revision 2: the pinned revision's state is needed to check it", CLEO), "revision"),
        &[v2],
        Some(&w2.record),
        &CTX,
        Some(pin1.clone()),
    )
    .write(dir);
    let tomb = case
        .delete_record(&cleo, &CTX, &rev2, T0 + 430)
        .expect("tombstone");
    opened(
        history(
            kind(base("revision_deleted", "success", "Cleo deletes the note: the history ends in her signed tombstone and no record is given", CLEO), "revision"),
            &[v1, v2, &tomb],
            None,
            &CTX,
            None,
        ),
        &Revision::parse(&tomb).expect("tombstone"),
        None,
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_rollback",
                "rollback_detected",
                "Cleo pinned revision 2 and is served revision 1 alone",
                CLEO,
            ),
            "revision",
        ),
        &[v1],
        Some(&w1.record),
        &CTX,
        Some(pin2.clone()),
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_fork",
                "fork_detected",
                "Cleo pinned Dan's revision 2 and is served another revision 2",
                CLEO,
            ),
            "revision",
        ),
        &[v1, &w2b.revision],
        Some(&w2b.record),
        &CTX,
        Some(pin2.clone()),
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_fork_in_history",
                "fork_detected",
                "two revisions with the same parent in one history",
                CLEO,
            ),
            "revision",
        ),
        &[v1, v2, &w2b.revision],
        Some(&w2b.record),
        &CTX,
        None,
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_broken_chain",
                "broken_chain",
                "the history reordered: revision 2 before revision 1",
                CLEO,
            ),
            "revision",
        ),
        &[v2, v1],
        Some(&w1.record),
        &CTX,
        None,
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_record_mismatch",
                "record_mismatch",
                "the history ends in revision 2 but the record given is revision 1's",
                CLEO,
            ),
            "revision",
        ),
        &[v1, v2],
        Some(&w1.record),
        &CTX,
        None,
    )
    .write(dir);
    let other_ctx = RecordContext {
        record_id: "session-4",
        field: "note",
    };
    history(
        kind(
            base(
                "revision_other_record",
                "record_mismatch",
                "the note's history given for another record id",
                CLEO,
            ),
            "revision",
        ),
        &[v1, v2],
        Some(&w2.record),
        &other_ctx,
        None,
    )
    .write(dir);
    let mut as_cleo = w2.revision.clone();
    as_cleo[REVISION_AUTHOR..REVISION_AUTHOR + 32].copy_from_slice(&id(CLEO));
    history(
        kind(
            base(
                "revision_other_author",
                "bad_signature",
                "Dan's revision 2 with its author id rewritten to Cleo's",
                CLEO,
            ),
            "revision",
        ),
        &[v1, &as_cleo],
        Some(&w2.record),
        &CTX,
        None,
    )
    .write(dir);
    for (name, n, comment) in [
        (
            "revision_author_summary",
            SAM,
            "Dan's revision 2 with its author id rewritten to Sam's, a summary member",
        ),
        (
            "revision_author_off_case",
            MIA,
            "Dan's revision 2 with its author id rewritten to Mia's, an admin on no case",
        ),
    ] {
        let mut forged = w2.revision.clone();
        forged[REVISION_AUTHOR..REVISION_AUTHOR + 32].copy_from_slice(&id(n));
        history(
            kind(base(name, "not_authorized", comment, CLEO), "revision"),
            &[v1, &forged],
            Some(&w2.record),
            &CTX,
            None,
        )
        .write(dir);
    }
    let mut v9 = w1.revision.clone();
    v9[REVISION_VERSION] = 9;
    history(
        kind(
            base(
                "revision_unsupported_version",
                "unsupported_version",
                "revision 1 with version 9",
                CLEO,
            ),
            "revision",
        ),
        &[&v9],
        Some(&w1.record),
        &CTX,
        None,
    )
    .write(dir);
    history(
        kind(
            base(
                "revision_truncated",
                "malformed",
                "revision 1 without its last byte",
                CLEO,
            ),
            "revision",
        ),
        &[&w1.revision[..w1.revision.len() - 1]],
        Some(&w1.record),
        &CTX,
        None,
    )
    .write(dir);

    // Sam signs off Dan's revision 2; Dan then edits again (revision 3).
    let sam_case = load_case(&sam, &store, SAM);
    let sign_off = sam_case.sign_off(&sam, &rev2, T0 + 440).expect("sign-off");
    let w3 = write(
        &dan_case,
        &dan,
        b"Intake: revised after sign-off.",
        Some(v2),
        T0 + 450,
        86,
    );
    let sign_off_vector = |name, expect: &str, comment: &str, s: &[u8], r: &[u8]| {
        kind(base(name, expect, comment, CLEO), "sign-off")
            .hex("sign-off", s)
            .hex("revision", r)
    };
    sign_off_vector(
        "sign_off",
        "success",
        "Sam, at summary level, signs off Dan's revision 2; Cleo verifies it",
        &sign_off,
        v2,
    )
    .hex("signer", &id(SAM))
    .with("time", (T0 + 440).to_string())
    .with("revision number", "2")
    .write(dir);
    sign_off_vector(
        "sign_off_mismatch",
        "signoff_mismatch",
        "Sam's sign-off of revision 2 shown beside revision 3, written after it",
        &sign_off,
        &w3.revision,
    )
    .write(dir);
    sign_off_vector(
        "sign_off_bad_signature",
        "bad_signature",
        "Sam's sign-off with its time changed",
        &flip(&sign_off, 115),
        v2,
    )
    .write(dir);
    let stale = dan_early
        .sign_off(&dan, &rev2, T0 + 441)
        .expect("stale sign-off");
    sign_off_vector("sign_off_older_than_revision", "broken_chain", "Dan signs off revision 2 from his view of the case before Sam joined: a key epoch below the revision's", &stale, v2).write(dir);
    let mut by_mia = sign_off.clone();
    by_mia[SIGN_OFF_SIGNER..SIGN_OFF_SIGNER + 32].copy_from_slice(&id(MIA));
    sign_off_vector(
        "sign_off_not_authorized",
        "not_authorized",
        "Sam's sign-off with its signer rewritten to Mia, on no case",
        &by_mia,
        v2,
    )
    .write(dir);

    // The audit trail: Cleo records the create, Dan the edit, Sam the sign-off.
    let mut trail = AuditTrail::new();
    let mut entries: Vec<Vec<u8>> = Vec::new();
    for (c, ws, action, revision, seed) in [
        (&case, &cleo, AuditAction::Create, v1, 87),
        (&dan_case, &dan, AuditAction::Edit, v2, 88),
        (&sam_case, &sam, AuditAction::SignOff, v2, 89),
    ] {
        let t = T0 + 460 + u64::from(seed);
        entries.push(
            c.append_audit_with_rng(
                ws,
                &mut trail,
                &event(action, revision),
                t,
                &mut seeded_rng([seed; 32]),
            )
            .expect("audit entry"),
        );
    }
    let head = trail.head().expect("head").to_base64url();
    let audit_vector = |name, expect: &str, comment: &str, e: &[&[u8]]| {
        kind(base(name, expect, comment, SAM), "audit").with("audit entries", hexes(e))
    };
    audit_vector("audit", "success", "Sam, at summary level, verifies the case's trail of three entries (create by Cleo, edit by Dan, sign-off by Sam) and reads their bodies", &refs(&entries))
        .with("audit head", head.as_str())
        .with("audit actions", "create edit sign-off")
        .with("audit authors", hexes(&[&id(CLEO), &id(DAN), &id(SAM)]))
        .with("audit revisions", "1 2 2")
        .write(dir);
    audit_vector(
        "audit_dropped",
        "broken_chain",
        "the middle entry dropped",
        &[&entries[0], &entries[2]],
    )
    .write(dir);
    audit_vector(
        "audit_reordered",
        "broken_chain",
        "the first two entries swapped",
        &[&entries[1], &entries[0], &entries[2]],
    )
    .write(dir);
    let altered = flip(&entries[1], entries[1].len() - 70);
    audit_vector(
        "audit_altered",
        "bad_signature",
        "a byte of the middle entry's body changed",
        &[&entries[0], &altered, &entries[2]],
    )
    .write(dir);
    audit_vector(
        "audit_rollback",
        "rollback_detected",
        "Sam pinned the head of three entries and is served two",
        &[&entries[0], &entries[1]],
    )
    .with("audit pin", head.as_str())
    .write(dir);

    // Dan's entry with its body replaced by bytes that open to nothing, signed again by Dan:
    // shown as unreadable, attributed to him, and the trail still verifies.
    let mut garbled = entries[1].clone();
    let body_end = garbled.len() - 64;
    for (i, b) in garbled[124..body_end].iter_mut().enumerate() {
        *b = u8::try_from(i % 251).expect("byte");
    }
    let mut signed = b"confide/v1/audit-entry\x00".to_vec();
    signed.extend_from_slice(&garbled[..body_end]);
    {
        use ed25519_dalek::Signer as _;
        let signature = signing_key(DAN).sign(&signed).to_bytes();
        garbled[body_end..].copy_from_slice(&signature);
    }
    let garbled_head = {
        use base64ct::Encoding as _;
        use sha2::Digest as _;
        let hash = sha2::Sha256::new()
            .chain_update(b"confide/v1/audit-entry-hash\x00")
            .chain_update(&garbled)
            .finalize();
        let mut head = 1u32.to_be_bytes().to_vec();
        head.extend_from_slice(&hash);
        base64ct::Base64UrlUnpadded::encode_string(&head)
    };
    audit_vector("audit_unreadable", "success", "Dan's entry with a body that does not open, signed by Dan: shown as unreadable, attributed to him; the trail verifies", &[&entries[0], &garbled])
        .with("audit head", garbled_head)
        .with("audit actions", "create unreadable")
        .with("audit authors", hexes(&[&id(CLEO), &id(DAN)]))
        .with("audit revisions", "1 -")
        .write(dir);

    // The blind index of a client's name under the workspace's epoch 0 (FORMAT.md#blind-index).
    let name = "Zoë  MARTIN";
    let index = cleo.blind_index(name, 0).expect("index");
    kind(base("blind_index", "success", "Cleo's blind index of a client's name, typed with two spaces and capitals, under epoch 0", CLEO), "blind index")
        .with("text", name)
        .with("normalized text", "zoë martin")
        .with("epoch", "0")
        .hex("blind index", &index)
        .write(dir);
    kind(
        base(
            "blind_index_empty",
            "invalid_argument",
            "a name of white space only",
            CLEO,
        ),
        "blind index",
    )
    .with("text", "   ")
    .with("epoch", "0")
    .write(dir);
}

fn refs(items: &[Vec<u8>]) -> Vec<&[u8]> {
    items.iter().map(Vec::as_slice).collect()
}

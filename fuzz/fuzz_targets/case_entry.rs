//! Case log entries (FORMAT.md#case-log-entry, #verifying-a-case-log): any bytes, against a
//! parser and a verifier written from FORMAT.md alone. An entry that parses is verified
//! where it claims to go: after the prefix of the practice's logs (the case's, its fork,
//! the deleted case's) whose last entry its previous hash names. It is checked as received,
//! and again re-signed by the member its signer id names, as an insider could, so that the
//! rules behind the signature are reached. The core must give the spec's outcome, error code
//! included; an entry it takes changes the state exactly as the spec says; and one it refuses
//! leaves the log as it was (the genuine next entry still follows).
#![no_main]
use std::collections::BTreeMap;

use confide::{CaseLog, ErrorCode, Level, MembershipLog};
use confide_fuzz::{CaseState, case_entry_hash, case_entry_signed, practice, resign_case_entry};
use libfuzzer_sys::fuzz_target;

const ID: usize = 32;

/// An entry as FORMAT.md#case-log-entry lays it out.
struct Entry<'a> {
    bytes: &'a [u8],
    workspace_id: &'a [u8],
    case_id: &'a [u8],
    seq: u32,
    prev_hash: &'a [u8],
    signer: [u8; ID],
    workspace_seq: u32,
    time: u64,
    kind: u8,
    body: &'a [u8],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn id_at(b: &[u8], at: usize) -> [u8; ID] {
    b[at..at + ID].try_into().expect("32 bytes")
}

fn level(byte: u8) -> Level {
    if byte == 1 {
        Level::Full
    } else {
        Level::Summary
    }
}

/// Parsing, in the order FORMAT.md#case-log-entry gives.
fn parse(b: &[u8]) -> Result<Entry<'_>, &'static str> {
    if b.len() < 4 || &b[..3] != b"CFC" {
        return Err("malformed");
    }
    if b[3] != 1 {
        return Err("unsupported_version");
    }
    if b.len() < 181 {
        return Err("malformed");
    }
    let kind = b[116];
    let body = &b[117..b.len() - 64];
    let len = match kind {
        1 => 72,
        2 | 4 => 101,
        3 => 100,
        5 => 68,
        6 => 36,
        7 => 8,
        8 => 0,
        _ => return Err("malformed"),
    };
    if body.len() != len || (matches!(kind, 2 | 4) && !matches!(body[32], 1 | 2)) {
        return Err("malformed");
    }
    Ok(Entry {
        bytes: b,
        workspace_id: &b[4..20],
        case_id: &b[20..36],
        seq: u32_at(b, 36),
        prev_hash: &b[40..72],
        signer: id_at(b, 72),
        workspace_seq: u32_at(b, 104),
        time: u64_at(b, 108),
        kind,
        body,
    })
}

/// The signer rule of FORMAT.md#verifying-a-case-log.
fn signer_rule(ws: &MembershipLog, e: &Entry<'_>) -> Result<(), &'static str> {
    if e.workspace_seq > ws.head().seq() {
        return Err("workspace_out_of_date");
    }
    if !ws.was_member_at(&e.signer, e.workspace_seq) {
        return Err("unknown_signer");
    }
    if !case_entry_signed(e.bytes) {
        return Err("bad_signature");
    }
    Ok(())
}

/// Members and levels, as a map.
fn levels(state: &CaseState) -> BTreeMap<[u8; ID], Level> {
    state.members.iter().copied().collect()
}

/// The state after the entry, or the error code, by FORMAT.md#verifying-a-case-log.
/// `before` is the verified prefix (none for entry 0) and its last entry.
fn expect(
    ws: &MembershipLog,
    before: Option<(&CaseState, &[u8])>,
    e: &Entry<'_>,
) -> Result<(u32, BTreeMap<[u8; ID], Level>, u64, bool), &'static str> {
    let Some((state, last)) = before else {
        // Step 2.
        if e.kind != 1 {
            return Err("malformed");
        }
        if e.seq != 0 || e.prev_hash != [0u8; 32] {
            return Err("broken_chain");
        }
        if e.workspace_id != ws.workspace_id().as_bytes() {
            return Err("wrong_workspace");
        }
        signer_rule(ws, e)?;
        return Ok((
            0,
            BTreeMap::from([(e.signer, Level::Full)]),
            u64_at(e.body, 0),
            false,
        ));
    };
    let head = state.head.to_bytes();
    // Step 3.
    if e.seq != state.head.seq() + 1
        || e.prev_hash != case_entry_hash(last)
        || e.workspace_id != &last[4..20]
        || e.case_id != &head[..16]
    {
        return Err("broken_chain");
    }
    // Steps 4 to 8.
    if state.deleted {
        return Err("case_deleted");
    }
    if e.workspace_seq < u32_at(last, 104) {
        return Err("broken_chain");
    }
    signer_rule(ws, e)?;
    let mut members = levels(state);
    if members.get(&e.signer) != Some(&Level::Full) {
        return Err("not_authorized");
    }
    let mut epoch = state.epoch;
    if (2..=5).contains(&e.kind) {
        // `u32(new epoch) || checks(new epoch)` end the body of kinds 2 to 5.
        let new_epoch = u32_at(e.body, e.body.len() - 68);
        if Some(new_epoch) != epoch.checked_add(1) {
            return Err("broken_chain");
        }
        epoch = new_epoch;
    }
    let fulls = members.values().filter(|l| **l == Level::Full).count();
    let mut retention = state.retention_until;
    let mut deleted = false;
    // Step 9 (a create entry after entry 0 is not one of its kinds: malformed).
    match e.kind {
        1 => return Err("malformed"),
        2 => {
            let m = id_at(e.body, 0);
            if !ws.was_member_at(&m, e.workspace_seq) {
                return Err("not_a_member");
            }
            if members.contains_key(&m) {
                return Err("already_member");
            }
            members.insert(m, level(e.body[32]));
        }
        3 => {
            let m = id_at(e.body, 0);
            if m == e.signer {
                return Err("cannot_remove_self");
            }
            let Some(current) = members.remove(&m) else {
                return Err("not_a_member");
            };
            if current == Level::Full && fulls < 2 {
                return Err("last_holder");
            }
        }
        4 => {
            let m = id_at(e.body, 0);
            let Some(current) = members.get(&m).copied() else {
                return Err("not_a_member");
            };
            let new = level(e.body[32]);
            if current == Level::Full && new != Level::Full && fulls < 2 {
                return Err("last_holder");
            }
            members.insert(m, new);
        }
        5 => {}
        6 => {
            if !members.contains_key(&id_at(e.body, 0)) {
                return Err("not_a_member");
            }
            if u32_at(e.body, ID) > state.epoch {
                return Err("unknown_epoch");
            }
        }
        7 => retention = u64_at(e.body, 0),
        _ => {
            if e.time < state.retention_until {
                return Err("under_retention");
            }
            deleted = true;
        }
    }
    Ok((epoch, members, retention, deleted))
}

/// Verifies `bytes` after `prefix` (a verified log, or none for entry 0) and compares with
/// the model. A refused entry leaves `prefix` as it was.
fn check(ws: &MembershipLog, prefix: &mut Option<CaseLog>, last: Option<&[u8]>, bytes: &[u8]) {
    let entry = parse(bytes).expect("parsed before");
    let before = prefix.as_ref().map(CaseState::of);
    let expected = expect(ws, before.as_ref().zip(last), &entry);
    let (got, after) = match prefix {
        Some(log) => {
            let got = log.push(ws, bytes.to_vec());
            (got, Some(CaseState::of(log)))
        }
        None => match CaseLog::verify(ws, vec![bytes.to_vec()]) {
            Ok(log) => (Ok(()), Some(CaseState::of(&log))),
            Err(e) => (Err(e), None),
        },
    };
    let got = got.map_err(|e| e.code());
    assert_eq!(
        got.is_ok(),
        expected.is_ok(),
        "core {got:?}, spec {:?}",
        expected.as_ref().err()
    );
    match (expected, after) {
        (Ok((epoch, members, retention, deleted)), Some(after)) => {
            let head = after.head.to_bytes();
            assert_eq!(after.head.seq(), entry.seq);
            assert_eq!(&head[..16], entry.case_id);
            assert_eq!(head[20..], case_entry_hash(bytes));
            assert_eq!(after.epoch, epoch);
            assert_eq!(levels(&after), members);
            assert_eq!(after.retention_until, retention);
            assert_eq!(after.deleted, deleted);
        }
        (Err(code), after) => {
            assert_eq!(got, Err(code));
            // Refused: the log is as it was.
            assert_eq!(after, before);
        }
        (Ok(_), None) => unreachable!("accepted without a log"),
    }
}

fuzz_target!(|data: &[u8]| {
    let p = practice();
    let ws = p.membership();
    let entry = match parse(data) {
        Ok(entry) => entry,
        Err(code) => {
            let got = CaseLog::verify(ws, vec![data.to_vec()]).map(|_| ());
            assert_eq!(got.map_err(|e| e.code()), Err(code));
            return;
        }
    };
    // The prefix the entry continues: the one whose last entry its previous hash names,
    // else as much of the case's log as its seq asks for.
    let k = usize::try_from(entry.seq).unwrap_or(usize::MAX);
    let (log, k) = p
        .logs()
        .into_iter()
        .find(|l| {
            (k == 0 && !l.is_empty())
                || l.get(k.wrapping_sub(1))
                    .is_some_and(|last| case_entry_hash(last) == entry.prev_hash)
        })
        .map_or((p.logs()[0], k.min(p.log.len())), |l| (l, k));
    let mut prefix = (k > 0).then(|| {
        CaseLog::verify(ws, log[..k].to_vec()).expect("a prefix of the practice's logs verifies")
    });
    let last = k.checked_sub(1).map(|i| log[i].as_slice());
    check(ws, &mut prefix, last, data);
    if !case_entry_signed(data) {
        if let Some(resigned) = resign_case_entry(data) {
            check(ws, &mut prefix, last, &resigned);
        }
    }
    // Both refused: the genuine next entry still follows.
    if let (Some(prefix), Some(next)) = (prefix.as_mut(), log.get(k)) {
        if prefix.len() == k {
            prefix
                .push(ws, next.clone())
                .expect("the genuine next entry follows");
        }
    }
});

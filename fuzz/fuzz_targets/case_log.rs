//! Whole case logs (FORMAT.md#verifying-a-case-log) against the practice's membership log:
//! entries framed as `u16 length || bytes`. No one but the practice's members signs, so a
//! log that verifies is a prefix of one of the practice's logs (the case's, its fork, the
//! deleted case's), in the state that prefix verifies to; every such prefix verifies; and
//! entry by entry it verifies to the same state, or fails with the same error.
#![no_main]
use confide::limits::{MAX_CASE_LOG_BYTES, MAX_CASE_LOG_ENTRIES};
use confide::{CaseLog, ErrorCode};
use confide_fuzz::{CaseState, framed, practice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = practice();
    let ws = p.membership();
    let entries: Vec<Vec<u8>> = framed(data).into_iter().map(<[u8]>::to_vec).collect();
    let k = entries.len();
    let genuine = p
        .logs()
        .into_iter()
        .zip(&p.states)
        .find(|(log, _)| k > 0 && log.get(..k) == Some(entries.as_slice()))
        .map(|(_, states)| &states[k - 1]);
    let whole = CaseLog::verify(ws, entries.clone());
    match (&whole, genuine) {
        (Ok(log), Some(state)) => assert_eq!(&CaseState::of(log), state),
        (Ok(_), None) => panic!("a log no member wrote verifies"),
        (Err(e), Some(_)) => panic!("a prefix of a genuine log fails: {e}"),
        (Err(_), None) => {}
    }
    // Entry by entry (within the limits, which the whole log checks first).
    let within = k <= MAX_CASE_LOG_ENTRIES && data.len() <= MAX_CASE_LOG_BYTES;
    let mut entries = entries.into_iter();
    let stepwise = entries.next().map(|first| {
        let mut log = CaseLog::verify(ws, vec![first])?;
        entries.try_for_each(|e| log.push(ws, e)).map(|()| log)
    });
    match (whole, stepwise) {
        (Ok(a), Some(Ok(b))) => assert_eq!(CaseState::of(&a), CaseState::of(&b)),
        (Err(a), Some(Err(b))) => assert!(!within || a.code() == b.code(), "{a} / {b}"),
        (Err(_), None) => {} // no entry
        (a, b) => panic!(
            "whole {:?}, stepwise {:?}",
            a.map(|_| ()).map_err(|e| e.code()),
            b.map(|r| r.map(|_| ()).map_err(|e| e.code()))
        ),
    }
});

//! Structure-aware: the practice's case logs as a malicious server could serve them, edited
//! by fuzzed steps (flipped bytes, cut entries, dropped, replayed, swapped and truncated
//! entries, entries spliced in from the fork or the other case). The server holds no member's
//! key, so a log is accepted exactly when it is a prefix of one of the practice's logs, and
//! then in that prefix's state. Pushed entry by entry, skipping the refused ones, it must
//! still end as such a prefix: a refused entry changes nothing.
#![no_main]
use arbitrary::Arbitrary;
use confide::CaseLog;
use confide_fuzz::{CaseState, practice};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Edit {
    Flip { entry: u8, byte: u16, xor: u8 },
    Cut { entry: u8, len: u16 },
    Drop { entry: u8 },
    Replay { entry: u8, at: u8 },
    Swap { a: u8, b: u8 },
    Splice { from: u8, entry: u8, at: u8 },
    Truncate { len: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    base: u8,
    edits: Vec<Edit>,
}

/// The state of the practice's log that `entries` is a prefix of, if any.
fn genuine(entries: &[Vec<u8>]) -> Option<&'static CaseState> {
    let p = practice();
    let k = entries.len();
    p.logs()
        .into_iter()
        .zip(&p.states)
        .find(|(log, _)| k > 0 && log.get(..k) == Some(entries))
        .map(|(_, states)| &states[k - 1])
}

fn at(i: u8, len: usize) -> usize {
    usize::from(i) % len.max(1)
}

fuzz_target!(|input: Input| {
    if input.edits.len() > 8 {
        return;
    }
    let p = practice();
    let logs = p.logs();
    let mut log: Vec<Vec<u8>> = logs[usize::from(input.base) % logs.len()].to_vec();
    for edit in &input.edits {
        let n = log.len();
        if n == 0 {
            break;
        }
        match *edit {
            Edit::Flip { entry, byte, xor } => {
                let e = &mut log[at(entry, n)];
                let i = usize::from(byte) % e.len().max(1);
                if let Some(b) = e.get_mut(i) {
                    *b ^= xor.max(1);
                }
            }
            Edit::Cut { entry, len } => {
                let e = &mut log[at(entry, n)];
                e.truncate(usize::from(len) % (e.len() + 1));
            }
            Edit::Drop { entry } => {
                log.remove(at(entry, n));
            }
            Edit::Replay { entry, at: to } => {
                let e = log[at(entry, n)].clone();
                log.insert(at(to, n + 1), e);
            }
            Edit::Swap { a, b } => log.swap(at(a, n), at(b, n)),
            Edit::Splice {
                from,
                entry,
                at: to,
            } => {
                let other = logs[usize::from(from) % logs.len()];
                let e = other[at(entry, other.len())].clone();
                log.insert(at(to, n + 1), e);
            }
            Edit::Truncate { len } => log.truncate(usize::from(len) % (n + 1)),
        }
    }
    let ws = p.membership();
    let expected = genuine(&log);
    match (CaseLog::verify(ws, log.clone()), expected) {
        (Ok(verified), Some(state)) => assert_eq!(&CaseState::of(&verified), state),
        (Ok(_), None) => panic!("a log no member wrote verifies"),
        (Err(e), Some(_)) => panic!("a prefix of a genuine log fails: {e}"),
        (Err(_), None) => {}
    }
    // Entry by entry, skipping what is refused.
    let mut kept: Option<(CaseLog, Vec<Vec<u8>>)> = None;
    for e in log {
        match &mut kept {
            None => {
                if let Ok(first) = CaseLog::verify(ws, vec![e.clone()]) {
                    kept = Some((first, vec![e]));
                }
            }
            Some((verified, taken)) => {
                let before = CaseState::of(verified);
                if verified.push(ws, e.clone()).is_ok() {
                    taken.push(e);
                } else {
                    assert_eq!(
                        CaseState::of(verified),
                        before,
                        "a refused entry changed the log"
                    );
                }
            }
        }
    }
    if let Some((verified, taken)) = kept {
        let state = genuine(&taken).expect("only genuine entries are taken, in order");
        assert_eq!(&CaseState::of(&verified), state);
    }
});

//! Case heads (FORMAT.md#case-head): any text; a head that parses has one text, and pinned
//! against each of the practice's logs (the case's, its fork, the deleted case's) gives the
//! outcome FORMAT.md#case-head names, checked before the log is verified.
#![no_main]
use confide::{Case, CaseHead, CaseLoadInput, ErrorCode};
use confide_fuzz::{CLEO, case_entry_hash, practice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(head) = CaseHead::from_base64url(&text) else {
        return;
    };
    let written = head.to_base64url();
    assert_eq!(
        CaseHead::from_base64url(&written).expect("a written head parses"),
        head
    );
    assert_eq!(written, text.trim(), "a head has one text");
    let p = practice();
    let bytes = head.to_bytes();
    let seq = usize::try_from(head.seq()).unwrap_or(usize::MAX);
    for (i, served) in p.logs().into_iter().enumerate() {
        let expected = if bytes[..16] != served[0][20..36] {
            "wrong_case"
        } else if seq >= served.len() {
            "rollback_detected"
        } else if bytes[20..] != case_entry_hash(&served[seq]) {
            "fork_detected"
        } else if i == 2 {
            "case_deleted"
        } else {
            // Cleo is on the case; no grant is given.
            "missing_grant"
        };
        let log: Vec<&[u8]> = served.iter().map(Vec::as_slice).collect();
        let input = CaseLoadInput {
            log: &log,
            grants: &[],
            pinned_head: Some(head),
        };
        let got = Case::load(p.workspace(CLEO), &input).map(|_| ());
        assert_eq!(got.map_err(|e| e.code()), Err(expected), "log {i}");
    }
});

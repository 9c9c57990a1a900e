//! Case grants (FORMAT.md#case-grant, #loading-a-case): a member of the case loads it with
//! a fuzzed grant and its genuine grant of the current epoch; the member is the one the grant
//! names if on the case, else Sam. A grant refused for its signature is tried again re-signed
//! by the member its granter id names (an insider), to reach the HPKE opening and the key
//! checks. Whatever the grant, a case that loads holds only keys the member is entitled to,
//! and only the true ones: those its load with all its genuine grants holds.
#![no_main]
use confide::{Case, CaseLoadInput, ErrorCode, Level, MembershipError};
use confide_fuzz::{SAM, member_of, practice, resign_case_grant};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = practice();
    let n = data
        .get(41..73)
        .and_then(member_of)
        .filter(|n| p.case(*n).is_some())
        .unwrap_or(SAM);
    let reference = p.case(n).expect("a member of the case");
    let ws = p.workspace(n);
    let log: Vec<&[u8]> = p.log.iter().map(Vec::as_slice).collect();
    let epoch = reference.epoch().to_be_bytes();
    let current = p
        .grants_of(n)
        .into_iter()
        .find(|g| g[36..40] == epoch)
        .expect("a grant of the current epoch");
    let load = |grant: &[u8]| -> Result<Case, MembershipError> {
        let input = CaseLoadInput {
            log: &log,
            // The fuzzed one first: a load stops at the first grant refused.
            grants: &[grant, current],
            pinned_head: None,
        };
        Case::load(ws, &input)
    };
    let check = |case: &Case| {
        assert_eq!(case.head(), reference.head());
        assert_eq!(case.level(), reference.level());
        for e in case.held_epochs() {
            for level in [Level::Summary, Level::Full] {
                if let Some(key) = case.hazmat_key(e, level) {
                    assert_eq!(
                        Some(key),
                        reference.hazmat_key(e, level),
                        "epoch {e}, {level:?}"
                    );
                }
            }
        }
    };
    match load(data) {
        Ok(case) => check(&case),
        Err(e) => {
            assert!(
                !p.grants_of(n).contains(&data),
                "a genuine grant refused: {e}"
            );
            if e.code() == "bad_signature" {
                if let Some(Ok(case)) = resign_case_grant(data).map(|g| load(&g)) {
                    check(&case);
                }
            }
        }
    }
});

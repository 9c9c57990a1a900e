//! Audit trails (FORMAT.md#verifying-an-audit-trail): Sam verifies a fuzzed list of entries
//! (framed). A trail that verifies is a prefix of the genuine one, entry for entry.
#![no_main]
use confide_fuzz::{SAM, framed, integrity, practice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = practice();
    let fx = integrity();
    let case = p.case(SAM).expect("Sam is on the case");
    let ws = p.workspace(SAM);
    let entries = framed(data);
    if let Ok(trail) = case.verify_audit(ws, &entries, None) {
        assert!(
            entries.len() <= fx.audit.len(),
            "a trail longer than the genuine one verified"
        );
        for (e, g) in entries.iter().zip(&fx.audit) {
            assert_eq!(*e, g.as_slice(), "a forged audit entry verified");
        }
        assert_eq!(trail.records().len(), entries.len());
    }
});

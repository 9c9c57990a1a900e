//! Sign-offs (FORMAT.md#sign-off): a fuzzed sign-off shown beside each genuine revision.
//! Only Sam's genuine sign-off of revision 2, beside revision 2, verifies.
#![no_main]
use confide::integrity::Revision;
use confide_fuzz::{CLEO, integrity, practice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = practice();
    let fx = integrity();
    let case = p.case(CLEO).expect("Cleo is on the case");
    let ws = p.workspace(CLEO);
    for genuine in fx.genuine() {
        let revision = Revision::parse(genuine).expect("a genuine revision parses");
        if case.verify_sign_off(ws, data, &revision).is_ok() {
            assert_eq!(data, fx.sign_off.as_slice(), "a forged sign-off verified");
            assert_eq!(
                genuine,
                fx.history[1].as_slice(),
                "a sign-off verified beside another revision"
            );
        }
    }
});

//! Revision histories (FORMAT.md#verifying-a-history, #writing-and-opening-a-revised-record):
//! Cleo opens a fuzzed list of revisions (framed), with the pin the first byte picks (none,
//! revision 1's, revision 2's) and the genuine record of the last revision if there is one.
//! Whatever the server serves, a history that verifies holds only genuine revisions, and what
//! opens is the genuine record's text.
#![no_main]
use confide::integrity::Revision;
use confide_fuzz::{CASE_CTX, CLEO, framed, integrity, practice};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let p = practice();
    let fx = integrity();
    let case = p.case(CLEO).expect("Cleo is on the case");
    let ws = p.workspace(CLEO);
    let revisions = framed(rest);
    let pin = match pick % 3 {
        1 => Revision::parse(&fx.history[0]).ok().map(|r| r.pin()),
        2 => Revision::parse(&fx.history[1]).ok().map(|r| r.pin()),
        _ => None,
    };
    let record = revisions.last().and_then(|r| fx.record_of(r));
    if let Ok(opened) = case.open_history(ws, &CASE_CTX, &revisions, record, pin.as_ref(), None) {
        for r in &revisions {
            assert!(fx.genuine().any(|g| g == *r), "a forged revision verified");
        }
        assert_eq!(opened.revisions.len(), revisions.len());
        if let (Some((_, text)), Some(record)) = (&opened.latest, record) {
            let (_, genuine) = case
                .decrypt(record, &CASE_CTX)
                .expect("a genuine record opens");
            assert_eq!(**text, *genuine);
        }
    }
});

//! Whole logs (FORMAT.md#verifying-a-log): entries framed as `u16 length || bytes`. A log
//! that verifies verifies again entry by entry, to the same head.
#![no_main]
use confide::MembershipLog;
use confide_fuzz::framed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let entries = framed(data);
    if let Ok(log) = MembershipLog::verify(&entries) {
        let mut again = MembershipLog::from_genesis(entries[0].to_vec()).expect("genesis verified");
        for entry in &entries[1..] {
            again.push(entry.to_vec()).expect("entry verified");
        }
        assert_eq!(again.head(), log.head());
        assert_eq!(again.epoch(), log.epoch());
        assert!(log.members().count() >= 1);
    }
});

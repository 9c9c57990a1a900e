//! Acceptances (FORMAT.md#acceptance): bundle and signature checked at parse.
#![no_main]
use confide::Acceptance;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(acceptance) = Acceptance::parse(data) {
        assert_eq!(acceptance.as_bytes(), data);
    }
});

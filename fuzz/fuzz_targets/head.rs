//! Pinned heads (FORMAT.md#head): any text; a head that parses round-trips.
#![no_main]
use confide::Head;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(head) = Head::from_base64url(&text) {
        assert_eq!(
            Head::from_base64url(&head.to_base64url()).expect("written head parses"),
            head
        );
    }
});

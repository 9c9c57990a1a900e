//! Log entries (FORMAT.md#log-entry): structure, and the acceptance inside an admit entry.
#![no_main]
use confide::LogEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = LogEntry::parse(data) {
        assert_eq!(entry.as_bytes(), data);
        let _ = entry.hash();
    }
});

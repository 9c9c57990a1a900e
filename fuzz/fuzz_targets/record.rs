//! Records and record headers (FORMAT.md#record-header, #decrypting-a-record), one-shot.
#![no_main]
use confide::{RecordContext, RecordHeader};
use confide_fuzz::{CTX, workspace};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = RecordHeader::parse(data);
    let ws = workspace();
    if let Ok((_, plaintext)) = ws.decrypt(data, &CTX) {
        // Only the vectors' own records open: they hold at most 256 MiB.
        assert!(plaintext.len() <= confide::limits::MAX_ONE_SHOT_LEN);
    }
    // Another context never opens what this one did not.
    let other = RecordContext {
        record_id: "n-43",
        field: "body",
    };
    let _ = ws.decrypt(data, &other);
});

//! Records and record headers (FORMAT.md#record-header, #decrypting-a-record), one-shot; and
//! case records (FORMAT.md#case-records), opened as Cleo, who holds every key of the
//! practice's case, and as Sam, who holds fewer.
#![no_main]
use confide::{RecordContext, RecordHeader};
use confide_fuzz::{CASE_CTX, CLEO, CTX, SAM, practice, workspace};
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

    let p = practice();
    let by_cleo = p.case(CLEO).expect("on the case").decrypt(data, &CASE_CTX);
    let by_sam = p.case(SAM).expect("on the case").decrypt(data, &CASE_CTX);
    if let Ok((_, plaintext)) = &by_sam {
        // Sam's keys are Cleo's too.
        let (_, again) = by_cleo.as_ref().expect("what Sam opens, Cleo opens");
        assert_eq!(again, plaintext);
    }
    if let Ok((_, plaintext)) = &by_cleo {
        // Only the practice's own case records open, to their own plaintexts, and never
        // with the workspace's keys.
        assert!(
            p.records
                .iter()
                .any(|(r, q)| r == data && q.as_slice() == plaintext.as_slice())
        );
        let as_workspace = p.workspace(CLEO).decrypt(data, &CASE_CTX);
        assert!(as_workspace.is_err());
    }
});

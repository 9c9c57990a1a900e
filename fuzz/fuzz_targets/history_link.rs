//! History links (FORMAT.md#history-link, #loading-a-workspace step 12): Alice loads a
//! three-epoch workspace holding only the current epoch's grant, with fuzzed links (framed
//! as `u16 length || bytes`); a load that succeeds holds the true keys.
#![no_main]
use confide::{LoadInput, Workspace};
use confide_fuzz::{CTX, alice, framed, rotated};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = rotated();
    let log: Vec<&[u8]> = r.log.iter().map(Vec::as_slice).collect();
    let history = framed(data);
    let input = LoadInput {
        log: &log,
        grants: &[&r.grant],
        history: &history,
        pinned_head: Some(r.head),
        invite: None,
    };
    if let Ok(ws) = Workspace::load(alice(), &input) {
        assert_eq!(ws.epoch(), 2);
        // Whatever links it took, a record of epoch 2 round-trips.
        let record = ws
            .encrypt(
                b"x",
                &CTX,
                confide::EncryptOptions {
                    content_type: confide::ContentType::Bytes,
                    pad: false,
                },
            )
            .expect("encrypt");
        assert!(ws.decrypt(&record, &CTX).is_ok());
    }
});

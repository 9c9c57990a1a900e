//! The stream reader (FORMAT.md#streaming): the record pushed in pieces whose size the first
//! byte picks; it must agree with the one-shot reader.
#![no_main]
use confide::RecordDecryptor;
use confide_fuzz::{CTX, workspace};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&size, record)) = data.split_first() else {
        return;
    };
    let piece = usize::from(size).max(1) * 97;
    let ws = workspace();
    let Ok(mut dec) = RecordDecryptor::new(&CTX) else {
        return;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for part in record.chunks(piece) {
        match dec.push(ws, part) {
            Ok(p) => out.extend_from_slice(&p),
            Err(_) => {
                ok = false;
                // A failed decryptor stays failed.
                assert!(dec.push(ws, &[]).is_err());
                break;
            }
        }
    }
    let streamed = if ok {
        dec.finish().map(|p| {
            out.extend_from_slice(&p);
            out
        })
    } else {
        Err(confide::DecryptError::DecryptionFailed)
    };
    let one_shot = ws.decrypt(record, &CTX);
    assert_eq!(streamed.is_ok(), one_shot.is_ok());
    if let (Ok(s), Ok((_, o))) = (&streamed, &one_shot) {
        assert_eq!(s.as_slice(), o.as_slice());
    }
});

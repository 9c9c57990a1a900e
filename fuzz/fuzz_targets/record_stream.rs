//! The stream reader (FORMAT.md#streaming): the record pushed in pieces whose size the first
//! byte picks; it must agree with the one-shot reader, with a workspace's keys and with a
//! case's (FORMAT.md#case-records).
#![no_main]
use confide::{DecryptError, RecordContext, RecordDecryptor, RecordKeys};
use confide_fuzz::{CASE_CTX, CLEO, CTX, practice, workspace};
use libfuzzer_sys::fuzz_target;

fn agree(
    keys: &impl RecordKeys,
    ctx: &RecordContext<'_>,
    record: &[u8],
    piece: usize,
    one_shot: Result<Vec<u8>, DecryptError>,
) {
    let Ok(mut dec) = RecordDecryptor::new(ctx) else {
        return;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for part in record.chunks(piece) {
        match dec.push(keys, part) {
            Ok(p) => out.extend_from_slice(&p),
            Err(_) => {
                ok = false;
                // A failed decryptor stays failed.
                assert!(dec.push(keys, &[]).is_err());
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
        Err(DecryptError::DecryptionFailed)
    };
    assert_eq!(streamed.is_ok(), one_shot.is_ok());
    if let (Ok(s), Ok(o)) = (&streamed, &one_shot) {
        assert_eq!(s, o);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, record)) = data.split_first() else {
        return;
    };
    let piece = usize::from(size).max(1) * 97;
    let ws = workspace();
    let one_shot = ws.decrypt(record, &CTX).map(|(_, p)| p.to_vec());
    agree(ws, &CTX, record, piece, one_shot);
    let case = practice().case(CLEO).expect("on the case");
    let one_shot = case.decrypt(record, &CASE_CTX).map(|(_, p)| p.to_vec());
    agree(case, &CASE_CTX, record, piece, one_shot);
});

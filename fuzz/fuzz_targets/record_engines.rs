//! Differential: one record read one-shot, streamed in fuzzed pieces, by range, and through
//! the raw chunked layer must agree, byte for byte when it opens and in failing when it was
//! changed. The record is a workspace's, or a case's at either level (FORMAT.md#case-records).
#![no_main]
use arbitrary::Arbitrary;
use confide::chunked::{ENCRYPTED_CHUNK_LEN, PREFIX_LEN};
use confide::rng::seeded_rng;
use confide::{
    ContentType, DecryptError, EncryptOptions, Level, RecordChunkReader, RecordContext,
    RecordDecryptor, RecordKeys,
};
use confide_fuzz::{CASE_CTX, CLEO, CTX, practice, workspace};
use libfuzzer_sys::fuzz_target;

const HEADER: usize = 26;
const CHUNK: usize = 16 * 1024;

#[derive(Arbitrary, Debug)]
struct Input {
    len: u16,
    fill: u8,
    pad: bool,
    piece: u16,
    range: (u32, u32),
    flip: Option<(u32, u8)>,
    /// A case record at summary (true) or full level, else a workspace's.
    case: Option<bool>,
}

fuzz_target!(|input: Input| {
    // Up to 4 chunks and a bit: enough to cross every boundary.
    let len = usize::from(input.len) % (4 * CHUNK + 100);
    let plaintext: Vec<u8> = (0..len).map(|i| input.fill.wrapping_add(i as u8)).collect();
    let options = EncryptOptions {
        content_type: ContentType::Bytes,
        pad: input.pad,
    };
    let mut rng = seeded_rng([input.fill; 32]);
    match input.case {
        None => {
            let ws = workspace();
            let record = ws
                .encrypt_with_rng(&plaintext, &CTX, options, &mut rng)
                .expect("encrypt");
            engines(ws, &CTX, &input, &plaintext, record, |r| {
                ws.decrypt(r, &CTX).map(|(_, p)| p.to_vec())
            });
        }
        Some(summary) => {
            let p = practice();
            let case = p.case(CLEO).expect("on the case");
            let level = if summary { Level::Summary } else { Level::Full };
            let record = case
                .encrypt_with_rng(
                    p.workspace(CLEO),
                    &plaintext,
                    &CASE_CTX,
                    options,
                    level,
                    &mut rng,
                )
                .expect("a full member writes");
            engines(case, &CASE_CTX, &input, &plaintext, record, |r| {
                case.decrypt(r, &CASE_CTX).map(|(_, p)| p.to_vec())
            });
        }
    }
});

fn engines(
    keys: &impl RecordKeys,
    ctx: &RecordContext<'_>,
    input: &Input,
    plaintext: &[u8],
    mut record: Vec<u8>,
    one_shot: impl Fn(&[u8]) -> Result<Vec<u8>, DecryptError>,
) {
    let len = plaintext.len();
    if let Some((at, xor)) = input.flip {
        let at = at as usize % record.len();
        record[at] ^= xor.max(1);
    }
    let changed = input.flip.is_some();

    let one_shot = one_shot(&record);
    assert_eq!(one_shot.is_err(), changed);
    if let Ok(p) = &one_shot {
        assert_eq!(p, plaintext);
    }

    let piece = usize::from(input.piece).max(1);
    let mut dec = RecordDecryptor::new(ctx).expect("ctx");
    let mut streamed = Vec::new();
    let mut failed = false;
    for part in record.chunks(piece) {
        match dec.push(keys, part) {
            Ok(p) => streamed.extend_from_slice(&p),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let streamed = if failed {
        None
    } else {
        dec.finish().ok().map(|p| {
            streamed.extend_from_slice(&p);
            streamed
        })
    };
    assert_eq!(streamed.is_none(), changed);
    if let Some(s) = &streamed {
        assert_eq!(s, plaintext);
    }

    // Range reads of an unpadded record: chunks opened by index; reaching the end opens the
    // final chunk too (FORMAT.md#range-reads).
    if !input.pad {
        if let Ok(reader) = RecordChunkReader::new(keys, &record, ctx) {
            let body = &record[HEADER + PREFIX_LEN..];
            let chunks: Vec<&[u8]> = body.chunks(ENCRYPTED_CHUNK_LEN).collect();
            let last = chunks.len() - 1;
            let start = input.range.0 as usize % (len + 1);
            let end = start + input.range.1 as usize % (len + 1 - start);
            let mut out = Vec::new();
            let mut ok = body.len() % ENCRYPTED_CHUNK_LEN != 0;
            let first = start / CHUNK;
            let through = if end >= len {
                last
            } else {
                end.saturating_sub(1) / CHUNK
            };
            for k in first.min(last)..=through.min(last) {
                match reader.open_chunk(k as u64, chunks[k], k == last) {
                    Ok(p) => {
                        let base = k * CHUNK;
                        let from = start.max(base) - base;
                        let to = end.min(base + p.len()).saturating_sub(base);
                        if to > from {
                            out.extend_from_slice(&p[from..to]);
                        }
                    }
                    Err(_) => ok = false,
                }
            }
            if !changed {
                assert!(ok);
                assert_eq!(out, &plaintext[start..end]);
            }
        } else {
            assert!(changed);
        }
    }
}

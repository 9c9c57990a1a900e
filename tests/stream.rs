//! Streaming records (docs/FORMAT.md#streaming): identical bytes to one-shot records,
//! any push sizes, and every way of cutting, reordering or splicing a stream fails.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use confide::rng::seeded_rng;
use confide::{
    ContentType, DecryptError, EncryptOptions, ErrorCode, MemberSecretKey, RecordContext,
    RecordDecryptor, Workspace,
};
use proptest::prelude::*;

const CTX: RecordContext<'static> = RecordContext {
    record_id: "rec-7",
    field: "audio",
};
const RAW: EncryptOptions = EncryptOptions {
    content_type: ContentType::Bytes,
    pad: false,
};
const PADDED: EncryptOptions = EncryptOptions {
    content_type: ContentType::Bytes,
    pad: true,
};

fn workspace() -> Workspace {
    let member = MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]));
    Workspace::create_with_rng(member, 1_790_000_000, &mut seeded_rng([2; 32])).unwrap()
}

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect()
}

/// Encrypts `plaintext` through the stream API, pushing `step`-byte pieces.
fn stream_encrypt(
    ws: &Workspace,
    plaintext: &[u8],
    opts: EncryptOptions,
    salt: u8,
    step: usize,
) -> Vec<u8> {
    let mut enc = ws
        .encrypt_stream_with_rng(&CTX, opts, &mut seeded_rng([salt; 32]))
        .unwrap();
    let mut out = Vec::new();
    for piece in plaintext.chunks(step.max(1)) {
        out.extend(enc.push(piece).unwrap());
    }
    out.extend(enc.finish().unwrap());
    out
}

/// Decrypts through the stream API, pushing pieces of the given sizes (cycled).
fn stream_decrypt(ws: &Workspace, record: &[u8], steps: &[usize]) -> Result<Vec<u8>, DecryptError> {
    let mut dec = RecordDecryptor::new(&CTX).unwrap();
    let mut out = Vec::new();
    let mut rest = record;
    for step in steps.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*step).max(1).min(rest.len()));
        out.extend_from_slice(&dec.push(ws, piece)?);
        rest = tail;
    }
    out.extend_from_slice(&dec.finish()?);
    Ok(out)
}

fn code<T>(r: Result<T, DecryptError>) -> &'static str {
    r.map_or_else(|e| e.code(), |_| "success")
}

#[test]
fn streamed_and_one_shot_records_are_the_same_bytes() {
    let ws = workspace();
    for len in [0, 1, 16383, 16384, 16385, 10 * 1024 * 1024 + 7] {
        let plaintext = data(len);
        for opts in [RAW, PADDED] {
            let one_shot = ws
                .encrypt_with_rng(&plaintext, &CTX, opts, &mut seeded_rng([9; 32]))
                .unwrap();
            for step in [1usize, 16384, 100_003] {
                if step == 1 && len > 70_000 {
                    continue;
                }
                let streamed = stream_encrypt(&ws, &plaintext, opts, 9, step);
                assert!(
                    streamed == one_shot,
                    "len {len} pad {} step {step}",
                    opts.pad
                );
            }
            assert_eq!(
                ws.decrypt(&one_shot, &CTX).unwrap().1.as_slice(),
                plaintext.as_slice()
            );
            let steps: &[usize] = if len > 70_000 {
                &[65_536, 7, 16_400]
            } else {
                &[1]
            };
            assert_eq!(
                stream_decrypt(&ws, &one_shot, steps).unwrap(),
                plaintext,
                "len {len}"
            );
        }
    }
}

#[test]
fn every_truncation_point_fails() {
    let ws = workspace();
    for opts in [RAW, PADDED] {
        let record = stream_encrypt(&ws, &data(2 * 16384 + 100), opts, 3, 5000);
        for cut in 0..record.len() {
            let got = code(stream_decrypt(&ws, &record[..cut], &[4096]));
            assert_ne!(got, "success", "cut at {cut} of {}", record.len());
        }
        assert_eq!(code(stream_decrypt(&ws, &record, &[4096])), "success");
    }
}

#[test]
fn appended_bytes_fail() {
    let ws = workspace();
    let record = stream_encrypt(&ws, &data(16384 * 2), RAW, 3, 16384);
    for extra in [1usize, 15, 16, 17, 16400, 16401] {
        let mut longer = record.clone();
        longer.extend(std::iter::repeat_n(0xA5u8, extra));
        assert_ne!(
            code(stream_decrypt(&ws, &longer, &[1000])),
            "success",
            "+{extra}"
        );
    }
}

#[test]
fn reordered_duplicated_and_swapped_chunks_fail() {
    let ws = workspace();
    let (a_plain, b_plain) = (data(3 * 16384 + 10), vec![7u8; 3 * 16384 + 10]);
    let a = stream_encrypt(&ws, &a_plain, RAW, 4, 16384);
    let b = stream_encrypt(&ws, &b_plain, RAW, 5, 16384);
    let chunk = |r: &[u8], i: usize| r[82 + i * 16400..82 + (i + 1) * 16400].to_vec();
    let with_chunks = |r: &[u8], order: &[Vec<u8>]| {
        let mut out = r[..82].to_vec();
        for c in order {
            out.extend_from_slice(c);
        }
        out.extend_from_slice(&r[82 + 3 * 16400..]);
        out
    };
    let (c0, c1, c2) = (chunk(&a, 0), chunk(&a, 1), chunk(&a, 2));
    let cases = [
        (
            "reordered",
            with_chunks(&a, &[c1.clone(), c0.clone(), c2.clone()]),
        ),
        (
            "duplicated",
            with_chunks(&a, &[c0.clone(), c0.clone(), c1.clone(), c2.clone()]),
        ),
        ("dropped", with_chunks(&a, &[c0.clone(), c2.clone()])),
        // Same workspace key and context, another record's chunk at the same index.
        (
            "swapped from another file",
            with_chunks(&a, &[c0.clone(), chunk(&b, 1), c2.clone()]),
        ),
    ];
    for (what, record) in cases {
        assert_eq!(
            code(stream_decrypt(&ws, &record, &[16400])),
            "decryption_failed",
            "{what}"
        );
        assert_eq!(
            code(ws.decrypt(&record, &CTX)),
            "decryption_failed",
            "{what} (one-shot)"
        );
    }
}

#[test]
fn nothing_from_a_failed_chunk_is_released_and_the_decryptor_stays_failed() {
    let ws = workspace();
    let plaintext = data(3 * 16384 + 10);
    let mut record = stream_encrypt(&ws, &plaintext, RAW, 6, 16384);
    record[82 + 16400 + 5] ^= 1; // inside chunk 1
    let mut dec = RecordDecryptor::new(&CTX).unwrap();
    let first = dec.push(&ws, &record[..82 + 16400 + 1]).unwrap();
    assert_eq!(
        first.as_slice(),
        &plaintext[..16384],
        "chunk 0 authenticated and released"
    );
    assert_eq!(
        code(dec.push(&ws, &record[82 + 16400 + 1..82 + 2 * 16400 + 1])),
        "decryption_failed"
    );
    assert_eq!(
        code(dec.push(&ws, &record[82 + 2 * 16400 + 1..])),
        "decryption_failed",
        "stays failed"
    );
}

#[test]
fn header_checks_come_first() {
    let ws = workspace();
    let record = stream_encrypt(&ws, b"hello", RAW, 7, 1);
    let other = Workspace::create_with_rng(
        MemberSecretKey::generate_with_rng(&mut seeded_rng([8; 32])),
        1_790_000_000,
        &mut seeded_rng([9; 32]),
    )
    .unwrap();
    assert_eq!(
        code(stream_decrypt(&other, &record, &[1])),
        "wrong_workspace"
    );
    let mut bumped = record.clone();
    bumped[25] = 3;
    assert_eq!(code(stream_decrypt(&ws, &bumped, &[1])), "unknown_epoch");
    let mut v3 = record.clone();
    v3[3] = 4;
    assert_eq!(code(stream_decrypt(&ws, &v3, &[1])), "unsupported_version");
    // Version 1 names the SHA-256 derivation, and the header is bound: a record relabelled
    // as version 1 does not open.
    let mut v1 = record.clone();
    v1[3] = 1;
    assert_eq!(code(stream_decrypt(&ws, &v1, &[1])), "decryption_failed");
    let wrong_ctx = RecordContext {
        record_id: "rec-8",
        field: "audio",
    };
    let mut dec = RecordDecryptor::new(&wrong_ctx).unwrap();
    assert_eq!(code(dec.push(&ws, &record)), "decryption_failed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Payloads rich in 0x80 and 0x00 exercise the withheld padding suffix across chunk edges.
    #[test]
    fn padded_streams_round_trip(
        payload in proptest::collection::vec(prop_oneof![Just(0u8), Just(0x80u8), any::<u8>()], 0..40_000),
        steps in proptest::collection::vec(1usize..20_000, 1..6),
        pad in any::<bool>(),
    ) {
        let ws = workspace();
        let opts = EncryptOptions { content_type: ContentType::Bytes, pad };
        let record = stream_encrypt(&ws, &payload, opts, 11, steps[0]);
        let one_shot = ws.decrypt(&record, &CTX).unwrap().1;
        prop_assert_eq!(one_shot.as_slice(), payload.as_slice());
        prop_assert_eq!(stream_decrypt(&ws, &record, &steps).unwrap(), payload);
    }
}

#[test]
fn chunk_reader_opens_any_chunk_and_checks_position_and_finality() {
    use confide::RecordChunkReader;
    let ws = workspace();
    let plaintext = data(3 * 16384 + 500);
    let record = stream_encrypt(&ws, &plaintext, RAW, 12, 9999);
    let reader = RecordChunkReader::new(&ws, &record[..98], &CTX).unwrap();
    let chunk = |i: usize| &record[82 + i * 16400..(82 + (i + 1) * 16400).min(record.len())];
    // Any order, each chunk on its own.
    for i in [2usize, 0, 3, 1] {
        let got = reader.open_chunk(i as u64, chunk(i), i == 3).unwrap();
        assert_eq!(
            got.as_slice(),
            &plaintext[i * 16384..((i + 1) * 16384).min(plaintext.len())]
        );
    }
    let failed = |r: Result<_, DecryptError>| code(r) == "decryption_failed";
    assert!(
        failed(reader.open_chunk(1, chunk(2), false)),
        "chunk at the wrong index"
    );
    assert!(
        failed(reader.open_chunk(3, chunk(3), false)),
        "final chunk claimed non-final"
    );
    assert!(
        failed(reader.open_chunk(2, chunk(2), true)),
        "full chunk claimed final"
    );
    assert!(
        failed(reader.open_chunk(3, &chunk(3)[..15], true)),
        "final chunk shorter than a tag"
    );
    let other = stream_encrypt(&ws, &plaintext, RAW, 13, 9999);
    assert!(
        failed(reader.open_chunk(1, &other[82 + 16400..82 + 2 * 16400], false)),
        "chunk of another record"
    );
    // The header and commitment are checked up front.
    let mut bad = record[..98].to_vec();
    bad[60] ^= 1;
    assert_eq!(
        code(RecordChunkReader::new(&ws, &bad, &CTX)),
        "decryption_failed"
    );
    assert_eq!(
        code(RecordChunkReader::new(&ws, &record[..50], &CTX)),
        "malformed"
    );
}

#[test]
fn an_external_aead_engine_produces_and_opens_the_same_bytes() {
    use aes_gcm::aead::Aead;
    use aes_gcm::{Aes256Gcm, KeyInit};
    use confide::record::stream::{external_decryption, external_encryption_with_rng};
    let ws = workspace();
    let plaintext = data(2 * 16384 + 777);
    let (prefix, material) =
        external_encryption_with_rng(&ws, &CTX, ContentType::Bytes, &mut seeded_rng([21; 32]))
            .unwrap();
    let aead = Aes256Gcm::new(material.expose_key().into());
    let nonce = |k: u64| {
        let mut n = *material.base_nonce();
        for (b, c) in n.iter_mut().skip(4).zip(k.to_be_bytes()) {
            *b ^= c;
        }
        n
    };
    let mut record = prefix;
    let full = plaintext.len() / 16384;
    for (k, chunk) in plaintext
        .chunks(16384)
        .take(full)
        .chain([&plaintext[full * 16384..]])
        .enumerate()
    {
        record.extend(aead.encrypt(&nonce(k as u64).into(), chunk).unwrap());
    }
    assert_eq!(
        record,
        stream_encrypt(&ws, &plaintext, RAW, 21, 4096),
        "same bytes as the wasm engine"
    );
    let (header, opened) = external_decryption(&ws, &record[..98], &CTX).unwrap();
    assert!(!header.padded);
    assert_eq!(opened.expose_key(), material.expose_key());
    let mut tampered = record[..98].to_vec();
    tampered[70] ^= 1;
    assert_eq!(
        code(external_decryption(&ws, &tampered, &CTX)),
        "decryption_failed"
    );
}

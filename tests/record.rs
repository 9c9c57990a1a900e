//! Records: round trips, tampering, and context binding (docs/FORMAT.md#record).

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use confide::rng::seeded_rng;
use confide::{
    ContentType, DecryptError, EncryptOptions, ErrorCode, MemberSecretKey, RecordContext, Workspace,
};
use proptest::prelude::*;

const CTX: RecordContext<'static> = RecordContext {
    record_id: "n-42",
    field: "body",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};
const BYTES: EncryptOptions = EncryptOptions {
    content_type: ContentType::Bytes,
    pad: false,
};

fn workspace(seed: u8) -> Workspace {
    let member = MemberSecretKey::generate_with_rng(&mut seeded_rng([seed; 32]));
    Workspace::create_with_rng(
        member,
        1_790_000_000,
        &mut seeded_rng([seed.wrapping_add(100); 32]),
    )
    .unwrap()
}

fn code(r: Result<impl Sized, DecryptError>) -> &'static str {
    match r {
        Ok(_) => "success",
        Err(e) => e.code(),
    }
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let ws = workspace(1);
    // A padded note and a two-chunk unpadded record: every bit of header, salt,
    // commitment, every chunk body and every tag.
    let records = [
        ws.encrypt(b"Client reported better sleep.", &CTX, TEXT)
            .unwrap(),
        ws.encrypt(&vec![0x5a; 16384 + 100], &CTX, BYTES).unwrap(),
    ];
    for record in records {
        assert_eq!(code(ws.decrypt(&record, &CTX)), "success");
        let mut flipped = record.clone();
        for i in 0..record.len() {
            for bit in 0..8 {
                flipped[i] ^= 1 << bit;
                assert_ne!(
                    code(ws.decrypt(&flipped, &CTX)),
                    "success",
                    "flip of byte {i} bit {bit} accepted"
                );
                flipped[i] ^= 1 << bit;
            }
        }
    }
}

#[test]
fn record_moved_to_another_record_id_does_not_open() {
    let ws = workspace(2);
    let record = ws.encrypt(b"note", &CTX, TEXT).unwrap();
    let other = RecordContext {
        record_id: "n-43",
        ..CTX
    };
    assert_eq!(code(ws.decrypt(&record, &other)), "decryption_failed");
}

#[test]
fn record_moved_to_another_field_does_not_open() {
    let ws = workspace(3);
    let record = ws.encrypt(b"note", &CTX, TEXT).unwrap();
    let other = RecordContext {
        field: "title",
        ..CTX
    };
    assert_eq!(code(ws.decrypt(&record, &other)), "decryption_failed");
    // Length-prefixed context: shifting bytes between the two fields does not collide.
    let a = ws
        .encrypt(
            b"x",
            &RecordContext {
                record_id: "ab",
                field: "c",
            },
            BYTES,
        )
        .unwrap();
    assert_eq!(
        code(ws.decrypt(
            &a,
            &RecordContext {
                record_id: "a",
                field: "bc"
            }
        )),
        "decryption_failed"
    );
}

#[test]
fn record_moved_to_another_workspace_is_rejected() {
    let (ws1, ws2) = (workspace(4), workspace(5));
    let record = ws1.encrypt(b"note", &CTX, TEXT).unwrap();
    assert_eq!(code(ws2.decrypt(&record, &CTX)), "wrong_workspace");
    // Rewriting the header's workspace id to ws2's does not help: the key differs.
    let mut moved = record.clone();
    moved[6..22].copy_from_slice(ws2.id().as_bytes());
    assert_eq!(code(ws2.decrypt(&moved, &CTX)), "decryption_failed");
}

#[test]
fn record_with_unknown_epoch_is_rejected() {
    let ws = workspace(6);
    let mut record = ws.encrypt(b"note", &CTX, TEXT).unwrap();
    record[22..26].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(code(ws.decrypt(&record, &CTX)), "unknown_epoch");
}

#[test]
fn truncated_and_extended_records_are_rejected() {
    let ws = workspace(7);
    for len in [0, 1, 100, 16383, 16384, 16385, 40000] {
        let record = ws.encrypt(&vec![1u8; len], &CTX, BYTES).unwrap();
        for cut in 0..record.len() {
            assert_ne!(
                code(ws.decrypt(&record[..cut], &CTX)),
                "success",
                "len {len} cut at {cut}"
            );
        }
        for extra in [1usize, 15, 16, 17, 16400] {
            let mut longer = record.clone();
            longer.extend(std::iter::repeat_n(0u8, extra));
            assert_ne!(
                code(ws.decrypt(&longer, &CTX)),
                "success",
                "len {len} + {extra}"
            );
        }
    }
}

#[test]
fn sizes_match_the_formula() {
    let ws = workspace(8);
    for len in [0usize, 1, 255, 256, 1000, 16383, 16384, 16385, 50000] {
        for opts in [TEXT, BYTES] {
            let record = ws.encrypt(&vec![b'a'; len], &CTX, opts).unwrap();
            assert_eq!(
                Some(record.len()),
                confide::record::record_len(len, opts.pad),
                "len {len}"
            );
        }
    }
    // Short notes are indistinguishable by size.
    let a = ws.encrypt(b"ok", &CTX, TEXT).unwrap();
    let b = ws.encrypt(&[b'z'; 200], &CTX, TEXT).unwrap();
    assert_eq!(a.len(), b.len());
}

#[test]
fn invalid_context_is_an_argument_error() {
    let ws = workspace(9);
    let long = "x".repeat(1025);
    for ctx in [
        RecordContext {
            record_id: "",
            field: "body",
        },
        RecordContext {
            record_id: "n",
            field: &long,
        },
    ] {
        let err = ws.encrypt(b"note", &ctx, TEXT).unwrap_err();
        assert_eq!(err.code(), "invalid_argument");
    }
}

#[test]
fn errors_never_echo_input() {
    let ws = workspace(10);
    let secret = "Jane Doe disclosed";
    let record = ws.encrypt(secret.as_bytes(), &CTX, TEXT).unwrap();
    let ctx = RecordContext {
        record_id: "Jane Doe",
        field: "body",
    };
    let mut errors = vec![
        ws.decrypt(&record, &ctx).unwrap_err().to_string(),
        ws.decrypt(&record[..40], &CTX).unwrap_err().to_string(),
        ws.encrypt(
            b"x",
            &RecordContext {
                record_id: "",
                field: "Jane Doe",
            },
            TEXT,
        )
        .unwrap_err()
        .to_string(),
    ];
    errors.push(format!(
        "{:?}",
        ws.decrypt(b"Jane Doe disclosed", &CTX).unwrap_err()
    ));
    for e in errors {
        assert!(!e.contains("Jane") && !e.contains("disclosed"), "{e}");
    }
}

#[test]
fn records_are_randomized() {
    let ws = workspace(11);
    let a = ws.encrypt(b"same", &CTX, TEXT).unwrap();
    let b = ws.encrypt(b"same", &CTX, TEXT).unwrap();
    assert_ne!(a, b, "fresh salt per record");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip(plaintext in proptest::collection::vec(any::<u8>(), 0..40_000), pad in any::<bool>(),
                  record_id in "[a-z0-9-]{1,40}", field in "[a-z]{1,12}") {
        let ws = workspace(12);
        let ctx = RecordContext { record_id: &record_id, field: &field };
        let opts = EncryptOptions { content_type: ContentType::Bytes, pad };
        let record = ws.encrypt(&plaintext, &ctx, opts).unwrap();
        let (ct, out) = ws.decrypt(&record, &ctx).unwrap();
        prop_assert_eq!(ct, ContentType::Bytes);
        prop_assert_eq!(out.as_slice(), plaintext.as_slice());
    }

    #[test]
    fn random_bytes_never_decrypt(garbage in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let ws = workspace(13);
        prop_assert!(ws.decrypt(&garbage, &CTX).is_err());
    }
}

//! Writes tests/vectors/ from fixed seeds (docs/FORMAT.md#test-vectors).
//!
//! `cargo run --example make-vectors --features hazmat [DIR]`. Output is deterministic:
//! `make test-rust` regenerates into build/vectors and fails on any difference (format drift).

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use confide::rng::seeded_rng;
use confide::{ContentType, EncryptOptions, MemberSecretKey, RecordContext, Workspace};

struct Vector {
    name: &'static str,
    fields: Vec<(&'static str, String)>,
}

impl Vector {
    fn new(name: &'static str, expect: &str, kind: &str, comment: &str) -> Self {
        let fields = vec![
            ("expect", expect.to_string()),
            ("kind", kind.to_string()),
            ("comment", comment.to_string()),
        ];
        Self { name, fields }
    }

    fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((key, value.into()));
        self
    }

    fn hex(self, key: &'static str, bytes: &[u8]) -> Self {
        self.with(key, hex::encode(bytes))
    }

    fn write(&self, dir: &Path) {
        let mut out = String::new();
        for (k, v) in &self.fields {
            let _ = writeln!(out, "{k}: {v}");
        }
        fs::write(dir.join(format!("{}.txt", self.name)), out).expect("write vector");
    }
}

fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[index] ^= 0x01;
    b
}

/// The Unix time every vector is made at (2026-09-21).
const T0: u64 = 1_790_000_000;

fn main() {
    // Default: tests/vectors; `make test` writes to build/vectors and diffs the two.
    let dir = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors"),
        std::path::PathBuf::from,
    );
    fs::create_dir_all(&dir).expect("create tests/vectors");
    let alice = MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]));
    let bob = MemberSecretKey::generate_with_rng(&mut seeded_rng([2; 32]));
    let alice_seed = *alice.seed().expose_secret();
    let bob_seed = *bob.seed().expose_secret();
    let alice_bundle = alice.public_bundle().as_bytes().to_vec();
    let bob_bundle = bob.public_bundle().as_bytes().to_vec();

    Vector::new(
        "bundle",
        "success",
        "bundle",
        "a member's public bundle and fingerprint, derived from a fixed seed",
    )
    .hex("member seed", &alice_seed)
    .hex("bundle", &alice_bundle)
    .with("fingerprint", alice.fingerprint().to_digits())
    .hex("fingerprint id", &alice.fingerprint().id())
    .write(&dir);
    Vector::new(
        "bundle_bad_signature",
        "malformed",
        "bundle",
        "the last byte of the self-signature is altered",
    )
    .hex("bundle", &flip(&alice_bundle, alice_bundle.len() - 1))
    .write(&dir);
    Vector::new(
        "bundle_swapped_kem_key",
        "malformed",
        "bundle",
        "one byte of the X-Wing key is altered; the self-signature no longer covers it",
    )
    .hex("bundle", &flip(&alice_bundle, 100))
    .write(&dir);
    let mut v2 = alice_bundle.clone();
    v2[3] = 2;
    Vector::new(
        "bundle_unsupported_version",
        "unsupported_version",
        "bundle",
        "version byte 0x02",
    )
    .hex("bundle", &v2)
    .write(&dir);

    let ws =
        Workspace::create_with_rng(alice.rederive(), T0, &mut seeded_rng([3; 32])).expect("create");
    let key = ws.hazmat_content_key(0).expect("epoch 0 key");
    let grant = ws
        .grant_with_rng(&bob_bundle, &mut seeded_rng([4; 32]))
        .expect("grant");
    Vector::new(
        "grant",
        "success",
        "grant",
        "alice grants epoch 0 of her workspace to bob",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &grant)
    .hex("workspace id", ws.id().as_bytes())
    .with("epoch", "0")
    .hex("content key", &key)
    .write(&dir);
    Vector::new(
        "grant_not_for_this_member",
        "not_for_this_member",
        "grant",
        "alice tries to open the grant addressed to bob",
    )
    .hex("member seed", &alice_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &grant)
    .write(&dir);
    Vector::new(
        "grant_wrong_granter",
        "bad_signature",
        "grant",
        "the grant is checked against bob's bundle, but alice signed it",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &bob_bundle)
    .hex("grant", &grant)
    .write(&dir);
    Vector::new(
        "grant_bad_signature",
        "bad_signature",
        "grant",
        "one byte of the sealed key is altered, so the signature fails first",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &flip(&grant, 88 + 1120 + 3))
    .write(&dir);
    let mut g2 = grant.clone();
    g2[3] = 9;
    Vector::new(
        "grant_unsupported_version",
        "unsupported_version",
        "grant",
        "version byte 0x09",
    )
    .hex("member seed", &bob_seed)
    .hex("granter bundle", &alice_bundle)
    .hex("grant", &g2)
    .write(&dir);

    let ctx = RecordContext {
        record_id: "n-42",
        field: "body",
    };
    let record_vector = |name: &'static str,
                         expect: &str,
                         comment: &str,
                         record: &[u8],
                         plaintext: Option<&[u8]>,
                         ctx: RecordContext<'_>| {
        let mut v = Vector::new(name, expect, "record", comment)
            .hex("member seed", &bob_seed)
            .hex("granter bundle", &alice_bundle)
            .hex("grant", &grant)
            .hex("content key", &key)
            .with("record id", ctx.record_id)
            .with("field", ctx.field)
            .hex("record", record);
        if let Some(p) = plaintext {
            v = v.hex("plaintext", p);
        }
        v.write(&dir);
    };
    let note = "Client reported better sleep.".as_bytes();
    let text_padded = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let bytes_unpadded = EncryptOptions {
        content_type: ContentType::Bytes,
        pad: false,
    };
    let seal = |pt: &[u8], opts, salt_seed: u8| {
        ws.encrypt_with_rng(pt, &ctx, opts, &mut seeded_rng([salt_seed; 32]))
            .expect("encrypt")
    };

    let padded_note = seal(note, text_padded, 10);
    record_vector(
        "record_note",
        "success",
        "a short UTF-8 note, padded to 256 bytes",
        &padded_note,
        Some(note),
        ctx,
    );
    record_vector(
        "record_empty",
        "success",
        "an empty byte record, unpadded: one empty chunk",
        &seal(b"", bytes_unpadded, 11),
        Some(b""),
        ctx,
    );
    let full: Vec<u8> = (0..16384u32).map(|i| (i % 251) as u8).collect();
    record_vector(
        "record_one_full_chunk",
        "success",
        "16384 bytes: one full chunk and an empty final chunk",
        &seal(&full, bytes_unpadded, 12),
        Some(&full),
        ctx,
    );
    let multi: Vec<u8> = (0..40000u32).map(|i| (i * 7 % 256) as u8).collect();
    let multi_record = seal(&multi, bytes_unpadded, 13);
    record_vector(
        "record_multi_chunk",
        "success",
        "40000 bytes: two full chunks and a 7232-byte final chunk",
        &multi_record,
        Some(&multi),
        ctx,
    );
    // FORMAT.md#streaming: pushed in uneven pieces through the stream API; same bytes as one-shot.
    let mut enc = ws
        .encrypt_stream_with_rng(&ctx, bytes_unpadded, &mut seeded_rng([15; 32]))
        .expect("stream");
    let mut streamed = Vec::new();
    for piece in multi.chunks(5003) {
        streamed.extend(enc.push(piece).expect("push"));
    }
    streamed.extend(enc.finish().expect("finish"));
    record_vector(
        "record_streamed_multi_chunk",
        "success",
        "40000 bytes encrypted through the stream API in 5003-byte pushes: three chunks",
        &streamed,
        Some(&multi),
        ctx,
    );
    let unicode = "Séance — 睡眠が改善 🌙".as_bytes();
    record_vector(
        "record_unicode_padded_bytes",
        "success",
        "non-ASCII text stored as bytes, padded",
        &seal(
            unicode,
            EncryptOptions {
                content_type: ContentType::Bytes,
                pad: true,
            },
            14,
        ),
        Some(unicode),
        ctx,
    );

    record_vector(
        "record_wrong_record_id",
        "decryption_failed",
        "the record is opened under recordId n-43",
        &padded_note,
        None,
        RecordContext {
            record_id: "n-43",
            field: "body",
        },
    );
    record_vector(
        "record_wrong_field",
        "decryption_failed",
        "the record is opened under field title",
        &padded_note,
        None,
        RecordContext {
            record_id: "n-42",
            field: "title",
        },
    );
    record_vector(
        "record_bad_commitment",
        "decryption_failed",
        "one commitment byte altered",
        &flip(&padded_note, 26 + 24 + 5),
        None,
        ctx,
    );
    record_vector(
        "record_bad_tag",
        "decryption_failed",
        "the last tag byte altered",
        &flip(&padded_note, padded_note.len() - 1),
        None,
        ctx,
    );
    record_vector(
        "record_truncated_at_chunk_boundary",
        "decryption_failed",
        "the final chunk is dropped: two full chunks remain",
        &multi_record[..26 + 56 + 2 * 16400],
        None,
        ctx,
    );
    record_vector(
        "record_final_chunk_dropped_after_full",
        "decryption_failed",
        "the empty final chunk of a 16384-byte record is dropped",
        &seal(&full, bytes_unpadded, 12)[..26 + 56 + 16400],
        None,
        ctx,
    );
    let mut appended = multi_record.clone();
    appended.extend_from_slice(&[0u8; 16]);
    record_vector(
        "record_extended",
        "decryption_failed",
        "16 zero bytes appended",
        &appended,
        None,
        ctx,
    );
    record_vector(
        "record_header_content_type_changed",
        "decryption_failed",
        "the content type byte changed from text to bytes",
        &{
            let mut r = padded_note.clone();
            r[4] = 0;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_header_padded_flag_cleared",
        "decryption_failed",
        "the padded flag cleared",
        &{
            let mut r = padded_note.clone();
            r[5] = 0;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_bad_flags",
        "malformed",
        "a reserved flag bit set",
        &{
            let mut r = padded_note.clone();
            r[5] |= 0x80;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_bad_content_type",
        "malformed",
        "content type 0x07",
        &{
            let mut r = padded_note.clone();
            r[4] = 7;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_unsupported_version",
        "unsupported_version",
        "version byte 0x02",
        &{
            let mut r = padded_note.clone();
            r[3] = 2;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_wrong_tag",
        "malformed",
        "tag CFX",
        &{
            let mut r = padded_note.clone();
            r[2] = b'X';
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_wrong_workspace",
        "wrong_workspace",
        "the workspace id's first byte altered",
        &flip(&padded_note, 6),
        None,
        ctx,
    );
    record_vector(
        "record_unknown_epoch",
        "unknown_epoch",
        "epoch 7, which this member holds no key for",
        &{
            let mut r = padded_note.clone();
            r[25] = 7;
            r
        },
        None,
        ctx,
    );
    record_vector(
        "record_too_short",
        "malformed",
        "a header and 10 bytes",
        &padded_note[..36],
        None,
        ctx,
    );
    println!("wrote {}", dir.display());
}

//! Wycheproof's Cobblestone-256 vectors (tests/wycheproof/README.md) through Confide's
//! chunked layer: one-shot, streamed and random-access decryption, and re-encryption with
//! the vector's salt (Wycheproof doc/c2sp_chunked_encryption.md).

#![cfg(feature = "hazmat")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Read as _;

use confide::chunked::hazmat::{self, ChunkReader, MessageDecryptor};
use confide::chunked::{ENCRYPTED_CHUNK_LEN, PREFIX_LEN, SALT_LEN, Suite};
use sha2::{Digest, Sha512};

const SUITE: Suite = Suite::Cobblestone256;

struct Case {
    id: u64,
    comment: String,
    key: Vec<u8>,
    ctx: Vec<u8>,
    ct: Vec<u8>,
    /// The message's length and SHA-512: of the whole message for valid vectors, of the
    /// longest valid prefix for `PartialPlaintext` ones, absent otherwise.
    msg_len: usize,
    msg_sha512: Option<Vec<u8>>,
    valid: bool,
    flags: Vec<String>,
}

impl Case {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The input key, or `None` for a length the AEAD does not take (`InvalidKeySize`):
    /// Confide's key type is 32 bytes, so such a key cannot even be passed.
    fn key(&self) -> Option<[u8; 32]> {
        self.key.as_slice().try_into().ok()
    }

    fn matches(&self, plaintext: &[u8]) -> bool {
        plaintext.len() == self.msg_len
            && self
                .msg_sha512
                .as_ref()
                .is_some_and(|h| Sha512::digest(plaintext).as_slice() == h.as_slice())
    }
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/wycheproof/c2sp_chunked_encryption_aes_256_gcm_test.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(json["algorithm"], "Cobblestone-256");
    let hex = |v: &serde_json::Value| hex::decode(v.as_str().unwrap()).unwrap();
    let mut out = Vec::new();
    for group in json["testGroups"].as_array().unwrap() {
        assert_eq!(group["aead"], "AEAD_AES_256_GCM");
        assert_eq!(group["sha"], "SHA-512");
        for t in group["tests"].as_array().unwrap() {
            let mut ct = Vec::new();
            flate2::read::ZlibDecoder::new(hex(&t["ct"]).as_slice())
                .read_to_end(&mut ct)
                .unwrap();
            out.push(Case {
                id: t["tcId"].as_u64().unwrap(),
                comment: t["comment"].as_str().unwrap().to_owned(),
                key: hex(&t["key"]),
                ctx: hex(&t["ctx"]),
                ct,
                msg_len: usize::try_from(t["msgLength"].as_u64().unwrap_or(0)).unwrap(),
                msg_sha512: t.get("msgSha512").map(hex),
                valid: t["result"] == "valid",
                flags: t["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_owned())
                    .collect(),
            });
        }
    }
    assert_eq!(
        out.len(),
        usize::try_from(json["numberOfTests"].as_u64().unwrap()).unwrap()
    );
    out
}

#[test]
fn one_shot_decryption_accepts_exactly_the_valid_vectors() {
    for c in cases() {
        let got = c.key().map(|k| hazmat::open(SUITE, &k, &c.ctx, &c.ct));
        match got {
            Some(Ok(plain)) => assert!(c.valid && c.matches(&plain), "{} {}", c.id, c.comment),
            _ => assert!(!c.valid, "{} {}: refused a valid message", c.id, c.comment),
        }
    }
}

/// Streaming: a valid message streams back whole, in pieces of any size; an invalid one may
/// release at most its `PartialPlaintext` prefix, then fails, and keeps failing.
#[test]
fn streamed_decryption_releases_no_more_than_the_valid_prefix() {
    for c in cases() {
        let Some(key) = c.key() else {
            assert!(c.has("InvalidKeySize"));
            continue;
        };
        for piece in [1usize, 7, 4096, ENCRYPTED_CHUNK_LEN + 1, usize::MAX] {
            let mut dec = MessageDecryptor::new(SUITE, &key, &c.ctx);
            let mut released = Vec::new();
            let mut failed = false;
            for part in c.ct.chunks(piece.min(c.ct.len().max(1))) {
                match dec.push(part) {
                    Ok(p) => released.extend_from_slice(&p),
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            if failed {
                assert!(
                    dec.push(&[]).is_err(),
                    "{}: a failed decryptor fails again",
                    c.id
                );
            } else {
                match dec.finish() {
                    Ok(p) => released.extend_from_slice(&p),
                    Err(_) => failed = true,
                }
            }
            if c.valid {
                assert!(
                    !failed && c.matches(&released),
                    "{} {} (pieces of {piece})",
                    c.id,
                    c.comment
                );
            } else {
                assert!(failed, "{} {}: streamed without error", c.id, c.comment);
                // Anything released is a prefix of the longest valid prefix, whose hash the
                // vector gives for PartialPlaintext cases.
                if c.has("PartialPlaintext") {
                    assert!(
                        released.len() <= c.msg_len,
                        "{}: released past the valid prefix",
                        c.id
                    );
                    if released.len() == c.msg_len {
                        assert!(c.matches(&released), "{}: released other bytes", c.id);
                    }
                } else {
                    assert!(released.is_empty(), "{}: released plaintext", c.id);
                }
            }
        }
    }
}

/// Random access: reading every chunk by index succeeds exactly for valid messages, and
/// authenticating the length through the final chunk succeeds for valid ones and for invalid
/// ones whose final chunk is sound (`ValidFinalChunk`).
#[test]
fn random_access_reads_and_length_checks_follow_the_vectors() {
    for c in cases() {
        let Some(key) = c.key() else { continue };
        let reader = ChunkReader::new(SUITE, &key, &c.ctx, c.ct.get(..PREFIX_LEN).unwrap_or(&c.ct));
        let Ok(reader) = reader else {
            assert!(!c.valid && c.has("HeaderFailure"), "{} {}", c.id, c.comment);
            continue;
        };
        let body = &c.ct[PREFIX_LEN..];
        let final_index = body.len() / ENCRYPTED_CHUNK_LEN;
        let final_chunk = &body[final_index * ENCRYPTED_CHUNK_LEN..];
        let length_ok = reader
            .open_chunk(final_index as u64, final_chunk, true)
            .is_ok();
        assert_eq!(
            length_ok,
            c.valid || c.has("ValidFinalChunk"),
            "{} {}: final chunk",
            c.id,
            c.comment
        );
        let mut whole = Vec::new();
        let all_ok = body
            .chunks(ENCRYPTED_CHUNK_LEN)
            .enumerate()
            .all(|(k, chunk)| {
                reader
                    .open_chunk(k as u64, chunk, k == final_index)
                    .map(|p| whole.extend_from_slice(&p))
                    .is_ok()
            })
            && body.len() % ENCRYPTED_CHUNK_LEN != 0;
        assert_eq!(
            all_ok && c.matches(&whole),
            c.valid,
            "{} {}: whole read",
            c.id,
            c.comment
        );
    }
}

/// Encryption: re-encrypting a valid vector's message with its salt gives its ciphertext.
#[test]
fn encryption_with_the_vectors_salt_gives_their_ciphertext() {
    let mut checked = 0;
    for c in cases().into_iter().filter(|c| c.valid) {
        let key = c.key().unwrap();
        let plain = hazmat::open(SUITE, &key, &c.ctx, &c.ct).unwrap();
        let salt: &[u8; SALT_LEN] = c.ct[..SALT_LEN].try_into().unwrap();
        let again = hazmat::seal_with_salt(SUITE, &key, salt, &c.ctx, &plain).unwrap();
        assert_eq!(again, c.ct, "{} {}", c.id, c.comment);
        checked += 1;
    }
    assert_eq!(checked, 10);
}

/// The first version's derivation (SHA-256) opens none of them: the suites are distinct.
#[test]
fn the_sha256_suite_opens_no_cobblestone_256_message() {
    for c in cases().into_iter().filter(|c| c.valid) {
        let key = c.key().unwrap();
        assert!(
            hazmat::open(Suite::Sha256Aes256Gcm, &key, &c.ctx, &c.ct).is_err(),
            "{}",
            c.id
        );
    }
}

//! Helpers shared by the integration tests: fixed members, and log entries built from
//! FORMAT.md#log-entry alone, the way an attacker holding some member's key would.

#![allow(dead_code, clippy::unwrap_used)]

pub mod practice;

use confide::{MemberSecretKey, MemberSeed};
use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

/// Member `n`: the member whose seed is 32 bytes of `n`.
pub fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n; 32]))
}

/// A member's id (its fingerprint id).
pub fn id(m: &MemberSecretKey) -> [u8; 32] {
    m.fingerprint().id()
}

pub fn hkdf32(ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&[]), ikm)
        .expand(info, &mut out)
        .unwrap();
    out
}

/// The Ed25519 key of member `n`, derived as FORMAT.md#member-identity says.
pub fn signing_key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&hkdf32(&[n; 32], b"confide/v1/member/ed25519"))
}

pub fn entry_hash(entry: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"confide/v1/log-entry-hash\x00")
        .chain_update(entry)
        .finalize()
        .into()
}

/// A log entry built from FORMAT.md#log-entry alone, appended to `log` and signed by
/// member `n`, whatever the log says about `n`.
pub fn forge_entry(n: u8, log: &[Vec<u8>], time: u64, kind: u8, body: &[u8]) -> Vec<u8> {
    let genesis = &log[0];
    let mut e = b"CFL\x01".to_vec();
    e.extend_from_slice(&genesis[4..20]);
    e.extend_from_slice(&u32::try_from(log.len()).unwrap().to_be_bytes());
    e.extend_from_slice(&entry_hash(log.last().unwrap()));
    e.extend_from_slice(&id(&member(n)));
    e.extend_from_slice(&time.to_be_bytes());
    e.push(kind);
    e.extend_from_slice(body);
    let mut signed = b"confide/v1/log-entry\x00".to_vec();
    signed.extend_from_slice(&e);
    e.extend_from_slice(&signing_key(n).sign(&signed).to_bytes());
    e
}

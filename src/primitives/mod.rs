//! Primitive wrappers, written in the notation of docs/FORMAT.md#conventions.
//!
//! Every derivation uses a versioned label from [`labels`]; nothing here is
//! hand-written cryptography, only calls into the RustCrypto crates.

pub mod chunked;
pub mod padding;

use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
use hkdf::Hkdf;
use sha2::{Digest, Sha256, Sha512};

/// Every label string Confide feeds to a KDF, hash or signature
/// (docs/FORMAT.md#labels).
pub mod labels {
    /// HKDF info for the Ed25519 signing-key seed (FORMAT.md#member-identity).
    pub const MEMBER_ED25519: &[u8] = b"confide/v1/member/ed25519";
    /// HKDF info for the X-Wing decapsulation-key seed (FORMAT.md#member-identity).
    pub const MEMBER_XWING: &[u8] = b"confide/v1/member/x-wing";
    /// Ed25519 signature prefix of a public bundle (FORMAT.md#public-bundle).
    pub const BUNDLE_SIGNATURE: &[u8] = b"confide/v1/bundle\x00";
    /// Hash prefix of a fingerprint (FORMAT.md#fingerprint).
    pub const FINGERPRINT: &[u8] = b"confide/v1/fingerprint\x00";
    /// HPKE info prefix of a grant (FORMAT.md#grant).
    pub const GRANT_INFO: &[u8] = b"confide/v1/grant\x00";
    /// Ed25519 signature prefix of a grant (FORMAT.md#grant).
    pub const GRANT_SIGNATURE: &[u8] = b"confide/v1/grant-signature\x00";
    /// Prefix of the C2SP chunked-encryption context of a record (FORMAT.md#record-context).
    pub const RECORD_CONTEXT: &[u8] = b"confide/v1/record\x00";
    /// HKDF info for a member's invite root key (FORMAT.md#invite-secret).
    pub const MEMBER_INVITE_ROOT: &[u8] = b"confide/v1/member/invite-root";
    /// Ed25519 signature prefix of a membership-log entry (FORMAT.md#log-entry).
    pub const LOG_ENTRY_SIGNATURE: &[u8] = b"confide/v1/log-entry\x00";
    /// Hash prefix of a membership-log entry (FORMAT.md#entry-hash).
    pub const LOG_ENTRY_HASH: &[u8] = b"confide/v1/log-entry-hash\x00";
    /// HKDF info prefix of an invite secret (FORMAT.md#invite-secret).
    pub const INVITE_SECRET: &[u8] = b"confide/v1/invite-secret\x00";
    /// HKDF info of an invite id (FORMAT.md#invite-secret).
    pub const INVITE_ID: &[u8] = b"confide/v1/invite-id";
    /// HKDF info of an invite's MAC key (FORMAT.md#invite-secret).
    pub const INVITE_MAC_KEY: &[u8] = b"confide/v1/invite-mac";
    /// HMAC prefix of an acceptance (FORMAT.md#acceptance).
    pub const ACCEPTANCE_MAC: &[u8] = b"confide/v1/acceptance-mac\x00";
    /// Ed25519 signature prefix of an acceptance (FORMAT.md#acceptance).
    pub const ACCEPTANCE_SIGNATURE: &[u8] = b"confide/v1/acceptance\x00";
    /// Ed25519 signature prefix of a storage server's login challenge
    /// (FORMAT.md#server-challenge): never a valid log entry, grant or acceptance message.
    pub const SERVER_CHALLENGE: &[u8] = b"confide/v1/server-challenge\x00";
    /// HKDF info prefix of an epoch key check (FORMAT.md#epoch-key-check).
    pub const EPOCH_KEY_CHECK: &[u8] = b"confide/v1/epoch-key-check\x00";
    /// HKDF info prefix of a history link's wrapping key (FORMAT.md#history-link).
    pub const HISTORY_LINK: &[u8] = b"confide/v1/history-link\x00";
    /// Ed25519 signature prefix of a case log entry (FORMAT.md#case-log-entry).
    pub const CASE_ENTRY_SIGNATURE: &[u8] = b"confide/v1/case-entry\x00";
    /// Hash prefix of a case log entry (FORMAT.md#case-log-entry).
    pub const CASE_ENTRY_HASH: &[u8] = b"confide/v1/case-entry-hash\x00";
    /// HKDF info prefix of a case key check (FORMAT.md#case-keys).
    pub const CASE_KEY_CHECK: &[u8] = b"confide/v1/case-key-check\x00";
    /// HPKE info prefix of a case grant (FORMAT.md#case-grant).
    pub const CASE_GRANT_INFO: &[u8] = b"confide/v1/case-grant\x00";
    /// Ed25519 signature prefix of a case grant (FORMAT.md#case-grant).
    pub const CASE_GRANT_SIGNATURE: &[u8] = b"confide/v1/case-grant-signature\x00";
    /// Hash prefix of the record a write revision signs (FORMAT.md#revision).
    pub const REVISION_RECORD: &[u8] = b"confide/v1/revision-record\x00";
    /// Ed25519 signature prefix of a revision (FORMAT.md#revision).
    pub const REVISION_SIGNATURE: &[u8] = b"confide/v1/revision\x00";
    /// Hash prefix of a revision (FORMAT.md#revision).
    pub const REVISION_HASH: &[u8] = b"confide/v1/revision-hash\x00";
    /// Ed25519 signature prefix of a sign-off (FORMAT.md#sign-off).
    pub const SIGN_OFF_SIGNATURE: &[u8] = b"confide/v1/sign-off\x00";
    /// Ed25519 signature prefix of an audit entry (FORMAT.md#audit-entry).
    pub const AUDIT_SIGNATURE: &[u8] = b"confide/v1/audit-entry\x00";
    /// Hash prefix of an audit entry (FORMAT.md#audit-entry).
    pub const AUDIT_HASH: &[u8] = b"confide/v1/audit-entry-hash\x00";
    /// HKDF info of the blind index key (FORMAT.md#blind-index).
    pub const BLIND_INDEX: &[u8] = b"confide/v1/blind-index";
    /// HKDF info of a backup's passphrase check (FORMAT.md#passphrase-backup).
    pub const BACKUP_CHECK: &[u8] = b"confide/v1/backup/check";
    /// HKDF info of a backup's wrapping key (FORMAT.md#passphrase-backup).
    pub const BACKUP_KEY: &[u8] = b"confide/v1/backup/key";
    /// The HKDF-Expand info prefix fixed by c2sp.org/chunked-encryption#key-derivation,
    /// with the AEAD name and its 0x00 terminator.
    pub const C2SP_CHUNKED_AES_256_GCM: &[u8] =
        b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00";
}

/// `HKDF-SHA256(ikm, salt, info, 32)`, extract then expand (RFC 5869 §2).
pub(crate) fn hkdf_sha256_32(ikm: &[u8], salt: &[u8], info: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    // 32 <= 255 * 32, so expand cannot fail (RFC 5869 §2.3).
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, &mut okm);
    okm
}

/// `HKDF-Expand-SHA256(prk, info_parts..., L)` with no extract step (RFC 5869 §2.3),
/// as c2sp.org/chunked-encryption#key-derivation requires. `prk` is 32 bytes and
/// `okm.len() <= 255 * 32`, so this cannot fail.
pub(crate) fn hkdf_expand_sha256(prk: &[u8; 32], info_parts: &[&[u8]], okm: &mut [u8]) {
    if let Ok(hk) = Hkdf::<Sha256>::from_prk(prk) {
        let _ = hk.expand_multi_info(info_parts, okm);
    }
}

/// `HKDF-Expand-SHA512(prk, info_parts..., L)` with no extract step (RFC 5869 §2.3), as
/// Cobblestone-256 (c2sp.org/chunked-encryption) requires with a 32-byte input key.
///
/// The `hkdf` crate asks for a PRK of at least HashLen (64) bytes. HMAC pads a key shorter
/// than SHA-512's 128-byte block with zeros (RFC 2104 §2), so `prk || 0^32` is the same HMAC
/// key as `prk` and gives the same output bit for bit (a unit test checks this against HMAC
/// itself; Wycheproof's Cobblestone-256 vectors check the whole derivation).
/// `okm.len() <= 255 * 64`, so this cannot fail.
pub(crate) fn hkdf_expand_sha512(prk: &[u8; 32], info_parts: &[&[u8]], okm: &mut [u8]) {
    let mut padded = zeroize::Zeroizing::new([0u8; 64]);
    if let Some(head) = padded.get_mut(..32) {
        head.copy_from_slice(prk);
    }
    if let Ok(hk) = Hkdf::<Sha512>::from_prk(padded.as_slice()) {
        let _ = hk.expand_multi_info(info_parts, okm);
    }
}

/// `SHA-256(parts...)` (FIPS 180-4).
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// `HMAC-SHA256(key, parts...)` (RFC 2104).
pub(crate) fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC accepts keys of any length; a 32-byte key never fails.
        return [0u8; 32];
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `SHA-512(parts...)` (FIPS 180-4).
pub(crate) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// An AES-256-GCM key ready for per-chunk use (NIST SP 800-38D).
pub(crate) struct Aes256GcmKey(Aes256Gcm);

impl Aes256GcmKey {
    /// Length of an AES-256-GCM tag.
    pub(crate) const TAG_LEN: usize = 16;

    pub(crate) fn new(key: &[u8; 32]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    /// Encrypts `buf[..len-16]` in place and writes the tag into `buf[len-16..]`. AAD is empty
    /// (c2sp.org/chunked-encryption#aead-usage). `buf.len() >= 16`.
    pub(crate) fn seal_in_place(&self, nonce: &[u8; 12], buf: &mut [u8]) -> bool {
        let Some(split) = buf.len().checked_sub(Self::TAG_LEN) else {
            return false;
        };
        let (msg, tag_out) = buf.split_at_mut(split);
        match self
            .0
            .encrypt_inout_detached(nonce.into(), &[], InOutBuf::from(msg))
        {
            Ok(tag) => {
                tag_out.copy_from_slice(&tag);
                true
            }
            Err(_) => false,
        }
    }

    /// `ciphertext || tag` of `plaintext` with `aad` (NIST SP 800-38D), for small objects.
    pub(crate) fn seal_with_aad(&self, nonce: &[u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut out = plaintext.to_vec();
        let tag =
            self.0
                .encrypt_inout_detached(nonce.into(), aad, InOutBuf::from(out.as_mut_slice()));
        match tag {
            Ok(tag) => out.extend_from_slice(&tag),
            // Only inputs longer than 2^36 bytes fail; callers seal 32 bytes.
            Err(_) => out.clear(),
        }
        out
    }

    /// Opens `ciphertext || tag` with `aad`; `None` unless the tag verifies.
    pub(crate) fn open_with_aad(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        sealed: &[u8],
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let split = sealed.len().checked_sub(Self::TAG_LEN)?;
        let (ct, tag) = sealed.split_at(split);
        let mut out = zeroize::Zeroizing::new(ct.to_vec());
        let tag = tag.try_into().ok()?;
        self.0
            .decrypt_inout_detached(nonce.into(), aad, InOutBuf::from(out.as_mut_slice()), tag)
            .ok()?;
        Some(out)
    }

    /// Authenticates and decrypts `ct || tag` from `input` into `out` (`out.len() == input.len() - 16`).
    /// Nothing is written to `out` unless the tag verifies... except scratch that is zeroed on failure.
    pub(crate) fn open_into(&self, nonce: &[u8; 12], input: &[u8], out: &mut [u8]) -> bool {
        let Some(split) = input.len().checked_sub(Self::TAG_LEN) else {
            return false;
        };
        let (ct, tag) = input.split_at(split);
        if out.len() != ct.len() {
            return false;
        }
        out.copy_from_slice(ct);
        let Ok(tag) = tag.try_into() else {
            return false;
        };
        let ok = self
            .0
            .decrypt_inout_detached(nonce.into(), &[], InOutBuf::from(&mut *out), tag)
            .is_ok();
        if !ok {
            out.fill(0);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{KeyInit, Mac};

    /// HKDF-Expand from RFC 5869 §2.3, written out with HMAC-SHA512 keyed by the 32-byte PRK
    /// itself: `T(1) = HMAC(prk, info || 0x01)`, `T(2) = HMAC(prk, T(1) || info || 0x02)`.
    #[test]
    fn hkdf_expand_sha512_is_hmac_keyed_by_the_32_byte_prk() {
        let prk = [0x5au8; 32];
        let info: &[&[u8]] = &[
            b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00",
            &[1; 24],
            b"ctx",
        ];
        let mut got = [0u8; 76];
        hkdf_expand_sha512(&prk, info, &mut got);
        let mut expected = Vec::new();
        let mut previous: Vec<u8> = Vec::new();
        for i in 1u8..=2 {
            let mut mac = hmac::Hmac::<Sha512>::new_from_slice(&prk).unwrap();
            mac.update(&previous);
            for part in info {
                mac.update(part);
            }
            mac.update(&[i]);
            previous = mac.finalize().into_bytes().to_vec();
            expected.extend_from_slice(&previous);
        }
        assert_eq!(got.as_slice(), &expected[..76]);
    }
}

//! C2SP chunked encryption v1 instantiated with HKDF-SHA256 and AEAD_AES_256_GCM
//! (<https://c2sp.org/chunked-encryption>, docs/FORMAT.md#chunked-encryption).

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::primitives::{Aes256GcmKey, hkdf_expand_sha256, labels};

/// Plaintext bytes per full chunk (c2sp.org/chunked-encryption#message-chunking).
pub const CHUNK_LEN: usize = 16 * 1024;
/// AES-256-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Ciphertext bytes per full chunk.
pub const ENCRYPTED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// Length of the random salt.
pub const SALT_LEN: usize = 24;
/// Length of the key commitment.
pub const COMMITMENT_LEN: usize = 32;
/// `salt || commitment`, the fixed prefix of every message.
pub const PREFIX_LEN: usize = SALT_LEN + COMMITMENT_LEN;
/// Chunk counters must stay below 2^38 (c2sp.org/chunked-encryption#message-chunking).
pub const MAX_CHUNKS: u64 = 1 << 38;

/// The raw AES-256-GCM key and base nonce of one message, for an AEAD engine outside the
/// core (the JS package's WebCrypto engine, FORMAT.md#streaming). Zeroized on drop.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct MessageKeyMaterial {
    key: [u8; 32],
    base_nonce: [u8; 12],
}

impl MessageKeyMaterial {
    /// `key || base nonce || commitment = HKDF-Expand(input key,
    /// "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" || 0x00 || salt || context, 76)`.
    pub(crate) fn derive(
        input_key: &[u8; 32],
        salt: &[u8; SALT_LEN],
        context: &[u8],
    ) -> (Self, [u8; COMMITMENT_LEN]) {
        let mut okm = Zeroizing::new([0u8; 32 + 12 + COMMITMENT_LEN]);
        hkdf_expand_sha256(
            input_key,
            &[labels::C2SP_CHUNKED_AES_256_GCM, salt, context],
            okm.as_mut(),
        );
        let mut material = Self {
            key: [0; 32],
            base_nonce: [0; 12],
        };
        let mut commitment = [0u8; COMMITMENT_LEN];
        let (key, rest) = okm.split_at(32);
        let (nonce, commit) = rest.split_at(12);
        material.key.copy_from_slice(key);
        material.base_nonce.copy_from_slice(nonce);
        commitment.copy_from_slice(commit);
        (material, commitment)
    }

    /// The AES-256-GCM key of this message. Anyone holding it reads this one record.
    pub fn expose_key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The base nonce; chunk `k` uses it XOR the big-endian `k`.
    pub fn base_nonce(&self) -> &[u8; 12] {
        &self.base_nonce
    }
}

/// The per-message key and base nonce, derived from an input key, salt and context.
pub(crate) struct MessageKeys {
    aead: Aes256GcmKey,
    base_nonce: [u8; 12],
    commitment: [u8; COMMITMENT_LEN],
}

impl MessageKeys {
    /// `key || base nonce || commitment = HKDF-Expand(input key,
    /// "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" || 0x00 || salt || context, 76)`.
    pub(crate) fn derive(input_key: &[u8; 32], salt: &[u8; SALT_LEN], context: &[u8]) -> Self {
        let (material, commitment) = MessageKeyMaterial::derive(input_key, salt, context);
        Self::from_material(&material, commitment)
    }

    pub(crate) fn from_material(
        material: &MessageKeyMaterial,
        commitment: [u8; COMMITMENT_LEN],
    ) -> Self {
        Self {
            aead: Aes256GcmKey::new(&material.key),
            base_nonce: material.base_nonce,
            commitment,
        }
    }

    /// The key commitment to prepend (or compare against, in constant time).
    pub(crate) fn commitment(&self) -> &[u8; COMMITMENT_LEN] {
        &self.commitment
    }

    /// Seals chunk `index` in place: `buf` holds the plaintext then 16 spare bytes for the tag.
    pub(crate) fn seal_chunk(&self, index: u64, buf: &mut [u8]) -> bool {
        index < MAX_CHUNKS && self.aead.seal_in_place(&self.nonce(index), buf)
    }

    /// Opens chunk `index` (`ciphertext || tag`) into `out`; `out` is zeroed on failure.
    pub(crate) fn open_chunk(&self, index: u64, input: &[u8], out: &mut [u8]) -> bool {
        index < MAX_CHUNKS && self.aead.open_into(&self.nonce(index), input, out)
    }

    /// The nonce of chunk `index`: the base nonce XOR the big-endian index
    /// (c2sp.org/chunked-encryption#aead-usage).
    fn nonce(&self, index: u64) -> [u8; 12] {
        let mut nonce = self.base_nonce;
        for (n, c) in nonce.iter_mut().skip(4).zip(index.to_be_bytes()) {
            *n ^= c;
        }
        nonce
    }
}

/// Exact ciphertext length of a `plaintext_len`-byte message.
pub fn ciphertext_len(plaintext_len: usize) -> Option<usize> {
    let full = plaintext_len / CHUNK_LEN;
    let rest = plaintext_len % CHUNK_LEN;
    full.checked_mul(ENCRYPTED_CHUNK_LEN)?
        .checked_add(PREFIX_LEN + rest + TAG_LEN)
}

/// Exact plaintext length of a `ciphertext_len`-byte message, or `None` if no message
/// has that length (c2sp.org/chunked-encryption#implementation-notes).
pub fn plaintext_len(ciphertext_len: usize) -> Option<usize> {
    let body = ciphertext_len.checked_sub(PREFIX_LEN)?;
    let full = body / ENCRYPTED_CHUNK_LEN;
    let last = (body % ENCRYPTED_CHUNK_LEN).checked_sub(TAG_LEN)?;
    Some(full * CHUNK_LEN + last)
}

/// Encrypts a whole message into `salt || commitment || chunks`.
pub(crate) fn seal(
    input_key: &[u8; 32],
    salt: &[u8; SALT_LEN],
    context: &[u8],
    plaintext: &[u8],
) -> Option<Vec<u8>> {
    let keys = MessageKeys::derive(input_key, salt, context);
    let total = ciphertext_len(plaintext.len())?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(salt);
    out.extend_from_slice(&keys.commitment);
    // One chunk per CHUNK_LEN, then the final short (possibly empty) chunk.
    let full = plaintext.len() / CHUNK_LEN;
    let mut chunks = plaintext
        .chunks(CHUNK_LEN)
        .take(full)
        .chain(core::iter::once(plaintext.get(full * CHUNK_LEN..)?));
    let mut index = 0u64;
    chunks.try_for_each(|chunk| {
        if index >= MAX_CHUNKS {
            return None;
        }
        let start = out.len();
        out.extend_from_slice(chunk);
        out.resize(start + chunk.len() + TAG_LEN, 0);
        keys.aead
            .seal_in_place(&keys.nonce(index), out.get_mut(start..)?)
            .then_some(())?;
        index += 1;
        Some(())
    })?;
    Some(out)
}

/// Why [`open`] failed. Both are reported as one opaque failure to callers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OpenError {
    /// Too short, or a length no honest message has (truncated or extended).
    Length,
    /// The commitment or a chunk tag does not verify.
    Authentication,
}

/// Decrypts `salt || commitment || chunks`. The commitment is checked before any chunk
/// is opened, and every chunk authenticates before the plaintext is returned.
pub(crate) fn open(
    input_key: &[u8; 32],
    context: &[u8],
    message: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let pt_len = plaintext_len(message.len()).ok_or(OpenError::Length)?;
    let (prefix, body) = message
        .split_at_checked(PREFIX_LEN)
        .ok_or(OpenError::Length)?;
    let (salt, commitment) = prefix.split_at(SALT_LEN);
    let salt: &[u8; SALT_LEN] = salt.try_into().map_err(|_| OpenError::Length)?;
    let keys = MessageKeys::derive(input_key, salt, context);
    if !bool::from(keys.commitment.ct_eq(commitment)) {
        return Err(OpenError::Authentication);
    }
    let mut out = Zeroizing::new(vec![0u8; pt_len]);
    for (index, (enc, dst)) in body
        .chunks(ENCRYPTED_CHUNK_LEN)
        .zip(
            out.chunks_mut(CHUNK_LEN)
                .chain(core::iter::once(&mut [][..])),
        )
        .enumerate()
    {
        let index = index as u64;
        if index >= MAX_CHUNKS || !keys.aead.open_into(&keys.nonce(index), enc, dst) {
            out.fill(0);
            return Err(OpenError::Authentication);
        }
    }
    Ok(out)
}

//! C2SP chunked encryption v1 with AEAD_AES_256_GCM (<https://c2sp.org/chunked-encryption>,
//! docs/FORMAT.md#chunked-encryption), in its two instantiations: HKDF-Expand with SHA-256
//! (records of version 1) and with SHA-512, the spec's named Cobblestone-256 (version 2).

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::primitives::{Aes256GcmKey, hkdf_expand_sha256, hkdf_expand_sha512, labels};

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

/// The hash behind the key derivation; the AEAD is AES-256-GCM in both
/// (FORMAT.md#chunked-encryption).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Suite {
    /// HKDF-Expand with SHA-256: records of version 1, which keep opening.
    Sha256Aes256Gcm,
    /// HKDF-Expand with SHA-512: Cobblestone-256, what new records use (version 2).
    Cobblestone256,
}

/// The raw AES-256-GCM key and base nonce of one message, for an AEAD engine outside the
/// core (the JS package's WebCrypto engine, FORMAT.md#streaming). Zeroized on drop.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct MessageKeyMaterial {
    key: [u8; 32],
    base_nonce: [u8; 12],
}

impl MessageKeyMaterial {
    /// `key || base nonce || commitment = HKDF-Expand(input key,
    /// "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" || 0x00 || salt || context, 76)`,
    /// with the suite's hash.
    pub(crate) fn derive(
        suite: Suite,
        input_key: &[u8; 32],
        salt: &[u8; SALT_LEN],
        context: &[u8],
    ) -> (Self, [u8; COMMITMENT_LEN]) {
        let mut okm = Zeroizing::new([0u8; 32 + 12 + COMMITMENT_LEN]);
        let info = [labels::C2SP_CHUNKED_AES_256_GCM, salt, context];
        match suite {
            Suite::Sha256Aes256Gcm => hkdf_expand_sha256(input_key, &info, okm.as_mut()),
            Suite::Cobblestone256 => hkdf_expand_sha512(input_key, &info, okm.as_mut()),
        }
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
    /// Derives the message keys (see [`MessageKeyMaterial::derive`]).
    pub(crate) fn derive(
        suite: Suite,
        input_key: &[u8; 32],
        salt: &[u8; SALT_LEN],
        context: &[u8],
    ) -> Self {
        let (material, commitment) = MessageKeyMaterial::derive(suite, input_key, salt, context);
        Self::from_material(&material, commitment)
    }

    /// Derives the keys from `salt || commitment` and checks the commitment, in constant
    /// time, before any chunk is opened (c2sp.org/chunked-encryption#key-derivation).
    pub(crate) fn derive_checked(
        suite: Suite,
        input_key: &[u8; 32],
        prefix: &[u8],
        context: &[u8],
    ) -> Result<Self, OpenError> {
        let salt = prefix
            .get(..SALT_LEN)
            .and_then(|s| <&[u8; SALT_LEN]>::try_from(s).ok())
            .ok_or(OpenError::Length)?;
        let commitment = prefix.get(SALT_LEN..PREFIX_LEN).ok_or(OpenError::Length)?;
        let keys = Self::derive(suite, input_key, salt, context);
        if bool::from(keys.commitment.ct_eq(commitment)) {
            Ok(keys)
        } else {
            Err(OpenError::Authentication)
        }
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

    /// Opens chunk `index` of a message by position (c2sp.org/chunked-encryption
    /// #implementation-notes): a non-final chunk is exactly 16400 bytes, the final one 16 to
    /// 16399; the caller says which it believes this is, and a wrong belief fails.
    pub(crate) fn open_chunk_at(
        &self,
        index: u64,
        chunk: &[u8],
        is_final: bool,
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let length_ok = if is_final {
            (TAG_LEN..ENCRYPTED_CHUNK_LEN).contains(&chunk.len())
        } else {
            chunk.len() == ENCRYPTED_CHUNK_LEN
        };
        if !length_ok {
            return Err(OpenError::Length);
        }
        let mut plain = Zeroizing::new(vec![0u8; chunk.len() - TAG_LEN]);
        if self.open_chunk(index, chunk, &mut plain) {
            Ok(plain)
        } else {
            Err(OpenError::Authentication)
        }
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
    suite: Suite,
    input_key: &[u8; 32],
    salt: &[u8; SALT_LEN],
    context: &[u8],
    plaintext: &[u8],
) -> Option<Vec<u8>> {
    let keys = MessageKeys::derive(suite, input_key, salt, context);
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

/// Why opening a message failed. Both are reported as one opaque failure to callers.
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
    suite: Suite,
    input_key: &[u8; 32],
    context: &[u8],
    message: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let pt_len = plaintext_len(message.len()).ok_or(OpenError::Length)?;
    let (prefix, body) = message
        .split_at_checked(PREFIX_LEN)
        .ok_or(OpenError::Length)?;
    let keys = MessageKeys::derive_checked(suite, input_key, prefix, context)?;
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

/// The chunks of one message opened as their bytes arrive
/// (c2sp.org/chunked-encryption#implementation-notes): a full chunk is opened once one more
/// byte shows it is not the final one, and the final chunk at the end. Memory stays at one
/// chunk. Plaintext is handed out only after its chunk authenticates.
pub(crate) struct ChunkStream {
    keys: MessageKeys,
    index: u64,
    buf: Vec<u8>,
}

impl ChunkStream {
    /// Starts after the commitment was checked; `initial` holds the chunk bytes read with the
    /// prefix.
    pub(crate) fn new(keys: MessageKeys, initial: &[u8]) -> Self {
        let mut buf = Vec::with_capacity(ENCRYPTED_CHUNK_LEN + 1);
        buf.extend_from_slice(initial);
        Self {
            keys,
            index: 0,
            buf,
        }
    }

    /// Takes more chunk bytes; calls `release` with the plaintext of every chunk completed.
    pub(crate) fn push<E: From<OpenError>>(
        &mut self,
        mut data: &[u8],
        mut release: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while !data.is_empty() {
            let take = (ENCRYPTED_CHUNK_LEN + 1)
                .saturating_sub(self.buf.len())
                .min(data.len());
            let (now, rest) = data.split_at(take);
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() > ENCRYPTED_CHUNK_LEN {
                let plain = self.keys.open_chunk_at(
                    self.index,
                    self.buf.get(..ENCRYPTED_CHUNK_LEN).unwrap_or_default(),
                    false,
                )?;
                self.index += 1;
                self.buf.drain(..ENCRYPTED_CHUNK_LEN);
                release(&plain)?;
            }
        }
        Ok(())
    }

    /// Ends the message: the buffered bytes are the final chunk, 16 to 16399 bytes, or the
    /// message was cut or extended.
    pub(crate) fn finish<E: From<OpenError>>(
        self,
        mut release: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let plain = self.keys.open_chunk_at(self.index, &self.buf, true)?;
        release(&plain)
    }
}

/// Direct access to the chunked layer with raw input keys, for conformance tests (Wycheproof's
/// Cobblestone-256 vectors) and independent implementations. Never part of the application
/// API: records are the safe interface.
#[cfg(feature = "hazmat")]
pub mod hazmat {
    use zeroize::Zeroizing;

    use super::{ChunkStream, MessageKeys, OpenError, PREFIX_LEN, Suite};

    /// Why a message did not open: a length no message has, or a failed commitment or tag.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Failed;

    impl From<OpenError> for Failed {
        fn from(_: OpenError) -> Self {
            Self
        }
    }

    /// Encrypts a message with a given salt (c2sp.org/chunked-encryption).
    pub fn seal_with_salt(
        suite: Suite,
        input_key: &[u8; 32],
        salt: &[u8; super::SALT_LEN],
        context: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        super::seal(suite, input_key, salt, context, plaintext)
    }

    /// Decrypts a whole message.
    ///
    /// # Errors
    /// [`Failed`] for any truncated, extended or altered message, or a wrong key or context.
    pub fn open(
        suite: Suite,
        input_key: &[u8; 32],
        context: &[u8],
        message: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Failed> {
        Ok(super::open(suite, input_key, context, message)?)
    }

    /// Decrypts a message as it arrives.
    pub struct MessageDecryptor {
        suite: Suite,
        input_key: Zeroizing<[u8; 32]>,
        context: Vec<u8>,
        prefix: Vec<u8>,
        chunks: Option<ChunkStream>,
        failed: bool,
    }

    impl MessageDecryptor {
        /// A decryptor for a message under `input_key` and `context`.
        pub fn new(suite: Suite, input_key: &[u8; 32], context: &[u8]) -> Self {
            Self {
                suite,
                input_key: Zeroizing::new(*input_key),
                context: context.to_vec(),
                prefix: Vec::with_capacity(PREFIX_LEN),
                chunks: None,
                failed: false,
            }
        }

        /// Takes more ciphertext; returns the plaintext of the chunks that authenticated.
        ///
        /// # Errors
        /// [`Failed`]; after a failure every later call fails too.
        pub fn push(&mut self, mut data: &[u8]) -> Result<Zeroizing<Vec<u8>>, Failed> {
            let mut out = Zeroizing::new(Vec::new());
            let result = (|| {
                if self.failed {
                    return Err(Failed);
                }
                if self.chunks.is_none() {
                    let take = (PREFIX_LEN - self.prefix.len()).min(data.len());
                    let (now, rest) = data.split_at(take);
                    self.prefix.extend_from_slice(now);
                    data = rest;
                    if self.prefix.len() < PREFIX_LEN {
                        return Ok(());
                    }
                    let keys = MessageKeys::derive_checked(
                        self.suite,
                        &self.input_key,
                        &self.prefix,
                        &self.context,
                    )?;
                    self.chunks = Some(ChunkStream::new(keys, &[]));
                }
                let chunks = self.chunks.as_mut().ok_or(Failed)?;
                chunks.push(data, |plain| {
                    out.extend_from_slice(plain);
                    Ok::<(), Failed>(())
                })
            })();
            if result.is_err() {
                self.failed = true;
            }
            result.map(|()| out)
        }

        /// Ends the message: opens the final chunk.
        ///
        /// # Errors
        /// [`Failed`] for a message cut before its final chunk, or a failure before.
        pub fn finish(self) -> Result<Zeroizing<Vec<u8>>, Failed> {
            if self.failed {
                return Err(Failed);
            }
            let chunks = self.chunks.ok_or(Failed)?;
            let mut out = Zeroizing::new(Vec::new());
            chunks.finish(|plain| {
                out.extend_from_slice(plain);
                Ok::<(), Failed>(())
            })?;
            Ok(out)
        }
    }

    /// Opens the chunks of one message by index (random access).
    pub struct ChunkReader(MessageKeys);

    impl ChunkReader {
        /// Checks the commitment in the message's first 56 bytes.
        ///
        /// # Errors
        /// [`Failed`] for a short prefix or a commitment that does not match.
        pub fn new(
            suite: Suite,
            input_key: &[u8; 32],
            context: &[u8],
            prefix: &[u8],
        ) -> Result<Self, Failed> {
            Ok(Self(MessageKeys::derive_checked(
                suite, input_key, prefix, context,
            )?))
        }

        /// Opens chunk `index`, which the caller believes is final or not.
        ///
        /// # Errors
        /// [`Failed`] for a wrong length, index or belief, or altered bytes.
        pub fn open_chunk(
            &self,
            index: u64,
            chunk: &[u8],
            is_final: bool,
        ) -> Result<Zeroizing<Vec<u8>>, Failed> {
            Ok(self.0.open_chunk_at(index, chunk, is_final)?)
        }
    }
}

//! Streaming records: the same bytes as a one-shot record (docs/FORMAT.md#record), produced
//! and consumed incrementally. No I/O here: callers `push` bytes in and get bytes out, then
//! `finish`. Memory stays at one chunk whatever the record size.

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{ArgumentError, DecryptError, ParseError};
use crate::keys::ContentKey;
use crate::primitives::chunked::{
    CHUNK_LEN, ChunkStream, ENCRYPTED_CHUNK_LEN, MessageKeyMaterial, MessageKeys, OpenError,
    PREFIX_LEN, SALT_LEN, TAG_LEN,
};
use crate::primitives::padding;
use crate::record::{self, HEADER_LEN, MIN_RECORD_LEN, RecordContext, RecordHeader, RecordKeys};
use crate::rng::random_array;

/// Encrypts one record incrementally. Each full 16 KiB chunk is sealed as soon as it is
/// complete (c2sp.org/chunked-encryption#implementation-notes): no look-ahead is needed,
/// because only the final chunk is short.
pub struct RecordEncryptor {
    keys: MessageKeys,
    index: u64,
    /// Plaintext of the chunk being filled, with room for its tag.
    pending: Zeroizing<Vec<u8>>,
    /// `header || salt || commitment`, emitted before the first chunk.
    prefix: Option<Vec<u8>>,
    padded: bool,
    total: u64,
    /// For text records: the input must be UTF-8 across push boundaries.
    text: Option<Utf8Check>,
}

impl RecordEncryptor {
    pub(crate) fn new_with_rng(
        key: &ContentKey,
        header: RecordHeader,
        ctx: &RecordContext<'_>,
        rng: &mut impl CryptoRng,
    ) -> Result<Self, ArgumentError> {
        ctx.validate()?;
        let encoded = header.encode();
        let context = record::context_bytes(&encoded, ctx);
        let salt: [u8; SALT_LEN] = random_array(rng);
        let keys =
            MessageKeys::derive(header.version.suite(), key.expose_secret(), &salt, &context);
        let mut prefix = Vec::with_capacity(HEADER_LEN + PREFIX_LEN);
        prefix.extend_from_slice(&encoded);
        prefix.extend_from_slice(&salt);
        prefix.extend_from_slice(keys.commitment());
        Ok(Self {
            keys,
            index: 0,
            pending: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_LEN)),
            prefix: Some(prefix),
            padded: header.padded,
            total: 0,
            text: (header.content_type == crate::ContentType::Text).then(Utf8Check::default),
        })
    }

    /// Takes more plaintext; returns the ciphertext that is now complete (possibly empty).
    ///
    /// # Errors
    /// [`ArgumentError::TooLong`] past the chunk-counter limit (FORMAT.md#limits).
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<u8>, ArgumentError> {
        self.total = self.total.saturating_add(data.len() as u64);
        // A padded record is at most 256 MiB of payload (FORMAT.md#limits), so its padding
        // arithmetic stays in range on 32-bit targets.
        if self.padded && self.total > record::MAX_ONE_SHOT_LEN as u64 {
            return Err(ArgumentError::TooLong {
                got: usize::try_from(self.total).unwrap_or(usize::MAX),
            });
        }
        if let Some(text) = &mut self.text {
            if !text.feed(data) {
                return Err(ArgumentError::NotText);
            }
        }
        let mut out = self.prefix.take().unwrap_or_default();
        while !data.is_empty() {
            let room = CHUNK_LEN - self.pending.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.pending.extend_from_slice(now);
            data = rest;
            if self.pending.len() == CHUNK_LEN {
                self.seal_pending(&mut out)?;
            }
        }
        Ok(out)
    }

    /// Ends the record: pads if the header says so, then seals the final, short chunk.
    ///
    /// # Errors
    /// [`ArgumentError::TooLong`] past the chunk-counter limit.
    pub fn finish(mut self) -> Result<Vec<u8>, ArgumentError> {
        if self.text.as_ref().is_some_and(|t| !t.is_complete()) {
            return Err(ArgumentError::NotText);
        }
        let mut out = self.prefix.take().unwrap_or_default();
        if self.padded {
            // FORMAT.md#padding: payload || 0x80 || 0x00 * (padded_len - payload_len - 1).
            let payload = usize::try_from(self.total)
                .map_err(|_| ArgumentError::TooLong { got: usize::MAX })?;
            let mut fill = padding::padded_len(payload) - payload;
            let mut marker = true;
            while fill > 0 {
                let n = (CHUNK_LEN - self.pending.len()).min(fill);
                let start = self.pending.len();
                self.pending.resize(start + n, 0);
                if marker {
                    if let Some(first) = self.pending.get_mut(start) {
                        *first = 0x80;
                    }
                    marker = false;
                }
                fill -= n;
                if self.pending.len() == CHUNK_LEN {
                    self.seal_pending(&mut out)?;
                }
            }
        }
        self.seal_pending(&mut out)?;
        Ok(out)
    }

    fn seal_pending(&mut self, out: &mut Vec<u8>) -> Result<(), ArgumentError> {
        let start = out.len();
        out.extend_from_slice(&self.pending);
        out.resize(start + self.pending.len() + TAG_LEN, 0);
        let chunk = out.get_mut(start..).unwrap_or_default();
        if !self.keys.seal_chunk(self.index, chunk) {
            return Err(ArgumentError::TooLong { got: usize::MAX });
        }
        self.index += 1;
        self.pending.clear();
        Ok(())
    }
}

enum DecryptState {
    /// Collecting the header, salt, commitment and the first tag's worth of bytes.
    Prefix(Vec<u8>),
    /// Keys derived and commitment checked; the chunks stream through.
    Body {
        chunks: Box<ChunkStream>,
        header: RecordHeader,
    },
    /// An error was returned; every later call fails too.
    Failed,
}

impl From<OpenError> for DecryptError {
    fn from(_: OpenError) -> Self {
        Self::DecryptionFailed
    }
}

/// Decrypts one record incrementally. Plaintext is returned only after its chunk
/// authenticates; a record that ends early, is cut, extended, reordered or spliced fails.
pub struct RecordDecryptor {
    record_id: String,
    field: String,
    state: DecryptState,
    /// What the chunks release: the padding and UTF-8 checks of the record's header.
    release: Release,
}

/// The checks on a record's authenticated plaintext as it is released: a padded record's
/// padding is withheld (FORMAT.md#streaming step 4), a text record's UTF-8 checked (step 5).
#[derive(Default)]
struct Release {
    padded: bool,
    /// For padded records: the withheld suffix `0x80? 0x00*`, kept as a count.
    withheld_marker: bool,
    withheld_zeros: u64,
    released: u64,
    padded_total: u64,
    /// For text records: UTF-8 validation across chunk edges.
    text: Option<Utf8Check>,
}

impl RecordDecryptor {
    /// A decryptor for a record bound to `ctx`.
    ///
    /// # Errors
    /// [`ArgumentError`] if the context is invalid.
    pub fn new(ctx: &RecordContext<'_>) -> Result<Self, ArgumentError> {
        ctx.validate()?;
        Ok(Self {
            record_id: ctx.record_id.to_owned(),
            field: ctx.field.to_owned(),
            state: DecryptState::Prefix(Vec::with_capacity(MIN_RECORD_LEN)),
            release: Release::default(),
        })
    }

    /// The header, once it has been read and checked.
    pub fn header(&self) -> Option<RecordHeader> {
        match &self.state {
            DecryptState::Body { header, .. } => Some(*header),
            _ => None,
        }
    }

    /// Takes more ciphertext; returns the plaintext of every chunk that authenticated.
    ///
    /// # Errors
    /// As [`crate::Workspace::decrypt`]. After an error, every call fails with `DecryptionFailed`.
    pub fn push(
        &mut self,
        workspace: &(impl RecordKeys + ?Sized),
        mut data: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        // Reserved up front: growing a Vec would free plaintext copies without wiping them.
        let mut out = Zeroizing::new(Vec::with_capacity(data.len() + CHUNK_LEN));
        let result = (|| {
            if let DecryptState::Prefix(start) = &mut self.state {
                let take = (MIN_RECORD_LEN - start.len()).min(data.len());
                let (now, rest) = data.split_at(take);
                start.extend_from_slice(now);
                data = rest;
                if start.len() < MIN_RECORD_LEN {
                    return Ok(());
                }
                self.start_body(workspace)?;
            }
            let DecryptState::Body { chunks, .. } = &mut self.state else {
                return Err(DecryptError::DecryptionFailed);
            };
            let release = &mut self.release;
            chunks.push(data, |plain| release.release(plain, &mut out))
        })();
        if result.is_err() {
            self.state = DecryptState::Failed;
        }
        result.map(|()| out)
    }

    /// Ends the record: opens the final chunk and checks that the record is complete.
    ///
    /// # Errors
    /// `DecryptionFailed` for a record that ends early; otherwise as [`crate::Workspace::decrypt`].
    pub fn finish(mut self) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        let mut out = Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_LEN + MIN_RECORD_LEN));
        if let DecryptState::Prefix(start) = &self.state {
            // A stream that ends before 98 bytes fails as the one-shot parse would.
            RecordHeader::parse(start)?;
            return Err(DecryptError::DecryptionFailed);
        }
        let DecryptState::Body { chunks, .. } =
            core::mem::replace(&mut self.state, DecryptState::Failed)
        else {
            return Err(DecryptError::DecryptionFailed);
        };
        let release = &mut self.release;
        chunks.finish(|plain| release.release(plain, &mut out))?;
        self.release.check_complete()?;
        Ok(out)
    }

    /// Steps 1 to 8 and 10 of FORMAT.md#decrypting-a-record on the first 98 bytes.
    fn start_body(&mut self, workspace: &(impl RecordKeys + ?Sized)) -> Result<(), DecryptError> {
        let DecryptState::Prefix(start) = &self.state else {
            return Err(DecryptError::DecryptionFailed);
        };
        let ctx = RecordContext {
            record_id: &self.record_id,
            field: &self.field,
        };
        let (keys, header) = checked_keys(workspace, start, &ctx)?;
        let first = start.get(HEADER_LEN + PREFIX_LEN..).unwrap_or_default();
        let chunks = Box::new(ChunkStream::new(keys, first));
        self.release = Release {
            padded: header.padded,
            text: (header.content_type == crate::ContentType::Text).then(Utf8Check::default),
            ..Release::default()
        };
        self.state = DecryptState::Body { chunks, header };
        Ok(())
    }
}

impl Release {
    /// Appends authenticated plaintext to `out`, withholding a possible padding suffix of a
    /// padded record, and checks UTF-8 for a text record.
    fn release(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        let before = out.len();
        if self.padded {
            self.padded_total += plain.len() as u64;
            // No padded record is longer than a padded 256 MiB payload (FORMAT.md#limits).
            if self.padded_total > MAX_PADDED_TOTAL {
                return Err(ParseError::Length {
                    what: "padded record",
                    expected: "a payload of at most 256 MiB",
                    got: usize::MAX,
                }
                .into());
            }
            self.release_padded(plain, out)?;
        } else {
            out.extend_from_slice(plain);
        }
        if let Some(text) = &mut self.text {
            if !text.feed(out.get(before..).unwrap_or_default()) {
                return Err(ParseError::Field {
                    what: "record text",
                }
                .into());
            }
        }
        Ok(())
    }

    /// At the end: a padded record's withheld suffix must be its padding, and a text record
    /// must not end inside a character.
    fn check_complete(&self) -> Result<(), DecryptError> {
        if self.padded {
            let payload =
                usize::try_from(self.released).map_err(|_| DecryptError::DecryptionFailed)?;
            let total =
                usize::try_from(self.padded_total).map_err(|_| DecryptError::DecryptionFailed)?;
            if !self.withheld_marker || padding::padded_len(payload) != total {
                return Err(ParseError::Field { what: "padding" }.into());
            }
        }
        if self.text.as_ref().is_some_and(|t| !t.is_complete()) {
            return Err(ParseError::Field {
                what: "record text",
            }
            .into());
        }
        Ok(())
    }

    /// FORMAT.md#streaming step 4: only a run `0x80 0x00*` is withheld, and only while it is
    /// no longer than the padding a payload of the bytes released so far would carry.
    fn release_padded(&mut self, plain: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        let Some(last) = plain.iter().rposition(|b| *b != 0) else {
            if self.withheld_marker {
                self.withheld_zeros += plain.len() as u64;
                return self.flush_if_payload(out);
            }
            out.extend_from_slice(plain); // zeros with no marker before them are payload
            self.released += plain.len() as u64;
            return Ok(());
        };
        // A non-zero byte follows the withheld run, so that run was payload.
        self.flush_withheld(out)?;
        let (body, tail) = plain.split_at(last);
        out.extend_from_slice(body);
        self.released += body.len() as u64;
        if tail.first() == Some(&0x80) {
            self.withheld_marker = true;
            self.withheld_zeros = (tail.len() - 1) as u64;
            self.flush_if_payload(out)
        } else {
            out.extend_from_slice(tail);
            self.released += tail.len() as u64;
            Ok(())
        }
    }

    /// Releases the withheld run if it is longer than any padding could be.
    fn flush_if_payload(&mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        let payload = usize::try_from(self.released).map_err(|_| DecryptError::DecryptionFailed)?;
        let padding_zeros = (padding::padded_len(payload) - payload - 1) as u64;
        if self.withheld_zeros > padding_zeros {
            self.flush_withheld(out)
        } else {
            Ok(())
        }
    }

    fn flush_withheld(&mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        if self.withheld_marker {
            out.push(0x80);
            self.released += 1;
            self.withheld_marker = false;
        }
        let zeros =
            usize::try_from(self.withheld_zeros).map_err(|_| DecryptError::DecryptionFailed)?;
        out.resize(out.len() + zeros, 0);
        self.released += self.withheld_zeros;
        self.withheld_zeros = 0;
        Ok(())
    }
}

/// Longest padded plaintext: `padded_len(256 MiB)` (FORMAT.md#limits); a unit test checks it.
const MAX_PADDED_TOTAL: u64 = 276_824_064;

/// Incremental UTF-8 validation: keeps at most 3 bytes of an unfinished character.
#[derive(Default)]
struct Utf8Check {
    carry: Zeroizing<Vec<u8>>,
}

impl Utf8Check {
    /// False once the bytes so far cannot be UTF-8.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !self.carry.is_empty() {
            let Some((first, rest)) = bytes.split_first() else {
                return true;
            };
            self.carry.push(*first);
            bytes = rest;
            match core::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() && self.carry.len() < 4 => {}
                Err(_) => return false,
            }
        }
        match core::str::from_utf8(bytes) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.carry
                    .extend_from_slice(bytes.get(e.valid_up_to()..).unwrap_or_default());
                true
            }
            Err(_) => false,
        }
    }

    /// True if no character is left unfinished.
    fn is_complete(&self) -> bool {
        self.carry.is_empty()
    }
}

/// The first 98 bytes of a record, verified (see [`verified_material`]), as core message keys.
fn checked_keys(
    workspace: &(impl RecordKeys + ?Sized),
    start: &[u8],
    ctx: &RecordContext<'_>,
) -> Result<(MessageKeys, RecordHeader), DecryptError> {
    let (header, material, commitment) = verified_material(workspace, start, ctx)?;
    Ok((MessageKeys::from_material(&material, commitment), header))
}

/// Opens the chunks of one record by index, for range reads (FORMAT.md#range-reads): chunk
/// `k` is the ciphertext at offset `82 + 16400 k`, 16400 bytes long unless it is the final one.
pub struct RecordChunkReader {
    keys: Box<MessageKeys>,
    header: RecordHeader,
}

impl RecordChunkReader {
    /// Checks the header and commitment from the record's first 98 bytes (or more).
    ///
    /// # Errors
    /// As [`crate::Workspace::decrypt`] for the header, workspace, epoch, context and commitment.
    pub fn new(
        workspace: &(impl RecordKeys + ?Sized),
        start: &[u8],
        ctx: &RecordContext<'_>,
    ) -> Result<Self, DecryptError> {
        ctx.validate()?;
        let (keys, header) = checked_keys(workspace, start, ctx)?;
        Ok(Self {
            keys: Box::new(keys),
            header,
        })
    }

    /// The record's header.
    pub fn header(&self) -> RecordHeader {
        self.header
    }

    /// Opens chunk `index`. A non-final chunk must be exactly 16400 bytes and the final one
    /// 16 to 16399 bytes; the caller says which it believes this is, and a wrong belief fails.
    ///
    /// # Errors
    /// `DecryptionFailed` for a wrong length, index, key or altered bytes.
    pub fn open_chunk(
        &self,
        index: u64,
        chunk: &[u8],
        is_final: bool,
    ) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
        Ok(self.keys.open_chunk_at(index, chunk, is_final)?)
    }
}

/// For an AEAD engine outside the core (FORMAT.md#streaming): the `header || salt ||
/// commitment` prefix of a new unpadded record in the current epoch, and its message keys.
/// Chunks sealed with them by any correct AES-256-GCM give the same bytes as
/// [`RecordEncryptor`].
///
/// # Errors
/// `InvalidArgument` for an invalid context; `LevelTooLow` for keys that may not write.
pub fn external_encryption_with_rng(
    workspace: &(impl RecordKeys + ?Sized),
    ctx: &RecordContext<'_>,
    content_type: crate::ContentType,
    rng: &mut impl CryptoRng,
) -> Result<(Vec<u8>, MessageKeyMaterial), DecryptError> {
    ctx.validate()?;
    let (header, key) = workspace.key_for_new_record(content_type, false)?;
    let encoded = header.encode();
    let salt: [u8; SALT_LEN] = random_array(rng);
    let (material, commitment) = MessageKeyMaterial::derive(
        header.version.suite(),
        key.expose_secret(),
        &salt,
        &record::context_bytes(&encoded, ctx),
    );
    let mut prefix = Vec::with_capacity(HEADER_LEN + PREFIX_LEN);
    prefix.extend_from_slice(&encoded);
    prefix.extend_from_slice(&salt);
    prefix.extend_from_slice(&commitment);
    Ok((prefix, material))
}

/// For an AEAD engine outside the core: checks the first 98 bytes of a record (header,
/// workspace, epoch, commitment; FORMAT.md#decrypting-a-record steps 1 to 8) and returns its
/// header and message keys.
///
/// # Errors
/// As [`crate::Workspace::decrypt`] for those steps.
pub fn external_decryption(
    workspace: &(impl RecordKeys + ?Sized),
    start: &[u8],
    ctx: &RecordContext<'_>,
) -> Result<(RecordHeader, MessageKeyMaterial), DecryptError> {
    ctx.validate()?;
    let (header, material, _) = verified_material(workspace, start, ctx)?;
    Ok((header, material))
}

/// Steps 1 to 8 of FORMAT.md#decrypting-a-record on the first 98 bytes of a record: parse the
/// header, check workspace and epoch, derive the message keys, compare the commitment.
fn verified_material(
    workspace: &(impl RecordKeys + ?Sized),
    start: &[u8],
    ctx: &RecordContext<'_>,
) -> Result<(RecordHeader, MessageKeyMaterial, [u8; 32]), DecryptError> {
    let header = RecordHeader::parse(start)?;
    let key = workspace.key_for_record(&header)?;
    let malformed = || {
        DecryptError::Malformed(ParseError::Field {
            what: "record header",
        })
    };
    let encoded: &[u8; HEADER_LEN] = start
        .get(..HEADER_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(malformed)?;
    let salt: &[u8; SALT_LEN] = start
        .get(HEADER_LEN..HEADER_LEN + SALT_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(malformed)?;
    let commitment = start
        .get(HEADER_LEN + SALT_LEN..HEADER_LEN + PREFIX_LEN)
        .ok_or_else(malformed)?;
    let (material, expected) = MessageKeyMaterial::derive(
        header.version.suite(),
        key.expose_secret(),
        salt,
        &record::context_bytes(encoded, ctx),
    );
    // c2sp.org/chunked-encryption#key-derivation: check the commitment before any chunk.
    if !bool::from(expected.ct_eq(commitment)) {
        return Err(DecryptError::DecryptionFailed);
    }
    Ok((header, material, expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded_rng;
    use crate::{ContentType, EncryptOptions, MemberSecretKey, Workspace};

    const CTX: RecordContext<'static> = RecordContext {
        record_id: "n",
        field: "f",
    };

    fn workspace() -> Workspace {
        let member = MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]));
        Workspace::create_with_rng(member, 1_790_000_000, &mut seeded_rng([2; 32])).unwrap()
    }

    #[test]
    fn max_padded_total_is_a_padded_256_mib_payload() {
        assert_eq!(
            MAX_PADDED_TOTAL,
            padding::padded_len(record::MAX_ONE_SHOT_LEN) as u64
        );
    }

    #[test]
    fn utf8_check_spans_chunk_edges() {
        let text = "Séance 睡眠 🌙".as_bytes();
        for split in 0..text.len() {
            let mut check = Utf8Check::default();
            assert!(
                check.feed(&text[..split]) && check.feed(&text[split..]) && check.is_complete(),
                "{split}"
            );
        }
        let mut cut = Utf8Check::default();
        assert!(cut.feed(&text[..text.len() - 1]) && !cut.is_complete());
        assert!(!Utf8Check::default().feed(b"ok \xff"));
    }

    /// A text record whose plaintext is not UTF-8 (only a key holder bypassing the API could
    /// write one) is refused the same way one-shot and streamed.
    #[test]
    fn streamed_text_records_are_checked_for_utf8() {
        let ws = workspace();
        let ctx = CTX;
        for pad in [false, true] {
            let header = ws.key_for_new_record(ContentType::Text, pad).unwrap().0;
            // Sealed below the API, which refuses non-UTF-8 text (FORMAT.md#record-context).
            let encoded = header.encode();
            let body = if pad {
                padding::pad(b"ok \xff\xfe")
            } else {
                b"ok \xff\xfe".to_vec()
            };
            let salt = [9u8; SALT_LEN];
            let mut bad = encoded.to_vec();
            bad.extend(
                crate::primitives::chunked::seal(
                    header.version.suite(),
                    ws.key_for_new_record(ContentType::Text, pad)
                        .unwrap()
                        .1
                        .expose_secret(),
                    &salt,
                    &record::context_bytes(&encoded, &ctx),
                    &body,
                )
                .unwrap(),
            );
            assert!(matches!(
                ws.decrypt(&bad, &ctx),
                Err(DecryptError::Malformed(_))
            ));
            let mut dec = RecordDecryptor::new(&ctx).unwrap();
            let streamed = dec.push(&ws, &bad).and_then(|_| dec.finish());
            assert!(
                matches!(streamed, Err(DecryptError::Malformed(_))),
                "pad {pad}"
            );
        }
        let good = ws
            .encrypt(
                "Séance 🌙".as_bytes(),
                &ctx,
                EncryptOptions {
                    content_type: ContentType::Text,
                    pad: false,
                },
            )
            .unwrap();
        let mut dec = RecordDecryptor::new(&ctx).unwrap();
        let mut out = Vec::new();
        for b in good.chunks(1) {
            out.extend_from_slice(&dec.push(&ws, b).unwrap());
        }
        out.extend_from_slice(&dec.finish().unwrap());
        assert_eq!(out, "Séance 🌙".as_bytes());
    }

    #[test]
    fn a_failed_decryptor_refuses_even_empty_pushes() {
        let ws = workspace();
        let ctx = CTX;
        let mut dec = RecordDecryptor::new(&ctx).unwrap();
        assert!(dec.push(&ws, &[0u8; 200]).is_err());
        assert!(dec.push(&ws, &[]).is_err());
    }

    /// A long zero run after a 0x80 in a padded record is released once it is longer than any
    /// padding could be, instead of being withheld and then produced all at once.
    #[test]
    fn withheld_padding_is_bounded() {
        let ws = workspace();
        let ctx = CTX;
        let mut payload = vec![7u8; 1000];
        payload.push(0x80);
        payload.resize(4 * 1024 * 1024, 0);
        payload.push(1);
        let record = ws
            .encrypt(
                &payload,
                &ctx,
                EncryptOptions {
                    content_type: ContentType::Bytes,
                    pad: true,
                },
            )
            .unwrap();
        let mut dec = RecordDecryptor::new(&ctx).unwrap();
        let mut out = Vec::new();
        for piece in record.chunks(16400) {
            let got = dec.push(&ws, piece).unwrap();
            assert!(
                got.len() <= 2 * 16400,
                "one push released {} bytes",
                got.len()
            );
            out.extend_from_slice(&got);
        }
        out.extend_from_slice(&dec.finish().unwrap());
        assert_eq!(out, payload);
    }
}

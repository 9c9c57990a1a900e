//! Records: a Confide header followed by one C2SP chunked-encryption message
//! (docs/FORMAT.md#record).

pub mod stream;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::{ArgumentError, DecryptError, ParseError};
use crate::format::check_tag_versions;
use crate::keys::{CaseId, ContentKey, Level, WorkspaceId};
use crate::primitives::chunked::{self, OpenError, SALT_LEN, Suite};
use crate::primitives::labels;
use crate::primitives::padding;
use crate::rng::random_array;

/// Tag and version of a record.
const RECORD_TAG: &[u8; 3] = b"CFR";
/// Length of the record header (FORMAT.md#record-header).
pub const HEADER_LEN: usize = 4 + 1 + 1 + WorkspaceId::LEN + 4;
pub use crate::limits::{MAX_CONTEXT_FIELD_LEN, MAX_ONE_SHOT_LEN};
/// Shortest possible record: a header and an empty unpadded message.
pub const MIN_RECORD_LEN: usize = HEADER_LEN + chunked::PREFIX_LEN + chunked::TAG_LEN;

const FLAG_PADDED: u8 = 0x01;
/// Version 3 only: the record is at summary level (FORMAT.md#case-records).
const FLAG_SUMMARY: u8 = 0x02;

/// What the plaintext of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentType {
    /// Arbitrary bytes (files, recordings).
    Bytes,
    /// UTF-8 text (notes, transcripts).
    Text,
}

impl ContentType {
    fn to_byte(self) -> u8 {
        match self {
            Self::Bytes => 0x00,
            Self::Text => 0x01,
        }
    }

    fn from_byte(b: u8) -> Result<Self, ParseError> {
        match b {
            0x00 => Ok(Self::Bytes),
            0x01 => Ok(Self::Text),
            _ => Err(ParseError::Field {
                what: "record content type",
            }),
        }
    }
}

/// Where a record belongs inside the application: it is bound into the encryption, so
/// a record moved to another record or field does not open (FORMAT.md#record-context).
#[derive(Debug, Clone, Copy)]
pub struct RecordContext<'a> {
    /// The application's id of the record, e.g. `"n-42"`.
    pub record_id: &'a str,
    /// The field within the record, e.g. `"body"`.
    pub field: &'a str,
}

impl RecordContext<'_> {
    pub(crate) fn validate(&self) -> Result<(), ArgumentError> {
        for (what, value) in [("recordId", self.record_id), ("field", self.field)] {
            if value.is_empty() || value.len() > MAX_CONTEXT_FIELD_LEN {
                return Err(ArgumentError::ContextField {
                    what,
                    got: value.len(),
                });
            }
        }
        Ok(())
    }
}

/// A record's version: which instantiation of C2SP chunked encryption its message uses
/// (FORMAT.md#record-header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordVersion {
    /// `0x01`: HKDF-Expand with SHA-256. Read, never written.
    V1,
    /// `0x02`: Cobblestone-256 (HKDF-Expand with SHA-512). What new workspace records use.
    V2,
    /// `0x03`: a record of a case (FORMAT.md#case-records): Cobblestone-256 under a case
    /// key, the case id where version 2 has the workspace id.
    V3,
}

impl RecordVersion {
    /// The version new workspace records are written in.
    pub const CURRENT: Self = Self::V2;
    /// Every version byte this build reads.
    const BYTES: [u8; 3] = [0x01, 0x02, 0x03];

    fn to_byte(self) -> u8 {
        match self {
            Self::V1 => 0x01,
            Self::V2 => 0x02,
            Self::V3 => 0x03,
        }
    }

    /// The chunked-encryption instantiation of this version.
    pub fn suite(self) -> Suite {
        match self {
            Self::V1 => Suite::Sha256Aes256Gcm,
            Self::V2 | Self::V3 => Suite::Cobblestone256,
        }
    }
}

/// Whose keys a record is under: a workspace's epoch key (versions 1 and 2), or a case's
/// key of one level (version 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordScope {
    /// A workspace record.
    Workspace(WorkspaceId),
    /// A case record, at a level: summary fields open for every member of the case,
    /// full ones for its full members only.
    Case {
        /// The case.
        case_id: CaseId,
        /// The level of the key it is written under.
        level: Level,
    },
}

/// The parsed, public header of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The record's version, which names its key derivation.
    pub version: RecordVersion,
    /// What the plaintext is.
    pub content_type: ContentType,
    /// Whether the plaintext carries PADMÉ padding.
    pub padded: bool,
    /// The workspace, or the case and level, whose key it is under.
    pub scope: RecordScope,
    /// The epoch (of the workspace, or of the case) whose key encrypted it.
    pub epoch: u32,
}

impl RecordHeader {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        let (tag, rest) = h.split_at_mut(3);
        tag.copy_from_slice(RECORD_TAG);
        let [version, content_type, flags, rest @ ..] = rest else {
            return h;
        };
        *version = self.version.to_byte();
        *content_type = self.content_type.to_byte();
        *flags = if self.padded { FLAG_PADDED } else { 0 };
        let (id, epoch) = rest.split_at_mut(WorkspaceId::LEN);
        match self.scope {
            RecordScope::Workspace(w) => id.copy_from_slice(w.as_bytes()),
            RecordScope::Case { case_id, level } => {
                id.copy_from_slice(case_id.as_bytes());
                if level == Level::Summary {
                    *flags |= FLAG_SUMMARY;
                }
            }
        }
        epoch.copy_from_slice(&self.epoch.to_be_bytes());
        h
    }

    /// Parses the header at the start of a record.
    ///
    /// # Errors
    /// [`ParseError`] if the bytes are not a record header of version 1, 2 or 3.
    pub fn parse(record: &[u8]) -> Result<Self, ParseError> {
        let version = match check_tag_versions(record, RECORD_TAG, &RecordVersion::BYTES, "record")?
        {
            0x01 => RecordVersion::V1,
            0x02 => RecordVersion::V2,
            _ => RecordVersion::V3,
        };
        if record.len() < MIN_RECORD_LEN {
            return Err(ParseError::Length {
                what: "record",
                expected: "at least 98",
                got: record.len(),
            });
        }
        let field = |r: core::ops::Range<usize>| {
            record.get(r).ok_or(ParseError::Field {
                what: "record header",
            })
        };
        let content_type = ContentType::from_byte(*field(4..5)?.first().unwrap_or(&0xff))?;
        let flags = *field(5..6)?.first().unwrap_or(&0xff);
        let allowed = match version {
            RecordVersion::V3 => FLAG_PADDED | FLAG_SUMMARY,
            RecordVersion::V1 | RecordVersion::V2 => FLAG_PADDED,
        };
        if flags & !allowed != 0 {
            return Err(ParseError::Field {
                what: "record flags",
            });
        }
        let id: [u8; WorkspaceId::LEN] =
            field(6..6 + WorkspaceId::LEN)?
                .try_into()
                .map_err(|_| ParseError::Field {
                    what: "record header",
                })?;
        let scope = match version {
            RecordVersion::V3 => RecordScope::Case {
                case_id: CaseId::from_bytes(id),
                level: if flags & FLAG_SUMMARY != 0 {
                    Level::Summary
                } else {
                    Level::Full
                },
            },
            RecordVersion::V1 | RecordVersion::V2 => {
                RecordScope::Workspace(WorkspaceId::from_bytes(id))
            }
        };
        let epoch_bytes: [u8; 4] = field(6 + WorkspaceId::LEN..HEADER_LEN)?
            .try_into()
            .map_err(|_| ParseError::Field { what: "epoch" })?;
        Ok(Self {
            version,
            content_type,
            padded: flags & FLAG_PADDED != 0,
            scope,
            epoch: u32::from_be_bytes(epoch_bytes),
        })
    }
}

/// Where records find their content keys: implemented by [`crate::Workspace`]. Sealed, so
/// only this crate decides which key a record may use.
pub trait RecordKeys: sealed::Sealed {
    /// The key a record's header names (FORMAT.md#decrypting-a-record, steps 5 and 6).
    ///
    /// # Errors
    /// `WrongWorkspace` for another workspace's record, `UnknownEpoch` for an epoch whose
    /// key is not held.
    fn key_for_record(&self, header: &RecordHeader) -> Result<&ContentKey, DecryptError>;

    /// The header of a record written now, and the key it is written under.
    ///
    /// # Errors
    /// `LevelTooLow` for keys that may not write (a case viewed without a writer).
    fn key_for_new_record(
        &self,
        content_type: ContentType,
        padded: bool,
    ) -> Result<(RecordHeader, &ContentKey), DecryptError>;
}

/// The key of `header`'s epoch for a workspace with id `id`, from `key_for(epoch)`.
pub(crate) fn workspace_key<'k>(
    header: &RecordHeader,
    id: WorkspaceId,
    key_for: impl FnOnce(u32) -> Option<&'k ContentKey>,
) -> Result<&'k ContentKey, DecryptError> {
    match header.scope {
        RecordScope::Workspace(w) if w == id => {}
        RecordScope::Workspace(_) => return Err(DecryptError::WrongWorkspace),
        RecordScope::Case { .. } => return Err(DecryptError::WrongCase),
    }
    key_for(header.epoch).ok_or(DecryptError::UnknownEpoch {
        epoch: header.epoch,
    })
}

pub(crate) mod sealed {
    /// Keeps [`super::RecordKeys`] implementable only inside the crate.
    pub trait Sealed {}
}

/// `"confide/v1/record" || 0x00 || header || u16(len(recordId)) || recordId || u16(len(field)) || field`.
pub(crate) fn context_bytes(header: &[u8; HEADER_LEN], ctx: &RecordContext<'_>) -> Vec<u8> {
    let mut c = Vec::with_capacity(
        labels::RECORD_CONTEXT.len() + HEADER_LEN + 4 + ctx.record_id.len() + ctx.field.len(),
    );
    c.extend_from_slice(labels::RECORD_CONTEXT);
    c.extend_from_slice(header);
    for part in [ctx.record_id, ctx.field] {
        // validate() bounds both to 1024 bytes, so the length fits in u16.
        c.extend_from_slice(&u16::try_from(part.len()).unwrap_or(u16::MAX).to_be_bytes());
        c.extend_from_slice(part.as_bytes());
    }
    c
}

/// Encrypts one record under `key` (the content key of `header.epoch`).
pub(crate) fn seal_with_rng(
    key: &ContentKey,
    header: RecordHeader,
    ctx: &RecordContext<'_>,
    plaintext: &[u8],
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, ArgumentError> {
    ctx.validate()?;
    if plaintext.len() > MAX_ONE_SHOT_LEN {
        return Err(ArgumentError::TooLong {
            got: plaintext.len(),
        });
    }
    if header.content_type == ContentType::Text && core::str::from_utf8(plaintext).is_err() {
        return Err(ArgumentError::NotText);
    }
    let encoded = header.encode();
    let context = context_bytes(&encoded, ctx);
    let salt: [u8; SALT_LEN] = random_array(rng);
    let padded;
    let body = if header.padded {
        padded = Zeroizing::new(padding::pad(plaintext));
        padded.as_slice()
    } else {
        plaintext
    };
    let message = chunked::seal(
        header.version.suite(),
        key.expose_secret(),
        &salt,
        &context,
        body,
    )
    .ok_or(ArgumentError::TooLong {
        got: plaintext.len(),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + message.len());
    out.extend_from_slice(&encoded);
    out.extend_from_slice(&message);
    Ok(out)
}

/// Decrypts one record whose header has already been parsed and matched to `key`.
pub(crate) fn open(
    key: &ContentKey,
    header: &RecordHeader,
    ctx: &RecordContext<'_>,
    record: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    ctx.validate()?;
    let (encoded, message) = record
        .split_at_checked(HEADER_LEN)
        .ok_or(DecryptError::DecryptionFailed)?;
    let encoded: &[u8; HEADER_LEN] = encoded
        .try_into()
        .map_err(|_| DecryptError::DecryptionFailed)?;
    let context = context_bytes(encoded, ctx);
    let mut plaintext = chunked::open(
        header.version.suite(),
        key.expose_secret(),
        &context,
        message,
    )
    .map_err(|e| match e {
        OpenError::Length | OpenError::Authentication => DecryptError::DecryptionFailed,
    })?;
    if header.padded {
        let len = padding::unpadded_len(&plaintext)?;
        plaintext.truncate(len);
    }
    if header.content_type == ContentType::Text && core::str::from_utf8(&plaintext).is_err() {
        return Err(ParseError::Field {
            what: "record text",
        }
        .into());
    }
    Ok(plaintext)
}

/// Exact record length for a plaintext of `len` bytes.
pub fn record_len(len: usize, padded: bool) -> Option<usize> {
    let body = if padded {
        padding::padded_len(len)
    } else {
        len
    };
    chunked::ciphertext_len(body)?.checked_add(HEADER_LEN)
}

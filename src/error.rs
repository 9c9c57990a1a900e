//! Errors, one small enum per operation (docs/FORMAT.md#errors).
//!
//! No message holds plaintext, key bytes or anything an application passed in as
//! content: only field names, expected and actual lengths, and version numbers.

use core::fmt;

/// A stable, machine-readable error code shared with the JS package
/// (`ConfideError.code`). Never renamed once released.
pub trait ErrorCode {
    /// The stable code, e.g. `"decryption_failed"`.
    fn code(&self) -> &'static str;
}

/// Bytes that do not parse as the Confide object they claim to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The leading tag is not the one for this kind of object.
    WrongTag {
        /// Which object was being parsed.
        object: &'static str,
    },
    /// The tag matches, but the version byte is not one this build reads.
    UnsupportedVersion {
        /// Which object was being parsed.
        object: &'static str,
        /// The version byte found.
        got: u8,
    },
    /// A length is wrong.
    Length {
        /// Which object or field was being parsed.
        what: &'static str,
        /// What was expected, in words ("exactly 1316", "at least 98").
        expected: &'static str,
        /// The length found.
        got: usize,
    },
    /// A field holds a value outside its defined range.
    Field {
        /// Which field.
        what: &'static str,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongTag { object } => write!(f, "not a Confide {object}: wrong tag"),
            Self::UnsupportedVersion { object, got } => {
                write!(
                    f,
                    "unsupported {object} version {got}: this build reads version 1"
                )
            }
            Self::Length {
                what,
                expected,
                got,
            } => {
                write!(f, "{what}: expected length {expected}, got {got}")
            }
            Self::Field { what } => write!(f, "{what}: invalid value"),
        }
    }
}

impl ErrorCode for ParseError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedVersion { .. } => "unsupported_version",
            _ => "malformed",
        }
    }
}

impl core::error::Error for ParseError {}

/// An argument the caller passed is outside what the API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgumentError {
    /// A context field (`recordId`, `field`) is empty or too long.
    ContextField {
        /// Which field.
        what: &'static str,
        /// Its length in bytes.
        got: usize,
    },
    /// The plaintext is longer than a one-shot record allows.
    TooLong {
        /// The length in bytes.
        got: usize,
    },
    /// A text record's plaintext is not UTF-8.
    NotText,
    /// The operating system's random number generator failed.
    RandomUnavailable,
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ContextField { what, got } => write!(
                f,
                "{what}: expected between 1 and {} UTF-8 bytes, got {got}",
                crate::record::MAX_CONTEXT_FIELD_LEN
            ),
            Self::TooLong { got } => write!(
                f,
                "plaintext: expected at most {} bytes for a one-shot record, got {got}",
                crate::record::MAX_ONE_SHOT_LEN
            ),
            Self::NotText => write!(f, "plaintext: expected UTF-8 text for a text record"),
            Self::RandomUnavailable => write!(f, "the system random number generator failed"),
        }
    }
}

impl ErrorCode for ArgumentError {
    fn code(&self) -> &'static str {
        match self {
            Self::RandomUnavailable => "random_unavailable",
            _ => "invalid_argument",
        }
    }
}

impl core::error::Error for ArgumentError {}

/// Why a record did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// The record does not parse.
    Malformed(ParseError),
    /// The record names another workspace.
    WrongWorkspace,
    /// The record names an epoch whose key this workspace does not hold.
    UnknownEpoch {
        /// The epoch the record names.
        epoch: u32,
    },
    /// Authentication failed: wrong key, wrong context, or altered bytes. Deliberately opaque.
    DecryptionFailed,
    /// The application context is invalid.
    InvalidArgument(ArgumentError),
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::WrongWorkspace => write!(f, "the record belongs to another workspace"),
            Self::UnknownEpoch { epoch } => write!(f, "no content key for epoch {epoch}"),
            Self::DecryptionFailed => write!(f, "decryption failed"),
            Self::InvalidArgument(e) => e.fmt(f),
        }
    }
}

impl ErrorCode for DecryptError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(e) => e.code(),
            Self::WrongWorkspace => "wrong_workspace",
            Self::UnknownEpoch { .. } => "unknown_epoch",
            Self::DecryptionFailed => "decryption_failed",
            Self::InvalidArgument(e) => e.code(),
        }
    }
}

impl core::error::Error for DecryptError {}

impl From<ParseError> for DecryptError {
    fn from(e: ParseError) -> Self {
        Self::Malformed(e)
    }
}

impl From<ArgumentError> for DecryptError {
    fn from(e: ArgumentError) -> Self {
        Self::InvalidArgument(e)
    }
}

/// Why a grant did not open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantError {
    /// The grant or a bundle does not parse.
    Malformed(ParseError),
    /// The grant is addressed to another member.
    NotForThisMember,
    /// The signature does not verify, or the grant names a different granter than the
    /// bundle it was checked against.
    BadSignature,
    /// The HPKE ciphertext does not open. Deliberately opaque.
    DecryptionFailed,
    /// Randomness was unavailable while sealing.
    InvalidArgument(ArgumentError),
    /// HPKE refused to seal (not expected with valid keys; reported, never panicked).
    SealFailed,
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::NotForThisMember => write!(f, "the grant is addressed to another member"),
            Self::BadSignature => write!(f, "the grant's signature does not verify"),
            Self::DecryptionFailed => write!(f, "decryption failed"),
            Self::InvalidArgument(e) => e.fmt(f),
            Self::SealFailed => write!(f, "sealing the grant failed"),
        }
    }
}

impl ErrorCode for GrantError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(e) => e.code(),
            Self::NotForThisMember => "not_for_this_member",
            Self::BadSignature => "bad_signature",
            Self::DecryptionFailed => "decryption_failed",
            Self::InvalidArgument(e) => e.code(),
            Self::SealFailed => "internal",
        }
    }
}

impl core::error::Error for GrantError {}

impl From<ParseError> for GrantError {
    fn from(e: ParseError) -> Self {
        Self::Malformed(e)
    }
}

impl From<ArgumentError> for GrantError {
    fn from(e: ArgumentError) -> Self {
        Self::InvalidArgument(e)
    }
}

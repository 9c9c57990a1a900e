//! The key and id newtypes every layer shares (docs/FORMAT.md#workspace). They sit at the
//! bottom of the crate: any module may import them, and they import nothing above.

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::ParseError;
use crate::rng::random_array;

/// A workspace's 16-byte random id. Public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspaceId([u8; WorkspaceId::LEN]);

impl WorkspaceId {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// Wraps 16 bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// Parses 16 bytes from a slice.
    ///
    /// # Errors
    /// [`ParseError::Length`] unless `bytes` is exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ParseError> {
        bytes.try_into().map(Self).map_err(|_| ParseError::Length {
            what: "workspace id",
            expected: "exactly 16",
            got: bytes.len(),
        })
    }

    /// A fresh random id.
    pub(crate) fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self(random_array(rng))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

/// A workspace content key for one epoch: the C2SP input key of every record of that
/// epoch (FORMAT.md#content-key).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ContentKey([u8; 32]);

impl ContentKey {
    pub(crate) fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self(random_array(rng))
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A case's 16-byte random id (FORMAT.md#cases). Public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId([u8; CaseId::LEN]);

impl CaseId {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// Wraps 16 bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random id.
    pub(crate) fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self(random_array(rng))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

/// What a case member reads, and what a record of a case is written for (FORMAT.md#cases):
/// a full member holds both keys of an epoch; a summary member only the summary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fields the application marks as summary: hours, initials, status.
    Summary,
    /// Everything, clinical fields included.
    Full,
}

impl Level {
    /// The level's byte in case log entries, grants and record headers.
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Full => 1,
            Self::Summary => 2,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Result<Self, ParseError> {
        match b {
            1 => Ok(Self::Full),
            2 => Ok(Self::Summary),
            _ => Err(ParseError::Field { what: "level" }),
        }
    }
}

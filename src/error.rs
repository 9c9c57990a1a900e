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
                    "unsupported {object} version {got}: this build does not read it"
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
    /// A number is outside the range the API accepts.
    OutOfRange {
        /// Which argument.
        what: &'static str,
    },
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ContextField { what, got } => write!(
                f,
                "{what}: expected between 1 and {} UTF-8 bytes, got {got}",
                crate::limits::MAX_CONTEXT_FIELD_LEN
            ),
            Self::TooLong { got } => write!(
                f,
                "plaintext: expected at most {} bytes for a one-shot record, got {got}",
                crate::limits::MAX_ONE_SHOT_LEN
            ),
            Self::NotText => write!(f, "plaintext: expected UTF-8 text for a text record"),
            Self::RandomUnavailable => write!(f, "the system random number generator failed"),
            Self::OutOfRange { what } => write!(f, "{what}: out of range"),
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
    /// The record belongs to another case, or is a case record opened as a workspace's (or
    /// the other way round).
    WrongCase,
    /// The record is at full level and this member of its case holds only the summary keys.
    LevelTooLow,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::WrongWorkspace => write!(f, "the record belongs to another workspace"),
            Self::UnknownEpoch { epoch } => write!(f, "no content key for epoch {epoch}"),
            Self::DecryptionFailed => write!(f, "decryption failed"),
            Self::InvalidArgument(e) => e.fmt(f),
            Self::WrongCase => write!(f, "the record belongs to another case"),
            Self::LevelTooLow => write!(f, "the record is at a level this member does not read"),
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
            Self::WrongCase => "wrong_case",
            Self::LevelTooLow => "level_too_low",
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

/// Why a membership operation failed: a log that does not verify, an invite or acceptance
/// that does not check out, or a grant or history link the log does not vouch for
/// (docs/FORMAT.md#membership-log).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MembershipError {
    /// An entry, invite link, acceptance, head or history link does not parse.
    Malformed(ParseError),
    /// An argument is outside what the API accepts, or randomness is unavailable.
    InvalidArgument(ArgumentError),
    /// A log entry or an acceptance is not signed by the key it names.
    BadSignature,
    /// An entry's sequence number, previous hash or workspace does not continue the log.
    BrokenChain {
        /// The sequence number of the first entry that does not continue it.
        seq: u32,
    },
    /// The signer of an entry or a grant is not a current member of the workspace.
    UnknownSigner,
    /// The signer is a member, but not one the log entitles to this action.
    NotAuthorized,
    /// The log is shorter than the head this client pinned earlier.
    RollbackDetected,
    /// The log disagrees with the head this client pinned earlier.
    ForkDetected,
    /// No invite in the log has this id.
    InviteUnknown,
    /// The invite was already used to admit a member.
    InviteUsed,
    /// The invite expired before it was used.
    InviteExpired,
    /// The acceptance's MAC does not verify under the invite secret.
    BadAcceptance,
    /// The log's inviter is not the one the invite link names.
    InviterMismatch,
    /// The member is not (or no longer) a member of the workspace.
    NotAMember,
    /// The member is already a current member.
    AlreadyMember,
    /// The change would leave the workspace without an admin.
    LastAdmin,
    /// An epoch key does not match the key check the log records for it.
    KeyMismatch,
    /// No grant for the workspace's current epoch was supplied.
    MissingGrant,
    /// A grant or history link names an epoch the log does not have.
    UnknownEpoch {
        /// The epoch named.
        epoch: u32,
    },
    /// The head or history link belongs to another workspace.
    WrongWorkspace,
    /// A grant did not open.
    Grant(GrantError),
    /// A history link does not open. Deliberately opaque.
    DecryptionFailed,
    /// This workspace was opened from a bare grant and has no membership log.
    NoMembershipLog,
    /// Nothing anchors the log to this member: no pinned head, no invite link, and no
    /// entry this member signed.
    NoTrustAnchor,
    /// The log has more entries or bytes than a client verifies (FORMAT.md#limits).
    LogTooLarge,
    /// A remove entry names its own signer: leaving is a request another admin carries out.
    CannotRemoveSelf,
    /// A case entry, grant or head belongs to another case.
    WrongCase,
    /// The member's level on the case does not allow this (a summary member writes, grants or
    /// changes nothing).
    LevelTooLow,
    /// The case would have no full member left: hand it over first.
    LastHolder,
    /// A member who holds the case's current key has left the workspace: the case moves to a
    /// new key before anything new is written to it.
    CaseNeedsRotation,
    /// The case is deleted.
    CaseDeleted,
    /// The case's retention date has not passed: it cannot be deleted yet.
    UnderRetention,
    /// A case entry names a workspace state newer than the loaded log: load the workspace again.
    WorkspaceOutOfDate,
}

impl fmt::Display for MembershipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::InvalidArgument(e) => e.fmt(f),
            Self::BadSignature => write!(f, "a signature does not verify"),
            Self::BrokenChain { seq } => {
                write!(f, "log entry {seq} does not continue the log")
            }
            Self::UnknownSigner => write!(f, "the signer is not a current member"),
            Self::NotAuthorized => write!(f, "the signer is not entitled to this action"),
            Self::RollbackDetected => write!(f, "the log is older than the pinned head"),
            Self::ForkDetected => write!(f, "the log disagrees with the pinned head"),
            Self::InviteUnknown => write!(f, "no invite with this id is in the log"),
            Self::InviteUsed => write!(f, "the invite was already used"),
            Self::InviteExpired => write!(f, "the invite has expired"),
            Self::BadAcceptance => write!(f, "the acceptance is not bound to the invite secret"),
            Self::InviterMismatch => write!(f, "the inviter is not the one the link names"),
            Self::NotAMember => write!(f, "not a current member of the workspace"),
            Self::AlreadyMember => write!(f, "already a current member of the workspace"),
            Self::LastAdmin => write!(f, "the workspace would have no admin left"),
            Self::KeyMismatch => write!(f, "an epoch key does not match the log"),
            Self::MissingGrant => write!(f, "no grant for the current epoch"),
            Self::UnknownEpoch { epoch } => write!(f, "the log has no epoch {epoch}"),
            Self::WrongWorkspace => write!(f, "it belongs to another workspace"),
            Self::Grant(e) => e.fmt(f),
            Self::DecryptionFailed => write!(f, "decryption failed"),
            Self::NoMembershipLog => write!(f, "this workspace has no membership log"),
            Self::NoTrustAnchor => write!(
                f,
                "nothing anchors the log: pass a pinned head or the invite link"
            ),
            Self::LogTooLarge => write!(
                f,
                "the log is longer than {} entries or {} bytes",
                crate::limits::MAX_LOG_ENTRIES,
                crate::limits::MAX_LOG_BYTES
            ),
            Self::CannotRemoveSelf => {
                write!(
                    f,
                    "a member cannot remove itself: another member removes it"
                )
            }
            Self::WrongCase => write!(f, "it belongs to another case"),
            Self::LevelTooLow => write!(f, "this member's level on the case does not allow it"),
            Self::LastHolder => write!(f, "the case would have no full member left"),
            Self::CaseNeedsRotation => write!(
                f,
                "a member who left the workspace holds the case's key: rotate the case first"
            ),
            Self::CaseDeleted => write!(f, "the case is deleted"),
            Self::UnderRetention => write!(f, "the case's retention date has not passed"),
            Self::WorkspaceOutOfDate => write!(
                f,
                "the case names a newer workspace state: load the workspace again"
            ),
        }
    }
}

impl ErrorCode for MembershipError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(e) => e.code(),
            Self::InvalidArgument(e) => e.code(),
            Self::BadSignature => "bad_signature",
            Self::BrokenChain { .. } => "broken_chain",
            Self::UnknownSigner => "unknown_signer",
            Self::NotAuthorized => "not_authorized",
            Self::RollbackDetected => "rollback_detected",
            Self::ForkDetected => "fork_detected",
            Self::InviteUnknown => "invite_unknown",
            Self::InviteUsed => "invite_used",
            Self::InviteExpired => "invite_expired",
            Self::BadAcceptance => "bad_acceptance",
            Self::InviterMismatch => "inviter_mismatch",
            Self::NotAMember => "not_a_member",
            Self::AlreadyMember => "already_member",
            Self::LastAdmin => "last_admin",
            Self::KeyMismatch => "key_mismatch",
            Self::MissingGrant => "missing_grant",
            Self::UnknownEpoch { .. } => "unknown_epoch",
            Self::WrongWorkspace => "wrong_workspace",
            Self::Grant(e) => e.code(),
            Self::DecryptionFailed => "decryption_failed",
            Self::NoMembershipLog => "no_membership_log",
            Self::NoTrustAnchor => "no_trust_anchor",
            Self::LogTooLarge => "log_too_large",
            Self::CannotRemoveSelf => "cannot_remove_self",
            Self::WrongCase => "wrong_case",
            Self::LevelTooLow => "level_too_low",
            Self::LastHolder => "last_holder",
            Self::CaseNeedsRotation => "case_needs_rotation",
            Self::CaseDeleted => "case_deleted",
            Self::UnderRetention => "under_retention",
            Self::WorkspaceOutOfDate => "workspace_out_of_date",
        }
    }
}

impl core::error::Error for MembershipError {}

impl From<ParseError> for MembershipError {
    fn from(e: ParseError) -> Self {
        Self::Malformed(e)
    }
}

impl From<ArgumentError> for MembershipError {
    fn from(e: ArgumentError) -> Self {
        Self::InvalidArgument(e)
    }
}

impl From<GrantError> for MembershipError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::Malformed(p) => Self::Malformed(p),
            other => Self::Grant(other),
        }
    }
}

/// Why a revision, sign-off or audit entry was refused, or a record behind one did not open
/// (docs/FORMAT.md#revisions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IntegrityError {
    /// The object does not parse.
    Malformed(ParseError),
    /// An argument is outside what the API accepts, or randomness is unavailable.
    InvalidArgument(ArgumentError),
    /// The record behind a revision did not open.
    Decrypt(DecryptError),
    /// Writing or signing needs something the case does not give this member.
    Membership(MembershipError),
    /// The object names another workspace.
    WrongWorkspace,
    /// The object names another case.
    WrongCase,
    /// The revision is for another record or field, or the record is not the one it signs.
    RecordMismatch,
    /// The object names a workspace or case state newer than the loaded logs.
    OutOfDate,
    /// The author or signer was never a member of the workspace.
    UnknownSigner,
    /// The author or signer had no right to it in the state it names.
    NotAuthorized,
    /// The signature does not verify.
    BadSignature,
    /// A revision or audit entry does not continue the one before it.
    BrokenChain {
        /// The revision number or audit seq that does not continue the chain.
        at: u32,
    },
    /// The record's history is older than the revision this client pinned.
    RollbackDetected,
    /// Two revisions with the same parent, or a history that does not hold the pinned one.
    ForkDetected,
    /// A sign-off of another revision than the one it is shown with.
    SignOffMismatch,
    /// A history or audit trail past its limits (FORMAT.md#limits).
    TooLarge,
}

impl fmt::Display for IntegrityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::InvalidArgument(e) => e.fmt(f),
            Self::Decrypt(e) => e.fmt(f),
            Self::Membership(e) => e.fmt(f),
            Self::WrongWorkspace => write!(f, "it belongs to another workspace"),
            Self::WrongCase => write!(f, "it belongs to another case"),
            Self::RecordMismatch => write!(f, "the revision does not sign this record"),
            Self::OutOfDate => write!(
                f,
                "it names a workspace or case state newer than the one loaded: load them again"
            ),
            Self::UnknownSigner => write!(f, "the signer was never a member of the workspace"),
            Self::NotAuthorized => {
                write!(f, "the signer had no right to this in the state it names")
            }
            Self::BadSignature => write!(f, "the signature does not verify"),
            Self::BrokenChain { at } => write!(f, "the chain breaks at {at}"),
            Self::RollbackDetected => write!(f, "the history is older than the pinned revision"),
            Self::ForkDetected => write!(f, "the history disagrees with the pinned revision"),
            Self::SignOffMismatch => write!(f, "the sign-off is of another revision"),
            Self::TooLarge => write!(f, "the history or audit trail is past its limits"),
        }
    }
}

impl ErrorCode for IntegrityError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(e) => e.code(),
            Self::InvalidArgument(e) => e.code(),
            Self::Decrypt(e) => e.code(),
            Self::Membership(e) => e.code(),
            Self::WrongWorkspace => "wrong_workspace",
            Self::WrongCase => "wrong_case",
            Self::RecordMismatch => "record_mismatch",
            Self::OutOfDate => "workspace_out_of_date",
            Self::UnknownSigner => "unknown_signer",
            Self::NotAuthorized => "not_authorized",
            Self::BadSignature => "bad_signature",
            Self::BrokenChain { .. } => "broken_chain",
            Self::RollbackDetected => "rollback_detected",
            Self::ForkDetected => "fork_detected",
            Self::SignOffMismatch => "signoff_mismatch",
            Self::TooLarge => "log_too_large",
        }
    }
}

impl core::error::Error for IntegrityError {}

impl From<ParseError> for IntegrityError {
    fn from(e: ParseError) -> Self {
        Self::Malformed(e)
    }
}

impl From<ArgumentError> for IntegrityError {
    fn from(e: ArgumentError) -> Self {
        Self::InvalidArgument(e)
    }
}

impl From<DecryptError> for IntegrityError {
    fn from(e: DecryptError) -> Self {
        Self::Decrypt(e)
    }
}

impl From<MembershipError> for IntegrityError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::Malformed(p) => Self::Malformed(p),
            other => Self::Membership(other),
        }
    }
}

/// Why a backup or recovery kit could not be made or opened
/// (docs/FORMAT.md#passphrase-backup, docs/FORMAT.md#recovery-kit).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackupError {
    /// The backup does not parse, or its parameters are outside the accepted bounds.
    Malformed(ParseError),
    /// The passphrase is too short or too guessable to protect a backup.
    WeakPassphrase {
        /// Why, in words that never quote the passphrase.
        reason: &'static str,
    },
    /// The passphrase does not open this backup.
    WrongPassphrase,
    /// The passphrase is right but the sealed seed was altered. Deliberately opaque.
    DecryptionFailed,
    /// The recovery kit has a typo, a missing or extra character, or a bad checksum.
    BadRecoveryKit,
    /// An argument is out of range, or randomness is unavailable.
    InvalidArgument(ArgumentError),
    /// Argon2 refused parameters this module accepted (not expected; reported, not panicked).
    Internal,
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::WeakPassphrase { reason } => write!(f, "passphrase too weak: {reason}"),
            Self::WrongPassphrase => write!(f, "wrong passphrase"),
            Self::DecryptionFailed => write!(f, "decryption failed"),
            Self::BadRecoveryKit => write!(f, "the recovery kit has a typo or is incomplete"),
            Self::InvalidArgument(e) => e.fmt(f),
            Self::Internal => write!(f, "key derivation failed"),
        }
    }
}

impl ErrorCode for BackupError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed(e) => e.code(),
            Self::WeakPassphrase { .. } => "weak_passphrase",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::DecryptionFailed => "decryption_failed",
            Self::BadRecoveryKit => "bad_recovery_kit",
            Self::InvalidArgument(e) => e.code(),
            Self::Internal => "internal",
        }
    }
}

impl core::error::Error for BackupError {}

impl From<ParseError> for BackupError {
    fn from(e: ParseError) -> Self {
        Self::Malformed(e)
    }
}

impl From<ArgumentError> for BackupError {
    fn from(e: ArgumentError) -> Self {
        Self::InvalidArgument(e)
    }
}

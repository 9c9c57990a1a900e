//! Sign-off (docs/FORMAT.md#sign-off): a member of the case countersigns one exact
//! revision. Any later revision is, visibly, not signed off.

use crate::cases::CaseLog;
use crate::error::{IntegrityError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberSecretKey};
use crate::keys::{CaseId, WorkspaceId};
use crate::membership::MembershipLog;
use crate::primitives::labels;

use super::revision::{Revision, check_state, verify_signature};

const ID: usize = Fingerprint::ID_LEN;
const TAG: &[u8; 3] = b"CFO";
const VERSION: u8 = 0x01;
/// The length of every sign-off.
pub const SIGN_OFF_LEN: usize = 4 + WorkspaceId::LEN + CaseId::LEN + 32 + 4 + ID + 4 + 4 + 8 + 64;

/// A verified sign-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    /// The signer's member id.
    pub signer_id: [u8; ID],
    /// The time the signer claims, Unix seconds.
    pub time: u64,
    /// The number of the revision signed off.
    pub revision_number: u32,
}

/// Signs off `revision` as `signer`, who writes under workspace seq `workspace_seq` and
/// case epoch `key_epoch`.
pub(crate) fn sign(
    signer: &MemberSecretKey,
    revision: &Revision,
    workspace_id: WorkspaceId,
    case_id: CaseId,
    workspace_seq: u32,
    key_epoch: u32,
    time: u64,
) -> Vec<u8> {
    let mut s = Vec::with_capacity(SIGN_OFF_LEN);
    s.extend_from_slice(TAG);
    s.push(VERSION);
    s.extend_from_slice(workspace_id.as_bytes());
    s.extend_from_slice(case_id.as_bytes());
    s.extend_from_slice(&revision.hash());
    s.extend_from_slice(&revision.number().to_be_bytes());
    s.extend_from_slice(&signer.fingerprint().id());
    s.extend_from_slice(&workspace_seq.to_be_bytes());
    s.extend_from_slice(&key_epoch.to_be_bytes());
    s.extend_from_slice(&time.to_be_bytes());
    let signature = signer.sign(labels::SIGN_OFF_SIGNATURE, &s);
    s.extend_from_slice(&signature.to_bytes());
    s
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], ParseError> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(ParseError::Field { what: "sign-off" })
}

/// The fields of a sign-off, parsed without any log (FORMAT.md#sign-off): its tag, version
/// and length checked, nothing else. A server that stores sign-offs checks what they name
/// with it; readers verify them with [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOffHeader {
    /// The workspace the sign-off names.
    pub workspace_id: WorkspaceId,
    /// The case the sign-off names.
    pub case_id: CaseId,
    /// The hash of the revision signed off.
    pub revision_hash: [u8; 32],
    /// That revision's number.
    pub revision_number: u32,
    /// The signer's member id (not verified until the sign-off is).
    pub signer_id: [u8; ID],
    /// The workspace seq the signer signed under.
    pub workspace_seq: u32,
    /// The case epoch the signer signed under.
    pub key_epoch: u32,
    /// The time the signer claims, Unix seconds.
    pub time: u64,
}

impl SignOffHeader {
    /// Parses a sign-off: tag and version, exactly 184 bytes, then the fixed fields.
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion`.
    pub fn parse(bytes: &[u8]) -> Result<Self, IntegrityError> {
        check_tag(bytes, TAG, VERSION, "sign-off")?;
        if bytes.len() != SIGN_OFF_LEN {
            return Err(ParseError::Length {
                what: "sign-off",
                expected: "exactly 184",
                got: bytes.len(),
            }
            .into());
        }
        Ok(Self {
            workspace_id: WorkspaceId::from_bytes(field(bytes, 4)?),
            case_id: CaseId::from_bytes(field(bytes, 20)?),
            revision_hash: field(bytes, 36)?,
            revision_number: u32::from_be_bytes(field(bytes, 68)?),
            signer_id: field(bytes, 72)?,
            workspace_seq: u32::from_be_bytes(field(bytes, 104)?),
            key_epoch: u32::from_be_bytes(field(bytes, 108)?),
            time: u64::from_be_bytes(field(bytes, 112)?),
        })
    }
}

/// Verifies a sign-off of `revision` (FORMAT.md#verifying-a-sign-off): parse, the ids, the
/// revision it names, the state, the signer's right, then the signature.
///
/// # Errors
/// `Malformed`, `WrongWorkspace`, `WrongCase`, `SignOffMismatch` (a sign-off of another
/// revision), `OutOfDate`, `UnknownSigner`, `NotAuthorized`, `BadSignature`.
pub fn verify(
    workspace: &MembershipLog,
    case: &CaseLog,
    bytes: &[u8],
    revision: &Revision,
) -> Result<SignOff, IntegrityError> {
    let SignOffHeader {
        workspace_id,
        case_id,
        revision_hash,
        revision_number,
        signer_id,
        workspace_seq,
        key_epoch,
        time,
    } = SignOffHeader::parse(bytes)?;
    if workspace_id != workspace.workspace_id() {
        return Err(IntegrityError::WrongWorkspace);
    }
    if case_id != case.case_id() {
        return Err(IntegrityError::WrongCase);
    }
    if revision_hash != revision.hash() || revision_number != revision.number() {
        return Err(IntegrityError::SignOffMismatch);
    }
    check_state(workspace, case, workspace_seq, key_epoch)?;
    if !workspace.was_member_at(&signer_id, workspace_seq)
        || case.level_at(&signer_id, key_epoch).is_none()
    {
        return Err(if workspace.verifying_key(&signer_id).is_none() {
            IntegrityError::UnknownSigner
        } else {
            IntegrityError::NotAuthorized
        });
    }
    verify_signature(workspace, &signer_id, labels::SIGN_OFF_SIGNATURE, bytes)?;
    Ok(SignOff {
        signer_id,
        time,
        revision_number,
    })
}

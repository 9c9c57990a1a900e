//! Epoch key checks and history links (docs/FORMAT.md#epoch-key-check,
//! docs/FORMAT.md#history-link).
//!
//! A new epoch's key seals the previous epoch's key, so whoever holds the current key can
//! walk back to every earlier one; the log's key check for each epoch proves each step.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{MembershipError, ParseError};
use crate::format::check_tag;
use crate::keys::{ContentKey, WorkspaceId};
use crate::primitives::{Aes256GcmKey, hkdf_sha256_32, labels};

const HISTORY_TAG: &[u8; 3] = b"CFH";
const HISTORY_VERSION: u8 = 1;
/// `tag || version || workspace id || epoch`, followed by the sealed key.
const HISTORY_HEADER_LEN: usize = 4 + WorkspaceId::LEN + 4;
/// Length of a history link: header, sealed 32-byte key, 16-byte tag.
pub const HISTORY_LINK_LEN: usize = HISTORY_HEADER_LEN + 32 + Aes256GcmKey::TAG_LEN;
/// Length of an epoch key check.
pub const KEY_CHECK_LEN: usize = 32;

fn epoch_info(prefix: &[u8], epoch: u32) -> Vec<u8> {
    let mut info = prefix.to_vec();
    info.extend_from_slice(&epoch.to_be_bytes());
    info
}

/// `HKDF-SHA256(ikm = K_epoch, salt = workspace id,
/// info = "confide/v1/epoch-key-check" || 0x00 || u32(epoch), 32)`.
pub(crate) fn key_check(
    workspace_id: &WorkspaceId,
    epoch: u32,
    key: &ContentKey,
) -> [u8; KEY_CHECK_LEN] {
    hkdf_sha256_32(
        key.expose_secret(),
        workspace_id.as_bytes(),
        &epoch_info(labels::EPOCH_KEY_CHECK, epoch),
    )
}

/// Checks `key` against the key check the log records for `epoch`, in constant time.
pub(crate) fn verify_key_check(
    workspace_id: &WorkspaceId,
    epoch: u32,
    key: &ContentKey,
    expected: &[u8; KEY_CHECK_LEN],
) -> Result<(), MembershipError> {
    if bool::from(key_check(workspace_id, epoch, key).ct_eq(expected)) {
        Ok(())
    } else {
        Err(MembershipError::KeyMismatch)
    }
}

/// The wrapping key of the link from `epoch` to `epoch - 1`. Each epoch key wraps exactly
/// one key, so this key is used once and the all-zero nonce is safe.
fn wrapping_key(workspace_id: &WorkspaceId, epoch: u32, key: &ContentKey) -> Aes256GcmKey {
    let k = Zeroizing::new(hkdf_sha256_32(
        key.expose_secret(),
        workspace_id.as_bytes(),
        &epoch_info(labels::HISTORY_LINK, epoch),
    ));
    Aes256GcmKey::new(&k)
}

/// `AES-256-GCM(wrapping key, nonce = 0^12, aad = "", K_{epoch-1})`. The header is bound
/// through the wrapping key: its salt is the workspace id and its info holds the epoch.
fn seal_previous(
    workspace_id: &WorkspaceId,
    epoch: u32,
    key: &ContentKey,
    previous: &ContentKey,
) -> [u8; 48] {
    let mut buf = [0u8; 48];
    buf[..32].copy_from_slice(previous.expose_secret());
    // A 48-byte buffer always has room for the tag.
    let _ = wrapping_key(workspace_id, epoch, key).seal_in_place(&[0u8; 12], &mut buf);
    buf
}

/// Seals the key of `epoch - 1` under the key of `epoch` (FORMAT.md#history-link).
pub(crate) fn seal(
    workspace_id: &WorkspaceId,
    epoch: u32,
    key: &ContentKey,
    previous: &ContentKey,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(HISTORY_LINK_LEN);
    out.extend_from_slice(HISTORY_TAG);
    out.push(HISTORY_VERSION);
    out.extend_from_slice(workspace_id.as_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    let mut sealed = seal_previous(workspace_id, epoch, key, previous);
    out.extend_from_slice(&sealed);
    zeroize::Zeroize::zeroize(&mut sealed);
    out
}

/// A parsed history link: which epoch's key opens it.
pub(crate) struct HistoryLink<'a> {
    pub(crate) workspace_id: WorkspaceId,
    /// The epoch whose key opens the link; it yields the key of `epoch - 1`.
    pub(crate) epoch: u32,
    sealed: &'a [u8],
}

impl<'a> HistoryLink<'a> {
    /// Parses tag, version, length and epoch (epoch 0 has no predecessor).
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let object = "history link";
        check_tag(bytes, HISTORY_TAG, HISTORY_VERSION, object)?;
        if bytes.len() != HISTORY_LINK_LEN {
            return Err(ParseError::Length {
                what: object,
                expected: "exactly 72",
                got: bytes.len(),
            });
        }
        let field = || ParseError::Field { what: object };
        let workspace_id = WorkspaceId::from_slice(bytes.get(4..20).ok_or_else(field)?)?;
        let epoch = u32::from_be_bytes(
            bytes
                .get(20..24)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(field)?,
        );
        if epoch == 0 {
            return Err(ParseError::Field {
                what: "history link epoch",
            });
        }
        let sealed = bytes.get(HISTORY_HEADER_LEN..).ok_or_else(field)?;
        Ok(Self {
            workspace_id,
            epoch,
            sealed,
        })
    }

    /// Opens the link with the key of `self.epoch`, yielding the key of `self.epoch - 1`.
    pub(crate) fn open(&self, key: &ContentKey) -> Result<ContentKey, MembershipError> {
        let mut previous = Zeroizing::new([0u8; 32]);
        if !wrapping_key(&self.workspace_id, self.epoch, key).open_into(
            &[0u8; 12],
            self.sealed,
            previous.as_mut_slice(),
        ) {
            return Err(MembershipError::DecryptionFailed);
        }
        Ok(ContentKey::from_bytes(*previous))
    }
}

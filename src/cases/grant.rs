//! A case's keys and the grants that carry them (docs/FORMAT.md#case-keys,
//! docs/FORMAT.md#case-grant): per epoch a full key and a summary key; a full member's grant
//! seals both, a summary member's the summary key only, so a summary member never holds a
//! key that opens clinical fields.

use ed25519_dalek::Signature;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::cases::log::CASE_KEY_CHECKS_LEN;
use crate::error::{GrantError, MembershipError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberPublicBundle, MemberSecretKey, XWing};
use crate::keys::{CaseId, ContentKey, Level, WorkspaceId};
use crate::primitives::{hkdf_sha256_32, labels};

type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::AesGcm256;

const ID: usize = Fingerprint::ID_LEN;
const GRANT_TAG: &[u8; 3] = b"CFK";
const GRANT_VERSION: u8 = 1;
/// `tag || version || workspace id || case id || epoch || level || recipient || granter`.
pub const CASE_GRANT_HEADER_LEN: usize = 4 + WorkspaceId::LEN + CaseId::LEN + 4 + 1 + ID + ID;
const ENC_LEN: usize = 1120;
const SIGNATURE_LEN: usize = 64;
/// A full member's grant: both keys sealed.
pub const CASE_GRANT_FULL_LEN: usize = CASE_GRANT_HEADER_LEN + ENC_LEN + 64 + 16 + SIGNATURE_LEN;
/// A summary member's grant: the summary key sealed.
pub const CASE_GRANT_SUMMARY_LEN: usize = CASE_GRANT_HEADER_LEN + ENC_LEN + 32 + 16 + SIGNATURE_LEN;

/// The keys of one case epoch that a member holds: the summary key always, the full key at
/// full level.
pub(crate) struct CaseKeys {
    pub(crate) full: Option<ContentKey>,
    pub(crate) summary: ContentKey,
}

impl CaseKeys {
    pub(crate) fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self {
            full: Some(ContentKey::generate_with_rng(rng)),
            summary: ContentKey::generate_with_rng(rng),
        }
    }

    /// The key of `level`, if held.
    pub(crate) fn key(&self, level: Level) -> Option<&ContentKey> {
        match level {
            Level::Full => self.full.as_ref(),
            Level::Summary => Some(&self.summary),
        }
    }

    /// The level these keys reach.
    pub(crate) fn level(&self) -> Level {
        if self.full.is_some() {
            Level::Full
        } else {
            Level::Summary
        }
    }
}

/// `HKDF-SHA256(ikm = key, salt = workspace id || case id,
/// info = "confide/v1/case-key-check" || 0x00 || u32(epoch) || level, 32)`.
fn key_check(
    workspace_id: &WorkspaceId,
    case_id: &CaseId,
    epoch: u32,
    level: Level,
    key: &ContentKey,
) -> [u8; 32] {
    let mut salt = [0u8; WorkspaceId::LEN + CaseId::LEN];
    let (w, c) = salt.split_at_mut(WorkspaceId::LEN);
    w.copy_from_slice(workspace_id.as_bytes());
    c.copy_from_slice(case_id.as_bytes());
    let mut info = labels::CASE_KEY_CHECK.to_vec();
    info.extend_from_slice(&epoch.to_be_bytes());
    info.push(level.to_byte());
    hkdf_sha256_32(key.expose_secret(), &salt, &info)
}

/// The key checks of a new epoch: the full key's, then the summary key's.
pub(crate) fn key_checks(
    workspace_id: &WorkspaceId,
    case_id: &CaseId,
    epoch: u32,
    keys: &CaseKeys,
) -> [u8; CASE_KEY_CHECKS_LEN] {
    let mut out = [0u8; CASE_KEY_CHECKS_LEN];
    let (f, s) = out.split_at_mut(32);
    if let Some(full) = &keys.full {
        f.copy_from_slice(&key_check(workspace_id, case_id, epoch, Level::Full, full));
    }
    s.copy_from_slice(&key_check(
        workspace_id,
        case_id,
        epoch,
        Level::Summary,
        &keys.summary,
    ));
    out
}

/// Checks opened keys against the case log's key checks, in constant time.
pub(crate) fn verify_key_checks(
    workspace_id: &WorkspaceId,
    case_id: &CaseId,
    epoch: u32,
    keys: &CaseKeys,
    expected: &[u8; CASE_KEY_CHECKS_LEN],
) -> Result<(), MembershipError> {
    let (f, s) = expected.split_at(32);
    let summary_ok =
        key_check(workspace_id, case_id, epoch, Level::Summary, &keys.summary).ct_eq(s);
    let full_ok = match &keys.full {
        Some(full) => key_check(workspace_id, case_id, epoch, Level::Full, full).ct_eq(f),
        None => subtle::Choice::from(1),
    };
    if bool::from(summary_ok & full_ok) {
        Ok(())
    } else {
        Err(MembershipError::KeyMismatch)
    }
}

/// The public fields of a case grant (FORMAT.md#case-grant), unauthenticated until its
/// signature is checked: what a storage server reads to file a grant under its case and
/// recipient ([`CaseGrantHeader::parse`], [`crate::CaseLog::check_grant`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseGrantHeader {
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) case_id: CaseId,
    pub(crate) epoch: u32,
    pub(crate) level: Level,
    pub(crate) recipient_id: [u8; ID],
    pub(crate) granter_id: [u8; ID],
}

impl CaseGrantHeader {
    /// Parses a case grant's header, after checking its tag, version, level byte and length
    /// (FORMAT.md#verifying-case-grants, step 1).
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion`.
    pub fn parse(grant: &[u8]) -> Result<Self, ParseError> {
        peek(grant)
    }

    /// The workspace the grant names.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The case the grant names.
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The case epoch whose keys it carries.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The level of the keys it carries.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The member it is sealed to.
    pub fn recipient_id(&self) -> [u8; ID] {
        self.recipient_id
    }

    /// The member who sealed and signed it.
    pub fn granter_id(&self) -> [u8; ID] {
        self.granter_id
    }
}

fn info(header: &CaseGrantHeader) -> Vec<u8> {
    let mut info = labels::CASE_GRANT_INFO.to_vec();
    info.extend_from_slice(header.workspace_id.as_bytes());
    info.extend_from_slice(header.case_id.as_bytes());
    info.extend_from_slice(&header.epoch.to_be_bytes());
    info.push(header.level.to_byte());
    info.extend_from_slice(&header.recipient_id);
    info
}

/// Seals the keys of `epoch` at `level` to `recipient`, signed by `granter`
/// (FORMAT.md#case-grant).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // the grant's header fields, in order
pub(crate) fn seal_with_rng(
    granter: &MemberSecretKey,
    recipient: &MemberPublicBundle,
    workspace_id: WorkspaceId,
    case_id: CaseId,
    epoch: u32,
    level: Level,
    keys: &CaseKeys,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, GrantError> {
    let header = CaseGrantHeader {
        workspace_id,
        case_id,
        epoch,
        level,
        recipient_id: recipient.fingerprint().id(),
        granter_id: granter.fingerprint().id(),
    };
    let mut plaintext = Zeroizing::new(Vec::with_capacity(64));
    if level == Level::Full {
        let full = keys.full.as_ref().ok_or(GrantError::SealFailed)?;
        plaintext.extend_from_slice(full.expose_secret());
    }
    plaintext.extend_from_slice(keys.summary.expose_secret());
    let mut out = Vec::with_capacity(CASE_GRANT_FULL_LEN);
    out.extend_from_slice(GRANT_TAG);
    out.push(GRANT_VERSION);
    out.extend_from_slice(workspace_id.as_bytes());
    out.extend_from_slice(case_id.as_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out.push(level.to_byte());
    out.extend_from_slice(&header.recipient_id);
    out.extend_from_slice(&header.granter_id);
    let (enc, sealed) = hpke::single_shot_seal_with_rng::<Aead, Kdf, XWing>(
        &OpModeS::Base,
        recipient.kem_key(),
        &info(&header),
        &plaintext,
        &out,
        rng,
    )
    .map_err(|_| GrantError::SealFailed)?;
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&sealed);
    let signature = granter.sign(labels::CASE_GRANT_SIGNATURE, &out);
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

/// The header of a case grant, after checking tag, version and length
/// (FORMAT.md#verifying-case-grants, step 1).
pub(crate) fn peek(grant: &[u8]) -> Result<CaseGrantHeader, ParseError> {
    check_tag(grant, GRANT_TAG, GRANT_VERSION, "case grant")?;
    let field = || ParseError::Field { what: "case grant" };
    let level = Level::from_byte(*grant.get(40).ok_or_else(field)?)?;
    let expected = match level {
        Level::Full => CASE_GRANT_FULL_LEN,
        Level::Summary => CASE_GRANT_SUMMARY_LEN,
    };
    if grant.len() != expected {
        return Err(ParseError::Length {
            what: "case grant",
            expected: "1369 at full level, 1337 at summary level",
            got: grant.len(),
        });
    }
    let array = |at: usize| -> Result<[u8; ID], ParseError> {
        grant
            .get(at..at + ID)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(field)
    };
    Ok(CaseGrantHeader {
        workspace_id: WorkspaceId::from_slice(grant.get(4..20).ok_or_else(field)?)?,
        case_id: CaseId::from_bytes(
            grant
                .get(20..36)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(field)?,
        ),
        epoch: u32::from_be_bytes(
            grant
                .get(36..40)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(field)?,
        ),
        level,
        recipient_id: array(41)?,
        granter_id: array(73)?,
    })
}

/// Checks a peeked case grant's signature under `granter`'s key, which must be the one its
/// header names (FORMAT.md#verifying-case-grants, step 7).
pub(crate) fn verify_signature(
    grant: &[u8],
    header: &CaseGrantHeader,
    granter: &MemberPublicBundle,
) -> Result<(), GrantError> {
    if header.granter_id != granter.fingerprint().id() {
        return Err(GrantError::BadSignature);
    }
    let split = grant
        .len()
        .checked_sub(SIGNATURE_LEN)
        .ok_or(GrantError::Malformed(ParseError::Field {
            what: "case grant",
        }))?;
    let (signed_part, signature) = grant.split_at(split);
    let signature = Signature::from_slice(signature).map_err(|_| GrantError::BadSignature)?;
    let mut signed = labels::CASE_GRANT_SIGNATURE.to_vec();
    signed.extend_from_slice(signed_part);
    granter
        .verifying_key()
        .verify_strict(&signed, &signature)
        .map_err(|_| GrantError::BadSignature)
}

/// Opens a case grant already peeked, checking the granter's signature first.
#[inline(never)]
pub(crate) fn open(
    member: &MemberSecretKey,
    grant: &[u8],
    header: &CaseGrantHeader,
    granter: &MemberPublicBundle,
) -> Result<CaseKeys, GrantError> {
    if header.recipient_id != member.fingerprint().id() {
        return Err(GrantError::NotForThisMember);
    }
    verify_signature(grant, header, granter)?;
    let malformed = || GrantError::Malformed(ParseError::Field { what: "case grant" });
    let split = grant
        .len()
        .checked_sub(SIGNATURE_LEN)
        .ok_or_else(malformed)?;
    let aad = grant.get(..CASE_GRANT_HEADER_LEN).ok_or_else(malformed)?;
    let enc = grant
        .get(CASE_GRANT_HEADER_LEN..CASE_GRANT_HEADER_LEN + ENC_LEN)
        .ok_or_else(malformed)?;
    let sealed = grant
        .get(CASE_GRANT_HEADER_LEN + ENC_LEN..split)
        .ok_or_else(malformed)?;
    let enc = <XWing as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| GrantError::DecryptionFailed)?;
    let keys = Zeroizing::new(
        hpke::single_shot_open::<Aead, Kdf, XWing>(
            &OpModeR::Base,
            member.kem_secret(),
            &enc,
            &info(header),
            sealed,
            aad,
        )
        .map_err(|_| GrantError::DecryptionFailed)?,
    );
    let key = |range: core::ops::Range<usize>| -> Result<ContentKey, GrantError> {
        let bytes: [u8; 32] = keys
            .get(range)
            .and_then(|b| b.try_into().ok())
            .ok_or(GrantError::DecryptionFailed)?;
        Ok(ContentKey::from_bytes(bytes))
    };
    Ok(match header.level {
        Level::Full => CaseKeys {
            full: Some(key(0..32)?),
            summary: key(32..64)?,
        },
        Level::Summary => CaseKeys {
            full: None,
            summary: key(0..32)?,
        },
    })
}

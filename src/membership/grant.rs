//! Grants: a workspace content key sealed to one member with HPKE and signed by the
//! granting member (docs/FORMAT.md#grant).

use ed25519_dalek::Signature;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::{GrantError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberPublicBundle, MemberSecretKey, XWing};
use crate::keys::{ContentKey, WorkspaceId};
use crate::primitives::labels;

/// RFC 9180 §7.2: KDF HKDF-SHA256 (0x0001). RFC 9180 §7.3: AEAD AES-256-GCM (0x0002).
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::AesGcm256;

const GRANT_TAG: &[u8; 3] = b"CFG";
const GRANT_VERSION: u8 = 1;
const ID: usize = Fingerprint::ID_LEN;
/// `tag || version || workspace id || epoch || recipient id || granter id`.
pub const GRANT_HEADER_LEN: usize = 4 + WorkspaceId::LEN + 4 + ID + ID;
/// X-Wing ciphertext length.
pub const ENC_LEN: usize = 1120;
/// Sealed content key: 32 bytes and a 16-byte tag.
pub const SEALED_KEY_LEN: usize = 32 + 16;
/// Total length of a grant.
pub const GRANT_LEN: usize = GRANT_HEADER_LEN + ENC_LEN + SEALED_KEY_LEN + 64;

/// What an opened grant yields.
pub(crate) struct OpenedGrant {
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) epoch: u32,
    pub(crate) key: ContentKey,
}

/// `"confide/v1/grant" || 0x00 || workspace id || u32(epoch) || recipient id`.
fn hpke_info(workspace_id: &WorkspaceId, epoch: u32, recipient: &[u8; ID]) -> Vec<u8> {
    let mut info = labels::GRANT_INFO.to_vec();
    info.extend_from_slice(workspace_id.as_bytes());
    info.extend_from_slice(&epoch.to_be_bytes());
    info.extend_from_slice(recipient);
    info
}

// One copy of the HPKE X-Wing seal in the wasm: inlining it per caller costs ~10 KB each.
#[inline(never)]
pub(crate) fn seal_with_rng(
    granter: &MemberSecretKey,
    recipient: &MemberPublicBundle,
    workspace_id: WorkspaceId,
    epoch: u32,
    key: &ContentKey,
    rng: &mut impl CryptoRng,
) -> Result<Vec<u8>, GrantError> {
    let recipient_id = recipient.fingerprint().id();
    let mut out = Vec::with_capacity(GRANT_LEN);
    out.extend_from_slice(GRANT_TAG);
    out.push(GRANT_VERSION);
    out.extend_from_slice(workspace_id.as_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(&recipient_id);
    out.extend_from_slice(&granter.fingerprint().id());
    let info = hpke_info(&workspace_id, epoch, &recipient_id);
    // aad = the grant header, so the granter id is authenticated by the HPKE AEAD too.
    let (enc, sealed) = hpke::single_shot_seal_with_rng::<Aead, Kdf, XWing>(
        &OpModeS::Base,
        recipient.kem_key(),
        &info,
        key.expose_secret(),
        &out,
        rng,
    )
    .map_err(|_| GrantError::SealFailed)?;
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&sealed);
    let signature = granter.sign(labels::GRANT_SIGNATURE, &out);
    out.extend_from_slice(&signature.to_bytes());
    Ok(out)
}

/// The header fields of a grant, unauthenticated: enough to find who signed it and for
/// which epoch, before [`open`] verifies everything.
pub(crate) struct GrantHeader {
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) epoch: u32,
    pub(crate) recipient_id: [u8; ID],
    pub(crate) granter_id: [u8; ID],
}

pub(crate) fn peek(grant: &[u8]) -> Result<GrantHeader, GrantError> {
    check_tag(grant, GRANT_TAG, GRANT_VERSION, "grant")?;
    if grant.len() != GRANT_LEN {
        return Err(ParseError::Length {
            what: "grant",
            expected: "exactly 1320",
            got: grant.len(),
        }
        .into());
    }
    let field = || GrantError::Malformed(ParseError::Field { what: "grant" });
    let array = |range: core::ops::Range<usize>| -> Result<[u8; ID], GrantError> {
        grant
            .get(range)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(field)
    };
    Ok(GrantHeader {
        workspace_id: WorkspaceId::from_slice(grant.get(4..20).ok_or_else(field)?)?,
        epoch: u32::from_be_bytes(
            grant
                .get(20..24)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(field)?,
        ),
        recipient_id: array(24..56)?,
        granter_id: array(56..88)?,
    })
}

#[inline(never)]
pub(crate) fn open(
    member: &MemberSecretKey,
    grant: &[u8],
    granter: &MemberPublicBundle,
) -> Result<OpenedGrant, GrantError> {
    check_tag(grant, GRANT_TAG, GRANT_VERSION, "grant")?;
    if grant.len() != GRANT_LEN {
        return Err(ParseError::Length {
            what: "grant",
            expected: "exactly 1320",
            got: grant.len(),
        }
        .into());
    }
    let malformed = || GrantError::Malformed(ParseError::Field { what: "grant" });
    let (header, rest) = grant.split_at(GRANT_HEADER_LEN);
    let (enc, rest) = rest.split_at(ENC_LEN);
    let (sealed, signature) = rest.split_at(SEALED_KEY_LEN);
    let workspace_id = WorkspaceId::from_slice(header.get(4..20).ok_or_else(malformed)?)?;
    let epoch = u32::from_be_bytes(
        header
            .get(20..24)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(malformed)?,
    );
    let recipient_id: [u8; ID] = header
        .get(24..56)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(malformed)?;
    let granter_id = header.get(56..88).ok_or_else(malformed)?;

    if recipient_id != member.fingerprint().id() {
        return Err(GrantError::NotForThisMember);
    }
    // The grant must name the granter it is checked against, and carry its signature.
    if granter_id != granter.fingerprint().id() {
        return Err(GrantError::BadSignature);
    }
    let signature = Signature::from_slice(signature).map_err(|_| GrantError::BadSignature)?;
    let mut signed = labels::GRANT_SIGNATURE.to_vec();
    signed.extend_from_slice(grant.get(..GRANT_LEN - 64).ok_or_else(malformed)?);
    granter
        .verifying_key()
        .verify_strict(&signed, &signature)
        .map_err(|_| GrantError::BadSignature)?;

    let enc = <XWing as hpke::Kem>::EncappedKey::from_bytes(enc)
        .map_err(|_| GrantError::DecryptionFailed)?;
    let info = hpke_info(&workspace_id, epoch, &recipient_id);
    let key = Zeroizing::new(
        hpke::single_shot_open::<Aead, Kdf, XWing>(
            &OpModeR::Base,
            member.kem_secret(),
            &enc,
            &info,
            sealed,
            header,
        )
        .map_err(|_| GrantError::DecryptionFailed)?,
    );
    let key: [u8; 32] = key
        .as_slice()
        .try_into()
        .map_err(|_| GrantError::DecryptionFailed)?;
    Ok(OpenedGrant {
        workspace_id,
        epoch,
        key: ContentKey::from_bytes(key),
    })
}

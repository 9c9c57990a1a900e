//! Invites: the secret in the link's fragment, and the invitee's acceptance bound to it
//! (docs/FORMAT.md#invites).

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signature;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{MembershipError, ParseError};
use crate::format::check_tag;
use crate::identity::{BUNDLE_LEN, Fingerprint, MemberPublicBundle, MemberSecretKey};
use crate::keys::WorkspaceId;
use crate::primitives::{hkdf_sha256_32, hmac_sha256, labels};

const ID: usize = Fingerprint::ID_LEN;
/// The fragment key an invite link starts with (after `#`).
pub const LINK_PREFIX: &str = "confide-invite=";
const LINK_VERSION: u8 = 1;
/// `version || workspace id || secret || inviter id`.
const LINK_PAYLOAD_LEN: usize = 1 + WorkspaceId::LEN + 32 + ID;
/// Length of an invite nonce (in the invite log entry).
pub const INVITE_NONCE_LEN: usize = 16;

const ACCEPTANCE_TAG: &[u8; 3] = b"CFA";
const ACCEPTANCE_VERSION: u8 = 1;
/// `tag || version || workspace id || invite id || bundle`.
const ACCEPTANCE_BODY_LEN: usize = 4 + WorkspaceId::LEN + 32 + BUNDLE_LEN;
/// Length of an acceptance: body, HMAC-SHA256, Ed25519 signature.
pub const ACCEPTANCE_LEN: usize = ACCEPTANCE_BODY_LEN + 32 + 64;

/// A 256-bit invite secret. It travels only in the link's fragment.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct InviteSecret([u8; 32]);

impl InviteSecret {
    /// `HKDF-SHA256(ikm = invite root, salt = workspace id,
    /// info = "confide/v1/invite-secret" || 0x00 || nonce, 32)`: the inviter can re-derive
    /// it from its seed and the nonce in the log, on any device.
    pub(crate) fn derive(
        inviter: &MemberSecretKey,
        workspace_id: &WorkspaceId,
        nonce: &[u8; INVITE_NONCE_LEN],
    ) -> Self {
        let root = Zeroizing::new(hkdf_sha256_32(
            inviter.seed().expose_secret(),
            &[],
            labels::MEMBER_INVITE_ROOT,
        ));
        let mut info = labels::INVITE_SECRET.to_vec();
        info.extend_from_slice(nonce);
        Self(hkdf_sha256_32(
            root.as_slice(),
            workspace_id.as_bytes(),
            &info,
        ))
    }

    /// `HKDF-SHA256(secret, workspace id, "confide/v1/invite-id", 32)`: what the server sees.
    pub(crate) fn invite_id(&self, workspace_id: &WorkspaceId) -> [u8; 32] {
        hkdf_sha256_32(&self.0, workspace_id.as_bytes(), labels::INVITE_ID)
    }

    fn mac_key(&self, workspace_id: &WorkspaceId) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(hkdf_sha256_32(
            &self.0,
            workspace_id.as_bytes(),
            labels::INVITE_MAC_KEY,
        ))
    }
}

/// What an invite link carries (FORMAT.md#invite-link).
pub struct InviteLink {
    workspace_id: WorkspaceId,
    secret: InviteSecret,
    inviter_id: [u8; ID],
}

impl InviteLink {
    pub(crate) fn new(
        workspace_id: WorkspaceId,
        secret: InviteSecret,
        inviter_id: [u8; ID],
    ) -> Self {
        Self {
            workspace_id,
            secret,
            inviter_id,
        }
    }

    /// The link fragment: `"#confide-invite=" || base64url(version || workspace id || secret
    /// || inviter id)`, unpadded.
    pub fn to_fragment(&self) -> Zeroizing<String> {
        let mut payload = Zeroizing::new(Vec::with_capacity(LINK_PAYLOAD_LEN));
        payload.push(LINK_VERSION);
        payload.extend_from_slice(self.workspace_id.as_bytes());
        payload.extend_from_slice(&self.secret.0);
        payload.extend_from_slice(&self.inviter_id);
        let encoded = Zeroizing::new(Base64UrlUnpadded::encode_string(&payload));
        Zeroizing::new(format!("#{LINK_PREFIX}{}", encoded.as_str()))
    }

    /// Parses a link: a whole URL, its fragment with or without `#`, or the bare payload.
    ///
    /// # Errors
    /// [`ParseError`] if the payload is not valid unpadded base64url of the right length,
    /// or names another version.
    pub fn parse(link: &str) -> Result<Self, ParseError> {
        let object = "invite link";
        let fragment = link.rsplit_once('#').map_or(link, |(_, f)| f).trim();
        let encoded = fragment.strip_prefix(LINK_PREFIX).unwrap_or(fragment);
        let mut payload = Zeroizing::new([0u8; LINK_PAYLOAD_LEN]);
        let decoded = Base64UrlUnpadded::decode(encoded, payload.as_mut_slice())
            .map_err(|_| ParseError::Field { what: object })?;
        if decoded.len() != LINK_PAYLOAD_LEN {
            return Err(ParseError::Length {
                what: object,
                expected: "exactly 81 decoded bytes",
                got: decoded.len(),
            });
        }
        let (&version, rest) = payload
            .split_first()
            .ok_or(ParseError::Field { what: object })?;
        if version != LINK_VERSION {
            return Err(ParseError::UnsupportedVersion {
                object,
                got: version,
            });
        }
        let mut secret = [0u8; 32];
        let mut inviter_id = [0u8; ID];
        let (ws, rest) = rest.split_at(WorkspaceId::LEN);
        let (s, inviter) = rest.split_at(32);
        secret.copy_from_slice(s);
        inviter_id.copy_from_slice(inviter);
        Ok(Self {
            workspace_id: WorkspaceId::from_slice(ws)?,
            secret: InviteSecret(secret),
            inviter_id,
        })
    }

    /// A second copy of the link (its secret zeroizes with each copy).
    pub(crate) fn duplicate(&self) -> Self {
        Self {
            workspace_id: self.workspace_id,
            secret: InviteSecret(self.secret.0),
            inviter_id: self.inviter_id,
        }
    }

    /// The workspace the invite is for.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The member id (first 32 bytes of the fingerprint) of the inviter.
    pub fn inviter_id(&self) -> [u8; ID] {
        self.inviter_id
    }

    /// The invite id, as the log and the server know it.
    pub fn invite_id(&self) -> [u8; 32] {
        self.secret.invite_id(&self.workspace_id)
    }

    /// The invitee's acceptance: its bundle bound to the invite secret by an HMAC and to
    /// its own key by a signature (FORMAT.md#acceptance).
    pub fn accept(&self, invitee: &MemberSecretKey) -> Vec<u8> {
        let mut out = Vec::with_capacity(ACCEPTANCE_LEN);
        out.extend_from_slice(ACCEPTANCE_TAG);
        out.push(ACCEPTANCE_VERSION);
        out.extend_from_slice(self.workspace_id.as_bytes());
        out.extend_from_slice(&self.invite_id());
        out.extend_from_slice(invitee.public_bundle().as_bytes());
        let mac = hmac_sha256(
            &self.secret.mac_key(&self.workspace_id),
            &[labels::ACCEPTANCE_MAC, &out],
        );
        out.extend_from_slice(&mac);
        let signature = invitee.sign(labels::ACCEPTANCE_SIGNATURE, &out);
        out.extend_from_slice(&signature.to_bytes());
        out
    }
}

/// A parsed acceptance whose bundle and signature verified. Its MAC is checked separately,
/// by whoever holds the invite secret ([`Acceptance::verify_mac`]).
pub struct Acceptance {
    encoded: Vec<u8>,
    workspace_id: WorkspaceId,
    invite_id: [u8; 32],
    bundle: MemberPublicBundle,
}

impl Acceptance {
    /// Parses an acceptance and verifies the invitee's bundle and signature.
    ///
    /// # Errors
    /// `Malformed` for bad structure or a bad bundle; `BadSignature` if the invitee's
    /// signature does not verify.
    pub fn parse(bytes: &[u8]) -> Result<Self, MembershipError> {
        let object = "acceptance";
        check_tag(bytes, ACCEPTANCE_TAG, ACCEPTANCE_VERSION, object)?;
        if bytes.len() != ACCEPTANCE_LEN {
            return Err(ParseError::Length {
                what: object,
                expected: "exactly 1464",
                got: bytes.len(),
            }
            .into());
        }
        let field = || ParseError::Field { what: object };
        let workspace_id = WorkspaceId::from_slice(bytes.get(4..20).ok_or_else(field)?)?;
        let invite_id: [u8; 32] = bytes
            .get(20..52)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(field)?;
        let bundle =
            MemberPublicBundle::from_bytes(bytes.get(52..ACCEPTANCE_BODY_LEN).ok_or_else(field)?)?;
        let (signed, signature) = bytes.split_at(ACCEPTANCE_LEN - 64);
        let signature =
            Signature::from_slice(signature).map_err(|_| MembershipError::BadSignature)?;
        let mut message = labels::ACCEPTANCE_SIGNATURE.to_vec();
        message.extend_from_slice(signed);
        bundle
            .verifying_key()
            .verify_strict(&message, &signature)
            .map_err(|_| MembershipError::BadSignature)?;
        Ok(Self {
            encoded: bytes.to_vec(),
            workspace_id,
            invite_id,
            bundle,
        })
    }

    /// Checks the HMAC under the invite secret, in constant time.
    pub(crate) fn verify_mac(&self, secret: &InviteSecret) -> Result<(), MembershipError> {
        let (body, rest) = self.encoded.split_at(ACCEPTANCE_BODY_LEN);
        let mac = rest.get(..32).unwrap_or_default();
        let expected = hmac_sha256(
            &secret.mac_key(&self.workspace_id),
            &[labels::ACCEPTANCE_MAC, body],
        );
        if bool::from(expected.as_slice().ct_eq(mac)) {
            Ok(())
        } else {
            Err(MembershipError::BadAcceptance)
        }
    }

    /// The encoded acceptance.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The workspace it names.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The invite it answers.
    pub fn invite_id(&self) -> [u8; 32] {
        self.invite_id
    }

    /// The invitee's bundle.
    pub fn bundle(&self) -> &MemberPublicBundle {
        &self.bundle
    }
}

//! Member identity: a 32-byte seed, the keys derived from it, the public bundle and
//! its fingerprint (docs/FORMAT.md#member-identity).

pub mod backup;
pub mod recovery_kit;

use core::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hpke::{Deserializable, Serializable};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{ArgumentError, ParseError};
use crate::format::check_tag;
use crate::primitives::{hkdf_sha256_32, labels, sha512};
use crate::rng::{random_array, system_rng};

/// The X-Wing KEM as instantiated by `hpke` (draft-connolly-cfrg-xwing-kem, KEM id 0x647a).
pub(crate) type XWing = hpke::kem::XWing;

/// Length of a member seed.
pub const SEED_LEN: usize = 32;
/// Length of an X-Wing encapsulation key.
pub const XWING_PUBLIC_KEY_LEN: usize = 1216;
/// Length of an encoded public bundle (FORMAT.md#public-bundle).
pub const BUNDLE_LEN: usize = 4 + 32 + XWING_PUBLIC_KEY_LEN + 64;
/// Tag and version of a public bundle.
pub(crate) const BUNDLE_TAG: &[u8; 3] = b"CFB";
pub(crate) const BUNDLE_VERSION: u8 = 1;

/// The one secret a member holds. Every other member key is derived from it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct MemberSeed([u8; SEED_LEN]);

impl MemberSeed {
    /// A fresh seed from the system CSPRNG.
    ///
    /// # Errors
    /// [`ArgumentError::RandomUnavailable`] if the system source fails.
    pub fn generate() -> Result<Self, ArgumentError> {
        Ok(Self::generate_with_rng(&mut system_rng()?))
    }

    /// A fresh seed from `rng`.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self(random_array(rng))
    }

    /// Wraps existing seed bytes (from a backup or a test vector).
    pub fn from_bytes(bytes: [u8; SEED_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw seed. Handle with care: anyone holding it is this member.
    pub fn expose_secret(&self) -> &[u8; SEED_LEN] {
        &self.0
    }
}

impl ConstantTimeEq for MemberSeed {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

/// A member's secret keys, derived from its [`MemberSeed`] (FORMAT.md#member-identity).
/// Every part zeroizes on drop: the seed here, the Ed25519 key and X-Wing key in their crates.
pub struct MemberSecretKey {
    seed: MemberSeed,
    signing: SigningKey,
    kem: <XWing as hpke::Kem>::PrivateKey,
    bundle: MemberPublicBundle,
}

impl MemberSecretKey {
    /// Derives every member key from `seed`:
    /// `ed25519_seed = HKDF-SHA256(seed, "", "confide/v1/member/ed25519", 32)` and
    /// `xwing_seed = HKDF-SHA256(seed, "", "confide/v1/member/x-wing", 32)`.
    pub fn derive(seed: MemberSeed) -> Self {
        let ed_seed = Zeroizing::new(hkdf_sha256_32(
            seed.expose_secret(),
            &[],
            labels::MEMBER_ED25519,
        ));
        let kem_seed = Zeroizing::new(hkdf_sha256_32(
            seed.expose_secret(),
            &[],
            labels::MEMBER_XWING,
        ));
        let signing = SigningKey::from_bytes(&ed_seed);
        // An X-Wing decapsulation key is any 32 bytes (draft-connolly-cfrg-xwing-kem §5.2).
        // from_bytes only checks the length, which is 32 by type; the fallback is never taken.
        let kem = <XWing as hpke::Kem>::PrivateKey::from_bytes(kem_seed.as_slice())
            .unwrap_or_else(|_| <XWing as hpke::Kem>::derive_keypair(kem_seed.as_slice()).0);
        let kem_pk = <XWing as hpke::Kem>::sk_to_pk(&kem);
        let bundle = MemberPublicBundle::sign(&signing, &kem_pk);
        Self {
            seed,
            signing,
            kem,
            bundle,
        }
    }

    /// A new member from the system CSPRNG.
    ///
    /// # Errors
    /// [`ArgumentError::RandomUnavailable`] if the system source fails.
    pub fn generate() -> Result<Self, ArgumentError> {
        Ok(Self::derive(MemberSeed::generate()?))
    }

    /// A new member from `rng`.
    pub fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self::derive(MemberSeed::generate_with_rng(rng))
    }

    /// A second, independent handle on the same member, re-derived from the seed
    /// (secret types are not `Clone`; each handle zeroizes on its own drop).
    pub fn rederive(&self) -> Self {
        Self::derive(MemberSeed(self.seed.0))
    }

    /// The seed this member was derived from.
    pub fn seed(&self) -> &MemberSeed {
        &self.seed
    }

    /// This member's public bundle.
    pub fn public_bundle(&self) -> &MemberPublicBundle {
        &self.bundle
    }

    /// This member's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.bundle.fingerprint()
    }

    /// Signs a storage server's login challenge, proving possession of this member's key:
    /// `Ed25519(signing key, "confide/v1/server-challenge" || 0x00 || challenge)`
    /// (FORMAT.md#server-challenge). The label keeps the signature from ever passing as a
    /// log entry, grant, acceptance or bundle signature, whatever bytes the server sends.
    pub fn sign_server_challenge(&self, challenge: &[u8]) -> [u8; 64] {
        self.sign(labels::SERVER_CHALLENGE, challenge).to_bytes()
    }

    pub(crate) fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        let mut m = Vec::with_capacity(label.len() + message.len());
        m.extend_from_slice(label);
        m.extend_from_slice(message);
        self.signing.sign(&m)
    }

    pub(crate) fn kem_secret(&self) -> &<XWing as hpke::Kem>::PrivateKey {
        &self.kem
    }
}

/// What the server stores about a member: its Ed25519 verifying key and X-Wing
/// encapsulation key, self-signed (FORMAT.md#public-bundle).
#[derive(Clone, PartialEq, Eq)]
pub struct MemberPublicBundle {
    encoded: Vec<u8>,
    verifying: VerifyingKey,
    kem: <XWing as hpke::Kem>::PublicKey,
}

impl MemberPublicBundle {
    fn sign(signing: &SigningKey, kem: &<XWing as hpke::Kem>::PublicKey) -> Self {
        let verifying = signing.verifying_key();
        let mut encoded = Vec::with_capacity(BUNDLE_LEN);
        encoded.extend_from_slice(BUNDLE_TAG);
        encoded.push(BUNDLE_VERSION);
        encoded.extend_from_slice(verifying.as_bytes());
        encoded.extend_from_slice(&kem.to_bytes());
        let mut signed = labels::BUNDLE_SIGNATURE.to_vec();
        signed.extend_from_slice(&encoded);
        encoded.extend_from_slice(&signing.sign(&signed).to_bytes());
        Self {
            encoded,
            verifying,
            kem: kem.clone(),
        }
    }

    /// Parses and verifies a bundle: tag, version, length, both keys, and the self-signature.
    ///
    /// # Errors
    /// [`ParseError`] for any deviation from FORMAT.md#public-bundle, including a bad
    /// self-signature (a bundle that does not verify is not a bundle).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        let (bundle, body, sig) = Self::decode(bytes)?;
        let mut signed = labels::BUNDLE_SIGNATURE.to_vec();
        signed.extend_from_slice(body);
        bundle
            .verifying
            .verify_strict(&signed, &sig)
            .map_err(|_| ParseError::Field {
                what: "bundle signature",
            })?;
        Ok(bundle)
    }

    /// Steps 1 to 4 of FORMAT.md#public-bundle: the bundle, its signed body and signature.
    fn decode(bytes: &[u8]) -> Result<(Self, &[u8], Signature), ParseError> {
        let object = "public bundle";
        check_tag(bytes, BUNDLE_TAG, BUNDLE_VERSION, object)?;
        if bytes.len() != BUNDLE_LEN {
            return Err(ParseError::Length {
                what: object,
                expected: "exactly 1316",
                got: bytes.len(),
            });
        }
        let (body, sig) = bytes.split_at(BUNDLE_LEN - 64);
        let (vk, kem) = body.get(4..).unwrap_or_default().split_at(32);
        let vk: &[u8; 32] = vk.try_into().map_err(|_| ParseError::Field {
            what: "ed25519 key",
        })?;
        let verifying = VerifyingKey::from_bytes(vk).map_err(|_| ParseError::Field {
            what: "ed25519 key",
        })?;
        let kem = <XWing as hpke::Kem>::PublicKey::from_bytes(kem)
            .map_err(|_| ParseError::Field { what: "x-wing key" })?;
        let sig = Signature::from_slice(sig).map_err(|_| ParseError::Field {
            what: "bundle signature",
        })?;
        let bundle = Self {
            encoded: bytes.to_vec(),
            verifying,
            kem,
        };
        Ok((bundle, body, sig))
    }

    /// Parses a bundle whose self-signature was verified before (it is inside a verified
    /// log entry): the keys are decoded, the signature is not checked again.
    ///
    /// # Errors
    /// [`ParseError`] if the bytes are not a bundle's.
    pub(crate) fn from_verified_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::decode(bytes).map(|(bundle, _, _)| bundle)
    }

    /// Whether `signature` is this member's signature of a server's login `challenge`
    /// (see [`MemberSecretKey::sign_server_challenge`]). Strict Ed25519 verification.
    pub fn verify_server_challenge(&self, challenge: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        let mut message = labels::SERVER_CHALLENGE.to_vec();
        message.extend_from_slice(challenge);
        self.verifying.verify_strict(&message, &signature).is_ok()
    }

    /// The encoded bundle.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// `SHA-512("confide/v1/fingerprint" || 0x00 || bundle)` (FORMAT.md#fingerprint).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_bundle_bytes(&self.encoded)
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    pub(crate) fn kem_key(&self) -> &<XWing as hpke::Kem>::PublicKey {
        &self.kem
    }
}

impl fmt::Debug for MemberPublicBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemberPublicBundle")
            .field(&self.fingerprint().to_digits())
            .finish()
    }
}

/// A member's fingerprint: the SHA-512 of its bundle (FORMAT.md#fingerprint).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 64]);

impl Fingerprint {
    /// Length of the binary fingerprint that grants carry (the hash's first 32 bytes).
    pub const ID_LEN: usize = 32;

    /// The fingerprint of encoded bundle bytes, unverified (FORMAT.md#fingerprint).
    pub fn of_bundle_bytes(bundle: &[u8]) -> Self {
        Self(sha512(&[labels::FINGERPRINT, bundle]))
    }

    /// The 32-byte member id carried in grants.
    pub fn id(&self) -> [u8; Self::ID_LEN] {
        let mut id = [0u8; 32];
        id.copy_from_slice(self.0.get(..32).unwrap_or(&[0u8; 32]));
        id
    }

    /// Twelve groups of five decimal digits, for people to compare: each group is the
    /// big-endian integer of 5 hash bytes, modulo 100000 (FORMAT.md#fingerprint).
    pub fn to_digits(&self) -> String {
        let mut out = String::with_capacity(71);
        for (i, chunk) in self.0.chunks_exact(5).take(12).enumerate() {
            let n = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&format!("{:05}", n % 100_000));
        }
        out
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_challenge_signature_is_bound_to_key_challenge_and_label() {
        let alice = MemberSecretKey::derive(MemberSeed::from_bytes([1; 32]));
        let bob = MemberSecretKey::derive(MemberSeed::from_bytes([2; 32]));
        let challenge = [7u8; 32];
        let sig = alice.sign_server_challenge(&challenge);
        let bundle = alice.public_bundle();
        assert!(bundle.verify_server_challenge(&challenge, &sig));
        assert!(!bundle.verify_server_challenge(&[8u8; 32], &sig));
        assert!(
            !bundle.verify_server_challenge(&challenge, &bob.sign_server_challenge(&challenge))
        );
        assert!(!bundle.verify_server_challenge(&challenge, &sig[..63]));
        // The same bytes signed under another label (here: a log entry's) do not verify.
        let other = alice
            .sign(labels::LOG_ENTRY_SIGNATURE, &challenge)
            .to_bytes();
        assert!(!bundle.verify_server_challenge(&challenge, &other));
    }
}

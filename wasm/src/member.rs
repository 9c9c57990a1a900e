//! The member: its seed stays in wasm memory; invites seen from the invitee's side.

use crate::backup::{ExportPlan, stretched_key};
use crate::convert::*;
use confide::MemberPublicBundle;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A workspace member: holds the member seed inside wasm memory.
#[wasm_bindgen(js_name = WasmMember)]
pub struct Member(pub(crate) confide::MemberSecretKey);

#[wasm_bindgen(js_class = WasmMember)]
impl Member {
    /// A new member with a fresh random seed.
    pub fn generate() -> Result<Member, JsValue> {
        confide::MemberSecretKey::generate()
            .map(Member)
            .map_err(to_js)
    }

    /// The versioned public bundle the server stores.
    #[wasm_bindgen(js_name = publicBundle)]
    pub fn public_bundle(&self) -> Vec<u8> {
        self.0.public_bundle().as_bytes().to_vec()
    }

    /// Twelve groups of five digits.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint().to_digits()
    }

    /// Writes a backup from `plan` and the passphrase stretched by wasm-kdf's `argon2Stretch`
    /// with the plan's inputs (docs/FORMAT.md#passphrase-backup, exporting step 4).
    /// `stretched` is taken by value and zeroized.
    #[wasm_bindgen(js_name = finishBackup)]
    pub fn finish_backup(&self, plan: &ExportPlan, stretched: Vec<u8>) -> Result<Vec<u8>, JsValue> {
        let stretched = stretched_key(stretched)?;
        Ok(confide::identity::backup::finish_export(
            &self.0, &plan.0, &stretched,
        ))
    }

    /// Opens a backup with the passphrase stretched by wasm-kdf's `argon2Stretch` with the
    /// inputs of `backupKdfInput(backup)` (opening steps 5 to 7). `stretched` is zeroized.
    #[wasm_bindgen(js_name = openBackup)]
    pub fn open_backup(backup: &[u8], stretched: Vec<u8>) -> Result<Member, JsValue> {
        let stretched = stretched_key(stretched)?;
        let parsed = confide::identity::backup::parse(backup).map_err(to_js)?;
        confide::identity::backup::open_with_stretched(&parsed, &stretched)
            .map(Member)
            .map_err(to_js)
    }

    /// The recovery kit: the seed as 11 groups of 5 symbols (docs/FORMAT.md#recovery-kit).
    /// Returned as a JS string made from the zeroizing text, so no copy stays in wasm memory
    /// (a returned `String` would be freed without being wiped).
    #[wasm_bindgen(js_name = recoveryKit)]
    pub fn recovery_kit(&self) -> JsValue {
        JsValue::from_str(&confide::identity::recovery_kit::encode(self.0.seed()))
    }

    /// A member from its recovery kit.
    #[wasm_bindgen(js_name = fromRecoveryKit)]
    pub fn from_recovery_kit(kit: String) -> Result<Member, JsValue> {
        let kit = Zeroizing::new(kit);
        confide::identity::recovery_kit::decode(&kit)
            .map(|seed| Member(confide::MemberSecretKey::derive(seed)))
            .map_err(to_js)
    }

    /// The raw seed, for the package's device storage to wrap with a non-extractable
    /// WebCrypto key (docs/SECURITY.md#device-storage). It reveals no more than
    /// `recoveryKit`; the package never exports it.
    #[wasm_bindgen(js_name = seedForDeviceStorage)]
    pub fn seed_for_device_storage(&self) -> Uint8Array {
        secret_to_js(self.0.seed().expose_secret())
    }

    /// A member from a seed unwrapped by the package's device storage. Taken by value and
    /// zeroized.
    #[wasm_bindgen(js_name = fromDeviceSeed)]
    pub fn from_device_seed(seed: Vec<u8>) -> Result<Member, JsValue> {
        let seed = Zeroizing::new(seed);
        let bytes: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| js_error("malformed", "stored seed: expected length 32"))?;
        Ok(Member(confide::MemberSecretKey::derive(
            confide::MemberSeed::from_bytes(bytes),
        )))
    }

    /// Signs a storage server's login challenge (64-byte Ed25519 signature under the
    /// `confide/v1/server-challenge` label).
    #[wasm_bindgen(js_name = signServerChallenge)]
    pub fn sign_server_challenge(&self, challenge: &[u8]) -> Vec<u8> {
        self.0.sign_server_challenge(challenge).to_vec()
    }

    /// The fingerprint of any public bundle, after verifying it.
    #[wasm_bindgen(js_name = fingerprintOf)]
    pub fn fingerprint_of(bundle: &[u8]) -> Result<String, JsValue> {
        MemberPublicBundle::from_bytes(bundle)
            .map(|b| b.fingerprint().to_digits())
            .map_err(to_js)
    }
}

/// The invitee's acceptance of an invite link (docs/FORMAT.md#acceptance). The link is
/// taken by value and zeroized.
#[wasm_bindgen(js_name = acceptInvite)]
pub fn accept_invite(member: &Member, link: String) -> Result<Vec<u8>, JsValue> {
    let link = Zeroizing::new(link);
    let link = confide::InviteLink::parse(&link).map_err(to_js)?;
    Ok(link.accept(&member.0))
}

/// What an invite link names, without its secret: `{ workspaceId, inviterId, inviteId }`.
/// The link is taken by value and zeroized.
#[wasm_bindgen(js_name = describeInvite)]
pub fn describe_invite(link: String) -> Result<JsValue, JsValue> {
    let link = Zeroizing::new(link);
    let link = confide::InviteLink::parse(&link).map_err(to_js)?;
    object(&[
        (
            "workspaceId",
            Uint8Array::from(&link.workspace_id().as_bytes()[..]).into(),
        ),
        ("inviterId", Uint8Array::from(&link.inviter_id()[..]).into()),
        ("inviteId", Uint8Array::from(&link.invite_id()[..]).into()),
    ])
}

/// A member id (the first 32 bytes of the fingerprint) of any verified bundle.
#[wasm_bindgen(js_name = memberIdOf)]
pub fn member_id_of(bundle: &[u8]) -> Result<Vec<u8>, JsValue> {
    MemberPublicBundle::from_bytes(bundle)
        .map(|b| b.fingerprint().id().to_vec())
        .map_err(to_js)
}

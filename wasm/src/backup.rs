//! Passphrase backups: the policy and Argon2id inputs here, the KDF in its own module.

use crate::convert::*;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A 32-byte stretched passphrase from JS, zeroized on drop.
pub(crate) fn stretched_key(bytes: Vec<u8>) -> Result<Zeroizing<[u8; 32]>, JsValue> {
    let bytes = Zeroizing::new(bytes);
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        js_error(
            "invalid_argument",
            "stretched passphrase: expected length 32",
        )
    })?;
    Ok(Zeroizing::new(key))
}

/// The Argon2id inputs of a backup: parameters and salt (docs/FORMAT.md#passphrase-backup).
#[wasm_bindgen(js_name = WasmKdfInput)]
pub struct KdfInput {
    params: confide::identity::backup::KdfParams,
    salt: Vec<u8>,
}

#[wasm_bindgen(js_class = WasmKdfInput)]
impl KdfInput {
    /// Memory in KiB.
    #[wasm_bindgen(getter, js_name = memoryKib)]
    pub fn memory_kib(&self) -> u32 {
        self.params.memory_kib
    }

    /// Passes.
    #[wasm_bindgen(getter)]
    pub fn iterations(&self) -> u32 {
        self.params.iterations
    }

    /// Lanes.
    #[wasm_bindgen(getter)]
    pub fn parallelism(&self) -> u8 {
        self.params.parallelism
    }

    /// The salt.
    #[wasm_bindgen(getter)]
    pub fn salt(&self) -> Vec<u8> {
        self.salt.clone()
    }
}

/// A backup about to be made: the policy has passed, salt and nonce are chosen.
#[wasm_bindgen(js_name = WasmExportPlan)]
pub struct ExportPlan(pub(crate) confide::identity::backup::ExportPlan);

#[wasm_bindgen(js_class = WasmExportPlan)]
impl ExportPlan {
    /// What to stretch the passphrase with.
    #[wasm_bindgen(js_name = kdfInput)]
    pub fn kdf_input(&self) -> KdfInput {
        KdfInput {
            params: self.0.params,
            salt: self.0.salt.to_vec(),
        }
    }
}

/// Checks the passphrase policy and plans a backup at the interactive or sensitive strength
/// (docs/FORMAT.md#passphrase-backup, exporting steps 1 to 3). Zeroizes the passphrase.
#[wasm_bindgen(js_name = prepareBackup)]
pub fn prepare_backup(passphrase: String, sensitive: bool) -> Result<ExportPlan, JsValue> {
    let passphrase = Zeroizing::new(passphrase);
    let strength = if sensitive {
        confide::identity::backup::Strength::Sensitive
    } else {
        confide::identity::backup::Strength::Interactive
    };
    confide::identity::backup::prepare_export(&passphrase, strength)
        .map(ExportPlan)
        .map_err(to_js)
}

/// Parses a backup and checks its parameters (opening steps 1 to 4), before any Argon2id.
#[wasm_bindgen(js_name = backupKdfInput)]
pub fn backup_kdf_input(backup: &[u8]) -> Result<KdfInput, JsValue> {
    let parsed = confide::identity::backup::parse(backup).map_err(to_js)?;
    Ok(KdfInput {
        params: parsed.params,
        salt: parsed.salt().to_vec(),
    })
}

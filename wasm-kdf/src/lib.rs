//! Argon2id for passphrase backups (docs/FORMAT.md#passphrase-backup, `k`), as a wasm module
//! of its own. The main module (`confide-wasm`) plans and opens backups but links no Argon2:
//! this one is fetched only when a backup is made or opened, and the JS package instantiates
//! it afresh for each derivation, in a worker where it can (docs/SECURITY.md#memory), so
//! Argon2's 64 MiB or more never stay in the page's memory. Type and error conversion only.

#![forbid(unsafe_code)]
// The errors are the core's, converted; they are documented there and in js/src.
#![allow(clippy::missing_errors_doc)]

use confide::ErrorCode;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A JS `Error` with `name = "ConfideError"` and a stable `code`, as in the main bindings.
fn to_js<E: ErrorCode + core::fmt::Display>(e: E) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    error.set_name("ConfideError");
    // Reflect::set only fails on frozen or proxied objects, which a fresh Error is not.
    let _ = js_sys::Reflect::set(
        &error,
        &JsValue::from_str("code"),
        &JsValue::from_str(e.code()),
    );
    error.into()
}

/// Argon2id of the passphrase with the backup's salt and parameters, checked against the
/// limits first (docs/FORMAT.md#backup-limits). The passphrase is zeroized here; the 32-byte
/// result is copied out to JS and zeroized in wasm memory.
#[wasm_bindgen(js_name = argon2Stretch)]
pub fn argon2_stretch(
    passphrase: String,
    salt: &[u8],
    memory_kib: u32,
    iterations: u32,
    parallelism: u8,
) -> Result<Uint8Array, JsValue> {
    let passphrase = Zeroizing::new(passphrase);
    let params = confide::identity::backup::KdfParams {
        memory_kib,
        iterations,
        parallelism,
    };
    let stretched = confide::identity::backup::stretch(&passphrase, salt, params).map_err(to_js)?;
    Ok(Uint8Array::from(stretched.as_slice()))
}

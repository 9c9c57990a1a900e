//! Test-only access for independent implementations (docs/FORMAT.md#independent-implementations).
//! Compiled only with the `hazmat` feature, which release packages never enable.

use crate::case::Case;
use crate::convert::*;
use crate::member::Member;
use crate::record::{Encryptor, MessageKeys};
use crate::workspace::Workspace;
use confide::{ContentType, EncryptOptions, RecordContext};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

/// The content key of `epoch`, or an `unknown_epoch` error.
#[wasm_bindgen(js_name = hazmatContentKey)]
pub fn content_key(workspace: &Workspace, epoch: u32) -> Result<Uint8Array, JsValue> {
    match workspace.0.hazmat_content_key(epoch) {
        Some(k) => Ok(secret_to_js(&k)),
        None => Err(js_error("unknown_epoch", "no content key for this epoch")),
    }
}

fn seeded(seed: &[u8]) -> Result<impl rand_core::CryptoRng, JsValue> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| js_error("invalid_argument", "seed: expected length 32"))?;
    Ok(confide::rng::seeded_rng(seed))
}

/// Message keys for a new record whose salt comes from a seeded generator, so both
/// stream engines can be compared byte for byte.
#[wasm_bindgen(js_name = hazmatMessageKeysWithSeed)]
pub fn message_keys_with_seed(
    workspace: &Workspace,
    record_id: &str,
    field: &str,
    seed: &[u8],
) -> Result<MessageKeys, JsValue> {
    let ctx = RecordContext { record_id, field };
    let (prefix, material) = confide::record::stream::external_encryption_with_rng(
        &workspace.0,
        &ctx,
        ContentType::Bytes,
        &mut seeded(seed)?,
    )
    .map_err(to_js)?;
    Ok(MessageKeys {
        prefix,
        padded: false,
        text: false,
        material,
    })
}

/// A wasm-engine encryptor whose salt comes from a seeded generator.
#[wasm_bindgen(js_name = hazmatEncryptorWithSeed)]
pub fn encryptor_with_seed(
    workspace: &Workspace,
    record_id: &str,
    field: &str,
    seed: &[u8],
) -> Result<Encryptor, JsValue> {
    let ctx = RecordContext { record_id, field };
    let options = EncryptOptions {
        content_type: ContentType::Bytes,
        pad: false,
    };
    workspace
        .0
        .encrypt_stream_with_rng(&ctx, options, &mut seeded(seed)?)
        .map(|e| Encryptor(Some(e)))
        .map_err(to_js)
}

/// A member from raw seed bytes (for test vectors).
#[wasm_bindgen(js_name = hazmatMemberFromSeed)]
pub fn member_from_seed(seed: &[u8]) -> Result<Member, JsValue> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| js_error("invalid_argument", "seed: expected length 32"))?;
    Ok(Member(confide::MemberSecretKey::derive(
        confide::MemberSeed::from_bytes(seed),
    )))
}

/// The case key of `epoch` at `level` ("full" or "summary"), or an `unknown_epoch` error.
#[wasm_bindgen(js_name = hazmatCaseKey)]
pub fn case_key(case: &Case, epoch: u32, full: bool) -> Result<Uint8Array, JsValue> {
    let level = if full {
        confide::Level::Full
    } else {
        confide::Level::Summary
    };
    match case.0.hazmat_key(epoch, level) {
        Some(k) => Ok(secret_to_js(&zeroize::Zeroizing::new(k)[..])),
        None => Err(js_error(
            "unknown_epoch",
            "no case key for this epoch and level",
        )),
    }
}

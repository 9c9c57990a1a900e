//! Conversions between JS values and the core's types, and errors as JS `Error`s.

use confide::ContentType;
use confide::ErrorCode;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

/// A JS `Error` with `name = "ConfideError"` and a stable `code`.
pub(crate) fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("ConfideError");
    // Reflect::set only fails on frozen or proxied objects, which a fresh Error is not.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

pub(crate) fn to_js<E: ErrorCode + core::fmt::Display>(e: E) -> JsValue {
    js_error(e.code(), &e.to_string())
}

/// The record content type a JS call asks for: text for strings, bytes otherwise.
pub(crate) fn content_type(is_text: bool) -> ContentType {
    if is_text {
        ContentType::Text
    } else {
        ContentType::Bytes
    }
}

/// Copies secret bytes out to JS; the wasm copy zeroizes when `bytes` drops.
pub(crate) fn secret_to_js(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

pub(crate) fn no_log() -> JsValue {
    to_js(confide::MembershipError::NoMembershipLog)
}

/// Unix seconds (or a duration in seconds) from a JS number: a non-negative safe integer.
pub(crate) fn unix_seconds(value: f64) -> Result<u64, JsValue> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if !(0.0..=MAX_SAFE_INTEGER).contains(&value) || value.fract() != 0.0 {
        return Err(js_error(
            "invalid_argument",
            "time: expected a non-negative integer number of seconds",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
    Ok(value as u64)
}

pub(crate) fn parse_role(role: &str) -> Result<confide::Role, JsValue> {
    match role {
        "admin" => Ok(confide::Role::Admin),
        "member" => Ok(confide::Role::Member),
        _ => Err(js_error(
            "invalid_argument",
            "role: expected \"admin\" or \"member\"",
        )),
    }
}

pub(crate) fn role_name(role: confide::Role) -> &'static str {
    match role {
        confide::Role::Admin => "admin",
        confide::Role::Member => "member",
    }
}

pub(crate) fn member_id_from(bytes: &[u8]) -> Result<[u8; 32], JsValue> {
    bytes
        .try_into()
        .map_err(|_| js_error("invalid_argument", "member id: expected length 32"))
}

/// A plain JS object from `(key, value)` pairs.
pub(crate) fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        js_sys::Reflect::set(&object, &JsValue::from_str(key), value)?;
    }
    Ok(object.into())
}

pub(crate) fn rotation_to_js(rotation: &confide::Rotation) -> Result<JsValue, JsValue> {
    let grants = rotation
        .grants
        .iter()
        .map(|g| {
            object(&[
                ("memberId", Uint8Array::from(&g.member_id[..]).into()),
                ("grant", Uint8Array::from(&g.grant[..]).into()),
            ])
        })
        .collect::<Result<js_sys::Array, JsValue>>()?;
    object(&[
        ("logEntry", Uint8Array::from(&rotation.log_entry[..]).into()),
        ("epoch", rotation.epoch.into()),
        ("grants", grants.into()),
        (
            "historyLink",
            Uint8Array::from(&rotation.history_link[..]).into(),
        ),
    ])
}

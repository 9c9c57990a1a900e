//! What crosses the wire: base64url byte fields, the JSON extractor with our errors, and
//! the parsing of ids in paths.

use axum::extract::{FromRequest, FromRequestParts};
use base64ct::{Base64UrlUnpadded, Encoding};
use confide::{CaseId, Fingerprint, WorkspaceId};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::ApiError;

/// `axum::Json` whose rejections are [`ApiError`]s (400, 413 or 415 with a JSON body).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

/// `axum::extract::Query` whose rejection is a JSON 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` whose rejection is a JSON 404.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The client's address (from [`crate::serve::serve`]), for per-address rate limits.
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(crate::serve::client_ip(&parts.extensions)))
    }
}

/// The current time in Unix seconds (the unit of log entries).
pub fn now_s() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

/// Bytes carried in JSON as unpadded base64url (RFC 4648 §5).
#[derive(Clone, PartialEq, Eq)]
pub struct B64(pub Vec<u8>);

impl Serialize for B64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for B64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        decode(&text)
            .map(B64)
            .ok_or_else(|| D::Error::custom("expected unpadded base64url"))
    }
}

/// Unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes unpadded base64url, or `None`.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).ok()
}

/// A member id (the 32-byte fingerprint id) from base64url; anything else is "not found".
pub fn member_id(text: &str) -> Result<[u8; Fingerprint::ID_LEN], ApiError> {
    decode(text)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(ApiError::not_found)
}

/// A workspace id from base64url; anything else is "not found".
pub fn workspace_id(text: &str) -> Result<WorkspaceId, ApiError> {
    decode(text)
        .and_then(|v| WorkspaceId::from_slice(&v).ok())
        .ok_or_else(ApiError::not_found)
}

/// A case id (16 bytes) from base64url; anything else is "not found".
pub fn case_id(text: &str) -> Result<CaseId, ApiError> {
    decode(text)
        .and_then(|v| v.try_into().ok())
        .map(CaseId::from_bytes)
        .ok_or_else(ApiError::not_found)
}

/// A 32-byte invite id from base64url; anything else is "not found".
pub fn invite_id(text: &str) -> Result<[u8; 32], ApiError> {
    decode(text)
        .and_then(|v| v.try_into().ok())
        .ok_or_else(ApiError::not_found)
}

/// Longest record id, field name or blob id.
pub const MAX_NAME_LEN: usize = 128;

/// Checks a record id, field name or blob id: 1 to 128 characters from
/// `A-Z a-z 0-9 . _ ~ -`, not starting with a dot. The application picks these names,
/// so they are opaque to the server (and never logged).
pub fn name(text: &str) -> Result<&str, ApiError> {
    let ok = !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && !text.starts_with('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'));
    if ok {
        Ok(text)
    } else {
        Err(ApiError::bad_request(
            "invalid_name",
            "ids and field names are 1 to 128 characters of A-Z a-z 0-9 . _ ~ - (no leading dot)",
        ))
    }
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(i64::MAX)
}

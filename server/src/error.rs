//! The one error type every route returns, rendered as
//! `{ "error": { "code": "...", "message": "..." } }`.
//!
//! Messages describe what was wrong with a request, never what it contained: no error
//! carries a body, a token or a record's name into a response or a log line.

use std::borrow::Cow;

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An HTTP error with a stable, machine-readable code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Cow<'static, str>,
    retry_after: Option<u64>,
}

/// Marks a response whose request found the disk full, for [`crate::disk`] to act on.
#[derive(Clone, Copy, Debug)]
pub struct DiskFull;

impl ApiError {
    /// An error with any status.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no valid session. Every cause gets the same answer.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid session token is required",
        )
    }

    /// 403: the caller may see this resource but not do this to it.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: absent, or present but not the caller's to see; the two are indistinguishable.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    /// 409: the request lost a race or repeats something done already.
    pub fn conflict(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 413: the body is over this route's limit.
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is over this route's size limit (see the server's README)",
        )
    }

    /// 422: well-formed, but Confide refuses it (a log entry that does not verify, ...).
    pub fn unprocessable(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 410: the thing named existed but is over (an expired invite).
    pub fn gone(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::GONE, code, message)
    }

    /// 429: over a rate limit; `Retry-After` says when to try again.
    pub fn rate_limited(limit: &'static str, retry_after: std::time::Duration) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many {limit} requests: try again later"),
        );
        e.retry_after = Some(retry_after.as_secs().max(1));
        e
    }

    /// 507 `quota_exceeded`: the workspace or member is at one of its caps.
    pub fn quota(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded", message)
    }

    /// 507 `storage_full`: the server's disk (or database) is full. Reads and logins go on.
    pub fn storage_full() -> Self {
        tracing::error!("storage full: refusing a write");
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "the server's storage is full: nothing was stored; reads still work",
        )
    }

    /// 503: a dependency is busy or unreachable (a locked database, an object store down).
    pub fn unavailable(detail: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "service unavailable");
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is busy: try again shortly",
        );
        e.retry_after = Some(1);
        e
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 500: logged with `detail` (which must hold no request data); the client learns nothing.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.code == "storage_full" {
            response.extensions_mut().insert(DiskFull);
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // sqlx's messages name the statement or constraint, never a bound value.
        match &e {
            sqlx::Error::Database(db) => match db.code().as_deref() {
                // SQLITE_FULL; PostgreSQL disk_full, out_of_memory (of disk, for temp files).
                Some("13" | "53100") => Self::storage_full(),
                // SQLITE_BUSY and SQLITE_LOCKED (with extended codes) after the busy
                // timeout; PostgreSQL lock_not_available, too_many_connections.
                Some("5" | "6" | "261" | "517" | "262" | "55P03" | "53300") => {
                    Self::unavailable(&e)
                }
                _ => Self::internal(&e),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::unavailable(&e)
            }
            _ => Self::internal(&e),
        }
    }
}

/// Whether an I/O error means "no space left" (ENOSPC, EDQUOT).
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        if is_disk_full(&e) {
            Self::storage_full()
        } else {
            Self::internal(&e)
        }
    }
}

/// Maps an extractor's rejection to ours.
fn rejection(status: StatusCode, text: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        ),
        _ => ApiError::bad_request("invalid_request", text),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // The text is serde's description of the first problem, sent back to its sender.
        rejection(r.status(), r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        rejection(r.status(), r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}

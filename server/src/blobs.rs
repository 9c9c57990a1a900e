//! Encrypted blobs (recordings): streamed to a temporary file and renamed into place when
//! complete, streamed back with HTTP Range support (RFC 9110 §14) so a player can seek.

use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use rusqlite::OptionalExtension;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::store::require_member;
use crate::wire::{self, Path, encode, now_ms};

/// Removes a temporary upload when dropped, unless it was renamed into place.
struct TempFile(Option<std::path::PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn random_name() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    Ok(encode(&bytes))
}

/// `PUT /api/workspaces/{id}/blobs/{blobId}`: streams the body to disk, up to the
/// configured cap, then replaces any previous blob of that id.
///
/// # Errors
/// 404 for a non-member, 413 over the cap (checked on `Content-Length` first, then on the
/// bytes as they arrive), 400 for a bad id or an interrupted body.
pub async fn put_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let blob = wire::name(&blob)?.to_owned();
    let cap = state.config.limits.blob_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let member = session.member_id;
    state.store.run_as_member(ws, member, |_| Ok(())).await?;
    if declared.is_some_and(|n| n > cap) {
        return Err(ApiError::too_large());
    }

    let dir = state.store.blob_dir().to_path_buf();
    let name = random_name()?;
    let tmp_path = dir.join("tmp").join(format!("{name}.part"));
    let mut guard = TempFile(Some(tmp_path.clone()));
    let mut file = tokio::fs::File::create(&tmp_path).await?;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    loop {
        let chunk = match stream.try_next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            // A body over the server-wide limit, or a connection that went away.
            Err(_) => {
                return Err(ApiError::bad_request(
                    "body_interrupted",
                    "the upload did not complete",
                ));
            }
        };
        size = size.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if size > cap {
            return Err(ApiError::too_large());
        }
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    drop(file);
    let final_path = dir.join(&name);
    tokio::fs::rename(&tmp_path, &final_path).await?;
    guard.0 = Some(final_path);

    let size_db = i64::try_from(size).map_err(|e| ApiError::internal(&e))?;
    let old = state
        .store
        .run(move |conn| {
            let tx = conn.transaction()?;
            // Membership again: a member removed during the upload does not get to commit it.
            require_member(&tx, ws.as_bytes(), &member)?;
            let old: Option<String> = tx
                .query_row(
                    "SELECT file FROM blobs WHERE workspace_id = ?1 AND blob_id = ?2",
                    (&ws.as_bytes()[..], &blob),
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "INSERT OR REPLACE INTO blobs (workspace_id, blob_id, file, size, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (&ws.as_bytes()[..], &blob, &name, size_db, now_ms()),
            )?;
            tx.commit()?;
            Ok(old)
        })
        .await?;
    guard.0 = None;
    if let Some(old) = &old {
        let _ = tokio::fs::remove_file(dir.join(old)).await;
    }
    Ok(if old.is_some() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    })
}

/// What a `Range` header asks for, against a blob of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable single range: send the whole blob (200).
    Full,
    /// Bytes `start..=end` (206).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// A syntactically valid range that selects nothing (416).
    Unsatisfiable,
}

/// Interprets a `Range` header value (RFC 9110 §14.1.2) for a blob of `len` bytes. Only one
/// `bytes` range is served; several ranges, other units or bad syntax get the whole blob,
/// which RFC 9110 §14.2 allows.
pub fn parse_range(value: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeRequest::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match number(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(n) if len > 0 => RangeRequest::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Full,
        },
        // bytes=A-: from A to the end.
        (false, true) => match number(first) {
            Some(a) if a < len => RangeRequest::Partial {
                start: a,
                end: len - 1,
            },
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Full,
        },
        // bytes=A-B.
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => RangeRequest::Full,
            (Some(a), Some(b)) if a < len => RangeRequest::Partial {
                start: a,
                end: b.min(len - 1),
            },
            (Some(_), Some(_)) => RangeRequest::Unsatisfiable,
            _ => RangeRequest::Full,
        },
        (true, true) => RangeRequest::Full,
    }
}

/// `GET` (and `HEAD`) `/api/workspaces/{id}/blobs/{blobId}`: the blob, or the one range
/// asked for (206 with `Content-Range`; 416 with `Content-Range: bytes */len` if it selects
/// nothing). Streamed from disk.
///
/// # Errors
/// 404 for a non-member or a missing blob.
pub async fn get_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let blob = wire::name(&blob)?.to_owned();
    let file_name: Option<String> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            Ok(conn
                .query_row(
                    "SELECT file FROM blobs WHERE workspace_id = ?1 AND blob_id = ?2",
                    (&ws.as_bytes()[..], &blob),
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await?;
    let file_name = file_name.ok_or_else(ApiError::not_found)?;
    // Replaced since the lookup: the old file is gone, and so is that blob.
    let mut file = tokio::fs::File::open(state.store.blob_dir().join(file_name))
        .await
        .map_err(|_| ApiError::not_found())?;
    let len = file.metadata().await?.len();
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        len,
    );
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::ACCEPT_RANGES, "bytes");
    let (start, count) = match range {
        RangeRequest::Full => {
            builder = builder.status(StatusCode::OK);
            (0, len)
        }
        RangeRequest::Partial { start, end } => {
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
            (start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "the range selects no byte of this blob",
            )
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(response);
        }
    };
    file.seek(SeekFrom::Start(start)).await?;
    let stream = ReaderStream::new(file.take(count));
    builder
        .header(header::CONTENT_LENGTH, count)
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::internal(&e))
}

/// `DELETE /api/workspaces/{id}/blobs/{blobId}`. The row and the file go together: the
/// row's removal is committed only once the file is gone, so a 204 always means the bytes
/// are deleted, and a failure (500) leaves the blob as it was.
///
/// # Errors
/// 404 for a non-member or a missing blob; 500 if the file cannot be removed.
pub async fn delete_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let blob = wire::name(&blob)?.to_owned();
    let dir = state.store.blob_dir().to_path_buf();
    state
        .store
        .run(move |conn| {
            let tx = conn.transaction()?;
            require_member(&tx, ws.as_bytes(), &session.member_id)?;
            let file: Option<String> = tx
                .query_row(
                    "DELETE FROM blobs WHERE workspace_id = ?1 AND blob_id = ?2 RETURNING file",
                    (&ws.as_bytes()[..], &blob),
                    |r| r.get(0),
                )
                .optional()?;
            let file = file.ok_or_else(ApiError::not_found)?;
            match std::fs::remove_file(dir.join(file)) {
                Ok(()) => {}
                // Gone already (a reconcile, a replaced blob): deleted all the same.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(ApiError::from(e)),
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{id}/blobs`: every blob's id, size and update time.
///
/// # Errors
/// 404 for a non-member.
pub async fn list_blobs(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let rows: Vec<(String, i64, i64)> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT blob_id, size, updated_at FROM blobs WHERE workspace_id = ?1 \
                 ORDER BY blob_id",
            )?;
            let rows = stmt.query_map([&ws.as_bytes()[..]], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(id, size, updated)| {
            serde_json::json!({ "blobId": id, "size": size, "updatedAt": updated })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "blobs": list })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use RangeRequest::*;
        let p = |v: &str| parse_range(Some(v), 100);
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(p("bytes=0-9"), Partial { start: 0, end: 9 });
        assert_eq!(p("bytes=10-19"), Partial { start: 10, end: 19 });
        assert_eq!(p("bytes=90-200"), Partial { start: 90, end: 99 });
        assert_eq!(p("bytes=95-"), Partial { start: 95, end: 99 });
        assert_eq!(p("bytes=-10"), Partial { start: 90, end: 99 });
        assert_eq!(p("bytes=-1000"), Partial { start: 0, end: 99 });
        assert_eq!(p("bytes=100-"), Unsatisfiable);
        assert_eq!(p("bytes=100-200"), Unsatisfiable);
        assert_eq!(p("bytes=-0"), Unsatisfiable);
        assert_eq!(p("bytes=5-1"), Full);
        assert_eq!(p("bytes=0-1,5-6"), Full);
        assert_eq!(p("items=0-1"), Full);
        assert_eq!(p("bytes=x-1"), Full);
        assert_eq!(p("bytes=+1-2"), Full);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-5"), 0), Unsatisfiable);
    }
}

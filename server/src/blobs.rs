//! Encrypted blobs (recordings): streamed into the blob store, streamed back with HTTP Range
//! support (RFC 9110 §14) so a player can seek.
//!
//! The database says which object holds which blob. Around every object it writes a row in
//! `blob_objects` first (server/README.md#durability), so a crash at any point leaves a
//! row that says what to finish, and [`reconcile`] finishes it at the next start:
//!
//! - upload: `blob_objects(new, uploading)` → the object → one transaction that names it
//!   in `blobs` and drops the row (and marks a replaced blob's old object for removal) →
//!   the old object is removed;
//! - delete: `blob_objects(object, removing)` → the object is removed → one transaction
//!   that drops the blob and the row. If the object cannot be removed the blob stays, whole
//!   and listed, and the answer is 500: a 204 always means the bytes are gone.
//!
//! A blob belongs to the member who uploaded it: only that member or an admin (in a case:
//! any full member) may replace or delete it. A workspace's own blobs and its cases' live
//! in their own tables ([`Scope`]). Each workspace has caps on its blobs' count and bytes,
//! cases included.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;

use crate::AppState;
use crate::auth::Session;
use crate::blobstore::{BlobError, BlobStore};
use crate::db::{Db, signed, unsigned};
use crate::error::ApiError;
use crate::records::not_yours;
use crate::scope::{Scope, read_only};
use crate::wire::{self, Path, encode, now_ms};

/// `blob_objects.state`: an upload not yet committed.
const UPLOADING: i64 = 1;
/// `blob_objects.state`: an object no blob should name any more, to be removed.
const REMOVING: i64 = 2;

fn random_name() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    Ok(encode(&bytes))
}

async fn mark(db: &Db, object: &str, state: i64) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO blob_objects (object, state, since) VALUES ($1, $2, $3) \
         ON CONFLICT (object) DO NOTHING",
    )
    .bind(object)
    .bind(state)
    .bind(now_ms())
    .execute(db.write())
    .await?;
    Ok(())
}

async fn unmark(db: &Db, object: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM blob_objects WHERE object = $1")
        .bind(object)
        .execute(db.write())
        .await?;
    Ok(())
}

/// Removes an object no blob names any more, then its row. A failure leaves the row, for
/// the next [`reconcile`].
pub(crate) async fn remove_object(db: &Db, blobs: &BlobStore, object: &str) {
    match blobs.delete(object).await {
        Ok(()) => {
            if let Err(e) = unmark(db, object).await {
                tracing::warn!(code = e.code(), "an object's removal is not recorded");
            }
        }
        Err(e) => tracing::warn!(error = %e, "an old blob object could not be removed yet"),
    }
}

/// `PUT /api/workspaces/{ws}/blobs/{blobId}`: streams the body into the blob store, up to
/// the configured cap, then replaces any previous blob of that id.
///
/// # Errors
/// 404 for a non-member, 403 to replace another member's blob (unless admin), 400 for an
/// empty body or an interrupted one, 413 over the cap (checked on `Content-Length` first,
/// then on the bytes as they arrive), 507 at the workspace's caps or on a full disk.
pub async fn put_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    put(&state, &session, scope, &blob, &headers, body).await
}

/// `PUT /api/workspaces/{ws}/cases/{case}/blobs/{blobId}`: as [`put_blob`], for full
/// members of the case.
///
/// # Errors
/// As [`put_blob`]; 403 for a summary member; 410 for a deleted case.
pub async fn put_case_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, blob)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    put(&state, &session, scope, &blob, &headers, body).await
}

async fn put(
    state: &AppState,
    session: &Session,
    scope: Scope,
    blob: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let blob = wire::name(blob)?.to_owned();
    let limits = &state.config.limits;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let member = session.member_id;
    let access = scope.access(state, &member).await?;
    if !access.write {
        return Err(read_only());
    }
    if declared.is_some_and(|n| n > limits.blob_bytes) {
        return Err(ApiError::too_large());
    }
    if declared == Some(0) {
        return Err(empty_blob());
    }
    state.disk.check_writable()?;
    // Cheap refusals before any byte is stored: someone else's blob, a full workspace.
    let (old, count, bytes) = blob_state(state, &scope, &blob).await?;
    if let Some((_, author, _)) = &old
        && !access.may_change(&member, author)
    {
        return Err(not_yours());
    }
    let room = limits.blob_bytes_per_workspace.saturating_sub(bytes);
    if (old.is_none() && count >= limits.blobs_per_workspace) || room == 0 {
        return Err(ApiError::quota(
            "this workspace is at its cap of blobs or blob bytes",
        ));
    }

    let name = random_name()?;
    mark(&state.db, &name, UPLOADING).await?;
    let cap = limits
        .blob_bytes
        .min(room.saturating_add(old.as_ref().map_or(0, |o| o.2)));
    let stored = state.blobs.put(&name, body.into_data_stream(), cap).await;
    let size = match stored {
        Ok(0) => Err(empty_blob()),
        Ok(size) => Ok(size),
        Err(BlobError::TooLarge) if cap < limits.blob_bytes => Err(ApiError::quota(
            "this workspace is at its cap of blob bytes",
        )),
        Err(e) => Err(ApiError::from(e)),
    };
    let committed = match size {
        Ok(size) => commit_upload(state, &scope, &blob, &name, size, &member).await,
        Err(e) => Err(e),
    };
    match committed {
        Ok(old_object) => {
            if let Some(old) = &old_object {
                remove_object(&state.db, &state.blobs, old).await;
            }
            Ok(if old_object.is_some() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::CREATED
            })
        }
        Err(e) => {
            // Nothing names the new object: remove it (a crash here leaves its row).
            if state.blobs.delete(&name).await.is_ok() {
                let _ = unmark(&state.db, &name).await;
            }
            Err(e)
        }
    }
}

fn empty_blob() -> ApiError {
    ApiError::bad_request(
        "empty_body",
        "a blob is never empty (an encrypted record has a header)",
    )
}

/// The blob's object, author and size if it exists, and the workspace's blob count and bytes.
async fn blob_state(
    state: &AppState,
    scope: &Scope,
    blob: &str,
) -> Result<(Option<(String, Vec<u8>, u64)>, u64, u64), ApiError> {
    let old: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
        scope.sql("SELECT object, author_id, size FROM {blobs} WHERE {key} = $1 AND blob_id = $2"),
    )
    .bind(scope.key())
    .bind(blob)
    .fetch_optional(state.db.read())
    .await?;
    let (count, bytes): (i64, i64) =
        sqlx::query_as("SELECT blob_count, blob_bytes FROM workspaces WHERE id = $1")
            .bind(&scope.workspace().as_bytes()[..])
            .fetch_optional(state.db.read())
            .await?
            .ok_or_else(ApiError::not_found)?;
    Ok((
        old.map(|(o, a, s)| (o, a, unsigned(s))),
        unsigned(count),
        unsigned(bytes),
    ))
}

/// Names the uploaded object in the scope's blobs, in one transaction that checks
/// everything again (access, authorship, caps) and marks a replaced object for removal.
/// Returns that old object.
async fn commit_upload(
    state: &AppState,
    scope: &Scope,
    blob: &str,
    name: &str,
    size: u64,
    member: &[u8; 32],
) -> Result<Option<String>, ApiError> {
    let limits = &state.config.limits;
    let ws_bytes = &scope.workspace().as_bytes()[..];
    let mut tx = state.db.begin().await?;
    // A member removed (a case deleted) during the upload does not get to commit it.
    let access = scope.access_in(&mut tx, state.db.backend(), member).await?;
    if !access.write {
        return Err(read_only());
    }
    // The upload's row must still be there: a reconcile of another instance may have
    // given up on an upload this old, and removed the object.
    let ours = sqlx::query("DELETE FROM blob_objects WHERE object = $1 AND state = $2")
        .bind(name)
        .bind(UPLOADING)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if ours != 1 {
        return Err(ApiError::unavailable(
            &"an upload outlived the orphan grace period",
        ));
    }
    let old: Option<(String, Vec<u8>, i64)> = sqlx::query_as(
        scope.sql("SELECT object, author_id, size FROM {blobs} WHERE {key} = $1 AND blob_id = $2"),
    )
    .bind(scope.key())
    .bind(blob)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((_, author, _)) = &old
        && !access.may_change(member, author)
    {
        return Err(not_yours());
    }
    let (count, bytes): (i64, i64) =
        sqlx::query_as("SELECT blob_count, blob_bytes FROM workspaces WHERE id = $1")
            .bind(ws_bytes)
            .fetch_one(&mut *tx)
            .await?;
    let new_count = count + i64::from(old.is_none());
    let new_bytes = bytes - old.as_ref().map_or(0, |o| o.2) + signed(size);
    if unsigned(new_count) > limits.blobs_per_workspace
        || unsigned(new_bytes) > limits.blob_bytes_per_workspace
    {
        return Err(ApiError::quota(
            "this workspace is at its cap of blobs or blob bytes",
        ));
    }
    sqlx::query(scope.sql(
        "INSERT INTO {blobs} ({key}, blob_id, object, size, author_id, updated_at)          VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ({key}, blob_id) DO UPDATE SET          object = excluded.object, size = excluded.size, updated_at = excluded.updated_at",
    ))
    .bind(scope.key())
    .bind(blob)
    .bind(name)
    .bind(signed(size))
    .bind(&member[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE workspaces SET blob_count = $2, blob_bytes = $3 WHERE id = $1")
        .bind(ws_bytes)
        .bind(new_count)
        .bind(new_bytes)
        .execute(&mut *tx)
        .await?;
    if let Some((old_object, _, _)) = &old {
        sqlx::query("INSERT INTO blob_objects (object, state, since) VALUES ($1, $2, $3)")
            .bind(old_object)
            .bind(REMOVING)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(old.map(|(o, _, _)| o))
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

/// `GET` (and `HEAD`) `/api/workspaces/{ws}/blobs/{blobId}`: the blob, or the one range
/// asked for (206 with `Content-Range`; 416 with `Content-Range: bytes */len` if it selects
/// nothing). Streamed from the blob store; only the range is read.
///
/// # Errors
/// 404 for a non-member or a missing blob.
pub async fn get_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    get(&state, &session, scope, &blob, &method, &headers).await
}

/// `GET` (and `HEAD`) `/api/workspaces/{ws}/cases/{case}/blobs/{blobId}`, for the case's
/// members.
///
/// # Errors
/// As [`get_blob`]; 410 for a deleted case.
pub async fn get_case_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, blob)): Path<(String, String, String)>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    get(&state, &session, scope, &blob, &method, &headers).await
}

async fn get(
    state: &AppState,
    session: &Session,
    scope: Scope,
    blob: &str,
    method: &axum::http::Method,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let blob = wire::name(blob)?.to_owned();
    scope.access(state, &session.member_id).await?;
    let found: Option<(String, i64)> = sqlx::query_as(
        scope.sql("SELECT object, size FROM {blobs} WHERE {key} = $1 AND blob_id = $2"),
    )
    .bind(scope.key())
    .bind(&blob)
    .fetch_optional(state.db.read())
    .await?;
    let (object, len) = found.ok_or_else(ApiError::not_found)?;
    let len = unsigned(len);
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
    let builder = builder.header(header::CONTENT_LENGTH, count);
    if method == axum::http::Method::HEAD {
        return builder
            .body(Body::empty())
            .map_err(|e| ApiError::internal(&e));
    }
    // Replaced or deleted since the lookup: that blob is gone.
    let stream = state.blobs.get(&object, start, count).await?;
    builder
        .body(Body::from_stream(stream.map_err(std::io::Error::other)))
        .map_err(|e| ApiError::internal(&e))
}

/// `DELETE /api/workspaces/{ws}/blobs/{blobId}`, by its uploader or an admin. The object
/// goes first and the blob's row only once it is gone, so a 204 always means the bytes are
/// deleted, and a failure (500) leaves the blob as it was.
///
/// # Errors
/// 404 for a non-member or a missing blob; 403 for another member's blob; 500 if the object
/// cannot be removed.
pub async fn delete_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, blob)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    delete(&state, &session, scope, &blob).await
}

/// `DELETE /api/workspaces/{ws}/cases/{case}/blobs/{blobId}`, by a full member.
///
/// # Errors
/// As [`delete_blob`]; 403 for a summary member; 410 for a deleted case.
pub async fn delete_case_blob(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, blob)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    delete(&state, &session, scope, &blob).await
}

async fn delete(
    state: &AppState,
    session: &Session,
    scope: Scope,
    blob: &str,
) -> Result<StatusCode, ApiError> {
    let blob = wire::name(blob)?.to_owned();
    let access = scope.access(state, &session.member_id).await?;
    if !access.write {
        return Err(read_only());
    }
    let found: Option<(String, Vec<u8>)> = sqlx::query_as(
        scope.sql("SELECT object, author_id FROM {blobs} WHERE {key} = $1 AND blob_id = $2"),
    )
    .bind(scope.key())
    .bind(&blob)
    .fetch_optional(state.db.read())
    .await?;
    let (object, author) = found.ok_or_else(ApiError::not_found)?;
    if !access.may_change(&session.member_id, &author) {
        return Err(not_yours());
    }
    mark(&state.db, &object, REMOVING).await?;
    if let Err(e) = state.blobs.delete(&object).await {
        let _ = unmark(&state.db, &object).await;
        return Err(ApiError::internal(&e));
    }
    let mut tx = state.db.begin().await?;
    forget_blob(&mut tx, &scope, &blob, &object).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Drops a blob whose object is gone: its row (if it still names `object`), its share of
/// the workspace's counters, and the object's journal row.
async fn forget_blob(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    scope: &Scope,
    blob: &str,
    object: &str,
) -> Result<(), ApiError> {
    let size: Option<i64> = sqlx::query_scalar(scope.sql(
        "DELETE FROM {blobs} WHERE {key} = $1 AND blob_id = $2 AND object = $3 RETURNING size",
    ))
    .bind(scope.key())
    .bind(blob)
    .bind(object)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(size) = size {
        sqlx::query(
            "UPDATE workspaces SET blob_count = blob_count - 1, blob_bytes = blob_bytes - $2              WHERE id = $1",
        )
        .bind(&scope.workspace().as_bytes()[..])
        .bind(size)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM blob_objects WHERE object = $1")
        .bind(object)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Drops every blob of `scope` inside `tx` (a case's deletion): their rows and their share
/// of the workspace's counters go, and their objects are marked for removal in the same
/// transaction. Returns the objects, for the caller to remove once it commits
/// ([`remove_object`]); a crash before that leaves the marks, which the next start finishes.
///
/// # Errors
/// Database errors.
pub(crate) async fn drop_all(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    scope: &Scope,
) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as(scope.sql("SELECT object, size FROM {blobs} WHERE {key} = $1"))
            .bind(scope.key())
            .fetch_all(&mut **tx)
            .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let bytes: i64 = rows.iter().map(|(_, size)| *size).sum();
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    for (object, _) in &rows {
        sqlx::query(
            "INSERT INTO blob_objects (object, state, since) VALUES ($1, $2, $3) \
             ON CONFLICT (object) DO UPDATE SET state = excluded.state",
        )
        .bind(object)
        .bind(REMOVING)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(scope.sql("DELETE FROM {blobs} WHERE {key} = $1"))
        .bind(scope.key())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE workspaces SET blob_count = blob_count - $2, blob_bytes = blob_bytes - $3 \
         WHERE id = $1",
    )
    .bind(&scope.workspace().as_bytes()[..])
    .bind(count)
    .bind(bytes)
    .execute(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|(object, _)| object).collect())
}

/// `GET /api/workspaces/{ws}/blobs`: every blob's id, size and update time.
///
/// # Errors
/// 404 for a non-member.
pub async fn list_blobs(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    list(&state, &session, scope).await
}

/// `GET /api/workspaces/{ws}/cases/{case}/blobs`, for the case's members.
///
/// # Errors
/// As [`list_blobs`]; 410 for a deleted case.
pub async fn list_case_blobs(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    list(&state, &session, scope).await
}

async fn list(
    state: &AppState,
    session: &Session,
    scope: Scope,
) -> Result<impl IntoResponse + use<>, ApiError> {
    scope.access(state, &session.member_id).await?;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        scope
            .sql("SELECT blob_id, size, updated_at FROM {blobs} WHERE {key} = $1 ORDER BY blob_id"),
    )
    .bind(scope.key())
    .fetch_all(state.db.read())
    .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(id, size, updated)| {
            serde_json::json!({ "blobId": id, "size": size, "updatedAt": updated })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "blobs": list })))
}

/// Finishes what a crash interrupted, before the first request (server/README.md#durability):
/// uploads that never committed lose their object; objects of replaced or deleted blobs are
/// removed; a delete that removed its object but not its row drops the row, so the listing
/// never shows a blob whose bytes are gone. With a local folder, files that no row names
/// at all (left by an earlier version) are removed too. Rows younger than `grace` are left
/// alone: another instance may be working on them.
pub async fn reconcile(db: &Db, blobs: &BlobStore, grace: std::time::Duration) {
    if let Err(e) = reconcile_rows(db, blobs, grace).await {
        tracing::warn!(code = e.code(), "blob reconcile stopped early");
    }
    if let Some(dir) = blobs.local_dir()
        && let Err(e) = reconcile_local_files(db, dir).await
    {
        tracing::warn!(code = e.code(), "blob file reconcile stopped early");
    }
}

/// The blob that names `object`: its scope and id.
async fn named_by(db: &Db, object: &str) -> Result<Option<(Scope, String)>, ApiError> {
    let corrupt = |_| ApiError::internal(&"a stored id of the wrong length");
    let own: Option<(Vec<u8>, String)> =
        sqlx::query_as("SELECT workspace_id, blob_id FROM blobs WHERE object = $1")
            .bind(object)
            .fetch_optional(db.read())
            .await?;
    if let Some((ws, blob)) = own {
        let ws = confide::WorkspaceId::from_slice(&ws).map_err(corrupt)?;
        return Ok(Some((Scope::Workspace(ws), blob)));
    }
    let case: Option<(Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
        "SELECT c.workspace_id, b.case_id, b.blob_id FROM case_blobs b \
         JOIN cases c ON c.id = b.case_id WHERE b.object = $1",
    )
    .bind(object)
    .fetch_optional(db.read())
    .await?;
    let Some((ws, case, blob)) = case else {
        return Ok(None);
    };
    let ws = confide::WorkspaceId::from_slice(&ws).map_err(corrupt)?;
    let case = <[u8; 16]>::try_from(case.as_slice())
        .map(confide::CaseId::from_bytes)
        .map_err(|_| ApiError::internal(&"a stored id of the wrong length"))?;
    Ok(Some((Scope::Case(ws, case), blob)))
}

async fn reconcile_rows(
    db: &Db,
    blobs: &BlobStore,
    grace: std::time::Duration,
) -> Result<(), ApiError> {
    let cutoff = now_ms().saturating_sub(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT object, state FROM blob_objects WHERE since <= $1")
            .bind(cutoff)
            .fetch_all(db.read())
            .await?;
    let mut finished = 0u64;
    for (object, state) in rows {
        match (state, named_by(db, &object).await?) {
            // A delete cut short: finished if the object is gone, undone if it is not.
            (REMOVING, Some((scope, blob))) => {
                if blobs.exists(&object).await? {
                    unmark(db, &object).await?;
                } else {
                    let mut tx = db.begin().await?;
                    forget_blob(&mut tx, &scope, &blob, &object).await?;
                    tx.commit().await?;
                }
            }
            // Never committed, or no longer named: the object goes, then its row. An upload
            // row is taken first, so a slow upload still running cannot commit afterwards.
            (_, None) => {
                let taken =
                    sqlx::query("DELETE FROM blob_objects WHERE object = $1 AND since <= $2")
                        .bind(&object)
                        .bind(cutoff)
                        .execute(db.write())
                        .await?
                        .rows_affected();
                if taken == 1
                    && let Err(e) = blobs.delete(&object).await
                {
                    // Put the row back so that a later start tries again.
                    tracing::warn!(error = %e, "an orphaned blob object could not be removed");
                    mark(db, &object, REMOVING).await?;
                }
            }
            // An upload row whose object is named: impossible by construction; keep both.
            (_, Some(_)) => unmark(db, &object).await?,
        }
        finished += 1;
    }
    if finished > 0 {
        tracing::info!(
            objects = finished,
            "finished blob writes a stop interrupted"
        );
    }
    Ok(())
}

/// Files in a local blob folder that neither `blobs` nor `blob_objects` names, and partial
/// uploads in `tmp/`: left by a crash of an earlier version. Only run by the single instance
/// that owns the data directory.
async fn reconcile_local_files(db: &Db, dir: &std::path::Path) -> Result<(), ApiError> {
    let mut named = std::collections::HashSet::new();
    for query in ["SELECT object FROM blobs", "SELECT object FROM case_blobs"] {
        let objects: Vec<String> = sqlx::query_scalar(query).fetch_all(db.read()).await?;
        named.extend(objects);
    }
    let pending: Vec<String> = sqlx::query_scalar("SELECT object FROM blob_objects")
        .fetch_all(db.read())
        .await?;
    named.extend(pending);
    let files = |dir: &std::path::Path| -> Vec<std::fs::DirEntry> {
        std::fs::read_dir(dir).map_or_else(
            |_| Vec::new(),
            |entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .collect()
            },
        )
    };
    let partial = files(&dir.join("tmp"));
    let finished = files(dir)
        .into_iter()
        .filter(|e| !e.file_name().to_str().is_some_and(|n| named.contains(n)));
    let mut removed = 0_u64;
    for entry in partial.into_iter().chain(finished) {
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(error = %e, "cannot remove an unreferenced blob file"),
        }
    }
    if removed > 0 {
        tracing::info!(files = removed, "removed blob files no blob refers to");
    }
    Ok(())
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

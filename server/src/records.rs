//! Encrypted records: one ciphertext per (record id, field), stored in the database as is.
//! The server never parses them; their ids are the application's and are never logged.
//!
//! A record belongs to the member who wrote it: only that member or an admin may replace
//! or delete it (a replacement destroys the old ciphertext as surely as a delete does).
//! Each workspace has caps on its records' count and bytes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::Session;
use crate::db::{signed, unsigned};
use crate::error::ApiError;
use crate::wire::{self, Path, now_ms};
use crate::workspaces::require_member;

/// Whether a member may change something `author` wrote.
pub fn may_change(member: &[u8; 32], admin: bool, author: &[u8]) -> bool {
    admin || author == member.as_slice()
}

pub(crate) fn not_yours() -> ApiError {
    ApiError::forbidden("only its author or an admin may replace or delete this")
}

/// `PUT /api/workspaces/{id}/records/{recordId}/{field}`: stores (or replaces) the body.
///
/// # Errors
/// 404 for a non-member, 403 to replace another member's record (unless admin), 400 for a
/// bad name or an empty body, 413 over the record limit, 507 at the workspace's caps.
pub async fn put_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    wire::name(&record)?;
    wire::name(&field)?;
    let body = body?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "a record is never empty",
        ));
    }
    let admin = require_member(&state, &ws, &session.member_id).await?;
    state.disk.check_writable()?;
    let limits = &state.config.limits;
    let size = signed(u64::try_from(body.len()).unwrap_or(u64::MAX));
    let ws_bytes = &ws.as_bytes()[..];
    let mut tx = state.db.begin().await?;
    // Membership again, inside the transaction: a member removed meanwhile does not write.
    let admin_now: Option<i64> =
        sqlx::query_scalar("SELECT admin FROM roster WHERE workspace_id = $1 AND member_id = $2")
            .bind(ws_bytes)
            .bind(&session.member_id[..])
            .fetch_optional(&mut *tx)
            .await?;
    let admin = admin && admin_now.ok_or_else(ApiError::not_found)? != 0;
    let old: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT author_id, size FROM records WHERE workspace_id = $1 AND record_id = $2 \
         AND field = $3",
    )
    .bind(ws_bytes)
    .bind(&record)
    .bind(&field)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((author, _)) = &old
        && !may_change(&session.member_id, admin, author)
    {
        return Err(not_yours());
    }
    let (count, bytes): (i64, i64) =
        sqlx::query_as("SELECT record_count, record_bytes FROM workspaces WHERE id = $1")
            .bind(ws_bytes)
            .fetch_one(&mut *tx)
            .await?;
    let old_size = old.as_ref().map_or(0, |(_, s)| *s);
    let new_count = count + i64::from(old.is_none());
    let new_bytes = bytes - old_size + size;
    if unsigned(new_count) > limits.records_per_workspace
        || unsigned(new_bytes) > limits.record_bytes_per_workspace
    {
        return Err(ApiError::quota(
            "this workspace is at its cap of records or record bytes",
        ));
    }
    sqlx::query(
        "INSERT INTO records (workspace_id, record_id, field, body, size, author_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (workspace_id, record_id, field) DO UPDATE SET body = excluded.body, \
         size = excluded.size, updated_at = excluded.updated_at",
    )
    .bind(ws_bytes)
    .bind(&record)
    .bind(&field)
    .bind(&body[..])
    .bind(size)
    .bind(&session.member_id[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE workspaces SET record_count = $2, record_bytes = $3 WHERE id = $1")
        .bind(ws_bytes)
        .bind(new_count)
        .bind(new_bytes)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(if old.is_none() {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    })
}

/// `GET /api/workspaces/{id}/records/{recordId}/{field}`: the stored bytes.
///
/// # Errors
/// 404 for a non-member or a missing record.
pub async fn get_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    wire::name(&record)?;
    wire::name(&field)?;
    require_member(&state, &ws, &session.member_id).await?;
    let body: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT body FROM records WHERE workspace_id = $1 AND record_id = $2 AND field = $3",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .fetch_optional(state.db.read())
    .await?;
    let body = body.ok_or_else(ApiError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body))
}

/// `DELETE /api/workspaces/{id}/records/{recordId}/{field}`: by its author or an admin.
///
/// # Errors
/// 404 for a non-member or a missing record; 403 for another member's record.
pub async fn delete_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    wire::name(&record)?;
    wire::name(&field)?;
    let admin = require_member(&state, &ws, &session.member_id).await?;
    let ws_bytes = &ws.as_bytes()[..];
    let mut tx = state.db.begin().await?;
    let old: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT author_id, size FROM records WHERE workspace_id = $1 AND record_id = $2 \
         AND field = $3",
    )
    .bind(ws_bytes)
    .bind(&record)
    .bind(&field)
    .fetch_optional(&mut *tx)
    .await?;
    let (author, size) = old.ok_or_else(ApiError::not_found)?;
    if !may_change(&session.member_id, admin, &author) {
        return Err(not_yours());
    }
    sqlx::query("DELETE FROM records WHERE workspace_id = $1 AND record_id = $2 AND field = $3")
        .bind(ws_bytes)
        .bind(&record)
        .bind(&field)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE workspaces SET record_count = record_count - 1, \
         record_bytes = record_bytes - $2 WHERE id = $1",
    )
    .bind(ws_bytes)
    .bind(size)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{id}/records`: every record's id, field, size and update time.
///
/// # Errors
/// 404 for a non-member.
pub async fn list_records(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT record_id, field, size, updated_at FROM records WHERE workspace_id = $1 \
         ORDER BY record_id, field",
    )
    .bind(&ws.as_bytes()[..])
    .fetch_all(state.db.read())
    .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(record, field, size, updated)| {
            serde_json::json!({
                "recordId": record, "field": field, "size": size, "updatedAt": updated,
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "records": list })))
}

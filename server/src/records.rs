//! Encrypted records: one ciphertext per (record id, field), stored in SQLite as is.
//! The server never parses them; their ids are the application's and are never logged.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use rusqlite::OptionalExtension;

use crate::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::store::require_member;
use crate::wire::{self, Path, now_ms};

/// `PUT /api/workspaces/{id}/records/{recordId}/{field}`: stores (or replaces) the body.
///
/// # Errors
/// 404 for a non-member, 400 for a bad name, 413 over the record limit.
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
    let created = state
        .store
        .run(move |conn| {
            let tx = conn.transaction()?;
            require_member(&tx, ws.as_bytes(), &session.member_id)?;
            let existed: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM records \
                 WHERE workspace_id = ?1 AND record_id = ?2 AND field = ?3)",
                (&ws.as_bytes()[..], &record, &field),
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO records (workspace_id, record_id, field, body, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                (&ws.as_bytes()[..], &record, &field, &body[..], now_ms()),
            )?;
            tx.commit()?;
            Ok(!existed)
        })
        .await?;
    Ok(if created {
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
    let body: Option<Vec<u8>> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            Ok(conn
                .query_row(
                    "SELECT body FROM records \
                     WHERE workspace_id = ?1 AND record_id = ?2 AND field = ?3",
                    (&ws.as_bytes()[..], &record, &field),
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await?;
    let body = body.ok_or_else(ApiError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body))
}

/// `DELETE /api/workspaces/{id}/records/{recordId}/{field}`.
///
/// # Errors
/// 404 for a non-member or a missing record.
pub async fn delete_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    wire::name(&record)?;
    wire::name(&field)?;
    let deleted = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            Ok(conn.execute(
                "DELETE FROM records WHERE workspace_id = ?1 AND record_id = ?2 AND field = ?3",
                (&ws.as_bytes()[..], &record, &field),
            )?)
        })
        .await?;
    if deleted == 0 {
        return Err(ApiError::not_found());
    }
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
    let rows: Vec<(String, String, i64, i64)> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT record_id, field, length(body), updated_at FROM records \
                 WHERE workspace_id = ?1 ORDER BY record_id, field",
            )?;
            let rows = stmt.query_map([&ws.as_bytes()[..]], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
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

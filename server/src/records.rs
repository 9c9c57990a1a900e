//! Encrypted records: one ciphertext per (record id, field), stored in the database as is,
//! in a workspace's own records or in one of its cases' ([`Scope`]). The server parses
//! nothing of a workspace's record; of a case's, only the header's version and case id,
//! so that a case's deletion takes every record written for it. Their ids are the
//! application's and are never logged.
//!
//! A record belongs to the member who wrote it: only that member or an admin (in a case:
//! any full member) may replace or delete it (a replacement destroys the old ciphertext as
//! surely as a delete does). Each workspace has caps on its records' count and bytes, cases
//! included.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use confide::{CaseId, RecordHeader, RecordScope};

use crate::AppState;
use crate::auth::Session;
use crate::db::{signed, unsigned};
use crate::error::ApiError;
use crate::scope::{Access, Scope, read_only};
use crate::wire::{self, Path, now_ms};

pub(crate) fn not_yours() -> ApiError {
    ApiError::forbidden("only its author or an admin may replace or delete this")
}

type BodyResult = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// FORMAT.md#case-records: a case's record is of version 3 and names the case at bytes
/// 6..22. Anything else would outlive the case's deletion.
pub(crate) fn check_case_record(body: &[u8], case: &CaseId) -> Result<(), ApiError> {
    match RecordHeader::parse(body) {
        Ok(RecordHeader {
            scope: RecordScope::Case { case_id, .. },
            ..
        }) if case_id == *case => Ok(()),
        _ => Err(ApiError::bad_request(
            "invalid_record",
            "a case's record is a record of version 3 whose header names this case",
        )),
    }
}

/// `PUT /api/workspaces/{ws}/records/{recordId}/{field}`: stores (or replaces) the body.
///
/// # Errors
/// 404 for a non-member, 403 to replace another member's record (unless admin), 400 for a
/// bad name or an empty body, 413 over the record limit, 507 at the workspace's caps.
pub async fn put_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
    body: BodyResult,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    put(&state, &session, scope, &record, &field, body).await
}

/// `PUT /api/workspaces/{ws}/cases/{case}/records/{recordId}/{field}`: as [`put_record`],
/// for full members of the case, with a record of version 3 for this case.
///
/// # Errors
/// As [`put_record`]; 403 for a summary member; 400 `invalid_record` for a record that is
/// not this case's; 410 for a deleted case.
pub async fn put_case_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
    body: BodyResult,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    put(&state, &session, scope, &record, &field, body).await
}

async fn put(
    state: &AppState,
    session: &Session,
    scope: Scope,
    record: &str,
    field: &str,
    body: BodyResult,
) -> Result<StatusCode, ApiError> {
    wire::name(record)?;
    wire::name(field)?;
    let body = body?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "a record is never empty",
        ));
    }
    let access = scope.access(state, &session.member_id).await?;
    if !access.write {
        return Err(read_only());
    }
    if let Scope::Case(_, case) = &scope {
        check_case_record(&body, case)?;
    }
    state.disk.check_writable()?;
    let limits = &state.config.limits;
    let size = signed(u64::try_from(body.len()).unwrap_or(u64::MAX));
    let ws_bytes = &scope.workspace().as_bytes()[..];
    let mut tx = state.db.begin().await?;
    // Access again, inside the transaction: a member removed (a case deleted) meanwhile
    // does not write.
    let access = scope
        .access_in(&mut tx, state.db.backend(), &session.member_id)
        .await?;
    if !access.write {
        return Err(read_only());
    }
    let old: Option<(Vec<u8>, i64)> = sqlx::query_as(scope.sql(
        "SELECT author_id, size FROM {records} WHERE {key} = $1 AND record_id = $2 \
         AND field = $3",
    ))
    .bind(scope.key())
    .bind(record)
    .bind(field)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((author, _)) = &old
        && !access.may_change(&session.member_id, author)
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
    sqlx::query(scope.sql(
        "INSERT INTO {records} ({key}, record_id, field, body, size, author_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT ({key}, record_id, field) DO UPDATE SET body = excluded.body, \
         size = excluded.size, updated_at = excluded.updated_at",
    ))
    .bind(scope.key())
    .bind(record)
    .bind(field)
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

/// `GET /api/workspaces/{ws}/records/{recordId}/{field}`: the stored bytes.
///
/// # Errors
/// 404 for a non-member or a missing record.
pub async fn get_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    get(&state, &session, scope, &record, &field).await
}

/// `GET /api/workspaces/{ws}/cases/{case}/records/{recordId}/{field}`, for the case's
/// members.
///
/// # Errors
/// As [`get_record`]; 410 for a deleted case.
pub async fn get_case_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    get(&state, &session, scope, &record, &field).await
}

async fn get(
    state: &AppState,
    session: &Session,
    scope: Scope,
    record: &str,
    field: &str,
) -> Result<impl IntoResponse + use<>, ApiError> {
    wire::name(record)?;
    wire::name(field)?;
    scope.access(state, &session.member_id).await?;
    let body: Option<Vec<u8>> = sqlx::query_scalar(
        scope.sql("SELECT body FROM {records} WHERE {key} = $1 AND record_id = $2 AND field = $3"),
    )
    .bind(scope.key())
    .bind(record)
    .bind(field)
    .fetch_optional(state.db.read())
    .await?;
    let body = body.ok_or_else(ApiError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body))
}

/// `DELETE /api/workspaces/{ws}/records/{recordId}/{field}`: by its author or an admin.
///
/// # Errors
/// 404 for a non-member or a missing record; 403 for another member's record.
pub async fn delete_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, record, field)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    delete(&state, &session, scope, &record, &field).await
}

/// `DELETE /api/workspaces/{ws}/cases/{case}/records/{recordId}/{field}`: by a full member.
///
/// # Errors
/// As [`delete_record`]; 403 for a summary member; 410 for a deleted case.
pub async fn delete_case_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let scope = Scope::Case(wire::workspace_id(&ws)?, wire::case_id(&case)?);
    delete(&state, &session, scope, &record, &field).await
}

async fn delete(
    state: &AppState,
    session: &Session,
    scope: Scope,
    record: &str,
    field: &str,
) -> Result<StatusCode, ApiError> {
    wire::name(record)?;
    wire::name(field)?;
    let access: Access = scope.access(state, &session.member_id).await?;
    if !access.write {
        return Err(read_only());
    }
    let mut tx = state.db.begin().await?;
    let access = scope
        .access_in(&mut tx, state.db.backend(), &session.member_id)
        .await?;
    let old: Option<(Vec<u8>, i64)> = sqlx::query_as(scope.sql(
        "SELECT author_id, size FROM {records} WHERE {key} = $1 AND record_id = $2 \
         AND field = $3",
    ))
    .bind(scope.key())
    .bind(record)
    .bind(field)
    .fetch_optional(&mut *tx)
    .await?;
    let (author, size) = old.ok_or_else(ApiError::not_found)?;
    if !access.may_change(&session.member_id, &author) {
        return Err(not_yours());
    }
    sqlx::query(
        scope.sql("DELETE FROM {records} WHERE {key} = $1 AND record_id = $2 AND field = $3"),
    )
    .bind(scope.key())
    .bind(record)
    .bind(field)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE workspaces SET record_count = record_count - 1, \
         record_bytes = record_bytes - $2 WHERE id = $1",
    )
    .bind(&scope.workspace().as_bytes()[..])
    .bind(size)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{ws}/records`: every record's id, field, size and update time.
///
/// # Errors
/// 404 for a non-member.
pub async fn list_records(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let scope = Scope::Workspace(wire::workspace_id(&ws)?);
    list(&state, &session, scope).await
}

/// `GET /api/workspaces/{ws}/cases/{case}/records`, for the case's members.
///
/// # Errors
/// As [`list_records`]; 410 for a deleted case.
pub async fn list_case_records(
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
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(scope.sql(
        "SELECT record_id, field, size, updated_at FROM {records} WHERE {key} = $1 \
         ORDER BY record_id, field",
    ))
    .bind(scope.key())
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

/// Deletes every record of `scope` inside `tx` (a case's deletion), and their share of the
/// workspace's counters.
///
/// # Errors
/// Database errors.
pub(crate) async fn delete_all(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    scope: &Scope,
) -> Result<(), ApiError> {
    let (count, bytes): (i64, i64) = sqlx::query_as(scope.sql(
        "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM {records} WHERE {key} = $1",
    ))
    .bind(scope.key())
    .fetch_one(&mut **tx)
    .await?;
    if count == 0 {
        return Ok(());
    }
    sqlx::query(scope.sql("DELETE FROM {records} WHERE {key} = $1"))
        .bind(scope.key())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE workspaces SET record_count = record_count - $2, \
         record_bytes = record_bytes - $3 WHERE id = $1",
    )
    .bind(&scope.workspace().as_bytes()[..])
    .bind(count)
    .bind(bytes)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

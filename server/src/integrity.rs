//! Record integrity in cases (server/README.md#record-integrity, docs/FORMAT.md#revisions):
//! each record's signed revisions with the records they sign, the sign-offs of those
//! revisions, and each case's audit trail.
//!
//! The server keeps each chain whole and in order: a revision is stored only as the next of
//! its record (its number and previous hash are the stored latest's), an audit entry only as
//! the next of its case's trail, a sign-off only of a stored revision. It checks each
//! object's structure, that it names this workspace, case and record, and that its author is
//! the caller; it verifies no signature (readers verify every chain against the logs they
//! hold, and detect a server that serves less). Every check costs constant work but the
//! record's hash (linear in the record), and all of them come before the write transaction.
//! The writes to one case take turns: on PostgreSQL its row is locked for the transaction
//! ([`lock_case`]), and SQLite has one writer.
//!
//! Everything here counts against the workspace's record bytes, and goes with the case's
//! records when the case is deleted ([`delete_all`]).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use confide::integrity::{
    AuditEntryHeader, Revision, RevisionKind, SignOffHeader, audit_entry_hash,
};
use confide::{CaseId, ErrorCode, RecordHeader, WorkspaceId};
use serde::Deserialize;
use sqlx::Any;

use crate::AppState;
use crate::auth::Session;
use crate::db::{signed, unsigned};
use crate::error::ApiError;
use crate::ratelimit::Key;
use crate::records::check_case_record;
use crate::scope::{Scope, lock_case, read_only};
use crate::wire::{self, B64, Json, Path, Query, now_ms};
use crate::workspaces::{LogQuery, invalid_entry};

/// A case's workspace and case ids from the path.
fn case_of(ws: &str, case: &str) -> Result<(WorkspaceId, CaseId), ApiError> {
    Ok((wire::workspace_id(ws)?, wire::case_id(case)?))
}

fn invalid_record(message: &'static str) -> ApiError {
    ApiError::bad_request("invalid_record", message)
}

fn head_moved(what: &'static str) -> ApiError {
    ApiError::conflict(
        "head_moved",
        format!("{what} moved: fetch it and build on its latest"),
    )
}

/// Adds `bytes` to the workspace's record bytes, or 507 at its cap.
async fn count_bytes(
    state: &AppState,
    tx: &mut sqlx::Transaction<'static, Any>,
    ws: &WorkspaceId,
    bytes: usize,
) -> Result<(), ApiError> {
    let size = signed(u64::try_from(bytes).unwrap_or(u64::MAX));
    let counted = sqlx::query(
        "UPDATE workspaces SET record_bytes = record_bytes + $2 \
         WHERE id = $1 AND record_bytes + $2 <= $3",
    )
    .bind(&ws.as_bytes()[..])
    .bind(size)
    .bind(signed(state.config.limits.record_bytes_per_workspace))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if counted != 1 {
        return Err(ApiError::quota(
            "this workspace is at its cap of records or record bytes",
        ));
    }
    Ok(())
}

// ---------- revisions ------------------------------------------------------------------

/// `GET …/cases/{case}/revisions`: the case's records that have revisions, each
/// `{ recordId, field, number, updatedAt }` with its latest stored number and when it was
/// stored (ms), by record id and field. Readers verify each history on its own.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case.
pub async fn list_revised(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT record_id, field, MAX(number), MAX(created_at) FROM case_revisions \
         WHERE case_id = $1 GROUP BY record_id, field ORDER BY record_id, field",
    )
    .bind(&case.as_bytes()[..])
    .fetch_all(state.db.read())
    .await?;
    let records: Vec<_> = rows
        .into_iter()
        .map(|(record, field, number, updated)| {
            serde_json::json!({
                "recordId": record, "field": field, "number": number, "updatedAt": updated,
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "records": records })))
}

/// `GET …/cases/{case}/revisions/{record}/{field}[?after=N]`: the stored revisions numbered
/// above `N` (0 when absent), oldest first.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case; 400 for a bad name.
pub async fn list_revisions(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
    Query(query): Query<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    wire::name(&record)?;
    wire::name(&field)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    let revisions: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT revision FROM case_revisions WHERE case_id = $1 AND record_id = $2 \
         AND field = $3 AND number > $4 ORDER BY number",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .bind(query.after.map_or(0, i64::from))
    .fetch_all(state.db.read())
    .await?;
    let revisions: Vec<B64> = revisions.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({ "revisions": revisions })))
}

/// `GET …/cases/{case}/revisions/{record}/{field}/{number}`: the record stored with
/// revision `number`.
///
/// # Errors
/// 404 for a caller not on the case, and for a revision that is not stored or is a
/// tombstone (which has no record); 410 for a deleted case.
pub async fn get_revision_record(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field, number)): Path<(String, String, String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    wire::name(&record)?;
    wire::name(&field)?;
    let number: u32 = number.parse().map_err(|_| ApiError::not_found())?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    let body: Option<Option<Vec<u8>>> = sqlx::query_scalar(
        "SELECT record FROM case_revisions WHERE case_id = $1 AND record_id = $2 \
         AND field = $3 AND number = $4",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .bind(i64::from(number))
    .fetch_optional(state.db.read())
    .await?;
    let body = body.flatten().ok_or_else(ApiError::not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body))
}

/// `POST …/cases/{case}/revisions/{record}/{field}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRequest {
    revision: B64,
    /// The record a write revision signs; absent for a tombstone.
    #[serde(default)]
    record: Option<B64>,
}

/// The checks of a revision and its record that need no database
/// (server/README.md#record-integrity), cheap ones first: the revision parses and names the
/// path's workspace, case, record and field; its author is the caller; a write comes with
/// a record of this case, in the revision's epoch, within the record cap, whose hash the
/// revision signs (the one linear step, last); a tombstone comes without.
fn check_revision(
    state: &AppState,
    session: &Session,
    (ws, case, record_id, field): (&WorkspaceId, &CaseId, &str, &str),
    req: &RevisionRequest,
) -> Result<Revision, ApiError> {
    let revision = Revision::parse(&req.revision.0).map_err(|e| {
        ApiError::bad_request(
            "invalid_record",
            format!("the revision does not parse: {}", e.code()),
        )
    })?;
    if revision.workspace_id() != *ws || revision.case_id() != *case {
        return Err(invalid_record(
            "the revision names another workspace or case",
        ));
    }
    if revision.record_id() != record_id || revision.field() != field {
        return Err(invalid_record(
            "the revision names another record id or field",
        ));
    }
    if revision.author_id() != session.member_id {
        return Err(ApiError::forbidden(
            "a revision is posted by the member who signed it",
        ));
    }
    if revision.number() > state.config.limits.revisions_per_record {
        return Err(ApiError::unprocessable(
            "log_too_large",
            "this record is at its cap of revisions (see the server's README)",
        ));
    }
    match (revision.kind(), &req.record) {
        (RevisionKind::Delete, None) => {}
        (RevisionKind::Delete, Some(_)) => {
            return Err(invalid_record("a deletion comes without a record"));
        }
        (RevisionKind::Write, None) => {
            return Err(invalid_record("a write comes with the record it signs"));
        }
        (RevisionKind::Write, Some(record)) => {
            if record.0.len() > state.config.limits.record_bytes {
                return Err(ApiError::too_large());
            }
            check_case_record(&record.0, case)?;
            if RecordHeader::parse(&record.0).ok().map(|h| h.epoch) != Some(revision.key_epoch()) {
                return Err(invalid_record(
                    "the record is not of the epoch its revision names",
                ));
            }
            if !revision.signs_record(&record.0) {
                return Err(invalid_record("the revision does not sign this record"));
            }
        }
        _ => return Err(invalid_record("a revision of an unknown kind")),
    }
    Ok(revision)
}

/// Stores the next revision of a record, with the record it signs (none for a tombstone).
///
/// # Errors
/// 404 for a caller not on the case; 403 for a summary member, or a revision another member
/// signed; 410 for a deleted case; 400 `invalid_record` for a revision that does not parse,
/// names another workspace, case, record or field, or whose record is missing, not this
/// case's or not the one it signs; 413 for a record over the record cap; 409 `head_moved`
/// for a revision that is not the next of the stored ones; 422 `log_too_large` at the cap of
/// revisions; 507 at the workspace's record bytes.
pub async fn post_revision(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
    Json(req): Json<RevisionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    wire::name(&record)?;
    wire::name(&field)?;
    let access = Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    if !access.write {
        return Err(read_only());
    }
    state.disk.check_writable()?;
    let revision = check_revision(&state, &session, (&ws, &case, &record, &field), &req)?;
    let body = req.record.map(|r| r.0);
    let size = revision.as_bytes().len() + body.as_ref().map_or(0, Vec::len);

    let mut tx = state.db.begin().await?;
    // Again under the lock: a member removed, or the case deleted, meanwhile writes nothing.
    if !lock_case(&mut tx, state.db.backend(), &ws, &case, &session.member_id)
        .await?
        .write
    {
        return Err(read_only());
    }
    let latest: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT number, hash FROM case_revisions WHERE case_id = $1 AND record_id = $2 \
         AND field = $3 ORDER BY number DESC LIMIT 1",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .fetch_optional(&mut *tx)
    .await?;
    // FORMAT.md#revision: revision 1 has a zero previous hash, and only it (parse checked).
    let (count, prev) = latest.unwrap_or((0, vec![0; 32]));
    if i64::from(revision.number()) != count + 1 || revision.prev_hash()[..] != prev[..] {
        return Err(head_moved("this record's revisions"));
    }
    count_bytes(&state, &mut tx, &ws, size).await?;
    sqlx::query(
        "INSERT INTO case_revisions (case_id, record_id, field, number, revision, hash, \
         record, size, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .bind(i64::from(revision.number()))
    .bind(revision.as_bytes())
    .bind(&revision.hash()[..])
    .bind(body)
    .bind(signed(u64::try_from(size).unwrap_or(u64::MAX)))
    .bind(&session.member_id[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        serde_json::json!({ "number": revision.number() }),
    ))
}

// ---------- sign-offs ------------------------------------------------------------------

/// `GET …/cases/{case}/signoffs/{record}/{field}`: the record's sign-offs in the order
/// stored.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case; 400 for a bad name.
pub async fn list_sign_offs(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    wire::name(&record)?;
    wire::name(&field)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    let sign_offs: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT sign_off FROM case_sign_offs WHERE case_id = $1 AND record_id = $2 \
         AND field = $3 ORDER BY position",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .fetch_all(state.db.read())
    .await?;
    let sign_offs: Vec<B64> = sign_offs.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({ "signOffs": sign_offs })))
}

/// `POST …/cases/{case}/signoffs/{record}/{field}` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignOffRequest {
    sign_off: B64,
}

fn invalid_sign_off(message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::bad_request("invalid_sign_off", message)
}

/// Stores a sign-off of a stored revision of the record, by a member of the case at either
/// level. The same sign-off again is a success that stores nothing.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case; 400 `invalid_sign_off` for a
/// sign-off that does not parse or names another workspace or case; 403 for one another
/// member signed; 409 `signoff_mismatch` for one that names no stored revision of this
/// record (its number and hash); 507 at the cap of sign-offs or the workspace's record bytes.
pub async fn post_sign_off(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case, record, field)): Path<(String, String, String, String)>,
    Json(req): Json<SignOffRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    wire::name(&record)?;
    wire::name(&field)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    state.disk.check_writable()?;
    let bytes = &req.sign_off.0;
    let header = SignOffHeader::parse(bytes)
        .map_err(|e| invalid_sign_off(format!("the sign-off does not parse: {}", e.code())))?;
    if header.workspace_id != ws || header.case_id != case {
        return Err(invalid_sign_off(
            "the sign-off names another workspace or case",
        ));
    }
    if header.signer_id != session.member_id {
        return Err(ApiError::forbidden(
            "a sign-off is posted by the member who signed it",
        ));
    }

    let mut tx = state.db.begin().await?;
    lock_case(&mut tx, state.db.backend(), &ws, &case, &session.member_id).await?;
    let signed_off: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT hash FROM case_revisions WHERE case_id = $1 AND record_id = $2 \
         AND field = $3 AND number = $4",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .bind(i64::from(header.revision_number))
    .fetch_optional(&mut *tx)
    .await?;
    if signed_off.as_deref() != Some(&header.revision_hash[..]) {
        return Err(ApiError::conflict(
            "signoff_mismatch",
            "the sign-off names no stored revision of this record (its number and hash)",
        ));
    }
    // At most the cap's rows: the duplicate check and the count are bounded by it.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT sign_off FROM case_sign_offs WHERE case_id = $1 AND record_id = $2 \
         AND field = $3",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .fetch_all(&mut *tx)
    .await?;
    if stored.iter().any(|s| s == bytes) {
        return Ok(axum::Json(serde_json::json!({})));
    }
    let position = u64::try_from(stored.len()).unwrap_or(u64::MAX);
    if position >= state.config.limits.sign_offs_per_record {
        return Err(ApiError::quota(
            "this record is at its cap of sign-offs (see the server's README)",
        ));
    }
    count_bytes(&state, &mut tx, &ws, bytes.len()).await?;
    sqlx::query(
        "INSERT INTO case_sign_offs (case_id, record_id, field, position, number, sign_off, \
         signer_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&case.as_bytes()[..])
    .bind(&record)
    .bind(&field)
    .bind(signed(position))
    .bind(i64::from(header.revision_number))
    .bind(&bytes[..])
    .bind(&session.member_id[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(axum::Json(serde_json::json!({})))
}

// ---------- the audit trail ------------------------------------------------------------

/// `GET …/cases/{case}/audit[?after=S]`: the trail's entries after seq `S` (all when
/// absent), oldest first.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case.
pub async fn get_audit(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
    Query(query): Query<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    let entries: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT entry FROM case_audit_entries WHERE case_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(&case.as_bytes()[..])
    .bind(query.after.map_or(-1, i64::from))
    .fetch_all(state.db.read())
    .await?;
    let entries: Vec<B64> = entries.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({ "entries": entries })))
}

/// `POST …/cases/{case}/audit` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditAppendRequest {
    entry: B64,
    /// The number of entries the trail had when the entry was built: its seq.
    expected_seq: u32,
}

/// Appends one entry to the case's audit trail if it is the next one: its seq is
/// `expectedSeq`, the stored count, and its previous hash the stored last entry's.
///
/// # Errors
/// 404 for a caller not on the case; 410 for a deleted case; 429 over the rate limit; 422
/// `invalid_entry` (with the core's code) for an entry that does not parse or names another
/// workspace or case; 403 for an entry another member signed; 409 `head_moved`; 422
/// `log_too_large` at the trail's caps; 507 at the workspace's record bytes.
pub async fn append_audit(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
    Json(req): Json<AuditAppendRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, case) = case_of(&ws, &case)?;
    Scope::Case(ws, case)
        .access(&state, &session.member_id)
        .await?;
    state
        .limiters
        .appends
        .check(Key::Member(session.member_id))?;
    state.disk.check_writable()?;
    let entry = &req.entry.0;
    let header = AuditEntryHeader::parse(entry).map_err(|e| invalid_entry(&e))?;
    if header.workspace_id != ws {
        return Err(invalid_entry(&confide::IntegrityError::WrongWorkspace));
    }
    if header.case_id != case {
        return Err(invalid_entry(&confide::IntegrityError::WrongCase));
    }
    if header.author_id != session.member_id {
        return Err(ApiError::forbidden(
            "an audit entry is appended by the member who signed it",
        ));
    }
    if header.seq != req.expected_seq {
        return Err(head_moved("the audit trail"));
    }
    let limits = &state.config.limits;

    let mut tx = state.db.begin().await?;
    lock_case(&mut tx, state.db.backend(), &ws, &case, &session.member_id).await?;
    let last: Option<(i64, Vec<u8>, i64)> = sqlx::query_as(
        "SELECT seq, hash, total_bytes FROM case_audit_entries WHERE case_id = $1 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(&case.as_bytes()[..])
    .fetch_optional(&mut *tx)
    .await?;
    // FORMAT.md#audit-entry: seq 0 has a zero previous hash.
    let (count, prev, total) = match last {
        Some((seq, hash, total)) => (seq + 1, hash, total),
        None => (0, vec![0; 32], 0),
    };
    if i64::from(header.seq) != count || header.prev_hash[..] != prev[..] {
        return Err(head_moved("the audit trail"));
    }
    let total = unsigned(total).saturating_add(u64::try_from(entry.len()).unwrap_or(u64::MAX));
    if header.seq >= limits.audit_entries || total > limits.audit_total_bytes {
        return Err(ApiError::unprocessable(
            "log_too_large",
            "the audit trail is at its cap of entries or bytes (see the server's README)",
        ));
    }
    count_bytes(&state, &mut tx, &ws, entry.len()).await?;
    sqlx::query(
        "INSERT INTO case_audit_entries (case_id, seq, entry, hash, total_bytes, author_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&case.as_bytes()[..])
    .bind(i64::from(header.seq))
    .bind(&entry[..])
    .bind(&audit_entry_hash(entry)[..])
    .bind(signed(total))
    .bind(&session.member_id[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(axum::Json(serde_json::json!({ "seq": header.seq })))
}

// ---------- deletion -------------------------------------------------------------------

/// Deletes every revision (with its record), sign-off and audit entry of `case` inside `tx`
/// (the case's deletion), and gives their bytes back to the workspace's count.
///
/// # Errors
/// Database errors.
pub(crate) async fn delete_all(
    tx: &mut sqlx::Transaction<'static, Any>,
    ws: &WorkspaceId,
    case: &CaseId,
) -> Result<(), ApiError> {
    let case = &case.as_bytes()[..];
    let mut bytes = 0_i64;
    for (table, size) in [
        ("case_revisions", "size"),
        ("case_sign_offs", "LENGTH(sign_off)"),
        ("case_audit_entries", "LENGTH(entry)"),
    ] {
        let sum: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COALESCE(SUM({size}), 0) AS BIGINT) FROM {table} WHERE case_id = $1"
        )))
        .bind(case)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE case_id = $1"
        )))
        .bind(case)
        .execute(&mut **tx)
        .await?;
        bytes = bytes.saturating_add(sum);
    }
    if bytes > 0 {
        sqlx::query("UPDATE workspaces SET record_bytes = record_bytes - $2 WHERE id = $1")
            .bind(&ws.as_bytes()[..])
            .bind(bytes)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

//! Cases (server/README.md#cases, docs/FORMAT.md#cases): each case's log, its members and
//! its grants; its records and blobs are in [`crate::records`] and [`crate::blobs`].
//!
//! The server stores a case entry only once [`CaseLog::push`] accepts it on top of the
//! case's verified log, checked against the workspace's verified membership log, and keeps
//! what the log defines in the database: the head, the epoch, whether it is deleted, and
//! who is on it at which level. Every route but an append checks those rows. An append
//! verifies one entry against the cached case log, like the workspace's (see
//! [`crate::logcache`]); after a restart it verifies the case log once.
//!
//! The grants are in the key store ([`crate::keystore`]). A delete entry deletes them
//! there, and the case's records, blobs and record integrity (revisions, sign-offs, audit
//! trail) from the bulk store: crypto-shredding
//! (docs/SECURITY.md#cases). The log stays, as the tombstone members see.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use confide::{
    CaseEntry, CaseEntryChange, CaseGrantHeader, CaseId, CaseLog, ErrorCode, Level,
    MembershipError, MembershipLog, WorkspaceId,
};
use serde::Deserialize;
use sqlx::Any;

use crate::AppState;
use crate::auth::Session;
use crate::db::{Backend, Db, flag, signed, unsigned};
use crate::error::ApiError;
use crate::keystore::KeyStore;
use crate::logcache::Slot;
use crate::ratelimit::Key;
use crate::scope::{FULL, SUMMARY, Scope, case_membership};
use crate::wire::{self, B64, Json, Path, Query, now_ms};
use crate::workspaces::{
    GrantJson, HeadJson, LogQuery, invalid_entry, require_member, stored_head, sync_log,
};

/// The stored state of one case.
struct CaseRow {
    head_seq: i64,
    head_hash: Vec<u8>,
    log_bytes: i64,
    deleted: bool,
}

async fn case_row<'e, E>(
    db: E,
    ws: &WorkspaceId,
    case: &CaseId,
) -> Result<Option<CaseRow>, ApiError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row: Option<(i64, Vec<u8>, i64, i64)> = sqlx::query_as(
        "SELECT head_seq, head_hash, log_bytes, deleted FROM cases \
         WHERE id = $1 AND workspace_id = $2",
    )
    .bind(&case.as_bytes()[..])
    .bind(&ws.as_bytes()[..])
    .fetch_optional(db)
    .await?;
    Ok(
        row.map(|(head_seq, head_hash, log_bytes, deleted)| CaseRow {
            head_seq,
            head_hash,
            log_bytes,
            deleted: deleted != 0,
        }),
    )
}

fn level_byte(level: Level) -> i64 {
    match level {
        Level::Full => FULL,
        Level::Summary => SUMMARY,
    }
}

fn level_name(byte: i64) -> &'static str {
    if byte == FULL { "full" } else { "summary" }
}

fn head_json(seq: i64, hash: Vec<u8>) -> HeadJson {
    HeadJson {
        seq: u32::try_from(seq).unwrap_or(u32::MAX),
        hash: B64(hash),
    }
}

fn at_head(log: &CaseLog, row: &CaseRow) -> bool {
    i64::from(log.head().seq()) == row.head_seq && log.head().hash()[..] == row.head_hash[..]
}

fn case_log_bytes(log: &CaseLog) -> usize {
    log.entries().map(<[u8]>::len).sum()
}

fn invalid_grant(
    status: StatusCode,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> ApiError {
    ApiError::new(status, "invalid_grant", message)
}

fn not_a_member() -> ApiError {
    ApiError::unprocessable(
        "not_a_member",
        "a grant is addressed to someone who is not on the case, or not in the workspace",
    )
}

/// The checks a grant passes before any log work (FORMAT.md#verifying-case-grants, step 1):
/// it parses, it is for the member it is filed under, and for this workspace and case.
fn check_grant_shapes(
    grants: &[GrantJson],
    ws: &WorkspaceId,
    case: &CaseId,
) -> Result<(), ApiError> {
    for g in grants {
        let header = CaseGrantHeader::parse(&g.grant.0).map_err(|e| {
            invalid_grant(
                StatusCode::BAD_REQUEST,
                format!("a case grant does not parse: {}", e.code()),
            )
        })?;
        if header.recipient_id()[..] != g.member_id.0[..] {
            return Err(invalid_grant(
                StatusCode::BAD_REQUEST,
                "a grant is filed under another member than its recipient",
            ));
        }
        if header.workspace_id() != *ws || header.case_id() != *case {
            return Err(invalid_grant(
                StatusCode::UNPROCESSABLE_ENTITY,
                "a grant names another workspace or case",
            ));
        }
    }
    Ok(())
}

/// Everything else a server can check of a grant, on the log after the entry
/// ([`CaseLog::check_grant`]), and that its recipient is on the case and in the workspace.
fn check_grants(log: &CaseLog, ws_log: &MembershipLog, grants: &[Vec<u8>]) -> Result<(), ApiError> {
    for grant in grants {
        let header = log.check_grant(ws_log, grant).map_err(|e| {
            invalid_grant(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("a grant does not verify against the case log: {}", e.code()),
            )
        })?;
        let recipient = header.recipient_id();
        if log.level_of(&recipient).is_none() || !ws_log.is_active(&recipient) {
            return Err(not_a_member());
        }
    }
    Ok(())
}

/// What one verified entry changes in the stored rows.
struct Effects {
    ws: WorkspaceId,
    case: CaseId,
    entry: Vec<u8>,
    signer: [u8; 32],
    change: CaseEntryChange,
    seq: u32,
    hash: [u8; 32],
    epoch: u32,
    log_bytes: i64,
    deleted: bool,
}

impl Effects {
    fn of(log: &CaseLog, entry: Vec<u8>, parsed: &CaseEntry) -> Self {
        let head = log.head();
        Self {
            ws: log.workspace_id(),
            case: log.case_id(),
            entry,
            signer: parsed.signer_id(),
            change: parsed.change(),
            seq: head.seq(),
            hash: head.hash(),
            epoch: log.epoch(),
            log_bytes: signed(u64::try_from(case_log_bytes(log)).unwrap_or(u64::MAX)),
            deleted: log.is_deleted(),
        }
    }

    fn head(&self) -> HeadJson {
        HeadJson {
            seq: self.seq,
            hash: B64(self.hash.to_vec()),
        }
    }

    /// Writes the entry and who it puts on or off the case: O(1) rows whatever the log's
    /// length.
    async fn write(&self, tx: &mut sqlx::Transaction<'static, Any>) -> Result<(), ApiError> {
        let case = &self.case.as_bytes()[..];
        sqlx::query(
            "INSERT INTO case_log_entries (case_id, seq, entry, hash) VALUES ($1, $2, $3, $4)",
        )
        .bind(case)
        .bind(i64::from(self.seq))
        .bind(&self.entry)
        .bind(&self.hash[..])
        .execute(&mut **tx)
        .await?;
        let member = match self.change {
            CaseEntryChange::Create { .. } => Some((self.signer, FULL)),
            CaseEntryChange::Add {
                member_id, level, ..
            }
            | CaseEntryChange::SetLevel {
                member_id, level, ..
            } => Some((member_id, level_byte(level))),
            CaseEntryChange::Remove { member_id, .. } => {
                sqlx::query("DELETE FROM case_members WHERE case_id = $1 AND member_id = $2")
                    .bind(case)
                    .bind(&member_id[..])
                    .execute(&mut **tx)
                    .await?;
                None
            }
            _ => None,
        };
        if let Some((id, level)) = member {
            sqlx::query(
                "INSERT INTO case_members (case_id, member_id, workspace_id, level) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (case_id, member_id) \
                 DO UPDATE SET level = excluded.level",
            )
            .bind(case)
            .bind(&id[..])
            .bind(&self.ws.as_bytes()[..])
            .bind(level)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Runs `f` on the blocking pool with the workspace's verified log (taken from its slot and
/// put back after).
async fn with_workspace_log<T: Send + 'static>(
    ws_slot: &mut Slot<MembershipLog>,
    f: impl FnOnce(&MembershipLog) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let ws_log = ws_slot
        .log
        .take()
        .ok_or_else(|| ApiError::internal(&"no workspace log after a sync"))?;
    let (ws_log, out) = tokio::task::spawn_blocking(move || {
        let out = f(&ws_log);
        (ws_log, out)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    ws_slot.log = Some(ws_log);
    Ok(out)
}

/// Brings the cached case log to the stored head, as [`sync_log`] does for a workspace:
/// nothing at the head, the missing entries behind it, the whole log once otherwise.
async fn sync_case_log(
    state: &AppState,
    case: CaseId,
    slot: &mut Slot<CaseLog>,
    ws_slot: &mut Slot<MembershipLog>,
    row: &CaseRow,
) -> Result<(), ApiError> {
    if let Some(log) = &slot.log {
        if at_head(log, row) {
            return Ok(());
        }
        let cached = i64::from(log.head().seq());
        if cached < row.head_seq {
            let missing: Vec<Vec<u8>> = sqlx::query_scalar(
                "SELECT entry FROM case_log_entries WHERE case_id = $1 AND seq > $2 \
                 AND seq <= $3 ORDER BY seq",
            )
            .bind(&case.as_bytes()[..])
            .bind(cached)
            .bind(row.head_seq)
            .fetch_all(state.db.read())
            .await?;
            let n = missing.len();
            if let Some(mut log) = slot.log.take() {
                let log = with_workspace_log(ws_slot, move |ws_log| {
                    for entry in missing {
                        log.push(ws_log, entry).ok()?;
                    }
                    Some(log)
                })
                .await?;
                state.logs.metrics.case_verified(n);
                if let Some(log) = log.filter(|l| at_head(l, row)) {
                    slot.log = Some(log);
                    return Ok(());
                }
            }
        }
        slot.log = None;
    }
    // Cold: verify the whole case log once.
    let _permit = state.case_logs.cold_permit().await;
    let entries: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT entry FROM case_log_entries WHERE case_id = $1 AND seq <= $2 ORDER BY seq",
    )
    .bind(&case.as_bytes()[..])
    .bind(row.head_seq)
    .fetch_all(state.db.read())
    .await?;
    let n = entries.len();
    let log = with_workspace_log(ws_slot, move |ws_log| CaseLog::verify(ws_log, entries))
        .await?
        // Only verified entries are stored, so this is corruption.
        .map_err(|e| ApiError::internal(&e.code()))?;
    state.logs.metrics.case_verified(n);
    state
        .logs
        .metrics
        .case_full_verifications
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    slot.log = Some(log);
    Ok(())
}

/// Stores what one verified entry changes. With a key store of its own, the grants commit
/// first (they are served only once their entry is stored); with a shared one, in the
/// same transaction. A delete entry then shreds the case: its grants, records, blobs,
/// revisions, sign-offs and audit trail go.
async fn commit(
    state: &AppState,
    effects: &Effects,
    grants: &[GrantJson],
    mut tx: sqlx::Transaction<'static, Any>,
    row: Option<&CaseRow>,
) -> Result<(), ApiError> {
    let keys = &state.keys;
    let ids = if keys.is_shared() {
        Vec::new()
    } else {
        match keys
            .insert_now(&effects.case, effects.seq, &effects.hash, grants)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        }
    };
    let scope = Scope::Case(effects.ws, effects.case);
    let stored = async {
        let case = &effects.case.as_bytes()[..];
        match row {
            // An append: compare-and-swap on the stored head.
            Some(row) => {
                let moved = sqlx::query(
                    "UPDATE cases SET head_seq = $2, head_hash = $3, log_bytes = $4, \
                     epoch = $5, deleted = $6 WHERE id = $1 AND head_seq = $7 AND head_hash = $8",
                )
                .bind(case)
                .bind(i64::from(effects.seq))
                .bind(&effects.hash[..])
                .bind(effects.log_bytes)
                .bind(i64::from(effects.epoch))
                .bind(flag(effects.deleted))
                .bind(row.head_seq)
                .bind(&row.head_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    return Err(head_moved());
                }
            }
            // A creation: the case must be new, and the workspace under its cap.
            None => {
                let created = sqlx::query(
                    "INSERT INTO cases (id, workspace_id, head_seq, head_hash, log_bytes, epoch, \
                     deleted, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) ON CONFLICT (id) DO NOTHING",
                )
                .bind(case)
                .bind(&effects.ws.as_bytes()[..])
                .bind(i64::from(effects.seq))
                .bind(&effects.hash[..])
                .bind(effects.log_bytes)
                .bind(i64::from(effects.epoch))
                .bind(&effects.signer[..])
                .bind(now_ms())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if created != 1 {
                    return Err(ApiError::conflict("exists", "this case exists already"));
                }
                let counted = sqlx::query(
                    "UPDATE workspaces SET case_count = case_count + 1 \
                     WHERE id = $1 AND case_count < $2",
                )
                .bind(&effects.ws.as_bytes()[..])
                .bind(signed(state.config.limits.cases_per_workspace))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if counted != 1 {
                    return Err(ApiError::quota(
                        "this workspace has as many cases as it may hold",
                    ));
                }
            }
        }
        effects.write(&mut tx).await?;
        if keys.is_shared() {
            KeyStore::insert(&mut tx, &effects.case, effects.seq, &effects.hash, grants).await?;
        }
        let mut objects = Vec::new();
        if effects.deleted {
            crate::records::delete_all(&mut tx, &scope).await?;
            crate::integrity::delete_all(&mut tx, &effects.ws, &effects.case).await?;
            objects = crate::blobs::drop_all(&mut tx, &scope).await?;
            if keys.is_shared() {
                KeyStore::delete_case(&mut *tx, &effects.case).await?;
            }
        } else if keys.is_shared() {
            KeyStore::drop_stale(&mut *tx, &effects.case, effects.seq, &effects.hash).await?;
        }
        tx.commit().await?;
        Ok::<_, ApiError>(objects)
    }
    .await;
    let objects = match stored {
        Ok(objects) => objects,
        Err(e) => {
            keys.forget(&ids).await;
            return Err(e);
        }
    };
    if effects.deleted {
        // The keys first. The tombstone is stored; the answer says whether they are gone
        // (if not, the next start deletes them).
        if !keys.is_shared() {
            KeyStore::delete_case(keys.db().write(), &effects.case).await?;
            keys.compact().await;
        }
        for object in &objects {
            crate::blobs::remove_object(&state.db, &state.blobs, object).await;
        }
    } else if !keys.is_shared()
        && let Err(e) =
            KeyStore::drop_stale(keys.db().write(), &effects.case, effects.seq, &effects.hash).await
    {
        tracing::warn!(code = e.code(), "stale grants stay (never served)");
    }
    Ok(())
}

/// At startup: deletes from the key store the grants of every case the bulk data says is
/// deleted. That finishes a deletion cut short (the key store unreachable, a crash between
/// the tombstone and the grants), and undoes the restore of a key store backup older than a
/// deletion (server/README.md#key-store). Two scans, of the deleted cases and of the cases
/// with grants; no more.
pub async fn finish_shredding(db: &Db, keys: &KeyStore) {
    if let Err(e) = shred_deleted(db, keys).await {
        tracing::error!(
            code = e.code(),
            "the grants of deleted cases could not be checked"
        );
    }
}

async fn shred_deleted(db: &Db, keys: &KeyStore) -> Result<(), ApiError> {
    let deleted: std::collections::HashSet<Vec<u8>> =
        sqlx::query_scalar("SELECT id FROM cases WHERE deleted = 1")
            .fetch_all(db.read())
            .await?
            .into_iter()
            .collect();
    if deleted.is_empty() {
        return Ok(());
    }
    let with_grants: Vec<Vec<u8>> = sqlx::query_scalar("SELECT DISTINCT case_id FROM case_grants")
        .fetch_all(keys.db().read())
        .await?;
    let mut shredded = 0_u64;
    for id in with_grants.into_iter().filter(|id| deleted.contains(id)) {
        let Ok(id) = <[u8; 16]>::try_from(id.as_slice()) else {
            continue;
        };
        KeyStore::delete_case(keys.db().write(), &CaseId::from_bytes(id)).await?;
        shredded += 1;
    }
    if shredded > 0 {
        keys.compact().await;
        tracing::warn!(
            cases = shredded,
            "deleted the grants of deleted cases that were still in the key store"
        );
    }
    Ok(())
}

fn head_moved() -> ApiError {
    ApiError::conflict(
        "head_moved",
        "the case log's head moved: fetch the log and retry",
    )
}

// ---------- creating and listing cases ------------------------------------------------

/// `POST /api/workspaces/{ws}/cases` body: the create entry and the creator's grant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    entry: B64,
    #[serde(default)]
    grants: Vec<GrantJson>,
}

/// Creates a case from its create entry, signed by the caller, a member of the workspace.
///
/// # Errors
/// 404 for a non-member; 429 over the rate limit; 403 for an entry someone else signed;
/// 422 `invalid_entry` for an entry that is not a valid create entry of this workspace;
/// 400/422 `invalid_grant`, 422 `not_a_member` for a bad grant; 409 `exists`; 507 at the
/// workspace's cap of cases.
pub async fn create_case(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Json(req): Json<CreateCaseRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    state.limiters.cases.check(Key::Member(session.member_id))?;
    state.disk.check_writable()?;
    let entry = CaseEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?;
    if entry.signer_id() != session.member_id {
        return Err(ApiError::forbidden(
            "the create entry must be signed by the session's member",
        ));
    }
    if entry.workspace_id() != ws {
        return Err(invalid_entry(&MembershipError::WrongWorkspace));
    }
    if entry.seq() != 0 || !matches!(entry.change(), CaseEntryChange::Create { .. }) {
        return Err(ApiError::unprocessable(
            "invalid_entry",
            "a case is created by its create entry (kind 1, seq 0)",
        ));
    }
    let case = entry.case_id();
    let count: i64 = sqlx::query_scalar("SELECT case_count FROM workspaces WHERE id = $1")
        .bind(&ws.as_bytes()[..])
        .fetch_one(state.db.read())
        .await?;
    if unsigned(count) >= state.config.limits.cases_per_workspace {
        return Err(ApiError::quota(
            "this workspace has as many cases as it may hold",
        ));
    }
    check_grant_shapes(&req.grants, &ws, &case)?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT head_seq FROM cases WHERE id = $1")
        .bind(&case.as_bytes()[..])
        .fetch_optional(state.db.read())
        .await?;
    if exists.is_some() {
        return Err(ApiError::conflict("exists", "this case exists already"));
    }

    // The entry, checked against the workspace's verified log at its stored head.
    let mut ws_slot = state.logs.lock(*ws.as_bytes()).await;
    let verified = async {
        let ws_head = stored_head(state.db.read(), &ws)
            .await?
            .ok_or_else(ApiError::not_found)?;
        sync_log(&state, ws, &mut ws_slot, &ws_head).await?;
        let bytes = req.entry.0.clone();
        let grants: Vec<Vec<u8>> = req.grants.iter().map(|g| g.grant.0.clone()).collect();
        let log = with_workspace_log(&mut ws_slot, move |ws_log| {
            let log = CaseLog::verify(ws_log, vec![bytes]).map_err(|e| invalid_entry(&e))?;
            check_grants(&log, ws_log, &grants)?;
            Ok::<_, ApiError>(log)
        })
        .await;
        state.logs.metrics.case_verified(1);
        log?
    }
    .await;
    let ws_bytes = ws_slot.log.as_ref().map_or(0, MembershipLog::byte_len);
    drop(ws_slot);
    state.logs.account(*ws.as_bytes(), ws_bytes);
    let log = verified?;

    let effects = Effects::of(&log, req.entry.0.clone(), &entry);
    let tx = state.db.begin().await?;
    commit(&state, &effects, &req.grants, tx, None).await?;
    // Warm the cache: the first append verifies one entry.
    let mut slot = state.case_logs.lock(*case.as_bytes()).await;
    let bytes = case_log_bytes(&log);
    slot.log = Some(log);
    drop(slot);
    state.case_logs.account(*case.as_bytes(), bytes);
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "caseId": B64(case.as_bytes().to_vec()),
            "head": effects.head(),
        })),
    ))
}

/// One row of [`list_cases`]: case id, head seq and hash, the caller's level, deleted.
type CaseListRow = (Vec<u8>, i64, Vec<u8>, i64, i64);

/// `GET /api/workspaces/{ws}/cases`: the cases the caller is on, with its level, and the
/// deleted cases it was on when they were deleted.
///
/// # Errors
/// 404 for a non-member of the workspace.
pub async fn list_cases(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    let rows: Vec<CaseListRow> = sqlx::query_as(
        "SELECT c.id, c.head_seq, c.head_hash, m.level, c.deleted FROM case_members m \
         JOIN cases c ON c.id = m.case_id \
         WHERE m.workspace_id = $1 AND m.member_id = $2 ORDER BY c.id",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&session.member_id[..])
    .fetch_all(state.db.read())
    .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(id, seq, hash, level, deleted)| {
            serde_json::json!({
                "caseId": B64(id),
                "head": head_json(seq, hash),
                "level": level_name(level),
                "deleted": deleted != 0,
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "cases": list })))
}

// ---------- the case log ---------------------------------------------------------------

/// `GET /api/workspaces/{ws}/cases/{case}/log[?after=seq]`: the entries and the head.
///
/// # Errors
/// 404 for a caller not on the case (or not in the workspace).
pub async fn get_case_log(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
    Query(query): Query<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let case = wire::case_id(&case)?;
    case_membership(&state, &ws, &case, &session.member_id).await?;
    // The head first, then the entries up to it, as for a workspace's log.
    let row = case_row(state.db.read(), &ws, &case)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let after = query.after.map_or(-1, i64::from);
    let entries: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT entry FROM case_log_entries WHERE case_id = $1 AND seq > $2 AND seq <= $3 \
         ORDER BY seq",
    )
    .bind(&case.as_bytes()[..])
    .bind(after)
    .bind(row.head_seq)
    .fetch_all(state.db.read())
    .await?;
    let entries: Vec<B64> = entries.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({
        "caseId": B64(case.as_bytes().to_vec()),
        "entries": entries,
        "head": head_json(row.head_seq, row.head_hash),
    })))
}

/// `POST /api/workspaces/{ws}/cases/{case}/log` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseAppendRequest {
    /// The seq of the head the entry was built on.
    expected_seq: u32,
    entry: B64,
    /// The grants of a new epoch (or of earlier ones shared), stored with the entry.
    #[serde(default)]
    grants: Vec<GrantJson>,
}

fn check_expected(expected: u32, entry_seq: u32, head_seq: i64) -> Result<(), ApiError> {
    if i64::from(expected) != head_seq {
        return Err(ApiError::conflict(
            "head_moved",
            format!("the case log's head is at seq {head_seq}: fetch the log and retry"),
        ));
    }
    if Some(entry_seq) != expected.checked_add(1) {
        return Err(ApiError::unprocessable(
            "invalid_entry",
            "the entry's seq does not follow expectedSeq",
        ));
    }
    Ok(())
}

/// Appends one case entry if the head is still at `expectedSeq` (compare-and-swap) and the
/// entry verifies on top of the case log; a delete entry shreds the case.
///
/// # Errors
/// 404 for a caller not on the case; 403 for an entry the caller did not sign; 409
/// `head_moved`; 422 `invalid_entry` (with the core's code), `log_too_large`,
/// `invalid_grant`, `not_a_member`; 400 `invalid_grant`; 429 over the rate limit.
pub async fn append_case_log(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
    Json(req): Json<CaseAppendRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let case = wire::case_id(&case)?;
    // Cheap checks first: membership, the rate, the entry's header and signer, the stored
    // head, the caps, the grants' headers. No log work happens before all of them pass.
    let (level, deleted) = case_membership(&state, &ws, &case, &session.member_id).await?;
    state
        .limiters
        .appends
        .check(Key::Member(session.member_id))?;
    state.disk.check_writable()?;
    let entry = CaseEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?;
    if entry.signer_id() != session.member_id {
        return Err(ApiError::forbidden(
            "an entry is appended by the member who signed it",
        ));
    }
    if deleted {
        return Err(invalid_entry(&MembershipError::CaseDeleted));
    }
    // FORMAT.md#verifying-a-case-log, rule 7: only full members sign case entries.
    if level != FULL {
        return Err(invalid_entry(&MembershipError::NotAuthorized));
    }
    if entry.workspace_id() != ws {
        return Err(invalid_entry(&MembershipError::WrongWorkspace));
    }
    if entry.case_id() != case {
        return Err(invalid_entry(&MembershipError::WrongCase));
    }
    let row = case_row(state.db.read(), &ws, &case)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_expected(req.expected_seq, entry.seq(), row.head_seq)?;
    let limits = &state.config.limits;
    if usize::try_from(row.head_seq + 2).unwrap_or(usize::MAX) > limits.case_log_entries
        || usize::try_from(row.log_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(req.entry.0.len())
            > limits.case_log_total_bytes
    {
        return Err(ApiError::unprocessable(
            "log_too_large",
            "the case log is at its cap of entries or bytes (see the server's README)",
        ));
    }
    check_grant_shapes(&req.grants, &ws, &case)?;

    // The case log itself: under this case's lock, at the stored head.
    let mut slot = state.case_logs.lock(*case.as_bytes()).await;
    let result = append_locked(&state, ws, case, &mut slot, &req, &entry).await;
    let bytes = slot.log.as_ref().map_or(0, case_log_bytes);
    drop(slot);
    state.case_logs.account(*case.as_bytes(), bytes);
    let effects = result?;
    Ok(axum::Json(serde_json::json!({
        "head": effects.head(),
        "epoch": effects.epoch,
    })))
}

async fn append_locked(
    state: &AppState,
    ws: WorkspaceId,
    case: CaseId,
    slot: &mut Slot<CaseLog>,
    req: &CaseAppendRequest,
    entry: &CaseEntry,
) -> Result<Effects, ApiError> {
    // The head may have moved while this request waited for the lock.
    let row = case_row(state.db.read(), &ws, &case)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if row.deleted {
        return Err(invalid_entry(&MembershipError::CaseDeleted));
    }
    check_expected(req.expected_seq, entry.seq(), row.head_seq)?;
    // The workspace's verified log, at its stored head, for as long as the check takes.
    let mut ws_slot = state.logs.lock(*ws.as_bytes()).await;
    let verified = verify_locked(state, ws, case, slot, &mut ws_slot, &row, req).await;
    let ws_bytes = ws_slot.log.as_ref().map_or(0, MembershipLog::byte_len);
    drop(ws_slot);
    state.logs.account(*ws.as_bytes(), ws_bytes);
    let (log, tx) = verified?;
    // SQLite: the write lock is taken only now, after the verification.
    let tx = match tx {
        Some(tx) => tx,
        None => state.db.begin().await?,
    };
    let effects = Effects::of(&log, req.entry.0.clone(), entry);
    match commit(state, &effects, &req.grants, tx, Some(&row)).await {
        Ok(()) => {
            slot.log = Some(log);
            Ok(effects)
        }
        // The cached log would be ahead of the database: the next append verifies again.
        Err(e) => Err(e),
    }
}

/// Syncs both logs, on PostgreSQL takes the write transaction with the case's row locked
/// (so that no other instance moves the head before the commit), and pushes the entry: one
/// entry, one signature, and the grants checked against the log after it.
async fn verify_locked(
    state: &AppState,
    ws: WorkspaceId,
    case: CaseId,
    slot: &mut Slot<CaseLog>,
    ws_slot: &mut Slot<MembershipLog>,
    row: &CaseRow,
    req: &CaseAppendRequest,
) -> Result<(CaseLog, Option<sqlx::Transaction<'static, Any>>), ApiError> {
    let ws_head = stored_head(state.db.read(), &ws)
        .await?
        .ok_or_else(ApiError::not_found)?;
    sync_log(state, ws, ws_slot, &ws_head).await?;
    sync_case_log(state, case, slot, ws_slot, row).await?;
    let tx = match state.db.backend() {
        Backend::Postgres => {
            let mut tx = state.db.begin().await?;
            let locked: Option<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT head_seq, head_hash FROM cases WHERE id = $1 FOR UPDATE")
                    .bind(&case.as_bytes()[..])
                    .fetch_optional(&mut *tx)
                    .await?;
            if locked.is_none_or(|(seq, hash)| seq != row.head_seq || hash != row.head_hash) {
                return Err(head_moved());
            }
            Some(tx)
        }
        Backend::Sqlite => None,
    };
    let mut log = slot
        .log
        .take()
        .ok_or_else(|| ApiError::internal(&"no case log after a sync"))?;
    let bytes = req.entry.0.clone();
    let grants: Vec<Vec<u8>> = req.grants.iter().map(|g| g.grant.0.clone()).collect();
    let (log, pushed) = with_workspace_log(ws_slot, move |ws_log| {
        let pushed = match log.push(ws_log, bytes) {
            // The log is unchanged.
            Err(e) => Err((invalid_entry(&e), true)),
            // The log is ahead of the database: it is dropped, not cached.
            Ok(()) => check_grants(&log, ws_log, &grants).map_err(|e| (e, false)),
        };
        (log, pushed)
    })
    .await?;
    state.logs.metrics.case_verified(1);
    match pushed {
        Ok(()) => {}
        Err((e, unchanged)) => {
            if unchanged {
                slot.log = Some(log);
            }
            return Err(e);
        }
    }
    Ok((log, tx))
}

// ---------- grants ---------------------------------------------------------------------

/// `GET /api/workspaces/{ws}/cases/{case}/grants`: the case grants addressed to the
/// caller, oldest first; none for a deleted case.
///
/// # Errors
/// 404 for a caller not on the case.
pub async fn get_case_grants(
    State(state): State<AppState>,
    session: Session,
    Path((ws, case)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let case = wire::case_id(&case)?;
    let (_, deleted) = case_membership(&state, &ws, &case, &session.member_id).await?;
    let mut grants: Vec<B64> = Vec::new();
    if !deleted {
        let row = case_row(state.db.read(), &ws, &case)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let stored = state.keys.of_member(&case, &session.member_id).await?;
        if !stored.is_empty() {
            // Only the grants of entries in the stored log (keystore.rs).
            let hashes: HashMap<i64, Vec<u8>> = sqlx::query_as::<_, (i64, Vec<u8>)>(
                "SELECT seq, hash FROM case_log_entries WHERE case_id = $1 AND seq <= $2",
            )
            .bind(&case.as_bytes()[..])
            .bind(row.head_seq)
            .fetch_all(state.db.read())
            .await?
            .into_iter()
            .collect();
            grants = stored
                .into_iter()
                .filter(|g| hashes.get(&g.seq) == Some(&g.entry_hash))
                .map(|g| B64(g.body))
                .collect();
        }
    }
    Ok(axum::Json(serde_json::json!({ "grants": grants })))
}

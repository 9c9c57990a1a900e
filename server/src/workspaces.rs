//! Member bundles, workspaces and their membership logs, grants, history links and
//! invite acceptances: the public and key-carrying data of a workspace.
//!
//! The server stores an entry only once [`MembershipLog::push`] accepts it on top of the
//! verified log (server/README.md#the-log-incremental-verification), and keeps what the log
//! defines in the database: the head, the roster and the invites. Every route but an append
//! checks those rows and nothing else, so its cost does not depend on the log's length.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use confide::{
    Acceptance, EntryChange, ErrorCode, GRANT_LEN, HISTORY_LINK_LEN, LogEntry, MembershipLog, Role,
    WorkspaceId,
};
use serde::{Deserialize, Serialize};
use sqlx::Any;

use crate::AppState;
use crate::auth::Session;
use crate::db::{Backend, flag, signed};
use crate::error::ApiError;
use crate::logcache::Slot;
use crate::ratelimit::Key;
use crate::wire::{self, B64, Json, Path, Query, now_ms, now_s};

/// A log position: the last entry's seq and its entry hash (FORMAT.md#entry-hash).
#[derive(Serialize)]
pub struct HeadJson {
    pub(crate) seq: u32,
    pub(crate) hash: B64,
}

/// A grant addressed to one member.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantJson {
    pub(crate) member_id: B64,
    pub(crate) grant: B64,
}

pub(crate) fn invalid_entry(e: &dyn ErrorCode) -> ApiError {
    ApiError::unprocessable(
        "invalid_entry",
        format!("the log does not verify with this entry: {}", e.code()),
    )
}

/// The caller's role in `ws` per the stored roster: `Some(admin)`, or `None`.
///
/// # Errors
/// Database errors only.
pub async fn role(
    state: &AppState,
    ws: &WorkspaceId,
    member: &[u8; 32],
) -> Result<Option<bool>, ApiError> {
    let admin: Option<i64> =
        sqlx::query_scalar("SELECT admin FROM roster WHERE workspace_id = $1 AND member_id = $2")
            .bind(&ws.as_bytes()[..])
            .bind(&member[..])
            .fetch_optional(state.db.read())
            .await?;
    Ok(admin.map(|a| a != 0))
}

/// [`role`], with "not a member" as 404: a non-member cannot tell a workspace it is not in
/// from one that does not exist. Returns whether the member is an admin.
///
/// # Errors
/// 404 for a non-member.
pub async fn require_member(
    state: &AppState,
    ws: &WorkspaceId,
    member: &[u8; 32],
) -> Result<bool, ApiError> {
    role(state, ws, member)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The stored head and size of a log.
pub(crate) struct StoredHead {
    pub(crate) seq: i64,
    pub(crate) hash: Vec<u8>,
    pub(crate) log_bytes: i64,
}

/// The stored head of `ws`'s membership log.
///
/// # Errors
/// Database errors only.
pub(crate) async fn stored_head<'e, E>(
    db: E,
    ws: &WorkspaceId,
) -> Result<Option<StoredHead>, ApiError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row: Option<(i64, Vec<u8>, i64)> =
        sqlx::query_as("SELECT head_seq, head_hash, log_bytes FROM workspaces WHERE id = $1")
            .bind(&ws.as_bytes()[..])
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(seq, hash, log_bytes)| StoredHead {
        seq,
        hash,
        log_bytes,
    }))
}

/// Whether `log`'s head is the stored one.
fn at_head(log: &MembershipLog, head: &StoredHead) -> bool {
    i64::from(log.head().seq()) == head.seq && log.head().hash()[..] == head.hash[..]
}

/// Brings the cached log of `ws` to the stored head: nothing if it is there, the missing
/// entries if it is behind (another instance appended), the whole log once if it is
/// missing or off the chain. Verification runs on the blocking pool.
pub(crate) async fn sync_log(
    state: &AppState,
    ws: WorkspaceId,
    slot: &mut Slot<MembershipLog>,
    head: &StoredHead,
) -> Result<(), ApiError> {
    if let Some(log) = &slot.log {
        if at_head(log, head) {
            return Ok(());
        }
        let cached = i64::from(log.head().seq());
        if cached < head.seq {
            let missing: Vec<Vec<u8>> = sqlx::query_scalar(
                "SELECT entry FROM log_entries WHERE workspace_id = $1 AND seq > $2 \
                 ORDER BY seq",
            )
            .bind(&ws.as_bytes()[..])
            .bind(cached)
            .fetch_all(state.db.read())
            .await?;
            let n = missing.len();
            if let Some(mut log) = slot.log.take() {
                let log = tokio::task::spawn_blocking(move || {
                    for entry in missing {
                        log.push(entry).ok()?;
                    }
                    Some(log)
                })
                .await
                .map_err(|e| ApiError::internal(&e))?;
                state.logs.metrics.verified(n);
                if let Some(log) = log.filter(|l| at_head(l, head)) {
                    slot.log = Some(log);
                    return Ok(());
                }
            }
        }
        slot.log = None;
    }
    // Cold: verify the whole log once.
    let _permit = state.logs.cold_permit().await;
    let entries: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT entry FROM log_entries WHERE workspace_id = $1 ORDER BY seq")
            .bind(&ws.as_bytes()[..])
            .fetch_all(state.db.read())
            .await?;
    let n = entries.len();
    let log = tokio::task::spawn_blocking(move || MembershipLog::verify_owned(entries))
        .await
        .map_err(|e| ApiError::internal(&e))?
        // Only verified entries are stored, so this is corruption.
        .map_err(|e| ApiError::internal(&e.code()))?;
    state.logs.metrics.verified(n);
    state
        .logs
        .metrics
        .full_verifications
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    slot.log = Some(log);
    Ok(())
}

/// What one verified entry changes in the stored rows.
struct Effects {
    ws: WorkspaceId,
    entry: Vec<u8>,
    seq: u32,
    hash: [u8; 32],
    epoch: u32,
    change: EntryChange,
    /// Admitted or created member: (id, admin, bundle).
    joined: Option<([u8; 32], bool, Vec<u8>)>,
}

impl Effects {
    fn of(log: &MembershipLog, entry: Vec<u8>, change: EntryChange) -> Self {
        let joined_id = match change {
            EntryChange::Create { creator_id } => Some(creator_id),
            EntryChange::Admit { member_id, .. } => Some(member_id),
            _ => None,
        };
        let joined = joined_id.and_then(|id| {
            log.member(&id)
                .map(|m| (id, m.role() == Role::Admin, m.bundle_bytes().to_vec()))
        });
        Self {
            ws: log.workspace_id(),
            entry,
            seq: log.head().seq(),
            hash: log.head().hash(),
            epoch: log.epoch(),
            change,
            joined,
        }
    }

    /// Writes the entry and what it changes: O(1) rows whatever the log's length.
    async fn write(&self, tx: &mut sqlx::Transaction<'static, Any>) -> Result<(), ApiError> {
        let ws = &self.ws.as_bytes()[..];
        sqlx::query("INSERT INTO log_entries (workspace_id, seq, entry) VALUES ($1, $2, $3)")
            .bind(ws)
            .bind(i64::from(self.seq))
            .bind(&self.entry)
            .execute(&mut **tx)
            .await?;
        if let Some((id, admin, bundle)) = &self.joined {
            sqlx::query(
                "INSERT INTO roster (workspace_id, member_id, admin) VALUES ($1, $2, $3) \
                 ON CONFLICT (workspace_id, member_id) DO UPDATE SET admin = excluded.admin",
            )
            .bind(ws)
            .bind(&id[..])
            .bind(flag(*admin))
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO members (id, bundle) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id[..])
            .bind(bundle)
            .execute(&mut **tx)
            .await?;
        }
        match self.change {
            EntryChange::Invite {
                invite_id,
                expires_at,
                ..
            } => {
                sqlx::query(
                    "INSERT INTO invites (workspace_id, invite_id, expires_at, used) \
                     VALUES ($1, $2, $3, 0)",
                )
                .bind(ws)
                .bind(&invite_id[..])
                .bind(signed(expires_at))
                .execute(&mut **tx)
                .await?;
            }
            EntryChange::Admit { invite_id, .. } => {
                sqlx::query(
                    "UPDATE invites SET used = 1 WHERE workspace_id = $1 AND invite_id = $2",
                )
                .bind(ws)
                .bind(&invite_id[..])
                .execute(&mut **tx)
                .await?;
                // The invite is closed: its other acceptances are of no use.
                sqlx::query("DELETE FROM acceptances WHERE workspace_id = $1 AND invite_id = $2")
                    .bind(ws)
                    .bind(&invite_id[..])
                    .execute(&mut **tx)
                    .await?;
            }
            EntryChange::Remove { member_id, .. } => {
                sqlx::query("DELETE FROM roster WHERE workspace_id = $1 AND member_id = $2")
                    .bind(ws)
                    .bind(&member_id[..])
                    .execute(&mut **tx)
                    .await?;
            }
            EntryChange::SetRole { member_id, role } => {
                sqlx::query(
                    "UPDATE roster SET admin = $3 WHERE workspace_id = $1 AND member_id = $2",
                )
                .bind(ws)
                .bind(&member_id[..])
                .bind(flag(role == Role::Admin))
                .execute(&mut **tx)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether `id` is a current member once `change` is applied to `log`.
fn active_after(log: &MembershipLog, change: &EntryChange, id: &[u8; 32]) -> bool {
    match change {
        EntryChange::Admit { member_id, .. } if member_id == id => true,
        EntryChange::Remove { member_id, .. } if member_id == id => false,
        _ => log.is_active(id),
    }
}

fn check_grant_shapes(grants: &[GrantJson]) -> Result<Vec<[u8; 32]>, ApiError> {
    grants
        .iter()
        .map(|g| {
            if g.grant.0.len() != GRANT_LEN {
                return Err(ApiError::bad_request(
                    "invalid_grant",
                    format!("a grant is {GRANT_LEN} bytes"),
                ));
            }
            <[u8; 32]>::try_from(g.member_id.0.as_slice()).map_err(|_| not_a_member())
        })
        .collect()
}

fn not_a_member() -> ApiError {
    ApiError::unprocessable(
        "not_a_member",
        "a grant is addressed to someone who is not a current member",
    )
}

async fn insert_grants(
    tx: &mut sqlx::Transaction<'static, Any>,
    ws: &WorkspaceId,
    grants: &[GrantJson],
) -> Result<(), ApiError> {
    for g in grants {
        sqlx::query("INSERT INTO grants (workspace_id, member_id, body) VALUES ($1, $2, $3)")
            .bind(&ws.as_bytes()[..])
            .bind(&g.member_id.0)
            .bind(&g.grant.0)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn check_history_link(link: &[u8]) -> Result<(), ApiError> {
    if link.len() == HISTORY_LINK_LEN {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_history_link",
            format!("a history link is {HISTORY_LINK_LEN} bytes"),
        ))
    }
}

async fn insert_history(
    tx: &mut sqlx::Transaction<'static, Any>,
    ws: &WorkspaceId,
    link: &[u8],
) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO history_links (workspace_id, body) VALUES ($1, $2)")
        .bind(&ws.as_bytes()[..])
        .bind(link)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// How many workspaces `member` is in.
async fn workspaces_of(state: &AppState, member: &[u8; 32]) -> Result<u64, ApiError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roster WHERE member_id = $1")
        .bind(&member[..])
        .fetch_one(state.db.read())
        .await?;
    Ok(crate::db::unsigned(n))
}

// ---------- members ----------------------------------------------------------------

/// `GET /api/members/{memberId}`: the bundle of a member of some workspace, or of an
/// invitee who posted an acceptance.
///
/// # Errors
/// 404 for an unknown member.
pub async fn get_member(
    State(state): State<AppState>,
    _session: Session,
    Path(member): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = wire::member_id(&member)?;
    let bundle: Option<Vec<u8>> = sqlx::query_scalar("SELECT bundle FROM members WHERE id = $1")
        .bind(&id[..])
        .fetch_optional(state.db.read())
        .await?;
    let bundle = bundle.ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(serde_json::json!({
        "memberId": B64(id.to_vec()),
        "bundle": B64(bundle),
    })))
}

// ---------- workspaces and the log --------------------------------------------------

/// `GET /api/workspaces`: the workspaces the caller is a current member of.
///
/// # Errors
/// Database errors only.
pub async fn list_workspaces(
    State(state): State<AppState>,
    session: Session,
) -> Result<impl IntoResponse, ApiError> {
    let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT workspace_id, admin FROM roster WHERE member_id = $1 ORDER BY workspace_id",
    )
    .bind(&session.member_id[..])
    .fetch_all(state.db.read())
    .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(id, admin)| serde_json::json!({ "workspaceId": B64(id), "admin": admin != 0 }))
        .collect();
    Ok(axum::Json(serde_json::json!({ "workspaces": list })))
}

/// `POST /api/workspaces` body: the genesis entry, and optionally grants (the creator's own).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    entry: B64,
    #[serde(default)]
    grants: Vec<GrantJson>,
}

/// Creates a workspace from its genesis entry, signed by the caller.
///
/// # Errors
/// 429 over the rate limit; 507 at the member's workspace cap; 422 if the entry is not a
/// valid genesis entry; 403 if someone else signed it; 409 if the workspace exists.
pub async fn create_workspace(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateRequest>,
) -> Result<impl IntoResponse, ApiError> {
    state
        .limiters
        .workspaces
        .check(Key::Member(session.member_id))?;
    state.disk.check_writable()?;
    if workspaces_of(&state, &session.member_id).await? >= state.config.limits.workspaces_per_member
    {
        return Err(ApiError::quota(
            "this member is in as many workspaces as it may be",
        ));
    }
    let entry = LogEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?;
    if entry.signer_id() != session.member_id {
        return Err(ApiError::forbidden(
            "the genesis entry must be signed by the session's member",
        ));
    }
    let change = entry.change();
    let log = MembershipLog::from_genesis(req.entry.0.clone()).map_err(|e| invalid_entry(&e))?;
    state.logs.metrics.verified(1);
    let recipients = check_grant_shapes(&req.grants)?;
    if !recipients.iter().all(|r| log.is_active(r)) {
        return Err(not_a_member());
    }
    let ws = log.workspace_id();
    let effects = Effects::of(&log, req.entry.0, change);
    let mut tx = state.db.begin().await?;
    let created = sqlx::query(
        "INSERT INTO workspaces (id, head_seq, head_hash, log_bytes, epoch, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&ws.as_bytes()[..])
    .bind(i64::from(effects.seq))
    .bind(&effects.hash[..])
    .bind(signed(u64::try_from(log.byte_len()).unwrap_or(u64::MAX)))
    .bind(i64::from(effects.epoch))
    .bind(&session.member_id[..])
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if created == 0 {
        return Err(ApiError::conflict(
            "exists",
            "this workspace exists already",
        ));
    }
    effects.write(&mut tx).await?;
    insert_grants(&mut tx, &ws, &req.grants).await?;
    tx.commit().await?;
    let head = HeadJson {
        seq: effects.seq,
        hash: B64(effects.hash.to_vec()),
    };
    // Warm the cache: the first append verifies one entry.
    let mut slot = state.logs.lock(*ws.as_bytes()).await;
    if slot.log.is_none() {
        let bytes = log.byte_len();
        slot.log = Some(log);
        drop(slot);
        state.logs.account(*ws.as_bytes(), bytes);
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({
            "workspaceId": B64(ws.as_bytes().to_vec()),
            "head": head,
        })),
    ))
}

/// `GET /api/workspaces/{id}/log` query.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Only entries after this seq (for a client that has the rest).
    pub(crate) after: Option<u32>,
}

/// `GET /api/workspaces/{id}/log`: the entries (all, or after `?after=seq`) and the head.
///
/// # Errors
/// 404 for a non-member.
pub async fn get_log(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    // The head first, then the entries up to it: entries never change once stored, so
    // the answer is consistent even while appends go on.
    let head = stored_head(state.db.read(), &ws)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let after = query.after.map_or(-1, i64::from);
    let entries: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT entry FROM log_entries WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 \
         ORDER BY seq",
    )
    .bind(&ws.as_bytes()[..])
    .bind(after)
    .bind(head.seq)
    .fetch_all(state.db.read())
    .await?;
    let entries: Vec<B64> = entries.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({
        "workspaceId": B64(ws.as_bytes().to_vec()),
        "entries": entries,
        "head": HeadJson {
            seq: u32::try_from(head.seq).unwrap_or(u32::MAX),
            hash: B64(head.hash),
        },
    })))
}

/// `POST /api/workspaces/{id}/log` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppendRequest {
    /// The seq of the head the entry was built on: the caller's last entry.
    expected_seq: u32,
    entry: B64,
    /// Grants that go with the entry (an admission's, a rotation's), stored atomically.
    #[serde(default)]
    grants: Vec<GrantJson>,
    /// A rotation's history link, stored atomically with it.
    history_link: Option<B64>,
}

/// Appends one entry if the head is still at `expectedSeq` (compare-and-swap) and the
/// entry verifies on top of the log.
///
/// # Errors
/// 404 for a non-member; 403 for an entry the caller did not sign; 409 `head_moved` if the
/// log has moved on; 422 if the entry does not verify, the log is full, or a grant is for a
/// non-member; 429 over the rate limit.
pub async fn append_log(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Json(req): Json<AppendRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    // Cheap checks first, in order of cost: the roster, the rate, the entry's header and
    // signer, the stored head, the caps. No log work happens before all of them pass.
    let admin = require_member(&state, &ws, &session.member_id).await?;
    state
        .limiters
        .appends
        .check(Key::Member(session.member_id))?;
    state.disk.check_writable()?;
    let entry = LogEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?;
    if entry.signer_id() != session.member_id {
        return Err(ApiError::forbidden(
            "an entry is appended by the member who signed it",
        ));
    }
    if !admin {
        return Err(invalid_entry(&confide::MembershipError::NotAuthorized));
    }
    let head = stored_head(state.db.read(), &ws)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check_expected(&req, &entry, head.seq)?;
    let limits = &state.config.limits;
    let entry_len = req.entry.0.len();
    if usize::try_from(head.seq + 2).unwrap_or(usize::MAX) > limits.log_entries
        || usize::try_from(head.log_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(entry_len)
            > limits.log_total_bytes
    {
        return Err(ApiError::unprocessable(
            "log_too_large",
            "the log is at its cap of entries or bytes (see the server's README)",
        ));
    }
    let change = entry.change();
    match change {
        EntryChange::Invite { expires_at, .. } if expires_at <= now_s() => {
            // FORMAT.md#invite-entry: expiry is by the admin's clock. One already past by
            // the server's could never be answered: say so now, not with a 404 later.
            return Err(ApiError::unprocessable(
                "invite_expired",
                "the invite has expired by the server's clock: check this device's clock",
            ));
        }
        EntryChange::Admit { member_id, .. }
            if workspaces_of(&state, &member_id).await? >= limits.workspaces_per_member =>
        {
            return Err(ApiError::quota(
                "the invitee is in as many workspaces as it may be",
            ));
        }
        _ => {}
    }
    let recipients = check_grant_shapes(&req.grants)?;
    if let Some(link) = &req.history_link {
        check_history_link(&link.0)?;
    }

    // The log itself: under this workspace's lock, at the stored head.
    let mut slot = state.logs.lock(*ws.as_bytes()).await;
    let result = append_locked(&state, ws, &mut slot, &req, change, &recipients).await;
    let bytes = slot.log.as_ref().map_or(0, MembershipLog::byte_len);
    drop(slot);
    state.logs.account(*ws.as_bytes(), bytes);
    let (head, epoch) = result?;
    Ok(axum::Json(
        serde_json::json!({ "head": head, "epoch": epoch }),
    ))
}

fn check_expected(req: &AppendRequest, entry: &LogEntry, head_seq: i64) -> Result<(), ApiError> {
    if i64::from(req.expected_seq) != head_seq {
        return Err(ApiError::conflict(
            "head_moved",
            format!("the log's head is at seq {head_seq}: fetch the log and retry"),
        ));
    }
    if Some(entry.seq()) != req.expected_seq.checked_add(1) {
        return Err(ApiError::unprocessable(
            "invalid_entry",
            "the entry's seq does not follow expectedSeq",
        ));
    }
    Ok(())
}

async fn append_locked(
    state: &AppState,
    ws: WorkspaceId,
    slot: &mut Slot<MembershipLog>,
    req: &AppendRequest,
    change: EntryChange,
    recipients: &[[u8; 32]],
) -> Result<(HeadJson, u32), ApiError> {
    let head = stored_head(state.db.read(), &ws)
        .await?
        .ok_or_else(ApiError::not_found)?;
    sync_log(state, ws, slot, &head).await?;
    let Some(log) = slot.log.as_ref() else {
        return Err(ApiError::internal(&"no log after a sync"));
    };
    // The head may have moved while this request waited for the lock.
    check_expected(
        req,
        &LogEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?,
        i64::from(log.head().seq()),
    )?;
    if !recipients.iter().all(|r| active_after(log, &change, r)) {
        return Err(not_a_member());
    }
    // PostgreSQL: lock this workspace's row (and nothing else) before the entry is applied,
    // so that no other instance can move the head between the check and the commit.
    let mut pg_tx = None;
    if state.db.backend() == Backend::Postgres {
        let mut tx = state.db.begin().await?;
        let locked: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT head_seq, head_hash FROM workspaces WHERE id = $1 FOR UPDATE")
                .bind(&ws.as_bytes()[..])
                .fetch_optional(&mut *tx)
                .await?;
        if locked.is_none_or(|(seq, hash)| seq != head.seq || hash != head.hash) {
            return Err(ApiError::conflict(
                "head_moved",
                "the log's head moved: fetch the log and retry",
            ));
        }
        pg_tx = Some(tx);
    }
    // One entry, one signature: the log grows by it or stays as it was.
    let Some(mut log) = slot.log.take() else {
        return Err(ApiError::internal(&"no log after a sync"));
    };
    let entry = req.entry.0.clone();
    let (log, pushed) = tokio::task::spawn_blocking(move || {
        let pushed = log.push(entry);
        (log, pushed)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    state.logs.metrics.verified(1);
    let effects = match pushed {
        Ok(()) => Effects::of(&log, req.entry.0.clone(), change),
        Err(e) => {
            slot.log = Some(log);
            return Err(invalid_entry(&e));
        }
    };
    let log_bytes = signed(u64::try_from(log.byte_len()).unwrap_or(u64::MAX));
    // SQLite: the write lock is taken only now, after the verification.
    let mut tx = match pg_tx {
        Some(tx) => tx,
        None => state.db.begin().await?,
    };
    let committed = async {
        let moved = sqlx::query(
            "UPDATE workspaces SET head_seq = $2, head_hash = $3, log_bytes = $4, epoch = $5 \
             WHERE id = $1 AND head_seq = $6 AND head_hash = $7",
        )
        .bind(&ws.as_bytes()[..])
        .bind(i64::from(effects.seq))
        .bind(&effects.hash[..])
        .bind(log_bytes)
        .bind(i64::from(effects.epoch))
        .bind(head.seq)
        .bind(&head.hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Err(ApiError::conflict(
                "head_moved",
                "the log's head moved: fetch the log and retry",
            ));
        }
        effects.write(&mut tx).await?;
        insert_grants(&mut tx, &ws, &req.grants).await?;
        if let Some(link) = &req.history_link {
            insert_history(&mut tx, &ws, &link.0).await?;
        }
        tx.commit().await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match committed {
        Ok(()) => {
            slot.log = Some(log);
            Ok((
                HeadJson {
                    seq: effects.seq,
                    hash: B64(effects.hash.to_vec()),
                },
                effects.epoch,
            ))
        }
        // The log is ahead of the database: the next append verifies it again.
        Err(e) => Err(e),
    }
}

// ---------- grants and history links -------------------------------------------------

/// `POST /api/workspaces/{id}/grants` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantsRequest {
    grants: Vec<GrantJson>,
}

/// Stores a batch of grants (admins only), each for a current member.
///
/// # Errors
/// 404 for a non-member, 403 for a non-admin, 422 for a grant to a non-member.
pub async fn post_grants(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Json(req): Json<GrantsRequest>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    if !require_member(&state, &ws, &session.member_id).await? {
        return Err(ApiError::forbidden("only admins post grants"));
    }
    state.disk.check_writable()?;
    let recipients = check_grant_shapes(&req.grants)?;
    let mut tx = state.db.begin().await?;
    for r in &recipients {
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT admin FROM roster WHERE workspace_id = $1 AND member_id = $2",
        )
        .bind(&ws.as_bytes()[..])
        .bind(&r[..])
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_none() {
            return Err(not_a_member());
        }
    }
    insert_grants(&mut tx, &ws, &req.grants).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{id}/grants`: the grants addressed to the caller, oldest first.
///
/// # Errors
/// 404 for a non-member.
pub async fn get_grants(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    let grants: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT body FROM grants WHERE workspace_id = $1 AND member_id = $2 ORDER BY id",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&session.member_id[..])
    .fetch_all(state.db.read())
    .await?;
    let grants: Vec<B64> = grants.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({ "grants": grants })))
}

/// `POST /api/workspaces/{id}/history` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    links: Vec<B64>,
}

/// Stores history links (admins only).
///
/// # Errors
/// 404 for a non-member, 403 for a non-admin, 400 for a link of the wrong length.
pub async fn post_history(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Json(req): Json<HistoryRequest>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    if !require_member(&state, &ws, &session.member_id).await? {
        return Err(ApiError::forbidden("only admins post history links"));
    }
    state.disk.check_writable()?;
    for link in &req.links {
        check_history_link(&link.0)?;
    }
    let mut tx = state.db.begin().await?;
    for link in &req.links {
        insert_history(&mut tx, &ws, &link.0).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{id}/history`: every history link, oldest first.
///
/// # Errors
/// 404 for a non-member.
pub async fn get_history(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    require_member(&state, &ws, &session.member_id).await?;
    let links: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM history_links WHERE workspace_id = $1 ORDER BY id")
            .bind(&ws.as_bytes()[..])
            .fetch_all(state.db.read())
            .await?;
    let links: Vec<B64> = links.into_iter().map(B64).collect();
    Ok(axum::Json(serde_json::json!({ "links": links })))
}

// ---------- invite acceptances -------------------------------------------------------

/// `POST /api/workspaces/{id}/invites/{inviteId}/acceptances` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceRequest {
    acceptance: B64,
}

/// Stores the caller's acceptance of an open invite. The caller is not a member yet:
/// the invite id (known only to holders of the link, and to members) is what lets it in.
///
/// The invite is looked up first, by its key in the invites table: nothing about the log
/// is read, so the answer takes the same time whatever the log's length.
///
/// # Errors
/// 404 unless the invite is in the log; 409 `invite_used`; 410 `invite_expired` (by the
/// server's clock); 400 for a malformed acceptance or one for another invite; 403 if it
/// names another member; 409 `already_member` for a current member; 409
/// `too_many_acceptances` at the invite's cap; 429 over the rate limit.
pub async fn post_acceptance(
    State(state): State<AppState>,
    session: Session,
    Path((ws, invite)): Path<(String, String)>,
    Json(req): Json<AcceptanceRequest>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let invite = wire::invite_id(&invite)?;
    state
        .limiters
        .acceptances
        .check(Key::Member(session.member_id))?;
    let open: Option<(i64, i64)> = sqlx::query_as(
        "SELECT expires_at, used FROM invites WHERE workspace_id = $1 AND invite_id = $2",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&invite[..])
    .fetch_optional(state.db.read())
    .await?;
    match open {
        None => return Err(ApiError::not_found()),
        Some((_, used)) if used != 0 => {
            return Err(ApiError::conflict(
                "invite_used",
                "this invite has been used",
            ));
        }
        Some((expires_at, _)) if crate::db::unsigned(expires_at) < now_s() => {
            return Err(ApiError::gone(
                "invite_expired",
                "this invite has expired by the server's clock: ask for a new one",
            ));
        }
        Some(_) => {}
    }
    state.disk.check_writable()?;
    let acceptance = Acceptance::parse(&req.acceptance.0).map_err(|e| {
        ApiError::bad_request(
            "invalid_acceptance",
            format!("the acceptance does not parse: {}", e.code()),
        )
    })?;
    if acceptance.invite_id() != invite || acceptance.workspace_id() != ws {
        return Err(ApiError::bad_request(
            "invalid_acceptance",
            "the acceptance is for another invite or workspace",
        ));
    }
    let bundle = acceptance.bundle();
    if bundle.fingerprint().id() != session.member_id {
        return Err(ApiError::forbidden(
            "the acceptance names another member than the session's",
        ));
    }
    if role(&state, &ws, &session.member_id).await?.is_some() {
        return Err(ApiError::conflict(
            "already_member",
            "a current member cannot answer an invite of its own workspace",
        ));
    }
    let bundle = bundle.as_bytes().to_vec();
    let mut tx = state.db.begin().await?;
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM acceptances \
         WHERE workspace_id = $1 AND invite_id = $2 AND member_id != $3",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&invite[..])
    .bind(&session.member_id[..])
    .fetch_one(&mut *tx)
    .await?;
    if crate::db::unsigned(others) >= state.config.limits.acceptances_per_invite {
        return Err(ApiError::conflict(
            "too_many_acceptances",
            "this invite has as many acceptances as it may hold",
        ));
    }
    sqlx::query("INSERT INTO members (id, bundle) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(&session.member_id[..])
        .bind(&bundle)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO acceptances (workspace_id, invite_id, member_id, body) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, invite_id, member_id) \
         DO UPDATE SET body = excluded.body",
    )
    .bind(&ws.as_bytes()[..])
    .bind(&invite[..])
    .bind(&session.member_id[..])
    .bind(&req.acceptance.0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/workspaces/{id}/acceptances` query.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptancesQuery {
    invite_id: Option<String>,
}

/// `GET /api/workspaces/{id}/acceptances[?inviteId=...]`: pending acceptances of open
/// invites, for an admin to verify and admit.
///
/// # Errors
/// 404 for a non-member.
pub async fn get_acceptances(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Query(query): Query<AcceptancesQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let filter = query
        .invite_id
        .as_deref()
        .map(wire::invite_id)
        .transpose()?;
    require_member(&state, &ws, &session.member_id).await?;
    const OPEN: &str = "SELECT a.invite_id, a.member_id, a.body FROM acceptances a \
         JOIN invites i ON i.workspace_id = a.workspace_id AND i.invite_id = a.invite_id \
         WHERE a.workspace_id = $1 AND i.used = 0 AND i.expires_at >= $2";
    let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = match filter {
        Some(invite) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{OPEN} AND a.invite_id = $3 ORDER BY a.id"
            )))
            .bind(&ws.as_bytes()[..])
            .bind(signed(now_s()))
            .bind(invite.to_vec())
            .fetch_all(state.db.read())
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{OPEN} ORDER BY a.id")))
                .bind(&ws.as_bytes()[..])
                .bind(signed(now_s()))
                .fetch_all(state.db.read())
                .await?
        }
    };
    let list: Vec<_> = rows
        .into_iter()
        .map(|(invite, member, body)| {
            serde_json::json!({
                "inviteId": B64(invite),
                "memberId": B64(member),
                "acceptance": B64(body),
            })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "acceptances": list })))
}

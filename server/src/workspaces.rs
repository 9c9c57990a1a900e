//! Member bundles, workspaces and their membership logs, grants, history links and
//! invite acceptances: the public and key-carrying data of a workspace.
//!
//! The server stores a log only if [`MembershipLog::verify`] accepts it, and takes the
//! workspace's roster from that verification; every route below checks the caller
//! against that roster.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use confide::{
    Acceptance, ErrorCode, GRANT_LEN, HISTORY_LINK_LEN, LogEntry, MembershipLog, WorkspaceId,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::store::require_member;
use crate::wire::{self, B64, Json, Path, Query, now_ms};

/// At most this many different invitees may post an acceptance under one invite.
const MAX_ACCEPTANCES_PER_INVITE: i64 = 8;

/// A log position: the last entry's seq and its entry hash (FORMAT.md#entry-hash).
#[derive(Serialize)]
pub struct HeadJson {
    seq: u32,
    hash: B64,
}

fn head_of(log: &MembershipLog) -> HeadJson {
    HeadJson {
        seq: log.head().seq(),
        hash: B64(log.head().hash().to_vec()),
    }
}

/// A grant addressed to one member.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantJson {
    member_id: B64,
    grant: B64,
}

fn invalid_entry(e: &dyn ErrorCode) -> ApiError {
    ApiError::unprocessable(
        "invalid_entry",
        format!("the log does not verify with this entry: {}", e.code()),
    )
}

/// The stored entries of a workspace, oldest first; empty if there is none.
fn load_entries(conn: &Connection, ws: &[u8]) -> Result<Vec<Vec<u8>>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT entry FROM log_entries WHERE workspace_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([ws], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores what a newly verified log implies: the new entry, the roster, the bundles of
/// everyone in it, and drops acceptances whose invite is no longer open.
fn commit_log(
    tx: &Connection,
    log: &MembershipLog,
    entry: &[u8],
    grants: &[GrantJson],
    history_link: Option<&B64>,
) -> Result<(), ApiError> {
    let ws = log.workspace_id();
    let ws = &ws.as_bytes()[..];
    tx.execute(
        "INSERT INTO log_entries (workspace_id, seq, entry) VALUES (?1, ?2, ?3)",
        (ws, log.head().seq(), entry),
    )?;
    tx.execute(
        "DELETE FROM workspace_members WHERE workspace_id = ?1",
        [ws],
    )?;
    for member in log.members() {
        let id = member.id();
        tx.execute(
            "INSERT INTO workspace_members (workspace_id, member_id, admin) VALUES (?1, ?2, ?3)",
            (ws, &id[..], member.role() == confide::Role::Admin),
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO members (id, bundle) VALUES (?1, ?2)",
            (&id[..], member.bundle_bytes()),
        )?;
    }
    insert_grants(tx, log, grants)?;
    if let Some(link) = history_link {
        insert_history(tx, ws, &link.0)?;
    }
    let now_s = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let mut stmt =
        tx.prepare_cached("SELECT DISTINCT invite_id FROM acceptances WHERE workspace_id = ?1")?;
    let invites: Vec<Vec<u8>> = stmt
        .query_map([ws], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for invite in invites {
        let open =
            <[u8; 32]>::try_from(invite.as_slice()).is_ok_and(|id| log.invite_is_open(&id, now_s));
        if !open {
            tx.execute(
                "DELETE FROM acceptances WHERE workspace_id = ?1 AND invite_id = ?2",
                (ws, &invite),
            )?;
        }
    }
    Ok(())
}

/// Grants go only to current members, and must have a grant's length.
fn insert_grants(
    tx: &Connection,
    log: &MembershipLog,
    grants: &[GrantJson],
) -> Result<(), ApiError> {
    let ws = log.workspace_id();
    for g in grants {
        let recipient = <[u8; 32]>::try_from(g.member_id.0.as_slice()).ok();
        if !recipient.is_some_and(|id| log.is_active(&id)) {
            return Err(ApiError::unprocessable(
                "not_a_member",
                "a grant is addressed to someone who is not a current member",
            ));
        }
        if g.grant.0.len() != GRANT_LEN {
            return Err(ApiError::bad_request(
                "invalid_grant",
                format!("a grant is {GRANT_LEN} bytes"),
            ));
        }
        tx.execute(
            "INSERT INTO grants (workspace_id, member_id, body) VALUES (?1, ?2, ?3)",
            (&ws.as_bytes()[..], &g.member_id.0, &g.grant.0),
        )?;
    }
    Ok(())
}

fn insert_history(tx: &Connection, ws: &[u8], link: &[u8]) -> Result<(), ApiError> {
    if link.len() != HISTORY_LINK_LEN {
        return Err(ApiError::bad_request(
            "invalid_history_link",
            format!("a history link is {HISTORY_LINK_LEN} bytes"),
        ));
    }
    tx.execute(
        "INSERT INTO history_links (workspace_id, body) VALUES (?1, ?2)",
        (ws, link),
    )?;
    Ok(())
}

/// The verified log of a stored workspace, or 404.
fn stored_log(conn: &Connection, ws: &[u8]) -> Result<MembershipLog, ApiError> {
    let entries = load_entries(conn, ws)?;
    if entries.is_empty() {
        return Err(ApiError::not_found());
    }
    // Only verified logs are ever stored, so a failure here is corruption.
    MembershipLog::verify(&entries).map_err(|e| ApiError::internal(&e.code()))
}

// ---------- members ----------------------------------------------------------------

/// `GET /api/members/{memberId}`: a registered member's public bundle.
///
/// # Errors
/// 404 for an unknown member.
pub async fn get_member(
    State(state): State<AppState>,
    _session: Session,
    Path(member): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = wire::member_id(&member)?;
    let bundle: Option<Vec<u8>> = state
        .store
        .run(move |conn| {
            Ok(conn
                .query_row("SELECT bundle FROM members WHERE id = ?1", [&id[..]], |r| {
                    r.get(0)
                })
                .optional()?)
        })
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
    let rows: Vec<(Vec<u8>, bool)> = state
        .store
        .run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT workspace_id, admin FROM workspace_members WHERE member_id = ?1 \
                 ORDER BY workspace_id",
            )?;
            let rows = stmt.query_map([&session.member_id[..]], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|(id, admin)| serde_json::json!({ "workspaceId": B64(id), "admin": admin }))
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
/// 422 if the entry is not a valid genesis entry; 403 if someone else signed it;
/// 409 if the workspace exists.
pub async fn create_workspace(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<CreateRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (ws, head) = state
        .store
        .run(move |conn| {
            let log = MembershipLog::verify(&[&req.entry.0]).map_err(|e| invalid_entry(&e))?;
            if !log.is_active(&session.member_id) {
                return Err(ApiError::forbidden(
                    "the genesis entry must be signed by the session's member",
                ));
            }
            let ws = log.workspace_id();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM log_entries WHERE workspace_id = ?1)",
                [&ws.as_bytes()[..]],
                |r| r.get(0),
            )?;
            if exists {
                return Err(ApiError::conflict(
                    "exists",
                    "this workspace exists already",
                ));
            }
            commit_log(&tx, &log, &req.entry.0, &req.grants, None)?;
            tx.commit()?;
            Ok((ws, head_of(&log)))
        })
        .await?;
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
    after: Option<u32>,
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
    let entries = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            load_entries(conn, ws.as_bytes())
        })
        .await?;
    let head_seq = u32::try_from(entries.len().saturating_sub(1)).unwrap_or(u32::MAX);
    let head_hash = entries
        .last()
        .and_then(|e| LogEntry::parse(e).ok())
        .map(|e| e.hash())
        .unwrap_or_default();
    let skip = query.after.map_or(0, |a| {
        usize::try_from(a).unwrap_or(usize::MAX).saturating_add(1)
    });
    let entries: Vec<B64> = entries.into_iter().skip(skip).map(B64).collect();
    Ok(axum::Json(serde_json::json!({
        "workspaceId": B64(ws.as_bytes().to_vec()),
        "entries": entries,
        "head": HeadJson { seq: head_seq, hash: B64(head_hash.to_vec()) },
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
/// whole log verifies with it.
///
/// # Errors
/// 404 for a non-member; 409 `head_moved` if the log has moved on; 422 if the log would
/// not verify or a grant is for a non-member.
pub async fn append_log(
    State(state): State<AppState>,
    session: Session,
    Path(ws): Path<String>,
    Json(req): Json<AppendRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let (head, epoch) = state
        .store
        .run(move |conn| append(conn, ws, &session, &req))
        .await?;
    Ok(axum::Json(
        serde_json::json!({ "head": head, "epoch": epoch }),
    ))
}

fn append(
    conn: &mut Connection,
    ws: WorkspaceId,
    session: &Session,
    req: &AppendRequest,
) -> Result<(HeadJson, u32), ApiError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    require_member(&tx, ws.as_bytes(), &session.member_id)?;
    let mut entries = load_entries(&tx, ws.as_bytes())?;
    let head_seq = u32::try_from(entries.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if req.expected_seq != head_seq {
        return Err(ApiError::conflict(
            "head_moved",
            format!("the log's head is at seq {head_seq}: fetch the log and retry"),
        ));
    }
    let entry = LogEntry::parse(&req.entry.0).map_err(|e| invalid_entry(&e))?;
    if Some(entry.seq()) != head_seq.checked_add(1) {
        return Err(ApiError::unprocessable(
            "invalid_entry",
            "the entry's seq does not follow expectedSeq",
        ));
    }
    entries.push(req.entry.0.clone());
    // The whole log again, from genesis: the server stores only logs that verify.
    let log = MembershipLog::verify(&entries).map_err(|e| invalid_entry(&e))?;
    commit_log(
        &tx,
        &log,
        &req.entry.0,
        &req.grants,
        req.history_link.as_ref(),
    )?;
    tx.commit()?;
    Ok((head_of(&log), log.epoch()))
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
    state
        .store
        .run_as_admin(
            ws,
            session.member_id,
            "only admins post grants",
            move |tx| {
                let log = stored_log(tx, ws.as_bytes())?;
                insert_grants(tx, &log, &req.grants)
            },
        )
        .await?;
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
    let grants: Vec<Vec<u8>> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM grants WHERE workspace_id = ?1 AND member_id = ?2 ORDER BY id",
            )?;
            let rows =
                stmt.query_map((&ws.as_bytes()[..], &session.member_id[..]), |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
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
    state
        .store
        .run_as_admin(
            ws,
            session.member_id,
            "only admins post history links",
            move |tx| {
                for link in &req.links {
                    insert_history(tx, ws.as_bytes(), &link.0)?;
                }
                Ok(())
            },
        )
        .await?;
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
    let links: Vec<Vec<u8>> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM history_links WHERE workspace_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([&ws.as_bytes()[..]], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
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
/// the invite id (known only to holders of the link) is what lets it in.
///
/// # Errors
/// 400 for a malformed acceptance or one for another invite; 403 if it names another
/// member; 404 unless the invite is in the log, unused and unexpired.
pub async fn post_acceptance(
    State(state): State<AppState>,
    session: Session,
    Path((ws, invite)): Path<(String, String)>,
    Json(req): Json<AcceptanceRequest>,
) -> Result<StatusCode, ApiError> {
    let ws = wire::workspace_id(&ws)?;
    let invite = wire::invite_id(&invite)?;
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
    let bundle = bundle.as_bytes().to_vec();
    state
        .store
        .run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let log = stored_log(&tx, ws.as_bytes())?;
            let now_s = u64::try_from(now_ms() / 1000).unwrap_or(0);
            if !log.invite_is_open(&invite, now_s) {
                return Err(ApiError::not_found());
            }
            let others: i64 = tx.query_row(
                "SELECT COUNT(*) FROM acceptances \
                 WHERE workspace_id = ?1 AND invite_id = ?2 AND member_id != ?3",
                (&ws.as_bytes()[..], &invite[..], &session.member_id[..]),
                |r| r.get(0),
            )?;
            if others >= MAX_ACCEPTANCES_PER_INVITE {
                return Err(ApiError::conflict(
                    "too_many_acceptances",
                    "this invite has as many acceptances as it may hold",
                ));
            }
            tx.execute(
                "INSERT OR IGNORE INTO members (id, bundle) VALUES (?1, ?2)",
                (&session.member_id[..], &bundle),
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO acceptances (workspace_id, invite_id, member_id, body) \
                 VALUES (?1, ?2, ?3, ?4)",
                (
                    &ws.as_bytes()[..],
                    &invite[..],
                    &session.member_id[..],
                    &req.acceptance.0,
                ),
            )?;
            tx.commit()?;
            Ok(())
        })
        .await?;
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
    let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = state
        .store
        .run_as_member(ws, session.member_id, move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT invite_id, member_id, body FROM acceptances WHERE workspace_id = ?1 \
                 AND (?2 IS NULL OR invite_id = ?2) ORDER BY rowid",
            )?;
            let rows = stmt
                .query_map((&ws.as_bytes()[..], filter.as_ref().map(|f| &f[..])), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await?;
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

//! Where records and blobs live: a workspace's own, or one of its cases'
//! (server/README.md#cases). The two keep the same columns in their own tables (`records`
//! and `blobs`, keyed by workspace; `case_records` and `case_blobs`, keyed by case), so
//! each query is written once, with the table and key column filled in by [`Scope::sql`].
//! Both count against the workspace's caps.
//!
//! Who may do what differs: in a workspace, every member writes, and an admin may replace
//! or delete what another member wrote; in a case, its members read (either level), its
//! full members write, and any full member may replace or delete what another wrote. A
//! deleted case's records and blobs are gone: its routes answer 410 `case_deleted`.

use confide::{CaseId, WorkspaceId};
use sqlx::Any;

use crate::AppState;
use crate::db::Backend;
use crate::error::ApiError;
use crate::workspaces::require_member;

/// A workspace's own records and blobs, or a case's.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// The workspace's own (records of versions 1 and 2).
    Workspace(WorkspaceId),
    /// A case of the workspace (records of version 3).
    Case(WorkspaceId, CaseId),
}

/// What the caller may do in a scope.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// May write new records and blobs.
    pub write: bool,
    /// May replace or delete what another member wrote.
    pub change_any: bool,
}

impl Access {
    /// Whether the caller may change something `author` wrote.
    pub fn may_change(&self, member: &[u8; 32], author: &[u8]) -> bool {
        self.write && (self.change_any || author == member.as_slice())
    }
}

/// The level byte of a full member in `case_members` (FORMAT.md#cases).
pub const FULL: i64 = 1;
/// The level byte of a summary member.
pub const SUMMARY: i64 = 2;

fn case_deleted() -> ApiError {
    ApiError::gone(
        "case_deleted",
        "this case is deleted: its records and blobs are gone",
    )
}

/// Whether `member` is on `case` of `ws` and a current member of the workspace: its level
/// byte and whether the case is deleted, or `None`.
const CASE_ACCESS: &str = "SELECT m.level, c.deleted FROM case_members m \
     JOIN cases c ON c.id = m.case_id \
     JOIN roster r ON r.workspace_id = c.workspace_id AND r.member_id = m.member_id \
     WHERE m.case_id = $1 AND m.member_id = $2 AND c.workspace_id = $3";

impl Scope {
    /// The workspace whose caps it counts against.
    pub fn workspace(&self) -> &WorkspaceId {
        match self {
            Self::Workspace(ws) | Self::Case(ws, _) => ws,
        }
    }

    /// The value of its tables' key column.
    pub fn key(&self) -> &[u8] {
        match self {
            Self::Workspace(ws) => &ws.as_bytes()[..],
            Self::Case(_, case) => &case.as_bytes()[..],
        }
    }

    /// `template` with `{records}`, `{blobs}` and `{key}` replaced by this scope's tables
    /// and key column (all fixed strings).
    pub fn sql(&self, template: &'static str) -> sqlx::AssertSqlSafe<String> {
        let (records, blobs, key) = match self {
            Self::Workspace(_) => ("records", "blobs", "workspace_id"),
            Self::Case(..) => ("case_records", "case_blobs", "case_id"),
        };
        sqlx::AssertSqlSafe(
            template
                .replace("{records}", records)
                .replace("{blobs}", blobs)
                .replace("{key}", key),
        )
    }

    /// The caller's access, from the read pool: 404 for a non-member (of the workspace, or
    /// of the case), 410 `case_deleted` for a deleted case.
    ///
    /// # Errors
    /// As above, and database errors.
    pub async fn access(&self, state: &AppState, member: &[u8; 32]) -> Result<Access, ApiError> {
        match self {
            Self::Workspace(ws) => {
                let admin = require_member(state, ws, member).await?;
                Ok(Access {
                    write: true,
                    change_any: admin,
                })
            }
            Self::Case(ws, case) => {
                let (level, deleted) = case_membership(state, ws, case, member).await?;
                case_access(Some((level, i64::from(deleted))))
            }
        }
    }

    /// [`Scope::access`] again inside a write transaction, so that a member removed, or a
    /// case deleted, meanwhile does not write. On PostgreSQL it locks the case's row for
    /// sharing: a delete entry (which locks it for update) waits for this write, or this
    /// write for the deletion.
    ///
    /// # Errors
    /// As [`Scope::access`].
    pub async fn access_in(
        &self,
        tx: &mut sqlx::Transaction<'static, Any>,
        backend: Backend,
        member: &[u8; 32],
    ) -> Result<Access, ApiError> {
        match self {
            Self::Workspace(ws) => {
                let admin: Option<i64> = sqlx::query_scalar(
                    "SELECT admin FROM roster WHERE workspace_id = $1 AND member_id = $2",
                )
                .bind(&ws.as_bytes()[..])
                .bind(&member[..])
                .fetch_optional(&mut **tx)
                .await?;
                let admin = admin.ok_or_else(ApiError::not_found)?;
                Ok(Access {
                    write: true,
                    change_any: admin != 0,
                })
            }
            Self::Case(ws, case) => {
                let query = match backend {
                    Backend::Sqlite => CASE_ACCESS.to_owned(),
                    Backend::Postgres => format!("{CASE_ACCESS} FOR SHARE OF c"),
                };
                let row: Option<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(query))
                    .bind(&case.as_bytes()[..])
                    .bind(&member[..])
                    .bind(&ws.as_bytes()[..])
                    .fetch_optional(&mut **tx)
                    .await?;
                case_access(row)
            }
        }
    }
}

/// [`Scope::access`] for `case` inside a write transaction that appends to one of the case's
/// chains (a record's revisions, its sign-offs, the audit trail): on PostgreSQL it locks the
/// case's row for update, so that such writes to one case take turns (their head and their
/// caps are read and written under the lock) and a deletion waits for them, or they for it.
/// SQLite's write transaction holds its one write lock already.
///
/// # Errors
/// As [`Scope::access`].
pub async fn lock_case(
    tx: &mut sqlx::Transaction<'static, Any>,
    backend: Backend,
    ws: &WorkspaceId,
    case: &CaseId,
    member: &[u8; 32],
) -> Result<Access, ApiError> {
    let query = match backend {
        Backend::Sqlite => CASE_ACCESS.to_owned(),
        Backend::Postgres => format!("{CASE_ACCESS} FOR UPDATE OF c"),
    };
    let row: Option<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(query))
        .bind(&case.as_bytes()[..])
        .bind(&member[..])
        .bind(&ws.as_bytes()[..])
        .fetch_optional(&mut **tx)
        .await?;
    case_access(row)
}

/// Whether `member` is on `case` of `ws` (or was, when the case was deleted) and is a
/// current member of the workspace: its level byte and whether the case is deleted. 404
/// otherwise, as for a case that does not exist.
///
/// # Errors
/// 404, and database errors.
pub async fn case_membership(
    state: &AppState,
    ws: &WorkspaceId,
    case: &CaseId,
    member: &[u8; 32],
) -> Result<(i64, bool), ApiError> {
    let row: Option<(i64, i64)> = sqlx::query_as(CASE_ACCESS)
        .bind(&case.as_bytes()[..])
        .bind(&member[..])
        .bind(&ws.as_bytes()[..])
        .fetch_optional(state.db.read())
        .await?;
    let (level, deleted) = row.ok_or_else(ApiError::not_found)?;
    Ok((level, deleted != 0))
}

fn case_access(row: Option<(i64, i64)>) -> Result<Access, ApiError> {
    let (level, deleted) = row.ok_or_else(ApiError::not_found)?;
    if deleted != 0 {
        return Err(case_deleted());
    }
    let full = level == FULL;
    Ok(Access {
        write: full,
        change_any: full,
    })
}

/// 403 for a summary member's write.
pub fn read_only() -> ApiError {
    ApiError::forbidden("a summary member of a case reads it; only full members write to it")
}

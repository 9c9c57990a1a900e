//! The SQLite database and the blob directory under the data directory.
//!
//! One connection, in WAL mode, behind a mutex; every query runs on tokio's blocking pool
//! through [`Store::run`]. Serializing writes through one connection is what makes the
//! log's compare-and-swap race-free; SQLite's own locking backs it up.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use confide::{Fingerprint, WorkspaceId};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::ApiError;

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 1;

/// Version 1. Ids are raw bytes; record and blob names are the application's strings.
const SCHEMA_V1: &str = "
CREATE TABLE members (
    id BLOB PRIMARY KEY,          -- fingerprint id, 32 bytes
    bundle BLOB NOT NULL          -- the verified public bundle
) STRICT;
CREATE TABLE challenges (
    challenge BLOB PRIMARY KEY,
    member_id BLOB NOT NULL,
    expires_at INTEGER NOT NULL   -- Unix ms
) STRICT;
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,  -- SHA-256 of the bearer token
    member_id BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE log_entries (
    workspace_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (workspace_id, seq)
) STRICT;
-- The roster of the stored log, rewritten from MembershipLog::verify at every append.
CREATE TABLE workspace_members (
    workspace_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    admin INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, member_id)
) STRICT;
CREATE INDEX workspace_members_by_member ON workspace_members (member_id);
CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    body BLOB NOT NULL
) STRICT;
CREATE INDEX grants_by_member ON grants (workspace_id, member_id);
CREATE TABLE history_links (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    body BLOB NOT NULL
) STRICT;
CREATE INDEX history_links_by_workspace ON history_links (workspace_id);
CREATE TABLE acceptances (
    workspace_id BLOB NOT NULL,
    invite_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (workspace_id, invite_id, member_id)
) STRICT;
CREATE TABLE records (
    workspace_id BLOB NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    body BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, record_id, field)
) STRICT;
CREATE TABLE blobs (
    workspace_id BLOB NOT NULL,
    blob_id TEXT NOT NULL,
    file TEXT NOT NULL,           -- random name under blobs/
    size INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, blob_id)
) STRICT;
";

/// Why the data directory could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// Creating the directories failed.
    Io(std::io::Error),
    /// Opening or migrating the database failed.
    Sqlite(rusqlite::Error),
    /// The database was written by a newer server.
    NewerSchema(i64),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "data directory: {e}"),
            Self::Sqlite(e) => write!(f, "database: {e}"),
            Self::NewerSchema(v) => write!(
                f,
                "database schema version {v} is newer than this server's {SCHEMA_VERSION}"
            ),
        }
    }
}

impl std::error::Error for OpenError {}

/// The database connection and the blob directory.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    blob_dir: PathBuf,
}

impl Store {
    /// Opens (creating on first start) `DIR/confide.sqlite3` and `DIR/blobs/`, and brings
    /// the schema to [`SCHEMA_VERSION`]. Blob files no row refers to are removed
    /// ([`reconcile_blob_files`]).
    ///
    /// # Errors
    /// [`OpenError`] if the directory or the database cannot be opened or migrated.
    pub fn open(dir: &Path) -> Result<Self, OpenError> {
        let blob_dir = dir.join("blobs");
        std::fs::create_dir_all(blob_dir.join("tmp")).map_err(OpenError::Io)?;
        let mut conn = Connection::open(dir.join("confide.sqlite3")).map_err(OpenError::Sqlite)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(OpenError::Sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(OpenError::Sqlite)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(OpenError::Sqlite)?;
        migrate(&mut conn)?;
        reconcile_blob_files(&conn, &blob_dir).map_err(OpenError::Sqlite)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            blob_dir,
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    ///
    /// # Errors
    /// Whatever `f` returns, or an internal error if the task is lost.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic cannot leave a transaction open (it rolls back on drop), so a
            // poisoned lock still guards a consistent connection.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
    }

    /// Runs `f` for a current member of `workspace` (404 for anyone else, who cannot tell it
    /// from a workspace that does not exist).
    ///
    /// # Errors
    /// 404 for a non-member, or whatever `f` returns.
    pub async fn run_as_member<T, F>(
        &self,
        workspace: WorkspaceId,
        member: [u8; Fingerprint::ID_LEN],
        f: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(move |conn| {
            require_member(conn, workspace.as_bytes(), &member)?;
            f(conn)
        })
        .await
    }

    /// Runs `f` in an immediate transaction for an admin of `workspace`, and commits if it
    /// succeeds: 404 for a non-member, 403 with `refusal` for a member who is not an admin.
    ///
    /// # Errors
    /// 404, 403, or whatever `f` returns.
    pub async fn run_as_admin<T, F>(
        &self,
        workspace: WorkspaceId,
        member: [u8; Fingerprint::ID_LEN],
        refusal: &'static str,
        f: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !require_member(&tx, workspace.as_bytes(), &member)? {
                return Err(ApiError::forbidden(refusal));
            }
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Where finished blobs live.
    pub fn blob_dir(&self) -> &Path {
        &self.blob_dir
    }
}

/// Removes, before the first request, the blob files that no row of `blobs` names: partial
/// uploads in `tmp/` (a body cut off by a crash), and finished files whose row was never
/// committed or whose removal failed after the row went. No request can reach them, so they
/// would only take up space. Rows are never touched here.
///
/// # Errors
/// Database errors; a file that cannot be removed is logged and left.
fn reconcile_blob_files(conn: &Connection, blob_dir: &Path) -> Result<(), rusqlite::Error> {
    let mut named = std::collections::HashSet::new();
    let mut stmt = conn.prepare("SELECT file FROM blobs")?;
    for file in stmt.query_map([], |row| row.get::<_, String>(0))? {
        named.insert(std::ffi::OsString::from(file?));
    }
    let files = |dir: &Path| -> Vec<std::fs::DirEntry> {
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
    let partial = files(&blob_dir.join("tmp"));
    let finished = files(blob_dir)
        .into_iter()
        .filter(|e| !named.contains(&e.file_name()));
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

fn migrate(conn: &mut Connection) -> Result<(), OpenError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(OpenError::Sqlite)?;
    if version > SCHEMA_VERSION {
        return Err(OpenError::NewerSchema(version));
    }
    if version < 1 {
        let tx = conn.transaction().map_err(OpenError::Sqlite)?;
        tx.execute_batch(SCHEMA_V1).map_err(OpenError::Sqlite)?;
        tx.pragma_update(None, "user_version", 1)
            .map_err(OpenError::Sqlite)?;
        tx.commit().map_err(OpenError::Sqlite)?;
    }
    Ok(())
}

/// Whether `member` is a current member of `workspace` per the stored log; `Some(admin)`.
///
/// # Errors
/// Database errors only.
pub fn membership(
    conn: &Connection,
    workspace: &[u8],
    member: &[u8],
) -> Result<Option<bool>, ApiError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT admin FROM workspace_members WHERE workspace_id = ?1 AND member_id = ?2",
            (workspace, member),
            |row| row.get::<_, bool>(0),
        )
        .optional()?)
}

/// [`membership`], with "not a member" as 404: a non-member cannot tell a workspace it is
/// not in from one that does not exist. Returns whether the member is an admin.
///
/// # Errors
/// 404 for a non-member.
pub fn require_member(
    conn: &Connection,
    workspace: &[u8],
    member: &[u8],
) -> Result<bool, ApiError> {
    membership(conn, workspace, member)?.ok_or_else(ApiError::not_found)
}

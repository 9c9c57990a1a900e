//! The metadata database: SQLite (the embedded default) or PostgreSQL, through sqlx's
//! runtime-chosen `Any` driver so that each query is written once.
//!
//! - SQLite: `DIR/confide.sqlite3` in WAL mode, `synchronous=FULL` (a commit is on disk
//!   before it is acknowledged), a busy timeout, one writer connection (SQLite has one
//!   writer anyway; queuing it here keeps transactions from failing on a lock upgrade) and a
//!   pool of readers that never wait for it. One process per data directory: a lock file
//!   makes a second one refuse to start.
//! - PostgreSQL: one pool shared by every instance's requests; the compare-and-swap on a
//!   log's head is a conditional `UPDATE`, which PostgreSQL serializes per row.
//!
//! The schema is in `server/migrations/{sqlite,postgres}/`, applied at startup by sqlx's
//! migrator (which takes an advisory lock on PostgreSQL, so instances starting together
//! migrate once). No request runs a query that costs more than the rows it returns.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnectionMetadata;
use sqlx::{AnyConnection, AnyPool, Executor, SqlSafeStr};

use crate::error::ApiError;

/// Which engine holds the metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// `--database postgres://…`.
    Postgres,
}

/// Why the database could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The data directory could not be created or locked.
    Io(std::io::Error),
    /// Another process holds this data directory.
    Locked(PathBuf),
    /// Connecting or migrating failed.
    Database(sqlx::Error),
    /// Applying the schema failed.
    Migrate(sqlx::migrate::MigrateError),
    /// A database written by the first server version (before migrations), which this one
    /// does not convert.
    Legacy,
    /// A blob store URL that is not understood, or a store that cannot be built.
    Blobs(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "data directory: {e}"),
            Self::Locked(p) => write!(
                f,
                "{} is locked: another confide-server uses this data directory",
                p.display()
            ),
            Self::Database(e) => write!(f, "database: {e}"),
            Self::Migrate(e) => write!(f, "database schema: {e}"),
            Self::Legacy => write!(
                f,
                "database: written by an earlier confide-server (schema 1), which this \
                 version does not convert; move it aside to start over"
            ),
            Self::Blobs(e) => write!(f, "blob store: {e}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// Connection settings.
#[derive(Clone, Debug)]
pub struct DbConfig {
    /// `None` for SQLite in the data directory, or a `postgres://` URL.
    pub url: Option<String>,
    /// Most connections (PostgreSQL) or readers (SQLite).
    pub max_connections: u32,
    /// How long a SQLite write waits for a lock held by another process (a backup), and
    /// how long any request waits for a pooled connection.
    pub busy_timeout: Duration,
}

/// The pools.
#[derive(Clone)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    /// Held while the server runs (SQLite): one process per data directory.
    _lock: Option<std::sync::Arc<std::fs::File>>,
}

/// What a database holds: the bulk data, or the key store (server/README.md#key-store),
/// each with its own migrations and its own migration table (a PostgreSQL key store may
/// share the bulk database).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Everything but the case grants: `migrations/{sqlite,postgres}/`.
    Bulk,
    /// The case grants: `migrations/keys/{sqlite,postgres}/`.
    Keys,
}

fn migrations(backend: Backend, schema: Schema) -> Migrator {
    let list: &[(i64, &'static str, &'static str)] = match (schema, backend) {
        (Schema::Bulk, Backend::Sqlite) => &[
            (
                1,
                "schema",
                include_str!("../migrations/sqlite/0001_schema.sql"),
            ),
            (
                2,
                "cases",
                include_str!("../migrations/sqlite/0002_cases.sql"),
            ),
            (
                3,
                "integrity",
                include_str!("../migrations/sqlite/0003_integrity.sql"),
            ),
        ],
        (Schema::Bulk, Backend::Postgres) => &[
            (
                1,
                "schema",
                include_str!("../migrations/postgres/0001_schema.sql"),
            ),
            (
                2,
                "cases",
                include_str!("../migrations/postgres/0002_cases.sql"),
            ),
            (
                3,
                "integrity",
                include_str!("../migrations/postgres/0003_integrity.sql"),
            ),
        ],
        (Schema::Keys, Backend::Sqlite) => &[(
            1,
            "case grants",
            include_str!("../migrations/keys/sqlite/0001_case_grants.sql"),
        )],
        (Schema::Keys, Backend::Postgres) => &[(
            1,
            "case grants",
            include_str!("../migrations/keys/postgres/0001_case_grants.sql"),
        )],
    };
    let migrations = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        table_name: Cow::Borrowed(match schema {
            Schema::Bulk => "_sqlx_migrations",
            Schema::Keys => "_confide_keys_migrations",
        }),
        ..Migrator::DEFAULT
    }
}

impl Db {
    /// Opens (creating and migrating on first start) the bulk database: SQLite in
    /// `data_dir`, or `config.url`.
    ///
    /// # Errors
    /// [`OpenError`].
    pub async fn open(data_dir: &Path, config: &DbConfig) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        match &config.url {
            Some(url) if is_postgres(url) => Self::open_postgres(url, Schema::Bulk, config).await,
            Some(url) => Err(OpenError::Database(sqlx::Error::Configuration(
                format!(
                    "--database takes a postgres:// URL (SQLite is the default), not {}",
                    url.split(':').next().unwrap_or("")
                )
                .into(),
            ))),
            None => {
                std::fs::create_dir_all(data_dir).map_err(OpenError::Io)?;
                Self::open_sqlite(
                    &data_dir.join("confide.sqlite3"),
                    Some(&data_dir.join("confide.lock")),
                    Schema::Bulk,
                    config,
                )
                .await
            }
        }
    }

    /// Opens (creating and migrating on first start) a key store of its own: a
    /// `postgres://` URL, or a SQLite file (locked with a `.lock` file beside it unless
    /// `locked` says its folder is the data directory, locked already).
    ///
    /// # Errors
    /// [`OpenError`].
    pub async fn open_keys(
        location: &str,
        locked: bool,
        config: &DbConfig,
    ) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        if is_postgres(location) {
            return Self::open_postgres(location, Schema::Keys, config).await;
        }
        let path = location
            .strip_prefix("sqlite://")
            .or_else(|| location.strip_prefix("sqlite:"))
            .unwrap_or(location);
        let file = PathBuf::from(path);
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(OpenError::Io)?;
        }
        let lock = (!locked).then(|| PathBuf::from(format!("{path}.lock")));
        Self::open_sqlite(&file, lock.as_deref(), Schema::Keys, config).await
    }

    /// Applies `schema`'s migrations to this database (a key store that shares the bulk
    /// PostgreSQL database).
    ///
    /// # Errors
    /// [`OpenError::Migrate`].
    pub async fn migrate(&self, schema: Schema) -> Result<(), OpenError> {
        migrations(self.backend, schema)
            .run(&self.write)
            .await
            .map_err(OpenError::Migrate)
    }

    async fn open_postgres(
        url: &str,
        schema: Schema,
        config: &DbConfig,
    ) -> Result<Self, OpenError> {
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .acquire_timeout(config.busy_timeout)
            .connect(url)
            .await
            .map_err(OpenError::Database)?;
        migrations(Backend::Postgres, schema)
            .run(&pool)
            .await
            .map_err(OpenError::Migrate)?;
        Ok(Self {
            backend: Backend::Postgres,
            read: pool.clone(),
            write: pool,
            _lock: None,
        })
    }

    async fn open_sqlite(
        file: &Path,
        lock_path: Option<&Path>,
        schema: Schema,
        config: &DbConfig,
    ) -> Result<Self, OpenError> {
        let lock = match lock_path {
            Some(lock_path) => {
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(lock_path)
                    .map_err(OpenError::Io)?;
                match lock.try_lock() {
                    Ok(()) => {}
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(OpenError::Locked(lock_path.to_path_buf()));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(OpenError::Io(e)),
                }
                Some(std::sync::Arc::new(lock))
            }
            None => None,
        };
        let busy_ms = u64::try_from(config.busy_timeout.as_millis()).unwrap_or(u64::MAX);
        // The key store overwrites what it deletes (server/README.md#key-store).
        let secure_delete = schema == Schema::Keys;
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(config.busy_timeout.saturating_mul(2))
            .after_connect(pragmas(busy_ms, secure_delete))
            .connect_with(
                AnyConnectOptions::from_str(&sqlite_url(file, "rwc")?)
                    .map_err(OpenError::Database)?,
            )
            .await
            .map_err(OpenError::Database)?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&write)
            .await
            .map_err(OpenError::Database)?;
        if schema == Schema::Bulk && legacy_schema(&write).await.map_err(OpenError::Database)? {
            return Err(OpenError::Legacy);
        }
        migrations(Backend::Sqlite, schema)
            .run(&write)
            .await
            .map_err(OpenError::Migrate)?;
        let read = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(config.busy_timeout)
            .after_connect(pragmas(busy_ms, secure_delete))
            .connect_with(
                AnyConnectOptions::from_str(&sqlite_url(file, "ro")?)
                    .map_err(OpenError::Database)?,
            )
            .await
            .map_err(OpenError::Database)?;
        Ok(Self {
            backend: Backend::Sqlite,
            read,
            write,
            _lock: lock,
        })
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads (SQLite: readers that never wait for the writer).
    pub fn read(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for writes and transactions.
    pub fn write(&self) -> &AnyPool {
        &self.write
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that read first and then found another writer
    /// ahead of it would fail instead of waiting.
    ///
    /// # Errors
    /// Database errors, mapped by [`ApiError::from`].
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ApiError> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// A `sqlite://` URL for a path, percent-encoding every byte but `A-Z a-z 0-9 / . _ - ~`
/// (sqlx decodes the path back).
fn sqlite_url(path: &Path, mode: &str) -> Result<String, OpenError> {
    let absolute = std::path::absolute(path).map_err(OpenError::Io)?;
    let text = absolute.to_str().ok_or_else(|| {
        OpenError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the data directory's path is not UTF-8",
        ))
    })?;
    let mut url = String::from("sqlite://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'~') {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    Ok(url)
}

/// Whether this is a database of the first server version: tables, `user_version` 1, and
/// no migration table.
async fn legacy_schema(pool: &AnyPool) -> Result<bool, sqlx::Error> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await?;
    let migrated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    Ok(version == 1 && migrated == 0)
}

/// Per-connection settings for SQLite. `synchronous = FULL`: a commit is synced to the WAL
/// before it is acknowledged, so an OS crash cannot roll it back
/// (server/README.md#durability). `secure_delete` (the key store): deleted rows are
/// overwritten with zeros, not left in free space (server/README.md#key-store).
fn pragmas(
    busy_ms: u64,
    secure_delete: bool,
) -> impl for<'c> Fn(
    &'c mut AnyConnection,
    PoolConnectionMetadata,
) -> BoxFuture<'c, Result<(), sqlx::Error>>
+ Send
+ Sync
+ 'static {
    move |conn, _| {
        Box::pin(async move {
            let secure_delete = if secure_delete { "ON" } else { "OFF" };
            conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PRAGMA busy_timeout = {busy_ms}; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA secure_delete = {secure_delete};"
            ))))
            .await?;
            Ok(())
        })
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `true`/`false` as stored (an integer on both engines).
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// A stored count or size as `u64` (they are never negative).
pub fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A `u64` for a BIGINT column.
pub fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

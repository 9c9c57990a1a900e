//! The key store (server/README.md#key-store): the case grants, apart from the bulk data.
//!
//! A case's keys exist only inside its grants and in the memory of members who loaded it
//! (docs/SECURITY.md#cases). Deleting a case deletes its grants here, so that no copy of
//! the bulk data (its records, blobs and log), live or restored from a backup, opens again.
//! How long the keys survive elsewhere is then this store's backup retention, which the
//! operator keeps short.
//!
//! - SQLite (the default): its own file, `DIR/keys.sqlite3`, with `secure_delete` (a deleted
//!   grant is overwritten with zeros) and its WAL truncated after a case's grants go, so no
//!   byte of a deleted grant stays in the server's files.
//! - `--keys postgres://…`: a database of its own; with `--database postgres://…` and no
//!   `--keys`, the bulk database itself, where grants and entries commit in one transaction.
//!
//! A grant row names the case entry it came with (seq and entry hash), and is served only
//! once that entry is in the stored case log. With a store of its own, the grants of an
//! append commit before its entry: if the entry then loses a race or the process stops, the
//! grants were never served, and the next entry at that seq removes them.

use confide::CaseId;
use sqlx::{Any, AnyConnection};

use crate::db::{Backend, Db, DbConfig, OpenError, Schema};
use crate::error::ApiError;
use crate::workspaces::GrantJson;

/// The key store.
#[derive(Clone)]
pub struct KeyStore {
    db: Db,
    shared: bool,
}

/// One stored grant of a member: the entry it came with, and the grant.
pub struct StoredGrant {
    /// The seq of the case entry it came with.
    pub seq: i64,
    /// That entry's case entry hash.
    pub entry_hash: Vec<u8>,
    /// The grant.
    pub body: Vec<u8>,
}

impl KeyStore {
    /// Opens the key store at `location` (`--keys`): `None` for the default (`DIR/keys.sqlite3`
    /// beside a SQLite bulk database; the bulk database itself beside PostgreSQL), a
    /// `postgres://` URL, or a SQLite file.
    ///
    /// # Errors
    /// [`OpenError`].
    pub async fn open(
        data_dir: &std::path::Path,
        location: Option<&str>,
        bulk: &Db,
        config: &DbConfig,
    ) -> Result<Self, OpenError> {
        match (location, bulk.backend()) {
            (None, Backend::Postgres) => {
                bulk.migrate(Schema::Keys).await?;
                Ok(Self {
                    db: bulk.clone(),
                    shared: true,
                })
            }
            (None, Backend::Sqlite) => {
                let file = data_dir.join("keys.sqlite3");
                let file = file.to_str().ok_or_else(|| {
                    OpenError::Io(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "the data directory's path is not UTF-8",
                    ))
                })?;
                Ok(Self {
                    db: Db::open_keys(file, true, config).await?,
                    shared: false,
                })
            }
            (Some(location), _) => Ok(Self {
                db: Db::open_keys(location, false, config).await?,
                shared: false,
            }),
        }
    }

    /// Whether the key store is the bulk database (then its writes join the bulk
    /// transaction).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Its database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Closes its pools (unless they are the bulk database's).
    pub async fn close(&self) {
        if !self.shared {
            self.db.close().await;
        }
    }

    /// Inserts the grants that come with case entry `seq` (entry hash `hash`); returns their
    /// row ids.
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert(
        conn: &mut AnyConnection,
        case: &CaseId,
        seq: u32,
        hash: &[u8; 32],
        grants: &[GrantJson],
    ) -> Result<Vec<i64>, ApiError> {
        let mut ids = Vec::with_capacity(grants.len());
        for g in grants {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO case_grants (case_id, member_id, seq, entry_hash, body) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(&case.as_bytes()[..])
            .bind(&g.member_id.0)
            .bind(i64::from(seq))
            .bind(&hash[..])
            .bind(&g.grant.0)
            .fetch_one(&mut *conn)
            .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// [`KeyStore::insert`] in a transaction of its own (a store of its own).
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert_now(
        &self,
        case: &CaseId,
        seq: u32,
        hash: &[u8; 32],
        grants: &[GrantJson],
    ) -> Result<Vec<i64>, ApiError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.db.begin().await?;
        let ids = Self::insert(&mut tx, case, seq, hash, grants).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Removes rows inserted for an entry that was then not stored. Best effort: rows
    /// left behind are never served, and the next entry at their seq removes them.
    pub async fn forget(&self, ids: &[i64]) {
        for id in ids {
            if let Err(e) = sqlx::query("DELETE FROM case_grants WHERE id = $1")
                .bind(id)
                .execute(self.db.write())
                .await
            {
                tracing::warn!(error = %e, "a grant of an entry not stored stays (never served)");
                return;
            }
        }
    }

    /// Deletes grants of `case` that came with another entry at `seq` than the stored one
    /// (an append that lost a race, or was cut short).
    ///
    /// # Errors
    /// Database errors.
    pub async fn drop_stale<'e, E>(
        conn: E,
        case: &CaseId,
        seq: u32,
        hash: &[u8; 32],
    ) -> Result<(), ApiError>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        sqlx::query("DELETE FROM case_grants WHERE case_id = $1 AND seq = $2 AND entry_hash <> $3")
            .bind(&case.as_bytes()[..])
            .bind(i64::from(seq))
            .bind(&hash[..])
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Deletes every grant of `case`: the crypto-shredding of a deleted case.
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_case<'e, E>(conn: E, case: &CaseId) -> Result<u64, ApiError>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        Ok(sqlx::query("DELETE FROM case_grants WHERE case_id = $1")
            .bind(&case.as_bytes()[..])
            .execute(conn)
            .await?
            .rows_affected())
    }

    /// After a deletion: on SQLite, checkpoints the WAL into the file (where
    /// `secure_delete` zeroed the grants) and truncates it, so that the frames that held
    /// them are gone too. A reader in the middle of a read can keep the WAL from being
    /// truncated; then the next deletion, or the next clean stop, does it.
    pub async fn compact(&self) {
        if self.db.backend() != Backend::Sqlite {
            return;
        }
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(self.db.write())
            .await
        {
            Ok((0, _, _)) => {}
            Ok(_) => tracing::warn!("key store: the WAL is in use, truncated later"),
            Err(e) => tracing::warn!(error = %e, "key store: checkpoint failed"),
        }
    }

    /// The grants addressed to `member` on `case`, oldest first, with the entries they came
    /// with (for the caller to keep those of stored entries only).
    ///
    /// # Errors
    /// Database errors.
    pub async fn of_member(
        &self,
        case: &CaseId,
        member: &[u8; 32],
    ) -> Result<Vec<StoredGrant>, ApiError> {
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, entry_hash, body FROM case_grants WHERE case_id = $1 \
             AND member_id = $2 ORDER BY id",
        )
        .bind(&case.as_bytes()[..])
        .bind(&member[..])
        .fetch_all(self.db.read())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, entry_hash, body)| StoredGrant {
                seq,
                entry_hash,
                body,
            })
            .collect())
    }
}

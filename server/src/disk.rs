//! Running on a full disk (server/README.md#a-full-disk).
//!
//! The data directory keeps a reserve file of [`crate::Config::reserve_bytes`] zeros. When
//! a write finds the disk full (SQLite's `SQLITE_FULL`, `ENOSPC` on a blob), the reserve is
//! deleted and the server enters *full mode*: every content write (records, blobs, log
//! appends, new workspaces, grants, acceptances) is refused with 507 `storage_full` before
//! it touches anything, while reads and logins go on, in the space the reserve gave back.
//! At most every [`DiskGuard::PROBE_EVERY`], a refused write tries to put the reserve back;
//! once it fits, full mode ends. A restart on a full disk deletes the reserve before it
//! opens the database, so the server comes up (in full mode) instead of failing.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ApiError, DiskFull, is_disk_full};

/// The reserve and the mode.
pub struct DiskGuard {
    reserve: Option<PathBuf>,
    bytes: u64,
    full: AtomicBool,
    last_probe: Mutex<Option<Instant>>,
}

impl DiskGuard {
    /// How often a refused write may try to leave full mode.
    pub const PROBE_EVERY: Duration = Duration::from_secs(5);

    /// A guard with a reserve file at `reserve` (`None`: nothing local to guard, as with
    /// PostgreSQL and an object store).
    pub fn new(reserve: Option<PathBuf>, bytes: u64) -> Self {
        Self {
            reserve: reserve.filter(|_| bytes > 0),
            bytes,
            full: AtomicBool::new(false),
            last_probe: Mutex::new(None),
        }
    }

    /// Writes the reserve if it is missing or short. On a full disk, deletes what there
    /// is of it and enters full mode instead.
    pub fn ensure_reserve(&self) -> bool {
        let Some(path) = &self.reserve else {
            return true;
        };
        if std::fs::metadata(path).is_ok_and(|m| m.len() >= self.bytes) {
            return true;
        }
        match write_zeros(path, self.bytes) {
            Ok(()) => {
                if self.full.swap(false, Ordering::Relaxed) {
                    tracing::info!("storage: space is back, writes are accepted again");
                }
                true
            }
            Err(e) => {
                let _ = std::fs::remove_file(path);
                if is_disk_full(&e) {
                    self.enter_full_mode();
                } else {
                    tracing::warn!(error = %e, "storage: cannot write the reserve file");
                }
                false
            }
        }
    }

    /// Deletes the reserve (giving its space to logins and reads) and refuses writes.
    pub fn enter_full_mode(&self) {
        if !self.full.swap(true, Ordering::Relaxed) {
            tracing::error!("storage full: content writes are refused until space is freed");
        }
        if let Some(path) = &self.reserve {
            let _ = std::fs::remove_file(path);
        }
        *self
            .last_probe
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// Whether full mode is on.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// For a content write: 507 in full mode, unless a probe finds space again.
    ///
    /// # Errors
    /// 507 `storage_full`.
    pub fn check_writable(&self) -> Result<(), ApiError> {
        if !self.is_full() {
            return Ok(());
        }
        let due = {
            let mut last = self
                .last_probe
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let due = last.is_none_or(|t| t.elapsed() >= Self::PROBE_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due && self.ensure_reserve() {
            return Ok(());
        }
        Err(ApiError::storage_full())
    }
}

fn write_zeros(path: &std::path::Path, bytes: u64) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    let chunk = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(1 << 20)).unwrap_or(1 << 20);
        file.write_all(chunk.get(..n).unwrap_or(&chunk))?;
        left -= u64::try_from(n).unwrap_or(left);
    }
    file.sync_all()
}

/// Middleware: a response that found the disk full turns full mode on.
pub async fn watch(
    State(guard): State<std::sync::Arc<DiskGuard>>,
    req: Request,
    next: Next,
) -> Response {
    let response = next.run(req).await;
    if response.extensions().get::<DiskFull>().is_some() {
        guard.enter_full_mode();
    }
    response
}

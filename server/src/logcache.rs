//! Verified logs kept in memory, so that an append verifies one entry: membership logs per
//! workspace, and case logs per case (one cache of each, keyed by the 16-byte id).
//!
//! The database is the source of truth: its `workspaces` row holds each log's head (seq
//! and entry hash), and the roster and invites the log defines, which every other request
//! checks without any log work. Only an append needs the [`MembershipLog`] itself, to check
//! the new entry against the log's state. This cache keeps that state per workspace, behind
//! a per-workspace lock (appends to one workspace queue; others never wait):
//!
//! - warm, at the stored head: the append verifies its one entry ([`MembershipLog::push`]);
//! - behind the stored head (another instance appended): the missing entries are read and
//!   verified one by one, then the new one;
//! - missing (a restart, an eviction) or off the stored chain: the whole log is verified
//!   once, on the blocking pool, at most [`LogCache::COLD_AT_ONCE`] at a time.
//!
//! Memory is the cached logs' own (linear in their bytes), bounded by a byte budget with
//! least-recently-used eviction. Every verified entry is counted ([`Metrics`]), which is how
//! the tests prove what a request costs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use confide::MembershipLog;
use tokio::sync::{OwnedMutexGuard, Semaphore};

/// Counters of the work the server did, for tests and the benchmark.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Log entries whose signature and rules were checked, in any request.
    pub entries_verified: AtomicU64,
    /// Whole-log verifications (a cold cache).
    pub full_verifications: AtomicU64,
    /// Case log entries whose signature and rules were checked, in any request.
    pub case_entries_verified: AtomicU64,
    /// Whole case log verifications (a cold cache).
    pub case_full_verifications: AtomicU64,
}

impl Metrics {
    /// Entries verified so far.
    pub fn entries_verified(&self) -> u64 {
        self.entries_verified.load(Ordering::Relaxed)
    }

    /// Whole-log verifications so far.
    pub fn full_verifications(&self) -> u64 {
        self.full_verifications.load(Ordering::Relaxed)
    }

    /// Case log entries verified so far.
    pub fn case_entries_verified(&self) -> u64 {
        self.case_entries_verified.load(Ordering::Relaxed)
    }

    /// Whole case log verifications so far.
    pub fn case_full_verifications(&self) -> u64 {
        self.case_full_verifications.load(Ordering::Relaxed)
    }

    pub(crate) fn verified(&self, n: usize) {
        self.entries_verified
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub(crate) fn case_verified(&self, n: usize) {
        self.case_entries_verified
            .fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

/// One workspace's (or case's) cached log.
pub struct Slot<L> {
    /// The verified log at some head of the stored chain, or nothing.
    pub log: Option<L>,
}

impl<L> Default for Slot<L> {
    fn default() -> Self {
        Self { log: None }
    }
}

struct Entry<L> {
    slot: Arc<tokio::sync::Mutex<Slot<L>>>,
    bytes: usize,
    used: u64,
}

/// The cache of one kind of log: [`MembershipLog`]s by workspace id, or
/// [`confide::CaseLog`]s by case id.
pub struct LogCache<L = MembershipLog> {
    entries: Mutex<HashMap<[u8; 16], Entry<L>>>,
    tick: AtomicU64,
    budget: usize,
    cold: Semaphore,
    /// What was verified.
    pub metrics: Arc<Metrics>,
}

impl<L> LogCache<L> {
    /// Whole-log verifications that may run at once (each takes a core).
    pub const COLD_AT_ONCE: usize = 1;

    /// A cache that keeps at most `budget` bytes of logs.
    pub fn new(budget: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
            budget,
            cold: Semaphore::new(Self::COLD_AT_ONCE),
            metrics,
        }
    }

    /// Locks workspace (or case) `ws`'s slot (creating it empty). Appends to one log queue
    /// here.
    pub async fn lock(&self, ws: [u8; 16]) -> OwnedMutexGuard<Slot<L>> {
        let slot = {
            let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let used = self.tick.fetch_add(1, Ordering::Relaxed);
            let entry = map.entry(ws).or_insert_with(|| Entry {
                slot: Arc::new(tokio::sync::Mutex::new(Slot::default())),
                bytes: 0,
                used,
            });
            entry.used = used;
            Arc::clone(&entry.slot)
        };
        slot.lock_owned().await
    }

    /// Waits for a turn at a whole-log verification.
    pub async fn cold_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.cold.acquire().await.ok()
    }

    /// Records the size of `ws`'s cached log after a change, and evicts the least recently
    /// used logs (never one in use) while the cache is over its budget.
    pub fn account(&self, ws: [u8; 16], bytes: usize) {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = map.get_mut(&ws) {
            e.bytes = bytes;
        }
        let mut total: usize = map.values().map(|e| e.bytes).sum();
        while total > self.budget {
            let victim = map
                .iter()
                .filter(|(id, e)| **id != ws && e.bytes > 0 && e.slot.try_lock().is_ok())
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id);
            let Some(victim) = victim else { break };
            if let Some(e) = map.remove(&victim) {
                total = total.saturating_sub(e.bytes);
            }
        }
        // Slots that hold nothing and nobody waits on go too, so the map stays small.
        if map.len() > 4096 {
            map.retain(|id, e| *id == ws || e.bytes > 0 || Arc::strong_count(&e.slot) > 1);
        }
    }

    /// Bytes of logs cached now.
    pub fn cached_bytes(&self) -> usize {
        let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        map.values().map(|e| e.bytes).sum()
    }
}

//! The Confide reference storage server.
//!
//! It stores what Confide clients publish: member bundles, membership logs, grants,
//! history links, invite acceptances, cases (their logs and grants), encrypted records and
//! encrypted blobs. It can read none of the content. It authenticates members by a signed
//! challenge and checks, on every request, that the caller is a current member of the
//! workspace (and of the case) per the stored logs. Each append verifies only the new entry
//! against the log's verified state ([`logcache`]); every other request checks the roster,
//! invites and case members the database keeps for each log. Case grants live apart, in
//! the key store ([`keystore`]), so that deleting a case shreds it. The routes, caps and
//! rate limits are listed in `server/README.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod blobs;
pub mod blobstore;
mod cases;
pub mod db;
pub mod disk;
mod error;
mod integrity;
pub mod keystore;
pub mod logcache;
pub mod ratelimit;
mod records;
mod scope;
pub mod serve;
mod statics;
mod wire;
mod workspaces;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

pub use crate::db::{Backend, OpenError};
use crate::db::{Db, DbConfig};
use crate::disk::DiskGuard;
use crate::error::ApiError;
use crate::keystore::KeyStore;
use crate::logcache::LogCache;
pub use crate::logcache::Metrics;
use crate::ratelimit::Limiter;
pub use crate::ratelimit::Rate;
pub use crate::serve::{HttpConfig, serve};
use crate::statics::StaticFiles;

/// Size limits on request bodies, and caps on what a log, a member and a workspace may hold
/// (server/README.md#limits).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Small JSON bodies: challenges, sessions, acceptances, history links.
    pub json_bytes: usize,
    /// JSON bodies that carry log entries and grant batches (a rotation of a large
    /// workspace carries a grant per member).
    pub log_bytes: usize,
    /// One encrypted record.
    pub record_bytes: usize,
    /// One encrypted blob, counted as it streams in.
    pub blob_bytes: u64,
    /// Entries in one membership log (at most the core's [`confide::limits::MAX_LOG_ENTRIES`]).
    pub log_entries: usize,
    /// Bytes of one membership log (at most the core's [`confide::limits::MAX_LOG_BYTES`]).
    pub log_total_bytes: usize,
    /// Workspaces a member may be in (counted when it creates one or is admitted).
    pub workspaces_per_member: u64,
    /// Records in one workspace.
    pub records_per_workspace: u64,
    /// Bytes of records in one workspace.
    pub record_bytes_per_workspace: u64,
    /// Blobs in one workspace.
    pub blobs_per_workspace: u64,
    /// Bytes of blobs in one workspace.
    pub blob_bytes_per_workspace: u64,
    /// Acceptances one invite may hold, from different invitees.
    pub acceptances_per_invite: u64,
    /// Entries in one case log (at most the core's [`confide::limits::MAX_CASE_LOG_ENTRIES`]).
    pub case_log_entries: usize,
    /// Bytes of one case log (at most the core's [`confide::limits::MAX_CASE_LOG_BYTES`]).
    pub case_log_total_bytes: usize,
    /// Cases in one workspace, deleted ones included (their logs stay).
    pub cases_per_workspace: u64,
    /// Revisions stored for one record of a case (at most the core's
    /// [`confide::integrity::revision::MAX_HISTORY_REVISIONS`], the longest history a client
    /// verifies).
    pub revisions_per_record: u32,
    /// Sign-offs stored for one record of a case, of all its revisions.
    pub sign_offs_per_record: u64,
    /// Entries in one case's audit trail (at most the core's
    /// [`confide::integrity::audit::MAX_AUDIT_ENTRIES`]).
    pub audit_entries: u32,
    /// Bytes of one case's audit trail (at most the core's
    /// [`confide::integrity::audit::MAX_AUDIT_BYTES`]).
    pub audit_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_bytes: 64 * 1024,
            log_bytes: 4 * 1024 * 1024,
            record_bytes: 4 * 1024 * 1024,
            blob_bytes: 2 * 1024 * 1024 * 1024,
            log_entries: confide::limits::MAX_LOG_ENTRIES,
            log_total_bytes: confide::limits::MAX_LOG_BYTES,
            workspaces_per_member: 100,
            records_per_workspace: 1_000_000,
            record_bytes_per_workspace: 16 * 1024 * 1024 * 1024,
            blobs_per_workspace: 100_000,
            blob_bytes_per_workspace: 1024 * 1024 * 1024 * 1024,
            acceptances_per_invite: 8,
            case_log_entries: confide::limits::MAX_CASE_LOG_ENTRIES,
            case_log_total_bytes: confide::limits::MAX_CASE_LOG_BYTES,
            cases_per_workspace: 100_000,
            revisions_per_record: u32::try_from(
                confide::integrity::revision::MAX_HISTORY_REVISIONS,
            )
            .unwrap_or(u32::MAX),
            sign_offs_per_record: 1_000,
            audit_entries: u32::try_from(confide::integrity::audit::MAX_AUDIT_ENTRIES)
                .unwrap_or(u32::MAX),
            audit_total_bytes: u64::try_from(confide::integrity::audit::MAX_AUDIT_BYTES)
                .unwrap_or(u64::MAX),
        }
    }
}

/// Rate limits (server/README.md#rate-limits). Per client address for the routes before
/// login, per member after.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// `POST /api/session/challenge`, per address.
    pub challenges: Rate,
    /// `POST /api/session/challenge`, all addresses together: bounds the challenges stored.
    pub challenges_global: Rate,
    /// `POST /api/session`, per address.
    pub sessions: Rate,
    /// `POST .../acceptances`, per member.
    pub acceptances: Rate,
    /// `POST /api/workspaces`, per member.
    pub workspaces: Rate,
    /// `POST /api/workspaces/{ws}/cases`, per member.
    pub cases: Rate,
    /// `POST .../log` (a workspace's or a case's), per member.
    pub appends: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            challenges: Rate::new(60, 30),
            challenges_global: Rate::new(12_000, 2_000),
            sessions: Rate::new(60, 30),
            acceptances: Rate::new(10, 10),
            workspaces: Rate::new(10, 10),
            cases: Rate::new(60, 30),
            appends: Rate::new(600, 200),
        }
    }
}

impl RateLimits {
    /// No rate limits (for tests that measure something else).
    pub fn off() -> Self {
        Self {
            challenges: Rate::OFF,
            challenges_global: Rate::OFF,
            sessions: Rate::OFF,
            acceptances: Rate::OFF,
            workspaces: Rate::OFF,
            cases: Rate::OFF,
            appends: Rate::OFF,
        }
    }

    /// Every rate and burst multiplied by `factor` (at least 1): more requests allowed,
    /// never fewer, and no limit turned off. For load tests (`--rate-limit-scale`).
    #[must_use]
    pub fn scaled(&self, factor: u32) -> Self {
        let f = factor.max(1);
        let up = |r: Rate| Rate::new(r.per_minute.saturating_mul(f), r.burst.saturating_mul(f));
        Self {
            challenges: up(self.challenges),
            challenges_global: up(self.challenges_global),
            sessions: up(self.sessions),
            acceptances: up(self.acceptances),
            workspaces: up(self.workspaces),
            cases: up(self.cases),
            appends: up(self.appends),
        }
    }
}

/// Server configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the SQLite database, the local blobs and the reserve file live.
    pub data_dir: PathBuf,
    /// `None`: SQLite in the data directory; or a `postgres://` URL.
    pub database: Option<String>,
    /// The key store (server/README.md#key-store). `None`: `data_dir/keys.sqlite3` with a
    /// SQLite database, the database itself with PostgreSQL; or a `postgres://` URL or a
    /// SQLite file.
    pub keys: Option<String>,
    /// Most database connections (PostgreSQL) or reader connections (SQLite).
    pub db_connections: u32,
    /// How long a write waits for a database lock another process holds (a backup).
    pub busy_timeout: Duration,
    /// `None`: blobs in `data_dir/blobs`; or a folder, or an `s3://`, `gs://`, `az://` URL.
    pub blobs: Option<String>,
    /// Extra object store settings (`aws_endpoint`, `aws_allow_http`, …), after the
    /// environment's.
    pub blob_options: Vec<(String, String)>,
    /// How old an object with no blob must be before a startup may delete it, when several
    /// instances share the store (PostgreSQL). SQLite's single instance uses zero.
    pub orphan_grace: Duration,
    /// The demo page.
    pub www_dir: PathBuf,
    /// The npm package folder (its `package.json`, `dist/`, `wasm/`).
    pub pkg_dir: PathBuf,
    /// How long a session token lasts.
    pub session_ttl: Duration,
    /// How long a login challenge may wait for its signature.
    pub challenge_ttl: Duration,
    /// Body size limits and caps.
    pub limits: Limits,
    /// Rate limits.
    pub rates: RateLimits,
    /// Bytes of verified membership logs kept in memory, and as many again of case logs.
    pub log_cache_bytes: usize,
    /// Size of the reserve file that a full disk gives back to logins (0: none).
    pub reserve_bytes: u64,
    /// Connection limits and timeouts.
    pub http: HttpConfig,
}

impl Config {
    /// Defaults: SQLite and blobs under `data_dir`, `www/` and `js/` relative to the
    /// working directory, 15-minute sessions, 2-minute challenges, [`Limits::default`],
    /// [`RateLimits::default`], 256 MiB of cached logs, a 32 MiB reserve.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database: None,
            keys: None,
            db_connections: 8,
            busy_timeout: Duration::from_secs(5),
            blobs: None,
            blob_options: Vec::new(),
            orphan_grace: Duration::from_secs(24 * 3600),
            www_dir: PathBuf::from("www"),
            pkg_dir: PathBuf::from("js"),
            session_ttl: Duration::from_secs(15 * 60),
            challenge_ttl: Duration::from_secs(2 * 60),
            limits: Limits::default(),
            rates: RateLimits::default(),
            log_cache_bytes: 256 * 1024 * 1024,
            reserve_bytes: 32 * 1024 * 1024,
            http: HttpConfig::default(),
        }
    }
}

/// The rate limiters.
pub(crate) struct Limiters {
    pub challenges: Limiter,
    pub sessions: Limiter,
    pub acceptances: Limiter,
    pub workspaces: Limiter,
    pub cases: Limiter,
    pub appends: Limiter,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    db: Db,
    keys: KeyStore,
    blobs: blobstore::BlobStore,
    config: Arc<Config>,
    statics: Arc<StaticFiles>,
    logs: Arc<LogCache>,
    case_logs: Arc<LogCache<confide::CaseLog>>,
    limiters: Arc<Limiters>,
    disk: Arc<DiskGuard>,
}

/// A built server: its router, and handles for what it does.
pub struct App {
    /// The routes, ready for [`serve`].
    pub router: Router,
    /// Work counters.
    pub metrics: Arc<Metrics>,
    /// Full-disk mode.
    pub disk: Arc<DiskGuard>,
    db: Db,
    keys: KeyStore,
}

impl App {
    /// Which database engine it uses.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Whether the key store is the bulk database (PostgreSQL without `--keys`).
    pub fn keys_shared(&self) -> bool {
        self.keys.is_shared()
    }

    /// Closes the database pools (after [`serve`] returns).
    pub async fn close(&self) {
        self.keys.close().await;
        self.db.close().await;
    }
}

/// Opens the database and blob store, reconciles blob objects, and builds the application.
///
/// # Errors
/// [`OpenError`] if the data directory, database or blob store cannot be opened.
pub async fn app(config: Config) -> Result<App, OpenError> {
    std::fs::create_dir_all(&config.data_dir).map_err(OpenError::Io)?;
    let local = config.database.is_none() || config.blobs.is_none();
    let disk = Arc::new(DiskGuard::new(
        local.then(|| config.data_dir.join("confide.reserve")),
        config.reserve_bytes,
    ));
    // On a full disk the reserve goes first, so that the database can open.
    disk.ensure_reserve();
    let db_config = DbConfig {
        url: config.database.clone(),
        max_connections: config.db_connections,
        busy_timeout: config.busy_timeout,
    };
    let db = match Db::open(&config.data_dir, &db_config).await {
        Ok(db) => db,
        Err(OpenError::Database(e)) if !disk.is_full() && local => {
            // A full disk can fail the open itself ("disk I/O error"): free the reserve
            // and try once more, in full mode.
            tracing::warn!(error = %e, "database did not open: retrying without the reserve");
            disk.enter_full_mode();
            Db::open(&config.data_dir, &db_config).await?
        }
        Err(e) => return Err(e),
    };
    let keys = KeyStore::open(
        &config.data_dir,
        config.keys.as_deref(),
        &db,
        &DbConfig {
            url: None,
            ..db_config
        },
    )
    .await?;
    cases::finish_shredding(&db, &keys).await;
    let blobs = blobstore::BlobStore::open(
        config.blobs.as_deref(),
        &config.data_dir.join("blobs"),
        &config.blob_options,
    )
    .map_err(OpenError::Blobs)?;
    let grace = match db.backend() {
        Backend::Sqlite => Duration::ZERO,
        Backend::Postgres => config.orphan_grace,
    };
    blobs::reconcile(&db, &blobs, grace).await;
    let metrics = Arc::new(Metrics::default());
    let statics = StaticFiles::new(config.www_dir.clone(), config.pkg_dir.clone());
    let limits = config.limits.clone();
    let rates = &config.rates;
    let limiters = Limiters {
        challenges: Limiter::new("login challenge", rates.challenges)
            .with_global(rates.challenges_global),
        sessions: Limiter::new("login", rates.sessions),
        acceptances: Limiter::new("acceptance", rates.acceptances),
        workspaces: Limiter::new("workspace creation", rates.workspaces),
        cases: Limiter::new("case creation", rates.cases),
        appends: Limiter::new("log append", rates.appends),
    };
    let state = AppState {
        db: db.clone(),
        keys: keys.clone(),
        blobs,
        logs: Arc::new(LogCache::new(config.log_cache_bytes, Arc::clone(&metrics))),
        case_logs: Arc::new(LogCache::new(config.log_cache_bytes, Arc::clone(&metrics))),
        config: Arc::new(config),
        statics: Arc::new(statics),
        limiters: Arc::new(limiters),
        disk: Arc::clone(&disk),
    };
    let small = Router::new()
        .route("/api/session/challenge", post(auth::challenge))
        .route(
            "/api/session",
            post(auth::create_session)
                .get(auth::current_session)
                .delete(auth::delete_session),
        )
        .route("/api/members/{member}", get(workspaces::get_member))
        .route("/api/workspaces", get(workspaces::list_workspaces))
        .route("/api/workspaces/{ws}/log", get(workspaces::get_log))
        .route(
            "/api/workspaces/{ws}/history",
            get(workspaces::get_history).post(workspaces::post_history),
        )
        .route(
            "/api/workspaces/{ws}/invites/{invite}/acceptances",
            post(workspaces::post_acceptance),
        )
        .route(
            "/api/workspaces/{ws}/acceptances",
            get(workspaces::get_acceptances),
        )
        .route("/api/workspaces/{ws}/records", get(records::list_records))
        .route("/api/workspaces/{ws}/blobs", get(blobs::list_blobs))
        .route(
            "/api/workspaces/{ws}/cases/{case}/log",
            get(cases::get_case_log),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/grants",
            get(cases::get_case_grants),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/records",
            get(records::list_case_records),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/blobs",
            get(blobs::list_case_blobs),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/signoffs/{record}/{field}",
            get(integrity::list_sign_offs).post(integrity::post_sign_off),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/audit",
            get(integrity::get_audit).post(integrity::append_audit),
        )
        .layer(DefaultBodyLimit::max(limits.json_bytes));
    let log = Router::new()
        .route("/api/workspaces", post(workspaces::create_workspace))
        .route("/api/workspaces/{ws}/log", post(workspaces::append_log))
        .route(
            "/api/workspaces/{ws}/grants",
            get(workspaces::get_grants).post(workspaces::post_grants),
        )
        .route(
            "/api/workspaces/{ws}/cases",
            get(cases::list_cases).post(cases::create_case),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/log",
            post(cases::append_case_log),
        )
        .layer(DefaultBodyLimit::max(limits.log_bytes));
    let records = Router::new()
        .route(
            "/api/workspaces/{ws}/records/{record}/{field}",
            put(records::put_record)
                .get(records::get_record)
                .delete(records::delete_record),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/records/{record}/{field}",
            put(records::put_case_record)
                .get(records::get_case_record)
                .delete(records::delete_case_record),
        )
        .layer(DefaultBodyLimit::max(limits.record_bytes));
    // Record integrity (server/README.md#record-integrity): a revision's JSON carries its
    // record in base64url, a third larger than the record cap.
    let integrity = Router::new()
        .route(
            "/api/workspaces/{ws}/cases/{case}/revisions",
            get(integrity::list_revised),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/revisions/{record}/{field}",
            get(integrity::list_revisions).post(integrity::post_revision),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/revisions/{record}/{field}/{number}",
            get(integrity::get_revision_record),
        )
        .layer(DefaultBodyLimit::max(
            limits
                .record_bytes
                .saturating_add(limits.record_bytes / 3)
                .saturating_add(limits.json_bytes),
        ));
    // Blobs count their own bytes as they stream in (Limits::blob_bytes).
    let blobs = Router::new()
        .route(
            "/api/workspaces/{ws}/blobs/{blob}",
            put(blobs::put_blob)
                .get(blobs::get_blob)
                .delete(blobs::delete_blob),
        )
        .route(
            "/api/workspaces/{ws}/cases/{case}/blobs/{blob}",
            put(blobs::put_case_blob)
                .get(blobs::get_case_blob)
                .delete(blobs::delete_case_blob),
        )
        .layer(DefaultBodyLimit::disable());
    let router = small
        .merge(log)
        .merge(records)
        .merge(integrity)
        .merge(blobs)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(fallback)
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&disk),
            disk::watch,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(middleware::map_response(security_headers));
    Ok(App {
        router,
        metrics,
        disk,
        db,
        keys,
    })
}

/// Unknown `/api/` paths get a JSON 404; everything else is a static file.
async fn fallback(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        return ApiError::not_found().into_response();
    }
    state.statics.serve(&method, &uri).await
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take this method",
    )
}

/// One log line per request: method, route pattern (never the concrete path, which holds
/// ids), status and duration. Bodies, headers and tokens are never logged.
async fn log_request(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let route =
        route.unwrap_or_else(|| if is_api { "/api/(unknown)" } else { "(static)" }.to_owned());
    tracing::info!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

/// The demo's headers on every response: a strict CSP that allows wasm (and, for the
/// recording player, media from `blob:` URLs the page makes from decrypted audio), no
/// sniffing, no referrer, same-origin opener, no caching.
async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             media-src 'self' blob:; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_rate_limits_only_rise_and_none_turns_off() {
        let base = RateLimits::default();
        let same = base.scaled(0);
        assert_eq!(same.challenges, base.challenges);
        assert_eq!(same.appends, base.appends);
        let up = base.scaled(100);
        assert_eq!(up.sessions, Rate::new(6_000, 3_000));
        assert_eq!(up.challenges_global, Rate::new(1_200_000, 200_000));
        assert_eq!(up.acceptances, Rate::new(1_000, 1_000));
        let most = base.scaled(u32::MAX);
        assert_eq!(most.appends, Rate::new(u32::MAX, u32::MAX));
        assert_ne!(most.appends, Rate::OFF);
    }
}

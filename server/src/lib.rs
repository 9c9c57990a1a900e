//! The Confide reference storage server.
//!
//! It stores what Confide clients publish: member bundles, membership logs, grants,
//! history links, invite acceptances, encrypted records and encrypted blobs. It can read
//! none of the content. It authenticates members by a signed challenge and checks, on every
//! request, that the caller is a current member of the workspace per the stored log,
//! which it re-verifies before every append. The routes are listed in `server/README.md`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod auth;
mod blobs;
mod error;
mod records;
mod statics;
mod store;
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

use crate::error::ApiError;
use crate::statics::StaticFiles;
pub use crate::store::OpenError;
use crate::store::Store;

/// Size limits on request bodies.
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_bytes: 64 * 1024,
            log_bytes: 4 * 1024 * 1024,
            record_bytes: 4 * 1024 * 1024,
            blob_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Server configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the database and blobs live.
    pub data_dir: PathBuf,
    /// The demo page.
    pub www_dir: PathBuf,
    /// The npm package folder (its `package.json`, `dist/`, `wasm/`).
    pub pkg_dir: PathBuf,
    /// How long a session token lasts.
    pub session_ttl: Duration,
    /// How long a login challenge may wait for its signature.
    pub challenge_ttl: Duration,
    /// Body size limits.
    pub limits: Limits,
}

impl Config {
    /// Defaults: `www/` and `js/` relative to the working directory, 15-minute sessions,
    /// 2-minute challenges, [`Limits::default`].
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            www_dir: PathBuf::from("www"),
            pkg_dir: PathBuf::from("js"),
            session_ttl: Duration::from_secs(15 * 60),
            challenge_ttl: Duration::from_secs(2 * 60),
            limits: Limits::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Store,
    config: Arc<Config>,
    statics: Arc<StaticFiles>,
}

/// Opens the data directory and builds the whole application.
///
/// # Errors
/// [`OpenError`] if the data directory or database cannot be opened.
pub fn app(config: Config) -> Result<Router, OpenError> {
    let store = Store::open(&config.data_dir)?;
    let statics = StaticFiles::new(config.www_dir.clone(), config.pkg_dir.clone());
    let limits = config.limits.clone();
    let state = AppState {
        store,
        config: Arc::new(config),
        statics: Arc::new(statics),
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
        .layer(DefaultBodyLimit::max(limits.json_bytes));
    let log = Router::new()
        .route("/api/workspaces", post(workspaces::create_workspace))
        .route("/api/workspaces/{ws}/log", post(workspaces::append_log))
        .route(
            "/api/workspaces/{ws}/grants",
            get(workspaces::get_grants).post(workspaces::post_grants),
        )
        .layer(DefaultBodyLimit::max(limits.log_bytes));
    let records = Router::new()
        .route(
            "/api/workspaces/{ws}/records/{record}/{field}",
            put(records::put_record)
                .get(records::get_record)
                .delete(records::delete_record),
        )
        .layer(DefaultBodyLimit::max(limits.record_bytes));
    // Blobs count their own bytes as they stream in (Limits::blob_bytes).
    let blobs = Router::new()
        .route(
            "/api/workspaces/{ws}/blobs/{blob}",
            put(blobs::put_blob)
                .get(blobs::get_blob)
                .delete(blobs::delete_blob),
        )
        .layer(DefaultBodyLimit::disable());
    Ok(small
        .merge(log)
        .merge(records)
        .merge(blobs)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(fallback)
        .with_state(state)
        .layer(middleware::from_fn(log_request))
        .layer(middleware::map_response(security_headers)))
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

/// The headers `www/serve.mjs` sets on every response: a strict CSP that allows wasm,
/// no sniffing, no referrer, same-origin opener, no caching.
async fn security_headers(mut response: Response) -> Response {
    const HEADERS: [(HeaderName, &str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
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

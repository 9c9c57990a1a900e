//! A real server on 127.0.0.1:0 over a temporary data directory, an HTTP client for it,
//! and Confide members and workspaces built with the core crate.
//!
//! Included as a module by each test file, which allows the test-only lints for it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64ct::{Base64UrlUnpadded, Encoding};
use confide::{LoadInput, MemberSecretKey, MemberSeed, Workspace};
use confide_server::{App, Config, Metrics, app, serve};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

pub const T0: u64 = 1_790_000_000;
pub const WEEK: u64 = 7 * 86_400;

pub type Body = BoxBody<Bytes, Infallible>;

pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).unwrap()
}

pub fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n; 32]))
}

pub fn id(m: &MemberSecretKey) -> [u8; 32] {
    m.fingerprint().id()
}

/// The current Unix time in seconds: invites must be open by the server's clock.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub struct Server {
    pub addr: SocketAddr,
    pub metrics: std::sync::Arc<Metrics>,
    pub disk: std::sync::Arc<confide_server::disk::DiskGuard>,
    client: Client<HttpConnector, Body>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.code` of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

/// Whether this run uses PostgreSQL and S3 (`server/scripts/with-services.sh` sets
/// `CONFIDE_TEST_PG` and `CONFIDE_TEST_S3`) instead of SQLite and a local folder.
pub fn scaled() -> bool {
    std::env::var_os("CONFIDE_TEST_PG").is_some()
}

fn random_hex() -> String {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A new, empty database in the run's PostgreSQL cluster; its URL.
pub async fn fresh_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("t_{}", random_hex());
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    conn.close().await.unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

/// A new, empty bucket in the run's S3 server; its name.
pub async fn fresh_bucket(endpoint: &str) -> String {
    let name = format!("t-{}", random_hex());
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new()).build_http();
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("{endpoint}/{name}"))
        .body(empty())
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert!(
        res.status().is_success(),
        "creating a bucket: {}",
        res.status()
    );
    name
}

/// The object store options for the run's S3 server.
pub fn s3_options(endpoint: &str) -> Vec<(String, String)> {
    [
        ("aws_endpoint", endpoint),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", "confide-test"),
        ("aws_secret_access_key", "confide-test"),
        ("aws_region", "us-east-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A server over `dir` with the repository's `www/` and `js/`, no rate limits (the tests
/// that are about them turn them on) and a small reserve file. In a scaled run, a fresh
/// PostgreSQL database and S3 bucket of its own.
pub async fn config(dir: &Path) -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut c = Config::new(dir);
    c.www_dir = root.join("www");
    c.pkg_dir = root.join("js");
    c.rates = confide_server::RateLimits::off();
    c.reserve_bytes = 1 << 20;
    if let Ok(pg) = std::env::var("CONFIDE_TEST_PG") {
        c.database = Some(fresh_database(&pg).await);
        c.db_connections = 4;
    }
    if let Ok(s3) = std::env::var("CONFIDE_TEST_S3") {
        c.blobs = Some(format!("s3://{}", fresh_bucket(&s3).await));
        c.blob_options = s3_options(&s3);
    }
    c
}

impl Server {
    pub async fn start(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(config, listener).await
    }

    /// Starts the server on a listener the test made.
    pub async fn start_on(config: Config, listener: tokio::net::TcpListener) -> Self {
        let http = config.http.clone();
        let app: App = app(config).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (metrics, disk) = (app.metrics.clone(), app.disk.clone());
        let task = tokio::spawn(async move {
            serve(listener, app.router.clone(), http, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
            app.close().await;
        });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            addr,
            metrics,
            disk,
            client,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// A client of a server running elsewhere (another process).
    pub fn remote(addr: SocketAddr) -> Self {
        Self {
            addr,
            metrics: std::sync::Arc::new(Metrics::default()),
            disk: std::sync::Arc::new(confide_server::disk::DiskGuard::new(None, 0)),
            client: Client::builder(TokioExecutor::new()).build_http(),
            shutdown: None,
            task: None,
        }
    }

    /// The status of a request whose connection may break (a server being killed).
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Bytes,
    ) -> Option<StatusCode> {
        let req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(full(body))
            .unwrap();
        let res = self.client.request(req).await.ok()?;
        let status = res.status();
        res.into_body().collect().await.ok()?;
        Some(status)
    }

    pub async fn try_put(&self, path: &str, token: &str, bytes: Vec<u8>) -> Option<StatusCode> {
        self.try_send(
            Method::PUT,
            path,
            token,
            "application/octet-stream",
            Bytes::from(bytes),
        )
        .await
    }

    pub async fn try_post(&self, path: &str, token: &str, body: Value) -> Option<StatusCode> {
        let bytes = Bytes::from(serde_json::to_vec(&body).unwrap());
        self.try_send(Method::POST, path, token, "application/json", bytes)
            .await
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server task.
    pub async fn stop(mut self) {
        drop(self.client);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Response {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.client.request(req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(Method::GET, path, token, &[], empty()).await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Response {
        let bytes = Bytes::from(serde_json::to_vec(&body).unwrap());
        self.send(
            method,
            path,
            token,
            &[("content-type", "application/json")],
            full(bytes),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.json(Method::POST, path, token, body).await
    }

    pub async fn put_bytes(&self, path: &str, token: &str, bytes: Vec<u8>) -> Response {
        self.send(
            Method::PUT,
            path,
            Some(token),
            &[("content-type", "application/octet-stream")],
            full(Bytes::from(bytes)),
        )
        .await
    }

    /// Challenge, sign, session: a bearer token for `m`.
    pub async fn login(&self, m: &MemberSecretKey) -> String {
        let r = self
            .post(
                "/api/session/challenge",
                None,
                json!({ "bundle": b64(m.public_bundle().as_bytes()) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let challenge = unb64(r.json()["challenge"].as_str().unwrap());
        let r = self
            .post(
                "/api/session",
                None,
                json!({
                    "memberId": b64(&id(m)),
                    "challenge": b64(&challenge),
                    "signature": b64(&m.sign_server_challenge(&challenge)),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.json()["token"].as_str().unwrap().to_owned()
    }

    /// Creates a workspace for `creator` on the server, with the creator's own grant.
    pub async fn create_workspace(&self, creator: MemberSecretKey, token: &str) -> Workspace {
        let bundle = creator.public_bundle().as_bytes().to_vec();
        let ws = Workspace::create(creator, now()).unwrap();
        let genesis = ws.membership().unwrap().entries().next().unwrap().to_vec();
        let grant = ws.grant(&bundle).unwrap();
        let r = self
            .post(
                "/api/workspaces",
                Some(token),
                json!({
                    "entry": b64(&genesis),
                    "grants": [{ "memberId": b64(&id(ws.member())), "grant": b64(&grant) }],
                }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["workspaceId"], b64(ws.id().as_bytes()));
        ws
    }

    /// Appends `entry` on top of `expected_seq`, with optional grants and history link.
    pub async fn append(
        &self,
        ws: &Workspace,
        token: &str,
        expected_seq: u32,
        entry: &[u8],
        grants: &[([u8; 32], Vec<u8>)],
        history_link: Option<&[u8]>,
    ) -> Response {
        let grants: Vec<Value> = grants
            .iter()
            .map(|(m, g)| json!({ "memberId": b64(m), "grant": b64(g) }))
            .collect();
        let mut body =
            json!({ "expectedSeq": expected_seq, "entry": b64(entry), "grants": grants });
        if let Some(link) = history_link {
            body["historyLink"] = json!(b64(link));
        }
        self.post(&format!("{}/log", ws_path(ws)), Some(token), body)
            .await
    }

    /// Invites `m` to `ws` and admits it, as the admin holding `admin_t`; returns `m`'s
    /// token and its invite link (its trust anchor for a first load). `seq` is the log's
    /// head seq.
    pub async fn admit(
        &self,
        ws: &mut Workspace,
        admin_t: &str,
        m: &MemberSecretKey,
        seq: u32,
    ) -> (String, confide::InviteLink) {
        let token = self.login(m).await;
        let invite = ws
            .create_invite(confide::Role::Member, now(), WEEK)
            .unwrap();
        let r = self
            .append(ws, admin_t, seq, &invite.log_entry, &[], None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let link = confide::InviteLink::parse(&invite.link.to_fragment()).unwrap();
        let acceptance = link.accept(m);
        let path = format!(
            "{}/invites/{}/acceptances",
            ws_path(ws),
            b64(&invite.invite_id)
        );
        let r = self
            .post(
                &path,
                Some(&token),
                json!({ "acceptance": b64(&acceptance) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
        let admission = ws.admit(&acceptance, now()).unwrap();
        let r = self
            .append(
                ws,
                admin_t,
                seq + 1,
                &admission.log_entry,
                &[(admission.member_id, admission.grant)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        (token, link)
    }

    /// Loads `m`'s view of the workspace from what the server returns, as a client does.
    pub async fn load(
        &self,
        m: &MemberSecretKey,
        token: &str,
        ws_id: &[u8],
        invite: Option<&confide::InviteLink>,
    ) -> Workspace {
        let base = format!("/api/workspaces/{}", b64(ws_id));
        let strings = |v: &Value, key: &str| -> Vec<Vec<u8>> {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| unb64(e.as_str().unwrap()))
                .collect()
        };
        let log = strings(
            &self.get(&format!("{base}/log"), Some(token)).await.json(),
            "entries",
        );
        let grants = strings(
            &self
                .get(&format!("{base}/grants"), Some(token))
                .await
                .json(),
            "grants",
        );
        let history = strings(
            &self
                .get(&format!("{base}/history"), Some(token))
                .await
                .json(),
            "links",
        );
        let log: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
        let history: Vec<&[u8]> = history.iter().map(Vec::as_slice).collect();
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &history,
            pinned_head: None,
            invite,
        };
        Workspace::load(m.rederive(), &input).unwrap()
    }
}

pub fn ws_path(ws: &Workspace) -> String {
    format!("/api/workspaces/{}", b64(ws.id().as_bytes()))
}

pub fn empty() -> Body {
    full(Bytes::new())
}

pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes).boxed()
}

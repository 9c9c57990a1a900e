//! `make bench-server`: a load benchmark of the reference server (issue 14).
//!
//! Starts the release server binary on free localhost ports, over SQLite and, when a
//! PostgreSQL cluster is given, over PostgreSQL (one instance, then two instances on the same
//! database with the requests spread across them), and measures with 50 concurrent members:
//! record writes, record reads, blob Range reads, log appends; log-append latency at 10,
//! 1,000 and 10,000 entries of log length; a non-member's flood on a workspace whose log is
//! about 7 MB, against a bystander member's latency; and the server's RSS. Writes a Markdown
//! section (`## Server load`) for BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p confide-server --example load -- \
//!     --server target/release/confide-server --out build/bench-server.md \
//!     [--pg postgres://confide@127.0.0.1:PORT/postgres] [--seconds 3] [--warmup 1]
//! ```
//!
//! `--pg` defaults to `CONFIDE_TEST_PG` (server/scripts/with-services.sh sets it). Members,
//! workspaces, logs and records are real: members log in with the signed challenge, logs are
//! built with the core's `Workspace`, and every record is a genuine Confide record, encrypted
//! once per member and record id with `Workspace::encrypt` and then sent again and again.

#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64ct::{Base64UrlUnpadded, Encoding};
use bytes::Bytes;
use confide::{
    ContentType, EncryptOptions, InviteLink, LoadInput, MemberSecretKey, MemberSeed, RecordContext,
    Role, Workspace,
};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// Concurrent members in the throughput scenarios.
const MEMBERS: usize = 50;
/// Record ids each member writes and reads, in turn.
const RECORDS_PER_MEMBER: usize = 20;
/// The plaintext of each record: a 1 KiB note.
const NOTE_BYTES: usize = 1024;
/// Each member's blob, and the slice a Range read asks for.
const BLOB_BYTES: usize = 1 << 20;
const RANGE_BYTES: usize = 64 * 1024;
/// Log lengths at which append latency is measured, and appends timed at each.
const LOG_LENGTHS: [usize; 3] = [10, 1_000, LONG_LOG_ENTRIES];
const LONG_LOG_ENTRIES: usize = 10_000;
const TIMED_APPENDS: usize = 100;
/// The long log's size at 10,000 entries, as in the review's attack.
const LONG_LOG_BYTES: usize = 7_000_000;
/// The outsider's concurrent requests in the attack.
const OUTSIDER_TASKS: usize = 8;
/// The rate-limit multiplier the servers run with (`--rate-limit-scale`).
const RATE_SCALE: u32 = 1000;

type R<T> = Result<T, String>;
type Http = Client<HttpConnector, Full<Bytes>>;

fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

fn unb64(text: &str) -> R<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(text).map_err(|e| format!("base64: {e}"))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A member from a fixed seed: the same keys on every run.
fn member(tag: u8, n: u32) -> MemberSecretKey {
    let mut seed = [tag; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    MemberSecretKey::derive(MemberSeed::from_bytes(seed))
}

fn id(m: &MemberSecretKey) -> [u8; 32] {
    m.fingerprint().id()
}

fn ws_path(ws: &Workspace) -> String {
    format!("/api/workspaces/{}", b64(ws.id().as_bytes()))
}

// ---------- HTTP ---------------------------------------------------------------------

struct Answer {
    status: StatusCode,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> R<Value> {
        serde_json::from_slice(&self.body).map_err(|_| {
            format!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn expect(self, want: &[StatusCode], what: &str) -> R<Self> {
        if want.contains(&self.status) {
            Ok(self)
        } else {
            Err(format!(
                "{what}: {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            ))
        }
    }
}

async fn send(
    http: &Http,
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Bytes,
) -> R<Answer> {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
    let res = http
        .request(req)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = res.status();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{path}: {e}"))?
        .to_bytes();
    Ok(Answer { status, body })
}

async fn post(
    http: &Http,
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> R<Answer> {
    let bytes = Bytes::from(serde_json::to_vec(body).map_err(|e| e.to_string())?);
    send(
        http,
        addr,
        Method::POST,
        path,
        token,
        &[("content-type", "application/json")],
        bytes,
    )
    .await
}

async fn get(http: &Http, addr: SocketAddr, path: &str, token: &str) -> R<Answer> {
    send(
        http,
        addr,
        Method::GET,
        path,
        Some(token),
        &[],
        Bytes::new(),
    )
    .await
}

async fn put(http: &Http, addr: SocketAddr, path: &str, token: &str, bytes: Bytes) -> R<Answer> {
    send(
        http,
        addr,
        Method::PUT,
        path,
        Some(token),
        &[("content-type", "application/octet-stream")],
        bytes,
    )
    .await
}

/// Challenge, signature, session: a bearer token.
async fn login(http: &Http, addr: SocketAddr, m: &MemberSecretKey) -> R<String> {
    let r = post(
        http,
        addr,
        "/api/session/challenge",
        None,
        &json!({ "bundle": b64(m.public_bundle().as_bytes()) }),
    )
    .await?
    .expect(&[StatusCode::CREATED], "challenge")?;
    let challenge = unb64(
        r.json()?
            .get("challenge")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )?;
    let r = post(
        http,
        addr,
        "/api/session",
        None,
        &json!({
            "memberId": b64(&id(m)),
            "challenge": b64(&challenge),
            "signature": b64(&m.sign_server_challenge(&challenge)),
        }),
    )
    .await?
    .expect(&[StatusCode::CREATED], "session")?;
    Ok(r.json()?
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned())
}

/// Creates `creator`'s workspace on the server, with the creator's grant.
async fn create_workspace(
    http: &Http,
    addr: SocketAddr,
    creator: MemberSecretKey,
    token: &str,
) -> R<Workspace> {
    let bundle = creator.public_bundle().as_bytes().to_vec();
    let ws = Workspace::create(creator, now()).map_err(|e| e.to_string())?;
    let genesis = ws
        .membership()
        .and_then(|l| l.entries().next())
        .ok_or("no genesis")?
        .to_vec();
    let grant = ws.grant(&bundle).map_err(|e| e.to_string())?;
    post(
        http,
        addr,
        "/api/workspaces",
        Some(token),
        &json!({
            "entry": b64(&genesis),
            "grants": [{ "memberId": b64(&id(ws.member())), "grant": b64(&grant) }],
        }),
    )
    .await?
    .expect(&[StatusCode::CREATED], "create workspace")?;
    Ok(ws)
}

/// Appends `entry` on top of `expected_seq`.
async fn append(
    http: &Http,
    addr: SocketAddr,
    path: &str,
    token: &str,
    expected_seq: usize,
    entry: &[u8],
    grants: &[([u8; 32], Vec<u8>)],
) -> R<Answer> {
    let grants: Vec<Value> = grants
        .iter()
        .map(|(m, g)| json!({ "memberId": b64(m), "grant": b64(g) }))
        .collect();
    let body = json!({ "expectedSeq": expected_seq, "entry": b64(entry), "grants": grants });
    post(http, addr, &format!("{path}/log"), Some(token), &body)
        .await?
        .expect(&[StatusCode::OK], "append")
}

// ---------- servers ------------------------------------------------------------------

struct Instance {
    child: Child,
    addr: SocketAddr,
}

impl Instance {
    /// Starts the server binary on a free port (`--addr 127.0.0.1:0`) and reads the address
    /// it prints.
    fn start(bin: &Path, work: &Path, name: &str, database: Option<&str>) -> R<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let data = work.join(name);
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let out_path = work.join(format!("{name}.out"));
        let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(work.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.args(["--addr", "127.0.0.1:0", "--max-connections-per-ip", "0"])
            .args(["--rate-limit-scale", &RATE_SCALE.to_string()])
            .arg("--data")
            .arg(&data)
            .arg("--www")
            .arg(root.join("www"))
            .arg("--pkg")
            .arg(root.join("js"))
            .env_remove("CONFIDE_DATABASE")
            .env_remove("CONFIDE_KEYS")
            .env_remove("CONFIDE_BLOBS")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log);
        if let Some(url) = database {
            // Instances on one database share one blob store: here, one local folder.
            cmd.args(["--database", url])
                .arg("--blobs")
                .arg(work.join("pg-blobs"));
        }
        let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?;
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            if let Some(rest) = text.split("http://").nth(1) {
                let addr = rest
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}: no address in {text:?}"))?;
                return Ok(Self { child, addr });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{name}: exited ({status}); see {}",
                    work.join(format!("{name}.log")).display()
                ));
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                return Err(format!("{name}: not listening after 60 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// VmHWM and VmRSS of the process, in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    /// SIGTERM (a graceful stop), then waits.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new database in the PostgreSQL cluster at `admin_url`; its URL.
async fn fresh_database(admin_url: &str, name: &str) -> R<(String, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .map_err(|e| e.to_string())?;
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(sql))
            .await
            .map_err(|e| e.to_string())?;
    }
    let version: (String,) = sqlx::query_as("SHOW server_version")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await.map_err(|e| e.to_string())?;
    let base = admin_url
        .rsplit_once('/')
        .ok_or("a database URL ends in /name")?
        .0;
    // "15.18 (Debian 15.18-0+deb12u1)": the version is the first word.
    let version = version
        .0
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok((format!("{base}/{name}"), version))
}

// ---------- measurement --------------------------------------------------------------

/// Latencies of the requests that started after the warm-up and ended within the window.
#[derive(Default, Clone)]
struct Stats {
    micros: Vec<u64>,
    seconds: f64,
    errors: usize,
    first_error: Option<String>,
}

impl Stats {
    fn merge(&mut self, other: Self) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.micros.len() as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Nearest rank: the smallest latency with at least `p` % of the samples at or below it.
    /// In milliseconds.
    fn percentile(&self, p: usize) -> f64 {
        let mut v = self.micros.clone();
        v.sort_unstable();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = (p * v.len()).div_ceil(100).max(1);
        v.get(rank - 1).copied().unwrap_or_default() as f64 / 1000.0
    }

    fn max(&self) -> f64 {
        self.micros.iter().copied().max().unwrap_or_default() as f64 / 1000.0
    }
}

/// Runs `tasks` loops of `op(task, iteration)` for `warmup + measure`; keeps the requests
/// that started after the warm-up and finished within the window.
async fn run<F, Fut>(tasks: usize, warmup: Duration, measure: Duration, op: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R<()>> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + measure);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let op = op.clone();
        handles.push(tokio::spawn(async move {
            let mut s = Stats::default();
            let mut k = 0;
            while Instant::now() < until {
                let t0 = Instant::now();
                let r = op(t, k).await;
                let t1 = Instant::now();
                k += 1;
                match r {
                    Ok(()) if t0 >= from && t1 <= until => {
                        s.micros
                            .push(u64::try_from((t1 - t0).as_micros()).unwrap_or(u64::MAX));
                    }
                    Ok(()) => {}
                    Err(e) => {
                        s.errors += 1;
                        s.first_error.get_or_insert(e);
                        // A broken scenario should not spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            s
        }));
    }
    let mut all = Stats {
        seconds: measure.as_secs_f64(),
        ..Stats::default()
    };
    for h in handles {
        if let Ok(s) = h.await {
            all.merge(s);
        }
    }
    if let Some(e) = &all.first_error {
        eprintln!("  {} errors; first: {e}", all.errors);
    }
    all
}

// ---------- the fixture: 50 members in one workspace ---------------------------------

struct Fixture {
    /// Every member's token, the admin first; index = member.
    tokens: Vec<String>,
    /// The main workspace's path.
    main: String,
    /// Each member's records: (record id, ciphertext).
    records: Vec<Vec<(String, Bytes)>>,
    /// Each member's own workspace, for the append scenario, with its log length.
    own: Vec<Mutex<(Workspace, usize)>>,
}

/// Builds the fixture through `addr`: the admin creates the workspace and admits 49 members
/// (invite, acceptance, admission), each member loads it as a client does and encrypts its
/// records, uploads a blob, and creates a workspace of its own.
async fn fixture(http: &Http, addr: SocketAddr) -> R<Fixture> {
    let keys: Vec<MemberSecretKey> = (0..MEMBERS)
        .map(|i| member(1, u32::try_from(i).unwrap_or(0)))
        .collect();
    let mut tokens = Vec::new();
    for k in &keys {
        tokens.push(login(http, addr, k).await?);
    }
    let admin_t = tokens.first().ok_or("no admin")?.clone();
    let mut ws = create_workspace(
        http,
        addr,
        keys.first().ok_or("no admin")?.rederive(),
        &admin_t,
    )
    .await?;
    let main = ws_path(&ws);
    let mut links = vec![None];
    for (k, token) in keys.iter().zip(&tokens).skip(1) {
        let seq = ws.membership().ok_or("no log")?.len() - 1;
        let invite = ws
            .create_invite(Role::Member, now(), 7 * 86_400)
            .map_err(|e| e.to_string())?;
        append(http, addr, &main, &admin_t, seq, &invite.log_entry, &[]).await?;
        let link = InviteLink::parse(&invite.link.to_fragment()).map_err(|e| e.to_string())?;
        let acceptance = link.accept(k);
        post(
            http,
            addr,
            &format!("{main}/invites/{}/acceptances", b64(&invite.invite_id)),
            Some(token),
            &json!({ "acceptance": b64(&acceptance) }),
        )
        .await?
        .expect(&[StatusCode::NO_CONTENT], "acceptance")?;
        let admission = ws.admit(&acceptance, now()).map_err(|e| e.to_string())?;
        append(
            http,
            addr,
            &main,
            &admin_t,
            seq + 1,
            &admission.log_entry,
            &[(admission.member_id, admission.grant)],
        )
        .await?;
        links.push(Some(link));
    }
    let mut records = Vec::new();
    let blob = Bytes::from(pattern(BLOB_BYTES));
    let opts = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let note = vec![b'n'; NOTE_BYTES];
    for (i, (k, token)) in keys.iter().zip(&tokens).enumerate() {
        let view = load(
            http,
            addr,
            k,
            token,
            &main,
            links.get(i).and_then(Option::as_ref),
        )
        .await?;
        let mut mine = Vec::new();
        for r in 0..RECORDS_PER_MEMBER {
            let record_id = format!("m{i}-n{r}");
            let ctx = RecordContext {
                record_id: &record_id,
                field: "body",
            };
            let bytes = view.encrypt(&note, &ctx, opts).map_err(|e| e.to_string())?;
            put(
                http,
                addr,
                &format!("{main}/records/{record_id}/body"),
                token,
                Bytes::from(bytes.clone()),
            )
            .await?
            .expect(&[StatusCode::CREATED, StatusCode::NO_CONTENT], "record")?;
            mine.push((record_id, Bytes::from(bytes)));
        }
        records.push(mine);
        put(
            http,
            addr,
            &format!("{main}/blobs/m{i}-audio"),
            token,
            blob.clone(),
        )
        .await?
        .expect(&[StatusCode::CREATED, StatusCode::NO_CONTENT], "blob")?;
    }
    let mut own = Vec::new();
    for (k, token) in keys.iter().zip(&tokens) {
        let w = create_workspace(http, addr, k.rederive(), token).await?;
        own.push(Mutex::new((w, 1)));
    }
    Ok(Fixture {
        tokens,
        main,
        records,
        own,
    })
}

/// Loads `m`'s view of the workspace from what the server returns, as a client does.
async fn load(
    http: &Http,
    addr: SocketAddr,
    m: &MemberSecretKey,
    token: &str,
    base: &str,
    invite: Option<&InviteLink>,
) -> R<Workspace> {
    let mut lists = Vec::new();
    for (route, key) in [
        ("log", "entries"),
        ("grants", "grants"),
        ("history", "links"),
    ] {
        let v = get(http, addr, &format!("{base}/{route}"), token)
            .await?
            .expect(&[StatusCode::OK], route)?
            .json()?;
        let list: R<Vec<Vec<u8>>> = v
            .get(key)
            .and_then(Value::as_array)
            .ok_or("not a list")?
            .iter()
            .map(|e| unb64(e.as_str().unwrap_or_default()))
            .collect();
        lists.push(list?);
    }
    let refs: Vec<Vec<&[u8]>> = lists
        .iter()
        .map(|l| l.iter().map(Vec::as_slice).collect())
        .collect();
    let empty = Vec::new();
    let input = LoadInput {
        log: refs.first().unwrap_or(&empty),
        grants: refs.get(1).unwrap_or(&empty),
        history: refs.get(2).unwrap_or(&empty),
        pinned_head: None,
        invite,
    };
    Workspace::load(m.rederive(), &input).map_err(|e| e.to_string())
}

/// Blob bytes: blobs stream in unparsed, so any bytes will do; these do not compress.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The four throughput scenarios; member `i` talks to `addrs[i % addrs.len()]`.
struct Throughput {
    put: Stats,
    get: Stats,
    range: Stats,
    append: Stats,
}

async fn throughput(
    http: &Http,
    addrs: &[SocketAddr],
    fx: &Arc<Fixture>,
    warmup: Duration,
    measure: Duration,
) -> Throughput {
    let addrs: Arc<Vec<SocketAddr>> = Arc::new(addrs.to_vec());
    let at = {
        let addrs = addrs.clone();
        move |i: usize| {
            addrs
                .get(i % addrs.len())
                .copied()
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
        }
    };

    eprintln!("  record PUT");
    let (h, f, a) = (http.clone(), fx.clone(), at.clone());
    let put_stats = run(MEMBERS, warmup, measure, move |i, k| {
        let (h, f, a) = (h.clone(), f.clone(), a.clone());
        async move {
            let (rid, bytes) = f
                .records
                .get(i)
                .and_then(|r| r.get(k % RECORDS_PER_MEMBER))
                .ok_or("no record")?;
            let token = f.tokens.get(i).ok_or("no token")?;
            put(
                &h,
                a(i),
                &format!("{}/records/{rid}/body", f.main),
                token,
                bytes.clone(),
            )
            .await?
            .expect(&[StatusCode::NO_CONTENT], "PUT record")
            .map(drop)
        }
    })
    .await;

    eprintln!("  record GET");
    let (h, f, a) = (http.clone(), fx.clone(), at.clone());
    let get_stats = run(MEMBERS, warmup, measure, move |i, k| {
        let (h, f, a) = (h.clone(), f.clone(), a.clone());
        async move {
            // Another member's record: reads cross authors.
            let owner = (i + k) % MEMBERS;
            let (rid, bytes) = f
                .records
                .get(owner)
                .and_then(|r| r.get(k % RECORDS_PER_MEMBER))
                .ok_or("no record")?;
            let token = f.tokens.get(i).ok_or("no token")?;
            let r = get(&h, a(i), &format!("{}/records/{rid}/body", f.main), token)
                .await?
                .expect(&[StatusCode::OK], "GET record")?;
            if r.body.len() == bytes.len() {
                Ok(())
            } else {
                Err("a record came back another size".to_owned())
            }
        }
    })
    .await;

    eprintln!("  blob Range GET");
    let (h, f, a) = (http.clone(), fx.clone(), at.clone());
    let range_stats = run(MEMBERS, warmup, measure, move |i, k| {
        let (h, f, a) = (h.clone(), f.clone(), a.clone());
        async move {
            let owner = (i + k) % MEMBERS;
            let start = (k * 7919 * RANGE_BYTES) % (BLOB_BYTES - RANGE_BYTES);
            let range = format!("bytes={start}-{}", start + RANGE_BYTES - 1);
            let token = f.tokens.get(i).ok_or("no token")?;
            let r = send(
                &h,
                a(i),
                Method::GET,
                &format!("{}/blobs/m{owner}-audio", f.main),
                Some(token),
                &[("range", range.as_str())],
                Bytes::new(),
            )
            .await?
            .expect(&[StatusCode::PARTIAL_CONTENT], "Range GET")?;
            if r.body.len() == RANGE_BYTES {
                Ok(())
            } else {
                Err("a short range".to_owned())
            }
        }
    })
    .await;

    eprintln!("  log append");
    let (h, f, a) = (http.clone(), fx.clone(), at.clone());
    let append_stats = run(MEMBERS, warmup, measure, move |i, _| {
        let (h, f, a) = (h.clone(), f.clone(), a.clone());
        async move {
            // Each member appends an invite to its own workspace's log (appends to one log
            // queue on its head: one admin's stream per workspace is what a practice does).
            let cell = f.own.get(i).ok_or("no workspace")?;
            let (entry, seq, path) = {
                let mut g = cell.lock().unwrap_or_else(PoisonError::into_inner);
                let (w, len) = &mut *g;
                let invite = w
                    .create_invite(Role::Member, now(), 7 * 86_400)
                    .map_err(|e| e.to_string())?;
                let seq = *len - 1;
                *len += 1;
                (invite.log_entry, seq, ws_path(w))
            };
            let token = f.tokens.get(i).ok_or("no token")?;
            append(&h, a(i), &path, token, seq, &entry, &[])
                .await
                .map(drop)
        }
    })
    .await;

    Throughput {
        put: put_stats,
        get: get_stats,
        range: range_stats,
        append: append_stats,
    }
}

// ---------- the long log, and the attack ---------------------------------------------

struct LongLog {
    /// (log length when timing began, latencies of TIMED_APPENDS appends).
    appends: Vec<(usize, Stats)>,
    entries: usize,
    bytes: usize,
    build_seconds: f64,
    attack: Attack,
}

struct Attack {
    /// The bystander alone.
    before: Stats,
    /// The flood on the long log's workspace, and on a workspace of two entries.
    long: Flood,
    small: Flood,
}

struct Flood {
    /// The outsider's requests one at a time, on an otherwise idle server.
    alone: Stats,
    outsider: Stats,
    statuses: Vec<(u16, usize)>,
    /// The bystander meanwhile.
    during: Stats,
}

/// Builds a log of 10,000 entries and about 7 MB through `addr` (invites and admissions,
/// mixed so that the bytes grow with the entries), timing `TIMED_APPENDS` sequential
/// appends at each of LOG_LENGTHS; then replays the review's attack on it.
async fn long_log(
    http: &Http,
    addr: SocketAddr,
    fx: &Arc<Fixture>,
    measure: Duration,
) -> R<LongLog> {
    let admin = member(2, 0);
    let token = login(http, addr, &admin).await?;
    let mut ws = create_workspace(http, addr, admin, &token).await?;
    let path = ws_path(&ws);
    let started = Instant::now();
    let mut appends = Vec::new();
    let mut invitees = 0u32;
    let mut last_link = None;
    let len = |ws: &Workspace| ws.membership().map_or(0, confide::MembershipLog::len);
    let bytes = |ws: &Workspace| ws.membership().map_or(0, confide::MembershipLog::byte_len);
    for &target in &LOG_LENGTHS {
        while len(&ws) < target {
            let l = len(&ws);
            let invite = ws
                .create_invite(Role::Member, now(), 7 * 86_400)
                .map_err(|e| e.to_string())?;
            append(http, addr, &path, &token, l - 1, &invite.log_entry, &[]).await?;
            if bytes(&ws) * LONG_LOG_ENTRIES < LONG_LOG_BYTES * (l + 1) && l + 2 <= target {
                let link =
                    InviteLink::parse(&invite.link.to_fragment()).map_err(|e| e.to_string())?;
                let invitee = member(3, invitees);
                invitees += 1;
                let admission = ws
                    .admit(&link.accept(&invitee), now())
                    .map_err(|e| e.to_string())?;
                append(
                    http,
                    addr,
                    &path,
                    &token,
                    l,
                    &admission.log_entry,
                    &[(admission.member_id, admission.grant)],
                )
                .await?;
            }
        }
        let at = len(&ws);
        eprintln!(
            "  {at} entries, {} bytes: {TIMED_APPENDS} appends",
            bytes(&ws)
        );
        let mut s = Stats::default();
        let t = Instant::now();
        for _ in 0..TIMED_APPENDS {
            let l = len(&ws);
            let invite = ws
                .create_invite(Role::Member, now(), 7 * 86_400)
                .map_err(|e| e.to_string())?;
            let t0 = Instant::now();
            append(http, addr, &path, &token, l - 1, &invite.log_entry, &[]).await?;
            s.micros
                .push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
            last_link = Some((invite.invite_id, invite.link.to_fragment()));
        }
        s.seconds = t.elapsed().as_secs_f64();
        appends.push((at, s));
    }
    let build_seconds = started.elapsed().as_secs_f64();
    let (entries, total) = (len(&ws), bytes(&ws));
    let (invite_id, fragment) = last_link.ok_or("no invite")?;
    let link = InviteLink::parse(&fragment).map_err(|e| e.to_string())?;
    let attack = attack(http, addr, fx, (&path, invite_id, &link), measure).await?;
    Ok(LongLog {
        appends,
        entries,
        bytes: total,
        build_seconds,
        attack,
    })
}

/// The review's attack: an outsider (logged in, on no workspace) floods a workspace with
/// acceptances under its open invite, log reads and record writes, from OUTSIDER_TASKS
/// connections, while a bystander member of the main workspace reads records one at a
/// time. The same flood on a workspace of two entries is the peer: what the flood costs
/// whatever the log's length (on two shared cores, mostly CPU).
async fn attack(
    http: &Http,
    addr: SocketAddr,
    fx: &Arc<Fixture>,
    long: (&str, [u8; 32], &InviteLink),
    measure: Duration,
) -> R<Attack> {
    let outsider = member(4, 0);
    let token = Arc::new(login(http, addr, &outsider).await?);
    // The peer: a workspace of two entries (genesis, one open invite).
    let small_admin = member(2, 1);
    let small_t = login(http, addr, &small_admin).await?;
    let mut small = create_workspace(http, addr, small_admin, &small_t).await?;
    let invite = small
        .create_invite(Role::Member, now(), 7 * 86_400)
        .map_err(|e| e.to_string())?;
    append(
        http,
        addr,
        &ws_path(&small),
        &small_t,
        0,
        &invite.log_entry,
        &[],
    )
    .await?;
    let small_link = InviteLink::parse(&invite.link.to_fragment()).map_err(|e| e.to_string())?;

    let bystander = {
        let (h, f) = (http.clone(), fx.clone());
        move |_: usize, k: usize| {
            let (h, f) = (h.clone(), f.clone());
            async move {
                let (rid, _) = f
                    .records
                    .get(1)
                    .and_then(|r| r.get(k % RECORDS_PER_MEMBER))
                    .ok_or("no record")?;
                let token = f.tokens.get(1).ok_or("no token")?;
                get(&h, addr, &format!("{}/records/{rid}/body", f.main), token)
                    .await?
                    .expect(&[StatusCode::OK], "bystander GET")
                    .map(drop)
            }
        }
    };
    let warm = Duration::from_millis(500);
    eprintln!("  bystander alone");
    let before = run(1, warm, measure, bystander.clone()).await;
    let mut floods = Vec::new();
    for (target, invite_id, link) in [
        (long.0.to_owned(), long.1, long.2),
        (ws_path(&small), invite.invite_id, &small_link),
    ] {
        let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
        let acceptance = Arc::new(json!({ "acceptance": b64(&link.accept(&outsider)) }));
        let flood = {
            let (h, tok, st) = (http.clone(), token.clone(), statuses.clone());
            let paths = Arc::new([
                format!("{target}/invites/{}/acceptances", b64(&invite_id)),
                format!("{target}/log"),
                format!("{target}/records/x/body"),
            ]);
            move |_: usize, k: usize| {
                let (h, tok, st, acc, paths) = (
                    h.clone(),
                    tok.clone(),
                    st.clone(),
                    acceptance.clone(),
                    paths.clone(),
                );
                async move {
                    let [accept, log, record] = &*paths;
                    let r = match k % 3 {
                        0 => post(&h, addr, accept, Some(&tok), &acc).await?,
                        1 => get(&h, addr, log, &tok).await?,
                        _ => {
                            put(&h, addr, record, &tok, Bytes::from_static(b"not a member")).await?
                        }
                    };
                    *st.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry(r.status.as_u16())
                        .or_default() += 1;
                    if r.status.is_server_error() {
                        Err(format!("outsider: {}", r.status))
                    } else {
                        Ok(())
                    }
                }
            }
        };
        eprintln!("  the outsider alone");
        let alone = run(1, warm, measure, flood.clone()).await;
        statuses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        eprintln!("  bystander during a flood");
        let flood_task = tokio::spawn(run(OUTSIDER_TASKS, warm, measure, flood));
        let during = run(1, warm, measure, bystander.clone()).await;
        let outsider = flood_task.await.map_err(|e| e.to_string())?;
        let statuses = statuses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        floods.push(Flood {
            alone,
            outsider,
            statuses,
            during,
        });
    }
    let mut floods = floods.into_iter();
    Ok(Attack {
        before,
        long: floods.next().ok_or("no flood")?,
        small: floods.next().ok_or("no flood")?,
    })
}

// ---------- the run --------------------------------------------------------------------

struct BackendRun {
    name: &'static str,
    one: Throughput,
    two: Option<Throughput>,
    long: LongLog,
    /// (instance, VmHWM KiB, VmRSS KiB).
    memory: Vec<(String, u64, u64)>,
}

struct Options {
    server: PathBuf,
    out: PathBuf,
    work: PathBuf,
    pg: Option<String>,
    warmup: Duration,
    measure: Duration,
}

fn options() -> R<Options> {
    let mut o = Options {
        server: PathBuf::from("target/release/confide-server"),
        out: PathBuf::from("build/bench-server.md"),
        work: PathBuf::from("build/bench-server"),
        pg: std::env::var("CONFIDE_TEST_PG")
            .ok()
            .filter(|v| !v.is_empty()),
        warmup: Duration::from_secs(1),
        measure: Duration::from_secs(3),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| {
            v.parse::<f64>()
                .map(Duration::from_secs_f64)
                .map_err(|_| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--server" => o.server = PathBuf::from(value),
            "--out" => o.out = PathBuf::from(value),
            "--work" => o.work = PathBuf::from(value),
            "--pg" => o.pg = Some(value),
            "--warmup" => o.warmup = secs(&value)?,
            "--seconds" => o.measure = secs(&value)?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match bench().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn bench() -> R<()> {
    let o = options()?;
    let _ = std::fs::remove_dir_all(&o.work);
    std::fs::create_dir_all(&o.work).map_err(|e| e.to_string())?;
    // TCP_NODELAY, as browsers and the server itself set it: otherwise a request whose
    // headers and body go out in two writes waits for the server's delayed ACK (~40 ms).
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new()).build(connector);
    let started = Instant::now();
    let mut runs = Vec::new();
    let mut pg_version = None;

    eprintln!("SQLite");
    let sqlite = Instance::start(&o.server, &o.work, "sqlite", None)?;
    let result = backend(&http, &o, "SQLite", &[&sqlite], None).await;
    sqlite.stop();
    runs.push(result?);

    if let Some(pg) = &o.pg {
        eprintln!("PostgreSQL");
        let (url, version) = fresh_database(pg, "confide_bench").await?;
        pg_version = Some(version);
        let a = Instance::start(&o.server, &o.work, "pg-a", Some(&url))?;
        let b = match Instance::start(&o.server, &o.work, "pg-b", Some(&url)) {
            Ok(b) => b,
            Err(e) => {
                a.stop();
                return Err(e);
            }
        };
        let result = backend(&http, &o, "PostgreSQL", &[&a], Some(&b)).await;
        a.stop();
        b.stop();
        runs.push(result?);
    } else {
        eprintln!("no PostgreSQL (--pg or CONFIDE_TEST_PG): SQLite only");
    }
    let md = markdown(&o, &runs, pg_version.as_deref(), started.elapsed());
    if let Some(dir) = o.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&o.out, &md).map_err(|e| e.to_string())?;
    println!("{md}");
    Ok(())
}

/// Every scenario on one database: the fixture and the throughput through `one`, through
/// `one` and `two` together if there is a second instance, then the long log on `one`.
async fn backend(
    http: &Http,
    o: &Options,
    name: &'static str,
    one: &[&Instance],
    two: Option<&Instance>,
) -> R<BackendRun> {
    let first = one.first().ok_or("no instance")?;
    let t = Instant::now();
    let fx = Arc::new(fixture(http, first.addr).await?);
    eprintln!("  fixture: {:.1} s", t.elapsed().as_secs_f64());
    let single = throughput(http, &[first.addr], &fx, o.warmup, o.measure).await;
    let double = match two {
        Some(b) => {
            eprintln!("  two instances");
            Some(throughput(http, &[first.addr, b.addr], &fx, o.warmup, o.measure).await)
        }
        None => None,
    };
    let long = long_log(http, first.addr, &fx, o.measure).await?;
    let mut memory = Vec::new();
    let (hwm, rss) = first.memory();
    memory.push((
        if two.is_some() {
            "instance A"
        } else {
            "the instance"
        }
        .to_owned(),
        hwm,
        rss,
    ));
    if let Some(b) = two {
        let (hwm, rss) = b.memory();
        memory.push(("instance B".to_owned(), hwm, rss));
    }
    Ok(BackendRun {
        name,
        one: single,
        two: double,
        long,
        memory,
    })
}

// ---------- the report -----------------------------------------------------------------

fn cell(s: &Stats) -> String {
    let mut c = format!(
        "{}/s · p50 {:.2} ms · p99 {:.1} ms",
        thousands(s.rate()),
        s.percentile(50),
        s.percentile(99)
    );
    if s.errors > 0 {
        let _ = write!(c, " · {} errors", s.errors);
    }
    c
}

fn ratio(a: &Stats, b: &Stats) -> String {
    if b.rate() > 0.0 {
        format!("{:.2}×", a.rate() / b.rate())
    } else {
        "–".to_owned()
    }
}

/// 12,345: a whole number with thousands separators.
fn thousands(x: f64) -> String {
    let digits = format!("{x:.0}");
    let mut out = String::new();
    for (n, c) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n) % 3 == 0 && c.is_ascii_digit() {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 3 or 0.5: seconds as given.
fn secs(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.trim_end_matches(".0").to_owned()
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn markdown(o: &Options, runs: &[BackendRun], pg_version: Option<&str>, took: Duration) -> String {
    let mut md = String::from("## Server load\n\n");
    let _ = writeln!(
        md,
        "`make bench-server` (server/examples/load.rs): the release `confide-server` binary on \
         127.0.0.1, over SQLite (a local data folder, WAL, `synchronous=FULL`) and over PostgreSQL \
         {} (a throwaway cluster from server/scripts/with-services.sh with `fsync=off`; each \
         instance with its default pool of 8 connections), blobs in a local folder (one folder shared by the PostgreSQL instances). {MEMBERS} members log in with the signed challenge \
         and work concurrently, one task each, over keep-alive HTTP/1 connections. Each scenario \
         runs {} s after a {} s warm-up; only requests that start after the warm-up and end \
         inside the window count. Requests per second are those requests over the window; p50 and \
         p99 are nearest-rank percentiles of their latencies (from sending the request to the last \
         byte of the answer). The servers run with `--rate-limit-scale {RATE_SCALE}` and \
         `--max-connections-per-ip 0`; authentication and membership checks are unchanged. \
         **Machine**: 2 cores, shared with other jobs, and the load generator runs on the same \
         cores as the server(s), so figures are noisy and lower than a dedicated server's; compare \
         the columns of one run. The whole run took {:.0} s.\n",
        pg_version.unwrap_or("(not run: no cluster given)"),
        secs(o.measure),
        secs(o.warmup),
        took.as_secs_f64(),
    );
    let _ = writeln!(
        md,
        "Requests: a record PUT replaces one of the member's {RECORDS_PER_MEMBER} records, a genuine \
         Confide record (a {NOTE_BYTES}-byte note padded and encrypted once per member and record id \
         with `Workspace::encrypt`, sent again each time); a record GET reads another member's; \
         a Range read asks for {} KiB at a varying offset of another member's 1 MiB blob; a log \
         append adds an invite entry to the member's own workspace's log (appends to one log queue \
         on its head, so 50 appenders are 50 workspaces). Two instances: member *i* talks to \
         instance *i* mod 2, both on the same database.\n",
        RANGE_BYTES / 1024
    );
    let pg = runs.get(1);
    let sq = runs.first();
    md.push_str("| 50 members | Before (trial) | SQLite | PostgreSQL, 1 instance | PostgreSQL, 2 instances | PostgreSQL ÷ SQLite | 2 ÷ 1 instances |\n|---|---|---|---|---|---|---|\n");
    type Pick = fn(&Throughput) -> &Stats;
    let rows: [(&str, &str, Pick); 4] = [
        (
            "Record PUT (1 KiB note)",
            "3,700/s (no client crypto)",
            |t| &t.put,
        ),
        ("Record GET", "5,900/s (no client crypto)", |t| &t.get),
        ("Blob Range GET (64 KiB)", "–", |t| &t.range),
        ("Log append", "50 µs × entries of log length", |t| {
            &t.append
        }),
    ];
    for (label, before, pick) in rows {
        let s = sq.map(|r| pick(&r.one));
        let p1 = pg.map(|r| pick(&r.one));
        let p2 = pg.and_then(|r| r.two.as_ref()).map(pick);
        let _ = writeln!(
            md,
            "| {label} | {before} | {} | {} | {} | {} | {} |",
            s.map_or("–".into(), cell),
            p1.map_or("–".into(), cell),
            p2.map_or("–".into(), cell),
            match (p1, s) {
                (Some(a), Some(b)) => ratio(a, b),
                _ => "–".into(),
            },
            match (p2, p1) {
                (Some(a), Some(b)) => ratio(a, b),
                _ => "–".into(),
            },
        );
    }

    let _ = writeln!(
        md,
        "\n**Log-append latency against log length** (one admin appending invites, one at a time, \
         {TIMED_APPENDS} appends timed from each length; the log is built through the server with \
         invites and admissions, {} entries and {:.1} MB at the end). Flat means the server \
         verifies only the new entry against its cached verified log (server/src/logcache.rs).\n",
        thousands(sq.map_or(0.0, |r| r.long.entries as f64)),
        sq.map_or(0.0, |r| r.long.bytes as f64 / 1e6),
    );
    md.push_str("| Log length | Before (trial) |");
    for r in runs {
        let _ = write!(
            md,
            " {} p50 · p99 | {} ÷ at 10 entries (p50) |",
            r.name, r.name
        );
    }
    md.push_str("\n|---|---|");
    for _ in runs {
        md.push_str("---|---|");
    }
    md.push('\n');
    for (n, &len) in LOG_LENGTHS.iter().enumerate() {
        let before = format!("{:.1} ms", len as f64 * 0.05);
        let _ = write!(md, "| {} | ≈ {before} |", thousands(len as f64));
        for r in runs {
            let base = r.long.appends.first().map(|(_, s)| s.percentile(50));
            if let Some((_, s)) = r.long.appends.get(n) {
                let _ = write!(
                    md,
                    " {:.2} ms · {:.1} ms | {} |",
                    s.percentile(50),
                    s.percentile(99),
                    base.map_or("–".into(), |b| format!("{:.2}×", s.percentile(50) / b))
                );
            } else {
                md.push_str(" – | – |");
            }
        }
        md.push('\n');
    }

    let _ = writeln!(
        md,
        "\n**The review's attack replayed** on the long log's workspace (about 7 MB): an outsider, \
         logged in but a member of nothing, floods it from {OUTSIDER_TASKS} connections for {} s \
         with acceptances under its open invite, log reads and record writes (in turn), while a \
         bystander, a member of the 50-member workspace, reads records one at a time. The peer: \
         the same flood on a workspace of two entries. Before each flood, the outsider's same \
         requests one at a time, alone (the ≤ 10 ms target). Before (trial): an acceptance flood \
         on a 1,500-entry log raised everyone's p50 from 0.8 ms to 1 s.\n",
        secs(o.measure)
    );
    md.push_str(
        "| | Outsider alone: p50 · p99 | ≤ 10 ms (p99) | Outsider flooding: p50 · p99 · max | Flood answers/s (statuses) | Bystander p50 · p99 | Bystander p50 ÷ alone |\n|---|---|---|---|---|---|---|\n",
    );
    for r in runs {
        let a = &r.long.attack;
        let alone = a.before.percentile(50);
        let _ = writeln!(
            md,
            "| {}, bystander alone | – | – | – | – | {:.2} ms · {:.1} ms | 1× |",
            r.name,
            alone,
            a.before.percentile(99)
        );
        for (what, f) in [
            ("flood on the 7 MB log", &a.long),
            ("flood on a 2-entry log", &a.small),
        ] {
            let statuses: Vec<String> = f
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {}", thousands(*n as f64)))
                .collect();
            let _ = writeln!(
                md,
                "| {}, {what} | {:.2} · {:.2} ms | {} | {:.2} · {:.2} · {:.1} ms | {} ({}) | {:.2} ms · {:.1} ms | {:.2}× |",
                r.name,
                f.alone.percentile(50),
                f.alone.percentile(99),
                if f.alone.percentile(99) <= 10.0 {
                    "yes"
                } else {
                    "no"
                },
                f.outsider.percentile(50),
                f.outsider.percentile(99),
                f.outsider.max(),
                thousands(f.outsider.rate()),
                statuses.join(", "),
                f.during.percentile(50),
                f.during.percentile(99),
                f.during.percentile(50) / alone,
            );
        }
    }

    md.push_str(
        "\n**Server memory** after all of the above (`/proc/<pid>/status`: VmHWM is the peak \
         resident set, VmRSS the current one):\n\n| Server | VmHWM | VmRSS |\n|---|---|---|\n",
    );
    for r in runs {
        for (who, hwm, rss) in &r.memory {
            let _ = writeln!(md, "| {}, {who} | {} | {} |", r.name, mib(*hwm), mib(*rss));
        }
    }
    for r in runs {
        let _ = writeln!(
            md,
            "\n{}: the long log took {:.0} s to build through the server.",
            r.name, r.long.build_seconds
        );
    }
    md
}

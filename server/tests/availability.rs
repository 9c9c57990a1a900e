//! The reliability trial's availability findings (issue 14): slow-loris and idle sockets
//! held forever, no connection cap, a shutdown that hung on a half-sent request, writes
//! that failed at once while a backup held the database lock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; what it sent, and when it closed.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((start + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return (got, Some(start.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (got, None),
        }
    }
}

fn quick(dir: &std::path::Path, cfg: confide_server::Config) -> confide_server::Config {
    let mut cfg = cfg;
    cfg.data_dir = dir.to_path_buf();
    cfg.http.header_timeout = Duration::from_millis(600);
    cfg.http.idle_timeout = Duration::from_millis(600);
    cfg.http.max_connections = 4;
    cfg.http.max_connections_per_ip = 0;
    cfg.http.shutdown_deadline = Duration::from_millis(800);
    cfg
}

#[tokio::test]
async fn slow_and_idle_sockets_are_closed_and_connections_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = quick(dir.path(), config(dir.path()).await);
    let server = Server::start(cfg).await;

    // Slow loris: a header trickled a byte at a time is cut off at the header deadline
    // (with a 408), however steadily the bytes come.
    let mut loris = TcpStream::connect(server.addr).await.unwrap();
    let trickle = async {
        for b in b"GET /api/session HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaa".iter() {
            if loris.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), trickle)
        .await
        .unwrap();
    let (_, closed) = until_closed(&mut loris, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "a trickled header kept its connection");

    // Idle connections are closed; four fill the cap, a fifth gets a 503 at once.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = TcpStream::connect(server.addr).await.unwrap();
    let (answer, closed) = until_closed(&mut fifth, Duration::from_secs(2)).await;
    assert!(closed.is_some());
    assert!(
        answer.starts_with(b"HTTP/1.1 503"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    for conn in &mut idle {
        let (_, closed) = until_closed(conn, Duration::from_secs(3)).await;
        assert!(closed.is_some(), "an idle connection was kept");
    }
    // Their slots are free again.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server.get("/api/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn a_half_sent_request_cannot_hold_up_a_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = quick(dir.path(), config(dir.path()).await);
    // Long enough that only the shutdown deadline can end the upload below.
    cfg.http.idle_timeout = Duration::from_secs(60);
    let server = Server::start(cfg).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    // An upload that declares 100 kB and sends 10 bytes, then nothing.
    let mut upload = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "PUT {}/blobs/b-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Length: 100000\r\n\r\n0123456789",
        ws_path(&ws)
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("the shutdown waited on a stalled upload");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_write_waits_for_a_lock_another_process_holds() {
    if scaled() {
        eprintln!("the SQLite busy timeout: skipped in the PostgreSQL run");
        return;
    }
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    // A backup script's write lock, held for 700 ms.
    let url = format!("sqlite://{}", dir.path().join("confide.sqlite3").display());
    let mut other = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    sqlx::Executor::execute(&mut other, "BEGIN IMMEDIATE")
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        sqlx::Executor::execute(&mut other, "COMMIT").await.unwrap();
        other.close().await.unwrap();
    });
    let start = Instant::now();
    let r = server
        .put_bytes(
            &format!("{}/records/n-1/body", ws_path(&ws)),
            &token,
            vec![1; 100],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "the write did not wait"
    );
    release.await.unwrap();
    // Reads never waited on it.
    assert_eq!(
        server
            .get(&format!("{}/records/n-1/body", ws_path(&ws)), Some(&token))
            .await
            .status,
        StatusCode::OK
    );
    server.stop().await;
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    if scaled() {
        eprintln!("the SQLite data directory lock: skipped in the PostgreSQL run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let second = confide_server::app(config(dir.path()).await).await;
    assert!(matches!(second, Err(confide_server::OpenError::Locked(_))));
    server.stop().await;
    // Once the first stops, the directory is free.
    let again = Server::start(config(dir.path()).await).await;
    again.stop().await;
}

/// A tmpfs of `mib` MiB mounted at a fresh directory, unmounted on drop. `None` when this
/// process may not mount (not root).
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(mib: u32) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }

    fn path(&self) -> &std::path::Path {
        self.0.path()
    }

    /// Fills what is left with a file, until the disk says it is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_keeps_reads_and_logins_refuses_writes_with_507_and_lets_the_server_restart() {
    // The local disk only: a scaled run keeps data in PostgreSQL and S3.
    if scaled() {
        return;
    }
    // Mounting a small tmpfs needs root, as `make test` runs in CI; elsewhere there is no
    // small disk to fill without filling the machine's.
    let Some(disk) = SmallDisk::mount(24) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let cfg = config(disk.path()).await;
    let server = Server::start(cfg.clone()).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    let ctx = confide::RecordContext {
        record_id: "n-1",
        field: "body",
    };
    let opts = confide::EncryptOptions {
        content_type: confide::ContentType::Text,
        pad: true,
    };
    let note = ws
        .encrypt(b"written before the disk filled", &ctx, opts)
        .unwrap();
    let r = server
        .put_bytes(&format!("{base}/records/n-1/body"), &token, note.clone())
        .await;
    assert!(r.status.is_success(), "{:?}", r.status);

    // The disk fills: a content write is refused with 507 storage_full, and the server
    // gives up its reserve file so that what needs little space still works.
    let filler = disk.fill();
    let blob = vec![7u8; 2 << 20];
    let r = server
        .put_bytes(&format!("{base}/blobs/audio"), &token, blob.clone())
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
    );
    let later = ws.encrypt(b"written while full", &ctx, opts).unwrap();
    let r = server
        .put_bytes(&format!("{base}/records/n-2/body"), &token, later.clone())
        .await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE);
    // Reads and a new login keep working.
    let r = server
        .get(&format!("{base}/records/n-1/body"), Some(&token))
        .await;
    assert_eq!(
        (r.status, r.body.as_ref()),
        (StatusCode::OK, note.as_slice())
    );
    let other = server.login(&member(2)).await;
    assert!(!other.is_empty());
    let r = server.get("/api/workspaces", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);

    // It restarts on the full disk, and still serves what it has.
    server.stop().await;
    let server = Server::start(cfg.clone()).await;
    let r = server
        .get(&format!("{base}/records/n-1/body"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Space comes back: after the probe interval, writes are accepted again.
    std::fs::remove_file(&filler).unwrap();
    tokio::time::sleep(confide_server::disk::DiskGuard::PROBE_EVERY + Duration::from_millis(200))
        .await;
    let r = server
        .put_bytes(&format!("{base}/records/n-2/body"), &token, later)
        .await;
    assert!(r.status.is_success(), "{:?}", r.status);
    server.stop().await;
}

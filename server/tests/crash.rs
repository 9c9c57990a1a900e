//! kill -9 during appends, record writes and blob uploads, then a restart: every write that
//! was acknowledged is intact, nothing half-written is served, the log did not fork, and no
//! orphaned ciphertext is left. On SQLite and a local folder, and (under
//! server/scripts/with-services.sh) on PostgreSQL and S3.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use confide::Role;

/// The release-like server binary over `cfg`'s database and store, on a free port.
fn spawn(cfg: &confide_server::Config) -> (Child, std::net::SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confide-server"));
    cmd.args(["--addr", "127.0.0.1:0", "--data"])
        .arg(&cfg.data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(db) = &cfg.database {
        cmd.args(["--database", db]);
    }
    if let Some(blobs) = &cfg.blobs {
        cmd.args(["--blobs", blobs]);
        for (k, v) in &cfg.blob_options {
            cmd.env(k.to_uppercase(), v);
        }
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("Confide server: http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let (child, addr) = spawn(&cfg);
    let server = Arc::new(Server::remote(addr));
    let token = server.login(&member(1)).await;
    let mut ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);

    let acked_records = Arc::new(Mutex::new(Vec::<(u32, Vec<u8>)>::new()));
    let acked_blobs = Arc::new(Mutex::new(Vec::<(u32, Vec<u8>)>::new()));
    let acked_seq = Arc::new(Mutex::new(0u32));
    let child = Arc::new(Mutex::new(child));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // Writers until the kill.
    let mut tasks = Vec::new();
    for w in 0..2u32 {
        let (server, token, base, acked, stop) = (
            server.clone(),
            token.clone(),
            base.clone(),
            acked_records.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = w * 1_000_000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = format!("record {n}").repeat(20).into_bytes();
                let r = server
                    .try_put(&format!("{base}/records/r-{n}/body"), &token, body.clone())
                    .await;
                if r == Some(StatusCode::CREATED) {
                    acked.lock().unwrap().push((n, body));
                }
                n += 1;
            }
        }));
    }
    {
        let (server, token, base, acked, stop) = (
            server.clone(),
            token.clone(),
            base.clone(),
            acked_blobs.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body: Vec<u8> = (0..400_000u32).map(|i| ((i + n) % 253) as u8).collect();
                let r = server
                    .try_put(&format!("{base}/blobs/b-{n}"), &token, body.clone())
                    .await;
                if r == Some(StatusCode::CREATED) {
                    acked.lock().unwrap().push((n, body));
                }
                n += 1;
            }
        }));
    }
    let entries: Vec<Vec<u8>> = (0..400)
        .map(|_| {
            ws.create_invite(Role::Member, now(), WEEK)
                .unwrap()
                .log_entry
        })
        .collect();
    {
        let (server, token, ws_id, acked, stop) = (
            server.clone(),
            token.clone(),
            b64(ws.id().as_bytes()),
            acked_seq.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for (i, entry) in entries.iter().enumerate() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let seq = u32::try_from(i).unwrap();
                let body = serde_json::json!({ "expectedSeq": seq, "entry": b64(entry) });
                let r = server
                    .try_post(&format!("/api/workspaces/{ws_id}/log"), &token, body)
                    .await;
                if r != Some(StatusCode::OK) {
                    break;
                }
                *acked.lock().unwrap() = seq + 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.lock().unwrap().kill().unwrap();
    child.lock().unwrap().wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let records = acked_records.lock().unwrap().clone();
    let blobs = acked_blobs.lock().unwrap().clone();
    let seq = *acked_seq.lock().unwrap();
    assert!(
        !records.is_empty() && !blobs.is_empty() && seq > 0,
        "nothing was written"
    );

    // Restart on the same database and store.
    let (mut child, addr) = spawn(&cfg);
    let server = Server::remote(addr);
    for (n, body) in &records {
        let r = server
            .get(&format!("{base}/records/r-{n}/body"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "record {n}");
        assert_eq!(r.body.as_ref(), body.as_slice(), "record {n}");
    }
    for (n, body) in &blobs {
        let r = server
            .get(&format!("{base}/blobs/b-{n}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "blob {n}");
        assert_eq!(r.body.as_ref(), body.as_slice(), "blob {n}");
    }
    // Whatever is listed is whole: nothing half-written is served.
    let listed = server
        .get(&format!("{base}/blobs"), Some(&token))
        .await
        .json();
    for b in listed["blobs"].as_array().unwrap() {
        let id = b["blobId"].as_str().unwrap();
        let r = server
            .get(&format!("{base}/blobs/{id}"), Some(&token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{id}");
        assert_eq!(r.body.len(), 400_000, "{id}");
    }
    // The log holds every acknowledged entry and verifies: no fork.
    let log = server
        .get(&format!("{base}/log"), Some(&token))
        .await
        .json();
    let entries: Vec<Vec<u8>> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| unb64(e.as_str().unwrap()))
        .collect();
    assert!(entries.len() > usize::try_from(seq).unwrap());
    confide::MembershipLog::verify(&entries).unwrap();
    // No orphaned ciphertext in a local folder: one file per listed blob, no partials.
    if !scaled() {
        let files = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_type().unwrap().is_file())
            .count();
        assert_eq!(files, listed["blobs"].as_array().unwrap().len());
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs/tmp"))
                .unwrap()
                .count(),
            0
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

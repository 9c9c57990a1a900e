//! Blobs stream in and out with HTTP Range support, everything survives a restart, nothing
//! unreferenced outlives one, and a delete is reported only once it happened.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use axum::http::{Method, StatusCode};
use common::*;
use confide::{ContentType, EncryptOptions, RecordContext};
use serde_json::json;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i * 7 % 251).unwrap())
        .collect()
}

#[tokio::test]
async fn range_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let path = format!("{}/blobs/rec-7", ws_path(&ws));
    let data = pattern(100_000);
    let r = server.put_bytes(&path, &token, data.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);

    let range = |spec: &'static str| {
        let (server, path, token) = (&server, path.clone(), token.clone());
        async move {
            server
                .send(
                    Method::GET,
                    &path,
                    Some(&token),
                    &[("range", spec)],
                    empty(),
                )
                .await
        }
    };
    // Whole.
    let r = server.get(&path, Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("accept-ranges"), "bytes");
    assert_eq!(r.header("content-length"), "100000");
    assert_eq!(r.body.as_ref(), data.as_slice());
    // First bytes, middle, suffix, open-ended, past the end.
    for (spec, start, end) in [
        ("bytes=0-15", 0, 15),
        ("bytes=40000-40999", 40_000, 40_999),
        ("bytes=-500", 99_500, 99_999),
        ("bytes=99990-", 99_990, 99_999),
        ("bytes=99000-200000", 99_000, 99_999),
    ] {
        let r = range(spec).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{spec}");
        assert_eq!(
            r.header("content-range"),
            format!("bytes {start}-{end}/100000"),
            "{spec}"
        );
        assert_eq!(
            r.header("content-length"),
            (end - start + 1).to_string(),
            "{spec}"
        );
        assert_eq!(r.body.as_ref(), &data[start..=end], "{spec}");
    }
    // Unsatisfiable: 416 with the length.
    for spec in ["bytes=100000-", "bytes=200000-300000", "bytes=-0"] {
        let r = range(spec).await;
        assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE, "{spec}");
        assert_eq!(r.header("content-range"), "bytes */100000");
        assert_eq!(r.code(), "range_not_satisfiable");
    }
    // Several ranges or another unit: the whole blob.
    for spec in ["bytes=0-1,5-6", "items=0-5", "bytes=9-3"] {
        let r = range(spec).await;
        assert_eq!(r.status, StatusCode::OK, "{spec}");
        assert_eq!(r.body.len(), 100_000);
    }
    // HEAD: the length, no body.
    let r = server
        .send(Method::HEAD, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-length"), "100000");
    assert!(r.body.is_empty());

    // Replacing and deleting.
    let r = server.put_bytes(&path, &token, pattern(10)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get(&path, Some(&token)).await.body.as_ref(),
        pattern(10).as_slice()
    );
    let r = server
        .send(Method::DELETE, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get(&path, Some(&token)).await.status,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_from_several_members() {
    let dir = tempfile::tempdir().unwrap();
    let server = std::sync::Arc::new(Server::start(config(dir.path()).await).await);
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    let tasks: Vec<_> = (0..6u8)
        .map(|i| {
            let (server, token, base) = (server.clone(), token.clone(), base.clone());
            tokio::spawn(async move {
                let body = vec![i; 300_000 + usize::from(i)];
                let r = server
                    .put_bytes(&format!("{base}/blobs/b-{i}"), &token, body)
                    .await;
                assert_eq!(r.status, StatusCode::CREATED);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for i in 0..6u8 {
        let r = server
            .get(&format!("{base}/blobs/b-{i}"), Some(&token))
            .await;
        assert_eq!(
            r.body.as_ref(),
            vec![i; 300_000 + usize::from(i)].as_slice()
        );
    }
    std::sync::Arc::into_inner(server).unwrap().stop().await;
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = RecordContext {
        record_id: "n-9",
        field: "body",
    };
    let opts = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };

    let cfg = config(dir.path()).await;
    let server = Server::start(cfg.clone()).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    let note = ws.encrypt(b"kept across restarts", &ctx, opts).unwrap();
    server
        .put_bytes(&format!("{base}/records/n-9/body"), &token, note.clone())
        .await;
    server
        .put_bytes(&format!("{base}/blobs/audio"), &token, pattern(50_000))
        .await;
    server.stop().await;

    // The same directory, a new process's worth of state. The old token still holds.
    let server = Server::start(cfg).await;
    let log = server.get(&format!("{base}/log"), Some(&token)).await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.json()["head"]["seq"], 0);
    let r = server
        .get(&format!("{base}/records/n-9/body"), Some(&token))
        .await;
    assert_eq!(r.body.as_ref(), note.as_slice());
    let reloaded = server
        .load(ws.member(), &token, ws.id().as_bytes(), None)
        .await;
    assert_eq!(
        reloaded.decrypt(&r.body, &ctx).unwrap().1.as_slice(),
        b"kept across restarts"
    );
    let r = server
        .send(
            Method::GET,
            &format!("{base}/blobs/audio"),
            Some(&token),
            &[("range", "bytes=-10")],
            empty(),
        )
        .await;
    assert_eq!(r.body.as_ref(), &pattern(50_000)[49_990..]);
    let r = server.get(&format!("{base}/records"), Some(&token)).await;
    assert_eq!(r.json()["records"][0]["recordId"], json!("n-9"));
    assert_eq!(r.json()["records"][0]["size"], json!(note.len()));
    // A new login works too (challenges and sessions are in the database).
    server.login(&member(1)).await;
    server.stop().await;
    assert_eq!(dir.path().join("confide.sqlite3").exists(), !scaled());
}

/// The blob files in `dir/blobs` (not `tmp/`), by name.
fn blob_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("blobs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn blob_files_no_blob_refers_to_are_removed_at_startup() {
    if scaled() {
        // Files in a local folder; the object store's crash paths are in tests/crash.rs.
        eprintln!("local blob folder only: skipped in the PostgreSQL + S3 run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    server
        .put_bytes(&format!("{base}/blobs/kept"), &token, pattern(40_000))
        .await;
    server.stop().await;
    let kept = blob_files(dir.path());
    assert_eq!(kept.len(), 1);

    // What a crash leaves: a finished file whose row was never committed, and a partial
    // upload cut off mid-body.
    std::fs::write(dir.path().join("blobs/orphan-finished"), pattern(30_000)).unwrap();
    std::fs::write(dir.path().join("blobs/tmp/cut-off.part"), pattern(1_000)).unwrap();

    let server = Server::start(config(dir.path()).await).await;
    assert_eq!(blob_files(dir.path()), kept);
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/tmp"))
            .unwrap()
            .count(),
        0
    );
    // The blob with a row is untouched and served.
    let r = server
        .get(&format!("{base}/blobs/kept"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_ref(), pattern(40_000).as_slice());
    server.stop().await;
}

#[tokio::test]
async fn a_blob_delete_is_reported_only_once_the_bytes_are_gone() {
    if scaled() {
        // Files in a local folder; the object store's crash paths are in tests/crash.rs.
        eprintln!("local blob folder only: skipped in the PostgreSQL + S3 run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    let path = format!("{base}/blobs/rec-1");
    server.put_bytes(&path, &token, pattern(20_000)).await;
    let [file] = blob_files(dir.path()).try_into().unwrap();
    let on_disk = dir.path().join("blobs").join(&file);

    // The file cannot be removed (a directory stands in its place): no 204, and the blob
    // is still listed, as it still takes up the space.
    std::fs::remove_file(&on_disk).unwrap();
    std::fs::create_dir_all(on_disk.join("in-the-way")).unwrap();
    let r = server
        .send(Method::DELETE, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = server.get(&format!("{base}/blobs"), Some(&token)).await;
    assert_eq!(r.json()["blobs"][0]["blobId"], json!("rec-1"));

    // Once removable it goes, row and file; a file already gone counts as deleted.
    std::fs::remove_dir_all(&on_disk).unwrap();
    let r = server
        .send(Method::DELETE, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = server.get(&format!("{base}/blobs"), Some(&token)).await;
    assert_eq!(r.json()["blobs"], json!([]));
    let r = server
        .send(Method::DELETE, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A delete that works removes the file itself.
    server.put_bytes(&path, &token, pattern(5_000)).await;
    assert_eq!(blob_files(dir.path()).len(), 1);
    let r = server
        .send(Method::DELETE, &path, Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(blob_files(dir.path()).is_empty());
    server.stop().await;
}

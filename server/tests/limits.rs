//! Bad and oversized requests get clear JSON errors and change nothing; static files
//! carry the demo server's security headers and nothing outside the mounts is served.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use std::convert::Infallible;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use common::*;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::json;

async fn small_limits(dir: &std::path::Path) -> confide_server::Config {
    let mut cfg = config(dir).await;
    cfg.limits.json_bytes = 4 * 1024;
    cfg.limits.record_bytes = 64 * 1024;
    cfg.limits.blob_bytes = 256 * 1024;
    cfg
}

#[tokio::test]
async fn bad_requests_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(small_limits(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);
    let raw = |method: Method, path: &str, ct: &'static str, body: &'static [u8]| {
        let path = path.to_owned();
        let server = &server;
        async move {
            server
                .send(
                    method,
                    &path,
                    None,
                    &[("content-type", ct)],
                    full(Bytes::from_static(body)),
                )
                .await
        }
    };

    let cases = [
        (
            raw(
                Method::POST,
                "/api/session/challenge",
                "application/json",
                b"{not json",
            )
            .await,
            400,
            "invalid_request",
        ),
        (
            raw(
                Method::POST,
                "/api/session/challenge",
                "application/json",
                b"{}",
            )
            .await,
            400,
            "invalid_request",
        ),
        (
            raw(
                Method::POST,
                "/api/session/challenge",
                "application/json",
                b"{\"bundle\":\"***\"}",
            )
            .await,
            400,
            "invalid_request",
        ),
        (
            raw(
                Method::POST,
                "/api/session/challenge",
                "application/json",
                b"{\"bundle\":\"AAAA\",\"x\":1}",
            )
            .await,
            400,
            "invalid_request",
        ),
        (
            raw(
                Method::POST,
                "/api/session/challenge",
                "application/json",
                b"{\"bundle\":\"AAAA\"}",
            )
            .await,
            400,
            "invalid_bundle",
        ),
        (
            raw(Method::POST, "/api/session/challenge", "text/plain", b"{}").await,
            415,
            "unsupported_media_type",
        ),
        (
            raw(Method::POST, "/api/session", "application/json", b"[1,2]").await,
            400,
            "invalid_request",
        ),
        (
            raw(Method::GET, "/api/nothing-here", "text/plain", b"").await,
            404,
            "not_found",
        ),
        (
            raw(Method::PATCH, "/api/session", "text/plain", b"").await,
            405,
            "method_not_allowed",
        ),
    ];
    for (i, (r, status, code)) in cases.iter().enumerate() {
        assert_eq!(r.status.as_u16(), *status, "case {i}: {:?}", r.body);
        assert_eq!(r.code(), *code, "case {i}");
        assert!(r.header("content-type").starts_with("application/json"));
    }

    // Names outside the allowed alphabet, as a member.
    for name in ["..", ".hidden", "a%2Fb", &"x".repeat(129)] {
        let r = server
            .put_bytes(&format!("{base}/records/{name}/body"), &token, vec![1])
            .await;
        assert!(
            matches!(r.status.as_u16(), 400 | 404),
            "{name}: {}",
            r.status
        );
    }
    let r = server
        .put_bytes(&format!("{base}/records/n%20x/body"), &token, vec![1])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_name")
    );
    let r = server
        .put_bytes(&format!("{base}/records/n-1/body"), &token, vec![])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "empty_body")
    );
    // A workspace id that is not one, and a query that does not parse.
    let r = server
        .get("/api/workspaces/not-an-id/log", Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = server
        .get(&format!("{base}/log?after=minus-one"), Some(&token))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(small_limits(dir.path()).await).await;
    let token = server.login(&member(1)).await;
    let ws = server.create_workspace(member(1), &token).await;
    let base = ws_path(&ws);

    let big_json = json!({ "bundle": "A".repeat(5000) });
    let r = server.post("/api/session/challenge", None, big_json).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    let r = server
        .put_bytes(
            &format!("{base}/records/n-1/body"),
            &token,
            vec![1; 64 * 1024 + 1],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    let r = server
        .put_bytes(
            &format!("{base}/records/n-1/body"),
            &token,
            vec![1; 64 * 1024],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // A blob over the cap, declared by Content-Length...
    let r = server
        .put_bytes(
            &format!("{base}/blobs/b-1"),
            &token,
            vec![1; 256 * 1024 + 1],
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    // ...and streamed in chunks with no length: cut off as the bytes arrive.
    let chunks = (0..40).map(|_| Ok::<_, Infallible>(Frame::data(Bytes::from(vec![2u8; 8192]))));
    let body = StreamBody::new(futures_util::stream::iter(chunks)).boxed();
    let r = server
        .send(
            Method::PUT,
            &format!("{base}/blobs/b-1"),
            Some(&token),
            &[],
            body,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    assert_eq!(
        server
            .get(&format!("{base}/blobs"), Some(&token))
            .await
            .json()["blobs"],
        json!([])
    );
    // A streamed blob under the cap is stored whole.
    let chunks = (0..8u8).map(|i| Ok::<_, Infallible>(Frame::data(Bytes::from(vec![i; 8192]))));
    let body = StreamBody::new(futures_util::stream::iter(chunks)).boxed();
    let r = server
        .send(
            Method::PUT,
            &format!("{base}/blobs/b-1"),
            Some(&token),
            &[],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let listed = server
        .get(&format!("{base}/blobs"), Some(&token))
        .await
        .json();
    assert_eq!(listed["blobs"][0]["size"], 8 * 8192);
    // No partial upload is left behind, and exactly one finished blob exists.
    if !scaled() {
        let tmp: Vec<_> = std::fs::read_dir(dir.path().join("blobs/tmp"))
            .unwrap()
            .collect();
        assert!(tmp.is_empty());
        let files = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_file());
        assert_eq!(files.count(), 1);
    }
    server.stop().await;
}

#[tokio::test]
async fn static_files_with_security_headers_and_no_escape() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let r = server.get("/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    assert!(
        r.header("content-security-policy")
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    assert!(
        r.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert!(
        r.header("content-security-policy")
            .contains("media-src 'self' blob:")
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("referrer-policy"), "no-referrer");
    assert_eq!(r.header("cross-origin-opener-policy"), "same-origin");
    assert_eq!(r.header("cache-control"), "no-store");
    let r = server.get("/app.js", None).await;
    assert_eq!(r.header("content-type"), "text/javascript; charset=utf-8");
    // API answers carry the same headers.
    let r = server.get("/api/session", None).await;
    assert_eq!(r.header("x-content-type-options"), "nosniff");

    for path in [
        "/serve.mjs",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/pkg/package.json",
        "/pkg/src/index.ts",
        "/pkg/dist/hazmat.js",
        "/confide/dist/index.js",
        "/.git/config",
        "/nothing.html",
    ] {
        let r = server.get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = server
        .send(Method::POST, "/index.html", None, &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // The package's wasm, when built, is served as application/wasm under /pkg/.
    let wasm =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../js/wasm/confide_wasm_bg.wasm");
    if wasm.exists() {
        let r = server.get("/pkg/wasm/confide_wasm_bg.wasm", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "application/wasm");
    }
    server.stop().await;
}

//! Challenge-response login: a replayed challenge, a signature by another key, an
//! expired challenge, an expired session, and tokens that are not tokens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

async fn challenge(server: &Server, m: &confide::MemberSecretKey) -> Vec<u8> {
    let r = server
        .post(
            "/api/session/challenge",
            None,
            json!({ "bundle": b64(m.public_bundle().as_bytes()) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["memberId"], b64(&id(m)));
    let c = unb64(r.json()["challenge"].as_str().unwrap());
    assert_eq!(c.len(), 32);
    c
}

fn answer(m: &confide::MemberSecretKey, challenge: &[u8], signature: &[u8]) -> Value {
    json!({ "memberId": b64(&id(m)), "challenge": b64(challenge), "signature": b64(signature) })
}

#[tokio::test]
async fn a_signed_challenge_opens_a_session_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let (alice, bob) = (member(1), member(2));

    let c = challenge(&server, &alice).await;
    let body = answer(&alice, &c, &alice.sign_server_challenge(&c));
    let r = server.post("/api/session", None, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let expires_at = r.json()["expiresAt"].as_i64().unwrap();
    let now_ms = i64::try_from(now()).unwrap() * 1000;
    assert!((now_ms + 14 * 60_000..=now_ms + 16 * 60_000).contains(&expires_at));
    let r = server.get("/api/session", Some(&token)).await;
    assert_eq!(r.json()["memberId"], b64(&id(&alice)));

    // The same challenge and signature again: the challenge was single use.
    let r = server.post("/api/session", None, body).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "bad_challenge")
    );

    // Bob's signature over Alice's challenge, claimed as Alice's: refused, and the
    // challenge is spent by the attempt (no second try with another signature).
    let c = challenge(&server, &alice).await;
    let r = server
        .post(
            "/api/session",
            None,
            answer(&alice, &c, &bob.sign_server_challenge(&c)),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );
    let r = server
        .post(
            "/api/session",
            None,
            answer(&alice, &c, &alice.sign_server_challenge(&c)),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "bad_challenge")
    );

    // Alice's challenge answered as Bob (with Bob's valid signature): the challenge is Alice's.
    let c = challenge(&server, &alice).await;
    challenge(&server, &bob).await;
    let r = server
        .post(
            "/api/session",
            None,
            answer(&bob, &c, &bob.sign_server_challenge(&c)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A signature over the bare challenge, without the label, does not verify.
    let c = challenge(&server, &alice).await;
    let r = server
        .post("/api/session", None, answer(&alice, &c, &[0u8; 64]))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // A bundle that does not verify is not registered.
    let mut bad = alice.public_bundle().as_bytes().to_vec();
    bad[100] ^= 1;
    let r = server
        .post(
            "/api/session/challenge",
            None,
            json!({ "bundle": b64(&bad) }),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_bundle")
    );

    // Logout ends the session.
    let r = server
        .send(Method::DELETE, "/api/session", Some(&token), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get("/api/session", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

#[tokio::test]
async fn expired_sessions_and_challenges_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path()).await;
    cfg.session_ttl = Duration::from_millis(300);
    cfg.challenge_ttl = Duration::from_millis(300);
    let server = Server::start(cfg).await;
    let alice = member(1);

    let token = server.login(&alice).await;
    let ws = server.create_workspace(member(1), &token).await;
    let log = format!("{}/log", ws_path(&ws));
    assert_eq!(server.get(&log, Some(&token)).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = server.get(&log, Some(&token)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    assert_eq!(r.header("www-authenticate"), "Bearer");

    let c = challenge(&server, &alice).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = server
        .post(
            "/api/session",
            None,
            answer(&alice, &c, &alice.sign_server_challenge(&c)),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "bad_challenge")
    );
    server.stop().await;
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let ws = format!("/api/workspaces/{}/log", b64(&[1; 16]));
    let random = b64(&[7; 32]);
    for header in [
        None,
        Some(String::new()),
        Some("Basic dXNlcjpwYXNz".to_owned()),
        Some("Bearer".to_owned()),
        Some("Bearer not-base64!".to_owned()),
        Some(format!("Bearer {}", b64(&[7; 31]))),
        Some(format!("Bearer {random}")),
    ] {
        let headers: Vec<(&str, &str)> = header
            .iter()
            .map(|h| ("authorization", h.as_str()))
            .collect();
        for path in ["/api/session", "/api/workspaces", ws.as_str()] {
            let r = server
                .send(Method::GET, path, None, &headers, empty())
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path} {header:?}");
            assert_eq!(r.code(), "unauthorized");
        }
    }
    server.stop().await;
}

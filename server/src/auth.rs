//! Passwordless sessions: a member proves possession of its Ed25519 key by signing a
//! single-use server challenge (docs/FORMAT.md#server-challenge), and gets a short-lived
//! bearer token. Only the token's SHA-256 is stored.
//!
//! Nothing is registered before a signature proves the key: a challenge carries the bundle
//! it was issued for and expires with it, and a session names only the member id. Bundles
//! are published when their member enters a workspace's log or posts an acceptance. So
//! what an anonymous client can make the server store is bounded by the challenge rate
//! limits times the challenge lifetime.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use confide::{Fingerprint, MemberPublicBundle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::ratelimit::Key;
use crate::wire::{B64, ClientIp, Json, decode, encode, now_ms};

/// Length of a challenge and of a session token.
const RANDOM_LEN: usize = 32;

/// The member a valid bearer token belongs to.
pub struct Session {
    /// The member's fingerprint id.
    pub member_id: [u8; Fingerprint::ID_LEN],
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| decode(t.trim()))
            .filter(|t| t.len() == RANDOM_LEN)
            .ok_or_else(ApiError::unauthorized)?;
        let hash = token_hash(&token);
        let member: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT member_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(&hash[..])
        .bind(now_ms())
        .fetch_optional(state.db.read())
        .await?;
        let member_id = member
            .and_then(|m| m.try_into().ok())
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Self { member_id })
    }
}

fn token_hash(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

fn random() -> Result<[u8; RANDOM_LEN], ApiError> {
    let mut out = [0u8; RANDOM_LEN];
    getrandom::fill(&mut out).map_err(|e| ApiError::internal(&e))?;
    Ok(out)
}

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `POST /api/session/challenge` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    bundle: B64,
}

/// `POST /api/session/challenge` answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeResponse {
    member_id: B64,
    challenge: B64,
    expires_at: i64,
}

/// Verifies and registers the bundle, and issues a single-use challenge for it.
///
/// # Errors
/// 400 if the bundle does not verify.
pub async fn challenge(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<ChallengeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    state.limiters.challenges.check(Key::Ip(ip))?;
    let bundle = MemberPublicBundle::from_bytes(&req.bundle.0).map_err(|_| {
        ApiError::bad_request("invalid_bundle", "the public bundle does not verify")
    })?;
    let member_id = bundle.fingerprint().id();
    let challenge = random()?;
    let now = now_ms();
    let expires_at = now.saturating_add(ms(state.config.challenge_ttl));
    let mut tx = state.db.begin().await?;
    // Expired challenges and sessions go whenever a new one is made.
    sqlx::query("DELETE FROM challenges WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO challenges (challenge, member_id, bundle, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&challenge[..])
    .bind(&member_id[..])
    .bind(bundle.as_bytes())
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ChallengeResponse {
            member_id: B64(member_id.to_vec()),
            challenge: B64(challenge.to_vec()),
            expires_at,
        }),
    ))
}

/// `POST /api/session` body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionRequest {
    member_id: B64,
    challenge: B64,
    signature: B64,
}

/// `POST /api/session` answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    token: String,
    member_id: B64,
    expires_at: i64,
}

/// Exchanges a signed challenge for a session token. The challenge is consumed by the
/// first attempt, whether or not its signature verifies.
///
/// # Errors
/// 401 `bad_challenge` for an unknown, used or expired challenge; 401 `bad_signature`.
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<SessionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    state.limiters.sessions.check(Key::Ip(ip))?;
    let now = now_ms();
    let SessionRequest {
        member_id,
        challenge,
        signature,
    } = req;
    let issued: Option<(Vec<u8>, i64)> = sqlx::query_as(
        "DELETE FROM challenges WHERE challenge = $1 AND member_id = $2 \
         RETURNING bundle, expires_at",
    )
    .bind(&challenge.0)
    .bind(&member_id.0)
    .fetch_optional(state.db.write())
    .await?;
    let bundle = match issued {
        Some((bundle, expires)) if expires > now => bundle,
        _ => return Err(bad_challenge()),
    };
    let bundle = MemberPublicBundle::from_bytes(&bundle).map_err(|e| ApiError::internal(&e))?;
    if !bundle.verify_server_challenge(&challenge.0, &signature.0) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the signature does not verify with this member's key",
        ));
    }
    let token = random()?;
    let hash = token_hash(&token);
    let expires_at = now.saturating_add(ms(state.config.session_ttl));
    let member_id = bundle.fingerprint().id();
    sqlx::query("INSERT INTO sessions (token_hash, member_id, expires_at) VALUES ($1, $2, $3)")
        .bind(&hash[..])
        .bind(&member_id[..])
        .bind(expires_at)
        .execute(state.db.write())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SessionResponse {
            token: encode(&token),
            member_id: B64(member_id.to_vec()),
            expires_at,
        }),
    ))
}

fn bad_challenge() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_challenge",
        "the challenge is unknown, used or expired: request a new one",
    )
}

/// `GET /api/session`: who this token belongs to.
pub async fn current_session(session: Session) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "memberId": encode(&session.member_id) }))
}

/// `DELETE /api/session`: ends the session of this token (logout).
///
/// # Errors
/// 401 without a valid token.
pub async fn delete_session(
    State(state): State<AppState>,
    parts: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = parts
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| decode(t.trim()))
        .ok_or_else(ApiError::unauthorized)?;
    let hash = token_hash(&token);
    let deleted = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(&hash[..])
        .execute(state.db.write())
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ApiError::unauthorized());
    }
    Ok(StatusCode::NO_CONTENT)
}

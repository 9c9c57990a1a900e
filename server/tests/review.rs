//! The independent review's findings, each replayed against the server (issue 14): the
//! quadratic re-verification an outsider could trigger, who may delete what, invites that
//! members could jam or that expired unseen, registration that grew without limit.
//!
//! Costs are asserted by counting verified log entries ([`confide_server::Metrics`]), not
//! by timing: the benchmark (`make bench-server`) measures the time.

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
use confide::{InviteLink, MemberSecretKey, Role, Workspace};
use serde_json::json;

/// Invites `m` to `ws` and admits it; returns its token. `seq` is the log's head seq.
async fn admit(
    server: &Server,
    ws: &mut Workspace,
    admin_t: &str,
    m: &MemberSecretKey,
    seq: u32,
) -> String {
    server.admit(ws, admin_t, m, seq).await.0
}

/// Appends `n` invites; returns the head seq after them.
async fn grow(server: &Server, ws: &mut Workspace, token: &str, from: u32, n: u32) -> u32 {
    let mut seq = from;
    for _ in 0..n {
        let entry = ws
            .create_invite(Role::Member, now(), WEEK)
            .unwrap()
            .log_entry;
        let r = server.append(ws, token, seq, &entry, &[], None).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        seq += 1;
    }
    seq
}

#[tokio::test]
async fn an_outsiders_request_does_no_log_work_and_an_append_verifies_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let server = Server::start(cfg.clone()).await;
    let (alice, mallory, bystander) = (member(1), member(66), member(7));
    let alice_t = server.login(&alice).await;
    let mallory_t = server.login(&mallory).await;
    let bystander_t = server.login(&bystander).await;
    let mut ws = server.create_workspace(alice, &alice_t).await;
    let bystanders = server.create_workspace(member(7), &bystander_t).await;

    // The log grows by 300 entries; each append verified exactly one.
    let before = server.metrics.entries_verified();
    let seq = grow(&server, &mut ws, &alice_t, 0, 300).await;
    assert_eq!(server.metrics.entries_verified() - before, 300);
    assert_eq!(server.metrics.full_verifications(), 0);

    // The review's attack: a non-member's acceptance to a made-up invite id, and to a real
    // one. Neither touches the log; the bystander's requests neither.
    let before = server.metrics.entries_verified();
    let acceptance = {
        let w = Workspace::create(member(66), now()).unwrap();
        let mut w = w;
        let invite = w.create_invite(Role::Member, now(), WEEK).unwrap();
        InviteLink::parse(&invite.link.to_fragment())
            .unwrap()
            .accept(&mallory)
    };
    for invite in [[9u8; 32], [10u8; 32]] {
        let r = server
            .post(
                &format!("{}/invites/{}/acceptances", ws_path(&ws), b64(&invite)),
                Some(&mallory_t),
                json!({ "acceptance": b64(&acceptance) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    for path in [
        format!("{}/log", ws_path(&ws)),
        format!("{}/records", ws_path(&ws)),
        format!("{}/grants", ws_path(&ws)),
    ] {
        assert_eq!(
            server.get(&path, Some(&mallory_t)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let r = server.get("/api/workspaces", Some(&bystander_t)).await;
    assert_eq!(
        r.json()["workspaces"][0]["workspaceId"],
        b64(bystanders.id().as_bytes())
    );
    let r = server
        .get(&format!("{}/log", ws_path(&bystanders)), Some(&bystander_t))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Grants posted outside an append check the roster, not the log.
    let r = server
        .post(
            &format!("{}/grants", ws_path(&ws)),
            Some(&alice_t),
            json!({ "grants": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.metrics.entries_verified(),
        before,
        "a request other than an append verified log entries"
    );

    // A restart empties the cache: the first append verifies the log once, the next one
    // entry again.
    server.stop().await;
    let server = Server::start(cfg).await;
    let seq = grow(&server, &mut ws, &alice_t, seq, 1).await;
    assert_eq!(server.metrics.full_verifications(), 1);
    assert_eq!(server.metrics.entries_verified(), u64::from(seq) + 1);
    let before = server.metrics.entries_verified();
    grow(&server, &mut ws, &alice_t, seq, 1).await;
    assert_eq!(server.metrics.entries_verified() - before, 1);
    server.stop().await;
}

#[tokio::test]
async fn only_the_author_or_an_admin_replaces_or_deletes_a_record_or_blob() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let alice = member(1);
    let alice_t = server.login(&alice).await;
    let mut ws = server.create_workspace(alice, &alice_t).await;
    let bob_t = admit(&server, &mut ws, &alice_t, &member(2), 0).await;
    let carol_t = admit(&server, &mut ws, &alice_t, &member(3), 2).await;
    let base = ws_path(&ws);
    let record = format!("{base}/records/n-1/body");
    let blob = format!("{base}/blobs/rec-1");
    assert_eq!(
        server.put_bytes(&record, &bob_t, vec![1; 40]).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        server.put_bytes(&blob, &bob_t, vec![2; 4000]).await.status,
        StatusCode::CREATED
    );

    // Carol, a member, can read Bob's but neither replace nor delete them.
    assert_eq!(
        server.get(&record, Some(&carol_t)).await.status,
        StatusCode::OK
    );
    for (method, path) in [(Method::DELETE, &record), (Method::DELETE, &blob)] {
        let r = server
            .send(method, path, Some(&carol_t), &[], empty())
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
    }
    for path in [&record, &blob] {
        let r = server.put_bytes(path, &carol_t, vec![9; 10]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        server.get(&record, Some(&bob_t)).await.body.as_ref(),
        &[1; 40]
    );
    assert_eq!(
        server.get(&blob, Some(&bob_t)).await.body.as_ref(),
        &[2; 4000][..]
    );
    // Bob replaces his own; Alice, an admin, deletes them.
    assert_eq!(
        server.put_bytes(&record, &bob_t, vec![3; 40]).await.status,
        StatusCode::NO_CONTENT
    );
    for path in [&record, &blob] {
        let r = server
            .send(Method::DELETE, path, Some(&alice_t), &[], empty())
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{path}");
    }
    // Carol deletes what she wrote herself.
    let own = format!("{base}/records/n-2/body");
    server.put_bytes(&own, &carol_t, vec![4; 8]).await;
    let r = server
        .send(Method::DELETE, &own, Some(&carol_t), &[], empty())
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    server.stop().await;
}

#[tokio::test]
async fn members_cannot_jam_an_invite_and_expired_invites_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let alice = member(1);
    let alice_t = server.login(&alice).await;
    let mut ws = server.create_workspace(alice, &alice_t).await;
    let bob = member(2);
    let bob_t = admit(&server, &mut ws, &alice_t, &bob, 0).await;

    // Bob, a member, sees the next invite's id in the log; his own key cannot take one of
    // its acceptance slots.
    let invite = ws.create_invite(Role::Member, now(), WEEK).unwrap();
    let r = server
        .append(&ws, &alice_t, 2, &invite.log_entry, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let link = InviteLink::parse(&invite.link.to_fragment()).unwrap();
    let path = format!(
        "{}/invites/{}/acceptances",
        ws_path(&ws),
        b64(&invite.invite_id)
    );
    let r = server
        .post(
            &path,
            Some(&bob_t),
            json!({ "acceptance": b64(&link.accept(&bob)) }),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "already_member")
    );

    // An admin whose clock is 8 days behind makes a 7-day invite: the server says at once
    // that it has expired by its clock, instead of a 404 when the invitee answers.
    let skewed = ws
        .create_invite(Role::Member, now() - 8 * 86_400, WEEK)
        .unwrap();
    let r = server
        .append(&ws, &alice_t, 3, &skewed.log_entry, &[], None)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invite_expired")
    );
    let log = server
        .get(&format!("{}/log", ws_path(&ws)), Some(&alice_t))
        .await
        .json();
    assert_eq!(log["head"]["seq"], 3);

    // An invite that expires while it waits: the invitee hears that, not "not found".
    let mut ws2 = server
        .load(ws.member(), &alice_t, ws.id().as_bytes(), None)
        .await;
    // Three seconds: long enough for the append to land on a loaded machine.
    let short = ws2.create_invite(Role::Member, now(), 3).unwrap();
    let r = server
        .append(&ws2, &alice_t, 3, &short.log_entry, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let carol = member(3);
    let carol_t = server.login(&carol).await;
    let link = InviteLink::parse(&short.link.to_fragment()).unwrap();
    let r = server
        .post(
            &format!(
                "{}/invites/{}/acceptances",
                ws_path(&ws2),
                b64(&short.invite_id)
            ),
            Some(&carol_t),
            json!({ "acceptance": b64(&link.accept(&carol)) }),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::GONE, "invite_expired")
    );
    server.stop().await;
}

#[tokio::test]
async fn logins_register_nothing_and_floods_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path()).await;
    cfg.rates.challenges = confide_server::Rate::new(60, 5);
    cfg.rates.acceptances = confide_server::Rate::new(60, 2);
    cfg.rates.workspaces = confide_server::Rate::new(60, 1);
    let server = Server::start(cfg).await;
    let alice = member(1);
    let alice_t = server.login(&alice).await;

    // A login registers no bundle: only a workspace log or an acceptance publishes one.
    let r = server
        .get(
            &format!("/api/members/{}", b64(&id(&alice))),
            Some(&alice_t),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Challenges for new bundles, one after another: the burst, then 429.
    let mut statuses = Vec::new();
    for n in 100..106u8 {
        let r = server
            .post(
                "/api/session/challenge",
                None,
                json!({ "bundle": b64(member(n).public_bundle().as_bytes()) }),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.code(), "rate_limited");
            assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
        }
        statuses.push(r.status.as_u16());
    }
    // One challenge went to Alice's login: four more fit the burst of five.
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429]);

    // Workspace creation and acceptances per member.
    server.create_workspace(member(1), &alice_t).await;
    let w = Workspace::create(member(1), now()).unwrap();
    let genesis = w.membership().unwrap().entries().next().unwrap().to_vec();
    let r = server
        .post(
            "/api/workspaces",
            Some(&alice_t),
            json!({ "entry": b64(&genesis) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let path = format!(
        "/api/workspaces/{}/invites/{}/acceptances",
        b64(&[1; 16]),
        b64(&[2; 32])
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = server
            .post(&path, Some(&alice_t), json!({ "acceptance": "AAAA" }))
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [404, 404, 429]);
    server.stop().await;
}

#[tokio::test]
async fn caps_on_the_log_and_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path()).await;
    cfg.limits.log_entries = 4;
    cfg.limits.records_per_workspace = 2;
    cfg.limits.blob_bytes_per_workspace = 10_000;
    cfg.limits.workspaces_per_member = 1;
    let server = Server::start(cfg).await;
    let alice = member(1);
    let alice_t = server.login(&alice).await;
    let mut ws = server.create_workspace(alice, &alice_t).await;
    let base = ws_path(&ws);

    let seq = grow(&server, &mut ws, &alice_t, 0, 3).await;
    let entry = ws
        .create_invite(Role::Member, now(), WEEK)
        .unwrap()
        .log_entry;
    let r = server.append(&ws, &alice_t, seq, &entry, &[], None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "log_too_large")
    );
    // Records: two, then 507; replacing one is fine.
    for (n, status) in [(1, 201), (2, 201), (3, 507), (1, 204)] {
        let r = server
            .put_bytes(&format!("{base}/records/n-{n}/body"), &alice_t, vec![1; 10])
            .await;
        assert_eq!(r.status.as_u16(), status, "record {n}");
    }
    // Blob bytes: 6,000 fit, 6,000 more do not, and nothing of them stays.
    let r = server
        .put_bytes(&format!("{base}/blobs/a"), &alice_t, vec![1; 6000])
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = server
        .put_bytes(&format!("{base}/blobs/b"), &alice_t, vec![1; 6000])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::INSUFFICIENT_STORAGE, "quota_exceeded")
    );
    let listed = server
        .get(&format!("{base}/blobs"), Some(&alice_t))
        .await
        .json();
    assert_eq!(listed["blobs"].as_array().unwrap().len(), 1);
    // An empty blob is refused, as an empty record is.
    let r = server
        .put_bytes(&format!("{base}/blobs/c"), &alice_t, vec![])
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "empty_body")
    );
    // A second workspace is over the member's cap.
    let w = Workspace::create(member(1), now()).unwrap();
    let genesis = w.membership().unwrap().entries().next().unwrap().to_vec();
    let r = server
        .post(
            "/api/workspaces",
            Some(&alice_t),
            json!({ "entry": b64(&genesis) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_log_and_one_blob_store() {
    if !scaled() {
        eprintln!(
            "two instances need PostgreSQL and S3: run under server/scripts/with-services.sh"
        );
        return;
    }
    let dir_a = tempfile::tempdir().unwrap();
    let cfg = config(dir_a.path()).await;
    let a = std::sync::Arc::new(Server::start(cfg.clone()).await);
    let dir_b = tempfile::tempdir().unwrap();
    let mut cfg_b = cfg.clone();
    cfg_b.data_dir = dir_b.path().to_path_buf();
    let b = std::sync::Arc::new(Server::start(cfg_b).await);
    let alice = member(1);
    let token = a.login(&alice).await;
    let ws = a.create_workspace(alice, &token).await;
    let ws_id = ws.id();
    for round in 0..4u32 {
        let mut entries = Vec::new();
        for _ in 0..2 {
            let mut w = a.load(ws.member(), &token, ws_id.as_bytes(), None).await;
            entries.push(
                w.create_invite(Role::Member, now(), WEEK)
                    .unwrap()
                    .log_entry,
            );
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = entries
            .into_iter()
            .zip([a.clone(), b.clone()])
            .map(|(entry, server)| {
                let (token, barrier) = (token.clone(), barrier.clone());
                let path = format!("/api/workspaces/{}/log", b64(ws_id.as_bytes()));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let body = json!({ "expectedSeq": round, "entry": b64(&entry) });
                    server.post(&path, Some(&token), body).await.status
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}"
        );
    }
    let entries: Vec<Vec<u8>> = b
        .get(&format!("{}/log", ws_path(&ws)), Some(&token))
        .await
        .json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| unb64(e.as_str().unwrap()))
        .collect();
    assert_eq!(entries.len(), 5);
    confide::MembershipLog::verify(&entries).unwrap();

    // A blob through A (multipart: over one part), read with Range through B.
    let data: Vec<u8> = (0..9_000_000u32).map(|i| (i % 251) as u8).collect();
    let path = format!("{}/blobs/rec-9", ws_path(&ws));
    assert_eq!(
        a.put_bytes(&path, &token, data.clone()).await.status,
        StatusCode::CREATED
    );
    let r = b
        .send(
            Method::GET,
            &path,
            Some(&token),
            &[("range", "bytes=8388600-8388700")],
            empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body.as_ref(), &data[8_388_600..=8_388_700]);
    assert_eq!(b.get(&path, Some(&token)).await.body.len(), data.len());
    std::sync::Arc::into_inner(a).unwrap().stop().await;
    std::sync::Arc::into_inner(b).unwrap().stop().await;
}

//! Authorization follows the real membership log: invite, accept, admit, read, remove.
//! Non-members get the same 404 as for a workspace that does not exist; concurrent
//! appends cannot fork the log.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::*;
use confide::{ContentType, EncryptOptions, InviteLink, RecordContext, Role};
use serde_json::json;

const CTX: RecordContext<'static> = RecordContext {
    record_id: "n-1",
    field: "body",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

#[tokio::test]
async fn invite_accept_admit_read_then_removal_cuts_access() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let (alice, bob, carol) = (member(1), member(2), member(3));
    let alice_t = server.login(&alice).await;
    let bob_t = server.login(&bob).await;
    let carol_t = server.login(&carol).await;
    let mut ws = server.create_workspace(alice, &alice_t).await;
    let base = ws_path(&ws);

    // The invite is a log entry.
    let invite = ws.create_invite(Role::Member, now(), WEEK).unwrap();
    let r = server
        .append(&ws, &alice_t, 0, &invite.log_entry, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json()["head"]["seq"], 1);
    let link = InviteLink::parse(&invite.link.to_fragment()).unwrap();
    let acceptance = link.accept(&bob);
    let acc_path = format!("{base}/invites/{}/acceptances", b64(&invite.invite_id));

    // Bob is not a member yet: he cannot read the log...
    assert_eq!(
        server
            .get(&format!("{base}/log"), Some(&bob_t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // ...but may answer the invite. Carol may not post Bob's acceptance as hers.
    let r = server
        .post(
            &acc_path,
            Some(&carol_t),
            json!({ "acceptance": b64(&acceptance) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = server
        .post(
            &acc_path,
            Some(&bob_t),
            json!({ "acceptance": b64(&acceptance) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    // An invite id that is not in the log is not found, before the acceptance is looked at.
    let wrong = format!("{base}/invites/{}/acceptances", b64(&[9u8; 32]));
    let r = server
        .post(
            &wrong,
            Some(&bob_t),
            json!({ "acceptance": b64(&acceptance) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Alice fetches the acceptance, verifies and admits Bob with his grant, atomically.
    let r = server
        .get(&format!("{base}/acceptances"), Some(&alice_t))
        .await;
    let listed = r.json()["acceptances"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["memberId"], b64(&id(&bob)));
    let fetched = unb64(listed[0]["acceptance"].as_str().unwrap());
    let admission = ws.admit(&fetched, now()).unwrap();
    let r = server
        .append(
            &ws,
            &alice_t,
            1,
            &admission.log_entry,
            &[(admission.member_id, admission.grant)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The used invite's acceptances are gone, and it takes no more.
    let r = server
        .get(&format!("{base}/acceptances"), Some(&alice_t))
        .await;
    assert_eq!(r.json()["acceptances"], json!([]));
    let r = server
        .post(
            &acc_path,
            Some(&bob_t),
            json!({ "acceptance": b64(&acceptance) }),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "invite_used")
    );

    // Alice writes a note; Bob loads the workspace from the server and reads it.
    let note = ws.encrypt(b"first session", &CTX, TEXT).unwrap();
    let r = server
        .put_bytes(&format!("{base}/records/n-1/body"), &alice_t, note.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let ws_bob = server
        .load(&bob, &bob_t, ws.id().as_bytes(), Some(&link))
        .await;
    let r = server
        .get(&format!("{base}/records/n-1/body"), Some(&bob_t))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_ref(), note.as_slice());
    assert_eq!(
        ws_bob.decrypt(&r.body, &CTX).unwrap().1.as_slice(),
        b"first session"
    );
    let r = server.get("/api/workspaces", Some(&bob_t)).await;
    assert_eq!(r.json()["workspaces"][0]["admin"], false);
    // A plain member cannot post grants or history links.
    let r = server
        .post(
            &format!("{base}/grants"),
            Some(&bob_t),
            json!({ "grants": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = server
        .post(
            &format!("{base}/history"),
            Some(&bob_t),
            json!({ "links": [] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The member's bundle is published.
    let r = server
        .get(&format!("/api/members/{}", b64(&id(&bob))), Some(&alice_t))
        .await;
    assert_eq!(
        unb64(r.json()["bundle"].as_str().unwrap()),
        bob.public_bundle().as_bytes()
    );

    // Removal: one request carries the entry, the new epoch's grants and the history link.
    let rotation = ws.remove(&id(&bob), now()).unwrap();
    let grants: Vec<_> = rotation
        .grants
        .iter()
        .map(|g| (g.member_id, g.grant.clone()))
        .collect();
    let r = server
        .append(
            &ws,
            &alice_t,
            2,
            &rotation.log_entry,
            &grants,
            Some(&rotation.history_link),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json()["epoch"], 1);

    // Bob has lost everything, with the same answer as for a workspace that does not exist.
    for path in [
        format!("{base}/log"),
        format!("{base}/records"),
        format!("{base}/records/n-1/body"),
        format!("{base}/grants"),
    ] {
        let r = server.get(&path, Some(&bob_t)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.code(), "not_found");
    }
    let r = server
        .put_bytes(&format!("{base}/records/n-2/body"), &bob_t, vec![1; 10])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.get("/api/workspaces", Some(&bob_t)).await.json()["workspaces"],
        json!([])
    );

    // Alice, reloading from the server alone, reads the old note through the history link.
    let ws_alice = server
        .load(ws.member(), &alice_t, ws.id().as_bytes(), None)
        .await;
    assert_eq!(ws_alice.epoch(), 1);
    assert_eq!(
        ws_alice.decrypt(&note, &CTX).unwrap().1.as_slice(),
        b"first session"
    );
    server.stop().await;
}

#[tokio::test]
async fn non_members_get_the_same_404_as_for_a_missing_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let alice = member(1);
    let mallory = member(66);
    let alice_t = server.login(&alice).await;
    let mallory_t = server.login(&mallory).await;
    let ws = server.create_workspace(alice, &alice_t).await;
    let blob = server
        .put_bytes(
            &format!("{}/blobs/rec-1", ws_path(&ws)),
            &alice_t,
            vec![5; 100],
        )
        .await;
    assert_eq!(blob.status, StatusCode::CREATED);
    let real = ws_path(&ws);
    let missing = format!("/api/workspaces/{}", b64(&[0x42; 16]));

    let mut answers = Vec::new();
    for base in [&real, &missing] {
        let mut seen = Vec::new();
        for (method, path, body) in [
            (Method::GET, "/log", None),
            (Method::GET, "/grants", None),
            (Method::GET, "/history", None),
            (Method::GET, "/acceptances", None),
            (Method::GET, "/records", None),
            (Method::GET, "/records/n-1/body", None),
            (Method::GET, "/blobs", None),
            (Method::GET, "/blobs/rec-1", None),
            (Method::DELETE, "/blobs/rec-1", None),
            (Method::POST, "/grants", Some(json!({ "grants": [] }))),
            (Method::POST, "/history", Some(json!({ "links": [] }))),
            (
                Method::POST,
                "/log",
                Some(json!({ "expectedSeq": 0, "entry": "AAAA" })),
            ),
        ] {
            let path = format!("{base}{path}");
            let r = match body {
                Some(b) => {
                    server
                        .json(method.clone(), &path, Some(&mallory_t), b)
                        .await
                }
                None => {
                    server
                        .send(method.clone(), &path, Some(&mallory_t), &[], empty())
                        .await
                }
            };
            seen.push((method, r.status, r.body));
        }
        let r = server
            .put_bytes(&format!("{base}/blobs/rec-1"), &mallory_t, vec![1; 10])
            .await;
        seen.push((Method::PUT, r.status, r.body));
        let r = server
            .put_bytes(&format!("{base}/records/n-1/body"), &mallory_t, vec![1; 10])
            .await;
        seen.push((Method::PUT, r.status, r.body));
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "a member-only route told a real workspace from a missing one"
    );
    assert!(
        answers[0]
            .iter()
            .all(|(_, s, _)| *s == StatusCode::NOT_FOUND),
        "{:?}",
        answers[0]
    );
    // Alice's blob is untouched.
    let r = server
        .get(&format!("{real}/blobs/rec-1"), Some(&alice_t))
        .await;
    assert_eq!(r.body.as_ref(), &[5; 100]);
    server.stop().await;
}

#[tokio::test]
async fn the_server_stores_only_logs_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(config(dir.path()).await).await;
    let (alice, bob) = (member(1), member(2));
    let alice_t = server.login(&alice).await;
    let bob_t = server.login(&bob).await;

    // A genesis entry signed by someone else than the session's member.
    let other = confide::Workspace::create(member(1), now()).unwrap();
    let genesis = other
        .membership()
        .unwrap()
        .entries()
        .next()
        .unwrap()
        .to_vec();
    let r = server
        .post(
            "/api/workspaces",
            Some(&bob_t),
            json!({ "entry": b64(&genesis) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = server
        .post(
            "/api/workspaces",
            Some(&alice_t),
            json!({ "entry": b64(b"garbage") }),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry")
    );

    let mut ws = server.create_workspace(alice, &alice_t).await;
    let genesis = ws.membership().unwrap().entries().next().unwrap().to_vec();
    let r = server
        .post(
            "/api/workspaces",
            Some(&alice_t),
            json!({ "entry": b64(&genesis) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Garbage, an entry of another workspace, a second genesis: 422, and the log stays put.
    let foreign = {
        let mut w = confide::Workspace::create(member(1), now()).unwrap();
        w.create_invite(Role::Member, now(), WEEK)
            .unwrap()
            .log_entry
    };
    for bad in [b"garbage".to_vec(), foreign, genesis.clone()] {
        let r = server.append(&ws, &alice_t, 0, &bad, &[], None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    }
    // A valid entry with a grant for a non-member is refused as a whole.
    let invite = ws.create_invite(Role::Member, now(), WEEK).unwrap();
    let r = server
        .append(
            &ws,
            &alice_t,
            0,
            &invite.log_entry,
            &[(id(&bob), vec![0; confide::GRANT_LEN])],
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "not_a_member")
    );
    let log = server
        .get(&format!("{}/log", ws_path(&ws)), Some(&alice_t))
        .await
        .json();
    assert_eq!(log["entries"].as_array().unwrap().len(), 1);
    assert_eq!(log["head"]["seq"], 0);
    // Stale expectedSeq: 409.
    let r = server
        .append(&ws, &alice_t, 5, &invite.log_entry, &[], None)
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "head_moved")
    );
    // And the same entry, correctly placed, goes in; ?after= returns only it.
    let r = server
        .append(&ws, &alice_t, 0, &invite.log_entry, &[], None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let log = server
        .get(&format!("{}/log?after=0", ws_path(&ws)), Some(&alice_t))
        .await
        .json();
    assert_eq!(log["entries"], json!([b64(&invite.log_entry)]));
    assert_eq!(log["head"]["hash"], r.json()["head"]["hash"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_exactly_one_wins_the_other_gets_409() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(config(dir.path()).await).await);
    let alice = member(1);
    let token = server.login(&alice).await;
    let ws = server.create_workspace(alice, &token).await;
    let ws_id = ws.id();
    for round in 0..5u32 {
        // Two independent clients of Alice, each at the same head, each adding an invite.
        let mut entries = Vec::new();
        for _ in 0..2 {
            let mut w = server
                .load(ws.member(), &token, ws_id.as_bytes(), None)
                .await;
            entries.push(
                w.create_invite(Role::Member, now(), WEEK)
                    .unwrap()
                    .log_entry,
            );
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = entries
            .into_iter()
            .map(|entry| {
                let (server, token, barrier) =
                    (Arc::clone(&server), token.clone(), Arc::clone(&barrier));
                let path = format!("/api/workspaces/{}/log", b64(ws_id.as_bytes()));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let body = json!({ "expectedSeq": round, "entry": b64(&entry) });
                    server.post(&path, Some(&token), body).await
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            if r.status == StatusCode::CONFLICT {
                assert_eq!(r.code(), "head_moved");
            }
            statuses.push(r.status);
        }
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "round {round}"
        );
    }
    let log = server
        .get(&format!("{}/log", ws_path(&ws)), Some(&token))
        .await
        .json();
    let entries: Vec<Vec<u8>> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| unb64(e.as_str().unwrap()))
        .collect();
    assert_eq!(entries.len(), 6);
    confide::MembershipLog::verify(&entries).unwrap();
    Arc::into_inner(server).unwrap().stop().await;
}

//! Cases on the server (server/README.md#cases): the case routes and who may use them, the
//! case log's incremental verification counted in verified entries, forged entries and
//! grants refused with their codes, the compare-and-swap, and deletion by crypto-shredding,
//! down to a bulk backup restored beside the current key store.
//!
//! A practice as in the core's tests/cases.rs: Mia the manager (admin, on no case), Cleo and
//! Dan, clinicians, and Sam, a supervisor whom Cleo puts on her client's case at summary
//! level. Everything is built with the core crate and goes through the server's routes.

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
use confide::{
    Case, CaseChange, CaseEntry, CaseEntryChange, CaseId, CaseLoadInput, ContentType,
    EncryptOptions, ErrorCode, Level, MembershipError, RecordContext, Role, Workspace,
};
use confide_server::Config;
use serde_json::{Value, json};

const NOTE: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "notes",
};
const SUMMARY: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "summary",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

/// Mia's workspace with Cleo, Dan and Sam in it; Cleo's case with Sam at summary level.
struct Practice {
    server: Server,
    mia_t: String,
    cleo: Workspace,
    cleo_t: String,
    dan: Workspace,
    dan_t: String,
    sam: Workspace,
    sam_t: String,
    case: Case,
    /// Every case grant published so far.
    grants: Vec<Vec<u8>>,
}

fn grants_json(change: &CaseChange) -> Vec<Value> {
    change
        .grants
        .iter()
        .map(|g| json!({ "memberId": b64(&g.member_id), "grant": b64(&g.grant) }))
        .collect()
}

fn case_path(ws: &Workspace, case: &CaseId) -> String {
    format!("{}/cases/{}", ws_path(ws), b64(case.as_bytes()))
}

impl Practice {
    async fn start(cfg: Config) -> Self {
        let server = Server::start(cfg).await;
        let mia_t = server.login(&member(1)).await;
        let mut mia = server.create_workspace(member(1), &mia_t).await;
        let mut joined = Vec::new();
        for (n, seq) in [(2, 0), (3, 2), (4, 4)] {
            joined.push(server.admit(&mut mia, &mia_t, &member(n), seq).await);
        }
        let mut loaded = Vec::new();
        for (n, (token, link)) in (2..=4).zip(joined) {
            let ws = server
                .load(&member(n), &token, mia.id().as_bytes(), Some(&link))
                .await;
            loaded.push((ws, token));
        }
        let [(cleo, cleo_t), (dan, dan_t), (sam, sam_t)]: [(Workspace, String); 3] =
            loaded.try_into().ok().unwrap();
        let (mut case, created) = create_case(&server, &cleo, &cleo_t).await;
        let mut grants: Vec<Vec<u8>> = created.grants.iter().map(|g| g.grant.clone()).collect();
        let added = case
            .add(&cleo, &id(&member(4)), Level::Summary, now())
            .unwrap();
        let r = publish(&server, &cleo, &case.id(), &cleo_t, 0, &added).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        grants.extend(added.grants.iter().map(|g| g.grant.clone()));
        Self {
            server,
            mia_t,
            cleo,
            cleo_t,
            dan,
            dan_t,
            sam,
            sam_t,
            case,
            grants,
        }
    }

    fn base(&self) -> String {
        case_path(&self.cleo, &self.case.id())
    }

    /// Cleo's note (full level) and summary (summary level) in the case; returns them.
    async fn write_records(&self) -> (Vec<u8>, Vec<u8>) {
        let note = self
            .case
            .encrypt(
                &self.cleo,
                b"Discussed the panic attacks in detail.",
                &NOTE,
                TEXT,
                Level::Full,
            )
            .unwrap();
        let summary = self
            .case
            .encrypt(&self.cleo, b"J.D., 50 min", &SUMMARY, TEXT, Level::Summary)
            .unwrap();
        for (field, body) in [("notes", &note), ("summary", &summary)] {
            let r = self
                .server
                .put_bytes(
                    &format!("{}/records/session-1/{field}", self.base()),
                    &self.cleo_t,
                    body.clone(),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        }
        (note, summary)
    }
}

/// Creates a case as the member of `ws`, through the server.
async fn create_case(server: &Server, ws: &Workspace, token: &str) -> (Case, CaseChange) {
    let (case, created) = Case::create(ws, now(), 0).unwrap();
    let r = server
        .post(
            &format!("{}/cases", ws_path(ws)),
            Some(token),
            json!({ "entry": b64(&created.log_entry), "grants": grants_json(&created) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.json()["caseId"], b64(case.id().as_bytes()));
    assert_eq!(r.json()["head"]["seq"], 0);
    assert_eq!(
        r.json()["head"]["hash"],
        b64(&case.head().hash()),
        "the head is the create entry's hash"
    );
    (case, created)
}

/// Posts a change's entry and grants on top of `expected`.
async fn publish(
    server: &Server,
    ws: &Workspace,
    case: &CaseId,
    token: &str,
    expected: u32,
    change: &CaseChange,
) -> Response {
    append(
        server,
        ws,
        case,
        token,
        expected,
        &change.log_entry,
        grants_json(change),
    )
    .await
}

async fn append(
    server: &Server,
    ws: &Workspace,
    case: &CaseId,
    token: &str,
    expected: u32,
    entry: &[u8],
    grants: Vec<Value>,
) -> Response {
    server
        .post(
            &format!("{}/log", case_path(ws, case)),
            Some(token),
            json!({ "expectedSeq": expected, "entry": b64(entry), "grants": grants }),
        )
        .await
}

fn byte_list(v: &Value, key: &str) -> Vec<Vec<u8>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| unb64(e.as_str().unwrap()))
        .collect()
}

/// Loads the case as the member of `ws` from what the server returns, as a client does.
async fn load_case(
    server: &Server,
    ws: &Workspace,
    token: &str,
    case: &CaseId,
) -> Result<Case, MembershipError> {
    let base = case_path(ws, case);
    let r = server.get(&format!("{base}/log"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let log = byte_list(&r.json(), "entries");
    let r = server.get(&format!("{base}/grants"), Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let grants = byte_list(&r.json(), "grants");
    let log: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
    let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
    Case::load(
        ws,
        &CaseLoadInput {
            log: &log,
            grants: &grants,
            pinned_head: None,
        },
    )
}

fn code<T>(r: Result<T, impl ErrorCode>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// A refused entry: 422 `invalid_entry`, the core's code in the message.
fn assert_refused(r: &Response, core_code: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry"),
        "{:?}",
        r.body
    );
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.ends_with(core_code), "{message} is not {core_code}");
}

async fn head_seq(p: &Practice) -> u64 {
    p.server
        .get(&format!("{}/log", p.base()), Some(&p.cleo_t))
        .await
        .json()["head"]["seq"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn case_routes_answer_the_cases_members_and_no_one_else() {
    let dir = tempfile::tempdir().unwrap();
    let p = Practice::start(config(dir.path()).await).await;
    let (server, base) = (&p.server, p.base());
    let (note, summary) = p.write_records().await;
    let recording = vec![7u8; 100_000];
    let r = server
        .put_bytes(&format!("{base}/blobs/rec-1"), &p.cleo_t, recording.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // The list: Cleo's and Sam's case at their levels; nothing for Dan or Mia, the admin.
    let cases_path = format!("{}/cases", ws_path(&p.cleo));
    let cases = |token: String| {
        let path = cases_path.clone();
        async move { server.get(&path, Some(&token)).await.json()["cases"].clone() }
    };
    let listed = cases(p.cleo_t.clone()).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["caseId"], b64(p.case.id().as_bytes()));
    assert_eq!(listed[0]["level"], "full");
    assert_eq!(listed[0]["deleted"], false);
    assert_eq!(listed[0]["head"]["seq"], 1);
    assert_eq!(listed[0]["head"]["hash"], b64(&p.case.head().hash()));
    assert_eq!(cases(p.sam_t.clone()).await[0]["level"], "summary");
    assert_eq!(cases(p.dan_t.clone()).await, json!([]));
    assert_eq!(cases(p.mia_t.clone()).await, json!([]));

    // Sam loads the case from the server's answers: the summary opens, the note does not.
    let sam = load_case(server, &p.sam, &p.sam_t, &p.case.id())
        .await
        .unwrap();
    assert_eq!(sam.level(), Level::Summary);
    let fetched = server
        .get(&format!("{base}/records/session-1/summary"), Some(&p.sam_t))
        .await;
    assert_eq!(fetched.body.as_ref(), &summary[..]);
    let (_, text) = sam.decrypt(&fetched.body, &SUMMARY).unwrap();
    assert_eq!(&text[..], b"J.D., 50 min");
    let fetched = server
        .get(&format!("{base}/records/session-1/notes"), Some(&p.sam_t))
        .await;
    assert_eq!(fetched.body.as_ref(), &note[..]);
    assert_eq!(code(sam.decrypt(&fetched.body, &NOTE)), "level_too_low");
    let listed = server
        .get(&format!("{base}/records"), Some(&p.sam_t))
        .await
        .json();
    assert_eq!(listed["records"].as_array().unwrap().len(), 2);
    let r = server
        .send(
            Method::GET,
            &format!("{base}/blobs/rec-1"),
            Some(&p.sam_t),
            &[("range", "bytes=10-19")],
            empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.header("content-range"), "bytes 10-19/100000");
    assert_eq!(r.body.as_ref(), &recording[10..20]);

    // Sam, at summary level, writes nothing.
    for path in [
        format!("{base}/records/session-1/summary"),
        format!("{base}/blobs/rec-1"),
    ] {
        let r = server.put_bytes(&path, &p.sam_t, summary.clone()).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        let r = server
            .send(Method::DELETE, &path, Some(&p.sam_t), &[], empty())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }

    // Dan, in the workspace but not on the case, and Eve, in neither: the answers of a case
    // that does not exist, byte for byte.
    let eve_t = server.login(&member(9)).await;
    let nowhere = case_path(&p.cleo, &CaseId::from_bytes([7; 16]));
    for token in [&p.dan_t, &eve_t] {
        for suffix in [
            "/log",
            "/grants",
            "/records",
            "/blobs",
            "/records/session-1/notes",
            "/blobs/rec-1",
        ] {
            let here = server.get(&format!("{base}{suffix}"), Some(token)).await;
            let there = server.get(&format!("{nowhere}{suffix}"), Some(token)).await;
            assert_eq!(here.status, StatusCode::NOT_FOUND, "{suffix}");
            assert_eq!(here.body, there.body, "{suffix}");
        }
        let r = server
            .put_bytes(
                &format!("{base}/records/session-2/notes"),
                token,
                note.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }

    // A case holds records of version 3 that name it: not the workspace's, not another case's.
    let workspace_record = p.cleo.encrypt(b"practice hours", &NOTE, TEXT).unwrap();
    let (other, _) = create_case(server, &p.cleo, &p.cleo_t).await;
    let other_record = other
        .encrypt(&p.cleo, b"another client", &NOTE, TEXT, Level::Full)
        .unwrap();
    for body in [workspace_record, other_record, vec![1; 200]] {
        let r = server
            .put_bytes(&format!("{base}/records/session-2/notes"), &p.cleo_t, body)
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_record")
        );
    }

    // An entry is appended by the member who signed it.
    let mut case = load_case(server, &p.cleo, &p.cleo_t, &p.case.id())
        .await
        .unwrap();
    let rotated = case.rotate(&p.cleo, now()).unwrap();
    for token in [&p.sam_t, &p.mia_t] {
        let r = publish(server, &p.cleo, &case.id(), token, 1, &rotated).await;
        let expected = if *token == p.sam_t {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(r.status, expected);
    }
    let r = publish(server, &p.cleo, &case.id(), &p.cleo_t, 1, &rotated).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json()["head"]["seq"], 2);
    assert_eq!(r.json()["epoch"], 2);
    // Sam's new grant came with it: he loads the new epoch.
    let sam = load_case(server, &p.sam, &p.sam_t, &p.case.id())
        .await
        .unwrap();
    assert_eq!(sam.epoch(), 2);
    // Mia's own case: she is on it, Cleo is not.
    let mia = server
        .load(&member(1), &p.mia_t, p.cleo.id().as_bytes(), None)
        .await;
    let (mias, _) = create_case(server, &mia, &p.mia_t).await;
    let r = server
        .get(
            &format!("{}/log", case_path(&mia, &mias.id())),
            Some(&p.cleo_t),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    p.server.stop().await;
}

#[tokio::test]
async fn each_case_append_verifies_one_entry_and_a_restart_verifies_the_case_log_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let mut p = Practice::start(cfg.clone()).await;
    // The creation and Sam's addition: one entry each.
    assert_eq!(p.server.metrics.case_entries_verified(), 2);
    let before = p.server.metrics.case_entries_verified();
    let mut seq = 1;
    for _ in 0..30 {
        let rotated = p.case.rotate(&p.cleo, now()).unwrap();
        let r = publish(&p.server, &p.cleo, &p.case.id(), &p.cleo_t, seq, &rotated).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        seq += 1;
    }
    assert_eq!(p.server.metrics.case_entries_verified() - before, 30);
    assert_eq!(p.server.metrics.case_full_verifications(), 0);

    // Reads, by members and outsiders, verify nothing.
    let (case_before, ws_before) = (
        p.server.metrics.case_entries_verified(),
        p.server.metrics.entries_verified(),
    );
    p.write_records().await;
    let base = p.base();
    for token in [&p.cleo_t, &p.sam_t, &p.dan_t] {
        for suffix in ["/log", "/log?after=20", "/grants", "/records"] {
            p.server.get(&format!("{base}{suffix}"), Some(token)).await;
        }
        p.server
            .get(&format!("{}/cases", ws_path(&p.cleo)), Some(token))
            .await;
    }
    assert!(
        load_case(&p.server, &p.sam, &p.sam_t, &p.case.id())
            .await
            .is_ok()
    );
    assert_eq!(p.server.metrics.case_entries_verified(), case_before);
    assert_eq!(p.server.metrics.entries_verified(), ws_before);

    // A restart: the first append verifies the case log once (32 entries) and the new one,
    // and the workspace's log once (7 entries); the next, one entry.
    p.server.stop().await;
    p.server = Server::start(cfg).await;
    let rotated = p.case.rotate(&p.cleo, now()).unwrap();
    let r = publish(&p.server, &p.cleo, &p.case.id(), &p.cleo_t, seq, &rotated).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(p.server.metrics.case_full_verifications(), 1);
    assert_eq!(p.server.metrics.case_entries_verified(), 33);
    assert_eq!(p.server.metrics.full_verifications(), 1);
    assert_eq!(p.server.metrics.entries_verified(), 7);
    let rotated = p.case.rotate(&p.cleo, now()).unwrap();
    let r = publish(
        &p.server,
        &p.cleo,
        &p.case.id(),
        &p.cleo_t,
        seq + 1,
        &rotated,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(p.server.metrics.case_entries_verified(), 34);
    assert_eq!(p.server.metrics.case_full_verifications(), 1);
    p.server.stop().await;
}

#[tokio::test]
async fn forged_and_altered_case_entries_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Practice::start(config(dir.path()).await).await;
    let server = &p.server;
    let case_id = p.case.id();
    let scratch = || load_case(server, &p.cleo, &p.cleo_t, &case_id);
    let rotated = scratch().await.unwrap().rotate(&p.cleo, now()).unwrap();
    let before = server.metrics.case_entries_verified();

    // Its signature altered.
    let mut forged = rotated.log_entry.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let r = append(server, &p.cleo, &case_id, &p.cleo_t, 1, &forged, vec![]).await;
    assert_refused(&r, "bad_signature");
    // Its epoch raised by one (the signature no longer covers it).
    let mut forged = rotated.log_entry.clone();
    forged[120] ^= 1;
    let r = append(server, &p.cleo, &case_id, &p.cleo_t, 1, &forged, vec![]).await;
    assert_refused(&r, "bad_signature");
    // Cut short.
    let r = append(
        server,
        &p.cleo,
        &case_id,
        &p.cleo_t,
        1,
        &rotated.log_entry[..150],
        vec![],
    )
    .await;
    assert_refused(&r, "malformed");
    // Another case's entry, sent to this case.
    let (mut other, _) = create_case(server, &p.cleo, &p.cleo_t).await;
    let elsewhere = other.rotate(&p.cleo, now()).unwrap();
    let r = publish(server, &p.cleo, &case_id, &p.cleo_t, 1, &elsewhere).await;
    assert_refused(&r, "wrong_case");
    // Sam, a summary member, signs nothing on this case (his own case's entry, here).
    let (mut sams, _) = create_case(server, &p.sam, &p.sam_t).await;
    let by_sam = sams.rotate(&p.sam, now()).unwrap();
    let r = publish(server, &p.cleo, &case_id, &p.sam_t, 1, &by_sam).await;
    assert_refused(&r, "not_authorized");
    // An entry that names a workspace state the server's log does not have: Mia's view of
    // the workspace is ahead (an invite only she has), and her case's entry names it.
    let mut mia = server
        .load(&member(1), &p.mia_t, p.cleo.id().as_bytes(), None)
        .await;
    let (mut mias, _) = create_case(server, &mia, &p.mia_t).await;
    mia.create_invite(Role::Member, now(), WEEK).unwrap();
    let ahead = mias.rotate(&mia, now()).unwrap();
    let r = publish(server, &mia, &mias.id(), &p.mia_t, 0, &ahead).await;
    assert_refused(&r, "workspace_out_of_date");
    // Nothing was stored, and the refusals left the cached log as it was: one entry, once
    // each, and the next honest append verifies one more.
    assert_eq!(head_seq(&p).await, 1);
    assert_eq!(server.metrics.case_full_verifications(), 0);
    let verified = server.metrics.case_entries_verified() - before;
    let r = publish(server, &p.cleo, &case_id, &p.cleo_t, 1, &rotated).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        server.metrics.case_entries_verified() - before,
        verified + 1
    );
    assert_eq!(server.metrics.case_full_verifications(), 0);
    p.case = scratch().await.unwrap();
    assert_eq!(p.case.epoch(), 2);
    p.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_appends_on_one_head_one_wins_and_its_grants_alone_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let p = Practice::start(cfg.clone()).await;
    // With PostgreSQL, the second append goes through a second instance.
    let dir_b = tempfile::tempdir().unwrap();
    let second = if scaled() {
        let mut cfg_b = cfg.clone();
        cfg_b.data_dir = dir_b.path().to_path_buf();
        Some(std::sync::Arc::new(Server::start(cfg_b).await))
    } else {
        None
    };
    let a = std::sync::Arc::new(p.server);
    let b = second.clone().unwrap_or_else(|| a.clone());
    let case_id = p.case.id();
    let path = format!("{}/log", case_path(&p.cleo, &case_id));
    for round in 1..4u32 {
        let mut entries = Vec::new();
        for _ in 0..2 {
            let mut case = load_case(&a, &p.cleo, &p.cleo_t, &case_id).await.unwrap();
            let rotated = case.rotate(&p.cleo, now()).unwrap();
            entries.push(json!({
                "expectedSeq": round,
                "entry": b64(&rotated.log_entry),
                "grants": grants_json(&rotated),
            }));
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = entries
            .into_iter()
            .zip([a.clone(), b.clone()])
            .map(|(body, server)| {
                let (token, barrier, path) = (p.cleo_t.clone(), barrier.clone(), path.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let r = server.post(&path, Some(&token), body).await;
                    (
                        r.status,
                        if r.status.is_success() {
                            String::new()
                        } else {
                            r.code()
                        },
                    )
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        outcomes.sort();
        assert_eq!(
            outcomes,
            [
                (StatusCode::OK, String::new()),
                (StatusCode::CONFLICT, "head_moved".to_owned())
            ],
            "round {round}"
        );
    }
    // A stale expectedSeq.
    let mut case = load_case(&b, &p.cleo, &p.cleo_t, &case_id).await.unwrap();
    let rotated = case.rotate(&p.cleo, now()).unwrap();
    let r = publish(&b, &p.cleo, &case_id, &p.cleo_t, 2, &rotated).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "head_moved")
    );
    // Only the winners' grants are served: both members load the last epoch (a loser's
    // grant would fail the load with key_mismatch).
    for (ws, token) in [(&p.cleo, &p.cleo_t), (&p.sam, &p.sam_t)] {
        for server in [&a, &b] {
            let case = load_case(server, ws, token, &case_id).await.unwrap();
            assert_eq!(case.epoch(), 4);
        }
    }
    drop(b);
    if let Some(second) = second {
        std::sync::Arc::into_inner(second).unwrap().stop().await;
    }
    std::sync::Arc::into_inner(a).unwrap().stop().await;
}

#[tokio::test]
async fn grants_are_checked_before_they_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let p = Practice::start(config(dir.path()).await).await;
    let server = &p.server;
    let case_id = p.case.id();
    let (cleo_id, dan_id, sam_id) = (id(&member(2)), id(&member(3)), id(&member(4)));
    let mut scratch = load_case(server, &p.cleo, &p.cleo_t, &case_id)
        .await
        .unwrap();
    let add_dan = scratch.add(&p.cleo, &dan_id, Level::Full, now()).unwrap();
    let dans = add_dan
        .grants
        .iter()
        .find(|g| g.member_id == dan_id)
        .unwrap()
        .grant
        .clone();
    let (cleo, cleo_t) = (&p.cleo, &p.cleo_t);
    let refused = |grants: Vec<Value>| {
        let entry = add_dan.log_entry.clone();
        async move {
            let r = append(server, cleo, &case_id, cleo_t, 1, &entry, grants).await;
            (r.status, r.code(), r.json()["error"]["message"].clone())
        }
    };
    let grant = |to: &[u8; 32], body: &[u8]| json!({ "memberId": b64(to), "grant": b64(body) });

    // Filed under another member than its recipient; not a case grant at all.
    let (status, code, _) = refused(vec![grant(&sam_id, &dans)]).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    let (status, code, _) = refused(vec![grant(&dan_id, b"CFK\x01 not a grant")]).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // Another case's.
    let (_, created) = create_case(server, &p.cleo, &p.cleo_t).await;
    let (status, code, _) = refused(vec![grant(&cleo_id, &created.grants[0].grant)]).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_grant")
    );
    // Its signature altered.
    let mut forged = dans.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let (status, code, message) = refused(vec![grant(&dan_id, &forged)]).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_grant")
    );
    assert!(message.as_str().unwrap().ends_with("bad_signature"));
    // Sam's grant of epoch 1 at full level, relabelled: more than his level.
    let mut raised = p.grants[2].clone();
    assert_eq!(&raised[41..73], &sam_id[..]);
    raised[40] = 1;
    let (status, code, _) = refused(vec![grant(&sam_id, &raised)]).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant")
    );
    // Dan's grant of the new epoch, sent with a rotation (Dan is not on the case after it).
    let mut other = load_case(server, &p.cleo, &p.cleo_t, &case_id)
        .await
        .unwrap();
    let rotated = other.rotate(&p.cleo, now()).unwrap();
    let r = append(
        server,
        &p.cleo,
        &case_id,
        &p.cleo_t,
        1,
        &rotated.log_entry,
        vec![grant(&dan_id, &dans)],
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_grant"),
        "{:?}",
        r.body
    );
    // Sam's grant of epoch 1 sent with his removal: he was entitled to it, but is not on
    // the case after the entry.
    let mut other = load_case(server, &p.cleo, &p.cleo_t, &case_id)
        .await
        .unwrap();
    let removed = other.remove(&p.cleo, &sam_id, now()).unwrap();
    let r = append(
        server,
        &p.cleo,
        &case_id,
        &p.cleo_t,
        1,
        &removed.log_entry,
        vec![grant(&sam_id, &p.grants[2])],
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "not_a_member"),
        "{:?}",
        r.body
    );

    // Nothing of it was stored: Dan is not on the case, the head has not moved.
    assert_eq!(head_seq(&p).await, 1);
    let r = server
        .get(&format!("{}/grants", p.base()), Some(&p.dan_t))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The honest change goes in, and Dan loads the case.
    let r = publish(server, &p.cleo, &case_id, &p.cleo_t, 1, &add_dan).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let dan = load_case(server, &p.dan, &p.dan_t, &case_id).await.unwrap();
    assert_eq!((dan.level(), dan.epoch()), (Level::Full, 2));
    // Each member gets its own grants, oldest first.
    let grants_path = format!("{}/grants", p.base());
    let epochs = |token: String| {
        let path = grants_path.clone();
        async move {
            let r = server.get(&path, Some(&token)).await;
            byte_list(&r.json(), "grants")
                .iter()
                .map(|g| confide::CaseGrantHeader::parse(g).unwrap().epoch())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(epochs(p.cleo_t.clone()).await, [0, 1, 2]);
    assert_eq!(epochs(p.sam_t.clone()).await, [1, 2]);
    assert_eq!(epochs(p.dan_t.clone()).await, [2]);
    p.server.stop().await;
}

/// Where a test finds what the server stores.
#[derive(Clone, Copy)]
enum Store {
    Bulk,
    Keys,
}

/// A connection to the server's bulk database or key store, as configured.
async fn connect(cfg: &Config, store: Store) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = match store {
        Store::Bulk => cfg.database.clone(),
        Store::Keys => cfg.keys.clone().or_else(|| cfg.database.clone()),
    };
    let url = url.unwrap_or_else(|| {
        let file = match store {
            Store::Bulk => "confide.sqlite3",
            Store::Keys => "keys.sqlite3",
        };
        format!(
            "sqlite://{}?mode=rw",
            cfg.data_dir.join(file).to_str().unwrap()
        )
    });
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

/// `SELECT COUNT(*) FROM table WHERE case_id = $1`.
async fn rows_of(cfg: &Config, store: Store, table: &str, case: &CaseId) -> i64 {
    let pool = connect(cfg, store).await;
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table} WHERE case_id = $1"
    )))
    .bind(&case.as_bytes()[..])
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    n
}

/// The blob store's objects that hold a case's blobs now.
async fn case_objects(cfg: &Config, case: &CaseId) -> Vec<String> {
    let pool = connect(cfg, Store::Bulk).await;
    let objects: Vec<String> =
        sqlx::query_scalar("SELECT object FROM case_blobs WHERE case_id = $1")
            .bind(&case.as_bytes()[..])
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    objects
}

fn blob_store(cfg: &Config) -> confide_server::blobstore::BlobStore {
    confide_server::blobstore::BlobStore::open(
        cfg.blobs.as_deref(),
        &cfg.data_dir.join("blobs"),
        &cfg.blob_options,
    )
    .unwrap()
}

#[tokio::test]
async fn deleting_a_case_deletes_its_grants_records_and_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let mut p = Practice::start(cfg.clone()).await;
    let server = &p.server;
    let (base, case_id) = (p.base(), p.case.id());
    p.write_records().await;
    for blob in ["rec-1", "rec-2"] {
        let r = server
            .put_bytes(&format!("{base}/blobs/{blob}"), &p.cleo_t, vec![5; 20_000])
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // The workspace's own record and blob, which stay.
    let own = format!("{}/records/memo/body", ws_path(&p.cleo));
    let own_blob = format!("{}/blobs/memo", ws_path(&p.cleo));
    let memo = p.cleo.encrypt(b"practice hours", &NOTE, TEXT).unwrap();
    assert_eq!(
        server.put_bytes(&own, &p.cleo_t, memo.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        server
            .put_bytes(&own_blob, &p.cleo_t, vec![6; 3000])
            .await
            .status,
        StatusCode::CREATED
    );
    let objects = case_objects(&cfg, &case_id).await;
    assert_eq!(objects.len(), 2);
    let store = blob_store(&cfg);
    for object in &objects {
        assert!(store.exists(object).await.unwrap());
    }
    assert_eq!(rows_of(&cfg, Store::Keys, "case_grants", &case_id).await, 3);
    assert_eq!(
        rows_of(&cfg, Store::Bulk, "case_records", &case_id).await,
        2
    );
    let stale = load_case(server, &p.cleo, &p.cleo_t, &case_id)
        .await
        .unwrap();

    // Cleo deletes the case: one entry, and everything of it goes but the log.
    let tombstone = p.case.delete(&p.cleo, now()).unwrap();
    let r = append(server, &p.cleo, &case_id, &p.cleo_t, 1, &tombstone, vec![]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(rows_of(&cfg, Store::Keys, "case_grants", &case_id).await, 0);
    assert_eq!(
        rows_of(&cfg, Store::Bulk, "case_records", &case_id).await,
        0
    );
    assert_eq!(rows_of(&cfg, Store::Bulk, "case_blobs", &case_id).await, 0);
    for object in &objects {
        assert!(
            !store.exists(object).await.unwrap(),
            "a case blob's object stays"
        );
    }
    let pool = connect(&cfg, Store::Bulk).await;
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_objects")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    pool.close().await;

    // Its members see the tombstone, and nothing else.
    for (ws, token, level) in [(&p.cleo, &p.cleo_t, "full"), (&p.sam, &p.sam_t, "summary")] {
        let listed = server
            .get(&format!("{}/cases", ws_path(ws)), Some(token))
            .await
            .json();
        assert_eq!(listed["cases"][0]["deleted"], true);
        assert_eq!(listed["cases"][0]["level"], level);
        assert_eq!(listed["cases"][0]["head"]["seq"], 2);
        let log = server.get(&format!("{base}/log"), Some(token)).await.json();
        let entries = byte_list(&log, "entries");
        assert_eq!(
            CaseEntry::parse(&entries[2]).unwrap().change(),
            CaseEntryChange::Delete
        );
        let grants = server.get(&format!("{base}/grants"), Some(token)).await;
        assert_eq!(grants.json()["grants"], json!([]));
        assert_eq!(
            code(load_case(server, ws, token, &case_id).await),
            "case_deleted"
        );
        for suffix in [
            "/records",
            "/blobs",
            "/records/session-1/summary",
            "/blobs/rec-1",
        ] {
            let r = server.get(&format!("{base}{suffix}"), Some(token)).await;
            assert_eq!(
                (r.status, r.code().as_str()),
                (StatusCode::GONE, "case_deleted"),
                "{suffix}"
            );
        }
    }
    let r = server
        .put_bytes(
            &format!("{base}/records/session-2/notes"),
            &p.cleo_t,
            memo.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    // Nothing follows a tombstone.
    let mut stale = stale;
    let after = stale.rotate(&p.cleo, now()).unwrap();
    let r = publish(server, &p.cleo, &case_id, &p.cleo_t, 2, &after).await;
    assert_refused(&r, "case_deleted");
    // The workspace's own record and blob are untouched.
    assert_eq!(
        server.get(&own, Some(&p.cleo_t)).await.body.as_ref(),
        &memo[..]
    );
    assert_eq!(server.get(&own_blob, Some(&p.sam_t)).await.body.len(), 3000);
    p.server.stop().await;
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

/// The files under `dir` that hold a piece of any of `grants`: 32 bytes of its sealed keys,
/// or of its X-Wing encapsulation (FORMAT.md#case-grant). Either is needed to open it.
fn files_with_grants(dir: &std::path::Path, grants: &[Vec<u8>]) -> Vec<std::path::PathBuf> {
    let needles: Vec<&[u8]> = grants
        .iter()
        .flat_map(|g| [&g[105..137], &g[1225..1257], &g[g.len() - 96..g.len() - 64]])
        .collect();
    files_under(dir)
        .into_iter()
        .filter(|(_, bytes)| {
            needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == *n))
        })
        .map(|(path, _)| path)
        .collect()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Copies the files of `from` whose names start with `prefix` (a SQLite file, its WAL).
fn copy_files(from: &std::path::Path, to: &std::path::Path, prefix: &str) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with(prefix) {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

fn remove_files(dir: &std::path::Path, prefix: &str) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with(prefix) {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
}

/// A copy of the bulk data as a backup takes it: the SQLite file and the blob folder, or
/// (PostgreSQL and S3) the database and every object of the bucket. Returns the settings
/// that restore it, with the key store as `cfg` has it.
async fn back_up(cfg: &Config, backup: &std::path::Path) -> Config {
    let mut restored = cfg.clone();
    if let Some(db) = &cfg.database {
        let admin = std::env::var("CONFIDE_TEST_PG").unwrap();
        let (base, name) = db.rsplit_once('/').unwrap();
        let copy = format!("{name}_backup");
        let mut conn = <sqlx::postgres::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .unwrap();
        // The server's connections may take a moment to be gone.
        let mut tries = 0;
        while let Err(e) = sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {copy} TEMPLATE {name}")),
        )
        .await
        {
            tries += 1;
            assert!(tries < 50, "{e}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        restored.database = Some(format!("{base}/{copy}"));
    } else {
        copy_files(&cfg.data_dir, backup, "confide.sqlite3");
    }
    match &cfg.blobs {
        Some(url) => {
            use futures_util::TryStreamExt;
            use object_store::{ObjectStore, ObjectStoreExt};
            let endpoint = std::env::var("CONFIDE_TEST_S3").unwrap();
            let bucket = fresh_bucket(&endpoint).await;
            let _ = rustls::crypto::ring::default_provider().install_default();
            let store = |bucket: &str| {
                let mut b = object_store::aws::AmazonS3Builder::new().with_bucket_name(bucket);
                for (k, v) in &cfg.blob_options {
                    b = b.with_config(k.parse().unwrap(), v);
                }
                b.build().unwrap()
            };
            let (from, to) = (store(url.trim_start_matches("s3://")), store(&bucket));
            let objects: Vec<_> = from.list(None).try_collect().await.unwrap();
            for meta in objects {
                let bytes = from
                    .get(&meta.location)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                to.put(&meta.location, bytes.into()).await.unwrap();
            }
            restored.blobs = Some(format!("s3://{bucket}"));
        }
        None => copy_dir(&cfg.data_dir.join("blobs"), &backup.join("blobs")),
    }
    restored
}

/// Puts a SQLite backup back in place of the current bulk data (not the key store).
fn restore(cfg: &Config, backup: &std::path::Path) {
    if cfg.database.is_some() {
        return;
    }
    remove_files(&cfg.data_dir, "confide.sqlite3");
    if cfg.blobs.is_none() {
        std::fs::remove_dir_all(cfg.data_dir.join("blobs")).unwrap();
    }
    copy_dir(backup, &cfg.data_dir);
}

#[tokio::test]
async fn a_bulk_backup_restored_after_the_deletion_opens_for_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path()).await;
    // With PostgreSQL, the key store is a database of its own (as the README says to run
    // it): otherwise a backup of the one database holds the grants too.
    if let Ok(pg) = std::env::var("CONFIDE_TEST_PG") {
        cfg.keys = Some(fresh_database(&pg).await);
    }
    let mut p = Practice::start(cfg.clone()).await;
    let (base, case_id) = (p.base(), p.case.id());
    let (note, _) = p.write_records().await;
    let r = p
        .server
        .put_bytes(&format!("{base}/blobs/rec-1"), &p.cleo_t, vec![5; 20_000])
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let grants = p.grants.clone();
    assert_eq!(grants.len(), 3);
    // The search finds them where they are now: in the key store, and nowhere else.
    p.server.stop().await;
    if cfg.keys.is_none() {
        let holders = files_with_grants(dir.path(), &grants);
        assert!(!holders.is_empty());
        assert!(
            holders.iter().all(|f| f
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("keys.sqlite3")),
            "{holders:?}"
        );
    }

    // A backup of the bulk data (and, SQLite, of the key store, for the end), then the
    // deletion.
    let restored = back_up(&cfg, backup.path()).await;
    let old_keys = tempfile::tempdir().unwrap();
    let after = tempfile::tempdir().unwrap();
    let sqlite = cfg.database.is_none();
    if sqlite {
        copy_files(dir.path(), old_keys.path(), "keys.sqlite3");
    }
    p.server = Server::start(cfg.clone()).await;
    let tombstone = p.case.delete(&p.cleo, now()).unwrap();
    let r = append(
        &p.server,
        &p.cleo,
        &case_id,
        &p.cleo_t,
        1,
        &tombstone,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    p.server.stop().await;
    if sqlite {
        copy_files(dir.path(), after.path(), "confide.sqlite3");
        copy_dir(&dir.path().join("blobs"), &after.path().join("blobs"));
    }

    // The backup restored beside the current key store: the case is back, undeleted, with
    // its records, and no grant: no member can load it, and nothing the server holds opens
    // its records.
    restore(&cfg, backup.path());
    let server = Server::start(restored.clone()).await;
    let (cleo_t, sam_t) = (
        server.login(&member(2)).await,
        server.login(&member(4)).await,
    );
    let listed = server
        .get(&format!("{}/cases", ws_path(&p.cleo)), Some(&cleo_t))
        .await
        .json();
    assert_eq!(listed["cases"][0]["deleted"], false);
    let log = server
        .get(&format!("{base}/log"), Some(&cleo_t))
        .await
        .json();
    assert_eq!(byte_list(&log, "entries").len(), 2);
    for (ws, token) in [(&p.cleo, &cleo_t), (&p.sam, &sam_t)] {
        let r = server.get(&format!("{base}/grants"), Some(token)).await;
        assert_eq!(r.json()["grants"], json!([]));
        assert_eq!(
            code(load_case(&server, ws, token, &case_id).await),
            "missing_grant"
        );
    }
    let fetched = server
        .get(&format!("{base}/records/session-1/notes"), Some(&cleo_t))
        .await;
    assert_eq!(fetched.body.as_ref(), &note[..]);
    assert_eq!(code(p.cleo.decrypt(&fetched.body, &NOTE)), "wrong_case");
    let blob = server
        .get(&format!("{base}/blobs/rec-1"), Some(&cleo_t))
        .await;
    assert_eq!(blob.body.len(), 20_000);
    server.stop().await;

    // No grant of the case remains anywhere in the server's files (SQLite: its data
    // directory, bulk and key store), or in the key store's database (PostgreSQL, where the
    // bulk database has no grants table at all).
    assert_eq!(
        rows_of(&restored, Store::Keys, "case_grants", &case_id).await,
        0
    );
    if restored.database.is_none() {
        assert_eq!(
            files_with_grants(dir.path(), &grants),
            Vec::<std::path::PathBuf>::new()
        );
        assert_eq!(
            files_with_grants(backup.path(), &grants),
            Vec::<std::path::PathBuf>::new()
        );
    } else {
        let pool = connect(&restored, Store::Bulk).await;
        let table: Option<String> =
            sqlx::query_scalar("SELECT CAST(to_regclass('case_grants') AS TEXT)")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(table, None);
        pool.close().await;
    }

    // SQLite: the other way round, a key store restored from before the deletion beside
    // the bulk data that has the tombstone. The next start deletes those grants again.
    if sqlite {
        restore(&cfg, after.path());
        remove_files(dir.path(), "keys.sqlite3");
        copy_files(old_keys.path(), dir.path(), "keys.sqlite3");
        assert!(!files_with_grants(dir.path(), &grants).is_empty());
        let server = Server::start(cfg.clone()).await;
        let cleo_t = server.login(&member(2)).await;
        let r = server.get(&format!("{base}/grants"), Some(&cleo_t)).await;
        assert_eq!(r.json()["grants"], json!([]));
        assert_eq!(
            code(load_case(&server, &p.cleo, &cleo_t, &case_id).await),
            "case_deleted"
        );
        server.stop().await;
        assert_eq!(rows_of(&cfg, Store::Keys, "case_grants", &case_id).await, 0);
        assert_eq!(
            files_with_grants(dir.path(), &grants),
            Vec::<std::path::PathBuf>::new()
        );
    }
}

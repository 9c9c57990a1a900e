//! Record integrity on the server (server/README.md#record-integrity): a record's revisions,
//! sign-offs and the case's audit trail, stored as the next of their chains only, served
//! back so that clients verify them, refused with their codes when they name another
//! record, follow a stale head or were signed by someone else, and deleted with the case.
//!
//! The practice of tests/cases.rs: Mia the manager (admin, on no case), Cleo and Dan,
//! clinicians on Cleo's client's case at full level, and Sam, a supervisor at summary level.
//! Everything is built with the core crate and goes through the server's routes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
mod common;

use axum::http::StatusCode;
use common::*;
use confide::integrity::{AuditAction, AuditEvent, AuditTrail, Revision};
use confide::{
    Case, CaseChange, CaseId, CaseLoadInput, ContentType, EncryptOptions, Level, RecordContext,
    Workspace, WriteOptions, Written,
};
use confide_server::Config;
use serde_json::{Value, json};

const NOTE: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "notes",
};
const TEXT: EncryptOptions = EncryptOptions {
    content_type: ContentType::Text,
    pad: true,
};

struct Practice {
    server: Server,
    mia_t: String,
    cleo: Workspace,
    cleo_t: String,
    dan: Workspace,
    dan_t: String,
    sam: Workspace,
    sam_t: String,
    /// Cleo's view of the case.
    case: Case,
}

fn case_path(ws: &Workspace, case: &CaseId) -> String {
    format!("{}/cases/{}", ws_path(ws), b64(case.as_bytes()))
}

fn grants_json(change: &CaseChange) -> Vec<Value> {
    change
        .grants
        .iter()
        .map(|g| json!({ "memberId": b64(&g.member_id), "grant": b64(&g.grant) }))
        .collect()
}

fn byte_list(v: &Value, key: &str) -> Vec<Vec<u8>> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|e| unb64(e.as_str().unwrap()))
        .collect()
}

fn slices(list: &[Vec<u8>]) -> Vec<&[u8]> {
    list.iter().map(Vec::as_slice).collect()
}

async fn create_case(server: &Server, ws: &Workspace, token: &str) -> Case {
    let (case, created) = Case::create(ws, now(), 0).unwrap();
    let r = server
        .post(
            &format!("{}/cases", ws_path(ws)),
            Some(token),
            json!({ "entry": b64(&created.log_entry), "grants": grants_json(&created) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    case
}

async fn publish(
    server: &Server,
    ws: &Workspace,
    case: &CaseId,
    token: &str,
    expected: u32,
    entry: &[u8],
    grants: Vec<Value>,
) {
    let r = server
        .post(
            &format!("{}/log", case_path(ws, case)),
            Some(token),
            json!({ "expectedSeq": expected, "entry": b64(entry), "grants": grants }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Loads the case as the member of `ws` from what the server returns, as a client does.
async fn load_case(server: &Server, ws: &Workspace, token: &str, case: &CaseId) -> Case {
    let base = case_path(ws, case);
    let log = byte_list(
        &server.get(&format!("{base}/log"), Some(token)).await.json(),
        "entries",
    );
    let grants = byte_list(
        &server
            .get(&format!("{base}/grants"), Some(token))
            .await
            .json(),
        "grants",
    );
    Case::load(
        ws,
        &CaseLoadInput {
            log: &slices(&log),
            grants: &slices(&grants),
            pinned_head: None,
        },
    )
    .unwrap()
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
        let mut case = create_case(&server, &cleo, &cleo_t).await;
        for (expected, (n, level)) in [(3, Level::Full), (4, Level::Summary)]
            .into_iter()
            .enumerate()
        {
            let added = case.add(&cleo, &id(&member(n)), level, now()).unwrap();
            let seq = u32::try_from(expected).unwrap();
            let case_id = case.id();
            publish(
                &server,
                &cleo,
                &case_id,
                &cleo_t,
                seq,
                &added.log_entry,
                grants_json(&added),
            )
            .await;
        }
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
        }
    }

    fn base(&self) -> String {
        case_path(&self.cleo, &self.case.id())
    }

    fn revisions(&self, ctx: &RecordContext<'_>) -> String {
        format!("{}/revisions/{}/{}", self.base(), ctx.record_id, ctx.field)
    }

    fn sign_offs(&self, ctx: &RecordContext<'_>) -> String {
        format!("{}/signoffs/{}/{}", self.base(), ctx.record_id, ctx.field)
    }

    fn audit(&self) -> String {
        format!("{}/audit", self.base())
    }

    async fn post_revision(
        &self,
        path: &str,
        token: &str,
        revision: &[u8],
        record: Option<&[u8]>,
    ) -> Response {
        let mut body = json!({ "revision": b64(revision) });
        if let Some(record) = record {
            body["record"] = json!(b64(record));
        }
        self.server.post(path, Some(token), body).await
    }

    async fn post_sign_off(&self, token: &str, sign_off: &[u8]) -> Response {
        self.server
            .post(
                &self.sign_offs(&NOTE),
                Some(token),
                json!({ "signOff": b64(sign_off) }),
            )
            .await
    }

    async fn append_audit(&self, token: &str, expected: u32, entry: &[u8]) -> Response {
        self.server
            .post(
                &self.audit(),
                Some(token),
                json!({ "entry": b64(entry), "expectedSeq": expected }),
            )
            .await
    }

    /// The stored revisions of `NOTE`, as a client fetches them.
    async fn stored_revisions(&self, token: &str, after: Option<u32>) -> Vec<Vec<u8>> {
        let query = after.map_or(String::new(), |n| format!("?after={n}"));
        let r = self
            .server
            .get(&format!("{}{query}", self.revisions(&NOTE)), Some(token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        byte_list(&r.json(), "revisions")
    }

    async fn stored_audit(&self, token: &str, after: Option<u32>) -> Vec<Vec<u8>> {
        let query = after.map_or(String::new(), |n| format!("?after={n}"));
        let r = self
            .server
            .get(&format!("{}{query}", self.audit()), Some(token))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        byte_list(&r.json(), "entries")
    }
}

fn write(
    case: &Case,
    ws: &Workspace,
    text: &[u8],
    ctx: &RecordContext<'_>,
    previous: Option<&Revision>,
) -> Written {
    case.write(
        ws,
        text,
        ctx,
        &WriteOptions {
            encrypt: TEXT,
            level: Level::Full,
            previous,
            now: now(),
        },
    )
    .unwrap()
}

fn event(action: AuditAction, revision: &Revision) -> AuditEvent {
    AuditEvent {
        action,
        record_id: NOTE.record_id.to_owned(),
        field: NOTE.field.to_owned(),
        revision_number: revision.number(),
        revision_hash: revision.hash(),
        note: String::new(),
    }
}

fn assert_error(r: &Response, status: StatusCode, code: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
}

#[tokio::test]
async fn revisions_sign_offs_and_the_audit_trail_round_trip_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let p = Practice::start(config(dir.path()).await).await;
    let path = p.revisions(&NOTE);
    assert_eq!(
        p.stored_revisions(&p.sam_t, None).await,
        Vec::<Vec<u8>>::new()
    );

    // Cleo writes the note; Dan, the other full member, revises it; Cleo deletes it.
    let first = write(&p.case, &p.cleo, b"First session.", &NOTE, None);
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision, Some(&first.record))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json(), json!({ "number": 1 }));
    let dans = load_case(&p.server, &p.dan, &p.dan_t, &p.case.id()).await;
    let rev1 = Revision::parse(&p.stored_revisions(&p.dan_t, None).await[0]).unwrap();
    let second = write(
        &dans,
        &p.dan,
        b"First session, amended.",
        &NOTE,
        Some(&rev1),
    );
    let r = p
        .post_revision(&path, &p.dan_t, &second.revision, Some(&second.record))
        .await;
    assert_eq!(r.json(), json!({ "number": 2 }));
    let rev2 = Revision::parse(&second.revision).unwrap();
    let tombstone = p.case.delete_record(&p.cleo, &NOTE, &rev2, now()).unwrap();
    let r = p.post_revision(&path, &p.cleo_t, &tombstone, None).await;
    assert_eq!(r.json(), json!({ "number": 3 }));

    // The case lists the record with its latest number, to every member.
    let r = p
        .server
        .get(&format!("{}/revisions", p.base()), Some(&p.sam_t))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let listed = r.json()["records"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["recordId"], json!(NOTE.record_id));
    assert_eq!(listed[0]["field"], json!(NOTE.field));
    assert_eq!(listed[0]["number"], json!(3));
    assert!(listed[0]["updatedAt"].as_i64().unwrap() > 0);

    // Every member reads them back, oldest first, and from a number on.
    let stored = p.stored_revisions(&p.sam_t, None).await;
    assert_eq!(
        stored,
        [
            first.revision.clone(),
            second.revision.clone(),
            tombstone.clone()
        ]
    );
    assert_eq!(
        p.stored_revisions(&p.cleo_t, Some(1)).await,
        [second.revision.clone(), tombstone.clone()]
    );
    assert_eq!(
        p.stored_revisions(&p.cleo_t, Some(3)).await,
        Vec::<Vec<u8>>::new()
    );
    for (number, record) in [(1, &first.record), (2, &second.record)] {
        let r = p
            .server
            .get(&format!("{path}/{number}"), Some(&p.sam_t))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("content-type"), "application/octet-stream");
        assert_eq!(r.body.as_ref(), &record[..]);
    }
    for number in ["3", "4", "0", "x"] {
        let r = p
            .server
            .get(&format!("{path}/{number}"), Some(&p.cleo_t))
            .await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }

    // What the server serves verifies: the history ends in Cleo's deletion, and Dan's
    // revision opens against its record.
    let opened = p
        .case
        .open_history(&p.cleo, &NOTE, &slices(&stored), None, None, None)
        .unwrap();
    assert_eq!(opened.revisions.len(), 3);
    assert!(opened.latest.is_none(), "the latest revision is a deletion");
    let served = p.server.get(&format!("{path}/2"), Some(&p.cleo_t)).await;
    let (_, text) = p
        .case
        .open_revision(&opened.revisions[1], &served.body, &NOTE)
        .unwrap();
    assert_eq!(&text[..], b"First session, amended.");

    // Sam, at summary level, signs off Dan's revision; the same sign-off again stores nothing.
    let sams = load_case(&p.server, &p.sam, &p.sam_t, &p.case.id()).await;
    let sign_off = sams.sign_off(&p.sam, &rev2, now()).unwrap();
    for _ in 0..2 {
        let r = p.post_sign_off(&p.sam_t, &sign_off).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.json(), json!({}));
    }
    let cleos_sign_off = p.case.sign_off(&p.cleo, &rev1, now()).unwrap();
    assert_eq!(
        p.post_sign_off(&p.cleo_t, &cleos_sign_off).await.status,
        StatusCode::OK
    );
    let r = p.server.get(&p.sign_offs(&NOTE), Some(&p.dan_t)).await;
    let listed = byte_list(&r.json(), "signOffs");
    assert_eq!(
        listed,
        [sign_off.clone(), cleos_sign_off.clone()],
        "in the order stored"
    );
    let verified = p
        .case
        .verify_sign_off(&p.cleo, &listed[0], &opened.revisions[1])
        .unwrap();
    assert_eq!(verified.signer_id, id(&member(4)));

    // The audit trail: Cleo records the creation; Sam, from the trail the server serves,
    // records his sign-off; Dan reads all of it, and what follows an entry.
    let mut trail = AuditTrail::new();
    let created = p
        .case
        .append_audit(
            &p.cleo,
            &mut trail,
            &event(AuditAction::Create, &rev1),
            now(),
        )
        .unwrap();
    let r = p.append_audit(&p.cleo_t, 0, &created).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.json(), json!({ "seq": 0 }));
    let served = p.stored_audit(&p.sam_t, None).await;
    let mut sams_trail = sams.verify_audit(&p.sam, &slices(&served), None).unwrap();
    let signed = sams
        .append_audit(
            &p.sam,
            &mut sams_trail,
            &event(AuditAction::SignOff, &rev2),
            now(),
        )
        .unwrap();
    let r = p.append_audit(&p.sam_t, 1, &signed).await;
    assert_eq!(r.json(), json!({ "seq": 1 }));
    let all = p.stored_audit(&p.dan_t, None).await;
    assert_eq!(all, [created.clone(), signed.clone()]);
    assert_eq!(p.stored_audit(&p.dan_t, Some(0)).await, [signed]);
    assert_eq!(
        p.stored_audit(&p.dan_t, Some(1)).await,
        Vec::<Vec<u8>>::new()
    );
    let dans_trail = dans.verify_audit(&p.dan, &slices(&all), None).unwrap();
    assert_eq!(dans_trail.records().len(), 2);
    assert_eq!(
        dans_trail.records()[1].event.as_ref().unwrap().action,
        AuditAction::SignOff
    );
    p.server.stop().await;
}

#[tokio::test]
async fn integrity_routes_refuse_outsiders_other_records_stale_heads_and_other_authors() {
    let dir = tempfile::tempdir().unwrap();
    let p = Practice::start(config(dir.path()).await).await;
    let path = p.revisions(&NOTE);
    let first = write(&p.case, &p.cleo, b"First session.", &NOTE, None);
    let rev1 = Revision::parse(&first.revision).unwrap();

    // Mia, in the workspace but not on the case, and Eve, in neither: 404 everywhere.
    let eve_t = p.server.login(&member(9)).await;
    for token in [&p.mia_t, &eve_t] {
        for get in [
            format!("{}/revisions", p.base()),
            path.clone(),
            format!("{path}/1"),
            p.sign_offs(&NOTE),
            p.audit(),
        ] {
            let r = p.server.get(&get, Some(token)).await;
            assert_error(&r, StatusCode::NOT_FOUND, "not_found");
        }
        let r = p
            .post_revision(&path, token, &first.revision, Some(&first.record))
            .await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
    // Sam, at summary level, writes no revision.
    let r = p
        .post_revision(&path, &p.sam_t, &first.revision, Some(&first.record))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    // Dan may write, but not Cleo's revision.
    let r = p
        .post_revision(&path, &p.dan_t, &first.revision, Some(&first.record))
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");

    // A revision is stored under its own record, field and case only.
    let other_field = format!("{}/revisions/session-1/summary", p.base());
    let other_record = format!("{}/revisions/session-2/notes", p.base());
    for elsewhere in [&other_field, &other_record] {
        let r = p
            .post_revision(elsewhere, &p.cleo_t, &first.revision, Some(&first.record))
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST, "invalid_record");
    }
    let other = create_case(&p.server, &p.cleo, &p.cleo_t).await;
    let theirs = write(&other, &p.cleo, b"Another client.", &NOTE, None);
    let r = p
        .post_revision(&path, &p.cleo_t, &theirs.revision, Some(&theirs.record))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_record");
    // Its record: the one it signs, and none for a tombstone.
    let again = write(&p.case, &p.cleo, b"First session.", &NOTE, None);
    for record in [Some(&again.record[..]), Some(&theirs.record[..]), None] {
        let r = p
            .post_revision(&path, &p.cleo_t, &first.revision, record)
            .await;
        assert_error(&r, StatusCode::BAD_REQUEST, "invalid_record");
    }
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision[1..], Some(&first.record))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_record");
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision, Some(&first.record))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let tombstone = p.case.delete_record(&p.cleo, &NOTE, &rev1, now()).unwrap();
    let r = p
        .post_revision(&path, &p.cleo_t, &tombstone, Some(&first.record))
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_record");

    // Only the next revision of the stored ones: not another first one, not one built on a
    // revision the server never stored, not one that skips a number.
    let fork1 = Revision::parse(&again.revision).unwrap();
    let fork2 = write(&p.case, &p.cleo, b"Forked.", &NOTE, Some(&fork1));
    let rev2 = write(&p.case, &p.cleo, b"Second.", &NOTE, Some(&rev1));
    let rev3 = write(
        &p.case,
        &p.cleo,
        b"Third.",
        &NOTE,
        Some(&Revision::parse(&rev2.revision).unwrap()),
    );
    for stale in [&again, &fork2, &rev3] {
        let r = p
            .post_revision(&path, &p.cleo_t, &stale.revision, Some(&stale.record))
            .await;
        assert_error(&r, StatusCode::CONFLICT, "head_moved");
    }
    assert_eq!(
        p.stored_revisions(&p.cleo_t, None).await,
        std::slice::from_ref(&first.revision)
    );

    // A sign-off of a revision the server does not store, or posted by another member.
    let sams = load_case(&p.server, &p.sam, &p.sam_t, &p.case.id()).await;
    let unstored = sams
        .sign_off(&p.sam, &Revision::parse(&fork2.revision).unwrap(), now())
        .unwrap();
    let r = p.post_sign_off(&p.sam_t, &unstored).await;
    assert_error(&r, StatusCode::CONFLICT, "signoff_mismatch");
    let sign_off = sams.sign_off(&p.sam, &rev1, now()).unwrap();
    let r = p.post_sign_off(&p.cleo_t, &sign_off).await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = p.post_sign_off(&p.sam_t, &sign_off[..183]).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_sign_off");
    let theirs_off = other
        .sign_off(&p.cleo, &Revision::parse(&theirs.revision).unwrap(), now())
        .unwrap();
    let r = p.post_sign_off(&p.cleo_t, &theirs_off).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "invalid_sign_off");
    let r = p.post_sign_off(&p.sam_t, &sign_off).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The audit trail: the next entry only, by its author.
    let mut trail = AuditTrail::new();
    let mut fork = AuditTrail::new();
    let entry0 = p
        .case
        .append_audit(
            &p.cleo,
            &mut trail,
            &event(AuditAction::Create, &rev1),
            now(),
        )
        .unwrap();
    let fork0 = p
        .case
        .append_audit(&p.cleo, &mut fork, &event(AuditAction::Edit, &rev1), now())
        .unwrap();
    let fork1_entry = p
        .case
        .append_audit(
            &p.cleo,
            &mut fork,
            &event(AuditAction::Delete, &rev1),
            now(),
        )
        .unwrap();
    let entry1 = p
        .case
        .append_audit(
            &p.cleo,
            &mut trail,
            &event(AuditAction::SignOff, &rev1),
            now(),
        )
        .unwrap();
    let r = p.append_audit(&p.dan_t, 0, &entry0).await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = p.append_audit(&p.cleo_t, 0, &entry0[..100]).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry");
    // Seq 1 on an empty trail, and an entry whose seq is not expectedSeq.
    let r = p.append_audit(&p.cleo_t, 1, &entry1).await;
    assert_error(&r, StatusCode::CONFLICT, "head_moved");
    let r = p.append_audit(&p.cleo_t, 1, &entry0).await;
    assert_error(&r, StatusCode::CONFLICT, "head_moved");
    assert_eq!(
        p.append_audit(&p.cleo_t, 0, &entry0).await.status,
        StatusCode::OK
    );
    // Another seq 0, and a seq 1 whose previous hash is not the stored entry's.
    let r = p.append_audit(&p.cleo_t, 0, &fork0).await;
    assert_error(&r, StatusCode::CONFLICT, "head_moved");
    let r = p.append_audit(&p.cleo_t, 1, &fork1_entry).await;
    assert_error(&r, StatusCode::CONFLICT, "head_moved");
    assert_eq!(
        p.append_audit(&p.cleo_t, 1, &entry1).await.status,
        StatusCode::OK
    );
    assert_eq!(
        p.stored_audit(&p.sam_t, None).await,
        [entry0.clone(), entry1.clone()]
    );
    p.server.stop().await;
}

/// A connection to the server's bulk database, as configured.
async fn connect(cfg: &Config) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = cfg.database.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rw",
            cfg.data_dir.join("confide.sqlite3").to_str().unwrap()
        )
    });
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap()
}

/// The case's rows in each integrity table, and the workspace's record bytes.
async fn stored(cfg: &Config, ws: &Workspace, case: &CaseId) -> ([i64; 3], i64) {
    let pool = connect(cfg).await;
    let mut rows = [0; 3];
    for (n, table) in ["case_revisions", "case_sign_offs", "case_audit_entries"]
        .into_iter()
        .enumerate()
    {
        rows[n] = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE case_id = $1"
        )))
        .bind(&case.as_bytes()[..])
        .fetch_one(&pool)
        .await
        .unwrap();
    }
    let bytes: i64 = sqlx::query_scalar("SELECT record_bytes FROM workspaces WHERE id = $1")
        .bind(&ws.id().as_bytes()[..])
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    (rows, bytes)
}

#[tokio::test]
async fn deleting_a_case_deletes_its_revisions_sign_offs_and_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path()).await;
    let mut p = Practice::start(cfg.clone()).await;
    let case_id = p.case.id();
    let path = p.revisions(&NOTE);
    let (_, before) = stored(&cfg, &p.cleo, &case_id).await;

    let first = write(&p.case, &p.cleo, b"First session.", &NOTE, None);
    let rev1 = Revision::parse(&first.revision).unwrap();
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision, Some(&first.record))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let sign_off = p.case.sign_off(&p.cleo, &rev1, now()).unwrap();
    assert_eq!(
        p.post_sign_off(&p.cleo_t, &sign_off).await.status,
        StatusCode::OK
    );
    let entry = p
        .case
        .append_audit(
            &p.cleo,
            &mut AuditTrail::new(),
            &event(AuditAction::Create, &rev1),
            now(),
        )
        .unwrap();
    assert_eq!(
        p.append_audit(&p.cleo_t, 0, &entry).await.status,
        StatusCode::OK
    );
    let (rows, bytes) = stored(&cfg, &p.cleo, &case_id).await;
    assert_eq!(rows, [1, 1, 1]);
    let size = first.revision.len() + first.record.len() + sign_off.len() + entry.len();
    assert_eq!(
        bytes - before,
        i64::try_from(size).unwrap(),
        "counted as record bytes"
    );

    // Cleo deletes the case: its integrity goes with its records, and its bytes are freed.
    let tombstone = p.case.delete(&p.cleo, now()).unwrap();
    publish(
        &p.server,
        &p.cleo,
        &case_id,
        &p.cleo_t,
        2,
        &tombstone,
        vec![],
    )
    .await;
    assert_eq!(stored(&cfg, &p.cleo, &case_id).await, ([0, 0, 0], before));
    for token in [&p.cleo_t, &p.sam_t] {
        for get in [
            path.clone(),
            format!("{path}/1"),
            p.sign_offs(&NOTE),
            p.audit(),
        ] {
            let r = p.server.get(&get, Some(token)).await;
            assert_error(&r, StatusCode::GONE, "case_deleted");
        }
    }
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision, Some(&first.record))
        .await;
    assert_error(&r, StatusCode::GONE, "case_deleted");
    let r = p.post_sign_off(&p.sam_t, &sign_off).await;
    assert_error(&r, StatusCode::GONE, "case_deleted");
    let r = p.append_audit(&p.cleo_t, 0, &entry).await;
    assert_error(&r, StatusCode::GONE, "case_deleted");
    p.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_two_revisions_and_two_audit_entries_on_one_head_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let p = Practice::start(config(dir.path()).await).await;
    let path = p.revisions(&NOTE);
    let first = write(&p.case, &p.cleo, b"First session.", &NOTE, None);
    let rev1 = Revision::parse(&first.revision).unwrap();
    let r = p
        .post_revision(&path, &p.cleo_t, &first.revision, Some(&first.record))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let dans = load_case(&p.server, &p.dan, &p.dan_t, &p.case.id()).await;
    let cleos = write(&p.case, &p.cleo, b"Cleo's edit.", &NOTE, Some(&rev1));
    let dan_edit = write(&dans, &p.dan, b"Dan's edit.", &NOTE, Some(&rev1));
    let (a, b) = tokio::join!(
        p.post_revision(&path, &p.cleo_t, &cleos.revision, Some(&cleos.record)),
        p.post_revision(&path, &p.dan_t, &dan_edit.revision, Some(&dan_edit.record)),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let stored = p.stored_revisions(&p.sam_t, None).await;
    assert_eq!(stored.len(), 2);
    let winner = if a.status == StatusCode::OK {
        &cleos
    } else {
        &dan_edit
    };
    assert_eq!(stored[1], winner.revision);

    let event = event(AuditAction::Create, &rev1);
    let cleo_entry = p
        .case
        .append_audit(&p.cleo, &mut AuditTrail::new(), &event, now())
        .unwrap();
    let dan_entry = dans
        .append_audit(&p.dan, &mut AuditTrail::new(), &event, now())
        .unwrap();
    let (a, b) = tokio::join!(
        p.append_audit(&p.cleo_t, 0, &cleo_entry),
        p.append_audit(&p.dan_t, 0, &dan_entry),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    assert_eq!(p.stored_audit(&p.sam_t, None).await.len(), 1);
    p.server.stop().await;
}

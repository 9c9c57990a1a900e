//! Runs every file in tests/vectors/ (docs/FORMAT.md#test-vectors) through the core.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use confide::integrity::{AuditHead, Revision, RevisionKind, RevisionPin};
use confide::{
    Acceptance, Case, CaseHead, CaseLoadInput, DecryptError, ErrorCode, Head, InviteLink, Level,
    LoadInput, MemberPublicBundle, MemberSecretKey, MemberSeed, RecordContext, RecordDecryptor,
    Role, Workspace,
};

fn parse(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap_or((l.trim_end_matches(':'), ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn hex(v: &HashMap<String, String>, key: &str) -> Vec<u8> {
    hex::decode(v.get(key).unwrap_or_else(|| panic!("missing {key}"))).expect("hex")
}

fn member(v: &HashMap<String, String>) -> MemberSecretKey {
    let seed: [u8; 32] = hex(v, "member seed").try_into().expect("32-byte seed");
    MemberSecretKey::derive(MemberSeed::from_bytes(seed))
}

fn list(v: &HashMap<String, String>, key: &str) -> Vec<Vec<u8>> {
    v.get(key)
        .map(|s| {
            s.split_whitespace()
                .map(|h| hex::decode(h).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Full => "full",
        Level::Summary => "summary",
    }
}

/// A `case` vector (FORMAT.md#cases): the workspace loads pinned at its head, then the case;
/// a record, if given, opens with the case.
fn run_case(v: &HashMap<String, String>) -> String {
    let (log, grants) = (list(v, "workspace log"), list(v, "workspace grants"));
    let log: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
    let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
    let input = LoadInput {
        log: &log,
        grants: &grants,
        history: &[],
        pinned_head: Some(Head::from_base64url(&v["workspace head"]).unwrap()),
        invite: None,
    };
    let ws = Workspace::load(member(v), &input).expect("the vector's workspace loads");
    if v["kind"] == "blind index" {
        return run_blind_index(&ws, v);
    }
    let (case_log, case_grants) = (list(v, "case log"), list(v, "case grants"));
    let case_log: Vec<&[u8]> = case_log.iter().map(Vec::as_slice).collect();
    let case_grants: Vec<&[u8]> = case_grants.iter().map(Vec::as_slice).collect();
    let pinned_head = match v
        .get("case pinned head")
        .map(|h| CaseHead::from_base64url(h))
    {
        Some(Err(e)) => return e.code().to_string(),
        Some(Ok(h)) => Some(h),
        None => None,
    };
    let case = match Case::load(
        &ws,
        &CaseLoadInput {
            log: &case_log,
            grants: &case_grants,
            pinned_head,
        },
    ) {
        Err(e) => return e.code().to_string(),
        Ok(case) => case,
    };
    if let Some(head) = v.get("case head") {
        assert_eq!(&case.head().to_base64url(), head);
        assert_eq!(case.epoch().to_string(), v["case epoch"]);
        assert_eq!(level_name(case.level()), v["level"]);
        let members: Vec<String> = case
            .log()
            .members()
            .map(|(id, level)| format!("{}:{}", hex::encode(id), level_name(level)))
            .collect();
        assert_eq!(members.join(" "), v["case members"]);
        let held: Vec<String> = case.held_epochs().map(|e| e.to_string()).collect();
        assert_eq!(held.join(" "), v["held epochs"]);
        #[cfg(feature = "hazmat")]
        for epoch in case.held_epochs() {
            for level in [Level::Full, Level::Summary] {
                let key = case.hazmat_key(epoch, level).map(hex::encode);
                let name = format!("case key {epoch} {}", level_name(level));
                assert_eq!(key.as_ref(), v.get(&name), "{name}");
            }
        }
    }
    match v["kind"].as_str() {
        "revision" => return run_revision(&ws, &case, v),
        "sign-off" => return run_sign_off(&ws, &case, v),
        "audit" => return run_audit(&ws, &case, v),
        _ => {}
    }
    let Some(record) = v.get("record") else {
        return "success".into();
    };
    let ctx = RecordContext {
        record_id: &v["record id"],
        field: &v["field"],
    };
    let record = hex::decode(record).unwrap();
    let one_shot = match case.decrypt(&record, &ctx) {
        Err(e) => e.code().to_string(),
        Ok((_, plaintext)) => {
            assert_eq!(plaintext.to_vec(), hex(v, "plaintext"));
            "success".into()
        }
    };
    // The stream decryptor must agree (FORMAT.md#streaming).
    let mut dec = RecordDecryptor::new(&ctx).unwrap();
    let streamed = dec
        .push(&case, &record)
        .and_then(|mut p| {
            p.extend_from_slice(&dec.finish()?);
            Ok(p)
        })
        .map_or_else(|e| e.code().to_string(), |_| "success".to_string());
    assert_eq!(streamed, one_shot, "streamed outcome differs");
    one_shot
}

/// A `revision` vector (FORMAT.md#verifying-a-history): the history, with the pin if any,
/// verified and its latest revision opened.
fn run_revision(ws: &Workspace, case: &Case, v: &HashMap<String, String>) -> String {
    let revisions = list(v, "revisions");
    let revisions: Vec<&[u8]> = revisions.iter().map(Vec::as_slice).collect();
    let record = v.get("record").map(|r| hex::decode(r).unwrap());
    let ctx = RecordContext {
        record_id: &v["record id"],
        field: &v["field"],
    };
    let pin = match v.get("pin").map(|p| RevisionPin::from_base64url(p)) {
        Some(Err(e)) => return e.code().to_string(),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    match case.open_history(ws, &ctx, &revisions, record.as_deref(), pin.as_ref(), None) {
        Err(e) => e.code().to_string(),
        Ok(opened) => {
            let latest = opened.revisions.last().unwrap();
            let kind = match latest.kind() {
                RevisionKind::Write => "write",
                _ => "delete",
            };
            assert_eq!(kind, v["revision kind"]);
            assert_eq!(latest.number().to_string(), v["revision number"]);
            assert_eq!(hex::encode(latest.author_id()), v["author"]);
            assert_eq!(latest.time().to_string(), v["time"]);
            assert_eq!(opened.pin.to_base64url(), v["new pin"]);
            let plaintext = opened.latest.map(|(_, p)| hex::encode(&*p));
            assert_eq!(plaintext.as_ref(), v.get("plaintext"));
            "success".into()
        }
    }
}

/// A `sign-off` vector (FORMAT.md#sign-off): the sign-off verified against the revision.
fn run_sign_off(ws: &Workspace, case: &Case, v: &HashMap<String, String>) -> String {
    let revision = match Revision::parse(&hex(v, "revision")) {
        Err(e) => return e.code().to_string(),
        Ok(r) => r,
    };
    match case.verify_sign_off(ws, &hex(v, "sign-off"), &revision) {
        Err(e) => e.code().to_string(),
        Ok(s) => {
            assert_eq!(hex::encode(s.signer_id), v["signer"]);
            assert_eq!(s.time.to_string(), v["time"]);
            assert_eq!(s.revision_number.to_string(), v["revision number"]);
            "success".into()
        }
    }
}

/// An `audit` vector (FORMAT.md#verifying-an-audit-trail): the entries verified and read.
fn run_audit(ws: &Workspace, case: &Case, v: &HashMap<String, String>) -> String {
    let entries = list(v, "audit entries");
    let entries: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    let pin = match v.get("audit pin").map(|p| AuditHead::from_base64url(p)) {
        Some(Err(e)) => return e.code().to_string(),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    match case.verify_audit(ws, &entries, pin.as_ref()) {
        Err(e) => e.code().to_string(),
        Ok(trail) => {
            assert_eq!(trail.head().unwrap().to_base64url(), v["audit head"]);
            let records = trail.records();
            let actions: Vec<&str> = records
                .iter()
                .map(|r| match (&r.event, r.unreadable) {
                    (Some(e), _) => e.action.name(),
                    (None, true) => "unreadable",
                    (None, false) => "sealed",
                })
                .collect();
            assert_eq!(actions.join(" "), v["audit actions"]);
            let authors: Vec<String> = records.iter().map(|r| hex::encode(r.author_id)).collect();
            assert_eq!(authors.join(" "), v["audit authors"]);
            let numbers: Vec<String> = records
                .iter()
                .map(|r| {
                    r.event
                        .as_ref()
                        .map_or("-".to_string(), |e| e.revision_number.to_string())
                })
                .collect();
            assert_eq!(numbers.join(" "), v["audit revisions"]);
            "success".into()
        }
    }
}

/// A `blind index` vector (FORMAT.md#blind-index).
fn run_blind_index(ws: &Workspace, v: &HashMap<String, String>) -> String {
    let epoch: u32 = v["epoch"].parse().unwrap();
    match ws.blind_index(&v["text"], epoch) {
        Err(e) => e.code().to_string(),
        Ok(index) => {
            assert_eq!(hex::encode(index), v["blind index"]);
            "success".into()
        }
    }
}

fn stream_decrypt(
    ws: &Workspace,
    record: &[u8],
    ctx: &RecordContext<'_>,
) -> Result<Vec<u8>, DecryptError> {
    let mut dec = RecordDecryptor::new(ctx)?;
    let mut out = Vec::new();
    for piece in record.chunks(1009) {
        out.extend_from_slice(&dec.push(ws, piece)?);
    }
    out.extend_from_slice(&dec.finish()?);
    Ok(out)
}

/// Runs one vector; returns "success" or the error code.
fn run(v: &HashMap<String, String>) -> String {
    match v["kind"].as_str() {
        "bundle" => match MemberPublicBundle::from_bytes(&hex(v, "bundle")) {
            Err(e) => e.code().to_string(),
            Ok(bundle) => {
                assert_eq!(
                    bundle.as_bytes(),
                    member(v).public_bundle().as_bytes(),
                    "bundle derives from the seed"
                );
                assert_eq!(bundle.fingerprint().to_digits(), v["fingerprint"]);
                assert_eq!(bundle.fingerprint().id().to_vec(), hex(v, "fingerprint id"));
                "success".into()
            }
        },
        "grant" => {
            match Workspace::open_grant(member(v), &hex(v, "grant"), &hex(v, "granter bundle")) {
                Err(e) => e.code().to_string(),
                Ok(ws) => {
                    assert_eq!(ws.id().as_bytes().to_vec(), hex(v, "workspace id"));
                    assert_eq!(ws.epoch().to_string(), v["epoch"]);
                    "success".into()
                }
            }
        }
        "record" => {
            let ws = Workspace::open_grant(member(v), &hex(v, "grant"), &hex(v, "granter bundle"))
                .expect("vector grant opens");
            let ctx = RecordContext {
                record_id: &v["record id"],
                field: &v["field"],
            };
            let one_shot = match ws.decrypt(&hex(v, "record"), &ctx) {
                Err(e) => e.code().to_string(),
                Ok((_, plaintext)) => {
                    assert_eq!(plaintext.to_vec(), hex(v, "plaintext"));
                    "success".to_string()
                }
            };
            // The stream decryptor (FORMAT.md#streaming) must agree, pushed in odd-sized pieces.
            match stream_decrypt(&ws, &hex(v, "record"), &ctx) {
                Err(e) => assert_eq!(e.code(), one_shot, "streamed outcome differs"),
                Ok(plaintext) => {
                    assert_eq!(one_shot, "success", "streaming accepted a bad record");
                    assert_eq!(plaintext, hex(v, "plaintext"));
                }
            }
            one_shot
        }
        "workspace" => {
            let list = |key: &str| -> Vec<Vec<u8>> {
                v.get(key)
                    .map(|s| {
                        s.split_whitespace()
                            .map(|h| hex::decode(h).unwrap())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (log, grants, history) = (list("log"), list("grants"), list("history"));
            let log: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
            let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
            let history: Vec<&[u8]> = history.iter().map(Vec::as_slice).collect();
            let invite = v.get("invite link").map(|l| InviteLink::parse(l).unwrap());
            let input = LoadInput {
                log: &log,
                grants: &grants,
                history: &history,
                pinned_head: v
                    .get("pinned head")
                    .map(|h| Head::from_base64url(h).unwrap()),
                invite: invite.as_ref(),
            };
            match Workspace::load(member(v), &input) {
                Err(e) => e.code().to_string(),
                Ok(ws) => {
                    assert_eq!(ws.head().unwrap().to_base64url(), v["head"]);
                    assert_eq!(ws.epoch().to_string(), v["epoch"]);
                    let members: Vec<String> = ws
                        .membership()
                        .unwrap()
                        .members()
                        .map(|m| {
                            let role = if m.role() == Role::Admin {
                                "admin"
                            } else {
                                "member"
                            };
                            format!("{}:{role}", hex::encode(m.id()))
                        })
                        .collect();
                    assert_eq!(members.join(" "), v["members"]);
                    // The keys themselves only with `--features hazmat` (make test-rust).
                    #[cfg(feature = "hazmat")]
                    for epoch in 0..=ws.epoch() {
                        let key = ws.hazmat_content_key(epoch).expect("every epoch key");
                        assert_eq!(key.to_vec(), hex(v, &format!("content key {epoch}")));
                    }
                    "success".into()
                }
            }
        }
        "invite" => match InviteLink::parse(&v["invite link"]) {
            Err(e) => e.code().to_string(),
            Ok(link) => {
                assert_eq!(
                    link.workspace_id().as_bytes().to_vec(),
                    hex(v, "workspace id")
                );
                assert_eq!(link.inviter_id().to_vec(), hex(v, "inviter id"));
                assert_eq!(link.invite_id().to_vec(), hex(v, "invite id"));
                // FORMAT.md#invite-secret, computed here from the formulas alone.
                let hkdf = |ikm: &[u8], salt: &[u8], info: &[u8]| {
                    let mut out = [0u8; 32];
                    hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), ikm)
                        .expand(info, &mut out)
                        .unwrap();
                    out
                };
                let root = hkdf(
                    &hex(v, "inviter seed"),
                    &[],
                    b"confide/v1/member/invite-root",
                );
                let mut info = b"confide/v1/invite-secret\x00".to_vec();
                info.extend_from_slice(&hex(v, "invite nonce"));
                let secret = hkdf(&root, &hex(v, "workspace id"), &info);
                assert_eq!(secret.to_vec(), hex(v, "invite secret"));
                let invite_id = hkdf(&secret, &hex(v, "workspace id"), b"confide/v1/invite-id");
                assert_eq!(invite_id.to_vec(), hex(v, "invite id"));
                let invitee = MemberSecretKey::derive(MemberSeed::from_bytes(
                    hex(v, "invitee seed").try_into().unwrap(),
                ));
                assert_eq!(link.accept(&invitee), hex(v, "acceptance"));
                let acceptance = Acceptance::parse(&hex(v, "acceptance")).unwrap();
                assert_eq!(acceptance.invite_id().to_vec(), hex(v, "invite id"));
                "success".into()
            }
        },
        "backup" => match confide::identity::backup::import(&hex(v, "backup"), &v["passphrase"]) {
            Err(e) => e.code().to_string(),
            Ok(member) => {
                assert_eq!(
                    member.seed().expose_secret().to_vec(),
                    hex(v, "member seed")
                );
                "success".into()
            }
        },
        "recovery kit" => match confide::identity::recovery_kit::decode(&v["kit"]) {
            Err(e) => e.code().to_string(),
            Ok(seed) => {
                assert_eq!(seed.expose_secret().to_vec(), hex(v, "member seed"));
                // A kit as written (upper case, single spaces) is exactly what its seed encodes to.
                let canonical = v["kit"].len() == 65
                    && v["kit"].chars().enumerate().all(|(i, c)| {
                        if i % 6 == 5 {
                            c == ' '
                        } else {
                            "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)
                        }
                    });
                if canonical {
                    assert_eq!(*confide::identity::recovery_kit::encode(&seed), v["kit"]);
                }
                "success".into()
            }
        },
        "case" | "revision" | "sign-off" | "audit" | "blind index" => run_case(v),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn all_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    // The generated vectors, and the frozen records of version 1 (tests/vectors/v1), which
    // must keep opening (FORMAT.md#versioning).
    let mut names: Vec<_> = [dir.clone(), dir.join("v1")]
        .iter()
        .flat_map(|d| fs::read_dir(d).expect("tests/vectors"))
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut count = 0;
    for path in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        let v = parse(&fs::read_to_string(path).expect("read"));
        assert_eq!(run(&v), v["expect"], "{}", path.display());
        count += 1;
    }
    // Every kind and outcome is present; an empty or shrunken folder must fail.
    assert!(count >= 30, "only {count} vectors");
    for required in [
        "record_note.txt",
        "v1/record_note.txt",
        "v1/record_multi_chunk.txt",
        "record_multi_chunk.txt",
        "grant.txt",
        "bundle.txt",
        "workspace_log.txt",
        "invite.txt",
        "case.txt",
        "case_summary.txt",
        "revision.txt",
        "sign_off.txt",
        "audit.txt",
        "blind_index.txt",
        "backup.txt",
        "kit.txt",
    ] {
        assert!(dir.join(required).exists(), "{required} missing");
    }
}

//! FORMAT.md#cases: one practice's case, loaded by its full and its summary member, and the
//! ways a server can tamper with it.

use std::path::Path;

use confide::rng::seeded_rng;
use confide::{
    Case, CaseChange, ContentType, EncryptOptions, InviteLink, Level, LoadInput, MemberSecretKey,
    MemberSeed, RecordContext, Role, Workspace,
};

use crate::{T0, Vector, flip, hexes};

/// Mia runs the roster; Cleo is the clinician, Sam her supervisor, Dan another clinician.
pub(crate) const MIA: u8 = 40;
pub(crate) const CLEO: u8 = 41;
pub(crate) const SAM: u8 = 42;
pub(crate) const DAN: u8 = 43;

fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n; 32]))
}

pub(crate) fn id(n: u8) -> [u8; 32] {
    member(n).fingerprint().id()
}

/// What a server holds for one case: its log, and each grant with its recipient.
#[derive(Clone, Default)]
pub(crate) struct CaseStore {
    pub(crate) log: Vec<Vec<u8>>,
    grants: Vec<([u8; 32], Vec<u8>)>,
}

impl CaseStore {
    pub(crate) fn publish(&mut self, change: CaseChange) {
        self.log.push(change.log_entry);
        self.grants
            .extend(change.grants.into_iter().map(|g| (g.member_id, g.grant)));
    }

    pub(crate) fn grants_of(&self, n: u8) -> Vec<Vec<u8>> {
        self.grants
            .iter()
            .filter(|(to, _)| *to == id(n))
            .map(|(_, g)| g.clone())
            .collect()
    }
}

/// The workspace as member `n` loads it: the whole log, its own grants, pinned at `head`.
pub(crate) struct WorkspaceView {
    log: Vec<Vec<u8>>,
    grants: Vec<([u8; 32], Vec<u8>)>,
    head: String,
}

impl WorkspaceView {
    pub(crate) fn load(&self, n: u8) -> Workspace {
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = self
            .grants
            .iter()
            .filter(|(to, _)| *to == id(n))
            .map(|(_, g)| g.as_slice())
            .collect();
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &[],
            pinned_head: Some(confide::Head::from_base64url(&self.head).expect("head")),
            invite: None,
        };
        Workspace::load(member(n), &input).expect("workspace loads")
    }

    /// A vector loading `store` as member `n` against this workspace.
    pub(crate) fn vector(
        &self,
        name: &'static str,
        expect: &str,
        comment: &str,
        n: u8,
        store: &CaseStore,
    ) -> Vector {
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let ws_grants: Vec<&[u8]> = self
            .grants
            .iter()
            .filter(|(to, _)| *to == id(n))
            .map(|(_, g)| g.as_slice())
            .collect();
        let case_log: Vec<&[u8]> = store.log.iter().map(Vec::as_slice).collect();
        let case_grants = store.grants_of(n);
        let case_grants: Vec<&[u8]> = case_grants.iter().map(Vec::as_slice).collect();
        Vector::new(name, expect, "case", comment)
            .hex("member seed", &[n; 32])
            .with("workspace log", hexes(&log))
            .with("workspace grants", hexes(&ws_grants))
            .with("workspace head", self.head.as_str())
            .with("case log", hexes(&case_log))
            .with("case grants", hexes(&case_grants))
    }
}

/// The expected state of a case that loads: head, epoch, level, members, and (checked with
/// the hazmat feature) every key the loader holds.
fn with_state(v: Vector, case: &Case) -> Vector {
    let members = case
        .log()
        .members()
        .map(|(m, level)| format!("{}:{}", hex::encode(m), level_name(level)))
        .collect::<Vec<_>>()
        .join(" ");
    let mut v = v
        .with("case head", case.head().to_base64url())
        .with("case epoch", case.epoch().to_string())
        .with("level", level_name(case.level()))
        .with("case members", members);
    let epochs: Vec<u32> = case.held_epochs().collect();
    v = v.with(
        "held epochs",
        epochs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    );
    for epoch in epochs {
        for level in [Level::Full, Level::Summary] {
            if let Some(key) = case.hazmat_key(epoch, level) {
                v = v.hex(&format!("case key {epoch} {}", level_name(level)), &key);
            }
        }
    }
    v
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Full => "full",
        Level::Summary => "summary",
    }
}

fn with_record(v: Vector, record: &[u8], ctx: &RecordContext<'_>, plaintext: &[u8]) -> Vector {
    v.hex("record", record)
        .with("record id", ctx.record_id)
        .with("field", ctx.field)
        .hex("plaintext", plaintext)
}

pub fn case_vectors(dir: &Path) {
    // The workspace: Mia creates it and admits Cleo, Sam and Dan as members.
    let mut mia =
        Workspace::create_with_rng(member(MIA), T0, &mut seeded_rng([50; 32])).expect("create");
    let mut grants = vec![(
        id(MIA),
        mia.grant_with_rng(
            member(MIA).public_bundle().as_bytes(),
            &mut seeded_rng([57; 32]),
        )
        .expect("own grant"),
    )];
    for (i, n) in [CLEO, SAM, DAN].into_iter().enumerate() {
        let i = u8::try_from(i).expect("three");
        let invite = mia
            .create_invite_with_rng(Role::Member, T0 + 10, 3600, &mut seeded_rng([51 + i; 32]))
            .expect("invite");
        let link = InviteLink::parse(&invite.link.to_fragment()).expect("link");
        let admission = mia
            .admit_with_rng(
                &link.accept(&member(n)),
                T0 + 20,
                &mut seeded_rng([54 + i; 32]),
            )
            .expect("admit");
        grants.push((admission.member_id, admission.grant));
    }
    let log = |ws: &Workspace| -> Vec<Vec<u8>> {
        ws.membership()
            .expect("log")
            .entries()
            .map(<[u8]>::to_vec)
            .collect()
    };
    let view = WorkspaceView {
        log: log(&mia),
        grants: grants.clone(),
        head: mia.head().expect("head").to_base64url(),
    };
    let cleo = view.load(CLEO);

    // Cleo's case: created, Sam added at summary level, a note and a summary written.
    let mut store = CaseStore::default();
    let (mut case, created) =
        Case::create_with_rng(&cleo, T0 + 100, 0, &mut seeded_rng([60; 32])).expect("case");
    store.publish(created);
    let added = case
        .add_with_rng(
            &cleo,
            &id(SAM),
            Level::Summary,
            T0 + 110,
            &mut seeded_rng([61; 32]),
        )
        .expect("add sam");
    store.publish(added);
    let note_ctx = RecordContext {
        record_id: "note-7",
        field: "body",
    };
    let summary_ctx = RecordContext {
        record_id: "note-7",
        field: "summary",
    };
    let note_text = b"Client described a panic attack on the bus; practised grounding.";
    let summary_text = b"50 min; K.L.; active";
    let text = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let note = case
        .encrypt_with_rng(
            &cleo,
            note_text,
            &note_ctx,
            text,
            Level::Full,
            &mut seeded_rng([62; 32]),
        )
        .expect("note");
    let summary = case
        .encrypt_with_rng(
            &cleo,
            summary_text,
            &summary_ctx,
            text,
            Level::Summary,
            &mut seeded_rng([63; 32]),
        )
        .expect("summary");
    let sam = view.load(SAM);
    let sam_case = {
        let log: Vec<&[u8]> = store.log.iter().map(Vec::as_slice).collect();
        let g = store.grants_of(SAM);
        let g: Vec<&[u8]> = g.iter().map(Vec::as_slice).collect();
        Case::load(
            &sam,
            &confide::CaseLoadInput {
                log: &log,
                grants: &g,
                pinned_head: None,
            },
        )
        .expect("sam loads")
    };

    with_record(
        with_state(
            view.vector(
                "case",
                "success",
                "Cleo creates a case and adds Sam at summary level; Cleo loads it and opens her full-level note",
                CLEO,
                &store,
            ),
            &case,
        ),
        &note,
        &note_ctx,
        note_text,
    )
    .write(dir);
    with_record(
        with_state(
            view.vector(
                "case_summary",
                "success",
                "Sam, at summary level, loads the case and opens a summary-level record",
                SAM,
                &store,
            ),
            &sam_case,
        ),
        &summary,
        &summary_ctx,
        summary_text,
    )
    .write(dir);
    with_record(
        view.vector(
            "case_record_level_too_low",
            "level_too_low",
            "Sam, at summary level, is given the full-level note",
            SAM,
            &store,
        ),
        &note,
        &note_ctx,
        b"",
    )
    .write(dir);
    let mut lowered = note.clone();
    lowered[5] |= 0x02;
    with_record(
        view.vector(
            "case_record_level_lowered",
            "decryption_failed",
            "the full-level note relabelled as summary level (flags bit 1 set): Sam's summary key does not open it",
            SAM,
            &store,
        ),
        &lowered,
        &note_ctx,
        b"",
    )
    .write(dir);
    with_record(
        view.vector(
            "case_record_wrong_case",
            "wrong_case",
            "the note's case id altered in its first byte",
            CLEO,
            &store,
        ),
        &flip(&note, 6),
        &note_ctx,
        b"",
    )
    .write(dir);
    let mut as_v2 = note.clone();
    as_v2[3] = 2;
    with_record(
        view.vector(
            "case_record_as_workspace_record",
            "wrong_case",
            "the note's version byte set to 0x02: a workspace record is not one of the case's",
            CLEO,
            &store,
        ),
        &as_v2,
        &note_ctx,
        b"",
    )
    .write(dir);

    // The log and grants, tampered with.
    let tampered = |f: &dyn Fn(&mut CaseStore)| {
        let mut s = store.clone();
        f(&mut s);
        s
    };
    view.vector(
        "case_not_a_member",
        "not_a_member",
        "Dan, a member of the workspace but not of the case, loads it",
        DAN,
        &store,
    )
    .write(dir);
    view.vector(
        "case_roster_admin_not_a_member",
        "not_a_member",
        "Mia, who runs the workspace's roster, is on no case and gets no case key",
        MIA,
        &store,
    )
    .write(dir);
    view.vector(
        "case_bad_signature",
        "bad_signature",
        "Sam's level byte in the add entry raised from summary (0x02) to full (0x01)",
        CLEO,
        &tampered(&|s| s.log[1][117 + 32] = 1),
    )
    .write(dir);
    view.vector(
        "case_broken_chain",
        "broken_chain",
        "the create entry served twice",
        CLEO,
        &tampered(&|s| s.log[1] = s.log[0].clone()),
    )
    .write(dir);
    view.vector(
        "case_malformed_entry",
        "malformed",
        "the add entry cut to 180 bytes",
        CLEO,
        &tampered(&|s| s.log[1].truncate(180)),
    )
    .write(dir);
    view.vector(
        "case_unsupported_version",
        "unsupported_version",
        "the create entry's version byte set to 0x02",
        CLEO,
        &tampered(&|s| s.log[0][3] = 2),
    )
    .write(dir);
    view.vector(
        "case_missing_grant",
        "missing_grant",
        "Sam's grant of the current epoch withheld",
        SAM,
        &tampered(&|s| s.grants.retain(|(to, _)| *to != id(SAM))),
    )
    .write(dir);
    view.vector(
        "case_grant_not_for_this_member",
        "not_for_this_member",
        "Cleo's epoch-1 grant served to Sam as his",
        SAM,
        &tampered(&|s| {
            let cleo_grant = s.grants_of(CLEO)[1].clone();
            s.grants.push((id(SAM), cleo_grant));
        }),
    )
    .write(dir);

    // Built from FORMAT.md alone: an entry signed by a summary member, a grant of a wrong key.
    let ws_seq = u32::try_from(view.log.len() - 1).expect("seq");
    let mut raise = id(SAM).to_vec();
    raise.push(1);
    raise.extend_from_slice(&2u32.to_be_bytes());
    raise.extend_from_slice(&[0; 64]);
    view.vector(
        "case_not_authorized",
        "not_authorized",
        "Sam, at summary level, signs a set-level entry raising himself to full: only full members change a case",
        CLEO,
        &tampered(&|s| {
            let entry = forge_entry(SAM, s, ws_seq, 4, &raise);
            s.log.push(entry);
        }),
    )
    .write(dir);
    let mut header = b"CFK\x01".to_vec();
    header.extend_from_slice(&store.log[0][4..36]);
    header.extend_from_slice(&1u32.to_be_bytes());
    header.push(2);
    header.extend_from_slice(&id(SAM));
    header.extend_from_slice(&id(CLEO));
    let wrong_key = forge_grant(CLEO, SAM, header, &[0x5a; 32]);
    view.vector(
        "case_key_mismatch",
        "key_mismatch",
        "a grant to Sam, signed by Cleo, of a summary key that is not the one the log's key checks commit to",
        SAM,
        &tampered(&|s| {
            s.grants.retain(|(to, _)| *to != id(SAM));
            s.grants.push((id(SAM), wrong_key.clone()));
        }),
    )
    .write(dir);

    // Dan's own case: its grant served for Cleo's case, and its head pinned for it.
    let dan = view.load(DAN);
    let (mut dan_case, dan_created) =
        Case::create_with_rng(&dan, T0 + 120, 0, &mut seeded_rng([64; 32])).expect("dan's case");
    let mut dan_store = CaseStore::default();
    dan_store.publish(dan_created);
    dan_store.publish(
        dan_case
            .add_with_rng(
                &dan,
                &id(CLEO),
                Level::Full,
                T0 + 121,
                &mut seeded_rng([65; 32]),
            )
            .expect("add cleo"),
    );
    view.vector(
        "case_grant_wrong_case",
        "wrong_case",
        "a grant of another case, addressed to Cleo, served with this case's log",
        CLEO,
        &tampered(&|s| {
            s.grants
                .push((id(CLEO), dan_store.grants_of(CLEO)[0].clone()))
        }),
    )
    .write(dir);
    view.vector(
        "case_pinned_head_of_another_case",
        "wrong_case",
        "Cleo pinned the head of another case",
        CLEO,
        &store,
    )
    .with("case pinned head", dan_case.head().to_base64url())
    .write(dir);

    // Cleo moves the case on; a server that replays or forks it to her fails.
    {
        let rotated = case
            .rotate_with_rng(&cleo, T0 + 130, &mut seeded_rng([66; 32]))
            .expect("rotate");
        let mut s = store.clone();
        s.publish(rotated);
        let head = case.head().to_base64url();
        view.vector(
            "case_rollback",
            "rollback_detected",
            "the rotate entry withheld from Cleo, who saw it",
            CLEO,
            &store,
        )
        .with("case pinned head", head.as_str())
        .write(dir);
        // The last two characters carry the hash's final byte: a different, canonical head.
        let mut forked = head[..head.len() - 2].to_string();
        forked.push_str(if head.ends_with("AA") { "AQ" } else { "AA" });
        view.vector(
            "case_fork",
            "fork_detected",
            "Cleo pinned a head whose hash differs from the log's at the same seq",
            CLEO,
            &s,
        )
        .with("case pinned head", forked)
        .write(dir);
        store = s;
    }

    // The workspace moves on (Dan removed); a case entry written under the newer workspace
    // state reaches a reader still on the older log.
    let old_view = WorkspaceView {
        log: view.log.clone(),
        grants: view.grants.clone(),
        head: view.head.clone(),
    };
    let removal = mia
        .remove_with_rng(&id(DAN), T0 + 200, &mut seeded_rng([67; 32]))
        .expect("remove dan");
    let mut new_grants = grants.clone();
    new_grants.extend(
        removal
            .grants
            .iter()
            .map(|g| (g.member_id, g.grant.clone())),
    );
    let new_view = WorkspaceView {
        log: log(&mia),
        grants: new_grants,
        head: mia.head().expect("head").to_base64url(),
    };
    let cleo_now = new_view.load(CLEO);
    let mut later = store.clone();
    later.publish(
        case.set_retention(&cleo_now, T0 + 86_400 * 365 * 7, T0 + 210)
            .map(|log_entry| CaseChange {
                log_entry,
                grants: Vec::new(),
            })
            .expect("retention"),
    );
    old_view
        .vector(
            "case_workspace_out_of_date",
            "workspace_out_of_date",
            "a case entry names a membership log entry (Dan's removal) that the loader's workspace log does not have",
            CLEO,
            &later,
        )
        .write(dir);
    with_state(
        new_view.vector(
            "case_retention",
            "success",
            "the case with a seven-year retention date, loaded on the newer workspace log",
            CLEO,
            &later,
        ),
        &case,
    )
    .write(dir);

    // Deleted: the tombstone loads for no one.
    let (mut short, short_created) =
        Case::create_with_rng(&cleo_now, T0 + 300, 0, &mut seeded_rng([68; 32]))
            .expect("short case");
    let mut short_store = CaseStore::default();
    short_store.publish(short_created);
    short_store.publish(CaseChange {
        log_entry: short.delete(&cleo_now, T0 + 301).expect("delete"),
        grants: Vec::new(),
    });
    new_view
        .vector(
            "case_deleted",
            "case_deleted",
            "a case whose last entry is a delete entry",
            CLEO,
            &short_store,
        )
        .write(dir);

    crate::integrity::integrity_vectors(dir, &view);
}

fn hkdf32(seed: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(&[]), seed)
        .expand(info, &mut out)
        .expect("32 bytes");
    out
}

/// Member `n`'s Ed25519 key (FORMAT.md#member-keys).
pub(crate) fn signing_key(n: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&hkdf32(&[n; 32], b"confide/v1/member/ed25519"))
}

/// A case entry after `store`'s last (FORMAT.md#case-log-entry), signed by member `n`.
fn forge_entry(n: u8, store: &CaseStore, ws_seq: u32, kind: u8, body: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer as _;
    use sha2::Digest as _;
    let mut e = b"CFC\x01".to_vec();
    e.extend_from_slice(&store.log[0][4..36]);
    e.extend_from_slice(&u32::try_from(store.log.len()).expect("seq").to_be_bytes());
    let last = store.log.last().expect("a log");
    e.extend_from_slice(
        &sha2::Sha256::new()
            .chain_update(b"confide/v1/case-entry-hash\x00")
            .chain_update(last)
            .finalize(),
    );
    e.extend_from_slice(&id(n));
    e.extend_from_slice(&ws_seq.to_be_bytes());
    e.extend_from_slice(&(T0 + 150).to_be_bytes());
    e.push(kind);
    e.extend_from_slice(body);
    let mut signed = b"confide/v1/case-entry\x00".to_vec();
    signed.extend_from_slice(&e);
    e.extend_from_slice(&signing_key(n).sign(&signed).to_bytes());
    e
}

/// A case grant (FORMAT.md#case-grant) of `keys` under `header`, sealed to member `to` and
/// signed by member `from`.
fn forge_grant(from: u8, to: u8, header: Vec<u8>, keys: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer as _;
    use hpke::{Deserializable as _, Serializable as _};
    let mut info = b"confide/v1/case-grant\x00".to_vec();
    info.extend_from_slice(&header[4..41]);
    info.extend_from_slice(&id(to));
    let bundle = member(to).public_bundle().as_bytes().to_vec();
    let pk = <hpke::kem::XWing as hpke::Kem>::PublicKey::from_bytes(&bundle[36..1252])
        .expect("x-wing key");
    let (enc, sealed) = hpke::single_shot_seal_with_rng::<
        hpke::aead::AesGcm256,
        hpke::kdf::HkdfSha256,
        hpke::kem::XWing,
    >(
        &hpke::OpModeS::Base,
        &pk,
        &info,
        keys,
        &header,
        &mut seeded_rng([69; 32]),
    )
    .expect("seal");
    let mut grant = header;
    grant.extend_from_slice(&enc.to_bytes());
    grant.extend_from_slice(&sealed);
    let mut signed = b"confide/v1/case-grant-signature\x00".to_vec();
    signed.extend_from_slice(&grant);
    grant.extend_from_slice(&signing_key(from).sign(&signed).to_bytes());
    grant
}

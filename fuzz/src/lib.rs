//! Fixtures shared by the fuzz targets: the members, workspace and log of tests/vectors, so
//! that the seed corpus (made from the vectors by `fuzz/seeds.mjs`) reaches past the cheap
//! checks into key derivation, signatures and AEADs; and a practice with cases
//! ([`practice`]), whose logs, grants and records seed the case targets (`fixture_seeds`).

use std::sync::OnceLock;

use confide::rng::seeded_rng;
use confide::{
    Case, CaseChange, CaseHead, CaseLoadInput, CaseLog, ContentType, EncryptOptions, Head,
    InviteLink, Level, LoadInput, MemberSecretKey, MemberSeed, MembershipLog, RecordContext, Role,
    Workspace,
};
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// The Unix time the vectors are made at.
pub const T0: u64 = 1_790_000_000;

/// The context of every record vector.
pub const CTX: RecordContext<'static> = RecordContext {
    record_id: "n-42",
    field: "body",
};

/// Alice, who creates the vectors' workspace (seeded as in examples/make-vectors.rs).
pub fn alice() -> MemberSecretKey {
    MemberSecretKey::generate_with_rng(&mut seeded_rng([1; 32]))
}

/// Bob, to whom the vectors' grant is addressed.
pub fn bob() -> MemberSecretKey {
    MemberSecretKey::generate_with_rng(&mut seeded_rng([2; 32]))
}

/// The vectors' workspace, as Alice sees it: it opens the record vectors.
pub fn workspace() -> &'static Workspace {
    static WS: OnceLock<Workspace> = OnceLock::new();
    WS.get_or_init(|| {
        Workspace::create_with_rng(alice(), T0, &mut seeded_rng([3; 32]))
            .unwrap_or_else(|_| unreachable!("the genesis entry of a fixed workspace verifies"))
    })
}

/// A workspace three epochs old, as its server holds it: the log, Alice's grant of the
/// current epoch only (so a load walks back through history links), the genuine links, and
/// Alice's pinned head.
pub struct Rotated {
    /// Every log entry.
    pub log: Vec<Vec<u8>>,
    /// Alice's grant of the current epoch.
    pub grant: Vec<u8>,
    /// The history links of epochs 1 and 2.
    pub history: Vec<Vec<u8>>,
    /// The head Alice pinned.
    pub head: Head,
}

/// See [`Rotated`].
pub fn rotated() -> &'static Rotated {
    static R: OnceLock<Rotated> = OnceLock::new();
    R.get_or_init(|| {
        let mut ws = Workspace::create_with_rng(alice(), T0, &mut seeded_rng([3; 32]))
            .unwrap_or_else(|_| unreachable!("genesis verifies"));
        let mut history = Vec::new();
        let mut grant = Vec::new();
        for seed in [5u8, 6] {
            let rotation = ws
                .rotate_with_rng(T0 + u64::from(seed), &mut seeded_rng([seed; 32]))
                .unwrap_or_else(|_| unreachable!("the creator may rotate"));
            history.push(rotation.history_link);
            grant = rotation
                .grants
                .into_iter()
                .next()
                .map(|g| g.grant)
                .unwrap_or_default();
        }
        let membership = ws
            .membership()
            .unwrap_or_else(|| unreachable!("a created workspace has a log"));
        Rotated {
            log: membership.entries().map(<[u8]>::to_vec).collect(),
            grant,
            history,
            head: membership.head(),
        }
    })
}

/// Splits fuzz input into items framed as `u16 length || bytes` (big-endian), the framing
/// `fuzz/seeds.mjs` writes lists of vectors in; a short tail is the last item.
pub fn framed(mut data: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (item, tail) = rest.split_at(len);
        items.push(item);
        data = tail;
    }
    items
}

// ---------- Cases (FORMAT.md#cases) -------------------------------------------------------

/// Mia, the practice manager: creates the workspace, admits everyone, is on no case.
pub const MIA: u8 = 1;
/// Cleo, a clinician: creates the case, a full member throughout.
pub const CLEO: u8 = 2;
/// Dan, a clinician: added at full level, later changes the case.
pub const DAN: u8 = 3;
/// Sam, a supervisor: added at summary level, given history, raised to full.
pub const SAM: u8 = 4;
/// Eve: added at summary level, then removed from the workspace and so from the case.
pub const EVE: u8 = 5;
/// Every member of the practice; member `n`'s seed is 32 bytes of `n` (as in tests/cases.rs).
pub const MEMBERS: [u8; 5] = [MIA, CLEO, DAN, SAM, EVE];

/// Member `n` of the practice.
pub fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n; 32]))
}

/// The practice's members: number, id and Ed25519 key (derived as
/// FORMAT.md#member-identity says), so that a target can sign as any of them, the way a
/// member of the workspace (an insider) could.
struct Keys {
    members: Vec<(u8, [u8; 32], SigningKey)>,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| Keys {
        members: MEMBERS
            .iter()
            .map(|&n| {
                let mut sk = [0u8; 32];
                hkdf::Hkdf::<Sha256>::new(Some(&[]), &[n; 32])
                    .expand(b"confide/v1/member/ed25519", &mut sk)
                    .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF length"));
                (n, member(n).fingerprint().id(), SigningKey::from_bytes(&sk))
            })
            .collect(),
    })
}

/// Member `n`'s id.
pub fn id(n: u8) -> [u8; 32] {
    keys()
        .members
        .iter()
        .find(|(m, _, _)| *m == n)
        .map_or([0; 32], |(_, id, _)| *id)
}

/// The member of the practice whose id this is.
pub fn member_of(id: &[u8]) -> Option<u8> {
    keys()
        .members
        .iter()
        .find(|(_, m, _)| m.as_slice() == id)
        .map(|(n, _, _)| *n)
}

fn signing_key(n: u8) -> Option<&'static SigningKey> {
    keys()
        .members
        .iter()
        .find(|(m, _, _)| *m == n)
        .map(|(_, _, k)| k)
}

/// Re-signs a case entry (FORMAT.md#case-log-entry) as the member its signer id names, if
/// that is a member of the practice: everything but the last 64 bytes is kept.
pub fn resign_case_entry(entry: &[u8]) -> Option<Vec<u8>> {
    resign(entry, entry.get(72..104)?, b"confide/v1/case-entry\x00")
}

/// Re-signs a case grant (FORMAT.md#case-grant) as the member its granter id names.
pub fn resign_case_grant(grant: &[u8]) -> Option<Vec<u8>> {
    resign(
        grant,
        grant.get(73..105)?,
        b"confide/v1/case-grant-signature\x00",
    )
}

fn resign(object: &[u8], signer: &[u8], label: &[u8]) -> Option<Vec<u8>> {
    let key = signing_key(member_of(signer)?)?;
    let unsigned = object.get(..object.len().checked_sub(64)?)?;
    let mut message = label.to_vec();
    message.extend_from_slice(unsigned);
    let mut out = unsigned.to_vec();
    out.extend_from_slice(&key.sign(&message).to_bytes());
    Some(out)
}

/// Whether a case entry's signature verifies (Ed25519 with the strict checks of
/// FORMAT.md#ed25519-verification) under the key of the practice member its signer id names.
pub fn case_entry_signed(entry: &[u8]) -> bool {
    let (Some(signer), Some(split)) = (entry.get(72..104), entry.len().checked_sub(64)) else {
        return false;
    };
    let Some(key) = member_of(signer).and_then(signing_key) else {
        return false;
    };
    let (unsigned, signature) = entry.split_at(split);
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
        return false;
    };
    let mut message = b"confide/v1/case-entry\x00".to_vec();
    message.extend_from_slice(unsigned);
    key.verifying_key()
        .verify_strict(&message, &signature)
        .is_ok()
}

/// `SHA-256("confide/v1/case-entry-hash" || 0x00 || entry)` (FORMAT.md#case-log-entry).
pub fn case_entry_hash(entry: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"confide/v1/case-entry-hash\x00")
        .chain_update(entry)
        .finalize()
        .into()
}

/// The context of every case record of the practice.
pub const CASE_CTX: RecordContext<'static> = RecordContext {
    record_id: "session-1",
    field: "notes",
};

/// A practice of five with two cases, made through the API from fixed seeds
/// (FORMAT.md#cases): every case entry kind, three signers, a member removed from the
/// workspace while on the case, a fork and a deleted case.
///
/// The case's log, by seq (epoch after it):
/// 0 Cleo creates (0); 1 adds Sam at summary level (1); 2 adds Dan at full level (2);
/// 3 adds Eve at summary level (3); 4 shares history with Sam from epoch 0; then Mia removes
/// Eve from the workspace; 5 Dan removes Eve (4); 6 Dan raises Sam to full (5); 7 Dan
/// rotates (6); 8 Cleo sets a retention date.
pub struct Practice {
    /// The workspace as each current member loaded it at the end: Mia, Cleo, Dan, Sam.
    pub workspaces: Vec<(u8, Workspace)>,
    /// The case's log.
    pub log: Vec<Vec<u8>>,
    /// A fork the server could show: entries 0 to 4, then Cleo rotating instead (seq 5).
    pub fork: Vec<Vec<u8>>,
    /// Another case of the workspace, deleted: Dan creates it, adds Cleo at summary level,
    /// deletes it.
    pub deleted: Vec<Vec<u8>>,
    /// The case grants of each of the three logs, by recipient: a load is given only its own
    /// log's (a grant of an epoch the log has not, or of another case, fails it).
    pub grants: [Vec<(u8, Vec<u8>)>; 3],
    /// Records of the case at both levels in epochs 1, 3 and 6, and one of the deleted case,
    /// with their plaintexts.
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
    /// The case as Cleo, Dan and Sam loaded it from the log with all their grants.
    pub cases: Vec<(u8, Case)>,
    /// The state after every prefix of each of the three logs, as [`CaseLog::verify`] gives
    /// it: `states[log][k - 1]` for the first `k` entries.
    pub states: [Vec<CaseState>; 3],
}

/// What a verified case log says: enough to tell two logs apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseState {
    /// The head (case id, last seq, last entry hash).
    pub head: CaseHead,
    /// The current epoch.
    pub epoch: u32,
    /// The members and their levels, in order of first admission.
    pub members: Vec<([u8; 32], Level)>,
    /// The retention date.
    pub retention_until: u64,
    /// Whether the case is deleted.
    pub deleted: bool,
}

impl CaseState {
    /// The state of a verified log.
    pub fn of(log: &CaseLog) -> Self {
        Self {
            head: log.head(),
            epoch: log.epoch(),
            members: log.members().collect(),
            retention_until: log.retention_until(),
            deleted: log.is_deleted(),
        }
    }
}

impl Practice {
    /// The workspace as member `n` loaded it (Mia, Cleo, Dan or Sam).
    pub fn workspace(&self, n: u8) -> &Workspace {
        self.workspaces
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, ws)| ws)
            .unwrap_or_else(|| unreachable!("member {n} is a current member"))
    }

    /// The workspace's verified membership log.
    pub fn membership(&self) -> &MembershipLog {
        self.workspace(MIA)
            .membership()
            .unwrap_or_else(|| unreachable!("a loaded workspace has its log"))
    }

    /// The case as member `n` loaded it (Cleo, Dan or Sam).
    pub fn case(&self, n: u8) -> Option<&Case> {
        self.cases.iter().find(|(m, _)| *m == n).map(|(_, c)| c)
    }

    /// The three logs: the case's, the fork, the deleted case's.
    pub fn logs(&self) -> [&[Vec<u8>]; 3] {
        [&self.log, &self.fork, &self.deleted]
    }

    /// Member `n`'s grants of the case.
    pub fn grants_of(&self, n: u8) -> Vec<&[u8]> {
        self.grants[0]
            .iter()
            .filter(|(to, _)| *to == n)
            .map(|(_, g)| g.as_slice())
            .collect()
    }
}

/// The workspace's side of the server: its log, grants, history links, invite links.
#[derive(Default)]
struct Server {
    log: Vec<Vec<u8>>,
    grants: Vec<(u8, Vec<u8>)>,
    history: Vec<Vec<u8>>,
    links: Vec<(u8, String)>,
}

impl Server {
    fn sync(&mut self, ws: &Workspace) {
        self.log = ws
            .membership()
            .map(|l| l.entries().map(<[u8]>::to_vec).collect())
            .unwrap_or_default();
    }

    fn load(&self, n: u8) -> Workspace {
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = self
            .grants
            .iter()
            .filter(|(to, _)| *to == n)
            .map(|(_, g)| g.as_slice())
            .collect();
        let history: Vec<&[u8]> = self.history.iter().map(Vec::as_slice).collect();
        let link = self
            .links
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, l)| InviteLink::parse(l).expect("fixture: our link"));
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &history,
            pinned_head: None,
            invite: link.as_ref(),
        };
        Workspace::load(member(n), &input).expect("fixture: a member loads the workspace")
    }
}

fn load_case(ws: &Workspace, n: u8, log: &[Vec<u8>], grants: &[(u8, Vec<u8>)]) -> Case {
    let log: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
    let grants: Vec<&[u8]> = grants
        .iter()
        .filter(|(to, _)| *to == n)
        .map(|(_, g)| g.as_slice())
        .collect();
    let input = CaseLoadInput {
        log: &log,
        grants: &grants,
        pinned_head: None,
    };
    Case::load(ws, &input).expect("fixture: a member of the case loads it")
}

fn publish(log: &mut Vec<Vec<u8>>, grants: &mut Vec<(u8, Vec<u8>)>, change: CaseChange) {
    log.push(change.log_entry);
    grants.extend(change.grants.into_iter().map(|g| {
        let n = member_of(&g.member_id).unwrap_or_else(|| unreachable!("granted to a member"));
        (n, g.grant)
    }));
}

/// See [`Practice`].
pub fn practice() -> &'static Practice {
    static P: OnceLock<Practice> = OnceLock::new();
    P.get_or_init(make_practice)
}

fn make_practice() -> Practice {
    let rng = |n: u8| seeded_rng([n; 32]);
    let text = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let mut server = Server::default();
    let mut mia = Workspace::create_with_rng(member(MIA), T0, &mut rng(100)).expect("fixture");
    let own = mia
        .grant_with_rng(member(MIA).public_bundle().as_bytes(), &mut rng(101))
        .expect("fixture");
    server.grants.push((MIA, own));
    for n in [CLEO, DAN, SAM, EVE] {
        let invite = mia
            .create_invite_with_rng(Role::Member, T0 + 1, 3600, &mut rng(110 + n))
            .expect("fixture");
        let link = invite.link.to_fragment().to_string();
        let acceptance = InviteLink::parse(&link)
            .expect("fixture")
            .accept(&member(n));
        let admission = mia
            .admit_with_rng(&acceptance, T0 + 2, &mut rng(120 + n))
            .expect("fixture");
        server.grants.push((n, admission.grant));
        server.links.push((n, link));
    }
    server.sync(&mia);

    let (mut log, mut grants, mut records) = (Vec::new(), Vec::new(), Vec::new());
    let record = |case: &Case, ws: &Workspace, level: Level, seed: u8| {
        let plaintext = format!("{level:?} note, epoch {}", case.epoch()).into_bytes();
        let r = case
            .encrypt_with_rng(ws, &plaintext, &CASE_CTX, text, level, &mut rng(seed))
            .expect("fixture: a full member writes");
        (r, plaintext)
    };
    let cleo_ws = server.load(CLEO);
    let (mut cleo, created) =
        Case::create_with_rng(&cleo_ws, T0 + 10, 0, &mut rng(130)).expect("fixture");
    publish(&mut log, &mut grants, created);
    let change = cleo
        .add_with_rng(&cleo_ws, &id(SAM), Level::Summary, T0 + 11, &mut rng(131))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    records.push(record(&cleo, &cleo_ws, Level::Summary, 140));
    records.push(record(&cleo, &cleo_ws, Level::Full, 141));
    let change = cleo
        .add_with_rng(&cleo_ws, &id(DAN), Level::Full, T0 + 12, &mut rng(132))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    let change = cleo
        .add_with_rng(&cleo_ws, &id(EVE), Level::Summary, T0 + 13, &mut rng(133))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    records.push(record(&cleo, &cleo_ws, Level::Summary, 142));
    records.push(record(&cleo, &cleo_ws, Level::Full, 143));
    let change = cleo
        .share_history_with_rng(&cleo_ws, &id(SAM), 0, T0 + 14, &mut rng(134))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    // The fork: Cleo rotates where Dan, below, removes Eve.
    let (mut fork, mut fork_grants) = (log.clone(), grants.clone());
    let change = cleo
        .rotate_with_rng(&cleo_ws, T0 + 15, &mut rng(135))
        .expect("fixture");
    publish(&mut fork, &mut fork_grants, change);

    let rotation = mia
        .remove_with_rng(&id(EVE), T0 + 20, &mut rng(102))
        .expect("fixture");
    server.grants.extend(rotation.grants.into_iter().map(|g| {
        let n = member_of(&g.member_id).unwrap_or_else(|| unreachable!("granted to a member"));
        (n, g.grant)
    }));
    server.history.push(rotation.history_link);
    server.sync(&mia);
    let dan_ws = server.load(DAN);
    let mut dan = load_case(&dan_ws, DAN, &log, &grants);
    let change = dan
        .remove_with_rng(&dan_ws, &id(EVE), T0 + 21, &mut rng(136))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    let change = dan
        .set_level_with_rng(&dan_ws, &id(SAM), Level::Full, T0 + 22, &mut rng(137))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    let change = dan
        .rotate_with_rng(&dan_ws, T0 + 23, &mut rng(138))
        .expect("fixture");
    publish(&mut log, &mut grants, change);
    records.push(record(&dan, &dan_ws, Level::Summary, 144));
    records.push(record(&dan, &dan_ws, Level::Full, 145));
    let cleo_ws = server.load(CLEO);
    let mut cleo = load_case(&cleo_ws, CLEO, &log, &grants);
    log.push(
        cleo.set_retention(&cleo_ws, T0 + 1000, T0 + 24)
            .expect("fixture"),
    );

    let (mut deleted, mut deleted_grants) = (Vec::new(), Vec::new());
    let (mut other, created) =
        Case::create_with_rng(&dan_ws, T0 + 30, 0, &mut rng(150)).expect("fixture");
    publish(&mut deleted, &mut deleted_grants, created);
    let change = other
        .add_with_rng(&dan_ws, &id(CLEO), Level::Summary, T0 + 31, &mut rng(151))
        .expect("fixture");
    publish(&mut deleted, &mut deleted_grants, change);
    records.push(record(&other, &dan_ws, Level::Summary, 146));
    deleted.push(other.delete(&dan_ws, T0 + 32).expect("fixture"));

    let workspaces: Vec<(u8, Workspace)> = [MIA, CLEO, DAN, SAM]
        .into_iter()
        .map(|n| (n, server.load(n)))
        .collect();
    let ws_of = |n: u8| {
        workspaces
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, ws)| ws)
            .unwrap_or_else(|| unreachable!("loaded above"))
    };
    let cases = [CLEO, DAN, SAM]
        .into_iter()
        .map(|n| (n, load_case(ws_of(n), n, &log, &grants)))
        .collect();
    let membership = ws_of(MIA).membership().expect("fixture");
    let states = [&log, &fork, &deleted].map(|l| {
        (1..=l.len())
            .map(|k| {
                CaseState::of(
                    &CaseLog::verify(membership, l[..k].to_vec())
                        .expect("fixture: every prefix verifies"),
                )
            })
            .collect()
    });
    Practice {
        workspaces,
        log,
        fork,
        deleted,
        grants: [grants, fork_grants, deleted_grants],
        records,
        cases,
        states,
    }
}

/// Record integrity on the practice's case (FORMAT.md#revisions, #sign-off, #audit-trail):
/// one record revised by three members, a fork, a tombstone, a sign-off and an audit trail.
pub struct Integrity {
    /// Revision 1 by Cleo, revision 2 by Dan, revision 3 (a tombstone) by Sam.
    pub history: Vec<Vec<u8>>,
    /// The records of revisions 1 and 2.
    pub records: Vec<Vec<u8>>,
    /// Another revision 2, by Cleo, and its record.
    pub fork: (Vec<u8>, Vec<u8>),
    /// Sam's sign-off of revision 2.
    pub sign_off: Vec<u8>,
    /// The trail: Cleo's create, Dan's edit, Sam's sign-off.
    pub audit: Vec<Vec<u8>>,
}

impl Integrity {
    /// Every genuine revision: the history's and the fork's.
    pub fn genuine(&self) -> impl Iterator<Item = &[u8]> {
        self.history
            .iter()
            .map(Vec::as_slice)
            .chain(core::iter::once(self.fork.0.as_slice()))
    }

    /// The genuine record a revision signs, if any.
    pub fn record_of(&self, revision: &[u8]) -> Option<&[u8]> {
        let i = self.history.iter().position(|r| r == revision);
        match i {
            Some(i) => self.records.get(i).map(Vec::as_slice),
            None if revision == self.fork.0 => Some(&self.fork.1),
            None => None,
        }
    }
}

/// See [`Integrity`].
pub fn integrity() -> &'static Integrity {
    static I: OnceLock<Integrity> = OnceLock::new();
    I.get_or_init(make_integrity)
}

fn make_integrity() -> Integrity {
    use confide::WriteOptions;
    use confide::integrity::{AuditAction, AuditEvent, AuditTrail, Revision};
    let p = practice();
    let text = EncryptOptions {
        content_type: ContentType::Text,
        pad: true,
    };
    let at = |n: u8| (p.case(n).expect("fixture: on the case"), p.workspace(n));
    let parse = |r: &[u8]| Revision::parse(r).expect("fixture");
    let write = |n: u8, body: &str, previous: Option<&[u8]>, t: u64, seed: u8| {
        let (case, ws) = at(n);
        let previous = previous.map(parse);
        let options = WriteOptions {
            encrypt: text,
            level: Level::Full,
            previous: previous.as_ref(),
            now: t,
        };
        case.write_with_rng(
            ws,
            body.as_bytes(),
            &CASE_CTX,
            &options,
            &mut seeded_rng([seed; 32]),
        )
        .expect("fixture: a full member writes")
    };
    let v1 = write(CLEO, "Revision 1.", None, T0 + 40, 160);
    let v2 = write(DAN, "Revision 2.", Some(&v1.revision), T0 + 41, 161);
    let fork = write(
        CLEO,
        "Another revision 2.",
        Some(&v1.revision),
        T0 + 42,
        162,
    );
    let (sam, sam_ws) = at(SAM);
    let v3 = sam
        .delete_record(sam_ws, &CASE_CTX, &parse(&v2.revision), T0 + 43)
        .expect("fixture");
    let sign_off = sam
        .sign_off(sam_ws, &parse(&v2.revision), T0 + 44)
        .expect("fixture");
    let mut trail = AuditTrail::new();
    let mut audit = Vec::new();
    for (n, action, revision, seed) in [
        (CLEO, AuditAction::Create, &v1.revision, 163),
        (DAN, AuditAction::Edit, &v2.revision, 164),
        (SAM, AuditAction::SignOff, &v2.revision, 165),
    ] {
        let (case, ws) = at(n);
        let r = parse(revision);
        let event = AuditEvent {
            action,
            record_id: r.record_id().into(),
            field: r.field().into(),
            revision_number: r.number(),
            revision_hash: r.hash(),
            note: String::new(),
        };
        audit.push(
            case.append_audit_with_rng(
                ws,
                &mut trail,
                &event,
                T0 + 45,
                &mut seeded_rng([seed; 32]),
            )
            .expect("fixture"),
        );
    }
    Integrity {
        history: vec![v1.revision, v2.revision, v3],
        records: vec![v1.record, v2.record],
        fork: (fork.revision, fork.record),
        sign_off,
        audit,
    }
}

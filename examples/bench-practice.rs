//! Writes the practice `make bench` measures cases on (BENCHMARKS.md, "Cases"): a workspace of
//! 50 members and 1,000 cases (FORMAT.md#cases), the same bytes on every run (seeded keys and
//! randomness). Built natively here, in about a second, rather than through the package in
//! each runtime: both runtimes then load the very same server state.
//!
//! Members: 0 is the director, the workspace's admin, who creates every case (full, from
//! epoch 0); 1 is a senior clinician, full on cases 0..200; 2..50 are 48 clinicians, each on
//! 40 cases: clinician k is full on cases 40k..40k+40 for k < 25, and summary on cases
//! 40(k-25)..40(k-25)+40 for k ≥ 25. Each add is one case log entry and one new epoch, so a
//! case has 2 to 4 members, 2 to 4 entries, and a member holds one grant per epoch it was on.
//!
//! Output, in OUT_DIR: `practice.bin`, every log entry and grant back to back, and
//! `practice.json`, which names them as `[offset, length]` in `practice.bin`: the workspace's
//! log, head and the workspace grant of each member the bench acts as; for each case, its log,
//! whether the senior clinician is on it, and the grants of the director and of clinician 10
//! (the member on 40 cases the bench loads); and those members' recovery kits and ids.
//!
//! `cargo run --release --example bench-practice --features hazmat -- OUT_DIR`.

#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Write as _;

use base64ct::{Base64UrlUnpadded, Encoding};
use confide::identity::recovery_kit;
use confide::rng::seeded_rng;
use confide::{Case, InviteLink, Level, MemberSecretKey, MemberSeed, Role, Workspace};

const T0: u64 = 1_790_000_000;
const MEMBERS: usize = 50;
const CASES: usize = 1_000;
const SENIOR_CASES: usize = 200;
const PER_CLINICIAN: usize = 40;
const DIRECTOR: usize = 0;
const SENIOR: usize = 1;
/// The member whose 40-case view the bench loads: clinician 10, full on cases 400..440.
const CLINICIAN: usize = 2 + 10;

/// Blobs back to back, each named by `[offset, length]`.
struct Blobs(Vec<u8>);

impl Blobs {
    fn put(&mut self, bytes: &[u8]) -> String {
        let at = self.0.len();
        self.0.extend_from_slice(bytes);
        format!("[{at},{}]", bytes.len())
    }

    fn put_all<'a>(&mut self, items: impl IntoIterator<Item = &'a [u8]>) -> String {
        let refs: Vec<String> = items.into_iter().map(|b| self.put(b)).collect();
        format!("[{}]", refs.join(","))
    }
}

fn seed_of(n: usize) -> MemberSeed {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(b"practice");
    seed[8..16].copy_from_slice(&(n as u64).to_be_bytes());
    MemberSeed::from_bytes(seed)
}

/// The members of case `c` after the director, in the order they are added.
fn added_to(c: usize) -> Vec<(usize, Level)> {
    let mut out = Vec::new();
    if c < SENIOR_CASES {
        out.push((SENIOR, Level::Full));
    }
    out.push((2 + c / PER_CLINICIAN, Level::Full));
    let second = 25 + c / PER_CLINICIAN;
    if second < 48 {
        out.push((2 + second, Level::Summary));
    }
    out
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: bench-practice OUT_DIR");
    let started = std::time::Instant::now();
    let members: Vec<MemberSecretKey> = (0..MEMBERS)
        .map(|n| MemberSecretKey::derive(seed_of(n)))
        .collect();
    let ids: Vec<[u8; 32]> = members.iter().map(|m| m.fingerprint().id()).collect();
    let mut rng = seeded_rng([7; 32]);

    // The workspace: the director admits everyone else (FORMAT.md#admission).
    let mut ws =
        Workspace::create_with_rng(members[DIRECTOR].rederive(), T0, &mut rng).expect("create");
    let mut ws_grants = vec![Vec::new(); MEMBERS];
    ws_grants[DIRECTOR] = ws
        .grant_with_rng(members[DIRECTOR].public_bundle().as_bytes(), &mut rng)
        .expect("own grant");
    for (n, member) in members.iter().enumerate().skip(1) {
        let invite = ws
            .create_invite_with_rng(Role::Member, T0 + 1, 3600, &mut rng)
            .expect("invite");
        let link = InviteLink::parse(&invite.link.to_fragment()).expect("link");
        let admission = ws
            .admit_with_rng(&link.accept(member), T0 + 2, &mut rng)
            .expect("admit");
        ws_grants[n] = admission.grant;
    }

    // The cases, each created by the director, then one add per member after it.
    let mut blobs = Blobs(Vec::new());
    let mut cases_json = Vec::with_capacity(CASES);
    let (mut entries, mut grants_total) = (0usize, 0usize);
    for c in 0..CASES {
        let (mut case, change) = Case::create_with_rng(&ws, T0 + 100, 0, &mut rng).expect("case");
        let mut grants: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut keep = |grants: &mut Vec<(usize, Vec<u8>)>, change: confide::CaseChange| {
            grants_total += change.grants.len();
            for g in change.grants {
                let n = ids
                    .iter()
                    .position(|id| *id == g.member_id)
                    .expect("known member");
                grants.push((n, g.grant));
            }
        };
        keep(&mut grants, change);
        for (n, level) in added_to(c) {
            let change = case
                .add_with_rng(&ws, &ids[n], level, T0 + 101, &mut rng)
                .expect("add");
            keep(&mut grants, change);
        }
        entries += case.log().len();
        let log = blobs.put_all(case.log().entries());
        let of = |n: usize, blobs: &mut Blobs| {
            blobs.put_all(
                grants
                    .iter()
                    .filter(|(m, _)| *m == n)
                    .map(|(_, g)| g.as_slice()),
            )
        };
        let director = of(DIRECTOR, &mut blobs);
        let clinician = of(CLINICIAN, &mut blobs);
        cases_json.push(format!(
            "{{\"log\":{log},\"senior\":{},\"grants\":{{\"director\":{director},\"clinician\":{clinician}}}}}",
            c < SENIOR_CASES
        ));
    }

    let membership = ws.membership().expect("log");
    let mut json = String::new();
    let _ = write!(
        json,
        "{{\"members\":{},\"cases\":{CASES},\"caseEntries\":{entries},\"caseGrants\":{grants_total},",
        MEMBERS
    );
    let _ = write!(
        json,
        "\"workspace\":{{\"head\":\"{}\",\"log\":{}}},\"people\":{{",
        membership.head().to_base64url(),
        blobs.put_all(membership.entries())
    );
    for (i, (role, n)) in [
        ("director", DIRECTOR),
        ("senior", SENIOR),
        ("clinician", CLINICIAN),
    ]
    .into_iter()
    .enumerate()
    {
        let kit = recovery_kit::encode(&seed_of(n));
        let _ = write!(
            json,
            "{}\"{role}\":{{\"id\":\"{}\",\"kit\":\"{}\",\"grant\":{}}}",
            if i > 0 { "," } else { "" },
            Base64UrlUnpadded::encode_string(&ids[n]),
            kit.as_str(),
            blobs.put(&ws_grants[n])
        );
    }
    let _ = write!(json, "}},\"caseList\":[{}]}}", cases_json.join(","));
    std::fs::create_dir_all(&dir).expect("out dir");
    std::fs::write(format!("{dir}/practice.bin"), &blobs.0).expect("write bin");
    std::fs::write(format!("{dir}/practice.json"), json).expect("write json");
    eprintln!(
        "practice: {MEMBERS} members, {CASES} cases, {entries} case entries, {grants_total} case grants, {} bytes kept, in {:.1} s",
        blobs.0.len(),
        started.elapsed().as_secs_f64()
    );
}

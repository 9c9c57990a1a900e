//! Structure-aware: a validly signed log built from fuzzed membership operations (invites,
//! admissions, removals, role changes, rotations, and admins taking turns), then checked
//! the way a reader checks it: the log verifies from scratch to the writer's head; every
//! current member loads it and agrees on head and epoch; every removed member is refused;
//! and any single changed byte of any entry makes it fail.
#![no_main]
use arbitrary::Arbitrary;
use confide::rng::seeded_rng;
use confide::{
    Head, InviteLink, LoadInput, MemberSecretKey, MemberSeed, MembershipLog, Role, Workspace,
};
use libfuzzer_sys::fuzz_target;

const T0: u64 = 1_790_000_000;
const POOL: u8 = 5;

#[derive(Arbitrary, Debug)]
enum Op {
    Invite { who: u8, admin: bool },
    Remove { who: u8 },
    SetRole { who: u8, admin: bool },
    Rotate,
    TakeTurn { who: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    ops: Vec<Op>,
    flip: (u16, u16, u8),
}

fn member(n: u8) -> MemberSecretKey {
    MemberSecretKey::derive(MemberSeed::from_bytes([n % POOL + 1; 32]))
}

#[derive(Default)]
struct Server {
    log: Vec<Vec<u8>>,
    grants: Vec<([u8; 32], Vec<u8>)>,
    history: Vec<Vec<u8>>,
    links: Vec<Option<String>>,
}

impl Server {
    fn sync(&mut self, ws: &Workspace) {
        self.log = ws
            .membership()
            .expect("log")
            .entries()
            .map(<[u8]>::to_vec)
            .collect();
    }

    fn load(&self, n: u8) -> Result<Workspace, confide::MembershipError> {
        let m = member(n);
        let me = m.fingerprint().id();
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = self
            .grants
            .iter()
            .filter(|(to, _)| *to == me)
            .map(|(_, g)| g.as_slice())
            .collect();
        let history: Vec<&[u8]> = self.history.iter().map(Vec::as_slice).collect();
        let link = self.links.get(usize::from(n % POOL)).cloned().flatten();
        let link = link
            .as_deref()
            .map(|l| InviteLink::parse(l).expect("our link"));
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &history,
            pinned_head: None::<Head>,
            invite: link.as_ref(),
        };
        Workspace::load(m, &input)
    }
}

fuzz_target!(|input: Input| {
    if input.ops.len() > 12 {
        return;
    }
    let mut server = Server {
        links: vec![None; usize::from(POOL)],
        ..Server::default()
    };
    let creator = member(0);
    let creator_bundle = creator.public_bundle().as_bytes().to_vec();
    let mut actor =
        Workspace::create_with_rng(creator, T0, &mut seeded_rng([9; 32])).expect("create");
    server.grants.push((
        member(0).fingerprint().id(),
        actor.grant(&creator_bundle).expect("grant"),
    ));
    server.sync(&actor);
    let mut now = T0;
    for op in &input.ops {
        now += 10;
        match *op {
            Op::Invite { who, admin } => {
                let role = if admin { Role::Admin } else { Role::Member };
                let Ok(new) = actor.create_invite(role, now, 3600) else {
                    continue;
                };
                let link = new.link.to_fragment().to_string();
                let acceptance = InviteLink::parse(&link).expect("link").accept(&member(who));
                if let Ok(admission) = actor.admit(&acceptance, now) {
                    server.grants.push((admission.member_id, admission.grant));
                    server.links[usize::from(who % POOL)] = Some(link);
                }
            }
            Op::Remove { who } => {
                if let Ok(rotation) = actor.remove(&member(who).fingerprint().id(), now) {
                    server
                        .grants
                        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
                    server.history.push(rotation.history_link);
                }
            }
            Op::SetRole { who, admin } => {
                let role = if admin { Role::Admin } else { Role::Member };
                let _ = actor.set_role(&member(who).fingerprint().id(), role, now);
            }
            Op::Rotate => {
                if let Ok(rotation) = actor.rotate(now) {
                    server
                        .grants
                        .extend(rotation.grants.into_iter().map(|g| (g.member_id, g.grant)));
                    server.history.push(rotation.history_link);
                }
            }
            Op::TakeTurn { who } => {
                server.sync(&actor);
                if let Ok(ws) = server.load(who) {
                    let me = member(who).fingerprint().id();
                    if ws
                        .membership()
                        .and_then(|l| l.member(&me))
                        .is_some_and(|m| m.role() == Role::Admin)
                    {
                        actor = ws;
                    }
                }
            }
        }
        server.sync(&actor);
    }

    let log = MembershipLog::verify(&server.log).expect("a log built through the API verifies");
    assert_eq!(Some(log.head()), actor.head());
    for n in 0..POOL {
        let id = member(n).fingerprint().id();
        match server.load(n) {
            Ok(ws) => {
                assert!(log.is_active(&id));
                assert_eq!(ws.head(), actor.head());
                assert_eq!(ws.epoch(), actor.epoch());
            }
            Err(e) => assert!(!log.is_active(&id), "current member {n} refused: {e}"),
        }
    }
    let (entry, byte, xor) = input.flip;
    let entry = usize::from(entry) % server.log.len();
    let byte = usize::from(byte) % server.log[entry].len();
    let mut altered = server.log.clone();
    altered[entry][byte] ^= xor.max(1);
    assert!(
        MembershipLog::verify(&altered).is_err(),
        "entry {entry} byte {byte} changed and still verifies"
    );
});

//! A practice on an in-memory storage server, for the case and integrity tests: Mia the
//! manager (admin, on no case), Cleo and Dan, clinicians, and Sam, a supervisor.

use confide::rng::seeded_rng;
use confide::{
    Case, CaseChange, CaseHead, CaseLoadInput, Head, InviteLink, Level, LoadInput, MembershipError,
    Role, Workspace,
};

use super::{id, member};

pub const T0: u64 = 1_790_000_000;
pub const MIA: u8 = 1;
pub const CLEO: u8 = 2;
pub const DAN: u8 = 3;
pub const SAM: u8 = 4;

/// The storage server: the workspace's log and grants, and per case its log and grants.
#[derive(Clone, Default)]
pub struct Server {
    pub log: Vec<Vec<u8>>,
    pub grants: Vec<([u8; 32], Vec<u8>)>,
    pub history: Vec<Vec<u8>>,
    pub links: Vec<(u8, String)>,
    pub case_log: Vec<Vec<u8>>,
    pub case_grants: Vec<([u8; 32], Vec<u8>)>,
}

impl Server {
    pub fn sync(&mut self, ws: &Workspace) {
        self.log = ws
            .membership()
            .unwrap()
            .entries()
            .map(<[u8]>::to_vec)
            .collect();
    }

    pub fn publish(&mut self, change: CaseChange) {
        self.case_log.push(change.log_entry);
        self.case_grants
            .extend(change.grants.into_iter().map(|g| (g.member_id, g.grant)));
    }

    pub fn workspace(&self, n: u8) -> Result<Workspace, MembershipError> {
        let m = member(n);
        let me = id(&m);
        let log: Vec<&[u8]> = self.log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = self
            .grants
            .iter()
            .filter(|(to, _)| *to == me)
            .map(|(_, g)| g.as_slice())
            .collect();
        let history: Vec<&[u8]> = self.history.iter().map(Vec::as_slice).collect();
        let link = self
            .links
            .iter()
            .rev()
            .find(|(who, _)| *who == n)
            .map(|(_, l)| InviteLink::parse(l).unwrap());
        let input = LoadInput {
            log: &log,
            grants: &grants,
            history: &history,
            pinned_head: None::<Head>,
            invite: link.as_ref(),
        };
        Workspace::load(m, &input)
    }

    pub fn case(&self, ws: &Workspace, pinned: Option<CaseHead>) -> Result<Case, MembershipError> {
        let me = id(ws.member());
        let log: Vec<&[u8]> = self.case_log.iter().map(Vec::as_slice).collect();
        let grants: Vec<&[u8]> = self
            .case_grants
            .iter()
            .filter(|(to, _)| *to == me)
            .map(|(_, g)| g.as_slice())
            .collect();
        Case::load(
            ws,
            &CaseLoadInput {
                log: &log,
                grants: &grants,
                pinned_head: pinned,
            },
        )
    }
}

/// Mia creates the workspace and admits Cleo, Dan and Sam as members; Cleo creates a case
/// for her client and puts Sam on it at summary level.
pub fn practice() -> (Server, Workspace, Case) {
    let mut mia = Workspace::create_with_rng(member(MIA), T0, &mut seeded_rng([1; 32])).unwrap();
    let mut server = Server::default();
    let own = mia.grant(member(MIA).public_bundle().as_bytes()).unwrap();
    server.grants.push((id(&member(MIA)), own));
    for n in [CLEO, DAN, SAM] {
        let invite = mia.create_invite(Role::Member, T0 + 1, 3600).unwrap();
        let link = invite.link.to_fragment().to_string();
        let acceptance = InviteLink::parse(&link).unwrap().accept(&member(n));
        let admission = mia.admit(&acceptance, T0 + 2).unwrap();
        server.grants.push((admission.member_id, admission.grant));
        server.links.push((n, link));
    }
    server.sync(&mia);
    let cleo = server.workspace(CLEO).unwrap();
    let (mut case, created) =
        Case::create_with_rng(&cleo, T0 + 3, 0, &mut seeded_rng([2; 32])).unwrap();
    server.publish(created);
    let added = case
        .add(&cleo, &id(&member(SAM)), Level::Summary, T0 + 4)
        .unwrap();
    server.publish(added);
    (server, cleo, case)
}

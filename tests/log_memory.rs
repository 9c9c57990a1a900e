//! Verifying a membership log keeps memory linear in the log (issue 10, defect 3;
//! FORMAT.md#limits). A log with many admins and many epochs is the shape that used to keep
//! a copy of the admin list per epoch. Its own test binary, because the heap statistics
//! count every allocation of the process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{forge_entry, member};
use confide::rng::seeded_rng;
use confide::{InviteLink, MembershipLog, Role, Workspace};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const T0: u64 = 1_790_000_000;

#[test]
fn verifying_a_log_keeps_memory_linear_in_its_bytes() {
    // 150 admins, then 1500 rotations: 150 x 1500 admin-epoch pairs.
    let mut alice = Workspace::create_with_rng(member(1), T0, &mut seeded_rng([1; 32])).unwrap();
    for n in 0..150u8 {
        let invite = alice.create_invite(Role::Admin, T0 + 1, 3600).unwrap();
        let link = InviteLink::parse(&invite.link.to_fragment()).unwrap();
        let acceptance = link.accept(&member(n.wrapping_add(10)));
        alice.admit(&acceptance, T0 + 2).unwrap();
    }
    let mut log: Vec<Vec<u8>> = alice
        .membership()
        .unwrap()
        .entries()
        .map(<[u8]>::to_vec)
        .collect();
    for epoch in 1..=1500u32 {
        let mut body = epoch.to_be_bytes().to_vec();
        body.extend_from_slice(&[9u8; 32]);
        let entry = forge_entry(1, &log, T0 + 3, 6, &body);
        log.push(entry);
    }
    let log_bytes: usize = log.iter().map(Vec::len).sum();

    let _profiler = dhat::Profiler::builder().testing().build();
    let verified = MembershipLog::verify(&log).unwrap();
    let stats = dhat::HeapStats::get();
    assert_eq!(verified.epoch(), 1500);
    // The log keeps its copy of the entries and a little per member, invite and epoch.
    dhat::assert!(
        stats.curr_bytes <= 2 * log_bytes,
        "kept {} bytes for a {log_bytes}-byte log",
        stats.curr_bytes
    );
    dhat::assert!(
        stats.max_bytes <= 3 * log_bytes,
        "peaked at {} bytes for a {log_bytes}-byte log",
        stats.max_bytes
    );
}

//! `LogEntry::change`: what each entry kind changes, read back from real entries
//! (FORMAT.md#entry-kinds). A storage server indexes invites and the roster by it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use confide::{EntryChange, LogEntry, Role, Workspace};

mod common;
use common::{id, member};

const T0: u64 = 1_790_000_000;
const WEEK: u64 = 7 * 86_400;

#[test]
fn every_entry_kind_reports_its_change() {
    let (alice, bob) = (member(1), member(2));
    let mut ws = Workspace::create(member(1), T0).unwrap();
    let invite = ws.create_invite(Role::Member, T0 + 1, WEEK).unwrap();
    let acceptance = invite.link.accept(&bob);
    let admission = ws.admit(&acceptance, T0 + 2).unwrap();
    let promote = ws.set_role(&id(&bob), Role::Admin, T0 + 3).unwrap();
    let rotation = ws.rotate(T0 + 4).unwrap();
    let removal = ws.remove(&id(&bob), T0 + 5).unwrap();

    let entries: Vec<LogEntry> = ws
        .membership()
        .unwrap()
        .entries()
        .map(|e| LogEntry::parse(e).unwrap())
        .collect();
    let changes: Vec<EntryChange> = entries.iter().map(LogEntry::change).collect();
    assert_eq!(
        changes,
        [
            EntryChange::Create {
                creator_id: id(&alice)
            },
            EntryChange::Invite {
                invite_id: invite.invite_id,
                role: Role::Member,
                expires_at: T0 + 1 + WEEK,
            },
            EntryChange::Admit {
                invite_id: invite.invite_id,
                member_id: id(&bob),
            },
            EntryChange::SetRole {
                member_id: id(&bob),
                role: Role::Admin,
            },
            EntryChange::Rotate { epoch: 1 },
            EntryChange::Remove {
                member_id: id(&bob),
                epoch: 2,
            },
        ]
    );
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.signer_id(), id(&alice));
        assert_eq!(entry.time(), T0 + u64::try_from(i).unwrap());
    }
    assert_eq!(entries[2].as_bytes(), admission.log_entry.as_slice());
    assert_eq!(entries[3].as_bytes(), promote.as_slice());
    assert_eq!(entries[4].as_bytes(), rotation.log_entry.as_slice());
    assert_eq!(entries[5].as_bytes(), removal.log_entry.as_slice());
}

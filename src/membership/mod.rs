//! Membership: who may read a workspace, and how content keys reach them
//! (docs/FORMAT.md#membership-log).
//!
//! - [`log`]: the signed, hash-chained membership log and its verification;
//! - [`invite`]: invite links and the invitee's acceptance;
//! - `grant`: a content key sealed to one member (FORMAT.md#grant);
//! - `history`: epoch key checks and history links (FORMAT.md#key-rotation).

pub(crate) mod grant;
pub(crate) mod history;
pub mod invite;
pub mod log;

pub use grant::GRANT_LEN;
pub use history::{HISTORY_LINK_LEN, KEY_CHECK_LEN};
pub use invite::{ACCEPTANCE_LEN, Acceptance, InviteLink};
pub use log::{EntryChange, Head, LogEntry, MemberRecord, MembershipLog, Role};

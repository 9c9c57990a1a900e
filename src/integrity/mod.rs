//! Record integrity inside a case (docs/FORMAT.md#revisions): signed revisions chained per
//! record, sign-offs of one exact revision, and a signed, sealed audit trail per case.
//!
//! - [`revision`]: a revision signs a write (the record's hash) or a deletion, its author,
//!   time and the state it was written under, and the hash of the revision before it;
//! - [`signoff`]: a member's countersignature of one revision;
//! - [`audit`]: the case's hash-chained activity log, bodies sealed under the summary key.
//!
//! [`crate::Case`] writes, opens, signs off and audits through these.

pub mod audit;
pub mod revision;
pub mod signoff;

pub use audit::{
    AuditAction, AuditEntryHeader, AuditEvent, AuditHead, AuditRecord, AuditTrail, audit_entry_hash,
};
pub use revision::{Revision, RevisionKind, RevisionPin, verify_history};
pub use signoff::{SignOff, SignOffHeader};

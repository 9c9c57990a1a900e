//! The wasm-bindgen layer over the Confide core. It converts types and errors and holds
//! no logic: every decision is made in the `confide` crate (docs/FORMAT.md).
//!
//! Errors cross as a JS `Error` with a stable `code` property; the TypeScript package
//! turns them into `ConfideError`. Nothing here panics.

#![forbid(unsafe_code)]
// Every error here is the core's, converted; they are documented there and in js/src.
#![allow(clippy::missing_errors_doc)]

mod backup;
mod case;
mod convert;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod integrity;
mod member;
mod memory;
mod record;
mod workspace;

pub use backup::{ExportPlan, KdfInput, backup_kdf_input, prepare_backup};
pub use case::Case;
pub use integrity::AuditTrail;
pub use member::{Member, accept_invite, describe_invite, member_id_of};
pub use memory::wipe_stack;
pub use record::{ChunkReader, Decryptor, Encryptor, MessageKeys, record_length, unpadded_length};
pub use workspace::{Workspace, WorkspaceLoader};

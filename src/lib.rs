//! Confide: end-to-end encryption for therapy-practice software.
//!
//! This is the core: plain Rust, no `wasm-bindgen`. The byte formats are specified in
//! `docs/FORMAT.md`; each module cites the section it implements.
//!
//! The modules are layered; a module imports only from the layers below it:
//!
//! | Layer | Modules | What |
//! |-------|---------|------|
//! | facades | [`cases`], [`workspace`] | a case and a workspace as one member sees them |
//! | concepts | [`membership`], [`record`], [`identity`] | the log, invites, grants, history links; records and streams; members, backups, kits |
//! | primitives | [`chunked`], [`padding`], [`labels`] | C2SP chunked encryption, PADMÉ, every label |
//! | bottom | [`keys`], [`limits`], [`error`], [`rng`] | key and id newtypes, caps, errors, randomness |
//!
//! ```
//! use confide::{MemberSecretKey, Workspace, RecordContext, EncryptOptions, ContentType};
//! let alice = MemberSecretKey::generate()?;
//! let bob = MemberSecretKey::generate()?;
//! let bob_bundle = bob.public_bundle().as_bytes().to_vec();
//! let alice_bundle = alice.public_bundle().as_bytes().to_vec();
//! let ws = Workspace::create(alice, 1_790_000_000)?;
//! let ctx = RecordContext { record_id: "n-42", field: "body" };
//! let opts = EncryptOptions { content_type: ContentType::Text, pad: true };
//! let record = ws.encrypt(b"Client reported better sleep.", &ctx, opts)?;
//! let grant = ws.grant(&bob_bundle)?;
//! let ws_bob = Workspace::open_grant(bob, &grant, &alice_bundle)?;
//! let (_, text) = ws_bob.decrypt(&record, &ctx)?;
//! assert_eq!(text.as_slice(), b"Client reported better sleep.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cases;
pub mod error;
mod format;
pub mod identity;
pub mod integrity;
pub mod keys;
pub mod limits;
pub mod membership;
mod primitives;
pub mod record;
pub mod rng;
pub mod workspace;

pub use cases::{
    Case, CaseChange, CaseEntry, CaseEntryChange, CaseGrant, CaseGrantHeader, CaseHead,
    CaseLoadInput, CaseLog, CaseWriter, OpenedHistory, WriteOptions, Written,
};
pub use error::{
    ArgumentError, BackupError, DecryptError, ErrorCode, GrantError, IntegrityError,
    MembershipError, ParseError,
};
pub use identity::{BUNDLE_LEN, Fingerprint, MemberPublicBundle, MemberSecretKey, MemberSeed};
pub use keys::{CaseId, ContentKey, Level, WorkspaceId};
pub use membership::{
    ACCEPTANCE_LEN, Acceptance, EntryChange, GRANT_LEN, HISTORY_LINK_LEN, Head, InviteLink,
    KEY_CHECK_LEN, LogEntry, MemberRecord, MembershipLog, Role,
};
pub use primitives::chunked::MessageKeyMaterial;
pub use primitives::{chunked, labels, padding};
pub use record::stream::{RecordChunkReader, RecordDecryptor, RecordEncryptor};
pub use record::{
    ContentType, RecordContext, RecordHeader, RecordKeys, RecordScope, RecordVersion,
};
pub use workspace::{
    Admission, EncryptOptions, LoadInput, MemberGrant, NewInvite, Rotation, Workspace,
    WorkspaceLoader,
};

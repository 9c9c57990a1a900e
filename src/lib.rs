//! Confide: end-to-end encryption for therapy-practice software.
//!
//! This is the core: plain Rust, no `wasm-bindgen`. The byte formats are specified in
//! `docs/FORMAT.md`; each module cites the section it implements.
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

pub mod backup;
pub mod chunked;
pub mod error;
mod grant;
mod history;
pub mod invite;
pub mod log;
pub mod member;
pub mod padding;
mod primitives;
pub mod record;
pub mod recovery_kit;
pub mod rng;
pub mod stream;
pub mod workspace;

pub use chunked::MessageKeyMaterial;
pub use error::{
    ArgumentError, BackupError, DecryptError, ErrorCode, GrantError, MembershipError, ParseError,
};
pub use grant::GRANT_LEN;
pub use history::{HISTORY_LINK_LEN, KEY_CHECK_LEN};
pub use invite::{ACCEPTANCE_LEN, Acceptance, InviteLink};
pub use log::{Head, LogEntry, MemberRecord, MembershipLog, Role};
pub use member::{BUNDLE_LEN, Fingerprint, MemberPublicBundle, MemberSecretKey, MemberSeed};
pub use primitives::labels;
pub use record::{ContentType, RecordContext, RecordHeader};
pub use stream::{RecordChunkReader, RecordDecryptor, RecordEncryptor};
pub use workspace::{
    Admission, ContentKey, EncryptOptions, LoadInput, MemberGrant, NewInvite, Rotation, Workspace,
    WorkspaceId,
};

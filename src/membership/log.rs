//! The membership log: an append-only, hash-chained list of signed entries rooted in the
//! workspace's creator (docs/FORMAT.md#membership-log).
//!
//! [`MembershipLog::verify`] replays the log from its genesis entry and checks every
//! entry's chain link, signature and authority; the roster it yields is the only source
//! of member keys and roles the rest of the crate trusts.

use base64ct::{Base64UrlUnpadded, Encoding};
use std::collections::BTreeMap;

use ed25519_dalek::{Signature, VerifyingKey};

use crate::error::{MembershipError, ParseError};
use crate::format::check_tag;
use crate::identity::{BUNDLE_LEN, Fingerprint, MemberPublicBundle, MemberSecretKey};
use crate::keys::WorkspaceId;
use crate::limits::{MAX_LOG_BYTES, MAX_LOG_ENTRIES};
use crate::membership::history::KEY_CHECK_LEN;
use crate::membership::invite::{ACCEPTANCE_LEN, Acceptance, INVITE_NONCE_LEN};
use crate::primitives::{labels, sha256};
use subtle::ConstantTimeEq;

const ID: usize = Fingerprint::ID_LEN;
const ENTRY_TAG: &[u8; 3] = b"CFL";
const ENTRY_VERSION: u8 = 1;
/// `tag || version || workspace id || seq || previous hash || signer id || time || kind`.
pub const ENTRY_HEADER_LEN: usize = 4 + WorkspaceId::LEN + 4 + 32 + ID + 8 + 1;
const SIGNATURE_LEN: usize = 64;
/// The longest an invite may stay open: 90 days (FORMAT.md#invite-entry).
pub const MAX_INVITE_SECONDS: u64 = 90 * 24 * 3600;

/// A member's role (FORMAT.md#roles). Admins invite, admit, remove, change roles and rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// May change the membership.
    Admin,
    /// Reads and writes records.
    Member,
}

impl Role {
    fn to_byte(self) -> u8 {
        match self {
            Self::Admin => 1,
            Self::Member => 2,
        }
    }

    fn from_byte(b: u8) -> Result<Self, ParseError> {
        match b {
            1 => Ok(Self::Admin),
            2 => Ok(Self::Member),
            _ => Err(ParseError::Field { what: "role" }),
        }
    }
}

/// What an entry does (FORMAT.md#entry-kinds).
pub(crate) enum EntryBody {
    /// Kind 1, genesis: the creator's bundle and the key check of epoch 0.
    Create {
        bundle: Box<MemberPublicBundle>,
        key_check: [u8; KEY_CHECK_LEN],
    },
    /// Kind 2: an open invite.
    Invite {
        invite_id: [u8; 32],
        nonce: [u8; INVITE_NONCE_LEN],
        role: Role,
        expires_at: u64,
    },
    /// Kind 3: an invitee admitted, with its acceptance.
    Admit { acceptance: Box<Acceptance> },
    /// Kind 4: a member removed, starting a new epoch.
    Remove {
        member_id: [u8; ID],
        epoch: u32,
        key_check: [u8; KEY_CHECK_LEN],
    },
    /// Kind 5: a member's role changed.
    SetRole { member_id: [u8; ID], role: Role },
    /// Kind 6: a new epoch without a removal.
    Rotate {
        epoch: u32,
        key_check: [u8; KEY_CHECK_LEN],
    },
}

impl EntryBody {
    fn kind(&self) -> u8 {
        match self {
            Self::Create { .. } => 1,
            Self::Invite { .. } => 2,
            Self::Admit { .. } => 3,
            Self::Remove { .. } => 4,
            Self::SetRole { .. } => 5,
            Self::Rotate { .. } => 6,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Create { bundle, key_check } => {
                out.extend_from_slice(bundle.as_bytes());
                out.extend_from_slice(key_check);
            }
            Self::Invite {
                invite_id,
                nonce,
                role,
                expires_at,
            } => {
                out.extend_from_slice(invite_id);
                out.extend_from_slice(nonce);
                out.push(role.to_byte());
                out.extend_from_slice(&expires_at.to_be_bytes());
            }
            Self::Admit { acceptance } => out.extend_from_slice(acceptance.as_bytes()),
            Self::Remove {
                member_id,
                epoch,
                key_check,
            } => {
                out.extend_from_slice(member_id);
                out.extend_from_slice(&epoch.to_be_bytes());
                out.extend_from_slice(key_check);
            }
            Self::SetRole { member_id, role } => {
                out.extend_from_slice(member_id);
                out.push(role.to_byte());
            }
            Self::Rotate { epoch, key_check } => {
                out.extend_from_slice(&epoch.to_be_bytes());
                out.extend_from_slice(key_check);
            }
        }
    }

    fn parse(kind: u8, body: &[u8]) -> Result<Self, MembershipError> {
        let expected_len = match kind {
            1 => BUNDLE_LEN + KEY_CHECK_LEN,
            2 => 32 + INVITE_NONCE_LEN + 1 + 8,
            3 => ACCEPTANCE_LEN,
            4 => ID + 4 + KEY_CHECK_LEN,
            5 => ID + 1,
            6 => 4 + KEY_CHECK_LEN,
            _ => return Err(ParseError::Field { what: "entry kind" }.into()),
        };
        if body.len() != expected_len {
            return Err(ParseError::Length {
                what: "log entry body",
                expected: "the length its kind defines",
                got: body.len(),
            }
            .into());
        }
        let mut r = Reader(body);
        Ok(match kind {
            1 => Self::Create {
                bundle: Box::new(MemberPublicBundle::from_bytes(r.take(BUNDLE_LEN)?)?),
                key_check: r.array()?,
            },
            2 => Self::Invite {
                invite_id: r.array()?,
                nonce: r.array()?,
                role: Role::from_byte(r.byte()?)?,
                expires_at: u64::from_be_bytes(r.array()?),
            },
            3 => Self::Admit {
                acceptance: Box::new(Acceptance::parse(body)?),
            },
            4 => Self::Remove {
                member_id: r.array()?,
                epoch: u32::from_be_bytes(r.array()?),
                key_check: r.array()?,
            },
            5 => Self::SetRole {
                member_id: r.array()?,
                role: Role::from_byte(r.byte()?)?,
            },
            _ => Self::Rotate {
                epoch: u32::from_be_bytes(r.array()?),
                key_check: r.array()?,
            },
        })
    }
}

/// A cursor over a slice whose total length was checked already.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.0.len() < n {
            return Err(ParseError::Field { what: "log entry" });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        self.take(N)?
            .try_into()
            .map_err(|_| ParseError::Field { what: "log entry" })
    }

    fn byte(&mut self) -> Result<u8, ParseError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }
}

/// What one log entry changes, by kind (FORMAT.md#entry-kinds), without its keys or
/// signatures: [`LogEntry::change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryChange {
    /// Kind 1: the workspace is created, and its creator is its first admin.
    Create {
        /// The creator's member id.
        creator_id: [u8; ID],
    },
    /// Kind 2: an invite is opened.
    Invite {
        /// The invite id the invitee's acceptance names.
        invite_id: [u8; 32],
        /// The role the invitee will have.
        role: Role,
        /// When the invite expires, in Unix seconds.
        expires_at: u64,
    },
    /// Kind 3: an invitee is admitted, using up its invite.
    Admit {
        /// The invite it answered.
        invite_id: [u8; 32],
        /// The new member's id.
        member_id: [u8; ID],
    },
    /// Kind 4: a member is removed, and a new epoch starts.
    Remove {
        /// The removed member's id.
        member_id: [u8; ID],
        /// The new epoch.
        epoch: u32,
    },
    /// Kind 5: a member's role changes.
    SetRole {
        /// The member's id.
        member_id: [u8; ID],
        /// Its new role.
        role: Role,
    },
    /// Kind 6: a new epoch starts without a removal.
    Rotate {
        /// The new epoch.
        epoch: u32,
    },
}

/// One parsed log entry. Parsing checks structure only; [`MembershipLog`] checks the
/// chain, the signature and the signer's authority.
pub struct LogEntry {
    encoded: Vec<u8>,
    workspace_id: WorkspaceId,
    seq: u32,
    prev_hash: [u8; 32],
    signer_id: [u8; ID],
    time: u64,
    body: EntryBody,
}

impl LogEntry {
    /// Parses an entry (FORMAT.md#log-entry).
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion` for bytes that are not a version-1 entry; for an
    /// admit entry, `BadSignature` if the embedded acceptance's signature does not verify.
    pub fn parse(bytes: &[u8]) -> Result<Self, MembershipError> {
        Self::from_vec(bytes.to_vec())
    }

    /// Steps 1 and 2 of FORMAT.md#log-entry: tag, version and the least length.
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion`.
    pub fn check_header(bytes: &[u8]) -> Result<(), MembershipError> {
        check_tag(bytes, ENTRY_TAG, ENTRY_VERSION, "log entry")?;
        if bytes.len() < ENTRY_HEADER_LEN + SIGNATURE_LEN {
            return Err(ParseError::Length {
                what: "log entry",
                expected: "at least 161",
                got: bytes.len(),
            }
            .into());
        }
        Ok(())
    }

    /// [`LogEntry::parse`], taking ownership of the bytes instead of copying them.
    ///
    /// # Errors
    /// As [`LogEntry::parse`].
    pub fn from_vec(encoded: Vec<u8>) -> Result<Self, MembershipError> {
        let bytes = encoded.as_slice();
        Self::check_header(bytes)?;
        let mut r = Reader(bytes.get(4..).unwrap_or_default());
        let workspace_id = WorkspaceId::from_bytes(r.array()?);
        let seq = u32::from_be_bytes(r.array()?);
        let prev_hash = r.array()?;
        let signer_id = r.array()?;
        let time = u64::from_be_bytes(r.array()?);
        let kind = r.byte()?;
        let body = r.take(bytes.len() - ENTRY_HEADER_LEN - SIGNATURE_LEN)?;
        let body = EntryBody::parse(kind, body)?;
        Ok(Self {
            encoded,
            workspace_id,
            seq,
            prev_hash,
            signer_id,
            time,
            body,
        })
    }

    /// Encodes and signs an entry.
    fn sign(
        signer: &MemberSecretKey,
        workspace_id: WorkspaceId,
        seq: u32,
        prev_hash: [u8; 32],
        time: u64,
        body: EntryBody,
    ) -> Self {
        let mut encoded = Vec::with_capacity(ENTRY_HEADER_LEN + 1500);
        encoded.extend_from_slice(ENTRY_TAG);
        encoded.push(ENTRY_VERSION);
        encoded.extend_from_slice(workspace_id.as_bytes());
        encoded.extend_from_slice(&seq.to_be_bytes());
        encoded.extend_from_slice(&prev_hash);
        let signer_id = signer.fingerprint().id();
        encoded.extend_from_slice(&signer_id);
        encoded.extend_from_slice(&time.to_be_bytes());
        encoded.push(body.kind());
        body.encode(&mut encoded);
        let signature = signer.sign(labels::LOG_ENTRY_SIGNATURE, &encoded);
        encoded.extend_from_slice(&signature.to_bytes());
        Self {
            encoded,
            workspace_id,
            seq,
            prev_hash,
            signer_id,
            time,
            body,
        }
    }

    /// `SHA-256("confide/v1/log-entry-hash" || 0x00 || entry)` (FORMAT.md#entry-hash).
    pub fn hash(&self) -> [u8; 32] {
        entry_hash(&self.encoded)
    }

    /// The encoded entry, as stored by the server.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The entry's position in the log (the genesis entry is 0).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The member that signed the entry (its fingerprint id).
    pub fn signer_id(&self) -> [u8; ID] {
        self.signer_id
    }

    /// The signer's clock when it made the entry, in Unix seconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// What the entry changes (FORMAT.md#entry-kinds): what a storage server indexes so it
    /// can answer "is this invite open?" or "is this caller a member?" without a replay.
    /// Parsing checks structure only: the change holds once [`MembershipLog::push`] accepts
    /// the entry.
    pub fn change(&self) -> EntryChange {
        match &self.body {
            EntryBody::Create { bundle, .. } => EntryChange::Create {
                creator_id: bundle.fingerprint().id(),
            },
            EntryBody::Invite {
                invite_id,
                role,
                expires_at,
                ..
            } => EntryChange::Invite {
                invite_id: *invite_id,
                role: *role,
                expires_at: *expires_at,
            },
            EntryBody::Admit { acceptance } => EntryChange::Admit {
                invite_id: acceptance.invite_id(),
                member_id: acceptance.bundle().fingerprint().id(),
            },
            EntryBody::Remove {
                member_id, epoch, ..
            } => EntryChange::Remove {
                member_id: *member_id,
                epoch: *epoch,
            },
            EntryBody::SetRole { member_id, role } => EntryChange::SetRole {
                member_id: *member_id,
                role: *role,
            },
            EntryBody::Rotate { epoch, .. } => EntryChange::Rotate { epoch: *epoch },
        }
    }

    fn verify_signature(&self, signer: &VerifyingKey) -> Result<(), MembershipError> {
        let split = self.encoded.len() - SIGNATURE_LEN;
        let (signed, signature) = self.encoded.split_at(split);
        let signature =
            Signature::from_slice(signature).map_err(|_| MembershipError::BadSignature)?;
        let mut message = labels::LOG_ENTRY_SIGNATURE.to_vec();
        message.extend_from_slice(signed);
        signer
            .verify_strict(&message, &signature)
            .map_err(|_| MembershipError::BadSignature)
    }

    /// Hands the encoded bytes back, dropping the parsed body.
    fn into_bytes(self) -> Vec<u8> {
        self.encoded
    }
}

/// A position in a log, remembered by a client to detect rollback and forks
/// (FORMAT.md#head): the workspace id, the last entry's seq and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    workspace_id: WorkspaceId,
    seq: u32,
    hash: [u8; 32],
}

impl Head {
    /// Length of an encoded head.
    pub const LEN: usize = WorkspaceId::LEN + 4 + 32;

    /// `workspace id || u32(seq) || entry hash`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        let (ws, rest) = out.split_at_mut(WorkspaceId::LEN);
        let (seq, hash) = rest.split_at_mut(4);
        ws.copy_from_slice(self.workspace_id.as_bytes());
        seq.copy_from_slice(&self.seq.to_be_bytes());
        hash.copy_from_slice(&self.hash);
        out
    }

    /// Unpadded base64url of [`Head::to_bytes`].
    pub fn to_base64url(&self) -> String {
        Base64UrlUnpadded::encode_string(&self.to_bytes())
    }

    /// Parses the unpadded base64url form.
    ///
    /// # Errors
    /// [`ParseError`] unless it decodes to exactly 52 bytes.
    pub fn from_base64url(text: &str) -> Result<Self, ParseError> {
        let mut buf = [0u8; Self::LEN];
        let decoded = Base64UrlUnpadded::decode(text.trim(), &mut buf)
            .map_err(|_| ParseError::Field { what: "head" })?;
        if decoded.len() != Self::LEN {
            return Err(ParseError::Length {
                what: "head",
                expected: "exactly 52 decoded bytes",
                got: decoded.len(),
            });
        }
        let mut r = Reader(&buf);
        Ok(Self {
            workspace_id: WorkspaceId::from_bytes(r.array()?),
            seq: u32::from_be_bytes(r.array()?),
            hash: r.array()?,
        })
    }

    /// The workspace it belongs to.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The seq of the entry it points at.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The entry hash of the entry it points at.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}

/// A current member as the verified log describes it: a view into the log, which keeps
/// every member's bundle only once, inside the entry that admitted it.
pub struct MemberRecord<'a> {
    id: [u8; ID],
    role: Role,
    bundle: &'a [u8],
}

impl MemberRecord<'_> {
    /// The member id (the fingerprint id).
    pub fn id(&self) -> [u8; ID] {
        self.id
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The member's encoded bundle, as its admission (or the genesis entry) carries it.
    pub fn bundle_bytes(&self) -> &[u8] {
        self.bundle
    }

    /// The member's bundle, parsed. Its self-signature was verified when the log was.
    ///
    /// # Errors
    /// None for a verified log; `Malformed` is returned rather than panicking.
    pub fn bundle(&self) -> Result<MemberPublicBundle, ParseError> {
        MemberPublicBundle::from_verified_bytes(self.bundle)
    }

    /// The member's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of_bundle_bytes(self.bundle)
    }
}

/// What the log keeps of each member it ever admitted: no copy of the bundle (it stays in
/// the admitting entry), the parsed signing key, and the epochs in which it was an admin.
struct RosterEntry {
    /// Index of the entry that last admitted this member (the genesis entry for the creator).
    admitted_by: usize,
    verifying: VerifyingKey,
    role: Role,
    active: bool,
    /// The epoch from which the member is an admin, while it is one.
    admin_since: Option<u32>,
    /// Closed spans `[first, last]` of epochs in which it was an admin at some point.
    admin_spans: Vec<(u32, u32)>,
    /// The seq of the entry that admitted it, while it is a current member.
    member_since: Option<u32>,
    /// Spans `[admitted, removed)` of seqs after which it was a current member, ended ones.
    member_spans: Vec<(u32, u32)>,
}

impl RosterEntry {
    /// Whether the member was an admin at some point during `epoch`: `G(epoch)` of
    /// FORMAT.md#verifying-a-log.
    fn in_granters(&self, epoch: u32) -> bool {
        self.admin_since.is_some_and(|since| since <= epoch)
            || self
                .admin_spans
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&epoch))
    }

    /// Whether the member was current in the state after entry `seq`.
    fn was_member_at(&self, seq: u32) -> bool {
        self.member_since.is_some_and(|since| since <= seq)
            || self
                .member_spans
                .iter()
                .any(|(from, to)| (*from..*to).contains(&seq))
    }

    /// Ends the member's current admin span at `last` (it stays in `G(last)`).
    fn close_admin_span(&mut self, last: u32) {
        if let Some(since) = self.admin_since.take() {
            self.admin_spans.push((since, last));
        }
    }
}

struct InviteRecord {
    inviter_id: [u8; ID],
    nonce: [u8; INVITE_NONCE_LEN],
    role: Role,
    expires_at: u64,
    used_by: Option<[u8; ID]>,
}

/// Where a member's bundle sits inside the entry that carries it (FORMAT.md#entry-kinds).
const CREATE_BUNDLE_AT: usize = ENTRY_HEADER_LEN;
const ADMIT_BUNDLE_AT: usize = ENTRY_HEADER_LEN + 4 + WorkspaceId::LEN + 32;

/// A verified membership log and the roster it defines. Its memory is linear in the log:
/// the entries once, and a fixed amount per member, invite and epoch
/// (FORMAT.md#verifying-a-log).
pub struct MembershipLog {
    workspace_id: WorkspaceId,
    /// Every entry as received, genesis first: the only copy of each.
    entries: Vec<Vec<u8>>,
    /// Sum of the entries' lengths.
    total_bytes: usize,
    /// Entry hash of the last entry: the next entry's previous hash.
    last_hash: [u8; 32],
    /// Every member the log ever admitted, by id.
    roster: BTreeMap<[u8; ID], RosterEntry>,
    /// Member ids in order of first admission, for listing.
    order: Vec<[u8; ID]>,
    /// Every invite, by invite id.
    invites: BTreeMap<[u8; 32], InviteRecord>,
    /// Key check per epoch, indexed by epoch.
    key_checks: Vec<[u8; KEY_CHECK_LEN]>,
}

impl MembershipLog {
    /// Replays and verifies a whole log from its genesis entry (FORMAT.md#verifying-a-log).
    ///
    /// # Errors
    /// `LogTooLarge` past [`MAX_LOG_ENTRIES`] or [`MAX_LOG_BYTES`], checked first; otherwise
    /// the first rule an entry breaks, as a [`MembershipError`].
    pub fn verify<E: AsRef<[u8]>>(entries: &[E]) -> Result<Self, MembershipError> {
        check_log_limits(entries.len(), entries.iter().map(|e| e.as_ref().len()))?;
        Self::verify_owned(entries.iter().map(|e| e.as_ref().to_vec()).collect())
    }

    /// [`MembershipLog::verify`], taking ownership of the entries instead of copying them.
    ///
    /// # Errors
    /// As [`MembershipLog::verify`].
    pub fn verify_owned(entries: Vec<Vec<u8>>) -> Result<Self, MembershipError> {
        check_log_limits(entries.len(), entries.iter().map(Vec::len))?;
        let mut iter = entries.into_iter();
        let genesis = iter.next().ok_or(ParseError::Length {
            what: "membership log",
            expected: "at least 1 entry",
            got: 0,
        })?;
        let mut log = Self::from_genesis(genesis)?;
        for entry in iter {
            log.push(entry)?;
        }
        Ok(log)
    }

    /// Verifies a genesis entry and starts a log with it (FORMAT.md#verifying-a-log, steps 2
    /// to 7).
    ///
    /// # Errors
    /// The first rule the entry breaks.
    pub fn from_genesis(genesis: Vec<u8>) -> Result<Self, MembershipError> {
        check_log_limits(1, [genesis.len()])?;
        Self::start(LogEntry::from_vec(genesis)?)
    }

    fn start(entry: LogEntry) -> Result<Self, MembershipError> {
        let EntryBody::Create { bundle, key_check } = &entry.body else {
            return Err(ParseError::Field {
                what: "genesis entry kind",
            }
            .into());
        };
        if entry.seq != 0 || entry.prev_hash != [0u8; 32] {
            return Err(MembershipError::BrokenChain { seq: entry.seq });
        }
        let creator_id = bundle.fingerprint().id();
        if entry.signer_id != creator_id {
            return Err(MembershipError::BadSignature);
        }
        let verifying = *bundle.verifying_key();
        entry.verify_signature(&verifying)?;
        let key_check = *key_check;
        let mut roster = BTreeMap::new();
        roster.insert(
            creator_id,
            RosterEntry {
                admitted_by: 0,
                verifying,
                role: Role::Admin,
                active: true,
                admin_since: Some(0),
                admin_spans: Vec::new(),
                member_since: Some(0),
                member_spans: Vec::new(),
            },
        );
        let last_hash = entry.hash();
        let encoded = entry.into_bytes();
        Ok(Self {
            workspace_id: WorkspaceId::from_bytes(
                encoded
                    .get(4..4 + WorkspaceId::LEN)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(ParseError::Field { what: "log entry" })?,
            ),
            total_bytes: encoded.len(),
            entries: vec![encoded],
            last_hash,
            roster,
            order: vec![creator_id],
            invites: BTreeMap::new(),
            key_checks: vec![key_check],
        })
    }

    /// Verifies one more entry against the log so far and applies it: the log grows by
    /// exactly this entry, or is unchanged and the entry refused (FORMAT.md#verifying-a-log,
    /// steps 8 to 13). Costs one signature check whatever the log's length.
    ///
    /// # Errors
    /// `LogTooLarge` if the log would pass its limits; otherwise the rule the entry breaks.
    pub fn push(&mut self, entry: Vec<u8>) -> Result<(), MembershipError> {
        if self.entries.len() >= MAX_LOG_ENTRIES
            || self.total_bytes.saturating_add(entry.len()) > MAX_LOG_BYTES
        {
            return Err(MembershipError::LogTooLarge);
        }
        self.apply(LogEntry::from_vec(entry)?)
    }

    /// Checks one parsed entry and applies it. Every check runs before any change, so a
    /// refused entry leaves the log as it was.
    fn apply(&mut self, entry: LogEntry) -> Result<(), MembershipError> {
        let seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        if entry.seq != seq
            || entry.prev_hash != self.last_hash
            || entry.workspace_id != self.workspace_id
        {
            return Err(MembershipError::BrokenChain { seq });
        }
        let signer = self
            .roster
            .get(&entry.signer_id)
            .filter(|m| m.active)
            .ok_or(MembershipError::UnknownSigner)?;
        entry.verify_signature(&signer.verifying)?;
        if signer.role != Role::Admin {
            return Err(MembershipError::NotAuthorized);
        }
        let epoch = self.epoch();
        match &entry.body {
            EntryBody::Create { .. } => {
                return Err(ParseError::Field {
                    what: "second genesis entry",
                }
                .into());
            }
            EntryBody::Invite {
                invite_id,
                nonce,
                role,
                expires_at,
            } => {
                if self.invites.contains_key(invite_id) {
                    return Err(MembershipError::InviteUsed);
                }
                if *expires_at <= entry.time || *expires_at - entry.time > MAX_INVITE_SECONDS {
                    return Err(ParseError::Field {
                        what: "invite expiry",
                    }
                    .into());
                }
                self.invites.insert(
                    *invite_id,
                    InviteRecord {
                        inviter_id: entry.signer_id,
                        nonce: *nonce,
                        role: *role,
                        expires_at: *expires_at,
                        used_by: None,
                    },
                );
            }
            EntryBody::Admit { acceptance } => {
                let role = self.check_admission(acceptance, entry.signer_id, entry.time)?;
                let bundle = acceptance.bundle();
                let member_id = bundle.fingerprint().id();
                let verifying = *bundle.verifying_key();
                if let Some(invite) = self.invites.get_mut(&acceptance.invite_id()) {
                    invite.used_by = Some(member_id);
                }
                let admitted_by = self.entries.len();
                let admin_since = (role == Role::Admin).then_some(epoch);
                match self.roster.get_mut(&member_id) {
                    // Admitted again after a removal: earlier admin spans still count.
                    Some(record) => {
                        record.admitted_by = admitted_by;
                        record.role = role;
                        record.active = true;
                        record.admin_since = admin_since;
                        record.member_since = Some(seq);
                    }
                    None => {
                        self.order.push(member_id);
                        self.roster.insert(
                            member_id,
                            RosterEntry {
                                admitted_by,
                                verifying,
                                role,
                                active: true,
                                admin_since,
                                admin_spans: Vec::new(),
                                member_since: Some(seq),
                                member_spans: Vec::new(),
                            },
                        );
                    }
                }
            }
            EntryBody::Remove {
                member_id,
                epoch: new_epoch,
                key_check,
            } => {
                // FORMAT.md#verifying-a-log, Remove: leaving is a request another admin carries
                // out, so the new epoch's grants come from someone who stays.
                if *member_id == entry.signer_id {
                    return Err(MembershipError::CannotRemoveSelf);
                }
                let target = self.active_member(member_id)?;
                if target.role == Role::Admin && self.active_admin_count() < 2 {
                    return Err(MembershipError::LastAdmin);
                }
                self.check_next_epoch(*new_epoch, seq)?;
                if let Some(m) = self.roster.get_mut(member_id) {
                    m.active = false;
                    m.close_admin_span(epoch);
                    if let Some(since) = m.member_since.take() {
                        m.member_spans.push((since, seq));
                    }
                }
                self.key_checks.push(*key_check);
            }
            EntryBody::SetRole { member_id, role } => {
                let target = self.active_member(member_id)?;
                if target.role == Role::Admin
                    && *role != Role::Admin
                    && self.active_admin_count() < 2
                {
                    return Err(MembershipError::LastAdmin);
                }
                if let Some(m) = self.roster.get_mut(member_id) {
                    match (m.role, *role) {
                        (Role::Admin, Role::Member) => m.close_admin_span(epoch),
                        (Role::Member, Role::Admin) => m.admin_since = Some(epoch),
                        _ => {}
                    }
                    m.role = *role;
                }
            }
            EntryBody::Rotate {
                epoch: new_epoch,
                key_check,
            } => {
                self.check_next_epoch(*new_epoch, seq)?;
                self.key_checks.push(*key_check);
            }
        }
        self.last_hash = entry.hash();
        let encoded = entry.into_bytes();
        self.total_bytes += encoded.len();
        self.entries.push(encoded);
        Ok(())
    }

    /// The admission rules (FORMAT.md#verifying-a-log): a known, unused, unexpired invite
    /// made by the same admin, for this workspace, for someone not already a member.
    /// Returns the invite's role.
    fn check_admission(
        &self,
        acceptance: &Acceptance,
        admitter_id: [u8; ID],
        time: u64,
    ) -> Result<Role, MembershipError> {
        if acceptance.workspace_id() != self.workspace_id {
            return Err(MembershipError::WrongWorkspace);
        }
        let invite = self
            .invites
            .get(&acceptance.invite_id())
            .ok_or(MembershipError::InviteUnknown)?;
        if invite.inviter_id != admitter_id {
            return Err(MembershipError::NotAuthorized);
        }
        if invite.used_by.is_some() {
            return Err(MembershipError::InviteUsed);
        }
        if time > invite.expires_at {
            return Err(MembershipError::InviteExpired);
        }
        if self.is_active(&acceptance.bundle().fingerprint().id()) {
            return Err(MembershipError::AlreadyMember);
        }
        Ok(invite.role)
    }

    /// A new epoch must be the current one plus one.
    fn check_next_epoch(&self, epoch: u32, seq: u32) -> Result<(), MembershipError> {
        if Some(epoch) == self.epoch().checked_add(1) {
            Ok(())
        } else {
            Err(MembershipError::BrokenChain { seq })
        }
    }

    fn active_member(&self, id: &[u8; ID]) -> Result<&RosterEntry, MembershipError> {
        self.roster
            .get(id)
            .filter(|m| m.active)
            .ok_or(MembershipError::NotAMember)
    }

    fn active_admin_count(&self) -> usize {
        self.roster
            .values()
            .filter(|m| m.active && m.role == Role::Admin)
            .take(2)
            .count()
    }

    /// Appends a new entry signed by `signer`, checked by the same rules as a replayed one.
    pub(crate) fn append(
        &mut self,
        signer: &MemberSecretKey,
        time: u64,
        body: EntryBody,
    ) -> Result<&[u8], MembershipError> {
        let seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        let entry = LogEntry::sign(signer, self.workspace_id, seq, self.last_hash, time, body);
        if self.entries.len() >= MAX_LOG_ENTRIES
            || self.total_bytes.saturating_add(entry.encoded.len()) > MAX_LOG_BYTES
        {
            return Err(MembershipError::LogTooLarge);
        }
        self.apply(entry)?;
        self.entries
            .last()
            .map(Vec::as_slice)
            .ok_or(MembershipError::NoMembershipLog)
    }

    /// The genesis entry of a new workspace.
    pub(crate) fn create(
        creator: &MemberSecretKey,
        workspace_id: WorkspaceId,
        time: u64,
        key_check: [u8; KEY_CHECK_LEN],
    ) -> Result<Self, MembershipError> {
        let body = EntryBody::Create {
            bundle: Box::new(creator.public_bundle().clone()),
            key_check,
        };
        Self::start(LogEntry::sign(
            creator,
            workspace_id,
            0,
            [0u8; 32],
            time,
            body,
        ))
    }

    /// Checks this log against a head pinned earlier: it must be at least as long and
    /// hold the same entry at the head's position (FORMAT.md#head).
    ///
    /// # Errors
    /// `WrongWorkspace`, `RollbackDetected` or `ForkDetected`.
    pub fn check_pinned(&self, pinned: &Head) -> Result<(), MembershipError> {
        check_pinned_head(self.workspace_id, &self.entries, pinned)
    }

    /// The head: the last entry's seq and hash.
    pub fn head(&self) -> Head {
        Head {
            workspace_id: self.workspace_id,
            seq: u32::try_from(self.entries.len().saturating_sub(1)).unwrap_or(u32::MAX),
            hash: self.last_hash,
        }
    }

    /// The workspace this log belongs to.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The current epoch.
    pub fn epoch(&self) -> u32 {
        u32::try_from(self.key_checks.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a verified log has its genesis entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The total length of the entries in bytes.
    pub fn byte_len(&self) -> usize {
        self.total_bytes
    }

    /// The encoded entries, oldest first, as the server stores them.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.entries.iter().map(Vec::as_slice)
    }

    /// The current members, in order of admission.
    pub fn members(&self) -> impl Iterator<Item = MemberRecord<'_>> {
        self.order.iter().filter_map(|id| self.member(id))
    }

    /// Whether `id` is a current member.
    pub fn is_active(&self, id: &[u8; ID]) -> bool {
        self.roster.get(id).is_some_and(|m| m.active)
    }

    /// The current record of member `id`, if it is a current member.
    pub fn member(&self, id: &[u8; ID]) -> Option<MemberRecord<'_>> {
        let record = self.roster.get(id).filter(|m| m.active)?;
        Some(MemberRecord {
            id: *id,
            role: record.role,
            bundle: self.bundle_of(record)?,
        })
    }

    /// The bundle bytes inside the entry that admitted `record`.
    fn bundle_of(&self, record: &RosterEntry) -> Option<&[u8]> {
        let at = if record.admitted_by == 0 {
            CREATE_BUNDLE_AT
        } else {
            ADMIT_BUNDLE_AT
        };
        self.entries
            .get(record.admitted_by)?
            .get(at..at + BUNDLE_LEN)
    }

    pub(crate) fn key_check(&self, epoch: u32) -> Result<&[u8; KEY_CHECK_LEN], MembershipError> {
        usize::try_from(epoch)
            .ok()
            .and_then(|e| self.key_checks.get(e))
            .ok_or(MembershipError::UnknownEpoch { epoch })
    }

    /// The bundle of a member entitled to grant `epoch`'s key: an admin at some point
    /// during that epoch (FORMAT.md#verifying-grants).
    pub(crate) fn granter(
        &self,
        epoch: u32,
        granter_id: &[u8; ID],
    ) -> Result<MemberPublicBundle, MembershipError> {
        if epoch > self.epoch() {
            return Err(MembershipError::UnknownEpoch { epoch });
        }
        let record = self
            .roster
            .get(granter_id)
            .ok_or(MembershipError::UnknownSigner)?;
        if !record.in_granters(epoch) {
            return Err(MembershipError::NotAuthorized);
        }
        let bundle = self
            .bundle_of(record)
            .ok_or(MembershipError::UnknownSigner)?;
        Ok(MemberPublicBundle::from_verified_bytes(bundle)?)
    }

    /// Whether `id` was a current member in the state after entry `seq` (FORMAT.md#cases:
    /// case entries name the workspace seq they were written under).
    pub fn was_member_at(&self, id: &[u8; ID], seq: u32) -> bool {
        self.roster.get(id).is_some_and(|m| m.was_member_at(seq))
    }

    /// The Ed25519 key of any member the log ever admitted.
    pub(crate) fn verifying_key(&self, id: &[u8; ID]) -> Option<&VerifyingKey> {
        self.roster.get(id).map(|m| &m.verifying)
    }

    /// The bundle of any member the log ever admitted, current or not.
    pub(crate) fn bundle_of_any(&self, id: &[u8; ID]) -> Option<MemberPublicBundle> {
        let record = self.roster.get(id)?;
        MemberPublicBundle::from_verified_bytes(self.bundle_of(record)?).ok()
    }

    /// Whether the log holds an invite with this id that nobody has used and that has not
    /// expired at `now` (Unix seconds): one an invitee may still answer. A storage server
    /// uses it to accept acceptances only for open invites.
    pub fn invite_is_open(&self, invite_id: &[u8; 32], now: u64) -> bool {
        self.invites
            .get(invite_id)
            .is_some_and(|i| i.used_by.is_none() && now <= i.expires_at)
    }

    /// The invite with this id: its inviter, its nonce, and who used it.
    pub(crate) fn invite(&self, invite_id: &[u8; 32]) -> Option<InviteView> {
        self.invites.get(invite_id).map(|i| InviteView {
            inviter_id: i.inviter_id,
            nonce: i.nonce,
            expires_at: i.expires_at,
            used_by: i.used_by,
        })
    }

    /// Drops every entry after the first `len`, by replaying those from the genesis entry:
    /// how a client returns to the log it had when appended entries fail (rare, and linear).
    pub(crate) fn truncate(&mut self, len: usize) -> Result<(), MembershipError> {
        if len < self.entries.len() {
            let mut kept = core::mem::take(&mut self.entries);
            kept.truncate(len);
            *self = Self::verify_owned(kept)?;
        }
        Ok(())
    }
}

/// What [`MembershipLog::invite`] reports about an invite.
pub(crate) struct InviteView {
    pub(crate) inviter_id: [u8; ID],
    pub(crate) nonce: [u8; INVITE_NONCE_LEN],
    pub(crate) expires_at: u64,
    pub(crate) used_by: Option<[u8; ID]>,
}

/// FORMAT.md#limits: a log of at most [`MAX_LOG_ENTRIES`] entries and [`MAX_LOG_BYTES`] bytes.
/// Checked before any entry is parsed.
///
/// # Errors
/// `LogTooLarge`.
pub fn check_log_limits(
    count: usize,
    lengths: impl IntoIterator<Item = usize>,
) -> Result<(), MembershipError> {
    if count > MAX_LOG_ENTRIES {
        return Err(MembershipError::LogTooLarge);
    }
    let mut total = 0usize;
    for len in lengths {
        total = total.saturating_add(len);
        if total > MAX_LOG_BYTES {
            return Err(MembershipError::LogTooLarge);
        }
    }
    Ok(())
}

/// FORMAT.md#head on raw entries: `WrongWorkspace`, `RollbackDetected` or `ForkDetected`.
/// It hashes one entry, so it can run before the log is verified.
pub(crate) fn check_pinned_head(
    workspace_id: WorkspaceId,
    entries: &[Vec<u8>],
    pinned: &Head,
) -> Result<(), MembershipError> {
    if pinned.workspace_id != workspace_id {
        return Err(MembershipError::WrongWorkspace);
    }
    let entry = usize::try_from(pinned.seq)
        .ok()
        .and_then(|i| entries.get(i))
        .ok_or(MembershipError::RollbackDetected)?;
    if bool::from(entry_hash(entry).ct_eq(&pinned.hash)) {
        Ok(())
    } else {
        Err(MembershipError::ForkDetected)
    }
}

/// `SHA-256("confide/v1/log-entry-hash" || 0x00 || entry)` of raw entry bytes.
pub(crate) fn entry_hash(entry: &[u8]) -> [u8; 32] {
    sha256(&[labels::LOG_ENTRY_HASH, entry])
}

/// Unverified reads of raw entries, for the cheap checks a load makes before it verifies
/// anything (FORMAT.md#loading-a-workspace, steps 1 to 6). Each returns `None` for bytes
/// too short to hold the field.
pub(crate) mod raw {
    use super::{ADMIT_BUNDLE_AT, ENTRY_HEADER_LEN, ID, SIGNATURE_LEN};
    use crate::identity::BUNDLE_LEN;
    use crate::keys::WorkspaceId;
    use crate::membership::invite::ACCEPTANCE_LEN;

    /// Kind byte of an invite and an admit entry, and their exact lengths.
    const INVITE: (u8, usize) = (2, ENTRY_HEADER_LEN + 32 + 16 + 1 + 8 + SIGNATURE_LEN);
    const ADMIT: (u8, usize) = (3, ENTRY_HEADER_LEN + ACCEPTANCE_LEN + SIGNATURE_LEN);

    fn array<const N: usize>(entry: &[u8], at: usize) -> Option<[u8; N]> {
        entry.get(at..at + N)?.try_into().ok()
    }

    /// `entry[4:20]`.
    pub(crate) fn workspace_id(entry: &[u8]) -> Option<WorkspaceId> {
        array(entry, 4).map(WorkspaceId::from_bytes)
    }

    /// `entry[56:88]`.
    pub(crate) fn signer_id(entry: &[u8]) -> Option<[u8; ID]> {
        array(entry, 56)
    }

    fn is(entry: &[u8], (kind, len): (u8, usize)) -> bool {
        entry.len() == len && entry.get(96) == Some(&kind)
    }

    /// The invite id of an invite entry: `entry[97:129]`.
    pub(crate) fn invite_id(entry: &[u8]) -> Option<[u8; 32]> {
        is(entry, INVITE).then(|| array(entry, 97)).flatten()
    }

    /// The invite id an admit entry's acceptance answers, `entry[117:149]`, and the invitee's
    /// bundle, `entry[149:1465]`.
    pub(crate) fn admission(entry: &[u8]) -> Option<([u8; 32], &[u8])> {
        if !is(entry, ADMIT) {
            return None;
        }
        let invite_id = array(entry, ENTRY_HEADER_LEN + 4 + WorkspaceId::LEN)?;
        let bundle = entry.get(ADMIT_BUNDLE_AT..ADMIT_BUNDLE_AT + BUNDLE_LEN)?;
        Some((invite_id, bundle))
    }
}

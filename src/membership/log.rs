//! The membership log: an append-only, hash-chained list of signed entries rooted in the
//! workspace's creator (docs/FORMAT.md#membership-log).
//!
//! [`MembershipLog::verify`] replays the log from its genesis entry and checks every
//! entry's chain link, signature and authority; the roster it yields is the only source
//! of member keys and roles the rest of the crate trusts.

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signature;

use crate::error::{MembershipError, ParseError};
use crate::format::check_tag;
use crate::identity::{BUNDLE_LEN, Fingerprint, MemberPublicBundle, MemberSecretKey};
use crate::keys::WorkspaceId;
use crate::membership::history::KEY_CHECK_LEN;
use crate::membership::invite::{ACCEPTANCE_LEN, Acceptance, INVITE_NONCE_LEN};
use crate::primitives::{labels, sha256};

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
        check_tag(bytes, ENTRY_TAG, ENTRY_VERSION, "log entry")?;
        if bytes.len() < ENTRY_HEADER_LEN + SIGNATURE_LEN {
            return Err(ParseError::Length {
                what: "log entry",
                expected: "at least 161",
                got: bytes.len(),
            }
            .into());
        }
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
            encoded: bytes.to_vec(),
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
        sha256(&[labels::LOG_ENTRY_HASH, &self.encoded])
    }

    /// The encoded entry, as stored by the server.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// The entry's position in the log (the genesis entry is 0).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    fn verify_signature(&self, signer: &MemberPublicBundle) -> Result<(), MembershipError> {
        let split = self.encoded.len() - SIGNATURE_LEN;
        let (signed, signature) = self.encoded.split_at(split);
        let signature =
            Signature::from_slice(signature).map_err(|_| MembershipError::BadSignature)?;
        let mut message = labels::LOG_ENTRY_SIGNATURE.to_vec();
        message.extend_from_slice(signed);
        signer
            .verifying_key()
            .verify_strict(&message, &signature)
            .map_err(|_| MembershipError::BadSignature)
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
}

/// A member as the log describes it.
pub struct MemberRecord {
    bundle: MemberPublicBundle,
    role: Role,
    active: bool,
}

impl MemberRecord {
    /// The member's bundle.
    pub fn bundle(&self) -> &MemberPublicBundle {
        &self.bundle
    }

    /// The member's role.
    pub fn role(&self) -> Role {
        self.role
    }
}

struct InviteRecord {
    invite_id: [u8; 32],
    inviter_id: [u8; ID],
    nonce: [u8; INVITE_NONCE_LEN],
    role: Role,
    expires_at: u64,
    used_by: Option<[u8; ID]>,
}

/// Every member the log ever admitted, by id: a vector kept sorted, searched by bisection.
/// (A `BTreeMap` would do the same with kilobytes more wasm.)
#[derive(Default)]
struct Roster(Vec<([u8; ID], MemberRecord)>);

impl Roster {
    fn position(&self, id: &[u8; ID]) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(id))
    }

    fn get(&self, id: &[u8; ID]) -> Option<&MemberRecord> {
        let i = self.position(id).ok()?;
        self.0.get(i).map(|(_, m)| m)
    }

    fn get_mut(&mut self, id: &[u8; ID]) -> Option<&mut MemberRecord> {
        let i = self.position(id).ok()?;
        self.0.get_mut(i).map(|(_, m)| m)
    }

    fn contains_key(&self, id: &[u8; ID]) -> bool {
        self.position(id).is_ok()
    }

    /// Inserts or replaces the record of `id`.
    fn insert(&mut self, id: [u8; ID], record: MemberRecord) {
        match self.position(&id) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = record;
                }
            }
            Err(i) => self.0.insert(i, (id, record)),
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8; ID], &MemberRecord)> {
        self.0.iter().map(|(k, m)| (k, m))
    }
}

/// A verified membership log and the roster it defines.
pub struct MembershipLog {
    workspace_id: WorkspaceId,
    entries: Vec<LogEntry>,
    members: Roster,
    /// Member ids in order of admission, for listing.
    order: Vec<[u8; ID]>,
    /// Invites in log order. Vectors and linear search rather than more B-tree types: each
    /// generic collection adds kilobytes to the wasm (a thousand invites search in microseconds).
    invites: Vec<InviteRecord>,
    /// Key check per epoch, indexed by epoch.
    key_checks: Vec<[u8; KEY_CHECK_LEN]>,
    /// For each epoch, every member who was an admin at some point during it: the members
    /// entitled to grant that epoch's key.
    epoch_admins: Vec<Vec<[u8; ID]>>,
}

impl MembershipLog {
    /// Replays and verifies a whole log from its genesis entry (FORMAT.md#verifying-a-log).
    ///
    /// # Errors
    /// The first rule an entry breaks, as a [`MembershipError`].
    pub fn verify<E: AsRef<[u8]>>(entries: &[E]) -> Result<Self, MembershipError> {
        let mut iter = entries.iter();
        let genesis = iter.next().ok_or(ParseError::Length {
            what: "membership log",
            expected: "at least 1 entry",
            got: 0,
        })?;
        let mut log = Self::from_genesis(LogEntry::parse(genesis.as_ref())?)?;
        for bytes in iter {
            log.apply(LogEntry::parse(bytes.as_ref())?)?;
        }
        Ok(log)
    }

    fn from_genesis(entry: LogEntry) -> Result<Self, MembershipError> {
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
        entry.verify_signature(bundle)?;
        let mut members = Roster::default();
        members.insert(
            creator_id,
            MemberRecord {
                bundle: (**bundle).clone(),
                role: Role::Admin,
                active: true,
            },
        );
        Ok(Self {
            workspace_id: entry.workspace_id,
            key_checks: vec![*key_check],
            epoch_admins: vec![vec![creator_id]],
            members,
            order: vec![creator_id],
            invites: Vec::new(),
            entries: vec![entry],
        })
    }

    /// Checks one entry against the log so far and applies it (FORMAT.md#verifying-a-log).
    fn apply(&mut self, entry: LogEntry) -> Result<(), MembershipError> {
        let expected_seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        let prev_hash = self.entries.last().map(LogEntry::hash).unwrap_or_default();
        if entry.seq != expected_seq
            || entry.prev_hash != prev_hash
            || entry.workspace_id != self.workspace_id
        {
            return Err(MembershipError::BrokenChain { seq: expected_seq });
        }
        let signer = self
            .members
            .get(&entry.signer_id)
            .filter(|m| m.active)
            .ok_or(MembershipError::UnknownSigner)?;
        entry.verify_signature(&signer.bundle)?;
        if signer.role != Role::Admin {
            return Err(MembershipError::NotAuthorized);
        }
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
                if self.find_invite(invite_id).is_some() {
                    return Err(MembershipError::InviteUsed);
                }
                if *expires_at <= entry.time || *expires_at - entry.time > MAX_INVITE_SECONDS {
                    return Err(ParseError::Field {
                        what: "invite expiry",
                    }
                    .into());
                }
                self.invites.push(InviteRecord {
                    invite_id: *invite_id,
                    inviter_id: entry.signer_id,
                    nonce: *nonce,
                    role: *role,
                    expires_at: *expires_at,
                    used_by: None,
                });
            }
            EntryBody::Admit { acceptance } => {
                let bundle = acceptance.bundle().clone();
                let member_id = bundle.fingerprint().id();
                let role = self.check_admission(acceptance, entry.signer_id, entry.time)?;
                let invite_id = acceptance.invite_id();
                if let Some(invite) = self.invites.iter_mut().find(|i| i.invite_id == invite_id) {
                    invite.used_by = Some(member_id);
                }
                if !self.members.contains_key(&member_id) {
                    self.order.push(member_id);
                }
                self.members.insert(
                    member_id,
                    MemberRecord {
                        bundle,
                        role,
                        active: true,
                    },
                );
                if role == Role::Admin {
                    self.add_epoch_admin(member_id)?;
                }
            }
            EntryBody::Remove {
                member_id,
                epoch,
                key_check,
            } => {
                let target = self.active_member(member_id)?;
                if target.role == Role::Admin && self.active_admins().count() < 2 {
                    return Err(MembershipError::LastAdmin);
                }
                if let Some(m) = self.members.get_mut(member_id) {
                    m.active = false;
                }
                self.start_epoch(*epoch, *key_check, expected_seq)?;
            }
            EntryBody::SetRole { member_id, role } => {
                let target = self.active_member(member_id)?;
                if target.role == Role::Admin
                    && *role != Role::Admin
                    && self.active_admins().count() < 2
                {
                    return Err(MembershipError::LastAdmin);
                }
                if let Some(m) = self.members.get_mut(member_id) {
                    m.role = *role;
                }
                if *role == Role::Admin {
                    self.add_epoch_admin(*member_id)?;
                }
            }
            EntryBody::Rotate { epoch, key_check } => {
                self.start_epoch(*epoch, *key_check, expected_seq)?;
            }
        }
        self.entries.push(entry);
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
            .find_invite(&acceptance.invite_id())
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

    fn start_epoch(
        &mut self,
        epoch: u32,
        key_check: [u8; KEY_CHECK_LEN],
        seq: u32,
    ) -> Result<(), MembershipError> {
        if Some(epoch) != self.epoch().checked_add(1) {
            return Err(MembershipError::BrokenChain { seq });
        }
        self.key_checks.push(key_check);
        let mut admins = Vec::new();
        for (id, _) in self.active_admins() {
            admins.push(*id);
        }
        self.epoch_admins.push(admins);
        Ok(())
    }

    fn add_epoch_admin(&mut self, id: [u8; ID]) -> Result<(), MembershipError> {
        let admins = self
            .epoch_admins
            .last_mut()
            .ok_or(MembershipError::UnknownEpoch { epoch: 0 })?;
        if !admins.contains(&id) {
            admins.push(id);
        }
        Ok(())
    }

    fn find_invite(&self, invite_id: &[u8; 32]) -> Option<&InviteRecord> {
        self.invites.iter().find(|i| i.invite_id == *invite_id)
    }

    fn active_member(&self, id: &[u8; ID]) -> Result<&MemberRecord, MembershipError> {
        self.members
            .get(id)
            .filter(|m| m.active)
            .ok_or(MembershipError::NotAMember)
    }

    fn active_admins(&self) -> impl Iterator<Item = (&[u8; ID], &MemberRecord)> {
        self.members
            .iter()
            .filter(|(_, m)| m.active && m.role == Role::Admin)
    }

    /// Appends a new entry signed by `signer`, checked by the same rules as a replayed one.
    pub(crate) fn append(
        &mut self,
        signer: &MemberSecretKey,
        time: u64,
        body: EntryBody,
    ) -> Result<&LogEntry, MembershipError> {
        let seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        let prev = self.entries.last().map(LogEntry::hash).unwrap_or_default();
        let entry = LogEntry::sign(signer, self.workspace_id, seq, prev, time, body);
        self.apply(entry)?;
        self.entries.last().ok_or(MembershipError::NoMembershipLog)
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
        Self::from_genesis(LogEntry::sign(
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
        if pinned.workspace_id != self.workspace_id {
            return Err(MembershipError::WrongWorkspace);
        }
        let entry = usize::try_from(pinned.seq)
            .ok()
            .and_then(|i| self.entries.get(i))
            .ok_or(MembershipError::RollbackDetected)?;
        if entry.hash() == pinned.hash {
            Ok(())
        } else {
            Err(MembershipError::ForkDetected)
        }
    }

    /// The head: the last entry's seq and hash.
    pub fn head(&self) -> Head {
        let last = self.entries.last();
        Head {
            workspace_id: self.workspace_id,
            seq: last.map_or(0, |e| e.seq),
            hash: last.map(LogEntry::hash).unwrap_or_default(),
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

    /// The entries, oldest first.
    pub fn entries(&self) -> &[LogEntry] {
        &self.entries
    }

    /// The current members, in order of admission.
    pub fn members(&self) -> impl Iterator<Item = &MemberRecord> {
        self.order
            .iter()
            .filter_map(|id| self.members.get(id))
            .filter(|m| m.active)
    }

    /// Whether `id` is a current member.
    pub fn is_active(&self, id: &[u8; ID]) -> bool {
        self.members.get(id).is_some_and(|m| m.active)
    }

    /// The current record of member `id`, if it is a current member.
    pub fn member(&self, id: &[u8; ID]) -> Option<&MemberRecord> {
        self.members.get(id).filter(|m| m.active)
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
    ) -> Result<&MemberPublicBundle, MembershipError> {
        let admins = usize::try_from(epoch)
            .ok()
            .and_then(|e| self.epoch_admins.get(e))
            .ok_or(MembershipError::UnknownEpoch { epoch })?;
        let record = self
            .members
            .get(granter_id)
            .ok_or(MembershipError::UnknownSigner)?;
        if admins.contains(granter_id) {
            Ok(&record.bundle)
        } else {
            Err(MembershipError::NotAuthorized)
        }
    }

    /// Whether any entry is signed by `id`: such a log's prefix up to that entry is one
    /// the member itself endorsed (FORMAT.md#trust-anchors).
    pub(crate) fn has_entry_signed_by(&self, id: &[u8; ID]) -> bool {
        self.entries.iter().any(|e| e.signer_id == *id)
    }

    /// Whether the log holds an invite with this id that nobody has used and that has not
    /// expired at `now` (Unix seconds): one an invitee may still answer. A storage server
    /// uses it to accept acceptances only for open invites.
    pub fn invite_is_open(&self, invite_id: &[u8; 32], now: u64) -> bool {
        self.find_invite(invite_id)
            .is_some_and(|i| i.used_by.is_none() && now <= i.expires_at)
    }

    /// The invite with this id: its inviter, its nonce, and who used it.
    pub(crate) fn invite(&self, invite_id: &[u8; 32]) -> Option<InviteView> {
        self.find_invite(invite_id).map(|i| InviteView {
            inviter_id: i.inviter_id,
            nonce: i.nonce,
            expires_at: i.expires_at,
            used_by: i.used_by,
        })
    }
}

/// What [`MembershipLog::invite`] reports about an invite.
pub(crate) struct InviteView {
    pub(crate) inviter_id: [u8; ID],
    pub(crate) nonce: [u8; INVITE_NONCE_LEN],
    pub(crate) expires_at: u64,
    pub(crate) used_by: Option<[u8; ID]>,
}

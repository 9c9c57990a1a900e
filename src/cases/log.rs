//! A case's log: who is on the case at which level, and the key checks of its epochs
//! (docs/FORMAT.md#case-log). Every entry is signed by a member of the workspace, names the
//! workspace seq it was written under, and is checked against the workspace's verified
//! membership log: the server can add no one, raise no level and forge no epoch.

use std::collections::BTreeMap;

use ed25519_dalek::Signature;

use crate::error::{MembershipError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberSecretKey};
use crate::keys::{CaseId, Level, WorkspaceId};
use crate::limits::{MAX_CASE_LOG_BYTES, MAX_CASE_LOG_ENTRIES};
use crate::membership::MembershipLog;
use crate::primitives::{labels, sha256};

const ID: usize = Fingerprint::ID_LEN;
const ENTRY_TAG: &[u8; 3] = b"CFC";
const ENTRY_VERSION: u8 = 1;
/// `tag || version || workspace id || case id || seq || previous hash || signer id ||
/// workspace seq || time || kind`.
pub const CASE_ENTRY_HEADER_LEN: usize =
    4 + WorkspaceId::LEN + CaseId::LEN + 4 + 32 + ID + 4 + 8 + 1;
const SIGNATURE_LEN: usize = 64;
/// Key checks of an epoch: the full key's, then the summary key's.
pub const CASE_KEY_CHECKS_LEN: usize = 64;

/// What a case entry does (FORMAT.md#case-entry-kinds).
#[derive(Clone, Copy)]
pub(crate) enum CaseEntryBody {
    /// Kind 1: the case's first entry; its signer is its first full member, epoch 0 starts.
    Create {
        retention_until: u64,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    },
    /// Kind 2: a workspace member joins the case; a new epoch starts.
    Add {
        member_id: [u8; ID],
        level: Level,
        epoch: u32,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    },
    /// Kind 3: a member leaves the case; a new epoch starts.
    Remove {
        member_id: [u8; ID],
        epoch: u32,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    },
    /// Kind 4: a member's level changes; a new epoch starts.
    SetLevel {
        member_id: [u8; ID],
        level: Level,
        epoch: u32,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    },
    /// Kind 5: a new epoch, nobody added or removed.
    Rotate {
        epoch: u32,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    },
    /// Kind 6: a current member may be granted the keys of epochs from `from_epoch` on,
    /// at its level: history as an explicit grant.
    ShareHistory {
        member_id: [u8; ID],
        from_epoch: u32,
    },
    /// Kind 7: the date before which the case may not be deleted (0: none).
    SetRetention { retention_until: u64 },
    /// Kind 8: the case is deleted; nothing follows.
    Delete,
}

impl CaseEntryBody {
    fn kind(&self) -> u8 {
        match self {
            Self::Create { .. } => 1,
            Self::Add { .. } => 2,
            Self::Remove { .. } => 3,
            Self::SetLevel { .. } => 4,
            Self::Rotate { .. } => 5,
            Self::ShareHistory { .. } => 6,
            Self::SetRetention { .. } => 7,
            Self::Delete => 8,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Create {
                retention_until,
                checks,
            } => {
                out.extend_from_slice(&retention_until.to_be_bytes());
                out.extend_from_slice(checks);
            }
            Self::Add {
                member_id,
                level,
                epoch,
                checks,
            }
            | Self::SetLevel {
                member_id,
                level,
                epoch,
                checks,
            } => {
                out.extend_from_slice(member_id);
                out.push(level.to_byte());
                out.extend_from_slice(&epoch.to_be_bytes());
                out.extend_from_slice(checks);
            }
            Self::Remove {
                member_id,
                epoch,
                checks,
            } => {
                out.extend_from_slice(member_id);
                out.extend_from_slice(&epoch.to_be_bytes());
                out.extend_from_slice(checks);
            }
            Self::Rotate { epoch, checks } => {
                out.extend_from_slice(&epoch.to_be_bytes());
                out.extend_from_slice(checks);
            }
            Self::ShareHistory {
                member_id,
                from_epoch,
            } => {
                out.extend_from_slice(member_id);
                out.extend_from_slice(&from_epoch.to_be_bytes());
            }
            Self::SetRetention { retention_until } => {
                out.extend_from_slice(&retention_until.to_be_bytes());
            }
            Self::Delete => {}
        }
    }

    fn parse(kind: u8, body: &[u8]) -> Result<Self, ParseError> {
        let expected = match kind {
            1 => 8 + CASE_KEY_CHECKS_LEN,
            2 | 4 => ID + 1 + 4 + CASE_KEY_CHECKS_LEN,
            3 => ID + 4 + CASE_KEY_CHECKS_LEN,
            5 => 4 + CASE_KEY_CHECKS_LEN,
            6 => ID + 4,
            7 => 8,
            8 => 0,
            _ => {
                return Err(ParseError::Field {
                    what: "case entry kind",
                });
            }
        };
        if body.len() != expected {
            return Err(ParseError::Length {
                what: "case entry body",
                expected: "the length its kind defines",
                got: body.len(),
            });
        }
        let mut r = Reader(body);
        Ok(match kind {
            1 => Self::Create {
                retention_until: u64::from_be_bytes(r.array()?),
                checks: r.array()?,
            },
            2 => Self::Add {
                member_id: r.array()?,
                level: Level::from_byte(r.byte()?)?,
                epoch: u32::from_be_bytes(r.array()?),
                checks: r.array()?,
            },
            3 => Self::Remove {
                member_id: r.array()?,
                epoch: u32::from_be_bytes(r.array()?),
                checks: r.array()?,
            },
            4 => Self::SetLevel {
                member_id: r.array()?,
                level: Level::from_byte(r.byte()?)?,
                epoch: u32::from_be_bytes(r.array()?),
                checks: r.array()?,
            },
            5 => Self::Rotate {
                epoch: u32::from_be_bytes(r.array()?),
                checks: r.array()?,
            },
            6 => Self::ShareHistory {
                member_id: r.array()?,
                from_epoch: u32::from_be_bytes(r.array()?),
            },
            7 => Self::SetRetention {
                retention_until: u64::from_be_bytes(r.array()?),
            },
            _ => Self::Delete,
        })
    }

    /// The new epoch and its key checks, for the kinds that start one.
    fn new_epoch(&self) -> Option<(u32, [u8; CASE_KEY_CHECKS_LEN])> {
        match self {
            Self::Add { epoch, checks, .. }
            | Self::Remove { epoch, checks, .. }
            | Self::SetLevel { epoch, checks, .. }
            | Self::Rotate { epoch, checks } => Some((*epoch, *checks)),
            _ => None,
        }
    }
}

/// A cursor over a slice whose total length was checked already.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        if self.0.len() < N {
            return Err(ParseError::Field { what: "case entry" });
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        head.try_into()
            .map_err(|_| ParseError::Field { what: "case entry" })
    }

    fn byte(&mut self) -> Result<u8, ParseError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }
}

/// What one case entry changes, by kind (FORMAT.md#case-entry-kinds), without its key
/// checks or signature: [`CaseEntry::change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaseEntryChange {
    /// Kind 1: the case is created; its signer is its first full member, in epoch 0.
    Create {
        /// The date before which the case cannot be deleted (0: none).
        retention_until: u64,
    },
    /// Kind 2: a member of the workspace joins the case; a new epoch starts.
    Add {
        /// The member added.
        member_id: [u8; ID],
        /// Its level.
        level: Level,
        /// The new epoch.
        epoch: u32,
    },
    /// Kind 3: a member leaves the case; a new epoch starts.
    Remove {
        /// The member removed.
        member_id: [u8; ID],
        /// The new epoch.
        epoch: u32,
    },
    /// Kind 4: a member's level changes; a new epoch starts.
    SetLevel {
        /// The member.
        member_id: [u8; ID],
        /// Its new level.
        level: Level,
        /// The new epoch.
        epoch: u32,
    },
    /// Kind 5: a new epoch, nobody added or removed.
    Rotate {
        /// The new epoch.
        epoch: u32,
    },
    /// Kind 6: a current member may be granted earlier epochs' keys.
    ShareHistory {
        /// The member.
        member_id: [u8; ID],
        /// The first epoch shared.
        from_epoch: u32,
    },
    /// Kind 7: the retention date changes.
    SetRetention {
        /// The new date (0: none).
        retention_until: u64,
    },
    /// Kind 8: the case is deleted.
    Delete,
}

/// One parsed case entry (FORMAT.md#case-log-entry). Parsing checks structure only;
/// [`CaseLog`] checks the chain, the signer and the rules.
pub struct CaseEntry {
    encoded: Vec<u8>,
    workspace_id: WorkspaceId,
    case_id: CaseId,
    seq: u32,
    prev_hash: [u8; 32],
    signer_id: [u8; ID],
    workspace_seq: u32,
    time: u64,
    body: CaseEntryBody,
}

impl CaseEntry {
    /// Parses an entry (FORMAT.md#case-log-entry), taking its bytes.
    pub(crate) fn from_vec(encoded: Vec<u8>) -> Result<Self, ParseError> {
        let bytes = encoded.as_slice();
        check_tag(bytes, ENTRY_TAG, ENTRY_VERSION, "case entry")?;
        if bytes.len() < CASE_ENTRY_HEADER_LEN + SIGNATURE_LEN {
            return Err(ParseError::Length {
                what: "case entry",
                expected: "at least 181",
                got: bytes.len(),
            });
        }
        let mut r = Reader(bytes.get(4..).unwrap_or_default());
        let workspace_id = WorkspaceId::from_bytes(r.array()?);
        let case_id = CaseId::from_bytes(r.array()?);
        let seq = u32::from_be_bytes(r.array()?);
        let prev_hash = r.array()?;
        let signer_id = r.array()?;
        let workspace_seq = u32::from_be_bytes(r.array()?);
        let time = u64::from_be_bytes(r.array()?);
        let kind = r.byte()?;
        let body = bytes
            .get(CASE_ENTRY_HEADER_LEN..bytes.len() - SIGNATURE_LEN)
            .ok_or(ParseError::Field { what: "case entry" })?;
        let body = CaseEntryBody::parse(kind, body)?;
        Ok(Self {
            encoded,
            workspace_id,
            case_id,
            seq,
            prev_hash,
            signer_id,
            workspace_seq,
            time,
            body,
        })
    }

    /// Parses an entry (FORMAT.md#case-log-entry): what a storage server reads to route and
    /// index an entry before [`CaseLog::push`] verifies it.
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion` for bytes that are not a version-1 case entry.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_vec(bytes.to_vec())
    }

    /// The workspace the entry names.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The case the entry names.
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The entry's position in its case log (the create entry is 0).
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The member id of the signer (not verified until the entry is pushed).
    pub fn signer_id(&self) -> [u8; ID] {
        self.signer_id
    }

    /// The seq of the workspace log entry whose state the signer wrote under.
    pub fn workspace_seq(&self) -> u32 {
        self.workspace_seq
    }

    /// The time the signer claims, in Unix seconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// What the entry changes (FORMAT.md#case-entry-kinds): what a storage server indexes
    /// so it can answer "is this caller on the case, at which level?" without a replay. The
    /// change holds once [`CaseLog::push`] accepts the entry.
    pub fn change(&self) -> CaseEntryChange {
        match self.body {
            CaseEntryBody::Create {
                retention_until, ..
            } => CaseEntryChange::Create { retention_until },
            CaseEntryBody::Add {
                member_id,
                level,
                epoch,
                ..
            } => CaseEntryChange::Add {
                member_id,
                level,
                epoch,
            },
            CaseEntryBody::Remove {
                member_id, epoch, ..
            } => CaseEntryChange::Remove { member_id, epoch },
            CaseEntryBody::SetLevel {
                member_id,
                level,
                epoch,
                ..
            } => CaseEntryChange::SetLevel {
                member_id,
                level,
                epoch,
            },
            CaseEntryBody::Rotate { epoch, .. } => CaseEntryChange::Rotate { epoch },
            CaseEntryBody::ShareHistory {
                member_id,
                from_epoch,
            } => CaseEntryChange::ShareHistory {
                member_id,
                from_epoch,
            },
            CaseEntryBody::SetRetention { retention_until } => {
                CaseEntryChange::SetRetention { retention_until }
            }
            CaseEntryBody::Delete => CaseEntryChange::Delete,
        }
    }

    /// Encodes and signs an entry.
    #[allow(clippy::too_many_arguments)] // the fields of the header, in order
    fn sign(
        signer: &MemberSecretKey,
        workspace_id: WorkspaceId,
        case_id: CaseId,
        seq: u32,
        prev_hash: [u8; 32],
        workspace_seq: u32,
        time: u64,
        body: CaseEntryBody,
    ) -> Self {
        let mut encoded = Vec::with_capacity(CASE_ENTRY_HEADER_LEN + 101 + SIGNATURE_LEN);
        encoded.extend_from_slice(ENTRY_TAG);
        encoded.push(ENTRY_VERSION);
        encoded.extend_from_slice(workspace_id.as_bytes());
        encoded.extend_from_slice(case_id.as_bytes());
        encoded.extend_from_slice(&seq.to_be_bytes());
        encoded.extend_from_slice(&prev_hash);
        let signer_id = signer.fingerprint().id();
        encoded.extend_from_slice(&signer_id);
        encoded.extend_from_slice(&workspace_seq.to_be_bytes());
        encoded.extend_from_slice(&time.to_be_bytes());
        encoded.push(body.kind());
        body.encode(&mut encoded);
        let signature = signer.sign(labels::CASE_ENTRY_SIGNATURE, &encoded);
        encoded.extend_from_slice(&signature.to_bytes());
        Self {
            encoded,
            workspace_id,
            case_id,
            seq,
            prev_hash,
            signer_id,
            workspace_seq,
            time,
            body,
        }
    }

    fn verify_signature(&self, key: &ed25519_dalek::VerifyingKey) -> Result<(), MembershipError> {
        let split = self.encoded.len() - SIGNATURE_LEN;
        let (signed, signature) = self.encoded.split_at(split);
        let signature =
            Signature::from_slice(signature).map_err(|_| MembershipError::BadSignature)?;
        let mut message = labels::CASE_ENTRY_SIGNATURE.to_vec();
        message.extend_from_slice(signed);
        key.verify_strict(&message, &signature)
            .map_err(|_| MembershipError::BadSignature)
    }
}

/// `SHA-256("confide/v1/case-entry-hash" || 0x00 || entry)`.
pub(crate) fn case_entry_hash(entry: &[u8]) -> [u8; 32] {
    sha256(&[labels::CASE_ENTRY_HASH, entry])
}

/// A member of a case, over its epochs.
struct CaseMember {
    /// The member's level while it is on the case, and the epoch it has held it from.
    current: Option<(Level, u32)>,
    /// Ended spans `[first, last]` of epochs and the level held through them.
    spans: Vec<(u32, u32, Level)>,
    /// Epochs from which it may be granted earlier keys, and at which level (kind 6).
    shares: Vec<(u32, Level)>,
}

impl CaseMember {
    /// The member's level during `epoch`, if it was on the case then.
    fn level_at(&self, epoch: u32) -> Option<Level> {
        if let Some((level, since)) = self.current
            && since <= epoch
        {
            return Some(level);
        }
        self.spans
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&epoch))
            .map(|(_, _, level)| *level)
    }

    /// Ends the current span at `last` and starts `level` (if any) at `last + 1`.
    fn change(&mut self, last: u32, next: Option<Level>) {
        if let Some((level, since)) = self.current.take()
            && since <= last
        {
            self.spans.push((since, last, level));
        }
        self.current = next.map(|l| (l, last.saturating_add(1)));
    }
}

/// A verified case log (FORMAT.md#verifying-a-case-log).
pub struct CaseLog {
    workspace_id: WorkspaceId,
    case_id: CaseId,
    entries: Vec<Vec<u8>>,
    total_bytes: usize,
    last_hash: [u8; 32],
    last_workspace_seq: u32,
    members: BTreeMap<[u8; ID], CaseMember>,
    /// Member ids in order of first admission to the case.
    order: Vec<[u8; ID]>,
    /// The key checks of each epoch.
    checks: Vec<[u8; CASE_KEY_CHECKS_LEN]>,
    retention_until: u64,
    deleted: bool,
}

impl CaseLog {
    /// Verifies a whole case log against the workspace's verified membership log.
    ///
    /// # Errors
    /// `LogTooLarge` past the limits (checked first); otherwise the first rule an entry
    /// breaks.
    pub fn verify(
        workspace: &MembershipLog,
        entries: Vec<Vec<u8>>,
    ) -> Result<Self, MembershipError> {
        check_case_log_limits(entries.len(), entries.iter().map(Vec::len))?;
        let mut iter = entries.into_iter();
        let first = iter.next().ok_or(ParseError::Length {
            what: "case log",
            expected: "at least 1 entry",
            got: 0,
        })?;
        let mut log = Self::start(workspace, CaseEntry::from_vec(first)?)?;
        for entry in iter {
            log.push(workspace, entry)?;
        }
        Ok(log)
    }

    fn start(workspace: &MembershipLog, entry: CaseEntry) -> Result<Self, MembershipError> {
        let CaseEntryBody::Create {
            retention_until,
            checks,
        } = entry.body
        else {
            return Err(ParseError::Field {
                what: "first case entry kind",
            }
            .into());
        };
        if entry.seq != 0 || entry.prev_hash != [0u8; 32] {
            return Err(MembershipError::BrokenChain { seq: entry.seq });
        }
        if entry.workspace_id != workspace.workspace_id() {
            return Err(MembershipError::WrongWorkspace);
        }
        check_signer_in_workspace(workspace, &entry)?;
        let mut members = BTreeMap::new();
        members.insert(
            entry.signer_id,
            CaseMember {
                current: Some((Level::Full, 0)),
                spans: Vec::new(),
                shares: Vec::new(),
            },
        );
        let last_hash = case_entry_hash(&entry.encoded);
        Ok(Self {
            workspace_id: entry.workspace_id,
            case_id: entry.case_id,
            order: vec![entry.signer_id],
            total_bytes: entry.encoded.len(),
            last_workspace_seq: entry.workspace_seq,
            entries: vec![entry.encoded],
            last_hash,
            members,
            checks: vec![checks],
            retention_until,
            deleted: false,
        })
    }

    /// Verifies one more entry and applies it; the log is unchanged if it fails.
    ///
    /// # Errors
    /// `LogTooLarge`, or the rule the entry breaks.
    pub fn push(
        &mut self,
        workspace: &MembershipLog,
        entry: Vec<u8>,
    ) -> Result<(), MembershipError> {
        if self.entries.len() >= MAX_CASE_LOG_ENTRIES
            || self.total_bytes.saturating_add(entry.len()) > MAX_CASE_LOG_BYTES
        {
            return Err(MembershipError::LogTooLarge);
        }
        self.apply(workspace, CaseEntry::from_vec(entry)?)
    }

    /// Every check first, then the change (FORMAT.md#verifying-a-case-log).
    fn apply(
        &mut self,
        workspace: &MembershipLog,
        entry: CaseEntry,
    ) -> Result<(), MembershipError> {
        let seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        if entry.seq != seq
            || entry.prev_hash != self.last_hash
            || entry.workspace_id != self.workspace_id
            || entry.case_id != self.case_id
        {
            return Err(MembershipError::BrokenChain { seq });
        }
        if self.deleted {
            return Err(MembershipError::CaseDeleted);
        }
        // Entries follow the workspace's log forward, never back.
        if entry.workspace_seq < self.last_workspace_seq {
            return Err(MembershipError::BrokenChain { seq });
        }
        check_signer_in_workspace(workspace, &entry)?;
        if self.level_of(&entry.signer_id) != Some(Level::Full) {
            return Err(MembershipError::NotAuthorized);
        }
        let epoch = self.epoch();
        if let Some((new_epoch, _)) = entry.body.new_epoch()
            && Some(new_epoch) != epoch.checked_add(1)
        {
            return Err(MembershipError::BrokenChain { seq });
        }
        match entry.body {
            CaseEntryBody::Create { .. } => {
                return Err(ParseError::Field {
                    what: "second create entry",
                }
                .into());
            }
            CaseEntryBody::Add {
                member_id, level, ..
            } => {
                if !workspace.was_member_at(&member_id, entry.workspace_seq) {
                    return Err(MembershipError::NotAMember);
                }
                if self.level_of(&member_id).is_some() {
                    return Err(MembershipError::AlreadyMember);
                }
                self.change_member(member_id, epoch, Some(level));
            }
            CaseEntryBody::Remove { member_id, .. } => {
                if member_id == entry.signer_id {
                    return Err(MembershipError::CannotRemoveSelf);
                }
                let level = self
                    .level_of(&member_id)
                    .ok_or(MembershipError::NotAMember)?;
                // The signer is a full member other than the removed one, so a full member
                // always remains; checked all the same, like the workspace's last admin.
                if level == Level::Full && self.full_count() < 2 {
                    return Err(MembershipError::LastHolder);
                }
                self.change_member(member_id, epoch, None);
            }
            CaseEntryBody::SetLevel {
                member_id, level, ..
            } => {
                let current = self
                    .level_of(&member_id)
                    .ok_or(MembershipError::NotAMember)?;
                if current == Level::Full && level != Level::Full && self.full_count() < 2 {
                    return Err(MembershipError::LastHolder);
                }
                self.change_member(member_id, epoch, Some(level));
            }
            CaseEntryBody::Rotate { .. } => {}
            CaseEntryBody::ShareHistory {
                member_id,
                from_epoch,
            } => {
                let level = self
                    .level_of(&member_id)
                    .ok_or(MembershipError::NotAMember)?;
                if from_epoch > epoch {
                    return Err(MembershipError::UnknownEpoch { epoch: from_epoch });
                }
                if let Some(m) = self.members.get_mut(&member_id) {
                    m.shares.push((from_epoch, level));
                }
            }
            CaseEntryBody::SetRetention { retention_until } => {
                self.retention_until = retention_until;
            }
            CaseEntryBody::Delete => {
                if entry.time < self.retention_until {
                    return Err(MembershipError::UnderRetention);
                }
                self.deleted = true;
            }
        }
        if let Some((_, checks)) = entry.body.new_epoch() {
            self.checks.push(checks);
        }
        self.last_workspace_seq = entry.workspace_seq;
        self.last_hash = case_entry_hash(&entry.encoded);
        self.total_bytes += entry.encoded.len();
        self.entries.push(entry.encoded);
        Ok(())
    }

    /// Moves `member_id` to `level` (or off the case) from the next epoch on.
    fn change_member(&mut self, member_id: [u8; ID], epoch: u32, level: Option<Level>) {
        match self.members.get_mut(&member_id) {
            Some(m) => m.change(epoch, level),
            None => {
                self.order.push(member_id);
                self.members.insert(
                    member_id,
                    CaseMember {
                        current: level.map(|l| (l, epoch.saturating_add(1))),
                        spans: Vec::new(),
                        shares: Vec::new(),
                    },
                );
            }
        }
    }

    fn full_count(&self) -> usize {
        self.members
            .values()
            .filter(|m| matches!(m.current, Some((Level::Full, _))))
            .take(2)
            .count()
    }

    /// Appends an entry signed by `signer`, checked like a replayed one.
    pub(crate) fn append(
        &mut self,
        workspace: &MembershipLog,
        signer: &MemberSecretKey,
        time: u64,
        body: CaseEntryBody,
    ) -> Result<&[u8], MembershipError> {
        let seq = u32::try_from(self.entries.len())
            .map_err(|_| ParseError::Field { what: "log length" })?;
        let entry = CaseEntry::sign(
            signer,
            self.workspace_id,
            self.case_id,
            seq,
            self.last_hash,
            workspace.head().seq(),
            time,
            body,
        );
        if self.entries.len() >= MAX_CASE_LOG_ENTRIES
            || self.total_bytes.saturating_add(entry.encoded.len()) > MAX_CASE_LOG_BYTES
        {
            return Err(MembershipError::LogTooLarge);
        }
        self.apply(workspace, entry)?;
        self.entries
            .last()
            .map(Vec::as_slice)
            .ok_or(MembershipError::NoMembershipLog)
    }

    /// The first entry of a new case.
    pub(crate) fn create(
        workspace: &MembershipLog,
        creator: &MemberSecretKey,
        case_id: CaseId,
        time: u64,
        retention_until: u64,
        checks: [u8; CASE_KEY_CHECKS_LEN],
    ) -> Result<Self, MembershipError> {
        let entry = CaseEntry::sign(
            creator,
            workspace.workspace_id(),
            case_id,
            0,
            [0u8; 32],
            workspace.head().seq(),
            time,
            CaseEntryBody::Create {
                retention_until,
                checks,
            },
        );
        Self::start(workspace, entry)
    }

    /// The workspace this case belongs to.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The case id.
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The current epoch.
    pub fn epoch(&self) -> u32 {
        u32::try_from(self.checks.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// The head: the last entry's seq and hash, to pin (FORMAT.md#case-head).
    pub fn head(&self) -> CaseHead {
        CaseHead {
            case_id: self.case_id,
            seq: u32::try_from(self.entries.len().saturating_sub(1)).unwrap_or(u32::MAX),
            hash: self.last_hash,
        }
    }

    /// The encoded entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.entries.iter().map(Vec::as_slice)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a verified case log has its create entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A member's current level on the case, if it is on the case.
    pub fn level_of(&self, id: &[u8; ID]) -> Option<Level> {
        self.members
            .get(id)
            .and_then(|m| m.current.map(|(level, _)| level))
    }

    /// The current members of the case and their levels, in order of first admission.
    pub fn members(&self) -> impl Iterator<Item = ([u8; ID], Level)> + '_ {
        self.order
            .iter()
            .filter_map(|id| self.level_of(id).map(|l| (*id, l)))
    }

    /// The members who hold the current epoch's keys but are no longer members of the
    /// workspace: the case must move to a new key before anything new is written.
    pub fn departed<'a>(
        &'a self,
        workspace: &'a MembershipLog,
    ) -> impl Iterator<Item = [u8; ID]> + 'a {
        self.members()
            .map(|(id, _)| id)
            .filter(|id| !workspace.is_active(id))
    }

    /// The date before which the case may not be deleted (0: none).
    pub fn retention_until(&self) -> u64 {
        self.retention_until
    }

    /// Whether the case is deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    pub(crate) fn checks(&self, epoch: u32) -> Result<&[u8; CASE_KEY_CHECKS_LEN], MembershipError> {
        usize::try_from(epoch)
            .ok()
            .and_then(|e| self.checks.get(e))
            .ok_or(MembershipError::UnknownEpoch { epoch })
    }

    /// Whether `member` may hold `level`'s keys of `epoch`: it was on the case at that level
    /// (or higher) then, or a share entry lets it have them (FORMAT.md#verifying-case-grants).
    pub(crate) fn entitled(&self, member: &[u8; ID], epoch: u32, level: Level) -> bool {
        let Some(m) = self.members.get(member) else {
            return false;
        };
        m.level_at(epoch).is_some_and(|l| l >= level)
            || m.shares
                .iter()
                .any(|(from, shared)| *from <= epoch && *shared >= level)
    }

    /// `id`'s level during `epoch`, if it was on the case then.
    pub(crate) fn level_at(&self, id: &[u8; ID], epoch: u32) -> Option<Level> {
        self.members.get(id).and_then(|m| m.level_at(epoch))
    }

    /// Whether `member` was on the case during `epoch` at `level` or higher.
    pub(crate) fn was_on_case(&self, member: &[u8; ID], epoch: u32, level: Level) -> bool {
        self.members
            .get(member)
            .and_then(|m| m.level_at(epoch))
            .is_some_and(|l| l >= level)
    }

    /// Whether `member` held the full keys of `epoch`, and so may grant them.
    pub(crate) fn may_grant(&self, member: &[u8; ID], epoch: u32) -> bool {
        self.members
            .get(member)
            .and_then(|m| m.level_at(epoch))
            .is_some_and(|l| l == Level::Full)
    }
}

/// A position in a case log, remembered by a client (FORMAT.md#case-head): 16-byte case id,
/// `u32` seq, 32-byte entry hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseHead {
    case_id: CaseId,
    seq: u32,
    hash: [u8; 32],
}

impl CaseHead {
    /// Length of an encoded case head.
    pub const LEN: usize = CaseId::LEN + 4 + 32;

    /// `case id || u32(seq) || entry hash`.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        let (id, rest) = out.split_at_mut(CaseId::LEN);
        let (seq, hash) = rest.split_at_mut(4);
        id.copy_from_slice(self.case_id.as_bytes());
        seq.copy_from_slice(&self.seq.to_be_bytes());
        hash.copy_from_slice(&self.hash);
        out
    }

    /// Unpadded base64url of [`CaseHead::to_bytes`].
    pub fn to_base64url(&self) -> String {
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::encode_string(&self.to_bytes())
    }

    /// Parses the unpadded base64url form.
    ///
    /// # Errors
    /// [`ParseError`] unless it decodes to exactly 52 bytes.
    pub fn from_base64url(text: &str) -> Result<Self, ParseError> {
        use base64ct::{Base64UrlUnpadded, Encoding};
        let mut buf = [0u8; Self::LEN];
        let decoded = Base64UrlUnpadded::decode(text.trim(), &mut buf)
            .map_err(|_| ParseError::Field { what: "case head" })?;
        if decoded.len() != Self::LEN {
            return Err(ParseError::Length {
                what: "case head",
                expected: "exactly 52 decoded bytes",
                got: decoded.len(),
            });
        }
        let mut r = Reader(&buf);
        Ok(Self {
            case_id: CaseId::from_bytes(r.array()?),
            seq: u32::from_be_bytes(r.array()?),
            hash: r.array()?,
        })
    }

    /// The case it belongs to.
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The seq of the entry it points at.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// The case entry hash of the entry it points at (FORMAT.md#case-log-entry).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}

/// FORMAT.md#case-head on raw entries, before any is verified.
pub(crate) fn check_pinned_case_head(
    case_id: CaseId,
    entries: &[Vec<u8>],
    pinned: &CaseHead,
) -> Result<(), MembershipError> {
    use subtle::ConstantTimeEq;
    if pinned.case_id != case_id {
        return Err(MembershipError::WrongCase);
    }
    let entry = usize::try_from(pinned.seq)
        .ok()
        .and_then(|i| entries.get(i))
        .ok_or(MembershipError::RollbackDetected)?;
    if bool::from(case_entry_hash(entry).ct_eq(&pinned.hash)) {
        Ok(())
    } else {
        Err(MembershipError::ForkDetected)
    }
}

/// The case id of a raw entry, `entry[20:36]`, if it is long enough.
pub(crate) fn raw_case_id(entry: &[u8]) -> Option<CaseId> {
    entry
        .get(20..36)
        .and_then(|b| b.try_into().ok())
        .map(CaseId::from_bytes)
}

/// FORMAT.md#limits for case logs.
///
/// # Errors
/// `LogTooLarge`.
pub fn check_case_log_limits(
    count: usize,
    lengths: impl IntoIterator<Item = usize>,
) -> Result<(), MembershipError> {
    if count > MAX_CASE_LOG_ENTRIES {
        return Err(MembershipError::LogTooLarge);
    }
    let mut total = 0usize;
    for len in lengths {
        total = total.saturating_add(len);
        if total > MAX_CASE_LOG_BYTES {
            return Err(MembershipError::LogTooLarge);
        }
    }
    Ok(())
}

/// The signer of a case entry must have been a member of the workspace in the state the
/// entry names, which the reader's log must already have, and its signature must verify.
fn check_signer_in_workspace(
    workspace: &MembershipLog,
    entry: &CaseEntry,
) -> Result<(), MembershipError> {
    if entry.workspace_seq > workspace.head().seq() {
        return Err(MembershipError::WorkspaceOutOfDate);
    }
    if !workspace.was_member_at(&entry.signer_id, entry.workspace_seq) {
        return Err(MembershipError::UnknownSigner);
    }
    let key = workspace
        .verifying_key(&entry.signer_id)
        .ok_or(MembershipError::UnknownSigner)?;
    entry.verify_signature(key)
}

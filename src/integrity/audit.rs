//! A case's audit trail (docs/FORMAT.md#audit-trail): a hash-chained log of signed entries
//! whose bodies are sealed under the case's summary key, so the server learns nothing new
//! from it and every member of the case can read and verify it.

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::cases::CaseLog;
use crate::error::{IntegrityError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberSecretKey};
use crate::keys::{CaseId, ContentKey, Level, WorkspaceId};
use crate::membership::MembershipLog;
use crate::primitives::{labels, sha256};
use crate::record::{self, ContentType, RecordContext, RecordHeader, RecordScope, RecordVersion};

use super::revision::{check_state, verify_signature};

const ID: usize = Fingerprint::ID_LEN;
const TAG: &[u8; 3] = b"CFT";
const VERSION: u8 = 0x01;
/// Bytes before the sealed body.
pub const AUDIT_HEADER_LEN: usize =
    4 + WorkspaceId::LEN + CaseId::LEN + 4 + 32 + ID + 4 + 4 + 8 + 4;
/// Entries in one audit trail a client verifies (FORMAT.md#limits).
pub const MAX_AUDIT_ENTRIES: usize = 100_000;
/// Bytes of one audit trail a client verifies.
pub const MAX_AUDIT_BYTES: usize = 64 << 20;
/// Bytes of one audit entry.
pub const MAX_AUDIT_ENTRY_LEN: usize = 4096;
/// Bytes of an event's note.
pub const MAX_NOTE_LEN: usize = 1024;
/// The record id every audit body is bound to; its field is the entry's seq in decimal.
const BODY_RECORD_ID: &str = "confide-audit";

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// A record's first revision.
    Create,
    /// A later revision.
    Edit,
    /// A deletion (tombstone revision).
    Delete,
    /// A sign-off of a revision.
    SignOff,
    /// Earlier epochs shared with a member of the case.
    Share,
    /// Records exported out of Confide (a report, a download).
    Export,
    /// A change of who is on the case, or at which level.
    Membership,
}

impl AuditAction {
    fn to_byte(self) -> u8 {
        match self {
            Self::Create => 1,
            Self::Edit => 2,
            Self::Delete => 3,
            Self::SignOff => 4,
            Self::Share => 5,
            Self::Export => 6,
            Self::Membership => 7,
        }
    }

    fn from_byte(b: u8) -> Result<Self, ParseError> {
        Ok(match b {
            1 => Self::Create,
            2 => Self::Edit,
            3 => Self::Delete,
            4 => Self::SignOff,
            5 => Self::Share,
            6 => Self::Export,
            7 => Self::Membership,
            _ => {
                return Err(ParseError::Field {
                    what: "audit action",
                });
            }
        })
    }

    /// The action's name in reports: `create`, `edit`, `delete`, `sign-off`, `share`,
    /// `export`, `membership`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::SignOff => "sign-off",
            Self::Share => "share",
            Self::Export => "export",
            Self::Membership => "membership",
        }
    }
}

/// An audit event: the body of an entry (FORMAT.md#audit-body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// What happened.
    pub action: AuditAction,
    /// The record id it concerns; empty for none.
    pub record_id: String,
    /// The field it concerns; empty for none.
    pub field: String,
    /// The revision it concerns; 0 for none.
    pub revision_number: u32,
    /// That revision's hash; zeros for none.
    pub revision_hash: [u8; 32],
    /// Free text, at most 1024 bytes (e.g. "CSV report", a member's id).
    pub note: String,
}

impl AuditEvent {
    fn encode(&self) -> Result<Zeroizing<Vec<u8>>, IntegrityError> {
        let too_long = |what| ParseError::Field { what };
        if self.record_id.len() > 255 || self.field.len() > 255 {
            return Err(too_long("audit record id or field").into());
        }
        if self.note.len() > MAX_NOTE_LEN {
            return Err(too_long("audit note").into());
        }
        let mut b = Zeroizing::new(Vec::with_capacity(
            1 + 4 + 32 + 6 + self.record_id.len() + self.field.len() + self.note.len(),
        ));
        b.push(self.action.to_byte());
        b.extend_from_slice(&self.revision_number.to_be_bytes());
        b.extend_from_slice(&self.revision_hash);
        for text in [&self.record_id, &self.field, &self.note] {
            let len = u16::try_from(text.len()).map_err(|_| too_long("audit text"))?;
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(text.as_bytes());
        }
        Ok(b)
    }

    fn decode(bytes: &[u8]) -> Result<Self, ParseError> {
        let bad = || ParseError::Field { what: "audit body" };
        let (&action, rest) = bytes.split_first().ok_or_else(bad)?;
        let (number, rest) = rest.split_at_checked(4).ok_or_else(bad)?;
        let (hash, mut rest) = rest.split_at_checked(32).ok_or_else(bad)?;
        let mut texts = Vec::with_capacity(3);
        for max in [255, 255, MAX_NOTE_LEN] {
            let (len, r) = rest.split_at_checked(2).ok_or_else(bad)?;
            let len = usize::from(u16::from_be_bytes(len.try_into().map_err(|_| bad())?));
            if len > max {
                return Err(bad());
            }
            let (text, r) = r.split_at_checked(len).ok_or_else(bad)?;
            texts.push(String::from_utf8(text.to_vec()).map_err(|_| bad())?);
            rest = r;
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        let [record_id, field, note]: [String; 3] = texts.try_into().map_err(|_| bad())?;
        Ok(Self {
            action: AuditAction::from_byte(action)?,
            revision_number: u32::from_be_bytes(number.try_into().map_err(|_| bad())?),
            revision_hash: hash.try_into().map_err(|_| bad())?,
            record_id,
            field,
            note,
        })
    }
}

/// One verified audit entry: who, when, and (if this member holds the summary key of its
/// epoch) what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The entry's position, from 0.
    pub seq: u32,
    /// The author's member id.
    pub author_id: [u8; ID],
    /// The time the author claims, Unix seconds.
    pub time: u64,
    /// The case epoch it was sealed in.
    pub key_epoch: u32,
    /// The author's level on the case in that epoch.
    pub author_level: Level,
    /// The event, or `None` for an entry sealed in an epoch before this member joined, or
    /// one whose body does not open (`unreadable`).
    pub event: Option<AuditEvent>,
    /// The body does not open with the summary key of its epoch: the entry still counts in
    /// the chain, attributed to its signed author (FORMAT.md#verifying-an-audit-trail, 4).
    pub unreadable: bool,
}

/// The head of an audit trail: `u32(seq) || entry hash`, for pinning as base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    /// The last entry's seq.
    pub seq: u32,
    /// Its hash.
    pub hash: [u8; 32],
}

impl AuditHead {
    /// As base64url text (48 characters).
    pub fn to_base64url(&self) -> String {
        let mut bytes = [0u8; 36];
        bytes[..4].copy_from_slice(&self.seq.to_be_bytes());
        bytes[4..].copy_from_slice(&self.hash);
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// Parses [`AuditHead::to_base64url`]'s text.
    ///
    /// # Errors
    /// `Malformed` for anything else.
    pub fn from_base64url(text: &str) -> Result<Self, IntegrityError> {
        let mut bytes = [0u8; 36];
        let bad = || ParseError::Field { what: "audit head" };
        let decoded = Base64UrlUnpadded::decode(text, &mut bytes).map_err(|_| bad())?;
        if decoded.len() != 36 {
            return Err(bad().into());
        }
        let (seq, hash) = bytes.split_at(4);
        Ok(Self {
            seq: u32::from_be_bytes(seq.try_into().map_err(|_| bad())?),
            hash: hash.try_into().map_err(|_| bad())?,
        })
    }
}

/// `SHA-256("confide/v1/audit-entry-hash" || 0x00 || entry)` (FORMAT.md#audit-entry): the
/// next entry's previous hash, and the hash in an audit head.
pub fn audit_entry_hash(entry: &[u8]) -> [u8; 32] {
    sha256(&[labels::AUDIT_HASH, entry])
}

/// The header of an audit entry, parsed without any log (FORMAT.md#audit-entry): its tag,
/// version and lengths checked, nothing else. A server that stores a trail checks the chain
/// and the author with it; readers verify the signature and the body with [`AuditTrail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditEntryHeader {
    /// The workspace the entry names.
    pub workspace_id: WorkspaceId,
    /// The case the entry names.
    pub case_id: CaseId,
    /// Its position in the trail, from 0.
    pub seq: u32,
    /// The hash of the entry before it; zeros for seq 0.
    pub prev_hash: [u8; 32],
    /// The author's member id (not verified until the trail is).
    pub author_id: [u8; ID],
    /// The workspace seq the author wrote under.
    pub workspace_seq: u32,
    /// The case epoch whose summary key seals the body.
    pub key_epoch: u32,
    /// The time the author claims, Unix seconds.
    pub time: u64,
}

impl AuditEntryHeader {
    /// Parses an entry's header: tag and version, a length of 188 to 4096 bytes that is
    /// exactly `188 + b`, then the fixed fields. Constant work whatever the input's length.
    ///
    /// # Errors
    /// `Malformed` or `UnsupportedVersion`.
    pub fn parse(entry: &[u8]) -> Result<Self, IntegrityError> {
        check_tag(entry, TAG, VERSION, "audit entry")?;
        if entry.len() < AUDIT_HEADER_LEN + 64 || entry.len() > MAX_AUDIT_ENTRY_LEN {
            return Err(ParseError::Length {
                what: "audit entry",
                expected: "between 188 and 4096",
                got: entry.len(),
            }
            .into());
        }
        let body_len = usize::try_from(u32_at(entry, 120)?).unwrap_or(usize::MAX);
        if AUDIT_HEADER_LEN
            .checked_add(body_len)
            .and_then(|n| n.checked_add(64))
            != Some(entry.len())
        {
            return Err(ParseError::Field {
                what: "audit body length",
            }
            .into());
        }
        Ok(Self {
            workspace_id: WorkspaceId::from_bytes(array_at(entry, 4)?),
            case_id: CaseId::from_bytes(array_at(entry, 20)?),
            seq: u32_at(entry, 36)?,
            prev_hash: array_at(entry, 40)?,
            author_id: array_at(entry, 72)?,
            workspace_seq: u32_at(entry, 104)?,
            key_epoch: u32_at(entry, 108)?,
            time: u64::from_be_bytes(array_at(entry, 112)?),
        })
    }
}

/// A verified audit trail, to read and to append to.
#[derive(Debug, Clone, Default)]
pub struct AuditTrail {
    records: Vec<AuditRecord>,
    last: Option<AuditHead>,
    last_workspace_seq: u32,
    last_key_epoch: u32,
    total_bytes: usize,
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ParseError> {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or(ParseError::Field {
            what: "audit entry",
        })
}

fn array_at<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], ParseError> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(ParseError::Field {
            what: "audit entry",
        })
}

/// The context an entry's body is bound to: record id "confide-audit", field the seq.
fn body_field(seq: u32) -> String {
    seq.to_string()
}

impl AuditTrail {
    /// An empty trail, for a case's first entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verifies a whole trail (FORMAT.md#verifying-an-audit-trail): limits and the pinned
    /// head first, then each entry; bodies are opened with `summary_key(epoch)` where it
    /// gives one.
    ///
    /// # Errors
    /// `TooLarge`, `RollbackDetected`, `ForkDetected`, and [`AuditTrail::push`]'s errors.
    pub(crate) fn verify<'k>(
        workspace: &MembershipLog,
        case: &CaseLog,
        entries: &[&[u8]],
        pin: Option<&AuditHead>,
        summary_key: impl Fn(u32) -> Option<&'k ContentKey>,
    ) -> Result<Self, IntegrityError> {
        if entries.len() > MAX_AUDIT_ENTRIES
            || entries.iter().map(|e| e.len()).sum::<usize>() > MAX_AUDIT_BYTES
        {
            return Err(IntegrityError::TooLarge);
        }
        if let Some(pin) = pin {
            let index = usize::try_from(pin.seq).unwrap_or(usize::MAX);
            match entries.get(index) {
                None => return Err(IntegrityError::RollbackDetected),
                Some(e) if audit_entry_hash(e) != pin.hash => {
                    return Err(IntegrityError::ForkDetected);
                }
                Some(_) => {}
            }
        }
        let mut trail = Self::new();
        trail.extend(workspace, case, entries, summary_key)?;
        Ok(trail)
    }

    /// Verifies `entries` as the ones that follow this trail, which was verified before, and
    /// keeps them: the same checks as [`AuditTrail::verify`] from its state
    /// (FORMAT.md#verifying-an-audit-trail), at the cost of the new entries only. All or
    /// nothing: on an error the trail is as it was.
    ///
    /// # Errors
    /// `TooLarge` (checked on lengths before any entry is), and [`AuditTrail::push`]'s errors.
    pub(crate) fn extend<'k>(
        &mut self,
        workspace: &MembershipLog,
        case: &CaseLog,
        entries: &[&[u8]],
        summary_key: impl Fn(u32) -> Option<&'k ContentKey>,
    ) -> Result<(), IntegrityError> {
        let new_bytes = entries
            .iter()
            .map(|e| e.len())
            .fold(0, usize::saturating_add);
        if self.records.len().saturating_add(entries.len()) > MAX_AUDIT_ENTRIES
            || self.total_bytes.saturating_add(new_bytes) > MAX_AUDIT_BYTES
        {
            return Err(IntegrityError::TooLarge);
        }
        let (len, last, last_workspace_seq, last_key_epoch, total_bytes) = (
            self.records.len(),
            self.last,
            self.last_workspace_seq,
            self.last_key_epoch,
            self.total_bytes,
        );
        for entry in entries {
            if let Err(e) = self.push(workspace, case, entry, &summary_key) {
                self.records.truncate(len);
                self.last = last;
                self.last_workspace_seq = last_workspace_seq;
                self.last_key_epoch = last_key_epoch;
                self.total_bytes = total_bytes;
                return Err(e);
            }
        }
        Ok(())
    }

    /// How many entries the trail holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// The bytes of its entries, counted against `MAX_AUDIT_BYTES`.
    pub fn total_bytes(&self) -> usize {
        self.total_bytes
    }

    /// Whether the trail holds no entry.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks one more entry against the trail and keeps it.
    ///
    /// # Errors
    /// `Malformed`, `WrongWorkspace`, `WrongCase`, `BrokenChain`, `OutOfDate`,
    /// `UnknownSigner`, `NotAuthorized`, `BadSignature`, `TooLarge`. A body that does not
    /// open is no error: the entry is kept as unreadable.
    pub(crate) fn push<'k>(
        &mut self,
        workspace: &MembershipLog,
        case: &CaseLog,
        entry: &[u8],
        summary_key: &impl Fn(u32) -> Option<&'k ContentKey>,
    ) -> Result<(), IntegrityError> {
        let AuditEntryHeader {
            workspace_id,
            case_id,
            seq,
            prev_hash: prev,
            author_id,
            workspace_seq,
            key_epoch,
            time,
        } = AuditEntryHeader::parse(entry)?;
        if self.records.len() >= MAX_AUDIT_ENTRIES
            || self.total_bytes.saturating_add(entry.len()) > MAX_AUDIT_BYTES
        {
            return Err(IntegrityError::TooLarge);
        }
        if workspace_id != workspace.workspace_id() {
            return Err(IntegrityError::WrongWorkspace);
        }
        if case_id != case.case_id() {
            return Err(IntegrityError::WrongCase);
        }
        let expected_seq = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        let expected_prev = self.last.map_or([0u8; 32], |h| h.hash);
        if seq != expected_seq
            || prev != expected_prev
            || workspace_seq < self.last_workspace_seq
            || key_epoch < self.last_key_epoch
        {
            return Err(IntegrityError::BrokenChain { at: seq });
        }
        check_state(workspace, case, workspace_seq, key_epoch)?;
        let author_level = match case.level_at(&author_id, key_epoch) {
            Some(level) if workspace.was_member_at(&author_id, workspace_seq) => level,
            _ => {
                return Err(if workspace.verifying_key(&author_id).is_none() {
                    IntegrityError::UnknownSigner
                } else {
                    IntegrityError::NotAuthorized
                });
            }
        };
        verify_signature(workspace, &author_id, labels::AUDIT_SIGNATURE, entry)?;
        // The header parsed: the body is what lies between it and the signature.
        let body = entry
            .get(AUDIT_HEADER_LEN..entry.len() - 64)
            .unwrap_or_default();
        // A signed entry whose body does not open is its author's doing: it is shown as
        // unreadable, not allowed to make the whole trail unreadable for everyone.
        let (event, unreadable) = match summary_key(key_epoch) {
            None => (None, false),
            Some(key) => match open_body(key, case.case_id(), key_epoch, seq, body) {
                Ok(event) => (Some(event), false),
                Err(_) => (None, true),
            },
        };
        self.records.push(AuditRecord {
            seq,
            author_id,
            time,
            key_epoch,
            author_level,
            event,
            unreadable,
        });
        self.last = Some(AuditHead {
            seq,
            hash: audit_entry_hash(entry),
        });
        self.last_workspace_seq = workspace_seq;
        self.last_key_epoch = key_epoch;
        self.total_bytes += entry.len();
        Ok(())
    }

    /// Signs the next entry as `author`, its body sealed under `key` (the summary key of
    /// `key_epoch`), and keeps it.
    #[allow(clippy::too_many_arguments)] // the fields of one entry
    pub(crate) fn append(
        &mut self,
        workspace: &MembershipLog,
        case: &CaseLog,
        author: &MemberSecretKey,
        key: &ContentKey,
        key_epoch: u32,
        time: u64,
        event: &AuditEvent,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, IntegrityError> {
        let seq = u32::try_from(self.records.len()).map_err(|_| IntegrityError::TooLarge)?;
        let plaintext = event.encode()?;
        let header = RecordHeader {
            version: RecordVersion::V3,
            content_type: ContentType::Bytes,
            padded: true,
            scope: RecordScope::Case {
                case_id: case.case_id(),
                level: Level::Summary,
            },
            epoch: key_epoch,
        };
        let field = body_field(seq);
        let ctx = RecordContext {
            record_id: BODY_RECORD_ID,
            field: &field,
        };
        let body = record::seal_with_rng(key, header, &ctx, &plaintext, rng)?;
        let workspace_seq = u32::try_from(workspace.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let mut e = Vec::with_capacity(AUDIT_HEADER_LEN + body.len() + 64);
        e.extend_from_slice(TAG);
        e.push(VERSION);
        e.extend_from_slice(workspace.workspace_id().as_bytes());
        e.extend_from_slice(case.case_id().as_bytes());
        e.extend_from_slice(&seq.to_be_bytes());
        e.extend_from_slice(&self.last.map_or([0u8; 32], |h| h.hash));
        e.extend_from_slice(&author.fingerprint().id());
        e.extend_from_slice(&workspace_seq.to_be_bytes());
        e.extend_from_slice(&key_epoch.to_be_bytes());
        e.extend_from_slice(&time.to_be_bytes());
        let body_len = u32::try_from(body.len()).map_err(|_| IntegrityError::TooLarge)?;
        e.extend_from_slice(&body_len.to_be_bytes());
        e.extend_from_slice(&body);
        let signature = author.sign(labels::AUDIT_SIGNATURE, &e);
        e.extend_from_slice(&signature.to_bytes());
        self.push(workspace, case, &e, &|epoch| {
            (epoch == key_epoch).then_some(key)
        })?;
        Ok(e)
    }

    /// The verified entries, oldest first.
    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }

    /// The head to pin, or `None` for an empty trail.
    pub fn head(&self) -> Option<AuditHead> {
        self.last
    }

    /// The latest revision of `record_id`/`field` the trail records, if any: from create,
    /// edit and delete events whose author was a full member of the case in the entry's
    /// epoch (only they can write revisions; a summary member's claim counts for nothing).
    pub fn latest_revision(&self, record_id: &str, field: &str) -> Option<(u32, [u8; 32])> {
        self.records
            .iter()
            .filter(|r| r.author_level == Level::Full)
            .filter_map(|r| r.event.as_ref())
            .filter(|e| {
                matches!(
                    e.action,
                    AuditAction::Create | AuditAction::Edit | AuditAction::Delete
                ) && e.record_id == record_id
                    && e.field == field
            })
            .map(|e| (e.revision_number, e.revision_hash))
            .max_by_key(|(n, _)| *n)
    }
}

/// Opens an entry's body (FORMAT.md#audit-body): a summary-level record of the case in
/// `key_epoch`, bound to record id "confide-audit" and the entry's seq.
fn open_body(
    key: &ContentKey,
    case_id: CaseId,
    key_epoch: u32,
    seq: u32,
    body: &[u8],
) -> Result<AuditEvent, IntegrityError> {
    let header = RecordHeader::parse(body)?;
    let expected_scope = RecordScope::Case {
        case_id,
        level: Level::Summary,
    };
    if header.scope != expected_scope || header.epoch != key_epoch {
        return Err(IntegrityError::RecordMismatch);
    }
    let field = body_field(seq);
    let ctx = RecordContext {
        record_id: BODY_RECORD_ID,
        field: &field,
    };
    let plaintext = record::open(key, &header, &ctx, body)?;
    Ok(AuditEvent::decode(&plaintext)?)
}

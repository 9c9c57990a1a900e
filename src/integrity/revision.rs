//! Signed revisions of a case record (docs/FORMAT.md#revisions): every write, and every
//! deletion, is a revision signed by its author, chained to the revision before it.

use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signature;

use crate::cases::CaseLog;
use crate::error::{ArgumentError, IntegrityError, ParseError};
use crate::format::check_tag;
use crate::identity::{Fingerprint, MemberSecretKey};
use crate::keys::{CaseId, Level, WorkspaceId};
use crate::limits::MAX_REVISION_TEXT_LEN;
use crate::membership::MembershipLog;
use crate::primitives::{labels, sha256};
use crate::record::RecordContext;

const ID: usize = Fingerprint::ID_LEN;
const SIGNATURE_LEN: usize = 64;
const TAG: &[u8; 3] = b"CFV";
const VERSION: u8 = 0x01;
/// Bytes before the record id: tag and version, kind, workspace id, case id, number,
/// previous hash, author id, workspace seq, key epoch, time, record hash.
const FIXED_LEN: usize = 4 + 1 + WorkspaceId::LEN + CaseId::LEN + 4 + 32 + ID + 4 + 4 + 8 + 32;
/// Revisions in one history a client verifies (FORMAT.md#limits).
pub const MAX_HISTORY_REVISIONS: usize = 100_000;

/// What a revision does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevisionKind {
    /// A new value: the record whose hash the revision carries.
    Write,
    /// A signed tombstone: the record is deleted.
    Delete,
}

impl RevisionKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::Write => 1,
            Self::Delete => 2,
        }
    }
}

/// A parsed revision: structure only; [`Revision::check`] checks it against the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    encoded: Vec<u8>,
    kind: RevisionKind,
    workspace_id: WorkspaceId,
    case_id: CaseId,
    number: u32,
    prev_hash: [u8; 32],
    author_id: [u8; ID],
    workspace_seq: u32,
    key_epoch: u32,
    time: u64,
    record_hash: [u8; 32],
    record_id: String,
    field: String,
}

/// The values a new revision signs.
pub(crate) struct RevisionFields<'a> {
    pub kind: RevisionKind,
    pub workspace_id: WorkspaceId,
    pub case_id: CaseId,
    pub previous: Option<&'a Revision>,
    pub workspace_seq: u32,
    pub key_epoch: u32,
    pub time: u64,
    pub record: Option<&'a [u8]>,
    pub ctx: &'a RecordContext<'a>,
}

/// `SHA-256("confide/v1/revision-record" || 0x00 || record)`: what a write revision signs.
pub(crate) fn record_hash(record: &[u8]) -> [u8; 32] {
    sha256(&[labels::REVISION_RECORD, record])
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.0.len() < n {
            return Err(ParseError::Field { what: "revision" });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        self.take(N)?
            .try_into()
            .map_err(|_| ParseError::Field { what: "revision" })
    }

    fn u32(&mut self) -> Result<u32, ParseError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// A `u16` length and that many bytes of UTF-8, 1 to 255 of them (FORMAT.md#record-context).
    fn text(&mut self, what: &'static str) -> Result<String, ParseError> {
        let len = usize::from(u16::from_be_bytes(self.array()?));
        if len == 0 || len > MAX_REVISION_TEXT_LEN {
            return Err(ParseError::Field { what });
        }
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| ParseError::Field { what })
    }
}

impl Revision {
    /// Parses a revision (FORMAT.md#revision): tag and version, then every field's range.
    ///
    /// # Errors
    /// `Malformed` for anything that does not parse.
    pub fn parse(bytes: &[u8]) -> Result<Self, IntegrityError> {
        check_tag(bytes, TAG, VERSION, "revision")?;
        let max = FIXED_LEN + 2 * (2 + MAX_REVISION_TEXT_LEN) + SIGNATURE_LEN;
        if bytes.len() < FIXED_LEN + 2 + 1 + 2 + 1 + SIGNATURE_LEN || bytes.len() > max {
            return Err(ParseError::Length {
                what: "revision",
                expected: "between 223 and 731",
                got: bytes.len(),
            }
            .into());
        }
        let mut c = Cursor(bytes.get(4..).unwrap_or_default());
        let kind = match c.array::<1>()? {
            [1] => RevisionKind::Write,
            [2] => RevisionKind::Delete,
            _ => {
                return Err(ParseError::Field {
                    what: "revision kind",
                }
                .into());
            }
        };
        let workspace_id = WorkspaceId::from_bytes(c.array()?);
        let case_id = CaseId::from_bytes(c.array()?);
        let number = c.u32()?;
        let prev_hash: [u8; 32] = c.array()?;
        let author_id = c.array()?;
        let workspace_seq = c.u32()?;
        let key_epoch = c.u32()?;
        let time = u64::from_be_bytes(c.array()?);
        let record_hash: [u8; 32] = c.array()?;
        let record_id = c.text("revision record id")?;
        let field = c.text("revision field")?;
        if c.0.len() != SIGNATURE_LEN {
            return Err(ParseError::Field {
                what: "revision length",
            }
            .into());
        }
        // Revision 1 has no parent, and only it; a deletion signs no record.
        if number == 0 || (number == 1) != (prev_hash == [0u8; 32]) {
            return Err(ParseError::Field {
                what: "revision number",
            }
            .into());
        }
        if (kind == RevisionKind::Delete) != (record_hash == [0u8; 32]) {
            return Err(ParseError::Field {
                what: "revision record hash",
            }
            .into());
        }
        Ok(Self {
            encoded: bytes.to_vec(),
            kind,
            workspace_id,
            case_id,
            number,
            prev_hash,
            author_id,
            workspace_seq,
            key_epoch,
            time,
            record_hash,
            record_id,
            field,
        })
    }

    /// Signs a new revision as `author`.
    pub(crate) fn sign(
        author: &MemberSecretKey,
        f: &RevisionFields<'_>,
    ) -> Result<Self, IntegrityError> {
        f.ctx.validate()?;
        for (what, text) in [("recordId", f.ctx.record_id), ("field", f.ctx.field)] {
            if text.len() > MAX_REVISION_TEXT_LEN {
                return Err(ArgumentError::ContextField {
                    what,
                    got: text.len(),
                }
                .into());
            }
        }
        let (number, prev_hash) = match f.previous {
            None => (1, [0u8; 32]),
            Some(p) => (
                p.number
                    .checked_add(1)
                    .ok_or(IntegrityError::BrokenChain { at: p.number })?,
                p.hash(),
            ),
        };
        let mut e =
            Vec::with_capacity(FIXED_LEN + 4 + f.ctx.record_id.len() + f.ctx.field.len() + 64);
        e.extend_from_slice(TAG);
        e.push(VERSION);
        e.push(f.kind.to_byte());
        e.extend_from_slice(f.workspace_id.as_bytes());
        e.extend_from_slice(f.case_id.as_bytes());
        e.extend_from_slice(&number.to_be_bytes());
        e.extend_from_slice(&prev_hash);
        e.extend_from_slice(&author.fingerprint().id());
        e.extend_from_slice(&f.workspace_seq.to_be_bytes());
        e.extend_from_slice(&f.key_epoch.to_be_bytes());
        e.extend_from_slice(&f.time.to_be_bytes());
        e.extend_from_slice(&f.record.map_or([0u8; 32], record_hash));
        for text in [f.ctx.record_id, f.ctx.field] {
            // Validated above: at most 255 bytes.
            let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
            e.extend_from_slice(&len.to_be_bytes());
            e.extend_from_slice(text.as_bytes());
        }
        let signature = author.sign(labels::REVISION_SIGNATURE, &e);
        e.extend_from_slice(&signature.to_bytes());
        Self::parse(&e)
    }

    /// Checks the revision against the verified logs a reader holds, for `ctx`
    /// (FORMAT.md#verifying-a-revision, steps 2 to 5): the cheap checks, then the signature.
    ///
    /// # Errors
    /// The first rule that fails.
    pub fn check(
        &self,
        workspace: &MembershipLog,
        case: &CaseLog,
        ctx: &RecordContext<'_>,
    ) -> Result<(), IntegrityError> {
        if self.workspace_id != workspace.workspace_id() {
            return Err(IntegrityError::WrongWorkspace);
        }
        if self.case_id != case.case_id() {
            return Err(IntegrityError::WrongCase);
        }
        if self.record_id != ctx.record_id || self.field != ctx.field {
            return Err(IntegrityError::RecordMismatch);
        }
        check_state(workspace, case, self.workspace_seq, self.key_epoch)?;
        if !workspace.was_member_at(&self.author_id, self.workspace_seq)
            || case.level_at(&self.author_id, self.key_epoch) != Some(Level::Full)
        {
            return Err(if workspace.verifying_key(&self.author_id).is_none() {
                IntegrityError::UnknownSigner
            } else {
                IntegrityError::NotAuthorized
            });
        }
        verify_signature(
            workspace,
            &self.author_id,
            labels::REVISION_SIGNATURE,
            &self.encoded,
        )
    }

    /// `SHA-256("confide/v1/revision-hash" || 0x00 || revision)`.
    pub fn hash(&self) -> [u8; 32] {
        sha256(&[labels::REVISION_HASH, &self.encoded])
    }

    /// Whether this is a write whose record is `record`.
    pub fn signs_record(&self, record: &[u8]) -> bool {
        self.kind == RevisionKind::Write && record_hash(record) == self.record_hash
    }

    /// The workspace the revision names.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The case the revision names.
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The revision's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.encoded
    }

    /// Write or delete.
    pub fn kind(&self) -> RevisionKind {
        self.kind
    }

    /// The revision number, from 1.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The hash of the revision before it; zeros for revision 1.
    pub fn prev_hash(&self) -> [u8; 32] {
        self.prev_hash
    }

    /// The author's member id.
    pub fn author_id(&self) -> [u8; ID] {
        self.author_id
    }

    /// The time the author claims, Unix seconds.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// The workspace seq the author wrote under.
    pub fn workspace_seq(&self) -> u32 {
        self.workspace_seq
    }

    /// The case epoch the author wrote under (the record's epoch, for a write).
    pub fn key_epoch(&self) -> u32 {
        self.key_epoch
    }

    /// The record id.
    pub fn record_id(&self) -> &str {
        &self.record_id
    }

    /// The field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The pin of this revision.
    pub fn pin(&self) -> RevisionPin {
        RevisionPin {
            number: self.number,
            hash: self.hash(),
        }
    }
}

/// A named state must be one the reader has verified (FORMAT.md#verifying-a-revision, 3).
pub(crate) fn check_state(
    workspace: &MembershipLog,
    case: &CaseLog,
    workspace_seq: u32,
    key_epoch: u32,
) -> Result<(), IntegrityError> {
    let head_seq = u32::try_from(workspace.len().saturating_sub(1)).unwrap_or(u32::MAX);
    if workspace_seq > head_seq || key_epoch > case.epoch() {
        return Err(IntegrityError::OutOfDate);
    }
    Ok(())
}

/// Verifies an Ed25519 signature by a member the workspace log ever admitted.
pub(crate) fn verify_signature(
    workspace: &MembershipLog,
    signer: &[u8; ID],
    label: &[u8],
    object: &[u8],
) -> Result<(), IntegrityError> {
    let key = workspace
        .verifying_key(signer)
        .ok_or(IntegrityError::UnknownSigner)?;
    let split = object.len().saturating_sub(SIGNATURE_LEN);
    let (body, signature) = object.split_at(split);
    let signature = Signature::from_slice(signature).map_err(|_| IntegrityError::BadSignature)?;
    let mut message = label.to_vec();
    message.extend_from_slice(body);
    key.verify_strict(&message, &signature)
        .map_err(|_| IntegrityError::BadSignature)
}

/// The revision of a record a client saw last: a server that serves an older one, or
/// another branch, is detected (FORMAT.md#revision-pin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionPin {
    /// Its number.
    pub number: u32,
    /// Its hash.
    pub hash: [u8; 32],
}

impl RevisionPin {
    /// `u32(number) || hash`, as base64url text (48 characters).
    pub fn to_base64url(&self) -> String {
        let mut bytes = [0u8; 36];
        bytes[..4].copy_from_slice(&self.number.to_be_bytes());
        bytes[4..].copy_from_slice(&self.hash);
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// Parses [`RevisionPin::to_base64url`]'s text.
    ///
    /// # Errors
    /// `Malformed` for anything else.
    pub fn from_base64url(text: &str) -> Result<Self, IntegrityError> {
        let mut bytes = [0u8; 36];
        let decoded =
            Base64UrlUnpadded::decode(text, &mut bytes).map_err(|_| ParseError::Field {
                what: "revision pin",
            })?;
        if decoded.len() != 36 {
            return Err(ParseError::Field {
                what: "revision pin",
            }
            .into());
        }
        let (number, hash) = bytes.split_at(4);
        Ok(Self {
            number: u32::from_be_bytes(number.try_into().map_err(|_| ParseError::Field {
                what: "revision pin",
            })?),
            hash: hash.try_into().map_err(|_| ParseError::Field {
                what: "revision pin",
            })?,
        })
    }
}

/// Verifies a record's history (FORMAT.md#verifying-a-history): consecutive revisions,
/// oldest first, each checked and chained to the one before, with states that never go
/// back; against `pin`, the history must hold the pinned revision or continue from it.
/// Returns the parsed revisions.
///
/// # Errors
/// `TooLarge` past the limit (before anything is parsed); `RollbackDetected`,
/// `ForkDetected`, `BrokenChain`, and [`Revision::check`]'s errors.
pub fn verify_history(
    workspace: &MembershipLog,
    case: &CaseLog,
    ctx: &RecordContext<'_>,
    revisions: &[&[u8]],
    pin: Option<&RevisionPin>,
) -> Result<Vec<Revision>, IntegrityError> {
    if revisions.is_empty() {
        return Err(ParseError::Length {
            what: "history",
            expected: "at least 1 revision",
            got: 0,
        }
        .into());
    }
    if revisions.len() > MAX_HISTORY_REVISIONS {
        return Err(IntegrityError::TooLarge);
    }
    let parsed = revisions
        .iter()
        .map(|r| Revision::parse(r))
        .collect::<Result<Vec<_>, _>>()?;
    // The pin first: it costs no signature (FORMAT.md#verifying-a-history, 2).
    if let (Some(pin), Some(first), Some(last)) = (pin, parsed.first(), parsed.last()) {
        if last.number < pin.number {
            return Err(IntegrityError::RollbackDetected);
        }
        // The pinned revision itself must be given: the states of the revisions after it
        // are checked against its state (step 4), which its pin does not carry.
        if first.number > pin.number {
            return Err(IntegrityError::BrokenChain { at: first.number });
        }
        let holds = parsed
            .iter()
            .find(|r| r.number == pin.number)
            .is_some_and(|r| r.hash() == pin.hash);
        if !holds {
            return Err(IntegrityError::ForkDetected);
        }
    }
    // The whole chain before any signature (steps 3 and 4), then each revision (step 5).
    let mut previous: Option<&Revision> = None;
    for r in &parsed {
        if let Some(p) = previous {
            if r.number == p.number {
                return Err(IntegrityError::ForkDetected);
            }
            if Some(r.number) != p.number.checked_add(1)
                || r.prev_hash != p.hash()
                || r.workspace_seq < p.workspace_seq
                || r.key_epoch < p.key_epoch
            {
                return Err(IntegrityError::BrokenChain { at: r.number });
            }
        } else if pin.is_none() && r.number != 1 {
            // Without a pin, a history starts at the record's creation.
            return Err(IntegrityError::BrokenChain { at: r.number });
        }
        previous = Some(r);
    }
    for r in &parsed {
        r.check(workspace, case, ctx)?;
    }
    Ok(parsed)
}

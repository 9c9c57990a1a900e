//! Signed revisions, sign-offs and the audit trail of a case's records
//! (docs/FORMAT.md#revisions): writing, deleting, opening a record's verified history.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{Case, membership};
use crate::error::{IntegrityError, MembershipError};
use crate::integrity::revision::{RevisionFields, verify_history};
use crate::integrity::{
    AuditEvent, AuditHead, AuditTrail, Revision, RevisionKind, RevisionPin, SignOff, signoff,
};
use crate::keys::Level;
use crate::record::{self, ContentType, RecordContext, RecordHeader, RecordKeys};
use crate::rng::system_rng;
use crate::workspace::{EncryptOptions, Workspace};

/// What [`Case::open_history`] verified: every revision, and the latest's plaintext.
pub struct OpenedHistory {
    /// The verified revisions, oldest first (from the first one given).
    pub revisions: Vec<Revision>,
    /// The latest revision's plaintext and content type; `None` when it is a deletion.
    pub latest: Option<(ContentType, Zeroizing<Vec<u8>>)>,
    /// The pin to keep for this record.
    pub pin: RevisionPin,
    /// Whether the audit trail given records the latest revision (`None`: no trail given).
    pub audited: Option<bool>,
}

/// How [`Case::write`] writes a revision.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions<'a> {
    /// Content type and padding of the record.
    pub encrypt: EncryptOptions,
    /// The level the record is written at.
    pub level: Level,
    /// The record's latest revision, or `None` for a new record.
    pub previous: Option<&'a Revision>,
    /// Unix seconds, as the author claims them.
    pub now: u64,
}

/// What [`Case::write`] returns: publish both; the revision is what readers check.
pub struct Written {
    /// The record (version 3).
    pub record: Vec<u8>,
    /// Its revision.
    pub revision: Vec<u8>,
}

impl Case {
    /// Writes a new revision of the record at `ctx` (FORMAT.md#writing-a-revision): the
    /// record, at `write.level`, and a revision signed by this member that chains to
    /// `write.previous` (`None` for a new record) and names the workspace and case state it
    /// is written under.
    ///
    /// # Errors
    /// As [`Case::encrypt`]; `RecordMismatch` if `previous` is another record's.
    pub fn write(
        &self,
        workspace: &Workspace,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        write: &WriteOptions<'_>,
    ) -> Result<Written, IntegrityError> {
        self.write_with_rng(workspace, plaintext, ctx, write, &mut system_rng()?)
    }

    /// [`Case::write`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::write`].
    pub fn write_with_rng(
        &self,
        workspace: &Workspace,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        write: &WriteOptions<'_>,
        rng: &mut impl CryptoRng,
    ) -> Result<Written, IntegrityError> {
        self.check_previous(write.previous, ctx)?;
        let record =
            self.encrypt_with_rng(workspace, plaintext, ctx, write.encrypt, write.level, rng)?;
        let revision = self.sign_revision(
            workspace,
            RevisionKind::Write,
            Some(&record),
            ctx,
            write.previous,
            write.now,
        )?;
        Ok(Written {
            record,
            revision: revision.as_bytes().to_vec(),
        })
    }

    /// Deletes the record at `ctx`: a signed tombstone revision after `previous`.
    ///
    /// # Errors
    /// `LevelTooLow`, `CaseNeedsRotation`, `CaseDeleted`; `RecordMismatch`.
    pub fn delete_record(
        &self,
        workspace: &Workspace,
        ctx: &RecordContext<'_>,
        previous: &Revision,
        now: u64,
    ) -> Result<Vec<u8>, IntegrityError> {
        self.writer(workspace, Level::Full)?;
        self.check_previous(Some(previous), ctx)?;
        let revision = self.sign_revision(
            workspace,
            RevisionKind::Delete,
            None,
            ctx,
            Some(previous),
            now,
        )?;
        Ok(revision.as_bytes().to_vec())
    }

    fn check_previous(
        &self,
        previous: Option<&Revision>,
        ctx: &RecordContext<'_>,
    ) -> Result<(), IntegrityError> {
        if let Some(p) = previous
            && (p.record_id() != ctx.record_id || p.field() != ctx.field)
        {
            return Err(IntegrityError::RecordMismatch);
        }
        Ok(())
    }

    fn sign_revision(
        &self,
        workspace: &Workspace,
        kind: RevisionKind,
        record: Option<&[u8]>,
        ctx: &RecordContext<'_>,
        previous: Option<&Revision>,
        now: u64,
    ) -> Result<Revision, IntegrityError> {
        let (ws_log, member) = self.acting(workspace)?;
        Revision::sign(
            member,
            &RevisionFields {
                kind,
                workspace_id: self.workspace_id,
                case_id: self.case_id,
                previous,
                workspace_seq: head_seq(ws_log),
                key_epoch: self.log.epoch(),
                time: now,
                record,
                ctx,
            },
        )
    }

    /// Verifies a record's history and opens its latest revision
    /// (FORMAT.md#opening-a-revised-record): the revisions, oldest first, from revision 1 or
    /// from the one after `pin`; `record`, the latest revision's record (none for a
    /// deletion). With an `audit` trail, a latest revision older than the one the trail
    /// records is a rollback.
    ///
    /// # Errors
    /// As [`verify_history`]; `RecordMismatch` if `record` is not the latest revision's;
    /// `RollbackDetected`/`ForkDetected` against the audit trail; as [`Case::decrypt`].
    pub fn open_history(
        &self,
        workspace: &Workspace,
        ctx: &RecordContext<'_>,
        revisions: &[&[u8]],
        record: Option<&[u8]>,
        pin: Option<&RevisionPin>,
        audit: Option<&AuditTrail>,
    ) -> Result<OpenedHistory, IntegrityError> {
        let ws_log = membership(workspace)?;
        let revisions = verify_history(ws_log, &self.log, ctx, revisions, pin)?;
        // verify_history refuses an empty history.
        let last = revisions
            .last()
            .ok_or(IntegrityError::BrokenChain { at: 0 })?;
        let audited = match audit.map(|a| a.latest_revision(ctx.record_id, ctx.field)) {
            None => None,
            Some(None) => Some(false),
            Some(Some((number, hash))) => {
                if number > last.number() {
                    return Err(IntegrityError::RollbackDetected);
                }
                if number == last.number() && hash != last.hash() {
                    return Err(IntegrityError::ForkDetected);
                }
                Some(number == last.number())
            }
        };
        let latest = match (last.kind(), record) {
            (RevisionKind::Delete, _) => None,
            (RevisionKind::Write, Some(record)) => {
                if !last.signs_record(record) {
                    return Err(IntegrityError::RecordMismatch);
                }
                Some(self.open_signed_record(last, record, ctx)?)
            }
            (RevisionKind::Write, None) => return Err(IntegrityError::RecordMismatch),
        };
        Ok(OpenedHistory {
            pin: last.pin(),
            revisions,
            latest,
            audited,
        })
    }

    /// Opens the record of one verified write revision: its hash is the revision's, and it
    /// is encrypted in the epoch the revision names.
    ///
    /// # Errors
    /// `RecordMismatch`, and as [`Case::decrypt`].
    pub fn open_revision(
        &self,
        revision: &Revision,
        record: &[u8],
        ctx: &RecordContext<'_>,
    ) -> Result<(ContentType, Zeroizing<Vec<u8>>), IntegrityError> {
        if !revision.signs_record(record)
            || revision.record_id() != ctx.record_id
            || revision.field() != ctx.field
        {
            return Err(IntegrityError::RecordMismatch);
        }
        self.open_signed_record(revision, record, ctx)
    }

    fn open_signed_record(
        &self,
        revision: &Revision,
        record: &[u8],
        ctx: &RecordContext<'_>,
    ) -> Result<(ContentType, Zeroizing<Vec<u8>>), IntegrityError> {
        let header = RecordHeader::parse(record)?;
        if header.epoch != revision.key_epoch() {
            return Err(IntegrityError::RecordMismatch);
        }
        let key = self.key_for_record(&header)?;
        let plaintext = record::open(key, &header, ctx, record)?;
        Ok((header.content_type, plaintext))
    }

    /// Signs off one exact revision (FORMAT.md#sign-off), as any member of the case.
    ///
    /// # Errors
    /// `NotAMember` if this member has left the case; `WrongCase` for another case's revision.
    pub fn sign_off(
        &self,
        workspace: &Workspace,
        revision: &Revision,
        now: u64,
    ) -> Result<Vec<u8>, IntegrityError> {
        let (ws_log, member) = self.acting(workspace)?;
        if revision.workspace_id() != self.workspace_id || revision.case_id() != self.case_id {
            return Err(IntegrityError::WrongCase);
        }
        if self.log.level_of(&self.me).is_none() {
            return Err(MembershipError::NotAMember.into());
        }
        Ok(signoff::sign(
            member,
            revision,
            self.workspace_id,
            self.case_id,
            head_seq(ws_log),
            self.log.epoch(),
            now,
        ))
    }

    /// Verifies a sign-off of `revision` (FORMAT.md#verifying-a-sign-off).
    ///
    /// # Errors
    /// As [`signoff::verify`].
    pub fn verify_sign_off(
        &self,
        workspace: &Workspace,
        sign_off: &[u8],
        revision: &Revision,
    ) -> Result<SignOff, IntegrityError> {
        signoff::verify(membership(workspace)?, &self.log, sign_off, revision)
    }

    /// Verifies the case's audit trail (FORMAT.md#verifying-an-audit-trail), opening the
    /// bodies of the epochs whose keys this member holds.
    ///
    /// # Errors
    /// As [`AuditTrail::push`]; `RollbackDetected`/`ForkDetected` against `pin`.
    pub fn verify_audit(
        &self,
        workspace: &Workspace,
        entries: &[&[u8]],
        pin: Option<&AuditHead>,
    ) -> Result<AuditTrail, IntegrityError> {
        AuditTrail::verify(membership(workspace)?, &self.log, entries, pin, |epoch| {
            self.keys.get(&epoch).and_then(|k| k.key(Level::Summary))
        })
    }

    /// Verifies `entries` as the ones that follow `trail`, a trail this member verified
    /// before (fetched, say, with the server's `?after=` its last seq), and adds them to it:
    /// a kept trail costs only its new entries. All or nothing.
    ///
    /// # Errors
    /// As [`Case::verify_audit`] but for the pin.
    pub fn extend_audit(
        &self,
        workspace: &Workspace,
        trail: &mut AuditTrail,
        entries: &[&[u8]],
    ) -> Result<(), IntegrityError> {
        trail.extend(membership(workspace)?, &self.log, entries, |epoch| {
            self.keys.get(&epoch).and_then(|k| k.key(Level::Summary))
        })
    }

    /// Appends an event to a verified audit trail as this member, sealed under the current
    /// epoch's summary key. Returns the entry to publish.
    ///
    /// # Errors
    /// `NotAMember` if this member is not on the case; `Malformed` for an event past its
    /// limits.
    pub fn append_audit(
        &self,
        workspace: &Workspace,
        trail: &mut AuditTrail,
        event: &AuditEvent,
        now: u64,
    ) -> Result<Vec<u8>, IntegrityError> {
        self.append_audit_with_rng(workspace, trail, event, now, &mut system_rng()?)
    }

    /// [`Case::append_audit`] with an explicit generator (for the body's salt).
    ///
    /// # Errors
    /// As [`Case::append_audit`].
    pub fn append_audit_with_rng(
        &self,
        workspace: &Workspace,
        trail: &mut AuditTrail,
        event: &AuditEvent,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, IntegrityError> {
        let (ws_log, member) = self.acting(workspace)?;
        let epoch = self.log.epoch();
        let key = self
            .keys
            .get(&epoch)
            .and_then(|k| k.key(Level::Summary))
            .ok_or(MembershipError::NotAMember)?;
        trail.append(ws_log, &self.log, member, key, epoch, now, event, rng)
    }
}

/// The seq of the last entry of a verified membership log.
fn head_seq(log: &crate::membership::MembershipLog) -> u32 {
    u32::try_from(log.len().saturating_sub(1)).unwrap_or(u32::MAX)
}

//! Cases: least privilege inside a workspace, by keys (docs/FORMAT.md#cases).
//!
//! A case is a compartment, typically one per client, with its own signed log of who is on
//! it at which [`Level`], and its own keys per epoch: a full key for clinical fields and a
//! summary key for what the application marks as summary. A member off the case, or a
//! summary member for clinical fields, holds no key that opens them, whatever the server
//! does. Every change of who is on a case starts a new epoch, so a member added reads from
//! that point on; earlier epochs are an explicit, logged grant.
//!
//! - [`log`]: the case log and its verification against the workspace's membership log;
//! - `grant`: the case keys of an epoch sealed to one member.

mod grant;
pub mod log;
mod revisions;

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

pub use grant::{CASE_GRANT_FULL_LEN, CASE_GRANT_SUMMARY_LEN, CaseGrantHeader};
use grant::{CaseKeys, key_checks, verify_key_checks};
pub use log::{CaseEntry, CaseEntryChange, CaseHead, CaseLog};
use log::{CaseEntryBody, check_case_log_limits, check_pinned_case_head, raw_case_id};
pub use revisions::{OpenedHistory, WriteOptions, Written};

use crate::error::{ArgumentError, DecryptError, GrantError, MembershipError, ParseError};
use crate::identity::{Fingerprint, MemberSecretKey};
use crate::keys::{CaseId, ContentKey, Level, WorkspaceId};
use crate::membership::MembershipLog;
use crate::record::stream::RecordEncryptor;
use crate::record::{
    self, ContentType, RecordContext, RecordHeader, RecordKeys, RecordScope, RecordVersion,
};
use crate::rng::system_rng;
use crate::workspace::{EncryptOptions, Workspace};

const ID: usize = Fingerprint::ID_LEN;

/// A grant of case keys addressed to one member.
pub struct CaseGrant {
    /// The recipient's id.
    pub member_id: [u8; ID],
    /// The grant.
    pub grant: Vec<u8>,
}

/// A change to a case: its log entry, and the grants of any new epoch (or of the earlier
/// epochs shared) for the server to keep.
pub struct CaseChange {
    /// The case log entry.
    pub log_entry: Vec<u8>,
    /// The grants that go with it.
    pub grants: Vec<CaseGrant>,
}

/// What [`Case::load`] verifies.
pub struct CaseLoadInput<'a> {
    /// Every case log entry, the create entry first.
    pub log: &'a [&'a [u8]],
    /// The case grants addressed to the loading member, any epochs.
    pub grants: &'a [&'a [u8]],
    /// The case head this client saw last, if any.
    pub pinned_head: Option<CaseHead>,
}

/// A case as one member sees it: its verified log, this member's level, and the keys of
/// the epochs this member holds. It keeps no copy of the member's keys: every change signs
/// and seals as the member of the workspace it is given, which must be the member the case
/// was created or loaded as (another member's workspace: `NotAMember`; another workspace:
/// `WrongWorkspace`).
pub struct Case {
    workspace_id: WorkspaceId,
    case_id: CaseId,
    /// The member this case was created or loaded as.
    me: [u8; ID],
    log: CaseLog,
    /// The keys of each epoch this member holds.
    keys: BTreeMap<u32, CaseKeys>,
}

impl Case {
    /// Creates a case in `workspace`, acting as its member, who becomes the case's first full
    /// member (FORMAT.md#creating-a-case). `retention_until` (Unix seconds, 0 for none) is the
    /// date before which the case cannot be deleted. Publish the change: its entry and the
    /// creator's own grant.
    ///
    /// # Errors
    /// `NoMembershipLog` for a workspace opened from a bare grant; no randomness.
    pub fn create(
        workspace: &Workspace,
        now: u64,
        retention_until: u64,
    ) -> Result<(Self, CaseChange), MembershipError> {
        Self::create_with_rng(workspace, now, retention_until, &mut system_rng()?)
    }

    /// [`Case::create`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::create`].
    pub fn create_with_rng(
        workspace: &Workspace,
        now: u64,
        retention_until: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<(Self, CaseChange), MembershipError> {
        let ws_log = membership(workspace)?;
        let member = workspace.member();
        let case_id = CaseId::generate_with_rng(rng);
        let keys = CaseKeys::generate_with_rng(rng);
        let checks = key_checks(&ws_log.workspace_id(), &case_id, 0, &keys);
        let log = CaseLog::create(ws_log, member, case_id, now, retention_until, checks)?;
        let own = grant::seal_with_rng(
            member,
            member.public_bundle(),
            ws_log.workspace_id(),
            case_id,
            0,
            Level::Full,
            &keys,
            rng,
        )?;
        let log_entry = log.entries().next().map(<[u8]>::to_vec).unwrap_or_default();
        let mut held = BTreeMap::new();
        held.insert(0, keys);
        let case = Self {
            workspace_id: ws_log.workspace_id(),
            case_id,
            me: member.fingerprint().id(),
            log,
            keys: held,
        };
        let grants = vec![CaseGrant {
            member_id: case.me,
            grant: own,
        }];
        Ok((case, CaseChange { log_entry, grants }))
    }

    /// Loads a case from what the server returned (FORMAT.md#loading-a-case): the log's
    /// limits and the pinned head first, then the whole log against `workspace`'s verified
    /// membership log; this member must be on the case and a current member of the
    /// workspace; each grant is checked against the log (signer, entitlement, key checks).
    ///
    /// # Errors
    /// The first check that fails.
    pub fn load(workspace: &Workspace, input: &CaseLoadInput<'_>) -> Result<Self, MembershipError> {
        let ws_log = membership(workspace)?;
        check_case_log_limits(input.log.len(), input.log.iter().map(|e| e.len()))?;
        let entries: Vec<Vec<u8>> = input.log.iter().map(|e| e.to_vec()).collect();
        if let Some(head) = &input.pinned_head {
            let case_id = entries
                .first()
                .and_then(|e| raw_case_id(e))
                .ok_or(ParseError::Field { what: "case log" })?;
            check_pinned_case_head(case_id, &entries, head)?;
        }
        let log = CaseLog::verify(ws_log, entries)?;
        if log.is_deleted() {
            return Err(MembershipError::CaseDeleted);
        }
        // The workspace's member opens the grants: deriving a copy of its keys for each case
        // cost about half a grant's opening (BENCHMARKS.md, "Cases").
        let member = workspace.member();
        let me = member.fingerprint().id();
        if !ws_log.is_active(&me) || log.level_of(&me).is_none() {
            return Err(MembershipError::NotAMember);
        }
        let mut case = Self {
            workspace_id: log.workspace_id(),
            case_id: log.case_id(),
            me,
            log,
            keys: BTreeMap::new(),
        };
        for bytes in input.grants {
            case.take_grant(ws_log, member, bytes)?;
        }
        let epoch = case.log.epoch();
        if !case.keys.contains_key(&epoch) {
            return Err(MembershipError::MissingGrant);
        }
        Ok(case)
    }

    /// Checks one grant against the log and keeps its keys (FORMAT.md#verifying-case-grants).
    fn take_grant(
        &mut self,
        ws_log: &MembershipLog,
        member: &MemberSecretKey,
        bytes: &[u8],
    ) -> Result<(), MembershipError> {
        let header = grant::peek(bytes)?;
        if header.workspace_id != self.workspace_id {
            return Err(MembershipError::WrongWorkspace);
        }
        if header.case_id != self.case_id {
            return Err(MembershipError::WrongCase);
        }
        let me = self.me;
        if header.recipient_id != me {
            return Err(GrantError::NotForThisMember.into());
        }
        let checks = *self.log.checks(header.epoch)?;
        if !self.log.may_grant(&header.granter_id, header.epoch) {
            return Err(MembershipError::NotAuthorized);
        }
        if !self.log.entitled(&me, header.epoch, header.level) {
            return Err(MembershipError::NotAuthorized);
        }
        let granter = ws_log
            .bundle_of_any(&header.granter_id)
            .ok_or(MembershipError::UnknownSigner)?;
        let keys = grant::open(member, bytes, &header, &granter)?;
        verify_key_checks(
            &self.workspace_id,
            &self.case_id,
            header.epoch,
            &keys,
            &checks,
        )?;
        // Keep the better of two grants for one epoch (a history grant at full level after
        // a summary one, say).
        let better = self
            .keys
            .get(&header.epoch)
            .is_none_or(|held| keys.level() > held.level());
        if better {
            self.keys.insert(header.epoch, keys);
        }
        Ok(())
    }

    /// The case id.
    pub fn id(&self) -> CaseId {
        self.case_id
    }

    /// The workspace the case belongs to.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace_id
    }

    /// The current epoch.
    pub fn epoch(&self) -> u32 {
        self.log.epoch()
    }

    /// This member's current level on the case.
    pub fn level(&self) -> Level {
        self.log.level_of(&self.me).unwrap_or(Level::Summary)
    }

    /// The verified case log.
    pub fn log(&self) -> &CaseLog {
        &self.log
    }

    /// The head to remember and pin next time.
    pub fn head(&self) -> CaseHead {
        self.log.head()
    }

    /// The epochs whose keys this member holds.
    pub fn held_epochs(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Whether members who left the workspace still hold the current key: then nothing may
    /// be written until [`Case::remove_departed`] moves the case to a new key.
    pub fn needs_rotation(&self, workspace: &Workspace) -> bool {
        membership(workspace).is_ok_and(|ws| self.log.departed(ws).next().is_some())
    }

    /// Adds a member of the workspace at `level`. The case moves to a new epoch whose keys
    /// every member receives: the new member reads from now on, not before.
    ///
    /// # Errors
    /// `LevelTooLow` unless this member is a full member; `NotAMember` if `member_id` is not
    /// a current member of the workspace; `AlreadyMember`; `CaseNeedsRotation`.
    pub fn add(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        level: Level,
        now: u64,
    ) -> Result<CaseChange, MembershipError> {
        self.add_with_rng(workspace, member_id, level, now, &mut system_rng()?)
    }

    /// [`Case::add`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::add`].
    pub fn add_with_rng(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        level: Level,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<CaseChange, MembershipError> {
        self.check_writable(workspace)?;
        let member_id = *member_id;
        self.new_epoch(workspace, now, rng, |epoch, checks| CaseEntryBody::Add {
            member_id,
            level,
            epoch,
            checks,
        })
    }

    /// Removes a member from the case; the case moves to a new epoch the removed member
    /// never receives. A member cannot remove itself, and the last full member cannot be
    /// removed (hand the case over first).
    ///
    /// # Errors
    /// `LevelTooLow`, `NotAMember`, `CannotRemoveSelf`, `LastHolder`.
    pub fn remove(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        now: u64,
    ) -> Result<CaseChange, MembershipError> {
        self.remove_with_rng(workspace, member_id, now, &mut system_rng()?)
    }

    /// [`Case::remove`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::remove`].
    pub fn remove_with_rng(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<CaseChange, MembershipError> {
        let member_id = *member_id;
        if member_id == self.me {
            return Err(MembershipError::CannotRemoveSelf);
        }
        self.new_epoch(workspace, now, rng, |epoch, checks| CaseEntryBody::Remove {
            member_id,
            epoch,
            checks,
        })
    }

    /// Removes, one entry each, every member of the case who has left the workspace: after
    /// a removal from the workspace, this moves the case to keys they never had.
    ///
    /// # Errors
    /// As [`Case::remove`].
    pub fn remove_departed(
        &mut self,
        workspace: &Workspace,
        now: u64,
    ) -> Result<Vec<CaseChange>, MembershipError> {
        let ws_log = membership(workspace)?;
        let departed: Vec<[u8; ID]> = self.log.departed(ws_log).collect();
        let mut rng = system_rng()?;
        departed
            .iter()
            .map(|id| self.remove_with_rng(workspace, id, now, &mut rng))
            .collect()
    }

    /// Changes a member's level; the case moves to a new epoch.
    ///
    /// # Errors
    /// `LevelTooLow`, `NotAMember`, `LastHolder`, `CaseNeedsRotation`.
    pub fn set_level(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        level: Level,
        now: u64,
    ) -> Result<CaseChange, MembershipError> {
        self.set_level_with_rng(workspace, member_id, level, now, &mut system_rng()?)
    }

    /// [`Case::set_level`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::set_level`].
    pub fn set_level_with_rng(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        level: Level,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<CaseChange, MembershipError> {
        self.check_writable(workspace)?;
        let member_id = *member_id;
        self.new_epoch(workspace, now, rng, |epoch, checks| {
            CaseEntryBody::SetLevel {
                member_id,
                level,
                epoch,
                checks,
            }
        })
    }

    /// Moves the case to a new epoch without a change of members.
    ///
    /// # Errors
    /// `LevelTooLow`, `CaseNeedsRotation`.
    pub fn rotate(
        &mut self,
        workspace: &Workspace,
        now: u64,
    ) -> Result<CaseChange, MembershipError> {
        self.rotate_with_rng(workspace, now, &mut system_rng()?)
    }

    /// [`Case::rotate`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Case::rotate`].
    pub fn rotate_with_rng(
        &mut self,
        workspace: &Workspace,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<CaseChange, MembershipError> {
        self.check_writable(workspace)?;
        self.new_epoch(workspace, now, rng, |epoch, checks| CaseEntryBody::Rotate {
            epoch,
            checks,
        })
    }

    /// Gives a current member of the case the keys of epochs `from_epoch` up to the one
    /// before it joined, at its level: history as an explicit, logged grant. Only keys this
    /// member holds are shared.
    ///
    /// # Errors
    /// `LevelTooLow`, `NotAMember`, `UnknownEpoch`.
    pub fn share_history(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        from_epoch: u32,
        now: u64,
    ) -> Result<CaseChange, MembershipError> {
        self.share_history_with_rng(workspace, member_id, from_epoch, now, &mut system_rng()?)
    }

    /// [`Case::share_history`] with an explicit generator (for the grants).
    ///
    /// # Errors
    /// As [`Case::share_history`].
    pub fn share_history_with_rng(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8; ID],
        from_epoch: u32,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<CaseChange, MembershipError> {
        let (ws_log, member) = self.acting(workspace)?;
        self.require_full()?;
        let level = self
            .log
            .level_of(member_id)
            .ok_or(MembershipError::NotAMember)?;
        let body = CaseEntryBody::ShareHistory {
            member_id: *member_id,
            from_epoch,
        };
        let log_entry = self.log.append(ws_log, member, now, body)?.to_vec();
        let recipient = ws_log
            .bundle_of_any(member_id)
            .ok_or(MembershipError::NotAMember)?;
        let mut grants = Vec::new();
        for (epoch, keys) in self.keys.range(from_epoch..) {
            if self.log.entitled(member_id, *epoch, level)
                && !self.was_on_case_at_level(member_id, *epoch, level)
            {
                grants.push(CaseGrant {
                    member_id: *member_id,
                    grant: grant::seal_with_rng(
                        member,
                        &recipient,
                        self.workspace_id,
                        self.case_id,
                        *epoch,
                        level,
                        keys,
                        rng,
                    )?,
                });
            }
        }
        Ok(CaseChange { log_entry, grants })
    }

    fn was_on_case_at_level(&self, member_id: &[u8; ID], epoch: u32, level: Level) -> bool {
        // A member on the case during `epoch` was granted that epoch's keys already.
        self.log.was_on_case(member_id, epoch, level)
    }

    /// Sets the date before which the case cannot be deleted (0: none).
    ///
    /// # Errors
    /// `LevelTooLow`.
    pub fn set_retention(
        &mut self,
        workspace: &Workspace,
        retention_until: u64,
        now: u64,
    ) -> Result<Vec<u8>, MembershipError> {
        let (ws_log, member) = self.acting(workspace)?;
        self.require_full()?;
        let body = CaseEntryBody::SetRetention { retention_until };
        Ok(self.log.append(ws_log, member, now, body)?.to_vec())
    }

    /// Deletes the case (FORMAT.md#deleting-a-case): appends the tombstone, drops every key
    /// this object holds. Once the server drops the case's grants, no one who did not keep a
    /// key can open its records (SECURITY.md#cases).
    ///
    /// # Errors
    /// `LevelTooLow`, `UnderRetention`.
    pub fn delete(&mut self, workspace: &Workspace, now: u64) -> Result<Vec<u8>, MembershipError> {
        let (ws_log, member) = self.acting(workspace)?;
        self.require_full()?;
        let entry = self
            .log
            .append(ws_log, member, now, CaseEntryBody::Delete)?
            .to_vec();
        self.keys.clear();
        Ok(entry)
    }

    /// A new epoch: fresh keys, the entry `body(epoch, checks)`, and a grant to each member
    /// on the case after it who is still a member of the workspace, at its level.
    fn new_epoch(
        &mut self,
        workspace: &Workspace,
        now: u64,
        rng: &mut impl CryptoRng,
        body: impl FnOnce(u32, [u8; log::CASE_KEY_CHECKS_LEN]) -> CaseEntryBody,
    ) -> Result<CaseChange, MembershipError> {
        let (ws_log, member) = self.acting(workspace)?;
        self.require_full()?;
        let epoch = self
            .log
            .epoch()
            .checked_add(1)
            .ok_or(ArgumentError::OutOfRange { what: "epoch" })?;
        let keys = CaseKeys::generate_with_rng(rng);
        let checks = key_checks(&self.workspace_id, &self.case_id, epoch, &keys);
        let log_entry = self
            .log
            .append(ws_log, member, now, body(epoch, checks))?
            .to_vec();
        let recipients: Vec<([u8; ID], Level)> = self
            .log
            .members()
            .filter(|(id, _)| ws_log.is_active(id))
            .collect();
        let mut grants = Vec::with_capacity(recipients.len());
        for (id, level) in recipients {
            let bundle = ws_log
                .bundle_of_any(&id)
                .ok_or(MembershipError::NotAMember)?;
            grants.push(CaseGrant {
                member_id: id,
                grant: grant::seal_with_rng(
                    member,
                    &bundle,
                    self.workspace_id,
                    self.case_id,
                    epoch,
                    level,
                    &keys,
                    rng,
                )?,
            });
        }
        self.keys.insert(epoch, keys);
        Ok(CaseChange { log_entry, grants })
    }

    /// The workspace's verified log and its member, who signs and seals for this case: the
    /// member the case was created or loaded as, in the case's workspace.
    fn acting<'w>(
        &self,
        workspace: &'w Workspace,
    ) -> Result<(&'w MembershipLog, &'w MemberSecretKey), MembershipError> {
        let ws_log = membership(workspace)?;
        if ws_log.workspace_id() != self.workspace_id {
            return Err(MembershipError::WrongWorkspace);
        }
        let member = workspace.member();
        if member.fingerprint().id() != self.me {
            return Err(MembershipError::NotAMember);
        }
        Ok((ws_log, member))
    }

    fn require_full(&self) -> Result<(), MembershipError> {
        if self.log.level_of(&self.me) == Some(Level::Full) {
            Ok(())
        } else {
            Err(MembershipError::LevelTooLow)
        }
    }

    /// Full member, case not deleted, and no member who left the workspace holds the
    /// current key.
    fn check_writable(&self, workspace: &Workspace) -> Result<(), MembershipError> {
        self.require_full()?;
        if self.log.is_deleted() {
            return Err(MembershipError::CaseDeleted);
        }
        if self.needs_rotation(workspace) {
            return Err(MembershipError::CaseNeedsRotation);
        }
        Ok(())
    }

    /// A view of the case for writing records at `level` (FORMAT.md#case-records): only a
    /// full member writes, and only while no member who left the workspace holds the key.
    ///
    /// # Errors
    /// `LevelTooLow`, `CaseDeleted`, `CaseNeedsRotation`.
    pub fn writer<'a>(
        &'a self,
        workspace: &Workspace,
        level: Level,
    ) -> Result<CaseWriter<'a>, MembershipError> {
        self.check_writable(workspace)?;
        Ok(CaseWriter { case: self, level })
    }

    /// Encrypts a record of this case at `level` in the current epoch.
    ///
    /// # Errors
    /// As [`Case::writer`]; `InvalidArgument` for an invalid context or an oversized plaintext.
    pub fn encrypt(
        &self,
        workspace: &Workspace,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
        level: Level,
    ) -> Result<Vec<u8>, MembershipError> {
        self.encrypt_with_rng(
            workspace,
            plaintext,
            ctx,
            options,
            level,
            &mut system_rng()?,
        )
    }

    /// [`Case::encrypt`] with an explicit generator (for the salt).
    ///
    /// # Errors
    /// As [`Case::encrypt`].
    pub fn encrypt_with_rng(
        &self,
        workspace: &Workspace,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
        level: Level,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, MembershipError> {
        let writer = self.writer(workspace, level)?;
        let (header, key) = writer
            .key_for_new_record(options.content_type, options.pad)
            .map_err(|_| MembershipError::LevelTooLow)?;
        Ok(record::seal_with_rng(key, header, ctx, plaintext, rng)?)
    }

    /// Starts a streamed record of this case at `level`.
    ///
    /// # Errors
    /// As [`Case::encrypt`].
    pub fn encrypt_stream(
        &self,
        workspace: &Workspace,
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
        level: Level,
    ) -> Result<RecordEncryptor, MembershipError> {
        let writer = self.writer(workspace, level)?;
        let (header, key) = writer
            .key_for_new_record(options.content_type, options.pad)
            .map_err(|_| MembershipError::LevelTooLow)?;
        Ok(RecordEncryptor::new_with_rng(
            key,
            header,
            ctx,
            &mut system_rng()?,
        )?)
    }

    /// Decrypts a record of this case, of any epoch and level whose key this member holds.
    ///
    /// # Errors
    /// `WrongCase`, `UnknownEpoch`, `LevelTooLow`, and as [`Workspace::decrypt`].
    pub fn decrypt(
        &self,
        record: &[u8],
        ctx: &RecordContext<'_>,
    ) -> Result<(ContentType, Zeroizing<Vec<u8>>), DecryptError> {
        let header = RecordHeader::parse(record)?;
        let key = self.key_for_record(&header)?;
        let plaintext = record::open(key, &header, ctx, record)?;
        Ok((header.content_type, plaintext))
    }

    /// The keys of `epoch` at `level`, for test-only independent implementations
    /// (FORMAT.md#independent-implementations).
    #[cfg(feature = "hazmat")]
    pub fn hazmat_key(&self, epoch: u32, level: Level) -> Option<[u8; 32]> {
        self.keys
            .get(&epoch)
            .and_then(|k| k.key(level))
            .map(|k| *k.expose_secret())
    }
}

impl crate::record::sealed::Sealed for Case {}

impl RecordKeys for Case {
    fn key_for_record(&self, header: &RecordHeader) -> Result<&ContentKey, DecryptError> {
        let RecordScope::Case { case_id, level } = header.scope else {
            return Err(DecryptError::WrongCase);
        };
        if case_id != self.case_id {
            return Err(DecryptError::WrongCase);
        }
        let keys = self
            .keys
            .get(&header.epoch)
            .ok_or(DecryptError::UnknownEpoch {
                epoch: header.epoch,
            })?;
        keys.key(level).ok_or(DecryptError::LevelTooLow)
    }

    /// A bare `Case` writes nothing: [`Case::writer`] checks that the member may.
    fn key_for_new_record(
        &self,
        _content_type: ContentType,
        _padded: bool,
    ) -> Result<(RecordHeader, &ContentKey), DecryptError> {
        Err(DecryptError::LevelTooLow)
    }
}

impl crate::record::sealed::Sealed for CaseWriter<'_> {}

impl RecordKeys for CaseWriter<'_> {
    fn key_for_record(&self, header: &RecordHeader) -> Result<&ContentKey, DecryptError> {
        self.case.key_for_record(header)
    }

    fn key_for_new_record(
        &self,
        content_type: ContentType,
        padded: bool,
    ) -> Result<(RecordHeader, &ContentKey), DecryptError> {
        let epoch = self.case.log.epoch();
        let header = RecordHeader {
            version: RecordVersion::V3,
            content_type,
            padded,
            scope: RecordScope::Case {
                case_id: self.case.case_id,
                level: self.level,
            },
            epoch,
        };
        let key = self
            .case
            .keys
            .get(&epoch)
            .and_then(|k| k.key(self.level))
            .ok_or(DecryptError::LevelTooLow)?;
        Ok((header, key))
    }
}

/// A case, checked for writing at one level ([`Case::writer`]).
pub struct CaseWriter<'a> {
    case: &'a Case,
    level: Level,
}

impl CaseLog {
    /// Checks a case grant against this verified log as far as anyone but its recipient can
    /// (FORMAT.md#verifying-case-grants, steps 1, 2 and 4 to 7): its header; its workspace
    /// and case; its epoch is in the log; its granter was a full member during that epoch;
    /// its recipient is entitled to that epoch at its level; the granter's signature, under
    /// the key `workspace` (the case's verified membership log) has for it. What only the
    /// recipient can check, the opened keys against the log's key checks, is left to
    /// [`Case::load`]. A storage server runs this on every grant it is given, so that what
    /// it serves does not fail a member's load for want of a check it could make.
    ///
    /// # Errors
    /// `Malformed`, `WrongWorkspace`, `WrongCase`, `UnknownEpoch`, `NotAuthorized`,
    /// `UnknownSigner`, `BadSignature`.
    pub fn check_grant(
        &self,
        workspace: &MembershipLog,
        grant: &[u8],
    ) -> Result<CaseGrantHeader, MembershipError> {
        let header = grant::peek(grant)?;
        if header.workspace_id != self.workspace_id() {
            return Err(MembershipError::WrongWorkspace);
        }
        if header.case_id != self.case_id() {
            return Err(MembershipError::WrongCase);
        }
        self.checks(header.epoch)?;
        if !self.may_grant(&header.granter_id, header.epoch)
            || !self.entitled(&header.recipient_id, header.epoch, header.level)
        {
            return Err(MembershipError::NotAuthorized);
        }
        let granter = workspace
            .bundle_of_any(&header.granter_id)
            .ok_or(MembershipError::UnknownSigner)?;
        grant::verify_signature(grant, &header, &granter)?;
        Ok(header)
    }
}

/// The workspace's verified membership log: cases need one.
fn membership(workspace: &Workspace) -> Result<&MembershipLog, MembershipError> {
    workspace
        .membership()
        .ok_or(MembershipError::NoMembershipLog)
}

//! A workspace: its id, its content key per epoch, and the member acting in it
//! (docs/FORMAT.md#workspace).

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::{ArgumentError, DecryptError, GrantError, MembershipError, ParseError};
use crate::identity::{Fingerprint, MemberPublicBundle, MemberSecretKey};
use crate::keys::{ContentKey, WorkspaceId};
use crate::membership::grant;
use crate::membership::history::{self, HistoryLink};
use crate::membership::invite::{Acceptance, InviteLink, InviteSecret};
use crate::membership::log::{EntryBody, Head, LogEntry, MAX_INVITE_SECONDS, MembershipLog, Role};
use crate::membership::log::{check_log_limits, check_pinned_head, raw};
use crate::record::stream::RecordEncryptor;
use crate::record::{
    self, ContentType, RecordContext, RecordHeader, RecordKeys, RecordScope, RecordVersion,
};
use crate::rng::{random_array, system_rng};

/// A workspace as one member sees it.
pub struct Workspace {
    id: WorkspaceId,
    epoch: u32,
    /// The key of `epoch`, which new records use.
    current_key: ContentKey,
    /// Keys of earlier epochs this member still holds (empty until rotation exists).
    earlier_keys: BTreeMap<u32, ContentKey>,
    member: MemberSecretKey,
    /// The verified membership log; `None` for a workspace opened from a bare grant.
    log: Option<MembershipLog>,
}

/// What [`Workspace::load`] verifies: everything the server returned, and what the client
/// remembers or was given out of band (FORMAT.md#loading-a-workspace).
#[derive(Default)]
pub struct LoadInput<'a> {
    /// Every log entry, genesis first.
    pub log: &'a [&'a [u8]],
    /// Grants addressed to the loading member, any epochs.
    pub grants: &'a [&'a [u8]],
    /// History links, any epochs.
    pub history: &'a [&'a [u8]],
    /// The head this client saw last, if any.
    pub pinned_head: Option<Head>,
    /// The invite link this member joined through, on its first load.
    pub invite: Option<&'a InviteLink>,
}

/// A new invite (FORMAT.md#invites).
pub struct NewInvite {
    /// The link to hand to the invitee out of band. It holds the secret: never send it to
    /// the server.
    pub link: InviteLink,
    /// The invite log entry, for the server.
    pub log_entry: Vec<u8>,
    /// The invite id, which the server indexes the acceptance by.
    pub invite_id: [u8; 32],
}

/// A new member's admission: its log entry and its grant of the current epoch key.
pub struct Admission {
    /// The admit log entry.
    pub log_entry: Vec<u8>,
    /// The new member's id.
    pub member_id: [u8; Fingerprint::ID_LEN],
    /// The grant of the current epoch key to the new member.
    pub grant: Vec<u8>,
}

/// A grant addressed to one member.
pub struct MemberGrant {
    /// The recipient's id.
    pub member_id: [u8; Fingerprint::ID_LEN],
    /// The grant.
    pub grant: Vec<u8>,
}

/// A new epoch (FORMAT.md#rotation): its log entry, a grant for every current member
/// (the caller included), and the history link from the new key to the previous one.
pub struct Rotation {
    /// The remove or rotate log entry.
    pub log_entry: Vec<u8>,
    /// The new epoch.
    pub epoch: u32,
    /// One grant per current member.
    pub grants: Vec<MemberGrant>,
    /// The previous epoch key sealed under the new one.
    pub history_link: Vec<u8>,
}

/// Options for [`Workspace::encrypt_with_rng`].
#[derive(Debug, Clone, Copy)]
pub struct EncryptOptions {
    /// What the plaintext is.
    pub content_type: ContentType,
    /// Whether to pad the plaintext to a PADMÉ bucket (FORMAT.md#padding).
    pub pad: bool,
}

impl Workspace {
    /// Creates a workspace at epoch 0 with a fresh id and content key, and its membership
    /// log with `member` as creator and first admin. `now` is Unix time in seconds.
    ///
    /// # Errors
    /// [`ArgumentError::RandomUnavailable`] if the system CSPRNG fails.
    pub fn create(member: MemberSecretKey, now: u64) -> Result<Self, MembershipError> {
        Self::create_with_rng(member, now, &mut system_rng()?)
    }

    /// [`Workspace::create`] with an explicit generator.
    ///
    /// # Errors
    /// None in practice: the genesis entry is checked like any other and always passes.
    pub fn create_with_rng(
        member: MemberSecretKey,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Self, MembershipError> {
        let id = WorkspaceId::generate_with_rng(rng);
        let current_key = ContentKey::generate_with_rng(rng);
        let log =
            MembershipLog::create(&member, id, now, history::key_check(&id, 0, &current_key))?;
        Ok(Self {
            id,
            epoch: 0,
            current_key,
            earlier_keys: BTreeMap::new(),
            member,
            log: Some(log),
        })
    }

    pub(crate) fn from_grant(
        id: WorkspaceId,
        epoch: u32,
        key: ContentKey,
        member: MemberSecretKey,
    ) -> Self {
        Self {
            id,
            epoch,
            current_key: key,
            earlier_keys: BTreeMap::new(),
            member,
            log: None,
        }
    }

    /// The workspace id.
    pub fn id(&self) -> WorkspaceId {
        self.id
    }

    /// The epoch new records are written in.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The member acting in this workspace.
    pub fn member(&self) -> &MemberSecretKey {
        &self.member
    }

    fn key_for(&self, epoch: u32) -> Option<&ContentKey> {
        if epoch == self.epoch {
            Some(&self.current_key)
        } else {
            self.earlier_keys.get(&epoch)
        }
    }

    /// Encrypts a record in the current epoch.
    ///
    /// # Errors
    /// [`ArgumentError`] for an invalid context, an oversized plaintext, or no randomness.
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
    ) -> Result<Vec<u8>, ArgumentError> {
        self.encrypt_with_rng(plaintext, ctx, options, &mut system_rng()?)
    }

    /// [`Workspace::encrypt`] with an explicit generator (for the salt).
    ///
    /// # Errors
    /// [`ArgumentError`] for an invalid context or an oversized plaintext.
    pub fn encrypt_with_rng(
        &self,
        plaintext: &[u8],
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, ArgumentError> {
        let header = RecordHeader {
            version: RecordVersion::CURRENT,
            content_type: options.content_type,
            padded: options.pad,
            scope: RecordScope::Workspace(self.id),
            epoch: self.epoch,
        };
        record::seal_with_rng(&self.current_key, header, ctx, plaintext, rng)
    }

    /// Starts a streamed record in the current epoch (FORMAT.md#streaming): the same bytes a
    /// one-shot [`Workspace::encrypt`] of the whole input would give for the same salt.
    ///
    /// # Errors
    /// [`ArgumentError`] for an invalid context, or no randomness.
    pub fn encrypt_stream(
        &self,
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
    ) -> Result<RecordEncryptor, ArgumentError> {
        self.encrypt_stream_with_rng(ctx, options, &mut system_rng()?)
    }

    /// [`Workspace::encrypt_stream`] with an explicit generator (for the salt).
    ///
    /// # Errors
    /// [`ArgumentError`] for an invalid context.
    pub fn encrypt_stream_with_rng(
        &self,
        ctx: &RecordContext<'_>,
        options: EncryptOptions,
        rng: &mut impl CryptoRng,
    ) -> Result<RecordEncryptor, ArgumentError> {
        let header = RecordHeader {
            version: RecordVersion::CURRENT,
            content_type: options.content_type,
            padded: options.pad,
            scope: RecordScope::Workspace(self.id),
            epoch: self.epoch,
        };
        RecordEncryptor::new_with_rng(&self.current_key, header, ctx, rng)
    }

    /// Decrypts a record of this workspace, in any epoch whose key it holds.
    ///
    /// # Errors
    /// [`DecryptError`]: `Malformed`, `WrongWorkspace`, `UnknownEpoch`, or the opaque
    /// `DecryptionFailed` for a wrong context or altered bytes.
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

    /// Seals the current content key to `recipient`, signed by this workspace's member
    /// (FORMAT.md#grant).
    ///
    /// # Errors
    /// [`GrantError::Malformed`] if the bundle does not parse, or no randomness.
    pub fn grant(&self, recipient: &[u8]) -> Result<Vec<u8>, GrantError> {
        self.grant_with_rng(recipient, &mut system_rng()?)
    }

    /// [`Workspace::grant`] with an explicit generator (for the X-Wing encapsulation).
    ///
    /// # Errors
    /// [`GrantError::Malformed`] if the bundle does not parse.
    pub fn grant_with_rng(
        &self,
        recipient: &[u8],
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, GrantError> {
        let recipient = MemberPublicBundle::from_bytes(recipient)?;
        grant::seal_with_rng(
            &self.member,
            &recipient,
            self.id,
            self.epoch,
            &self.current_key,
            rng,
        )
    }

    /// Opens a grant addressed to `member`, checking it was signed by `granter`, and
    /// returns the workspace it grants.
    ///
    /// # Errors
    /// [`GrantError`]: `Malformed`, `NotForThisMember`, `BadSignature`, `DecryptionFailed`.
    pub fn open_grant(
        member: MemberSecretKey,
        grant_bytes: &[u8],
        granter: &[u8],
    ) -> Result<Self, GrantError> {
        let granter = MemberPublicBundle::from_bytes(granter)?;
        let opened = grant::open(&member, grant_bytes, &granter)?;
        Ok(Self::from_grant(
            opened.workspace_id,
            opened.epoch,
            opened.key,
            member,
        ))
    }

    /// Loads a workspace from what the server returned, verifying all of it
    /// (FORMAT.md#loading-a-workspace): first the cheap checks (the log's limits, and the
    /// pinned head, invite link or own entry that anchors it), then the whole log from
    /// genesis, that `member` is a current member, each grant's signer, recipient, epoch and
    /// key check, and each history link's key check. Copies the log once; a
    /// [`WorkspaceLoader`] takes it by value and verifies it in steps.
    ///
    /// # Errors
    /// The first check that fails, as a [`MembershipError`] with its own code.
    pub fn load(member: MemberSecretKey, input: &LoadInput<'_>) -> Result<Self, MembershipError> {
        check_log_limits(input.log.len(), input.log.iter().map(|e| e.len()))?;
        let log = input.log.iter().map(|e| e.to_vec()).collect();
        let invite = input.invite.map(InviteLink::duplicate);
        let mut loader = WorkspaceLoader::new(member, log, input.pinned_head, invite)?;
        loader.verify(usize::MAX)?;
        loader.finish(input.grants, input.history)
    }

    /// Steps 9 to 13 of FORMAT.md#loading-a-workspace, on a verified log.
    fn from_verified_log(
        member: MemberSecretKey,
        log: MembershipLog,
        pinned_head: Option<&Head>,
        invite: Option<&InviteLink>,
        grants: &[&[u8]],
        history: &[&[u8]],
    ) -> Result<Self, MembershipError> {
        let me = member.fingerprint().id();
        // The anchors again, now on verified state: they cannot disagree with the cheap
        // checks that ran first, and stay as a second line.
        if let Some(head) = pinned_head {
            log.check_pinned(head)?;
        }
        if let Some(link) = invite {
            let invite = log
                .invite(&link.invite_id())
                .ok_or(MembershipError::InviteUnknown)?;
            if invite.inviter_id != link.inviter_id() {
                return Err(MembershipError::InviterMismatch);
            }
            if invite.used_by != Some(me) {
                return Err(MembershipError::NotAMember);
            }
        }
        if !log.is_active(&me) {
            return Err(MembershipError::NotAMember);
        }
        let id = log.workspace_id();
        let epoch = log.epoch();

        // The current key apart from the rest: the map is only ever inserted into and read.
        let mut current_key = None;
        let mut keys = BTreeMap::new();
        for bytes in grants {
            let header = grant::peek(bytes)?;
            if header.workspace_id != id {
                return Err(MembershipError::WrongWorkspace);
            }
            if header.recipient_id != me {
                return Err(GrantError::NotForThisMember.into());
            }
            let key_check = log.key_check(header.epoch)?;
            let granter = log.granter(header.epoch, &header.granter_id)?;
            let opened = grant::open(&member, bytes, &granter)?;
            history::verify_key_check(&id, header.epoch, &opened.key, key_check)?;
            if header.epoch == epoch {
                current_key = Some(opened.key);
            } else {
                keys.insert(header.epoch, opened.key);
            }
        }
        let current_key = current_key.ok_or(MembershipError::MissingGrant)?;

        let mut links = Vec::new();
        for bytes in history {
            let link = HistoryLink::parse(bytes)?;
            if link.workspace_id != id {
                return Err(MembershipError::WrongWorkspace);
            }
            if link.epoch > epoch {
                return Err(MembershipError::UnknownEpoch { epoch: link.epoch });
            }
            links.push(link);
        }
        // Walk back from the newest key: the link of epoch e yields the key of e - 1.
        for e in (1..=epoch).rev() {
            let previous = e - 1;
            if keys.contains_key(&previous) {
                continue;
            }
            let key = if e == epoch {
                Some(&current_key)
            } else {
                keys.get(&e)
            };
            let Some(key) = key else {
                continue;
            };
            // Any link for `e` that opens and matches the log will do: a junk link the
            // server slipped in first does not hide a good one.
            let mut outcome = None;
            for link in links.iter().filter(|l| l.epoch == e) {
                let opened = link.open(key).and_then(|k| {
                    history::verify_key_check(&id, previous, &k, log.key_check(previous)?)
                        .map(|()| k)
                });
                let done = opened.is_ok();
                outcome = Some(opened);
                if done {
                    break;
                }
            }
            match outcome {
                Some(Ok(opened)) => {
                    keys.insert(previous, opened);
                }
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Ok(Self {
            id,
            epoch,
            current_key,
            earlier_keys: keys,
            member,
            log: Some(log),
        })
    }

    /// The verified membership log, unless this workspace came from a bare grant.
    pub fn membership(&self) -> Option<&MembershipLog> {
        self.log.as_ref()
    }

    /// The head of the membership log, for the client to remember (FORMAT.md#head).
    pub fn head(&self) -> Option<Head> {
        self.log.as_ref().map(MembershipLog::head)
    }

    fn log_mut(&mut self) -> Result<&mut MembershipLog, MembershipError> {
        self.log.as_mut().ok_or(MembershipError::NoMembershipLog)
    }

    /// Creates an invite for `role`, open for `expires_in` seconds from `now` (at most 90
    /// days), and appends it to the log (FORMAT.md#invites).
    ///
    /// # Errors
    /// `NotAuthorized` unless this member is an admin; `InvalidArgument` for an expiry out
    /// of range or no randomness.
    pub fn create_invite(
        &mut self,
        role: Role,
        now: u64,
        expires_in: u64,
    ) -> Result<NewInvite, MembershipError> {
        self.create_invite_with_rng(role, now, expires_in, &mut system_rng()?)
    }

    /// [`Workspace::create_invite`] with an explicit generator (for the invite nonce).
    ///
    /// # Errors
    /// As [`Workspace::create_invite`].
    pub fn create_invite_with_rng(
        &mut self,
        role: Role,
        now: u64,
        expires_in: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<NewInvite, MembershipError> {
        let out_of_range = ArgumentError::OutOfRange {
            what: "expiresInSeconds",
        };
        if expires_in == 0 || expires_in > MAX_INVITE_SECONDS {
            return Err(out_of_range.into());
        }
        let expires_at = now.checked_add(expires_in).ok_or(out_of_range)?;
        let nonce = random_array(rng);
        let secret = InviteSecret::derive(&self.member, &self.id, &nonce);
        let invite_id = secret.invite_id(&self.id);
        let inviter_id = self.member.fingerprint().id();
        let body = EntryBody::Invite {
            invite_id,
            nonce,
            role,
            expires_at,
        };
        let member = &self.member;
        let log = self.log.as_mut().ok_or(MembershipError::NoMembershipLog)?;
        let log_entry = log.append(member, now, body)?.to_vec();
        Ok(NewInvite {
            link: InviteLink::new(self.id, secret, inviter_id),
            log_entry,
            invite_id,
        })
    }

    /// Admits the invitee behind `acceptance`: checks its binding to an invite this member
    /// made (unused, unexpired at `now`), appends the admit entry and grants the current
    /// epoch key (FORMAT.md#admission).
    ///
    /// # Errors
    /// `Malformed`/`BadSignature` for a bad acceptance; `InviteUnknown`, `InviteUsed`,
    /// `InviteExpired`, `BadAcceptance`, `AlreadyMember`, `NotAuthorized`, `WrongWorkspace`.
    pub fn admit(&mut self, acceptance: &[u8], now: u64) -> Result<Admission, MembershipError> {
        self.admit_with_rng(acceptance, now, &mut system_rng()?)
    }

    /// [`Workspace::admit`] with an explicit generator (for the grant).
    ///
    /// # Errors
    /// As [`Workspace::admit`].
    pub fn admit_with_rng(
        &mut self,
        acceptance: &[u8],
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Admission, MembershipError> {
        let acceptance = Acceptance::parse(acceptance)?;
        if acceptance.workspace_id() != self.id {
            return Err(MembershipError::WrongWorkspace);
        }
        let log = self.log.as_ref().ok_or(MembershipError::NoMembershipLog)?;
        let invite = log
            .invite(&acceptance.invite_id())
            .ok_or(MembershipError::InviteUnknown)?;
        if invite.inviter_id != self.member.fingerprint().id() {
            return Err(MembershipError::NotAuthorized);
        }
        if invite.used_by.is_some() {
            return Err(MembershipError::InviteUsed);
        }
        if now > invite.expires_at {
            return Err(MembershipError::InviteExpired);
        }
        let secret = InviteSecret::derive(&self.member, &self.id, &invite.nonce);
        acceptance.verify_mac(&secret)?;
        let bundle = acceptance.bundle().clone();
        let grant = grant::seal_with_rng(
            &self.member,
            &bundle,
            self.id,
            self.epoch,
            &self.current_key,
            rng,
        )?;
        let member = &self.member;
        let log = self.log.as_mut().ok_or(MembershipError::NoMembershipLog)?;
        let body = EntryBody::Admit {
            acceptance: Box::new(acceptance),
        };
        let log_entry = log.append(member, now, body)?.to_vec();
        Ok(Admission {
            log_entry,
            member_id: bundle.fingerprint().id(),
            grant,
        })
    }

    /// Removes member `member_id` and starts a new epoch whose key only the remaining
    /// members receive (FORMAT.md#rotation).
    ///
    /// # Errors
    /// `NotAMember`, `LastAdmin`, `NotAuthorized`, `NoMembershipLog`, or no randomness.
    pub fn remove(
        &mut self,
        member_id: &[u8; Fingerprint::ID_LEN],
        now: u64,
    ) -> Result<Rotation, MembershipError> {
        self.remove_with_rng(member_id, now, &mut system_rng()?)
    }

    /// [`Workspace::remove`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Workspace::remove`].
    pub fn remove_with_rng(
        &mut self,
        member_id: &[u8; Fingerprint::ID_LEN],
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Rotation, MembershipError> {
        // FORMAT.md#rotation: a leaving admin would hold the key meant to shut it out.
        if *member_id == self.member.fingerprint().id() {
            return Err(MembershipError::CannotRemoveSelf);
        }
        self.start_epoch_with_rng(Some(*member_id), now, rng, true)
    }

    /// Starts a new epoch without removing anyone, e.g. after a suspected device loss
    /// (FORMAT.md#rotation).
    ///
    /// # Errors
    /// `NotAuthorized`, `NoMembershipLog`, or no randomness.
    pub fn rotate(&mut self, now: u64) -> Result<Rotation, MembershipError> {
        self.start_epoch_with_rng(None, now, &mut system_rng()?, true)
    }

    /// [`Workspace::rotate`] with an explicit generator.
    ///
    /// # Errors
    /// As [`Workspace::rotate`].
    pub fn rotate_with_rng(
        &mut self,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Rotation, MembershipError> {
        self.start_epoch_with_rng(None, now, rng, true)
    }

    fn start_epoch_with_rng(
        &mut self,
        removed: Option<[u8; Fingerprint::ID_LEN]>,
        now: u64,
        rng: &mut impl CryptoRng,
        seal_grants: bool,
    ) -> Result<Rotation, MembershipError> {
        let epoch = self
            .epoch
            .checked_add(1)
            .ok_or(ArgumentError::OutOfRange { what: "epoch" })?;
        let key = ContentKey::generate_with_rng(rng);
        let key_check = history::key_check(&self.id, epoch, &key);
        let body = match removed {
            Some(member_id) => EntryBody::Remove {
                member_id,
                epoch,
                key_check,
            },
            None => EntryBody::Rotate { epoch, key_check },
        };
        let member = &self.member;
        let log = self.log.as_mut().ok_or(MembershipError::NoMembershipLog)?;
        let log_entry = log.append(member, now, body)?.to_vec();
        // The log has moved on: move the keys with it before anything else can fail.
        let history_link = history::seal(&self.id, epoch, &key, &self.current_key);
        let previous = core::mem::replace(&mut self.current_key, key);
        self.earlier_keys.insert(self.epoch, previous);
        self.epoch = epoch;
        let recipients = if seal_grants {
            self.log_mut()?
                .members()
                .map(|m| m.bundle())
                .collect::<Result<Vec<MemberPublicBundle>, _>>()?
        } else {
            Vec::new()
        };
        let mut grants = Vec::with_capacity(recipients.len());
        for bundle in &recipients {
            grants.push(MemberGrant {
                member_id: bundle.fingerprint().id(),
                grant: grant::seal_with_rng(
                    &self.member,
                    bundle,
                    self.id,
                    epoch,
                    &self.current_key,
                    rng,
                )?,
            });
        }
        Ok(Rotation {
            log_entry,
            epoch,
            grants,
            history_link,
        })
    }

    /// Changes member `member_id`'s role (FORMAT.md#entry-kinds).
    ///
    /// # Errors
    /// `NotAMember`, `LastAdmin`, `NotAuthorized`, `NoMembershipLog`.
    pub fn set_role(
        &mut self,
        member_id: &[u8; Fingerprint::ID_LEN],
        role: Role,
        now: u64,
    ) -> Result<Vec<u8>, MembershipError> {
        let body = EntryBody::SetRole {
            member_id: *member_id,
            role,
        };
        let member = &self.member;
        let log = self.log.as_mut().ok_or(MembershipError::NoMembershipLog)?;
        Ok(log.append(member, now, body)?.to_vec())
    }

    /// Applies entries another admin appended since this workspace was loaded, each at the
    /// cost of one signature check. Grants and history links for a new epoch need
    /// [`Workspace::load`] again.
    ///
    /// # Errors
    /// As [`MembershipLog::push`] for the new entries, or `MissingGrant` if they start an
    /// epoch (reload to get its grant). The log is unchanged unless every new entry verifies.
    pub fn extend_log<E: AsRef<[u8]>>(&mut self, entries: &[E]) -> Result<(), MembershipError> {
        let epoch = self.epoch;
        let log = self.log_mut()?;
        check_log_limits(
            log.len().saturating_add(entries.len()),
            log.entries()
                .map(<[u8]>::len)
                .chain(entries.iter().map(|e| e.as_ref().len())),
        )?;
        let before = log.len();
        let outcome = entries
            .iter()
            .try_for_each(|e| log.push(e.as_ref().to_vec()))
            .and_then(|()| {
                if log.epoch() == epoch {
                    Ok(())
                } else {
                    Err(MembershipError::MissingGrant)
                }
            });
        if outcome.is_err() {
            log.truncate(before)?;
        }
        outcome
    }

    /// A rotation whose grants are not sealed, for benchmarks that need long logs quickly
    /// (`examples/bench-log.rs`). The members cannot load the new epoch. Never part of the
    /// application API.
    ///
    /// # Errors
    /// As [`Workspace::rotate`].
    #[cfg(feature = "hazmat")]
    pub fn hazmat_rotate_without_grants(
        &mut self,
        now: u64,
        rng: &mut impl CryptoRng,
    ) -> Result<Vec<u8>, MembershipError> {
        self.start_epoch_with_rng(None, now, rng, false)
            .map(|r| r.log_entry)
    }

    /// The blind index of `text` under `epoch`'s key (FORMAT.md#blind-index): `u32(epoch)`
    /// and 16 bytes of `HMAC-SHA256(index key, normalized text)`. Equal texts give equal
    /// indexes within an epoch, so the server can find a client's records by a name it never
    /// sees; it learns which records share a name. `text` must be NFC-normalized (the JS
    /// package does it); it is lower-cased and its whitespace runs collapsed here.
    ///
    /// # Errors
    /// `UnknownEpoch` for an epoch whose key this member does not hold; `InvalidArgument`
    /// for an empty or over-long text.
    pub fn blind_index(&self, text: &str, epoch: u32) -> Result<[u8; 20], DecryptError> {
        // A client's name: kept in memory that is zeroized when dropped.
        let words = Zeroizing::new(text.split_whitespace().collect::<Vec<_>>().join(" "));
        let normalized = Zeroizing::new(words.to_lowercase());
        if normalized.is_empty() || normalized.len() > crate::limits::MAX_BLIND_INDEX_TEXT_LEN {
            return Err(ArgumentError::ContextField {
                what: "text",
                got: normalized.len(),
            }
            .into());
        }
        let key = self
            .key_for(epoch)
            .ok_or(DecryptError::UnknownEpoch { epoch })?;
        let index_key = zeroize::Zeroizing::new(crate::primitives::hkdf_sha256_32(
            key.expose_secret(),
            self.id.as_bytes(),
            crate::primitives::labels::BLIND_INDEX,
        ));
        let mac = crate::primitives::hmac_sha256(&index_key, &[normalized.as_bytes()]);
        let mut out = [0u8; 20];
        out[..4].copy_from_slice(&epoch.to_be_bytes());
        out[4..].copy_from_slice(&mac[..16]);
        Ok(out)
    }

    /// The epochs whose keys this member holds, oldest first.
    pub fn held_epochs(&self) -> impl Iterator<Item = u32> + '_ {
        self.earlier_keys
            .keys()
            .copied()
            .chain(core::iter::once(self.epoch))
    }

    /// The content key of `epoch`, for test-only independent implementations
    /// (FORMAT.md#independent-implementations). Never part of the application API.
    #[cfg(feature = "hazmat")]
    pub fn hazmat_content_key(&self, epoch: u32) -> Option<[u8; 32]> {
        self.key_for(epoch).map(|k| *k.expose_secret())
    }
}

impl crate::record::sealed::Sealed for Workspace {}

impl RecordKeys for Workspace {
    fn key_for_record(&self, header: &RecordHeader) -> Result<&ContentKey, DecryptError> {
        record::workspace_key(header, self.id, |epoch| self.key_for(epoch))
    }

    fn key_for_new_record(
        &self,
        content_type: ContentType,
        padded: bool,
    ) -> Result<(RecordHeader, &ContentKey), DecryptError> {
        let header = RecordHeader {
            version: RecordVersion::CURRENT,
            content_type,
            padded,
            scope: RecordScope::Workspace(self.id),
            epoch: self.epoch,
        };
        Ok((header, &self.current_key))
    }
}

/// A workspace load in steps (FORMAT.md#loading-a-workspace), so that a page can verify a
/// long log without freezing: [`WorkspaceLoader::new`] makes the cheap checks (limits,
/// anchors) on the raw entries, [`WorkspaceLoader::verify`] verifies some entries at a time,
/// and [`WorkspaceLoader::finish`] checks membership, grants and history links.
pub struct WorkspaceLoader {
    member: MemberSecretKey,
    pending: std::vec::IntoIter<Vec<u8>>,
    log: Option<MembershipLog>,
    pinned_head: Option<Head>,
    invite: Option<InviteLink>,
}

impl WorkspaceLoader {
    /// Takes the log's entries and makes every check that needs no signature: the log's
    /// limits, then its anchors (FORMAT.md#loading-a-workspace, steps 1 to 6).
    ///
    /// # Errors
    /// `LogTooLarge`, `Malformed`, `UnsupportedVersion`, `WrongWorkspace`,
    /// `RollbackDetected`, `ForkDetected`, `InviteUnknown`, `InviterMismatch`, `NotAMember`,
    /// `NoTrustAnchor`.
    pub fn new(
        member: MemberSecretKey,
        log: Vec<Vec<u8>>,
        pinned_head: Option<Head>,
        invite: Option<InviteLink>,
    ) -> Result<Self, MembershipError> {
        check_log_limits(log.len(), log.iter().map(Vec::len))?;
        check_anchors(&member, &log, pinned_head.as_ref(), invite.as_ref())?;
        Ok(Self {
            member,
            pending: log.into_iter(),
            log: None,
            pinned_head,
            invite,
        })
    }

    /// Verifies up to `max_entries` more entries (FORMAT.md#verifying-a-log). Returns whether
    /// the whole log is verified.
    ///
    /// # Errors
    /// The first rule an entry breaks; every later call fails the same way.
    pub fn verify(&mut self, max_entries: usize) -> Result<bool, MembershipError> {
        for _ in 0..max_entries {
            let Some(entry) = self.pending.next() else {
                return Ok(true);
            };
            match &mut self.log {
                Some(log) => log.push(entry),
                None => MembershipLog::from_genesis(entry).map(|log| self.log = Some(log)),
            }
            .inspect_err(|_| {
                // Nothing more is verified after a failure.
                self.pending = Vec::new().into_iter();
                self.log = None;
            })?;
        }
        Ok(self.pending.len() == 0)
    }

    /// How many entries are verified so far, and how many there are in all.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.log.as_ref().map_or(0, MembershipLog::len);
        (done, done + self.pending.len())
    }

    /// Finishes the load once every entry is verified: membership, grants and history links
    /// (FORMAT.md#loading-a-workspace, steps 9 to 13).
    ///
    /// # Errors
    /// As [`Workspace::load`]; `Malformed` if entries are still unverified.
    pub fn finish(
        mut self,
        grants: &[&[u8]],
        history: &[&[u8]],
    ) -> Result<Workspace, MembershipError> {
        if self.pending.len() > 0 {
            return Err(ParseError::Field {
                what: "membership log (not yet verified)",
            }
            .into());
        }
        let log = self.log.take().ok_or(ParseError::Length {
            what: "membership log",
            expected: "at least 1 entry",
            got: 0,
        })?;
        Workspace::from_verified_log(
            self.member,
            log,
            self.pinned_head.as_ref(),
            self.invite.as_ref(),
            grants,
            history,
        )
    }
}

/// FORMAT.md#loading-a-workspace, steps 2 to 6, on raw entries: the pinned head, the invite
/// link and the member's own entries, checked by hashing one entry and reading fixed
/// offsets. Nothing here trusts the bytes: the log is verified next, and these results
/// hold for the verified log exactly when it verifies.
fn check_anchors(
    member: &MemberSecretKey,
    log: &[Vec<u8>],
    pinned_head: Option<&Head>,
    invite: Option<&InviteLink>,
) -> Result<(), MembershipError> {
    let genesis = log.first().ok_or(ParseError::Length {
        what: "membership log",
        expected: "at least 1 entry",
        got: 0,
    })?;
    LogEntry::check_header(genesis)?;
    let workspace_id = raw::workspace_id(genesis).ok_or(ParseError::Field { what: "log entry" })?;
    let me = member.fingerprint().id();
    let mut anchored = false;
    if let Some(head) = pinned_head {
        check_pinned_head(workspace_id, log, head)?;
        anchored = true;
    }
    if let Some(link) = invite {
        if link.workspace_id() != workspace_id {
            return Err(MembershipError::WrongWorkspace);
        }
        let invite_id = link.invite_id();
        let invite_entry = log
            .iter()
            .find(|e| raw::invite_id(e) == Some(invite_id))
            .ok_or(MembershipError::InviteUnknown)?;
        if raw::signer_id(invite_entry) != Some(link.inviter_id()) {
            return Err(MembershipError::InviterMismatch);
        }
        let used_by_me = log
            .iter()
            .filter_map(|e| raw::admission(e))
            .find(|(id, _)| *id == invite_id)
            .is_some_and(|(_, bundle)| bundle == member.public_bundle().as_bytes());
        if !used_by_me {
            return Err(MembershipError::NotAMember);
        }
        anchored = true;
    }
    if !anchored && !log.iter().any(|e| raw::signer_id(e) == Some(me)) {
        return Err(MembershipError::NoTrustAnchor);
    }
    Ok(())
}

//! A workspace: its id, its content key per epoch, and the member acting in it
//! (docs/FORMAT.md#workspace).

use std::collections::BTreeMap;

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{ArgumentError, DecryptError, GrantError, ParseError};
use crate::grant;
use crate::member::{MemberPublicBundle, MemberSecretKey};
use crate::record::{self, ContentType, RecordContext, RecordHeader};
use crate::rng::{random_array, system_rng};
use crate::stream::RecordEncryptor;

/// A workspace's 16-byte random id. Public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspaceId([u8; WorkspaceId::LEN]);

impl WorkspaceId {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// Wraps 16 bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    /// Parses 16 bytes from a slice.
    ///
    /// # Errors
    /// [`ParseError::Length`] unless `bytes` is exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ParseError> {
        bytes.try_into().map(Self).map_err(|_| ParseError::Length {
            what: "workspace id",
            expected: "exactly 16",
            got: bytes.len(),
        })
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

/// A workspace content key for one epoch: the C2SP input key of every record of that
/// epoch (FORMAT.md#content-key).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ContentKey([u8; 32]);

impl ContentKey {
    pub(crate) fn generate_with_rng(rng: &mut impl CryptoRng) -> Self {
        Self(random_array(rng))
    }

    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A workspace as one member sees it.
pub struct Workspace {
    id: WorkspaceId,
    epoch: u32,
    /// The key of `epoch`, which new records use.
    current_key: ContentKey,
    /// Keys of earlier epochs this member still holds (empty until rotation exists).
    earlier_keys: BTreeMap<u32, ContentKey>,
    member: MemberSecretKey,
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
    /// Creates a workspace at epoch 0 with a fresh id and content key, acting as `member`.
    ///
    /// # Errors
    /// [`ArgumentError::RandomUnavailable`] if the system CSPRNG fails.
    pub fn create(member: MemberSecretKey) -> Result<Self, ArgumentError> {
        Ok(Self::create_with_rng(member, &mut system_rng()?))
    }

    /// [`Workspace::create`] with an explicit generator.
    pub fn create_with_rng(member: MemberSecretKey, rng: &mut impl CryptoRng) -> Self {
        let id = WorkspaceId(random_array(rng));
        let current_key = ContentKey::generate_with_rng(rng);
        Self {
            id,
            epoch: 0,
            current_key,
            earlier_keys: BTreeMap::new(),
            member,
        }
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

    /// The key a record names: its workspace must be this one and its epoch held.
    pub(crate) fn key_for_record(
        &self,
        header: &RecordHeader,
    ) -> Result<&ContentKey, DecryptError> {
        if header.workspace_id != self.id {
            return Err(DecryptError::WrongWorkspace);
        }
        self.key_for(header.epoch)
            .ok_or(DecryptError::UnknownEpoch {
                epoch: header.epoch,
            })
    }

    /// The header of a new record in the current epoch.
    pub(crate) fn header_for_new_record(
        &self,
        content_type: ContentType,
        padded: bool,
    ) -> RecordHeader {
        RecordHeader {
            content_type,
            padded,
            workspace_id: self.id,
            epoch: self.epoch,
        }
    }

    /// The key new records use.
    pub(crate) fn current_key(&self) -> &ContentKey {
        &self.current_key
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
            content_type: options.content_type,
            padded: options.pad,
            workspace_id: self.id,
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
            content_type: options.content_type,
            padded: options.pad,
            workspace_id: self.id,
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

    /// The content key of `epoch`, for test-only independent implementations
    /// (FORMAT.md#independent-implementations). Never part of the application API.
    #[cfg(feature = "hazmat")]
    pub fn hazmat_content_key(&self, epoch: u32) -> Option<[u8; 32]> {
        self.key_for(epoch).map(|k| *k.expose_secret())
    }
}

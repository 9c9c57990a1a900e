//! The wasm-bindgen layer over the Confide core. It converts types and errors and holds
//! no logic: every decision is made in the `confide` crate (docs/FORMAT.md).
//!
//! Errors cross as a JS `Error` with a stable `code` property; the TypeScript package
//! turns them into `ConfideError`. Nothing here panics.

#![forbid(unsafe_code)]
// Every error here is the core's, converted; they are documented there and in js/src.
#![allow(clippy::missing_errors_doc)]

use confide::{ContentType, EncryptOptions, ErrorCode, MemberPublicBundle, RecordContext};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A JS `Error` with `name = "ConfideError"` and a stable `code`.
fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("ConfideError");
    // Reflect::set only fails on frozen or proxied objects, which a fresh Error is not.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

fn to_js<E: ErrorCode + core::fmt::Display>(e: E) -> JsValue {
    js_error(e.code(), &e.to_string())
}

/// The record content type a JS call asks for: text for strings, bytes otherwise.
fn content_type(is_text: bool) -> ContentType {
    if is_text {
        ContentType::Text
    } else {
        ContentType::Bytes
    }
}

/// Copies secret bytes out to JS; the wasm copy zeroizes when `bytes` drops.
fn secret_to_js(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// A workspace member: holds the member seed inside wasm memory.
#[wasm_bindgen(js_name = WasmMember)]
pub struct Member(confide::MemberSecretKey);

#[wasm_bindgen(js_class = WasmMember)]
impl Member {
    /// A new member with a fresh random seed.
    pub fn generate() -> Result<Member, JsValue> {
        confide::MemberSecretKey::generate()
            .map(Member)
            .map_err(to_js)
    }

    /// The versioned public bundle the server stores.
    #[wasm_bindgen(js_name = publicBundle)]
    pub fn public_bundle(&self) -> Vec<u8> {
        self.0.public_bundle().as_bytes().to_vec()
    }

    /// Twelve groups of five digits.
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint().to_digits()
    }

    /// Writes a backup from `plan` and the passphrase stretched by wasm-kdf's `argon2Stretch`
    /// with the plan's inputs (docs/FORMAT.md#passphrase-backup, exporting step 4).
    /// `stretched` is taken by value and zeroized.
    #[wasm_bindgen(js_name = finishBackup)]
    pub fn finish_backup(&self, plan: &ExportPlan, stretched: Vec<u8>) -> Result<Vec<u8>, JsValue> {
        let stretched = stretched_key(stretched)?;
        Ok(confide::identity::backup::finish_export(
            &self.0, &plan.0, &stretched,
        ))
    }

    /// Opens a backup with the passphrase stretched by wasm-kdf's `argon2Stretch` with the
    /// inputs of `backupKdfInput(backup)` (opening steps 5 to 7). `stretched` is zeroized.
    #[wasm_bindgen(js_name = openBackup)]
    pub fn open_backup(backup: &[u8], stretched: Vec<u8>) -> Result<Member, JsValue> {
        let stretched = stretched_key(stretched)?;
        let parsed = confide::identity::backup::parse(backup).map_err(to_js)?;
        confide::identity::backup::open_with_stretched(&parsed, &stretched)
            .map(Member)
            .map_err(to_js)
    }

    /// The recovery kit: the seed as 11 groups of 5 symbols (docs/FORMAT.md#recovery-kit).
    /// Returned as a JS string made from the zeroizing text, so no copy stays in wasm memory
    /// (a returned `String` would be freed without being wiped).
    #[wasm_bindgen(js_name = recoveryKit)]
    pub fn recovery_kit(&self) -> JsValue {
        JsValue::from_str(&confide::identity::recovery_kit::encode(self.0.seed()))
    }

    /// A member from its recovery kit.
    #[wasm_bindgen(js_name = fromRecoveryKit)]
    pub fn from_recovery_kit(kit: String) -> Result<Member, JsValue> {
        let kit = Zeroizing::new(kit);
        confide::identity::recovery_kit::decode(&kit)
            .map(|seed| Member(confide::MemberSecretKey::derive(seed)))
            .map_err(to_js)
    }

    /// The raw seed, for the package's device storage to wrap with a non-extractable
    /// WebCrypto key (docs/SECURITY.md#device-storage). It reveals no more than
    /// `recoveryKit`; the package never exports it.
    #[wasm_bindgen(js_name = seedForDeviceStorage)]
    pub fn seed_for_device_storage(&self) -> Uint8Array {
        secret_to_js(self.0.seed().expose_secret())
    }

    /// A member from a seed unwrapped by the package's device storage. Taken by value and
    /// zeroized.
    #[wasm_bindgen(js_name = fromDeviceSeed)]
    pub fn from_device_seed(seed: Vec<u8>) -> Result<Member, JsValue> {
        let seed = Zeroizing::new(seed);
        let bytes: [u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| js_error("malformed", "stored seed: expected length 32"))?;
        Ok(Member(confide::MemberSecretKey::derive(
            confide::MemberSeed::from_bytes(bytes),
        )))
    }

    /// Signs a storage server's login challenge (64-byte Ed25519 signature under the
    /// `confide/v1/server-challenge` label).
    #[wasm_bindgen(js_name = signServerChallenge)]
    pub fn sign_server_challenge(&self, challenge: &[u8]) -> Vec<u8> {
        self.0.sign_server_challenge(challenge).to_vec()
    }

    /// The fingerprint of any public bundle, after verifying it.
    #[wasm_bindgen(js_name = fingerprintOf)]
    pub fn fingerprint_of(bundle: &[u8]) -> Result<String, JsValue> {
        MemberPublicBundle::from_bytes(bundle)
            .map(|b| b.fingerprint().to_digits())
            .map_err(to_js)
    }
}

/// A workspace as one member sees it: id, epoch keys, and the acting member.
#[wasm_bindgen(js_name = WasmWorkspace)]
pub struct Workspace(confide::Workspace);

#[wasm_bindgen(js_class = WasmWorkspace)]
impl Workspace {
    /// A new workspace at epoch 0 with its membership log, acting as `member`; `now` is
    /// Unix time in seconds.
    pub fn create(member: &Member, now: f64) -> Result<Workspace, JsValue> {
        let acting = member.0.rederive();
        confide::Workspace::create(acting, unix_seconds(now)?)
            .map(Workspace)
            .map_err(to_js)
    }

    /// Loads and verifies a workspace from the server's log, grants and history links
    /// (docs/FORMAT.md#loading-a-workspace) in one call. `invite_link` is taken by value and
    /// zeroized.
    pub fn load(
        member: &Member,
        log: Vec<Uint8Array>,
        grants: Vec<Uint8Array>,
        history: Vec<Uint8Array>,
        pinned_head: Option<String>,
        invite_link: Option<String>,
    ) -> Result<Workspace, JsValue> {
        let mut loader = WorkspaceLoader::new(member, log, pinned_head, invite_link)?;
        loader.verify(u32::MAX)?;
        loader.finish(grants, history)
    }

    /// The membership log's head as base64url, or `undefined` for a bare-grant workspace.
    pub fn head(&self) -> Option<String> {
        self.0.head().map(|h| h.to_base64url())
    }

    /// Every log entry, genesis first.
    #[wasm_bindgen(js_name = logEntries)]
    pub fn log_entries(&self) -> Result<js_sys::Array, JsValue> {
        let log = self.0.membership().ok_or_else(no_log)?;
        Ok(log
            .entries()
            .map(|e| JsValue::from(Uint8Array::from(e)))
            .collect())
    }

    /// The current members: `{ id, fingerprint, role, publicBundle }` each.
    pub fn members(&self) -> Result<js_sys::Array, JsValue> {
        let log = self.0.membership().ok_or_else(no_log)?;
        log.members()
            .map(|m| {
                let fingerprint = m.fingerprint();
                object(&[
                    ("id", Uint8Array::from(&fingerprint.id()[..]).into()),
                    ("fingerprint", fingerprint.to_digits().into()),
                    ("role", role_name(m.role()).into()),
                    ("publicBundle", Uint8Array::from(m.bundle_bytes()).into()),
                ])
            })
            .collect()
    }

    /// Creates an invite: `{ link, logEntry, inviteId }`.
    #[wasm_bindgen(js_name = createInvite)]
    pub fn create_invite(
        &mut self,
        role: &str,
        now: f64,
        expires_in_seconds: f64,
    ) -> Result<JsValue, JsValue> {
        let invite = self
            .0
            .create_invite(
                parse_role(role)?,
                unix_seconds(now)?,
                unix_seconds(expires_in_seconds)?,
            )
            .map_err(to_js)?;
        let link = invite.link.to_fragment();
        object(&[
            ("link", JsValue::from_str(&link)),
            ("logEntry", Uint8Array::from(&invite.log_entry[..]).into()),
            ("inviteId", Uint8Array::from(&invite.invite_id[..]).into()),
        ])
    }

    /// Admits the invitee behind an acceptance: `{ logEntry, memberId, grant }`.
    pub fn admit(&mut self, acceptance: &[u8], now: f64) -> Result<JsValue, JsValue> {
        let admission = self
            .0
            .admit(acceptance, unix_seconds(now)?)
            .map_err(to_js)?;
        object(&[
            (
                "logEntry",
                Uint8Array::from(&admission.log_entry[..]).into(),
            ),
            (
                "memberId",
                Uint8Array::from(&admission.member_id[..]).into(),
            ),
            ("grant", Uint8Array::from(&admission.grant[..]).into()),
        ])
    }

    /// Removes a member and starts a new epoch: `{ logEntry, epoch, grants, historyLink }`.
    pub fn remove(&mut self, member_id: &[u8], now: f64) -> Result<JsValue, JsValue> {
        let member_id = member_id_from(member_id)?;
        let rotation = self
            .0
            .remove(&member_id, unix_seconds(now)?)
            .map_err(to_js)?;
        rotation_to_js(&rotation)
    }

    /// Starts a new epoch without a removal: `{ logEntry, epoch, grants, historyLink }`.
    pub fn rotate(&mut self, now: f64) -> Result<JsValue, JsValue> {
        let rotation = self.0.rotate(unix_seconds(now)?).map_err(to_js)?;
        rotation_to_js(&rotation)
    }

    /// Changes a member's role; returns the log entry.
    #[wasm_bindgen(js_name = setRole)]
    pub fn set_role(&mut self, member_id: &[u8], role: &str, now: f64) -> Result<Vec<u8>, JsValue> {
        let member_id = member_id_from(member_id)?;
        self.0
            .set_role(&member_id, parse_role(role)?, unix_seconds(now)?)
            .map_err(to_js)
    }

    /// Applies entries appended by others since this workspace was loaded.
    #[wasm_bindgen(js_name = extendLog)]
    pub fn extend_log(&mut self, entries: Vec<Uint8Array>) -> Result<(), JsValue> {
        let entries: Vec<Vec<u8>> = entries.iter().map(Uint8Array::to_vec).collect();
        self.0.extend_log(&entries).map_err(to_js)
    }

    /// Opens a grant addressed to `member`, signed by the holder of `granter_bundle`.
    #[wasm_bindgen(js_name = openGrant)]
    pub fn open_grant(
        member: &Member,
        grant: &[u8],
        granter_bundle: &[u8],
    ) -> Result<Workspace, JsValue> {
        let acting = member.0.rederive();
        confide::Workspace::open_grant(acting, grant, granter_bundle)
            .map(Workspace)
            .map_err(to_js)
    }

    /// The 16-byte workspace id.
    #[wasm_bindgen(js_name = idBytes)]
    pub fn id_bytes(&self) -> Vec<u8> {
        self.0.id().as_bytes().to_vec()
    }

    /// The epoch new records are written in.
    pub fn epoch(&self) -> u32 {
        self.0.epoch()
    }

    /// Encrypts one record.
    ///
    /// The plaintext is taken by value so its copy in wasm memory is zeroized after use
    /// (a borrowed slice would be freed by the glue without zeroing).
    pub fn encrypt(
        &self,
        plaintext: Vec<u8>,
        is_text: bool,
        record_id: &str,
        field: &str,
        pad: bool,
    ) -> Result<Vec<u8>, JsValue> {
        let plaintext = Zeroizing::new(plaintext);
        let content_type = content_type(is_text);
        let ctx = RecordContext { record_id, field };
        self.0
            .encrypt(&plaintext, &ctx, EncryptOptions { content_type, pad })
            .map_err(to_js)
    }

    /// Decrypts one record.
    pub fn decrypt(
        &self,
        record: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<Uint8Array, JsValue> {
        let ctx = RecordContext { record_id, field };
        let (_, plaintext) = self.0.decrypt(record, &ctx).map_err(to_js)?;
        Ok(secret_to_js(&plaintext))
    }

    /// Starts a streamed record in the current epoch.
    #[wasm_bindgen(js_name = encryptStream)]
    pub fn encrypt_stream(
        &self,
        is_text: bool,
        record_id: &str,
        field: &str,
        pad: bool,
    ) -> Result<Encryptor, JsValue> {
        let content_type = content_type(is_text);
        let ctx = RecordContext { record_id, field };
        self.0
            .encrypt_stream(&ctx, EncryptOptions { content_type, pad })
            .map(|e| Encryptor(Some(e)))
            .map_err(to_js)
    }

    /// Seals the current content key to `recipient_bundle`, signed by this workspace's member.
    pub fn grant(&self, recipient_bundle: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.0.grant(recipient_bundle).map_err(to_js)
    }
}

/// A workspace load in steps (docs/FORMAT.md#loading-a-workspace), for a page that must
/// stay responsive while a long log verifies.
#[wasm_bindgen(js_name = WasmWorkspaceLoader)]
pub struct WorkspaceLoader(Option<confide::WorkspaceLoader>);

#[wasm_bindgen(js_class = WasmWorkspaceLoader)]
impl WorkspaceLoader {
    /// Takes the log (each entry copied once into wasm memory, then kept) and makes the
    /// checks that need no signature: limits and anchors. `invite_link` is zeroized.
    #[wasm_bindgen(constructor)]
    pub fn new(
        member: &Member,
        log: Vec<Uint8Array>,
        pinned_head: Option<String>,
        invite_link: Option<String>,
    ) -> Result<WorkspaceLoader, JsValue> {
        let invite_link = invite_link.map(Zeroizing::new);
        // FORMAT.md#loading-a-workspace step 1, on the JS arrays' lengths: nothing is copied
        // into wasm memory for a log past the limits.
        confide::membership::log::check_log_limits(
            log.len(),
            log.iter().map(|e| usize::try_from(e.length()).unwrap_or(usize::MAX)),
        )
        .map_err(to_js)?;
        let pinned_head = pinned_head
            .as_deref()
            .map(confide::Head::from_base64url)
            .transpose()
            .map_err(to_js)?;
        let invite = invite_link
            .as_deref()
            .map(|l| confide::InviteLink::parse(l))
            .transpose()
            .map_err(to_js)?;
        let log = log.iter().map(Uint8Array::to_vec).collect();
        confide::WorkspaceLoader::new(member.0.rederive(), log, pinned_head, invite)
            .map(|l| WorkspaceLoader(Some(l)))
            .map_err(to_js)
    }

    /// Verifies up to `max_entries` more entries; true once the whole log is verified.
    pub fn verify(&mut self, max_entries: u32) -> Result<bool, JsValue> {
        let loader = self.0.as_mut().ok_or_else(finished)?;
        let max = usize::try_from(max_entries).unwrap_or(usize::MAX);
        loader.verify(max).map_err(to_js)
    }

    /// `[verified, total]` entries.
    pub fn progress(&self) -> Vec<u32> {
        let (done, total) = self
            .0
            .as_ref()
            .map_or((0, 0), confide::WorkspaceLoader::progress);
        [done, total]
            .iter()
            .map(|n| u32::try_from(*n).unwrap_or(u32::MAX))
            .collect()
    }

    /// Checks membership, grants and history links, and yields the workspace.
    pub fn finish(
        &mut self,
        grants: Vec<Uint8Array>,
        history: Vec<Uint8Array>,
    ) -> Result<Workspace, JsValue> {
        let loader = self.0.take().ok_or_else(finished)?;
        let grants: Vec<Vec<u8>> = grants.iter().map(Uint8Array::to_vec).collect();
        let history: Vec<Vec<u8>> = history.iter().map(Uint8Array::to_vec).collect();
        let grants: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
        let history: Vec<&[u8]> = history.iter().map(Vec::as_slice).collect();
        loader
            .finish(&grants, &history)
            .map(Workspace)
            .map_err(to_js)
    }
}

fn finished() -> JsValue {
    js_error("invalid_argument", "the load has already finished")
}

/// The invitee's acceptance of an invite link (docs/FORMAT.md#acceptance). The link is
/// taken by value and zeroized.
#[wasm_bindgen(js_name = acceptInvite)]
pub fn accept_invite(member: &Member, link: String) -> Result<Vec<u8>, JsValue> {
    let link = Zeroizing::new(link);
    let link = confide::InviteLink::parse(&link).map_err(to_js)?;
    Ok(link.accept(&member.0))
}

/// What an invite link names, without its secret: `{ workspaceId, inviterId, inviteId }`.
/// The link is taken by value and zeroized.
#[wasm_bindgen(js_name = describeInvite)]
pub fn describe_invite(link: String) -> Result<JsValue, JsValue> {
    let link = Zeroizing::new(link);
    let link = confide::InviteLink::parse(&link).map_err(to_js)?;
    object(&[
        (
            "workspaceId",
            Uint8Array::from(&link.workspace_id().as_bytes()[..]).into(),
        ),
        ("inviterId", Uint8Array::from(&link.inviter_id()[..]).into()),
        ("inviteId", Uint8Array::from(&link.invite_id()[..]).into()),
    ])
}

/// A member id (the first 32 bytes of the fingerprint) of any verified bundle.
#[wasm_bindgen(js_name = memberIdOf)]
pub fn member_id_of(bundle: &[u8]) -> Result<Vec<u8>, JsValue> {
    MemberPublicBundle::from_bytes(bundle)
        .map(|b| b.fingerprint().id().to_vec())
        .map_err(to_js)
}

fn no_log() -> JsValue {
    to_js(confide::MembershipError::NoMembershipLog)
}

/// Unix seconds (or a duration in seconds) from a JS number: a non-negative safe integer.
fn unix_seconds(value: f64) -> Result<u64, JsValue> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if !(0.0..=MAX_SAFE_INTEGER).contains(&value) || value.fract() != 0.0 {
        return Err(js_error(
            "invalid_argument",
            "time: expected a non-negative integer number of seconds",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
    Ok(value as u64)
}

fn parse_role(role: &str) -> Result<confide::Role, JsValue> {
    match role {
        "admin" => Ok(confide::Role::Admin),
        "member" => Ok(confide::Role::Member),
        _ => Err(js_error(
            "invalid_argument",
            "role: expected \"admin\" or \"member\"",
        )),
    }
}

fn role_name(role: confide::Role) -> &'static str {
    match role {
        confide::Role::Admin => "admin",
        confide::Role::Member => "member",
    }
}

fn member_id_from(bytes: &[u8]) -> Result<[u8; 32], JsValue> {
    bytes
        .try_into()
        .map_err(|_| js_error("invalid_argument", "member id: expected length 32"))
}

/// A plain JS object from `(key, value)` pairs.
fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let object = js_sys::Object::new();
    for (key, value) in fields {
        js_sys::Reflect::set(&object, &JsValue::from_str(key), value)?;
    }
    Ok(object.into())
}

fn rotation_to_js(rotation: &confide::Rotation) -> Result<JsValue, JsValue> {
    let grants = rotation
        .grants
        .iter()
        .map(|g| {
            object(&[
                ("memberId", Uint8Array::from(&g.member_id[..]).into()),
                ("grant", Uint8Array::from(&g.grant[..]).into()),
            ])
        })
        .collect::<Result<js_sys::Array, JsValue>>()?;
    object(&[
        ("logEntry", Uint8Array::from(&rotation.log_entry[..]).into()),
        ("epoch", rotation.epoch.into()),
        ("grants", grants.into()),
        (
            "historyLink",
            Uint8Array::from(&rotation.history_link[..]).into(),
        ),
    ])
}

/// Bytes of wasm stack [`wipe_stack`] overwrites: more than the deepest call of this module
/// uses (the JS suite's memory scan checks that no secret survives below it).
const STACK_WIPE_BYTES: usize = 128 * 1024;

/// Overwrites the stack region the previous call from JS used. Called from JS right after
/// every call that handled a secret: values that Rust moved (a seed, a derived member, an
/// invite secret) leave copies in the frames they passed through, and a frame's memory is
/// not cleared when it returns. This call's own frame starts where the previous call's did,
/// so zeroing it clears theirs (docs/SECURITY.md#memory).
#[wasm_bindgen(js_name = wipeStack)]
pub fn wipe_stack() {
    let mut scratch = [0u64; STACK_WIPE_BYTES / 8];
    zeroize::Zeroize::zeroize(&mut scratch);
    core::hint::black_box(&scratch);
}

/// Exact length of the record for `len` plaintext bytes, or -1 past the one-shot limit.
#[wasm_bindgen(js_name = recordLength)]
pub fn record_length(len: f64, padded: bool) -> f64 {
    if !(0.0..=confide::record::MAX_ONE_SHOT_LEN as f64).contains(&len) || len.fract() != 0.0 {
        return -1.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
    let n = len as usize;
    confide::record::record_len(n, padded).map_or(-1.0, |l| l as f64)
}

/// Test-only access for independent implementations (docs/FORMAT.md#independent-implementations).
/// Compiled only with the `hazmat` feature, which release packages never enable.
#[cfg(feature = "hazmat")]
pub mod hazmat {
    use super::*;

    /// The content key of `epoch`, or an `unknown_epoch` error.
    #[wasm_bindgen(js_name = hazmatContentKey)]
    pub fn content_key(workspace: &Workspace, epoch: u32) -> Result<Uint8Array, JsValue> {
        match workspace.0.hazmat_content_key(epoch) {
            Some(k) => Ok(secret_to_js(&k)),
            None => Err(js_error("unknown_epoch", "no content key for this epoch")),
        }
    }

    fn seeded(seed: &[u8]) -> Result<impl rand_core::CryptoRng, JsValue> {
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| js_error("invalid_argument", "seed: expected length 32"))?;
        Ok(confide::rng::seeded_rng(seed))
    }

    /// Message keys for a new record whose salt comes from a seeded generator, so both
    /// stream engines can be compared byte for byte.
    #[wasm_bindgen(js_name = hazmatMessageKeysWithSeed)]
    pub fn message_keys_with_seed(
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        seed: &[u8],
    ) -> Result<MessageKeys, JsValue> {
        let ctx = RecordContext { record_id, field };
        let (prefix, material) = confide::record::stream::external_encryption_with_rng(
            &workspace.0,
            &ctx,
            ContentType::Bytes,
            &mut seeded(seed)?,
        )
        .map_err(to_js)?;
        Ok(MessageKeys {
            prefix,
            padded: false,
            text: false,
            material,
        })
    }

    /// A wasm-engine encryptor whose salt comes from a seeded generator.
    #[wasm_bindgen(js_name = hazmatEncryptorWithSeed)]
    pub fn encryptor_with_seed(
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        seed: &[u8],
    ) -> Result<Encryptor, JsValue> {
        let ctx = RecordContext { record_id, field };
        let options = EncryptOptions {
            content_type: ContentType::Bytes,
            pad: false,
        };
        workspace
            .0
            .encrypt_stream_with_rng(&ctx, options, &mut seeded(seed)?)
            .map(|e| Encryptor(Some(e)))
            .map_err(to_js)
    }

    /// A member from raw seed bytes (for test vectors).
    #[wasm_bindgen(js_name = hazmatMemberFromSeed)]
    pub fn member_from_seed(seed: &[u8]) -> Result<Member, JsValue> {
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| js_error("invalid_argument", "seed: expected length 32"))?;
        Ok(Member(confide::MemberSecretKey::derive(
            confide::MemberSeed::from_bytes(seed),
        )))
    }
}

/// An incremental record encryptor (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmEncryptor)]
pub struct Encryptor(Option<confide::RecordEncryptor>);

#[wasm_bindgen(js_class = WasmEncryptor)]
impl Encryptor {
    /// Plaintext in (taken by value so its wasm copy is zeroized), ciphertext out.
    pub fn push(&mut self, data: Vec<u8>) -> Result<Vec<u8>, JsValue> {
        let data = Zeroizing::new(data);
        match &mut self.0 {
            Some(enc) => enc.push(&data).map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }

    /// The final chunk. The encryptor cannot be used afterwards.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        match self.0.take() {
            Some(enc) => enc.finish().map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }
}

/// An incremental record decryptor (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmDecryptor)]
pub struct Decryptor(Option<confide::RecordDecryptor>);

#[wasm_bindgen(js_class = WasmDecryptor)]
impl Decryptor {
    /// A decryptor for a record bound to `record_id` and `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(record_id: &str, field: &str) -> Result<Decryptor, JsValue> {
        let ctx = RecordContext { record_id, field };
        confide::RecordDecryptor::new(&ctx)
            .map(|d| Decryptor(Some(d)))
            .map_err(to_js)
    }

    /// Ciphertext in; plaintext of every chunk that authenticated out.
    pub fn push(&mut self, workspace: &Workspace, data: &[u8]) -> Result<Uint8Array, JsValue> {
        match &mut self.0 {
            Some(dec) => dec
                .push(&workspace.0, data)
                .map(|p| secret_to_js(&p))
                .map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }

    /// Opens the final chunk and checks the record is complete.
    pub fn finish(&mut self) -> Result<Uint8Array, JsValue> {
        match self.0.take() {
            Some(dec) => dec.finish().map(|p| secret_to_js(&p)).map_err(to_js),
            None => Err(js_error(
                "invalid_argument",
                "the stream has already finished",
            )),
        }
    }
}

/// Opens chunks of one record by index, for range reads (FORMAT.md#range-reads).
#[wasm_bindgen(js_name = WasmChunkReader)]
pub struct ChunkReader(confide::RecordChunkReader);

#[wasm_bindgen(js_class = WasmChunkReader)]
impl ChunkReader {
    /// Checks header and commitment from the record's first 98 bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(
        workspace: &Workspace,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<ChunkReader, JsValue> {
        let ctx = RecordContext { record_id, field };
        confide::RecordChunkReader::new(&workspace.0, start, &ctx)
            .map(ChunkReader)
            .map_err(to_js)
    }

    /// Whether the record's plaintext is padded.
    #[wasm_bindgen(getter)]
    pub fn padded(&self) -> bool {
        self.0.header().padded
    }

    /// Opens chunk `index` (an integer below 2^38).
    #[wasm_bindgen(js_name = openChunk)]
    pub fn open_chunk(
        &self,
        index: f64,
        chunk: &[u8],
        is_final: bool,
    ) -> Result<Uint8Array, JsValue> {
        if !(0.0..(1u64 << 38) as f64).contains(&index) || index.fract() != 0.0 {
            return Err(js_error(
                "invalid_argument",
                "chunk index: expected an integer in [0, 2^38)",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked range above
        let index = index as u64;
        self.0
            .open_chunk(index, chunk, is_final)
            .map(|p| secret_to_js(&p))
            .map_err(to_js)
    }
}

/// One record's prefix and message keys for the JS WebCrypto engine (FORMAT.md#streaming).
#[wasm_bindgen(js_name = WasmMessageKeys)]
pub struct MessageKeys {
    prefix: Vec<u8>,
    padded: bool,
    text: bool,
    material: confide::MessageKeyMaterial,
}

#[wasm_bindgen(js_class = WasmMessageKeys)]
impl MessageKeys {
    /// Keys for a new unpadded record in `workspace`'s current epoch.
    #[wasm_bindgen(js_name = forEncryption)]
    pub fn for_encryption(
        workspace: &Workspace,
        is_text: bool,
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        let content_type = content_type(is_text);
        let ctx = RecordContext { record_id, field };
        let mut rng = confide::rng::system_rng().map_err(to_js)?;
        let (prefix, material) = confide::record::stream::external_encryption_with_rng(
            &workspace.0,
            &ctx,
            content_type,
            &mut rng,
        )
        .map_err(to_js)?;
        Ok(MessageKeys {
            prefix,
            padded: false,
            text: false,
            material,
        })
    }

    /// Keys of an existing record, after checking its first 98 bytes.
    #[wasm_bindgen(js_name = forDecryption)]
    pub fn for_decryption(
        workspace: &Workspace,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        let ctx = RecordContext { record_id, field };
        let (header, material) =
            confide::record::stream::external_decryption(&workspace.0, start, &ctx)
                .map_err(to_js)?;
        Ok(MessageKeys {
            prefix: Vec::new(),
            padded: header.padded,
            text: header.content_type == ContentType::Text,
            material,
        })
    }

    /// `header || salt || commitment` of a new record (empty for decryption).
    #[wasm_bindgen(getter)]
    pub fn prefix(&self) -> Vec<u8> {
        self.prefix.clone()
    }

    /// Whether the record is padded (the WebCrypto engine leaves those to wasm).
    #[wasm_bindgen(getter)]
    pub fn padded(&self) -> bool {
        self.padded
    }

    /// Whether the record is UTF-8 text (decryption must check it, FORMAT.md#decrypting-a-record).
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> bool {
        self.text
    }

    /// The AES-256-GCM key: import it as a non-extractable CryptoKey and zero this copy.
    #[wasm_bindgen(js_name = aesKey)]
    pub fn aes_key(&self) -> Uint8Array {
        secret_to_js(self.material.expose_key())
    }

    /// The base nonce.
    #[wasm_bindgen(getter, js_name = baseNonce)]
    pub fn base_nonce(&self) -> Vec<u8> {
        self.material.base_nonce().to_vec()
    }
}

/// The payload length of a padded plaintext that the JS WebCrypto engine opened
/// (FORMAT.md#padding), checked to be canonical. `padded` is taken by value and zeroized.
#[wasm_bindgen(js_name = unpaddedLength)]
pub fn unpadded_length(padded: Vec<u8>) -> Result<u32, JsValue> {
    let padded = Zeroizing::new(padded);
    let len = confide::padding::unpadded_len(&padded).map_err(to_js)?;
    // A one-shot plaintext is at most 256 MiB (FORMAT.md#limits), so this always fits.
    u32::try_from(len).map_err(|_| js_error("malformed", "padding: too long"))
}

/// A 32-byte stretched passphrase from JS, zeroized on drop.
fn stretched_key(bytes: Vec<u8>) -> Result<Zeroizing<[u8; 32]>, JsValue> {
    let bytes = Zeroizing::new(bytes);
    let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
        js_error(
            "invalid_argument",
            "stretched passphrase: expected length 32",
        )
    })?;
    Ok(Zeroizing::new(key))
}

/// The Argon2id inputs of a backup: parameters and salt (docs/FORMAT.md#passphrase-backup).
#[wasm_bindgen(js_name = WasmKdfInput)]
pub struct KdfInput {
    params: confide::identity::backup::KdfParams,
    salt: Vec<u8>,
}

#[wasm_bindgen(js_class = WasmKdfInput)]
impl KdfInput {
    /// Memory in KiB.
    #[wasm_bindgen(getter, js_name = memoryKib)]
    pub fn memory_kib(&self) -> u32 {
        self.params.memory_kib
    }

    /// Passes.
    #[wasm_bindgen(getter)]
    pub fn iterations(&self) -> u32 {
        self.params.iterations
    }

    /// Lanes.
    #[wasm_bindgen(getter)]
    pub fn parallelism(&self) -> u8 {
        self.params.parallelism
    }

    /// The salt.
    #[wasm_bindgen(getter)]
    pub fn salt(&self) -> Vec<u8> {
        self.salt.clone()
    }
}

/// A backup about to be made: the policy has passed, salt and nonce are chosen.
#[wasm_bindgen(js_name = WasmExportPlan)]
pub struct ExportPlan(confide::identity::backup::ExportPlan);

#[wasm_bindgen(js_class = WasmExportPlan)]
impl ExportPlan {
    /// What to stretch the passphrase with.
    #[wasm_bindgen(js_name = kdfInput)]
    pub fn kdf_input(&self) -> KdfInput {
        KdfInput {
            params: self.0.params,
            salt: self.0.salt.to_vec(),
        }
    }
}

/// Checks the passphrase policy and plans a backup at the interactive or sensitive strength
/// (docs/FORMAT.md#passphrase-backup, exporting steps 1 to 3). Zeroizes the passphrase.
#[wasm_bindgen(js_name = prepareBackup)]
pub fn prepare_backup(passphrase: String, sensitive: bool) -> Result<ExportPlan, JsValue> {
    let passphrase = Zeroizing::new(passphrase);
    let strength = if sensitive {
        confide::identity::backup::Strength::Sensitive
    } else {
        confide::identity::backup::Strength::Interactive
    };
    confide::identity::backup::prepare_export(&passphrase, strength)
        .map(ExportPlan)
        .map_err(to_js)
}

/// Parses a backup and checks its parameters (opening steps 1 to 4), before any Argon2id.
#[wasm_bindgen(js_name = backupKdfInput)]
pub fn backup_kdf_input(backup: &[u8]) -> Result<KdfInput, JsValue> {
    let parsed = confide::identity::backup::parse(backup).map_err(to_js)?;
    Ok(KdfInput {
        params: parsed.params,
        salt: parsed.salt().to_vec(),
    })
}

//! The workspace as one member sees it, and its load in steps.

use crate::convert::*;
use crate::member::Member;
use crate::record::Encryptor;
use confide::{EncryptOptions, RecordContext};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A workspace as one member sees it: id, epoch keys, and the acting member.
#[wasm_bindgen(js_name = WasmWorkspace)]
pub struct Workspace(pub(crate) confide::Workspace);

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

    /// The blind index of `text` (NFC-normalized by the caller) under `epoch`'s key.
    #[wasm_bindgen(js_name = blindIndex)]
    pub fn blind_index(&self, text: &str, epoch: u32) -> Result<Vec<u8>, JsValue> {
        self.0
            .blind_index(text, epoch)
            .map(|b| b.to_vec())
            .map_err(to_js)
    }

    /// The epochs whose keys this member holds, oldest first.
    #[wasm_bindgen(js_name = heldEpochs)]
    pub fn held_epochs(&self) -> Vec<u32> {
        self.0.held_epochs().collect()
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
            log.iter()
                .map(|e| usize::try_from(e.length()).unwrap_or(usize::MAX)),
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

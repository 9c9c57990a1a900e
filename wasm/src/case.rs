//! Cases (docs/FORMAT.md#cases): a compartment inside a workspace with its own log, keys
//! per epoch and level, and records bound to it.

use crate::convert::*;
use crate::record::{ChunkReader, Decryptor, Encryptor, MessageKeys};
use crate::workspace::Workspace;
use confide::{CaseHead, ContentType, EncryptOptions, Level, RecordContext};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A case as one member sees it: its verified log, this member's level, and the keys of the
/// epochs this member holds. Every call that checks or changes the case takes the workspace
/// whose membership log the case is verified against.
#[wasm_bindgen(js_name = WasmCase)]
pub struct Case(pub(crate) confide::Case);

#[wasm_bindgen(js_class = WasmCase)]
impl Case {
    /// Creates a case with the workspace's member as its first full member:
    /// `{ case, change }`, where `change` is `{ logEntry, grants }`.
    pub fn create(
        workspace: &Workspace,
        now: f64,
        retention_until: f64,
    ) -> Result<JsValue, JsValue> {
        let (case, change) = confide::Case::create(
            &workspace.0,
            unix_seconds(now)?,
            unix_seconds(retention_until)?,
        )
        .map_err(to_js)?;
        object(&[
            ("case", Case(case).into()),
            ("change", change_to_js(&change)?),
        ])
    }

    /// Loads and verifies a case from its log and this member's grants
    /// (docs/FORMAT.md#loading-a-case).
    pub fn load(
        workspace: &Workspace,
        log: Vec<Uint8Array>,
        grants: Vec<Uint8Array>,
        pinned_head: Option<String>,
    ) -> Result<Case, JsValue> {
        // The limits first, on lengths JS already knows, before anything is copied in.
        confide::cases::log::check_case_log_limits(
            log.len(),
            log.iter()
                .map(|e| usize::try_from(e.length()).unwrap_or(usize::MAX)),
        )
        .map_err(to_js)?;
        let pinned_head = pinned_head
            .map(|h| CaseHead::from_base64url(&h))
            .transpose()
            .map_err(to_js)?;
        let log: Vec<Vec<u8>> = log.iter().map(Uint8Array::to_vec).collect();
        let grants: Vec<Vec<u8>> = grants.iter().map(Uint8Array::to_vec).collect();
        let log_refs: Vec<&[u8]> = log.iter().map(Vec::as_slice).collect();
        let grant_refs: Vec<&[u8]> = grants.iter().map(Vec::as_slice).collect();
        let input = confide::CaseLoadInput {
            log: &log_refs,
            grants: &grant_refs,
            pinned_head,
        };
        confide::Case::load(&workspace.0, &input)
            .map(Case)
            .map_err(to_js)
    }

    /// The case id (16 bytes).
    #[wasm_bindgen(js_name = idBytes)]
    pub fn id_bytes(&self) -> Vec<u8> {
        self.0.id().as_bytes().to_vec()
    }

    /// The current epoch.
    pub fn epoch(&self) -> u32 {
        self.0.epoch()
    }

    /// This member's level: "full" or "summary".
    pub fn level(&self) -> String {
        level_name(self.0.level()).to_owned()
    }

    /// The case head as base64url, to pin on the next load.
    pub fn head(&self) -> String {
        self.0.head().to_base64url()
    }

    /// Every case log entry, the create entry first.
    #[wasm_bindgen(js_name = logEntries)]
    pub fn log_entries(&self) -> js_sys::Array {
        self.0
            .log()
            .entries()
            .map(|e| JsValue::from(Uint8Array::from(e)))
            .collect()
    }

    /// The current members of the case: `{ id, level, departed }` each, `departed` for a
    /// member who has left the workspace and must be removed before the next write.
    pub fn members(&self, workspace: &Workspace) -> Result<js_sys::Array, JsValue> {
        let ws_log = workspace.0.membership().ok_or_else(no_log)?;
        self.0
            .log()
            .members()
            .map(|(id, level)| {
                object(&[
                    ("id", Uint8Array::from(&id[..]).into()),
                    ("level", level_name(level).into()),
                    ("departed", (!ws_log.is_active(&id)).into()),
                ])
            })
            .collect()
    }

    /// The signed date (Unix seconds, 0 for none) before which the case cannot be deleted.
    #[wasm_bindgen(js_name = retentionUntil)]
    pub fn retention_until(&self) -> f64 {
        // Unix seconds fit a double exactly well past the year 200,000.
        #[allow(clippy::cast_precision_loss)]
        let until = self.0.log().retention_until() as f64;
        until
    }

    /// The epochs whose keys this member holds.
    #[wasm_bindgen(js_name = heldEpochs)]
    pub fn held_epochs(&self) -> Vec<u32> {
        self.0.held_epochs().collect()
    }

    /// Whether a member who left the workspace still holds the current key.
    #[wasm_bindgen(js_name = needsRotation)]
    pub fn needs_rotation(&self, workspace: &Workspace) -> bool {
        self.0.needs_rotation(&workspace.0)
    }

    /// Adds a member of the workspace at `level`: `{ logEntry, grants }`.
    pub fn add(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8],
        level: &str,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let change = self
            .0
            .add(
                &workspace.0,
                &member_id_from(member_id)?,
                parse_level(level)?,
                unix_seconds(now)?,
            )
            .map_err(to_js)?;
        change_to_js(&change)
    }

    /// Removes a member from the case: `{ logEntry, grants }`.
    pub fn remove(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let change = self
            .0
            .remove(
                &workspace.0,
                &member_id_from(member_id)?,
                unix_seconds(now)?,
            )
            .map_err(to_js)?;
        change_to_js(&change)
    }

    /// Removes every member who has left the workspace, one change each.
    #[wasm_bindgen(js_name = removeDeparted)]
    pub fn remove_departed(
        &mut self,
        workspace: &Workspace,
        now: f64,
    ) -> Result<js_sys::Array, JsValue> {
        let changes = self
            .0
            .remove_departed(&workspace.0, unix_seconds(now)?)
            .map_err(to_js)?;
        changes.iter().map(change_to_js).collect()
    }

    /// Changes a member's level: `{ logEntry, grants }`.
    #[wasm_bindgen(js_name = setLevel)]
    pub fn set_level(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8],
        level: &str,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let change = self
            .0
            .set_level(
                &workspace.0,
                &member_id_from(member_id)?,
                parse_level(level)?,
                unix_seconds(now)?,
            )
            .map_err(to_js)?;
        change_to_js(&change)
    }

    /// Moves the case to a new epoch: `{ logEntry, grants }`.
    pub fn rotate(&mut self, workspace: &Workspace, now: f64) -> Result<JsValue, JsValue> {
        let change = self
            .0
            .rotate(&workspace.0, unix_seconds(now)?)
            .map_err(to_js)?;
        change_to_js(&change)
    }

    /// Shares the keys of epochs from `from_epoch` on with a member: `{ logEntry, grants }`.
    #[wasm_bindgen(js_name = shareHistory)]
    pub fn share_history(
        &mut self,
        workspace: &Workspace,
        member_id: &[u8],
        from_epoch: u32,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let change = self
            .0
            .share_history(
                &workspace.0,
                &member_id_from(member_id)?,
                from_epoch,
                unix_seconds(now)?,
            )
            .map_err(to_js)?;
        change_to_js(&change)
    }

    /// Sets the retention date; returns the log entry.
    #[wasm_bindgen(js_name = setRetention)]
    pub fn set_retention(
        &mut self,
        workspace: &Workspace,
        retention_until: f64,
        now: f64,
    ) -> Result<Vec<u8>, JsValue> {
        self.0
            .set_retention(
                &workspace.0,
                unix_seconds(retention_until)?,
                unix_seconds(now)?,
            )
            .map_err(to_js)
    }

    /// Deletes the case and drops its keys; returns the tombstone entry.
    pub fn delete(&mut self, workspace: &Workspace, now: f64) -> Result<Vec<u8>, JsValue> {
        self.0
            .delete(&workspace.0, unix_seconds(now)?)
            .map_err(to_js)
    }

    /// Encrypts a record of this case at `level`. `plaintext` is taken by value and zeroized.
    #[allow(clippy::too_many_arguments)] // one JS call, flat arguments
    pub fn encrypt(
        &self,
        workspace: &Workspace,
        plaintext: Vec<u8>,
        is_text: bool,
        record_id: &str,
        field: &str,
        pad: bool,
        level: &str,
    ) -> Result<Vec<u8>, JsValue> {
        let plaintext = Zeroizing::new(plaintext);
        let ctx = RecordContext { record_id, field };
        let options = EncryptOptions {
            content_type: content_type(is_text),
            pad,
        };
        self.0
            .encrypt(&workspace.0, &plaintext, &ctx, options, parse_level(level)?)
            .map_err(to_js)
    }

    /// Decrypts one record of this case.
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

    /// Starts a streamed record of this case at `level`.
    #[wasm_bindgen(js_name = encryptStream)]
    pub fn encrypt_stream(
        &self,
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        pad: bool,
        level: &str,
    ) -> Result<Encryptor, JsValue> {
        let ctx = RecordContext { record_id, field };
        let options = EncryptOptions {
            content_type: ContentType::Bytes,
            pad,
        };
        self.0
            .encrypt_stream(&workspace.0, &ctx, options, parse_level(level)?)
            .map(|e| Encryptor(Some(e)))
            .map_err(to_js)
    }

    /// Feeds a stream decryptor with this case's keys.
    #[wasm_bindgen(js_name = decryptorPush)]
    pub fn decryptor_push(
        &self,
        decryptor: &mut Decryptor,
        data: &[u8],
    ) -> Result<Uint8Array, JsValue> {
        decryptor.push_with(&self.0, data)
    }

    /// A range reader of one record of this case.
    #[wasm_bindgen(js_name = chunkReader)]
    pub fn chunk_reader(
        &self,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<ChunkReader, JsValue> {
        ChunkReader::with_keys(&self.0, start, record_id, field)
    }

    /// Message keys of a new record at `level` for the WebCrypto engine.
    #[wasm_bindgen(js_name = messageKeysForEncryption)]
    pub fn message_keys_for_encryption(
        &self,
        workspace: &Workspace,
        level: &str,
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        let writer = self
            .0
            .writer(&workspace.0, parse_level(level)?)
            .map_err(to_js)?;
        MessageKeys::encryption_with(&writer, record_id, field)
    }

    /// Message keys of an existing record of this case for the WebCrypto engine.
    #[wasm_bindgen(js_name = messageKeysForDecryption)]
    pub fn message_keys_for_decryption(
        &self,
        start: &[u8],
        record_id: &str,
        field: &str,
    ) -> Result<MessageKeys, JsValue> {
        MessageKeys::decryption_with(&self.0, start, record_id, field)
    }
}

pub(crate) fn parse_level(level: &str) -> Result<Level, JsValue> {
    match level {
        "full" => Ok(Level::Full),
        "summary" => Ok(Level::Summary),
        _ => Err(js_error(
            "invalid_argument",
            "level: expected \"full\" or \"summary\"",
        )),
    }
}

pub(crate) fn level_name(level: Level) -> &'static str {
    match level {
        Level::Full => "full",
        Level::Summary => "summary",
    }
}

fn change_to_js(change: &confide::CaseChange) -> Result<JsValue, JsValue> {
    let grants = change
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
        ("logEntry", Uint8Array::from(&change.log_entry[..]).into()),
        ("grants", grants.into()),
    ])
}

//! Record integrity in a case (docs/FORMAT.md#revisions): signed revisions, history,
//! sign-offs and the audit trail.

use crate::case::{Case, level_name, parse_level};
use crate::convert::*;
use crate::workspace::Workspace;
use confide::integrity::{
    AuditAction, AuditEvent, AuditHead, AuditTrail as CoreAuditTrail, Revision, RevisionKind,
    RevisionPin,
};
use confide::{EncryptOptions, RecordContext, WriteOptions};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// A verified audit trail of a case.
#[wasm_bindgen(js_name = WasmAuditTrail)]
pub struct AuditTrail(CoreAuditTrail);

#[wasm_bindgen(js_class = WasmAuditTrail)]
impl AuditTrail {
    /// An empty trail, for a case's first entry.
    #[wasm_bindgen(constructor)]
    pub fn new() -> AuditTrail {
        AuditTrail(CoreAuditTrail::new())
    }

    /// The verified entries: `{ seq, authorId, time, keyEpoch, authorLevel, event?,
    /// unreadable }` each, `event` being `{ action, recordId, field, revisionNumber,
    /// revisionHash, note }`.
    pub fn records(&self) -> Result<js_sys::Array, JsValue> {
        self.0
            .records()
            .iter()
            .map(|r| {
                let event = match &r.event {
                    None => JsValue::UNDEFINED,
                    Some(e) => object(&[
                        ("action", e.action.name().into()),
                        ("recordId", e.record_id.as_str().into()),
                        ("field", e.field.as_str().into()),
                        ("revisionNumber", e.revision_number.into()),
                        (
                            "revisionHash",
                            Uint8Array::from(&e.revision_hash[..]).into(),
                        ),
                        ("note", e.note.as_str().into()),
                    ])?,
                };
                object(&[
                    ("seq", r.seq.into()),
                    ("authorId", Uint8Array::from(&r.author_id[..]).into()),
                    ("time", unix_time_to_js(r.time)),
                    ("keyEpoch", r.key_epoch.into()),
                    ("authorLevel", level_name(r.author_level).into()),
                    ("event", event),
                    ("unreadable", r.unreadable.into()),
                ])
            })
            .collect()
    }

    /// The head to pin (base64url), or `undefined` for an empty trail.
    pub fn head(&self) -> Option<String> {
        self.0.head().map(|h| h.to_base64url())
    }

    /// How many entries the trail holds.
    pub fn length(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }
}

/// The audit caps on lengths JS already knows, before anything is copied into wasm memory
/// (FORMAT.md#verifying-an-audit-trail, 1): `held` entries of `held_bytes` plus `entries`.
fn check_audit_caps(held: usize, held_bytes: usize, entries: &[Uint8Array]) -> Result<(), JsValue> {
    let bytes = entries
        .iter()
        .map(|e| usize::try_from(e.length()).unwrap_or(usize::MAX))
        .fold(held_bytes, usize::saturating_add);
    if held.saturating_add(entries.len()) > confide::integrity::audit::MAX_AUDIT_ENTRIES
        || bytes > confide::integrity::audit::MAX_AUDIT_BYTES
    {
        return Err(js_error(
            "log_too_large",
            "the audit trail is past its limits",
        ));
    }
    Ok(())
}

impl Default for AuditTrail {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen(js_class = WasmCase)]
impl Case {
    /// Writes the next revision of a record: `{ record, revision }`. `plaintext` is taken
    /// by value and zeroized; `previous` is the record's latest revision, if any.
    #[allow(clippy::too_many_arguments)] // one JS call, flat arguments
    pub fn write(
        &self,
        workspace: &Workspace,
        plaintext: Vec<u8>,
        is_text: bool,
        record_id: &str,
        field: &str,
        pad: bool,
        level: &str,
        previous: Option<Vec<u8>>,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let plaintext = Zeroizing::new(plaintext);
        let previous = previous
            .map(|p| Revision::parse(&p))
            .transpose()
            .map_err(to_js)?;
        let written = self
            .0
            .write(
                &workspace.0,
                &plaintext,
                &RecordContext { record_id, field },
                &WriteOptions {
                    encrypt: EncryptOptions {
                        content_type: content_type(is_text),
                        pad,
                    },
                    level: parse_level(level)?,
                    previous: previous.as_ref(),
                    now: unix_seconds(now)?,
                },
            )
            .map_err(to_js)?;
        object(&[
            ("record", Uint8Array::from(&written.record[..]).into()),
            ("revision", Uint8Array::from(&written.revision[..]).into()),
        ])
    }

    /// A signed tombstone after `previous`.
    #[wasm_bindgen(js_name = deleteRecord)]
    pub fn delete_record(
        &self,
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        previous: &[u8],
        now: f64,
    ) -> Result<Vec<u8>, JsValue> {
        let previous = Revision::parse(previous).map_err(to_js)?;
        self.0
            .delete_record(
                &workspace.0,
                &RecordContext { record_id, field },
                &previous,
                unix_seconds(now)?,
            )
            .map_err(to_js)
    }

    /// Verifies a record's history and opens the latest revision's record:
    /// `{ plaintext?, text, revisions, pin, audited? }`.
    #[wasm_bindgen(js_name = openHistory)]
    pub fn open_history(
        &self,
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        revisions: Vec<Uint8Array>,
        record: Option<Vec<u8>>,
        pin: Option<String>,
    ) -> Result<JsValue, JsValue> {
        self.history_with(workspace, record_id, field, &revisions, record, pin, None)
    }

    /// `openHistory`, also checked against a verified audit trail: a latest revision older
    /// than the one the trail records is a rollback.
    #[allow(clippy::too_many_arguments)] // one JS call, flat arguments
    #[wasm_bindgen(js_name = openHistoryAudited)]
    pub fn open_history_audited(
        &self,
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        revisions: Vec<Uint8Array>,
        record: Option<Vec<u8>>,
        pin: Option<String>,
        audit: &AuditTrail,
    ) -> Result<JsValue, JsValue> {
        self.history_with(
            workspace,
            record_id,
            field,
            &revisions,
            record,
            pin,
            Some(&audit.0),
        )
    }

    /// Opens the record of one revision of a history verified with `openHistory`.
    #[allow(clippy::too_many_arguments)] // one JS call, flat arguments
    #[wasm_bindgen(js_name = openRevision)]
    pub fn open_revision(
        &self,
        workspace: &Workspace,
        revisions: Vec<Uint8Array>,
        index: u32,
        record: &[u8],
        record_id: &str,
        field: &str,
        pin: Option<String>,
    ) -> Result<Uint8Array, JsValue> {
        let revisions = history_bytes(&revisions)?;
        let refs: Vec<&[u8]> = revisions.iter().map(Vec::as_slice).collect();
        let pin = pin
            .map(|p| RevisionPin::from_base64url(&p))
            .transpose()
            .map_err(to_js)?;
        let ctx = RecordContext { record_id, field };
        let membership = workspace.0.membership().ok_or_else(no_log)?;
        let verified =
            confide::integrity::verify_history(membership, self.0.log(), &ctx, &refs, pin.as_ref())
                .map_err(to_js)?;
        let revision = usize::try_from(index)
            .ok()
            .and_then(|i| verified.get(i))
            .ok_or_else(|| js_error("invalid_argument", "index: no such revision"))?;
        let (_, plaintext) = self
            .0
            .open_revision(revision, record, &ctx)
            .map_err(to_js)?;
        Ok(secret_to_js(&plaintext))
    }

    /// Signs off one revision.
    #[wasm_bindgen(js_name = signOff)]
    pub fn sign_off(
        &self,
        workspace: &Workspace,
        revision: &[u8],
        now: f64,
    ) -> Result<Vec<u8>, JsValue> {
        let revision = Revision::parse(revision).map_err(to_js)?;
        self.0
            .sign_off(&workspace.0, &revision, unix_seconds(now)?)
            .map_err(to_js)
    }

    /// Verifies a sign-off of `revision`: `{ signerId, time, revisionNumber }`.
    #[wasm_bindgen(js_name = verifySignOff)]
    pub fn verify_sign_off(
        &self,
        workspace: &Workspace,
        sign_off: &[u8],
        revision: &[u8],
    ) -> Result<JsValue, JsValue> {
        let revision = Revision::parse(revision).map_err(to_js)?;
        let s = self
            .0
            .verify_sign_off(&workspace.0, sign_off, &revision)
            .map_err(to_js)?;
        object(&[
            ("signerId", Uint8Array::from(&s.signer_id[..]).into()),
            ("time", unix_time_to_js(s.time)),
            ("revisionNumber", s.revision_number.into()),
        ])
    }

    /// Verifies the case's audit trail, opening what this member's keys open.
    #[wasm_bindgen(js_name = verifyAudit)]
    pub fn verify_audit(
        &self,
        workspace: &Workspace,
        entries: Vec<Uint8Array>,
        pin: Option<String>,
    ) -> Result<AuditTrail, JsValue> {
        check_audit_caps(0, 0, &entries)?;
        let entries: Vec<Vec<u8>> = entries.iter().map(Uint8Array::to_vec).collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let pin = pin
            .map(|p| AuditHead::from_base64url(&p))
            .transpose()
            .map_err(to_js)?;
        self.0
            .verify_audit(&workspace.0, &refs, pin.as_ref())
            .map(AuditTrail)
            .map_err(to_js)
    }

    /// Verifies `entries` as the ones that follow `trail` and adds them to it; all or nothing.
    #[wasm_bindgen(js_name = extendAudit)]
    pub fn extend_audit(
        &self,
        workspace: &Workspace,
        trail: &mut AuditTrail,
        entries: Vec<Uint8Array>,
    ) -> Result<(), JsValue> {
        check_audit_caps(trail.0.len(), trail.0.total_bytes(), &entries)?;
        let entries: Vec<Vec<u8>> = entries.iter().map(Uint8Array::to_vec).collect();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        self.0
            .extend_audit(&workspace.0, &mut trail.0, &refs)
            .map_err(to_js)
    }

    /// Appends an event to a verified trail as this member: returns the entry to publish.
    #[allow(clippy::too_many_arguments)] // one JS call, flat arguments
    #[wasm_bindgen(js_name = appendAudit)]
    pub fn append_audit(
        &self,
        workspace: &Workspace,
        trail: &mut AuditTrail,
        action: &str,
        record_id: String,
        field: String,
        revision: Option<Vec<u8>>,
        note: String,
        now: f64,
    ) -> Result<Vec<u8>, JsValue> {
        let (revision_number, revision_hash) = match revision {
            None => (0, [0u8; 32]),
            Some(bytes) => {
                let r = Revision::parse(&bytes).map_err(to_js)?;
                (r.number(), r.hash())
            }
        };
        let event = AuditEvent {
            action: parse_action(action)?,
            record_id,
            field,
            revision_number,
            revision_hash,
            note,
        };
        self.0
            .append_audit(&workspace.0, &mut trail.0, &event, unix_seconds(now)?)
            .map_err(to_js)
    }
}

impl Case {
    #[allow(clippy::too_many_arguments)] // openHistory's arguments and the trail
    fn history_with(
        &self,
        workspace: &Workspace,
        record_id: &str,
        field: &str,
        revisions: &[Uint8Array],
        record: Option<Vec<u8>>,
        pin: Option<String>,
        audit: Option<&CoreAuditTrail>,
    ) -> Result<JsValue, JsValue> {
        let revisions = history_bytes(revisions)?;
        let refs: Vec<&[u8]> = revisions.iter().map(Vec::as_slice).collect();
        let pin = pin
            .map(|p| RevisionPin::from_base64url(&p))
            .transpose()
            .map_err(to_js)?;
        let opened = self
            .0
            .open_history(
                &workspace.0,
                &RecordContext { record_id, field },
                &refs,
                record.as_deref(),
                pin.as_ref(),
                audit,
            )
            .map_err(to_js)?;
        let (plaintext, text) = match &opened.latest {
            None => (JsValue::UNDEFINED, false),
            Some((content, p)) => (
                secret_to_js(p).into(),
                *content == confide::ContentType::Text,
            ),
        };
        let revisions = opened
            .revisions
            .iter()
            .map(revision_to_js)
            .collect::<Result<js_sys::Array, JsValue>>()?;
        let audited = opened.audited.map_or(JsValue::UNDEFINED, JsValue::from);
        object(&[
            ("plaintext", plaintext),
            ("text", text.into()),
            ("revisions", revisions.into()),
            ("pin", opened.pin.to_base64url().into()),
            ("audited", audited),
        ])
    }
}

fn parse_action(action: &str) -> Result<AuditAction, JsValue> {
    Ok(match action {
        "create" => AuditAction::Create,
        "edit" => AuditAction::Edit,
        "delete" => AuditAction::Delete,
        "sign-off" => AuditAction::SignOff,
        "share" => AuditAction::Share,
        "export" => AuditAction::Export,
        "membership" => AuditAction::Membership,
        _ => {
            return Err(js_error(
                "invalid_argument",
                "action: expected create, edit, delete, sign-off, share, export or membership",
            ));
        }
    })
}

fn revision_to_js(r: &Revision) -> Result<JsValue, JsValue> {
    object(&[
        ("number", r.number().into()),
        ("hash", Uint8Array::from(&r.hash()[..]).into()),
        (
            "kind",
            match r.kind() {
                RevisionKind::Delete => "delete",
                _ => "write",
            }
            .into(),
        ),
        ("authorId", Uint8Array::from(&r.author_id()[..]).into()),
        ("time", unix_time_to_js(r.time())),
        ("workspaceSeq", r.workspace_seq().into()),
        ("keyEpoch", r.key_epoch().into()),
        ("bytes", Uint8Array::from(r.as_bytes()).into()),
    ])
}

/// Unix seconds as a JS number (exact below 2^53).
fn unix_time_to_js(t: u64) -> JsValue {
    #[allow(clippy::cast_precision_loss)] // exact for any time before the year 285 million
    let t = t as f64;
    JsValue::from_f64(t)
}

/// A history's revisions copied out of JS, after its limit (FORMAT.md#verifying-a-history,
/// step 1) on lengths JS already knows: a hostile list is refused before it fills memory.
fn history_bytes(revisions: &[Uint8Array]) -> Result<Vec<Vec<u8>>, JsValue> {
    if revisions.len() > confide::integrity::MAX_HISTORY_REVISIONS {
        return Err(js_error("log_too_large", "the history is past its limits"));
    }
    // A revision is at most 731 bytes (FORMAT.md#revision).
    if revisions.iter().any(|r| r.length() > 731) {
        return Err(js_error("malformed", "a revision is longer than 731 bytes"));
    }
    Ok(revisions.iter().map(Uint8Array::to_vec).collect())
}

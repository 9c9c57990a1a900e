// Confide demo: a therapist's session note, encrypted and decrypted in the browser.
// Uses only the package's public API, served from /confide/ by www/serve.mjs.
import { init, Member, Workspace, isConfideError } from "/confide/dist/index.js";

const FIELD = "body";
const HEX_PREVIEW_BYTES = 96;

/** Plain-language explanations, keyed by ConfideError code. */
const EXPLAIN = {
  decryption_failed:
    "the ciphertext does not open with this key and context (wrong record id, wrong key, or altered bytes).",
  invalid_argument: "an input is missing or out of range.",
  malformed: "the bytes are not a Confide object.",
  unsupported_version: "the object was written by a newer version.",
  wrong_workspace: "the record belongs to another workspace.",
  unknown_epoch: "this member does not hold the key for the record's epoch.",
  bad_signature: "the signature does not verify.",
  not_for_this_member: "the grant is addressed to another member.",
  not_initialized: "the module has not loaded.",
  freed: "the key object has been released.",
  random_unavailable: "the browser's random number generator failed.",
  internal: "an unexpected failure inside the module.",
};

const $ = (id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
};

const ui = {
  status: $("status"),
  aliceFp: $("alice-fingerprint"),
  wsId: $("workspace-id"),
  wsEpoch: $("workspace-epoch"),
  recordId: $("record-id"),
  note: $("note-input"),
  encrypt: $("encrypt"),
  decrypt: $("decrypt"),
  ctEmpty: $("ciphertext-empty"),
  ctBox: $("ciphertext-box"),
  ctLength: $("ciphertext-length"),
  ctRecord: $("ciphertext-record"),
  ct: $("ciphertext"),
  decrypted: $("decrypted"),
  noteError: $("note-error"),
  bobFp: $("bob-fingerprint"),
  bobSeesAlice: $("bob-sees-alice"),
  grant: $("grant"),
  bobDecrypt: $("bob-decrypt"),
  grantStatus: $("grant-status"),
  bobDecrypted: $("bob-decrypted"),
  bobError: $("bob-error"),
  wrongRecordId: $("wrong-record-id"),
  wrongDecrypt: $("wrong-decrypt"),
  wrongResult: $("wrong-result"),
};

const state = {
  alice: null,
  bob: null,
  workspace: null, // Alice's view of the workspace
  bobWorkspace: null, // Bob's view, once he has opened a grant
  record: null, // { ciphertext: Uint8Array, recordId: string }
};

function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Hex in groups of 4 bytes, cut after `limit` bytes. */
function hexPreview(bytes, limit) {
  const shown = toHex(bytes.subarray(0, limit)).match(/.{1,8}/g) ?? [];
  const text = shown.join(" ");
  return bytes.length > limit ? `${text} … (${bytes.length - limit} more bytes)` : text;
}

function describeError(e) {
  if (isConfideError(e)) {
    const why = EXPLAIN[e.code] ?? "see the error code.";
    return { code: e.code, text: why };
  }
  return { code: "unexpected", text: "something outside Confide went wrong." };
}

/** Shows an error in `el` as its code plus a plain explanation. */
function showError(el, e, prefix) {
  const { code, text } = describeError(e);
  el.replaceChildren();
  if (prefix) el.append(`${prefix}: `);
  const c = document.createElement("code");
  c.className = "code";
  c.dataset.testid = "error-code";
  c.textContent = code;
  el.append(c, ` — ${text}`);
  el.hidden = false;
}

function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
}

function setEnabled() {
  const ready = state.workspace !== null;
  ui.encrypt.disabled = !ready;
  ui.decrypt.disabled = !ready || state.record === null;
  ui.grant.disabled = !ready;
  ui.bobDecrypt.disabled = state.bobWorkspace === null || state.record === null;
  ui.wrongDecrypt.disabled = !ready || state.record === null;
}

function context(recordId) {
  return { recordId, field: FIELD };
}

function onEncrypt(event) {
  event.preventDefault();
  clearError(ui.noteError);
  const recordId = ui.recordId.value.trim();
  try {
    const ciphertext = state.workspace.encrypt(ui.note.value, context(recordId), { pad: true });
    state.record = { ciphertext, recordId };
    ui.ctEmpty.hidden = true;
    ui.ctBox.hidden = false;
    ui.ctLength.textContent = `${ciphertext.length.toLocaleString("en")} bytes`;
    ui.ctRecord.textContent = recordId;
    ui.ct.textContent = hexPreview(ciphertext, HEX_PREVIEW_BYTES);
    ui.ct.title = `Ciphertext, ${ciphertext.length} bytes, shown as hexadecimal`;
    ui.decrypted.textContent = "";
    ui.bobDecrypted.textContent = "";
    ui.wrongResult.replaceChildren();
  } catch (e) {
    showError(ui.noteError, e, "Could not encrypt");
  }
  setEnabled();
}

function onDecrypt() {
  clearError(ui.noteError);
  if (!state.record) return;
  try {
    const { ciphertext, recordId } = state.record;
    ui.decrypted.textContent = state.workspace.decryptText(ciphertext, context(recordId));
  } catch (e) {
    ui.decrypted.textContent = "";
    showError(ui.noteError, e, "Could not decrypt");
  }
}

function onGrant() {
  clearError(ui.bobError);
  try {
    // On Alice's device: seal this epoch's key to Bob's public bundle, signed by Alice.
    const grant = state.workspace.grant(state.bob.publicBundle);
    // The server relays `grant`. On Bob's device: open it, checking it is signed by
    // the key whose fingerprint Bob compared with Alice.
    const opened = Workspace.openGrant(state.bob, grant, state.alice.publicBundle);
    state.bobWorkspace?.free();
    state.bobWorkspace = opened;
    ui.grantStatus.textContent =
      `Granted: Bob opened a ${grant.length.toLocaleString("en")}-byte grant for workspace ` +
      `${opened.id}, epoch ${opened.epoch}.`;
    ui.grantStatus.dataset.state = "granted";
  } catch (e) {
    showError(ui.bobError, e, "Grant failed");
  }
  setEnabled();
}

function onBobDecrypt() {
  clearError(ui.bobError);
  if (!state.record || !state.bobWorkspace) return;
  try {
    const { ciphertext, recordId } = state.record;
    ui.bobDecrypted.textContent = state.bobWorkspace.decryptText(ciphertext, context(recordId));
  } catch (e) {
    ui.bobDecrypted.textContent = "";
    showError(ui.bobError, e, "Bob could not decrypt");
  }
}

function onWrongDecrypt(event) {
  event.preventDefault();
  if (!state.record) return;
  const tried = ui.wrongRecordId.value.trim();
  ui.wrongResult.replaceChildren();
  delete ui.wrongResult.dataset.state;
  try {
    state.workspace.decryptText(state.record.ciphertext, context(tried));
    ui.wrongResult.dataset.state = "opened";
    ui.wrongResult.append(
      `Opened: "${tried}" is the record this note was encrypted for. Try another id.`,
    );
  } catch (e) {
    ui.wrongResult.dataset.state = "refused";
    showError(ui.wrongResult, e, `Refused for record "${tried}"`);
  }
}

async function main() {
  try {
    await init();
    state.alice = Member.generate();
    state.workspace = Workspace.create(state.alice);
    state.bob = Member.generate();
  } catch (e) {
    const { code } = describeError(e);
    ui.status.textContent = `Could not start: ${code}`;
    document.body.dataset.state = "error";
    return;
  }
  ui.aliceFp.textContent = state.alice.fingerprint;
  ui.wsId.textContent = state.workspace.id;
  ui.wsEpoch.textContent = String(state.workspace.epoch);
  ui.bobFp.textContent = state.bob.fingerprint;
  ui.bobSeesAlice.textContent = Member.fingerprintOf(state.alice.publicBundle);

  ui.encrypt.closest("form").addEventListener("submit", onEncrypt);
  ui.decrypt.addEventListener("click", onDecrypt);
  ui.grant.addEventListener("click", onGrant);
  ui.bobDecrypt.addEventListener("click", onBobDecrypt);
  ui.wrongDecrypt.closest("form").addEventListener("submit", onWrongDecrypt);

  ui.status.textContent = "Ready: keys generated in this browser.";
  document.body.dataset.state = "ready";
  setEnabled();
}

main();

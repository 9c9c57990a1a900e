// Confide demo: a therapist's notes over the reference server (confide-server).
//
// Everything secret happens here, in the browser: the member key, the workspace keys, and
// the plaintext of notes, transcripts and recordings. The server gets public bundles, signed
// log entries, sealed grants and ciphertext under random ids. Plaintext never goes to the
// console, into an error message or into a URL.
import { init, Invite, Member, Workspace, isConfideError, plaintextSize } from "/pkg/dist/index.js";
import { ApiError, Session, b64, unb64, wsPath } from "./api.js";
import { RecordingPlayer, rangeFetcher } from "./player.js";
import { uploadEncrypted, uploadMode } from "./upload.js";

/** Field names of a note record (the record id is random). */
const F = {
  client: "client",
  body: "body",
  transcript: "transcript",
  transcriptName: "transcript-name",
  recordingMeta: "recording-meta",
  audio: "audio",
};
const MAX_TRANSCRIPT_BYTES = 3 * 1024 * 1024;
const POLL_MS = 1500;

/** Plain words for each error code, from the library (ConfideError) or the server. */
const EXPLAIN = {
  // Confide library
  decryption_failed: "this item does not open with your keys: it was altered, or moved from elsewhere.",
  invalid_argument: "an input is missing or out of range.",
  malformed: "the data is not a Confide object.",
  unsupported_version: "the data was written by a newer version of Confide.",
  wrong_workspace: "this item belongs to another workspace.",
  unknown_epoch: "it was written with a key you do not hold (after you left, or before you could read it).",
  bad_recovery_kit: "the recovery kit has a typo, or a character is missing or extra.",
  bad_signature: "a signature does not verify: someone altered the data.",
  not_for_this_member: "the key grant is addressed to someone else.",
  not_initialized: "the Confide module has not loaded.",
  freed: "the key was released; reload the page.",
  aborted: "cancelled.",
  random_unavailable: "the browser's random number generator failed.",
  internal: "an unexpected failure inside Confide.",
  broken_chain: "the membership history does not fit together: the server may have altered it.",
  unknown_signer: "a membership change is signed by someone who is not a member.",
  not_authorized: "only an admin can do this.",
  rollback_detected: "the server showed an older membership history than this device has seen.",
  fork_detected: "the server showed a membership history that differs from the one this device has seen.",
  invite_unknown: "this invite is not in the workspace's history.",
  invite_used: "this invite has already been used.",
  invite_expired: "this invite has expired; ask for a new one.",
  bad_acceptance: "the reply to the invite is not bound to its secret link.",
  inviter_mismatch: "the invite was not made by the person the link names.",
  not_a_member: "you are not, or no longer, a member of this workspace.",
  already_member: "this person is already a member.",
  last_admin: "the workspace needs at least one admin.",
  key_mismatch: "a key does not match the membership history.",
  missing_grant: "no key for the current epoch has been shared with you.",
  no_membership_log: "this workspace has no membership history.",
  no_trust_anchor: "nothing on this device vouches for this workspace's history.",
  // This page
  fingerprint_changed: "the fingerprint in the signed reply differs from the one shown; nothing was changed.",
  too_large: "the file is too large.",
  unplayable: "the browser cannot play this recording's format.",
  // Server
  network: "the server cannot be reached.",
  unauthorized: "the login expired; try again.",
  bad_challenge: "the login challenge expired; try again.",
  forbidden: "the server refused: only admins may do this.",
  not_found: "the server has no such item, or does not let you see it.",
  head_moved: "someone else changed the workspace at the same moment; try again.",
  exists: "it exists already.",
  too_many_acceptances: "too many people replied to this invite.",
  range_not_satisfiable: "the recording is shorter than expected.",
};

const $ = (id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
};

const ui = Object.fromEntries(
  [
    "status", "invitation", "inviter-id", "waiting", "waiting-fingerprint", "invitation-error",
    "identity-new", "create-identity", "identity-facts", "my-fingerprint", "session-state", "identity-error",
    "restore-kit", "restore-identity", "kit-step", "recovery-kit", "kit-fingerprint", "print-kit", "kit-saved",
    "workspace", "workspace-new", "create-workspace", "workspace-open", "workspace-id", "workspace-epoch",
    "my-role", "refresh", "workspace-error", "work-area",
    "note-form", "editor-title", "client-input", "note-input", "transcript-input", "save-note", "new-note",
    "note-saved", "note-error", "notes-empty", "notes",
    "upload-form", "audio-input", "upload-audio", "upload-progress", "upload-status", "upload-error",
    "recordings-empty", "recordings",
    "player", "player-title", "player-audio", "player-play", "player-seek", "player-time", "player-status", "player-error",
    "members", "team-error", "admin-tools", "create-invite", "invite-box", "invite-link", "pending-empty", "pending",
  ].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), $(id)]),
);

const state = {
  member: null,
  session: null,
  ws: null, // the verified Workspace, as of the last load or our last accepted append
  wsId: null,
  dirty: false, // the local log holds an entry the server has not accepted
  inviteLink: null, // held in memory only, until the first load
  pollTimer: null,
  editing: null, // record id of the note in the editor, or null for a new note
};

// ---------- errors ------------------------------------------------------------------

class PageError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

function codeOf(e) {
  if (isConfideError(e)) return e.code;
  if (e instanceof ApiError || e instanceof PageError) return e.code;
  if (e?.code === "unplayable") return "unplayable";
  return "unexpected";
}

/** Shows the code and plain words; never the message (it could quote input). */
function showError(el, e, prefix) {
  const code = codeOf(e);
  el.replaceChildren();
  if (prefix) el.append(`${prefix}: `);
  const c = document.createElement("code");
  c.className = "code";
  c.dataset.testid = "error-code";
  c.textContent = code;
  el.append(EXPLAIN[code] ?? "something unexpected went wrong.", " (", c, ")");
  el.hidden = false;
}

function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
}

/** Runs an action from a button: disables it meanwhile, shows failures in `errorEl`. */
async function action(button, errorEl, prefix, fn) {
  clearError(errorEl);
  button.disabled = true;
  try {
    await fn();
  } catch (e) {
    showError(errorEl, e, prefix);
  } finally {
    button.disabled = false;
  }
}

// ---------- pinned heads --------------------------------------------------------------

/**
 * The newest log head this device has verified, per member and workspace: passed back to
 * Workspace.load so a server that rolls the log back or forks it is caught.
 */
const pins = {
  memory: new Map(),
  key(wsId) {
    return `confide-demo/head/${state.member.id}/${wsId}`;
  },
  get(wsId) {
    try {
      return localStorage.getItem(this.key(wsId)) ?? this.memory.get(wsId);
    } catch {
      return this.memory.get(wsId);
    }
  },
  set(wsId, head) {
    this.memory.set(wsId, head);
    try {
      localStorage.setItem(this.key(wsId), head);
    } catch {
      // Private mode or storage disabled: memory only.
    }
  },
};

// ---------- identity ----------------------------------------------------------------

/** Logs `member` in and moves on: the kit step for a new identity, then the workspace. */
async function useIdentity(member, { isNew, how }) {
  state.member = member;
  state.session = new Session(state.member);
  await state.session.login();
  ui.myFingerprint.textContent = state.member.fingerprint;
  ui.sessionState.textContent = `${how} Logged in by signing the server's challenge (no password).`;
  ui.identityNew.hidden = true;
  ui.identityFacts.hidden = false;
  if (isNew) await saveRecoveryKit();
  if (state.inviteLink !== null) {
    await acceptInvite();
  } else {
    ui.workspace.hidden = false;
  }
}

async function createIdentity() {
  const member = Member.generate();
  await keepOnDevice(member);
  await useIdentity(member, { isNew: true, how: "New identity, kept in this browser." });
}

async function restoreIdentity() {
  const member = Member.fromRecoveryKit(ui.restoreKit.value);
  ui.restoreKit.value = "";
  await keepOnDevice(member);
  await useIdentity(member, { isNew: false, how: "Restored from your recovery kit." });
}

/** Keeps the member in IndexedDB, sealed by a non-extractable key; memory only if refused. */
async function keepOnDevice(member) {
  try {
    await member.saveToDevice({ name: "confide-demo" });
  } catch {
    // Private mode or storage disabled: the identity lives as long as the page.
  }
}

/** The identity this browser kept, if any: no kit step, straight to work. */
async function resumeIdentity() {
  let member;
  try {
    member = await Member.loadFromDevice({ name: "confide-demo" });
  } catch {
    return false; // nothing kept (no_saved_member), or no storage here
  }
  await useIdentity(member, { isNew: false, how: "Welcome back: your identity was kept in this browser." });
  return true;
}

/**
 * "Save your recovery kit" (FORMAT.md#recovery-kit): shown once, after creating an identity.
 * Nothing goes on until the therapist says the kit is saved.
 */
async function saveRecoveryKit() {
  ui.recoveryKit.textContent = state.member.recoveryKit();
  ui.kitFingerprint.textContent = state.member.fingerprint;
  ui.kitStep.hidden = false;
  await new Promise((resolve) => ui.kitSaved.addEventListener("click", resolve, { once: true }));
  ui.kitStep.hidden = true;
  ui.recoveryKit.textContent = "—"; // off the screen once saved
}

// ---------- joining by invite --------------------------------------------------------

function readInviteFromUrl() {
  const hash = location.hash;
  if (!hash.startsWith("#confide-invite=")) return;
  state.inviteLink = hash;
  // The secret stays in memory only: out of the address bar and the history.
  history.replaceState(null, "", location.pathname + location.search);
  ui.invitation.hidden = false;
  try {
    ui.inviterId.textContent = Invite.describe(state.inviteLink).inviterId;
  } catch (e) {
    state.inviteLink = null;
    showError(ui.invitationError, e, "This invite link does not work");
  }
}

async function acceptInvite() {
  const { workspaceId, inviteId } = Invite.describe(state.inviteLink);
  const acceptance = Invite.accept(state.member, state.inviteLink);
  await state.session.json("POST", wsPath(workspaceId, `/invites/${inviteId}/acceptances`), {
    acceptance: b64(acceptance),
  });
  ui.waitingFingerprint.textContent = state.member.fingerprint;
  ui.waiting.hidden = false;
  document.body.dataset.state = "waiting";
  // Poll until the admin's admit entry is in the log: the server then lists the workspace.
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const { workspaces } = await state.session.json("GET", "/api/workspaces");
    if (workspaces.some((w) => w.workspaceId === workspaceId)) break;
  }
  await loadWorkspace(workspaceId);
  state.inviteLink = null;
  ui.waiting.hidden = true;
  ui.invitation.hidden = true;
  await refreshAll();
}

// ---------- the workspace and its log --------------------------------------------------

/** Fetches log, grants and history and verifies all of it (Workspace.load). */
async function loadWorkspace(wsId) {
  const s = state.session;
  const [log, grants, history] = await Promise.all([
    s.json("GET", wsPath(wsId, "/log")),
    s.json("GET", wsPath(wsId, "/grants")),
    s.json("GET", wsPath(wsId, "/history")),
  ]);
  const pinnedHead = pins.get(wsId);
  const ws = Workspace.load(state.member, {
    log: log.entries.map(unb64),
    grants: grants.grants.map(unb64),
    history: history.links.map(unb64),
    ...(pinnedHead ? { pinnedHead } : { invite: state.inviteLink ?? undefined }),
  });
  adopt(wsId, ws);
}

function adopt(wsId, ws) {
  if (state.ws !== ws) state.ws?.free();
  state.ws = ws;
  state.wsId = wsId;
  state.dirty = false;
  pins.set(wsId, ws.head);
  renderWorkspace();
}

/**
 * Brings the local log up to the server's: new entries through ws.extendLog, or a full
 * verified load when they start an epoch (new grants) or the local log has an entry the
 * server refused. A 404 means the server no longer counts us as a member.
 */
async function sync() {
  try {
    if (!state.dirty) {
      const seq = state.ws.log.length - 1;
      const { entries } = await state.session.json("GET", wsPath(state.wsId, `/log?after=${seq}`));
      if (entries.length === 0) return;
      try {
        state.ws.extendLog(entries.map(unb64));
        adopt(state.wsId, state.ws);
        return;
      } catch (e) {
        if (!isConfideError(e) || e.code !== "missing_grant") throw e;
      }
    }
    await loadWorkspace(state.wsId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      lockOut();
      throw new PageError("not_a_member");
    }
    throw e;
  }
}

/**
 * Appends one entry built by `build(ws)` → { entry, grants?, historyLink? }, on the head the
 * local log is at (compare-and-swap). If another admin got there first (409 head_moved),
 * reload the log and build again.
 */
async function append(build) {
  await sync();
  for (let attempt = 0; ; attempt++) {
    const expectedSeq = state.ws.log.length - 1;
    state.dirty = true;
    let body;
    try {
      body = build(state.ws);
    } catch (e) {
      await loadWorkspace(state.wsId).catch(() => {}); // drop whatever build appended locally
      throw e;
    }
    try {
      await state.session.json("POST", wsPath(state.wsId, "/log"), { expectedSeq, ...body });
    } catch (e) {
      if (e instanceof ApiError && e.code === "head_moved" && attempt < 3) {
        await sync(); // state.dirty: a full reload from the server's log
        continue;
      }
      await sync().catch(() => {});
      throw e;
    }
    adopt(state.wsId, state.ws);
    return;
  }
}

async function createWorkspace() {
  const ws = Workspace.create(state.member);
  const grant = ws.grant(state.member.publicBundle);
  const { workspaceId } = await state.session.json("POST", "/api/workspaces", {
    entry: b64(ws.log[0]),
    grants: [{ memberId: state.member.id, grant: b64(grant) }],
  });
  adopt(workspaceId, ws);
}

function isAdmin() {
  return state.ws?.members.some((m) => m.id === state.member.id && m.role === "admin") ?? false;
}

function lockOut() {
  stopPolling();
  state.ws?.free();
  state.ws = null;
  document.body.dataset.state = "removed";
  ui.workArea.hidden = true;
  ui.refresh.disabled = true;
  ui.workspaceEpoch.textContent = "—";
  ui.myRole.textContent = "none";
}

function renderWorkspace() {
  ui.workspace.hidden = false;
  ui.workspaceNew.hidden = true;
  ui.workspaceOpen.hidden = false;
  ui.workArea.hidden = false;
  ui.workspaceId.textContent = state.wsId;
  ui.workspaceEpoch.textContent = String(state.ws.epoch);
  const admin = isAdmin();
  ui.myRole.textContent = admin ? "admin" : "member";
  ui.adminTools.hidden = !admin;
  renderMembers(admin);
  document.body.dataset.state = "open";
  if (admin) startPolling();
}

function renderMembers(admin) {
  const items = state.ws.members.map((m) => {
    const li = document.createElement("li");
    li.dataset.testid = "member";
    li.dataset.memberId = m.id;
    const fp = document.createElement("code");
    fp.className = "fingerprint";
    fp.dataset.testid = "member-fingerprint";
    fp.textContent = m.fingerprint;
    const who = document.createElement("span");
    who.className = "meta";
    who.textContent = `${m.role}${m.id === state.member.id ? " · you" : ""}`;
    li.append(fp, " ", who);
    if (admin && m.id !== state.member.id) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary danger";
      remove.dataset.testid = "remove-member";
      remove.textContent = "Remove";
      remove.title = "Removes this colleague and moves the workspace to a new key they never receive";
      remove.addEventListener("click", () =>
        action(remove, ui.teamError, "Could not remove", () => removeMember(m.id)),
      );
      li.append(" ", remove);
    }
    return li;
  });
  ui.members.replaceChildren(...items);
}

// ---------- team: invite, admit, remove -------------------------------------------------

async function createInvite() {
  let created = null;
  await append((ws) => {
    created = ws.createInvite();
    return { entry: b64(created.invite) };
  });
  ui.inviteLink.value = `${location.origin}/${created.link}`;
  ui.inviteBox.hidden = false;
  ui.inviteLink.select();
}

let pollBusy = false;
function startPolling() {
  if (state.pollTimer !== null) return;
  state.pollTimer = setInterval(() => {
    if (pollBusy) return;
    pollBusy = true;
    refreshPending()
      .catch((e) => showError(ui.teamError, e, "Could not check who is waiting"))
      .finally(() => (pollBusy = false));
  }, POLL_MS);
  refreshPending().catch(() => {});
}

function stopPolling() {
  clearInterval(state.pollTimer);
  state.pollTimer = null;
}

/** Shown fingerprints, by member id: what the admin compared before clicking Admit. */
const shownFingerprints = new Map();

async function refreshPending() {
  if (!state.ws || !isAdmin()) return;
  const { acceptances } = await state.session.json("GET", wsPath(state.wsId, "/acceptances"));
  const items = [];
  for (const a of acceptances) {
    const { bundle } = await state.session.json("GET", `/api/members/${a.memberId}`);
    // Computed here from the bundle (self-signature checked); checked again against the
    // signed admit entry before anything is published.
    const fingerprint = Member.fingerprintOf(unb64(bundle));
    shownFingerprints.set(a.memberId, fingerprint);
    const li = document.createElement("li");
    li.dataset.testid = "pending-item";
    const fp = document.createElement("code");
    fp.className = "fingerprint";
    fp.dataset.testid = "pending-fingerprint";
    fp.textContent = fingerprint;
    const admit = document.createElement("button");
    admit.type = "button";
    admit.dataset.testid = "admit";
    admit.textContent = "Fingerprint matches: admit";
    admit.addEventListener("click", () =>
      action(admit, ui.teamError, "Could not admit", () => admitMember(a)),
    );
    const says = document.createElement("p");
    says.textContent = "Someone replied to your invite. Ask them to read out their fingerprint; it must be:";
    li.append(says, fp, admit);
    items.push(li);
  }
  // Keep the list stable while nothing changed (a button under the pointer stays put).
  const key = acceptances.map((a) => a.memberId + a.inviteId).join();
  if (ui.pending.dataset.key !== key) {
    ui.pending.dataset.key = key;
    ui.pending.replaceChildren(...items);
  }
  ui.pendingEmpty.hidden = items.length > 0;
}

async function admitMember(a) {
  const shown = shownFingerprints.get(a.memberId);
  await append((ws) => {
    const admission = ws.admit(unb64(a.acceptance));
    const admitted = ws.members.find((m) => m.id === admission.memberId);
    if (!admitted || admitted.fingerprint !== shown) throw new PageError("fingerprint_changed");
    return {
      entry: b64(admission.logEntry),
      grants: [{ memberId: admission.memberId, grant: b64(admission.grant) }],
    };
  });
  await refreshPending();
}

async function removeMember(memberId) {
  await append((ws) => {
    const r = ws.remove(memberId);
    return {
      entry: b64(r.logEntry),
      grants: r.grants.map((g) => ({ memberId: g.memberId, grant: b64(g.grant) })),
      historyLink: b64(r.historyLink),
    };
  });
}

// ---------- notes -----------------------------------------------------------------------

const ctx = (recordId, field) => ({ recordId, field });
const recordPath = (recordId, field) => wsPath(state.wsId, `/records/${recordId}/${field}`);

async function putRecord(recordId, field, ciphertext) {
  const res = await state.session.request("PUT", recordPath(recordId, field), { body: ciphertext });
  await res.arrayBuffer(); // read the (empty) answer to its end, so the request completes
}

async function getText(recordId, field) {
  const ct = await state.session.bytes(recordPath(recordId, field));
  return state.ws.decryptText(ct, ctx(recordId, field));
}

async function saveNote() {
  const client = ui.clientInput.value.trim();
  const body = ui.noteInput.value;
  const file = ui.transcriptInput.files?.[0] ?? null;
  if (body.trim() === "") throw new PageError("invalid_argument");
  if (file && file.size > MAX_TRANSCRIPT_BYTES) throw new PageError("too_large");
  await sync();
  const recordId = state.editing ?? crypto.randomUUID();
  const ws = state.ws;
  // The client identifier and note are encrypted (and padded) like any other field.
  await putRecord(recordId, F.client, ws.encrypt(client, ctx(recordId, F.client)));
  await putRecord(recordId, F.body, ws.encrypt(body, ctx(recordId, F.body)));
  if (file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await putRecord(recordId, F.transcript, ws.encrypt(bytes, ctx(recordId, F.transcript)));
    bytes.fill(0);
    await putRecord(recordId, F.transcriptName, ws.encrypt(file.name, ctx(recordId, F.transcriptName)));
  }
  state.editing = recordId;
  ui.editorTitle.textContent = "Editing a saved note";
  ui.transcriptInput.value = "";
  ui.noteSaved.textContent = `Saved, encrypted at key epoch ${ws.epoch}.`;
  await refreshNotes();
}

function newNote() {
  state.editing = null;
  ui.editorTitle.textContent = "New note";
  ui.clientInput.value = "";
  ui.noteInput.value = "";
  ui.transcriptInput.value = "";
  ui.noteSaved.textContent = "";
  clearError(ui.noteError);
}

/** Record ids with their fields, newest change first. */
async function listRecords() {
  const { records } = await state.session.json("GET", wsPath(state.wsId, "/records"));
  const byId = new Map();
  for (const r of records) {
    const entry = byId.get(r.recordId) ?? { recordId: r.recordId, fields: new Map(), updatedAt: 0 };
    entry.fields.set(r.field, r);
    entry.updatedAt = Math.max(entry.updatedAt, r.updatedAt);
    byId.set(r.recordId, entry);
  }
  return [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

async function refreshNotes(records) {
  records ??= await listRecords();
  const items = [];
  for (const rec of records.filter((r) => r.fields.has(F.body))) {
    const li = document.createElement("li");
    li.dataset.testid = "note";
    li.dataset.recordId = rec.recordId;
    items.push(li);
    try {
      const client = rec.fields.has(F.client) ? await getText(rec.recordId, F.client) : "";
      const body = await getText(rec.recordId, F.body);
      renderNote(li, rec, client, body);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw e;
      const err = document.createElement("p");
      err.className = "error";
      err.dataset.testid = "note-open-error";
      showError(err, e, "This note does not open");
      li.append(err);
    }
  }
  ui.notes.replaceChildren(...items);
  ui.notesEmpty.hidden = items.length > 0;
}

function renderNote(li, rec, client, body) {
  const head = document.createElement("p");
  head.className = "note-head";
  const who = document.createElement("strong");
  who.dataset.testid = "note-client";
  who.textContent = client || "(no client identifier)";
  const when = document.createElement("span");
  when.className = "meta";
  when.textContent = ` · ${new Date(rec.updatedAt).toLocaleString("en-GB")}`;
  head.append(who, when);
  const text = document.createElement("p");
  text.className = "note-body";
  text.dataset.testid = "note-body";
  text.textContent = body;
  const actions = document.createElement("div");
  actions.className = "actions";
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "secondary";
  edit.dataset.testid = "edit-note";
  edit.textContent = "Edit";
  edit.addEventListener("click", () => {
    state.editing = rec.recordId;
    ui.editorTitle.textContent = "Editing a saved note";
    ui.clientInput.value = client;
    ui.noteInput.value = body;
    ui.noteSaved.textContent = "";
    ui.noteInput.focus();
  });
  actions.append(edit);
  li.append(head, text, actions);
  if (rec.fields.has(F.transcript)) {
    const show = document.createElement("button");
    show.type = "button";
    show.className = "secondary";
    show.dataset.testid = "show-transcript";
    show.textContent = "Show transcript";
    const out = document.createElement("pre");
    out.className = "transcript";
    out.dataset.testid = "transcript";
    out.hidden = true;
    const err = document.createElement("p");
    err.className = "error";
    err.hidden = true;
    show.addEventListener("click", () =>
      action(show, err, "The transcript does not open", async () => {
        const name = rec.fields.has(F.transcriptName) ? await getText(rec.recordId, F.transcriptName) : "transcript";
        out.textContent = `${name}\n\n${await getText(rec.recordId, F.transcript)}`;
        out.hidden = false;
      }),
    );
    actions.append(show);
    li.append(out, err);
  }
}

// ---------- recordings ------------------------------------------------------------------

const blobPath = (blobId) => wsPath(state.wsId, `/blobs/${blobId}`);

function showProgress(phase, fraction) {
  ui.uploadProgress.hidden = false;
  // Two phases share the bar when the upload cannot stream: encrypt, then send.
  const streamed = ui.uploadProgress.dataset.mode === "stream";
  const value = streamed ? fraction : phase === "encrypting" ? fraction / 2 : 0.5 + fraction / 2;
  ui.uploadProgress.value = Math.min(1, value);
  ui.uploadStatus.textContent = `${phase === "encrypting" ? "Encrypting" : "Uploading"}… ${Math.floor(fraction * 100)}%`;
}

async function uploadRecording() {
  const file = ui.audioInput.files?.[0];
  if (!file) throw new PageError("invalid_argument");
  await sync();
  const blobId = crypto.randomUUID();
  const how = uploadMode();
  ui.uploadProgress.dataset.mode = how.mode;
  ui.uploadProgress.dataset.state = "running";
  ui.uploadProgress.value = 0;
  const result = await uploadEncrypted({
    session: state.session,
    ws: state.ws,
    file,
    ctx: ctx(blobId, F.audio),
    path: blobPath(blobId),
    progress: showProgress,
  });
  const meta = JSON.stringify({ name: file.name, type: file.type, size: file.size });
  await putRecord(blobId, F.recordingMeta, state.ws.encrypt(meta, ctx(blobId, F.recordingMeta)));
  ui.uploadProgress.value = 1;
  ui.uploadProgress.dataset.state = "done";
  ui.uploadStatus.textContent =
    `Uploaded ${(file.size / 1048576).toFixed(1)} MB, encrypted in this browser ` +
    `(${result.mode === "stream" ? "streamed" : `sent as one encrypted file: ${result.why}`}).`;
  ui.audioInput.value = "";
  await refreshRecordings();
}

async function refreshRecordings(records) {
  records ??= await listRecords();
  const { blobs } = await state.session.json("GET", wsPath(state.wsId, "/blobs"));
  const metaIds = new Set(records.filter((r) => r.fields.has(F.recordingMeta)).map((r) => r.recordId));
  const items = [];
  for (const blob of blobs.sort((a, b) => b.updatedAt - a.updatedAt)) {
    if (!metaIds.has(blob.blobId)) continue; // still uploading, or not the page's
    const li = document.createElement("li");
    li.dataset.testid = "recording";
    items.push(li);
    let meta;
    try {
      meta = JSON.parse(await getText(blob.blobId, F.recordingMeta));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw e;
      const err = document.createElement("p");
      err.className = "error";
      showError(err, e, "This recording does not open");
      li.append(err);
      continue;
    }
    const name = document.createElement("span");
    name.dataset.testid = "recording-name";
    name.textContent = meta.name;
    const size = document.createElement("span");
    size.className = "meta";
    size.textContent = ` · ${(meta.size / 1048576).toFixed(1)} MB `;
    const play = document.createElement("button");
    play.type = "button";
    play.className = "secondary";
    play.dataset.testid = "open-recording";
    play.textContent = "Open player";
    play.addEventListener("click", () =>
      action(play, ui.playerError, "Cannot play", () => openRecording(blob, meta)),
    );
    li.append(name, size, play);
  }
  ui.recordings.replaceChildren(...items);
  ui.recordingsEmpty.hidden = items.length > 0;
}

const player = new RecordingPlayer(
  {
    root: ui.player,
    title: ui.playerTitle,
    audio: ui.playerAudio,
    play: ui.playerPlay,
    seek: ui.playerSeek,
    time: ui.playerTime,
    status: ui.playerStatus,
  },
  (e) => showError(ui.playerError, e, "Cannot play"),
);

async function openRecording(blob, meta) {
  clearError(ui.playerError);
  const counter = { requests: 0 };
  ui.player.dataset.rangeRequests = "0";
  const source = rangeFetcher(state.session, blobPath(blob.blobId), blob.size, () => {
    counter.requests++;
    ui.player.dataset.rangeRequests = String(counter.requests);
  });
  await player.open({
    ws: state.ws,
    source,
    ctx: ctx(blob.blobId, F.audio),
    plainSize: plaintextSize(blob.size),
    type: meta.type,
    title: meta.name,
    counter,
  });
}

// ---------- refresh -----------------------------------------------------------------------

async function refreshAll() {
  await sync();
  const records = await listRecords();
  await refreshNotes(records);
  await refreshRecordings(records);
}

/** A workspace route answering 404 means the server no longer counts us as a member. */
function asMembership(e) {
  if (e instanceof ApiError && e.status === 404 && state.wsId !== null) {
    lockOut();
    return new PageError("not_a_member");
  }
  return e;
}

function wire() {
  ui.createIdentity.addEventListener("click", () =>
    action(ui.createIdentity, ui.identityError, "Could not create your identity", async () => {
      await createIdentity();
    }).then(() => {
      ui.createIdentity.disabled = state.member !== null;
    }),
  );
  ui.restoreIdentity.addEventListener("click", () =>
    action(ui.restoreIdentity, ui.identityError, "Could not restore your identity", restoreIdentity).then(() => {
      ui.restoreIdentity.disabled = state.member !== null;
    }),
  );
  ui.printKit.addEventListener("click", () => window.print());
  ui.createWorkspace.addEventListener("click", () =>
    action(ui.createWorkspace, ui.workspaceError, "Could not create the workspace", async () => {
      await createWorkspace();
      await refreshAll();
    }),
  );
  ui.refresh.addEventListener("click", () =>
    action(ui.refresh, ui.workspaceError, "Could not refresh", async () => {
      try {
        await refreshAll();
      } catch (e) {
        throw asMembership(e);
      }
    }),
  );
  ui.noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    ui.noteSaved.textContent = "";
    action(ui.saveNote, ui.noteError, "Not saved", async () => {
      try {
        await saveNote();
      } catch (e) {
        throw asMembership(e);
      }
    });
  });
  ui.newNote.addEventListener("click", newNote);
  ui.uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    action(ui.uploadAudio, ui.uploadError, "Not uploaded", async () => {
      try {
        await uploadRecording();
      } catch (e) {
        ui.uploadProgress.dataset.state = "failed";
        throw asMembership(e);
      }
    });
  });
  ui.createInvite.addEventListener("click", () =>
    action(ui.createInvite, ui.teamError, "Could not create an invite", createInvite),
  );
}

async function main() {
  try {
    await init();
  } catch (e) {
    ui.status.textContent = `Could not start (${codeOf(e)}): this browser may lack WebAssembly.`;
    document.body.dataset.state = "error";
    return;
  }
  wire();
  readInviteFromUrl();
  ui.status.textContent = "Ready. Keys are made and kept in this browser.";
  try {
    if (!(await resumeIdentity())) {
      ui.createIdentity.disabled = false;
      ui.restoreIdentity.disabled = false;
    }
  } catch (e) {
    showError(ui.identityError, e, "Could not resume your identity");
    ui.createIdentity.disabled = false;
    ui.restoreIdentity.disabled = false;
  }
  document.body.dataset.state = "ready";
}

main();

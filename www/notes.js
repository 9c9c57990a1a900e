// Session notes: the editor (a new note unless Edit was chosen; unsaved typing is guarded),
// saving every field encrypted under a random record id, the list, transcripts, deleting.
import { recordSize } from "/pkg/dist/index.js";
import { ApiError, wsPath } from "./api.js";
import { confirmStep } from "./dialog.js";
import { PageError, action, clearError, showError } from "./errors.js";
import { F } from "./fields.js";
import { readTranscript } from "./files.js";
import { focusOn, state, ui } from "./ui.js";
import { unfinished } from "./unfinished.js";
import { sync } from "./workspace.js";

/** The server's limit on one record (server/README.md#limits). */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** A save this large (plaintext bytes) shows a progress bar. */
const SHOW_PROGRESS_FROM = 256 * 1024;

export const ctx = (recordId, field) => ({ recordId, field });
const recordPath = (recordId, field) => wsPath(state.wsId, `/records/${recordId}/${field}`);

/** PUTs one encrypted field; `onProgress(sent, total)` follows the upload. */
export async function putRecord(recordId, field, ciphertext, onProgress) {
  await state.session.upload(recordPath(recordId, field), ciphertext, onProgress);
}

export async function getText(recordId, field) {
  const ct = await state.session.bytes(recordPath(recordId, field));
  return state.ws.decryptText(ct, ctx(recordId, field));
}

// ---------- the editor ---------------------------------------------------------------

/** The note in the editor: a saved note's id and what it held when opened, or a new note. */
const editor = { recordId: null, client: "", body: "" };
let saving = false;

export function isEditorDirty() {
  return (
    ui.clientInput.value !== editor.client ||
    ui.noteInput.value !== editor.body ||
    (ui.transcriptInput.files?.length ?? 0) > 0
  );
}

/** Asks before unsaved typing is dropped; true to go on. */
export async function mayDiscard() {
  if (!isEditorDirty()) return true;
  return confirmStep({
    title: "Discard your unsaved changes?",
    text: "The note in the editor has changes that are not saved yet. If you go on, they are lost.",
    ok: "Discard the changes",
    danger: true,
  });
}

function loadEditor({ recordId, client, body }) {
  editor.recordId = recordId;
  editor.client = client;
  editor.body = body;
  ui.editorTitle.textContent = recordId ? "Editing a saved note" : "New note";
  ui.clientInput.value = client;
  ui.noteInput.value = body;
  ui.transcriptInput.value = "";
  clearError(ui.noteError);
}

/** "New note": an empty editor, after asking if unsaved typing would be lost. */
export async function newNote() {
  if (!(await mayDiscard())) return;
  loadEditor({ recordId: null, client: "", body: "" });
  ui.noteSaved.textContent = "";
  focusOn(ui.clientInput);
}

/** Checks a transcript as soon as it is chosen, so a wrong file is refused before Save. */
export async function checkTranscript() {
  clearError(ui.noteError);
  const file = ui.transcriptInput.files?.[0];
  if (!file) return;
  try {
    (await readTranscript(file)).fill(0);
  } catch (e) {
    ui.transcriptInput.value = "";
    showError(ui.noteError, e, "Transcript not attached");
  }
}

/** The save's progress bar and words, which always agree: both show the same percentage. */
function saveProgress(totalBytes) {
  const shown = totalBytes >= SHOW_PROGRESS_FROM;
  const total = Math.max(1, 2 * totalBytes); // each byte is encrypted, then sent
  let done = 0;
  const show = (extra = 0) => {
    if (!shown) return;
    const value = Math.min(1, (done + extra) / total);
    ui.noteProgress.hidden = false;
    ui.noteProgress.value = value;
    ui.noteSaved.textContent = `Saving… ${Math.floor(value * 100)}%`;
  };
  show();
  return {
    encrypted(n) {
      done += n;
      show();
    },
    sending(n) {
      return (sent, of) => show(n * (of > 0 ? Math.min(1, sent / of) : 0));
    },
    sent(n) {
      done += n;
      show();
    },
    end() {
      ui.noteProgress.hidden = true;
    },
  };
}

/**
 * Encrypts and saves the note in the editor: a new one under a fresh random record id, or
 * the saved note being edited. Every size is checked before any work, so a refused note
 * leaves nothing on the server; a new note's body is written last, so it is listed only once
 * whole, and a save that fails half-way is tidied up (unfinished.js). Afterwards the editor
 * holds a new, empty note.
 */
export async function saveNote() {
  const client = ui.clientInput.value.trim();
  const body = ui.noteInput.value;
  const file = ui.transcriptInput.files?.[0] ?? null;
  if (body.trim() === "") throw new PageError("note_empty");
  const utf8 = (s) => new TextEncoder().encode(s).length;
  const fits = (n) => recordSize(n, { pad: true }) <= MAX_RECORD_BYTES;
  if (!fits(utf8(body)) || !fits(utf8(client))) throw new PageError("note_too_large");
  const transcript = file ? await readTranscript(file) : null;
  saving = true;
  try {
    if (transcript && (!fits(transcript.length) || !fits(utf8(file.name)))) throw new PageError("transcript_too_large");
    await sync();
    const ws = state.ws;
    const recordId = editor.recordId ?? crypto.randomUUID();
    // In write order; the body last. Strings are encrypted as text, the transcript as bytes.
    const fields = [];
    if (transcript) fields.push([F.transcript, transcript, transcript.length], [F.transcriptName, file.name, utf8(file.name)]);
    fields.push([F.client, client, utf8(client)], [F.body, body, utf8(body)]);
    const progress = saveProgress(fields.reduce((n, [, , size]) => n + size, 0));
    const write = async () => {
      for (const [field, plain, size] of fields) {
        const ct = ws.encrypt(plain, ctx(recordId, field));
        progress.encrypted(size);
        await putRecord(recordId, field, ct, progress.sending(size));
        progress.sent(size);
      }
    };
    try {
      if (editor.recordId) await write();
      else await unfinished(recordId, "new-note", write);
    } finally {
      progress.end();
    }
    loadEditor({ recordId: null, client: "", body: "" });
    ui.noteSaved.textContent = `Saved, encrypted at key epoch ${ws.epoch}. The editor is ready for a new note.`;
  } finally {
    saving = false;
    transcript?.fill(0);
  }
  await refreshNotes();
  focusOn(ui.clientInput);
}

/** Unsaved typing, or a save still running, is not lost to a reload: the browser asks first. */
export function guardUnload(event) {
  if (saving || isEditorDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
}

// ---------- the list -------------------------------------------------------------------

/** Record ids with their fields, newest change first. */
export async function listRecords() {
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

export async function refreshNotes(records) {
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
      li.append(err, noteActions(rec, null));
    }
  }
  ui.notes.replaceChildren(...items);
  ui.notesEmpty.hidden = items.length > 0;
}

function button(testid, text, className = "secondary") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.dataset.testid = testid;
  b.textContent = text;
  return b;
}

/** Edit (when the note opened) and Delete. */
function noteActions(rec, opened) {
  const actions = document.createElement("div");
  actions.className = "actions";
  if (opened) {
    const edit = button("edit-note", "Edit");
    edit.addEventListener("click", async () => {
      if (editor.recordId === rec.recordId && !isEditorDirty()) return focusOn(ui.noteInput);
      if (!(await mayDiscard())) return;
      loadEditor({ recordId: rec.recordId, ...opened });
      ui.noteSaved.textContent = "";
      focusOn(ui.noteInput);
    });
    actions.append(edit);
  }
  const del = button("delete-note", "Delete", "secondary danger");
  const err = document.createElement("p");
  err.className = "error";
  err.setAttribute("role", "alert");
  err.hidden = true;
  del.addEventListener("click", () => action(del, err, "Not deleted", () => deleteNote(rec)));
  actions.append(del, err);
  return actions;
}

function renderNote(li, rec, client, body) {
  const head = document.createElement("p");
  head.className = "note-head";
  const who = document.createElement("strong");
  who.dataset.testid = "note-client";
  who.textContent = client || "(no title)";
  const when = document.createElement("span");
  when.className = "meta";
  when.dataset.testid = "note-date";
  when.textContent = ` · ${new Date(rec.updatedAt).toLocaleString("en-GB")}`;
  head.append(who, when);
  const text = document.createElement("p");
  text.className = "note-body";
  text.dataset.testid = "note-body";
  text.textContent = body;
  const actions = noteActions(rec, { client, body });
  li.append(head, text, actions);
  if (rec.fields.has(F.transcript)) {
    const show = button("show-transcript", "Show transcript");
    const out = document.createElement("pre");
    out.className = "transcript";
    out.dataset.testid = "transcript";
    // It scrolls: keyboard users reach it with Tab and scroll it with the arrow keys.
    out.tabIndex = 0;
    out.setAttribute("role", "region");
    out.setAttribute("aria-label", "Transcript");
    out.hidden = true;
    const err = document.createElement("p");
    err.className = "error";
    err.hidden = true;
    show.addEventListener("click", () =>
      action(show, err, "The transcript does not open", async () => {
        const name = rec.fields.has(F.transcriptName) ? await getText(rec.recordId, F.transcriptName) : "transcript";
        out.textContent = `${name}\n\n${await getText(rec.recordId, F.transcript)}`;
        out.hidden = false;
        focusOn(out);
      }),
    );
    actions.insertBefore(show, actions.querySelector('[data-testid="delete-note"]'));
    li.append(out, err);
  }
}

/** Deletes a note after a confirmation: its body first (it leaves the list), then the rest. */
async function deleteNote(rec) {
  const sure = await confirmStep({
    title: "Delete this note?",
    text: "The note, its title and its transcript are deleted for everyone in the workspace. This cannot be undone.",
    ok: "Delete the note",
    danger: true,
  });
  if (!sure) return;
  await unfinished(rec.recordId, "delete-note", async () => {
    for (const field of [F.body, F.client, F.transcript, F.transcriptName]) {
      if (rec.fields.has(field)) await state.session.remove(recordPath(rec.recordId, field));
    }
  });
  if (editor.recordId === rec.recordId) loadEditor({ recordId: null, client: "", body: "" });
  ui.noteSaved.textContent = "Note deleted.";
  await refreshNotes();
  focusOn(ui.notes.querySelector('[data-testid="edit-note"]') ?? ui.clientInput);
}

// Session notes: the editor, saving (every field encrypted, under a random record id), the
// list, and transcripts.
import { ApiError, wsPath } from "./api.js";
import { PageError, action, clearError, showError } from "./errors.js";
import { F } from "./fields.js";
import { state, ui } from "./ui.js";
import { sync } from "./workspace.js";

const MAX_TRANSCRIPT_BYTES = 3 * 1024 * 1024;

export const ctx = (recordId, field) => ({ recordId, field });
const recordPath = (recordId, field) => wsPath(state.wsId, `/records/${recordId}/${field}`);

export async function putRecord(recordId, field, ciphertext) {
  const res = await state.session.request("PUT", recordPath(recordId, field), { body: ciphertext });
  await res.arrayBuffer(); // read the (empty) answer to its end, so the request completes
}

export async function getText(recordId, field) {
  const ct = await state.session.bytes(recordPath(recordId, field));
  return state.ws.decryptText(ct, ctx(recordId, field));
}

export async function saveNote() {
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

export function newNote() {
  state.editing = null;
  ui.editorTitle.textContent = "New note";
  ui.clientInput.value = "";
  ui.noteInput.value = "";
  ui.transcriptInput.value = "";
  ui.noteSaved.textContent = "";
  clearError(ui.noteError);
}

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

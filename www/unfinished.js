// Saves and deletes that did not finish: nothing a note or a recording no longer refers to
// stays on the server.
//
// A note is several records under one random id, and a recording is a blob plus a record
// with its name; the server writes each separately. Before the page writes or deletes them,
// it notes the id here (localStorage, per member and workspace: random ids only, nothing
// about a client). When the step completes, the entry goes. When it fails, the page removes
// what it wrote or deletes the rest, now or, if the server cannot be reached, the next time
// the workspace opens. A Web Lock per entry keeps a second tab from tidying up a save that
// is still running.

import { ApiError, wsPath } from "./api.js";
import { F } from "./fields.js";
import { state } from "./ui.js";

/** Every field a note record may have; a recording's are F.recordingMeta and its blob. */
const NOTE_FIELDS = [F.body, F.client, F.transcript, F.transcriptName];

const key = () => `confide-demo/unfinished/${state.member.id}/${state.wsId}`;

function entries() {
  try {
    return JSON.parse(localStorage.getItem(key()) ?? "[]");
  } catch {
    return [];
  }
}

function store(list) {
  try {
    if (list.length === 0) localStorage.removeItem(key());
    else localStorage.setItem(key(), JSON.stringify(list));
  } catch {
    // Storage disabled: tidying up is then only as good as this page's life.
  }
}

function add(entry) {
  store([...entries().filter((e) => e.id !== entry.id), entry]);
}

function drop(id) {
  store(entries().filter((e) => e.id !== id));
}

function withLock(id, options, fn) {
  if (!navigator.locks) return fn(true);
  return navigator.locks.request(`confide-demo/unfinished/${id}`, options, (lock) => fn(lock !== null));
}

const recordPath = (id, field) => wsPath(state.wsId, `/records/${id}/${field}`);
const blobPath = (id) => wsPath(state.wsId, `/blobs/${id}`);

/**
 * Deletes what is left of an entry, unless (`kind` "new-note" or "new-recording") the save
 * it stands for did complete after all.
 */
async function settle({ id, kind }) {
  const isRecording = kind === "new-recording" || kind === "delete-recording";
  if (kind === "new-note" || kind === "new-recording") {
    const { records } = await state.session.json("GET", wsPath(state.wsId, "/records"));
    const fields = new Set(records.filter((r) => r.recordId === id).map((r) => r.field));
    let complete = fields.has(isRecording ? F.recordingMeta : F.body);
    if (complete && isRecording) {
      const { blobs } = await state.session.json("GET", wsPath(state.wsId, "/blobs"));
      complete = blobs.some((b) => b.blobId === id);
    }
    if (complete) return;
  }
  // The field that makes it listed goes first, so a half-deleted item is never shown.
  if (isRecording) {
    await state.session.remove(recordPath(id, F.recordingMeta));
    await state.session.remove(blobPath(id));
  } else {
    for (const field of NOTE_FIELDS) await state.session.remove(recordPath(id, field));
  }
}

/**
 * Runs `work` (which writes or deletes the item `id`) as an unfinished step of `kind`:
 * "new-note", "new-recording", "delete-note" or "delete-recording". If it fails, tidies up at
 * once, or leaves the entry for tidyUp() when even that fails; then rethrows.
 */
export async function unfinished(id, kind, work) {
  add({ id, kind });
  return withLock(id, {}, async () => {
    try {
      const out = await work();
      drop(id);
      return out;
    } catch (e) {
      try {
        await settle({ id, kind });
        drop(id);
      } catch {
        // Not now: the next tidyUp() tries again.
      }
      throw e;
    }
  });
}

/** Finishes the entries left by earlier failures (or a closed tab), except those still running. */
export async function tidyUp() {
  for (const entry of entries()) {
    await withLock(entry.id, { ifAvailable: true }, async (free) => {
      if (!free) return; // its save is still running in another tab
      try {
        await settle(entry);
        drop(entry.id);
      } catch (e) {
        if (!(e instanceof ApiError)) drop(entry.id);
        // A server error: keep it for next time.
      }
    });
  }
}

// Clients are cases (SECURITY.md#cases, FORMAT.md#cases): each client's notes live in a case
// of the workspace, with keys of its own and a signed list of who is on it, at which level.
// This module talks to the server's case routes (server/README.md#cases), verifies every case
// against the open workspace (Case.load), pins each case's head as the workspace's is
// pinned, and publishes changes with a compare-and-swap on the case log's head.
//
// What a case holds (the record ids and field names are all the server sees):
// - record "profile": "label" (full level: the client's name or file number) and
//   "initials" (summary level, what a supervisor sees), written again under the newest epoch
//   whenever someone joins, so that every member now on the case reads them;
// - a record per session note under a random id: "note" (full level, the clinical note) and
//   "summary" (summary level: duration and status, as JSON).
import { Case, isConfideError } from "/pkg/dist/index.js";
import { ApiError, b64, unb64, wsPath } from "./api.js";
import { PageError } from "./errors.js";
import { pinStore } from "./pins.js";
import { state } from "./ui.js";
import { sync } from "./workspace.js";

export const PROFILE = "profile";
export const CF = { label: "label", initials: "initials", note: "note", summary: "summary" };

export const casePath = (caseId, rest = "") => wsPath(state.wsId, `/cases/${caseId}${rest}`);
const recordPath = (caseId, recordId, field) => casePath(caseId, `/records/${recordId}/${field}`);

/** The case heads this browser has verified, per member, workspace and case (pins.js). */
export const casePins = pinStore((caseId) => `confide-demo/case-head/${state.member.id}/${state.wsId}/${caseId}`);

/** The verified cases this page holds: caseId → { c, ws } (ws: the Workspace it checked against). */
const held = new Map();

function keep(caseId, c) {
  const old = held.get(caseId);
  if (old && old.c !== c) old.c.free();
  held.set(caseId, { c, ws: state.ws });
  casePins.set(caseId, c.head);
}

/** Forgets a case (its keys are zeroized). */
export function dropCase(caseId) {
  held.get(caseId)?.c.free();
  held.delete(caseId);
}

/** Forgets every case: on leaving the workspace, or when it is reloaded. */
export function dropAllCases() {
  for (const id of [...held.keys()]) dropCase(id);
}

/**
 * The cases the server says we are on: [{ caseId, head, level, deleted }], deleted ones
 * included (those we were on when they were deleted).
 */
export async function listCases() {
  const { cases } = await state.session.json("GET", wsPath(state.wsId, "/cases"));
  return cases;
}

/**
 * Fetches a case's log and this member's grants and verifies them (Case.load): the pinned
 * head first (rollback_detected, fork_detected), then every entry against the workspace's
 * verified log, then each grant. A case deleted meanwhile is `case_deleted`.
 */
export async function loadCase(caseId) {
  for (let attempt = 0; ; attempt++) {
    const [log, grants] = await Promise.all([
      state.session.json("GET", casePath(caseId, "/log")),
      // A deleted case has no grants; its former members may still read the log.
      state.session.json("GET", casePath(caseId, "/grants")).catch((e) => {
        if (e instanceof ApiError && e.status === 404) return { grants: [] };
        throw e;
      }),
    ]);
    const pinnedHead = casePins.get(caseId);
    try {
      const c = Case.load(state.ws, {
        log: log.entries.map(unb64),
        grants: grants.grants.map(unb64),
        ...(pinnedHead ? { pinnedHead } : {}),
      });
      keep(caseId, c);
      return c;
    } catch (e) {
      // The case names a workspace entry this page has not seen yet: catch up once.
      if (isConfideError(e) && e.code === "workspace_out_of_date" && attempt === 0) {
        await sync();
        continue;
      }
      throw e;
    }
  }
}

/** The case as verified last, if it was checked against the workspace open now; else loaded. */
export async function currentCase(caseId) {
  const h = held.get(caseId);
  if (h && h.ws === state.ws) return h.c;
  return loadCase(caseId);
}

const wireGrants = (grants) => grants.map((g) => ({ memberId: g.memberId, grant: b64(g.grant) }));

/**
 * Publishes the change(s) `build(c)` makes on the case as the server has it now: one
 * `{ logEntry, grants }` or an array of them (removeDeparted), appended in order, each on
 * the head before it. If someone else moved the head first (409 head_moved), loads the case
 * again and builds again. Returns the case after the change.
 */
export async function changeCase(caseId, build) {
  await sync();
  for (let attempt = 0; ; attempt++) {
    const c = await loadCase(caseId);
    const firstSeq = c.log.length - 1;
    let changes;
    try {
      changes = [build(c)].flat();
    } catch (e) {
      dropCase(caseId); // whatever build applied locally goes with it
      throw e;
    }
    try {
      for (const [i, ch] of changes.entries()) {
        await state.session.json("POST", casePath(caseId, "/log"), {
          expectedSeq: firstSeq + i,
          entry: b64(ch.logEntry),
          grants: wireGrants(ch.grants),
        });
      }
    } catch (e) {
      dropCase(caseId);
      if (e instanceof ApiError && e.code === "head_moved" && attempt < 3) continue;
      throw e;
    }
    keep(caseId, c);
    return c;
  }
}

/**
 * After a colleague left the practice: a full member moves every case they were on to new
 * keys (removeDeparted) before anything else is written, and publishes the changes. Returns
 * how many departed members were removed.
 */
export async function removeDepartedFrom(caseId) {
  let removed = 0;
  const c = await currentCase(caseId);
  if (c.level !== "full" || !c.needsRotation) return 0;
  await changeCase(caseId, (fresh) => {
    const changes = fresh.needsRotation ? fresh.removeDeparted() : [];
    removed = changes.length;
    return changes;
  });
  return removed;
}

/** Creates a client's case with the caller as its full member, and writes its profile. */
export async function createCase({ label, initials, retentionUntil }) {
  await sync();
  const { case: c, change } = Case.create(state.ws, { retentionUntil });
  let caseId;
  try {
    ({ caseId } = await state.session.json("POST", wsPath(state.wsId, "/cases"), {
      entry: b64(change.logEntry),
      grants: wireGrants(change.grants),
    }));
  } catch (e) {
    c.free();
    throw e;
  }
  if (caseId !== c.id) {
    c.free();
    throw new PageError("case_id_mismatch");
  }
  keep(caseId, c);
  await putText(caseId, c, PROFILE, CF.initials, initials, "summary");
  await putText(caseId, c, PROFILE, CF.label, label, "full");
  return caseId;
}

/** Encrypts `text` at `level` into the case's record field and uploads it. */
export async function putText(caseId, c, recordId, field, text, level) {
  const ct = c.encrypt(text, { recordId, field }, { level });
  await state.session.upload(recordPath(caseId, recordId, field), ct);
}

/** Downloads and decrypts a field of the case's records. */
export async function getText(caseId, c, recordId, field) {
  const ct = await state.session.bytes(recordPath(caseId, recordId, field));
  return c.decryptText(ct, { recordId, field });
}

export async function removeRecordField(caseId, recordId, field) {
  await state.session.remove(recordPath(caseId, recordId, field));
}

/** The case's records by id with their fields, newest change first. */
export async function listCaseRecords(caseId) {
  const { records } = await state.session.json("GET", casePath(caseId, "/records"));
  const byId = new Map();
  for (const r of records) {
    const entry = byId.get(r.recordId) ?? { recordId: r.recordId, fields: new Set(), updatedAt: 0 };
    entry.fields.add(r.field);
    entry.updatedAt = Math.max(entry.updatedAt, r.updatedAt);
    byId.set(r.recordId, entry);
  }
  return [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

/**
 * Writes the profile again under the case's current epoch, after someone joined the case or
 * changed level: a member reads only the epochs from its joining on (unless the history is
 * shared), and the client's name and initials are for every member now on the case.
 */
export async function rewriteProfile(caseId) {
  const c = await currentCase(caseId);
  if (c.level !== "full") return;
  const initials = await getText(caseId, c, PROFILE, CF.initials);
  const label = await getText(caseId, c, PROFILE, CF.label);
  await putText(caseId, c, PROFILE, CF.initials, initials, "summary");
  await putText(caseId, c, PROFILE, CF.label, label, "full");
}

/** Writes a session note: the clinical note (full level) first, then its summary, which lists it. */
export async function writeNote(caseId, { note, minutes, status }) {
  const c = await currentCase(caseId);
  const recordId = crypto.randomUUID();
  try {
    await putText(caseId, c, recordId, CF.note, note, "full");
    await putText(caseId, c, recordId, CF.summary, JSON.stringify({ minutes, status }), "summary");
  } catch (e) {
    // Nothing half-written stays listed: the summary is what lists a note.
    await removeRecordField(caseId, recordId, CF.note).catch(() => {});
    throw e;
  }
  return c;
}

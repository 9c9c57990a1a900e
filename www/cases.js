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
// - a record per session note under a random id: "note" (full level, the clinical note, as
//   signed revisions since issue 13; plain records before) and "summary" (summary level:
//   duration and status, as JSON);
// - beside each note, its sign-offs; and per case, its audit trail of every create, edit,
//   delete and sign-off (FORMAT.md#audit-trail).
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

/**
 * The audit trails this page has verified, caseId → { ws, head, trail } (the Workspace and
 * case head it was verified under): while both stay, a later load verifies only the entries
 * after it (Case.extendAudit). A moved head may bring keys that open more of it: verify anew.
 */
const trails = new Map();

function dropTrail(caseId) {
  trails.get(caseId)?.trail.free();
  trails.delete(caseId);
}

function keep(caseId, c) {
  const old = held.get(caseId);
  if (old && old.c !== c) old.c.free();
  held.set(caseId, { c, ws: state.ws });
  casePins.set(caseId, c.head);
}

/** Forgets a case (its keys are zeroized). */
export function dropCase(caseId) {
  dropTrail(caseId);
  held.get(caseId)?.c.free();
  held.delete(caseId);
}

/** Forgets every case: on leaving the workspace, or when it is reloaded. */
export function dropAllCases() {
  for (const id of [...held.keys()]) dropCase(id);
  for (const id of [...trails.keys()]) dropTrail(id);
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
  await writeField(caseId, c, PROFILE, CF.initials, initials, "summary", { fresh: true });
  await writeField(caseId, c, PROFILE, CF.label, label, "full", { fresh: true });
  return caseId;
}

/**
 * Writes `text` at `level` into a field of the case's records as its next signed revision:
 * after the latest one this browser verifies (none for a `fresh` record), the first one for a
 * field written before signed revisions. 409 head_moved: a colleague wrote first; once more.
 */
export async function writeField(caseId, c, recordId, field, text, level, { fresh = false } = {}) {
  const ctx = { recordId, field };
  for (let attempt = 0; ; attempt++) {
    const opened = fresh && attempt === 0 ? null : await openSigned(caseId, c, ctx);
    const previous = opened?.revisions.at(-1).bytes;
    const { record, revision } = c.write(text, ctx, { level, ...(previous ? { previous } : {}) });
    try {
      await postRevision(caseId, ctx, revision, record);
      return;
    } catch (e) {
      if (e instanceof ApiError && e.code === "head_moved" && attempt === 0) continue;
      throw e;
    }
  }
}

/**
 * Opens a field of the case's records: its signed history, verified (openSigned), or for a
 * field written before signed revisions, its unsigned record. 404 for neither.
 */
export async function readField(caseId, c, recordId, field) {
  const opened = await openSigned(caseId, c, { recordId, field });
  if (opened === null) return getText(caseId, c, recordId, field);
  if (opened.deleted) throw new ApiError(404, "not_found");
  return opened.value;
}

/** Downloads and decrypts an unsigned record (one written before signed revisions). */
export async function getText(caseId, c, recordId, field) {
  const ct = await state.session.bytes(recordPath(caseId, recordId, field));
  return c.decryptText(ct, { recordId, field });
}

/** The case's records, signed and unsigned, by id with their fields, newest change first. */
export async function listCaseRecords(caseId) {
  const [{ records: unsigned }, { records: revised }] = await Promise.all([
    state.session.json("GET", casePath(caseId, "/records")),
    state.session.json("GET", casePath(caseId, "/revisions")),
  ]);
  const byId = new Map();
  for (const r of [...unsigned, ...revised]) {
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
  const initials = await readField(caseId, c, PROFILE, CF.initials);
  const label = await readField(caseId, c, PROFILE, CF.label);
  await writeField(caseId, c, PROFILE, CF.initials, initials, "summary");
  await writeField(caseId, c, PROFILE, CF.label, label, "full");
}

/**
 * Writes a session note: the clinical note (full level) as its signed revision 1 first, then
 * its summary, which lists it, then the "create" in the audit trail. A note whose summary
 * failed stays unlisted.
 */
export async function writeNote(caseId, { note, minutes, status }) {
  const c = await currentCase(caseId);
  const recordId = crypto.randomUUID();
  const ctx = { recordId, field: CF.note };
  const { record, revision } = c.write(note, ctx, { level: "full" });
  await postRevision(caseId, ctx, revision, record);
  await writeField(caseId, c, recordId, CF.summary, JSON.stringify({ minutes, status }), "summary", { fresh: true });
  await appendAudit(caseId, c, { action: "create", ...ctx, revision });
  return c;
}

// ---------- signed revisions, sign-offs and the audit trail (FORMAT.md#revisions) ------------

const revisionsPath = (caseId, { recordId, field }, rest = "") => casePath(caseId, `/revisions/${recordId}/${field}${rest}`);

/** A revision's kind byte for a deletion (FORMAT.md#revision, offset 4). */
const DELETE_KIND = 0x02;

/** The pin of the latest revision this browser accepted, per member, workspace, case and record. */
export const revisionPins = pinStore(
  (caseId, recordId, field) => `confide-demo/revision/${state.member.id}/${state.wsId}/${caseId}/${recordId}/${field}`,
);

/** The audit trail's head this browser has verified, per member, workspace and case. */
export const auditPins = pinStore((caseId) => `confide-demo/audit-head/${state.member.id}/${state.wsId}/${caseId}`);

/** A record's revisions as the server lists them, oldest first, from revision 1 (unverified). */
export async function fetchRevisions(caseId, ctx) {
  try {
    const { revisions } = await state.session.json("GET", revisionsPath(caseId, ctx));
    return revisions.map(unb64);
  } catch (e) {
    // A record with no revisions at all, as a note written before them.
    if (e instanceof ApiError && e.status === 404 && e.code !== "case_deleted") return [];
    throw e;
  }
}

/** The record of revision `number`; `undefined` for a tombstone (404). */
async function fetchRevisionRecord(caseId, ctx, number) {
  try {
    return await state.session.bytes(revisionsPath(caseId, ctx, `/${number}`));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** Publishes a revision (and its record; none for a tombstone). 409 head_moved: someone wrote first. */
async function postRevision(caseId, ctx, revision, record) {
  await state.session.json("POST", revisionsPath(caseId, ctx), {
    revision: b64(revision),
    ...(record ? { record: b64(record) } : {}),
  });
}

/**
 * Opens a signed record (Case.openRecordText): its whole history, verified against the pin
 * this browser kept and the case's audit trail, and the latest revision's record. Returns
 * `null` for a record written before signed revisions (no revisions). Keeps the new pin.
 * Throws `rollback_detected` / `fork_detected` when the server serves an older or another
 * history than this browser has seen.
 */
export async function openSigned(caseId, c, ctx, audit) {
  const revisions = await fetchRevisions(caseId, ctx);
  const pin = revisionPins.get(caseId, ctx.recordId, ctx.field);
  // None listed where this browser has seen one: withheld, not a record from before revisions.
  if (revisions.length === 0 && pin) throw new PageError("rollback_detected");
  if (revisions.length === 0) return null;
  // The history starts at revision 1, so the last one listed is number `length`, and its
  // byte 4 says whether it is a tombstone, with no record to fetch (FORMAT.md#revision).
  // Both are hints only: openRecordText verifies what the revision is before it trusts it.
  const last = revisions[revisions.length - 1];
  const record = last[4] === DELETE_KIND ? undefined : await fetchRevisionRecord(caseId, ctx, revisions.length);
  const opened = c.openRecordText({ revisions, record, ...(pin ? { pin } : {}), ...(audit ? { audit } : {}) }, ctx);
  revisionPins.set(caseId, ctx.recordId, ctx.field, opened.pin);
  return opened;
}

/** An earlier value of a verified history: the text of `revisions[index]` (a write). */
export async function openEarlier(caseId, c, ctx, revisions, index) {
  const info = revisions[index];
  const record = await fetchRevisionRecord(caseId, ctx, info.number);
  if (record === undefined) throw new ApiError(404, "not_found");
  const bytes = c.openRevision({ revisions: revisions.map((r) => r.bytes) }, index, record, ctx);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Writes the next revision of a note after `previous` (the latest verified revision), or a
 * signed tombstone when `text` is null, then appends the edit or delete to the audit trail.
 * 409 head_moved: a colleague saved a revision first; nothing was written.
 */
export async function reviseNote(caseId, recordId, previous, text) {
  const c = await currentCase(caseId);
  const ctx = { recordId, field: CF.note };
  let revision;
  if (text === null) {
    revision = c.deleteRecord(ctx, { previous });
    await postRevision(caseId, ctx, revision);
  } else {
    const written = c.write(text, ctx, { previous, level: "full" });
    revision = written.revision;
    await postRevision(caseId, ctx, revision, written.record);
  }
  await appendAudit(caseId, c, { action: text === null ? "delete" : "edit", ...ctx, revision });
}

/** The sign-offs the server keeps beside a record (unverified: verifySignOff checks each). */
export async function fetchSignOffs(caseId, ctx) {
  const { signOffs } = await state.session.json("GET", casePath(caseId, `/signoffs/${ctx.recordId}/${ctx.field}`));
  return signOffs.map(unb64);
}

/** Signs off one exact revision (any member of the case) and records it in the audit trail. */
export async function signOffRevision(caseId, ctx, revision) {
  const c = await currentCase(caseId);
  const signOff = c.signOff(revision);
  await state.session.json("POST", casePath(caseId, `/signoffs/${ctx.recordId}/${ctx.field}`), { signOff: b64(signOff) });
  await appendAudit(caseId, c, { action: "sign-off", ...ctx, revision });
}

/**
 * The case's audit trail, verified: the first time against the head this browser pinned
 * (Case.verifyAudit), then only the entries the server has after it (Case.extendAudit). The
 * pin moves on. Returns `{ trail, count }`; the page keeps the trail (do not free it).
 */
export async function loadAudit(caseId, c) {
  const kept = trails.get(caseId);
  let trail;
  // The pin is shared with this member's other tabs: one that has seen more moves it on,
  // and then the kept trail is verified anew against it.
  const pin = auditPins.get(caseId);
  if (kept && kept.ws === state.ws && kept.head === c.head && (pin ?? undefined) === kept.trail.head) {
    trail = kept.trail;
    const after = trail.length - 1;
    const { entries } = await state.session.json("GET", casePath(caseId, after >= 0 ? `/audit?after=${after}` : "/audit"));
    c.extendAudit(trail, entries.map(unb64));
  } else {
    const { entries } = await state.session.json("GET", casePath(caseId, "/audit"));
    trail = c.verifyAudit(entries.map(unb64), pin ? { pin } : {});
    dropTrail(caseId);
    trails.set(caseId, { ws: state.ws, head: c.head, trail });
  }
  if (trail.head) auditPins.set(caseId, trail.head);
  return { trail, count: trail.length };
}

/**
 * Appends an event to the case's audit trail: on the trail as verified now, with a
 * compare-and-swap on its length; if a colleague appended first (409 head_moved), once more
 * on the trail as it is then.
 */
export async function appendAudit(caseId, c, event) {
  for (let attempt = 0; ; attempt++) {
    const { trail, count } = await loadAudit(caseId, c);
    // Out of the page's keeping while the entry is in flight: a load meanwhile verifies what
    // the server has, so no pin moves on to an entry the server may still refuse.
    const kept = trails.get(caseId);
    trails.delete(caseId);
    const entry = c.appendAudit(trail, event);
    try {
      await state.session.json("POST", casePath(caseId, "/audit"), { entry: b64(entry), expectedSeq: count });
    } catch (e) {
      trail.free();
      if (e instanceof ApiError && e.code === "head_moved" && attempt === 0) continue;
      throw e;
    }
    auditPins.set(caseId, trail.head);
    if (trails.has(caseId)) trail.free();
    else trails.set(caseId, kept);
    return;
  }
}

/**
 * The revision hash (FORMAT.md#revision): SHA-256("confide/v1/revision-hash" || 0x00 ||
 * revision), base64url. A summary member cannot open a note's history (it holds no key to the
 * note), so it matches the revision it signs off against the hash the audit trail records.
 */
export async function revisionHash(revision) {
  const label = new TextEncoder().encode("confide/v1/revision-hash\0");
  const input = new Uint8Array(label.length + revision.length);
  input.set(label);
  input.set(revision, label.length);
  return b64(new Uint8Array(await crypto.subtle.digest("SHA-256", input)));
}

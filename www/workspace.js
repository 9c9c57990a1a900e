// The open workspace: loading and verifying its log, keeping the local copy in step with the
// server's, appending entries (compare-and-swap on the head), and the pinned heads that catch
// a server rolling the log back.
import { Workspace, isConfideError } from "/pkg/dist/index.js";
import { ApiError, b64, unb64, wsPath } from "./api.js";
import { PageError } from "./errors.js";
import { pinStore } from "./pins.js";
import { state } from "./ui.js";

/** Called after every adopted load or append, to redraw the workspace (set by app.js). */
export const hooks = { render: () => {}, lockOut: () => {} };

/** The workspace heads this browser has verified, per member and workspace (pins.js). */
export const pins = pinStore((wsId) => `confide-demo/head/${state.member.id}/${wsId}`);

/**
 * Fetches log, grants and history and verifies all of it (Workspace.load), anchored by what
 * this browser holds (FORMAT.md#trust-anchors): the head it pinned at its last load, the
 * invite link it joined through, or a head a colleague confirmed by its check code. The
 * member's own signed entries anchor it too (the creator, an admin who invited someone).
 * Without any of them the load is refused with `no_trust_anchor`, and the error carries the
 * server's head for the check-code step.
 */
export async function loadWorkspace(wsId, { invite, confirmedHead } = {}) {
  const s = state.session;
  const [log, grants, history] = await Promise.all([
    s.json("GET", wsPath(wsId, "/log")),
    s.json("GET", wsPath(wsId, "/grants")),
    s.json("GET", wsPath(wsId, "/history")),
  ]);
  const pinnedHead = pins.get(wsId) ?? confirmedHead;
  let ws;
  try {
    ws = Workspace.load(state.member, {
      log: log.entries.map(unb64),
      grants: grants.grants.map(unb64),
      history: history.links.map(unb64),
      ...(pinnedHead ? { pinnedHead } : {}),
      ...(invite ? { invite } : {}),
    });
  } catch (e) {
    if (isConfideError(e) && e.code === "no_trust_anchor") {
      throw Object.assign(new PageError("no_trust_anchor"), { head: headText(wsId, log.head) });
    }
    throw e;
  }
  adopt(wsId, ws);
}

/** The text form of a head (FORMAT.md#head) from the server's `{ seq, hash }`. */
function headText(wsId, { seq, hash }) {
  const bytes = new Uint8Array(52);
  bytes.set(unb64(wsId), 0);
  new DataView(bytes.buffer).setUint32(16, seq);
  bytes.set(unb64(hash), 20);
  return b64(bytes);
}

/**
 * What two people read out to compare a head: its entry number and six groups of five
 * digits from its entry hash, made like a fingerprint's (FORMAT.md#fingerprint), about 100
 * bits. Equal codes mean the same log up to that entry.
 */
export function checkCode(head) {
  const bytes = unb64(head);
  const seq = new DataView(bytes.buffer).getUint32(16);
  const groups = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (const b of bytes.subarray(20 + 5 * i, 25 + 5 * i)) n = n * 256 + b;
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  return `Entry ${seq} · ${groups.join(" ")}`;
}

/** The workspaces the server says we are in: [{ workspaceId, admin }]. */
export async function listWorkspaces() {
  const { workspaces } = await state.session.json("GET", "/api/workspaces");
  state.workspaces = workspaces;
  return workspaces;
}

/** The workspace this browser last opened for this member, if any. */
export const lastOpened = {
  key() {
    return `confide-demo/last/${state.member.id}`;
  },
  get() {
    try {
      return localStorage.getItem(this.key());
    } catch {
      return null;
    }
  },
  set(wsId) {
    try {
      localStorage.setItem(this.key(), wsId);
    } catch {
      // Private mode or storage disabled.
    }
  },
};

export function adopt(wsId, ws) {
  if (state.ws !== ws) state.ws?.free();
  state.ws = ws;
  state.wsId = wsId;
  state.dirty = false;
  state.removed = false;
  pins.set(wsId, ws.head);
  lastOpened.set(wsId);
  hooks.render();
}

/** Closes the open workspace (before switching to another). */
export function closeWorkspace() {
  state.ws?.free();
  state.ws = null;
  state.wsId = null;
}

/**
 * Brings the local log up to the server's: new entries through ws.extendLog, or a full
 * verified load when they start an epoch (new grants) or the local log has an entry the
 * server refused. A 404 means the server no longer counts us as a member.
 */
export async function sync() {
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
      hooks.lockOut();
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
export async function append(build) {
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

export async function createWorkspace() {
  const ws = Workspace.create(state.member);
  const grant = ws.grant(state.member.publicBundle);
  const { workspaceId } = await state.session.json("POST", "/api/workspaces", {
    entry: b64(ws.log[0]),
    grants: [{ memberId: state.member.id, grant: b64(grant) }],
  });
  adopt(workspaceId, ws);
}

export function isAdmin() {
  return state.ws?.members.some((m) => m.id === state.member.id && m.role === "admin") ?? false;
}


// The open workspace: loading and verifying its log, keeping the local copy in step with the
// server's, appending entries (compare-and-swap on the head), and the pinned heads that catch
// a server rolling the log back.
import { Workspace, isConfideError } from "/pkg/dist/index.js";
import { ApiError, b64, unb64, wsPath } from "./api.js";
import { PageError } from "./errors.js";
import { state } from "./ui.js";

/** Called after every adopted load or append, to redraw the workspace (set by app.js). */
export const hooks = { render: () => {}, lockOut: () => {} };


/**
 * The newest log head this device has verified, per member and workspace: passed back to
 * Workspace.load so a server that rolls the log back or forks it is caught.
 */
export const pins = {
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


/** Fetches log, grants and history and verifies all of it (Workspace.load). */
export async function loadWorkspace(wsId) {
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

export function adopt(wsId, ws) {
  if (state.ws !== ws) state.ws?.free();
  state.ws = ws;
  state.wsId = wsId;
  state.dirty = false;
  pins.set(wsId, ws.head);
  hooks.render();
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


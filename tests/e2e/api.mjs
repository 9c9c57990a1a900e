// The server's API from Node, as one member of the practice: what the e2e tests use to check
// what a server hands out to whom, and whether the package opens it with that member's keys.
// The member comes back from the recovery kit the page showed (FORMAT.md#recovery-kit); it
// logs in by signing the server's challenge, as the page does (server/README.md).
import { Case, Member, Workspace, init } from "../../js/dist/index.js";

const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const unb64 = (text) => new Uint8Array(Buffer.from(text, "base64url"));

export const SUITE_URL = `http://127.0.0.1:${Number(process.env.CONFIDE_E2E_PORT ?? 8090)}`;

/** A logged-in member of the practice at `baseURL`, from its recovery kit. */
export async function asMember(kit, baseURL = SUITE_URL) {
  await init();
  const member = Member.fromRecoveryKit(kit);
  const post = async (path, json) => {
    const res = await fetch(baseURL + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(json),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status}`);
    return res.json();
  };
  const { challenge, memberId } = await post("/api/session/challenge", { bundle: b64(member.publicBundle) });
  const signature = member.signServerChallenge(unb64(challenge));
  const { token } = await post("/api/session", { memberId, challenge, signature: b64(signature) });
  const get = (path) => fetch(baseURL + path, { headers: { Authorization: `Bearer ${token}` } });
  return {
    member,
    /** The status of a GET. */
    async status(path) {
      return (await get(path)).status;
    },
    /** A GET's JSON; throws on any status but 2xx. */
    async json(path) {
      const res = await get(path);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return res.json();
    },
    /** A GET's bytes; throws on any status but 2xx. */
    async bytes(path) {
      const res = await get(path);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    /** PUTs raw bytes (a record's ciphertext); throws on any status but 2xx. */
    async put(path, bytes) {
      const res = await fetch(baseURL + path, {
        method: "PUT",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
        body: bytes,
      });
      if (!res.ok) throw new Error(`PUT ${path}: ${res.status}`);
    },
    /** The grants a GET returns: none when the route answers 404 (no such case for this member). */
    async grants(path) {
      const res = await get(path);
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return (await res.json()).grants;
    },
    /**
     * The workspace, verified (Workspace.load) and anchored by `anchor`: `{ invite }` (the
     * link the member joined through) or `{ pinnedHead }`; the creator needs none.
     */
    async workspace(wsId, anchor = {}) {
      const [log, grants, history] = await Promise.all([
        this.json(`/api/workspaces/${wsId}/log`),
        this.json(`/api/workspaces/${wsId}/grants`),
        this.json(`/api/workspaces/${wsId}/history`),
      ]);
      return Workspace.load(member, {
        log: log.entries.map(unb64),
        grants: grants.grants.map(unb64),
        history: history.links.map(unb64),
        ...anchor,
      });
    },
    /** A case of `ws` as the server gives it to this member, verified (Case.load). */
    async loadCase(ws, caseId, { pinnedHead } = {}) {
      const [log, grants] = await Promise.all([
        this.json(`/api/workspaces/${ws.id}/cases/${caseId}/log`),
        this.grants(`/api/workspaces/${ws.id}/cases/${caseId}/grants`),
      ]);
      return Case.load(ws, {
        log: log.entries.map(unb64),
        grants: grants.map(unb64),
        ...(pinnedHead ? { pinnedHead } : {}),
      });
    },
    free() {
      member.free();
    },
  };
}

/** The ConfideError code `fn` throws (it must throw one). */
export function codeThrown(fn) {
  try {
    fn();
  } catch (e) {
    return e?.code ?? `not a ConfideError: ${e?.name}`;
  }
  return "nothing thrown";
}

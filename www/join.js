// Joining by invite link: the invitee's side.
import { Invite } from "/pkg/dist/index.js";
import { b64, wsPath } from "./api.js";
import { showError } from "./errors.js";
import { state, ui } from "./ui.js";
import { loadWorkspace } from "./workspace.js";

const POLL_MS = 1500;

/** Opens the workspace once joined (set by app.js). */
export const hooks = { joined: async () => {} };


export function readInviteFromUrl() {
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

export async function acceptInvite() {
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
  await hooks.joined();
}

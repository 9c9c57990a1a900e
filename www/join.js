// Joining by invite link: the invitee's side.
//
// The link's secret never goes to the server: the page takes it out of the address bar at
// once and keeps it sealed on this device (invite-store.js) until it is used or the invite
// closes, so a reload while waiting loses nothing.
import { Invite, Member } from "/pkg/dist/index.js";
import { ApiError, b64, unb64, wsPath } from "./api.js";
import { PageError, clearError, showError } from "./errors.js";
import { forgetInvite, keepInvite, openInvite, pendingInvites } from "./invite-store.js";
import { focusOn, notice, state, ui } from "./ui.js";
import { listWorkspaces, loadWorkspace, pins } from "./workspace.js";

const POLL_MS = 1500;
/** Every this many polls the acceptance is sent again: an answer then may say the invite closed. */
const RECHECK_EVERY = 3;

/** Opens the workspace once joined (set by app.js). */
export const hooks = { joined: async () => {} };

/** The invite being worked on: { link, workspaceId, inviteId, inviterId }, or null. */
let current = null;
/** This browser refused to keep it (no IndexedDB): it lives as long as the page. */
let memoryOnly = false;

/** Takes an invite link out of the address bar and keeps it on this device. */
export async function readInviteFromUrl() {
  const hash = location.hash;
  if (!hash.startsWith("#confide-invite=")) return;
  // Out of the address bar and the history at once; from here on it is sealed on the device.
  history.replaceState(null, "", location.pathname + location.search);
  ui.invitation.hidden = false;
  let described;
  try {
    described = Invite.describe(hash);
  } catch (e) {
    showError(ui.invitationError, e, "This invite link does not work");
    return;
  }
  current = { link: hash, ...described };
  try {
    await keepInvite(hash, described);
  } catch {
    memoryOnly = true;
  }
}

/** Whether an invite waits for this identity: the link just opened, or one kept on the device. */
export async function hasInvite() {
  if (current) return true;
  let records = [];
  try {
    records = await pendingInvites(state.member?.id ?? null);
  } catch {
    return false;
  }
  for (const record of records) {
    try {
      const link = await openInvite(record);
      const described = Invite.describe(link);
      if (described.inviteId !== record.inviteId || described.workspaceId !== record.workspaceId) {
        throw new Error("record and link disagree");
      }
      current = { link, ...described };
      ui.invitation.hidden = false;
      return true;
    } catch {
      await forgetInvite(record.inviteId).catch(() => {});
    }
  }
  return false;
}

/** Done with the invite, whatever the outcome: off the device and out of memory. */
async function finish() {
  const inviteId = current?.inviteId;
  current = null;
  ui.waiting.hidden = true;
  if (inviteId) await forgetInvite(inviteId).catch(() => {});
}

/** The member id of a bundle: SHA-512("confide/v1/fingerprint" || 0x00 || bundle)[0:32] (FORMAT.md#fingerprint). */
async function memberIdOf(bundle) {
  const label = new TextEncoder().encode("confide/v1/fingerprint\u0000");
  const input = new Uint8Array(label.length + bundle.length);
  input.set(label, 0);
  input.set(bundle, label.length);
  return b64(new Uint8Array(await crypto.subtle.digest("SHA-512", input)).subarray(0, 32));
}

/**
 * The inviter's fingerprint, for the invitee to compare with them: from the bundle the server
 * returns for the inviter id in the link, which must be that id's bundle (its hash) and carry
 * a valid self-signature (Member.fingerprintOf checks it).
 */
async function showInviter(inviterId) {
  let bundle;
  try {
    bundle = unb64((await state.session.json("GET", `/api/members/${inviterId}`)).bundle);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new PageError("inviter_unknown");
    throw e;
  }
  if ((await memberIdOf(bundle)) !== inviterId) throw new PageError("key_mismatch");
  ui.inviterFingerprint.textContent = Member.fingerprintOf(bundle);
  ui.inviter.hidden = false;
}

async function postAcceptance() {
  const { link, workspaceId, inviteId } = current;
  await state.session.json("POST", wsPath(workspaceId, `/invites/${inviteId}/acceptances`), {
    acceptance: b64(Invite.accept(state.member, link)),
  });
}

const isListed = (workspaces, workspaceId) => workspaces.some((w) => w.workspaceId === workspaceId);

/**
 * Works through the invite with the logged-in identity: accept it, wait to be admitted, open
 * the workspace. Returns true once the workspace is open, false if there is nothing to join
 * (the link was one's own, or it is used or expired): the page then goes on as without it.
 */
export async function join() {
  const { workspaceId, inviterId } = current;
  ui.invitationIntro.hidden = true;
  clearError(ui.invitationError);
  notice(ui.invitationStatus, "");

  // An admin opening her own link is not a colleague waiting to be admitted.
  if (inviterId === state.member.id) {
    await finish();
    showError(ui.invitationError, new PageError("own_invite"), "Nothing to join");
    return false;
  }
  try {
    await showInviter(inviterId);
  } catch (e) {
    await finish();
    showError(ui.invitationError, e, "This invite link does not work");
    return false;
  }

  const listed = isListed(await listWorkspaces(), workspaceId);
  if (listed && pins.get(workspaceId)) {
    // A member already (an earlier invite): nothing to accept.
    await finish();
    notice(ui.invitationStatus, "You are already a member of this workspace.");
    return false;
  }
  if (!listed) {
    try {
      await postAcceptance();
    } catch (e) {
      if (inviteClosed(e) || (e instanceof ApiError && e.code === "too_many_acceptances")) {
        await finish();
        showError(ui.invitationError, inviteClosed(e) ? new PageError("invite_closed") : e, "Cannot join");
        return false;
      }
      throw e;
    }
    // From now on the kept link is bound to this identity.
    try {
      await keepInvite(current.link, current, state.member.id);
    } catch {
      memoryOnly = true;
    }
    ui.waitingFingerprint.textContent = state.member.fingerprint;
    ui.waiting.hidden = false;
    if (memoryOnly) notice(ui.invitationStatus, "This browser cannot keep the invitation: keep this page open until you are in.");
    document.body.dataset.state = "waiting";
    focusOn(ui.invitationTitle);
    if (!(await waitForAdmission(workspaceId))) {
      await finish();
      document.body.dataset.state = "ready";
      showError(ui.invitationError, new PageError("invite_closed"), "Cannot join");
      return false;
    }
  }
  // Admitted: the first load is anchored by the link (FORMAT.md#trust-anchors).
  await loadWorkspace(workspaceId, { invite: current.link });
  await finish();
  ui.invitation.hidden = true;
  await hooks.joined();
  return true;
}

/**
 * The server's answers to an acceptance for an invite that is closed (server/README.md#invites):
 * unknown (404), used (409 `invite_used`) or expired (410 `invite_expired`).
 */
function inviteClosed(e) {
  return e instanceof ApiError && (e.status === 404 || e.code === "invite_used" || e.code === "invite_expired");
}

/**
 * Polls until the server lists the workspace (the admin's admit entry is in its log): true.
 * Every few polls the acceptance is sent again; a closed invite means it closed without us
 * (someone else used it, or it expired): false. While the server cannot be reached, waits on.
 */
async function waitForAdmission(workspaceId) {
  for (let n = 1; ; n++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    try {
      if (isListed(await listWorkspaces(), workspaceId)) return true;
      if (n % RECHECK_EVERY !== 0) continue;
      try {
        await postAcceptance();
      } catch (e) {
        if (!inviteClosed(e)) throw e;
        // Admitted between the two requests also closes the invite: look once more.
        return isListed(await listWorkspaces(), workspaceId);
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === "network") continue; // the banner says so
      throw e;
    }
  }
}

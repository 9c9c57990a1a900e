// Colleagues: the member list, invite links, admitting who replied, removing.
import { Member } from "/pkg/dist/index.js";
import { b64, unb64, wsPath } from "./api.js";
import { confirmStep } from "./dialog.js";
import { PageError, action, clearError, showError } from "./errors.js";
import { focusOn, notice, state, ui } from "./ui.js";
import { append, isAdmin } from "./workspace.js";

const POLL_MS = 1500;

export function renderMembers(admin) {
  const items = state.ws.members.map((m) => {
    const li = document.createElement("li");
    li.dataset.testid = "member";
    li.dataset.memberId = m.id;
    const fp = document.createElement("code");
    fp.className = "fingerprint";
    fp.dataset.testid = "member-fingerprint";
    fp.textContent = m.fingerprint;
    const who = document.createElement("span");
    who.className = "meta";
    who.textContent = `${m.role}${m.id === state.member.id ? " · you" : ""}`;
    li.append(fp, " ", who);
    if (admin && m.id !== state.member.id) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary danger";
      remove.dataset.testid = "remove-member";
      remove.textContent = "Remove";
      remove.title = "Removes this colleague and moves the workspace to a new key they never receive";
      remove.addEventListener("click", () =>
        action(remove, ui.teamError, "Could not remove", () => removeMember(m)),
      );
      li.append(" ", remove);
    }
    return li;
  });
  ui.members.replaceChildren(...items);
}

export async function createInvite() {
  const role = ui.inviteRole.value === "admin" ? "admin" : "member";
  let created = null;
  await append((ws) => {
    created = ws.createInvite({ role });
    return { entry: b64(created.invite) };
  });
  ui.inviteLink.value = `${location.origin}/${created.link}`;
  ui.inviteBox.hidden = false;
  ui.inviteLink.focus();
  ui.inviteLink.select();
}

let pollBusy = false;
export function startPolling() {
  if (state.pollTimer !== null) return;
  state.pollTimer = setInterval(pollPending, POLL_MS);
  pollPending();
}

export function stopPolling() {
  clearInterval(state.pollTimer);
  state.pollTimer = null;
}

/** One look at who is waiting; its error shows until a later look succeeds. */
function pollPending() {
  if (pollBusy) return;
  pollBusy = true;
  refreshPending()
    .then(() => {
      if (ui.teamError.dataset.code && ui.teamError.dataset.source === "poll") clearError(ui.teamError);
    })
    .catch((e) => {
      showError(ui.teamError, e, "Could not check who is waiting");
      ui.teamError.dataset.source = "poll";
    })
    .finally(() => (pollBusy = false));
}

/**
 * Reads an acceptance as FORMAT.md#acceptance lays it out (1464 bytes: "CFA", version 1,
 * workspace id, invite id, the invitee's bundle, MAC, signature) and returns the bundle. The
 * fingerprint the admin compares is computed from this bundle, the one admit() adds, never
 * from what the server says about the member (GET /api/members).
 */
function acceptedBundle(acceptance, inviteId) {
  const tag = [0x43, 0x46, 0x41, 0x01]; // "CFA" || 0x01
  if (acceptance.length !== 1464 || tag.some((b, i) => acceptance[i] !== b)) return null;
  if (b64(acceptance.subarray(4, 20)) !== state.wsId || b64(acceptance.subarray(20, 52)) !== inviteId) return null;
  return acceptance.slice(52, 1368);
}

/** Who replied to an invite and is not a member yet: [{ inviteId, acceptance, fingerprint }]. */
async function waitingToJoin(inviteId) {
  const query = inviteId ? `?inviteId=${inviteId}` : "";
  const { acceptances } = await state.session.json("GET", wsPath(state.wsId, `/acceptances${query}`));
  const members = new Set(state.ws.members.map((m) => m.fingerprint));
  const out = [];
  for (const a of acceptances) {
    const acceptance = unb64(a.acceptance);
    const bundle = acceptedBundle(acceptance, a.inviteId);
    if (bundle === null) continue;
    let fingerprint;
    try {
      fingerprint = Member.fingerprintOf(bundle); // checks the bundle's self-signature
    } catch {
      continue;
    }
    // Members (an admin who opened her own link, someone admitted already) are not waiting.
    if (members.has(fingerprint)) continue;
    out.push({ inviteId: a.inviteId, acceptance, fingerprint });
  }
  return out;
}

async function refreshPending() {
  if (!state.ws || !isAdmin()) return;
  const waiting = await waitingToJoin();
  // Keep the list stable while nothing changed (a button under the pointer stays put). The
  // key is what is shown: a different reply is a different item, never an old button.
  const key = waiting.map((w) => `${w.inviteId}:${w.fingerprint}`).join();
  if (ui.pending.dataset.key === key) return;
  ui.pending.dataset.key = key;
  const perInvite = new Map();
  for (const w of waiting) perInvite.set(w.inviteId, (perInvite.get(w.inviteId) ?? 0) + 1);
  const hadFocus = ui.pending.contains(document.activeElement);
  ui.pending.replaceChildren(...waiting.map((w) => pendingItem(w, perInvite.get(w.inviteId))));
  ui.pendingEmpty.hidden = waiting.length > 0;
  if (hadFocus) focusOn(ui.createInvite);
}

function pendingItem(w, repliesToInvite) {
  const li = document.createElement("li");
  li.dataset.testid = "pending-item";
  const says = document.createElement("p");
  says.textContent = "Someone replied to your invite. Ask them to read out their fingerprint; it must be:";
  const fp = document.createElement("code");
  fp.className = "fingerprint";
  fp.dataset.testid = "pending-fingerprint";
  fp.textContent = w.fingerprint;
  li.append(says, fp);
  if (repliesToInvite > 1) {
    const warn = document.createElement("p");
    warn.className = "warning";
    warn.dataset.testid = "pending-several";
    warn.textContent =
      `${repliesToInvite} people replied to the same invite link, which was meant for one colleague. ` +
      "Admit only the one whose fingerprint you compared, and ask yourself how the link reached the others.";
    li.append(warn);
  }
  const admit = document.createElement("button");
  admit.type = "button";
  admit.dataset.testid = "admit";
  admit.textContent = "Fingerprint matches: admit";
  // The button carries exactly what is on screen: this reply and this fingerprint.
  const shown = Object.freeze({ inviteId: w.inviteId, acceptance: w.acceptance, fingerprint: w.fingerprint });
  admit.addEventListener("click", () => action(admit, ui.teamError, "Could not admit", () => admitMember(shown)));
  li.append(admit);
  return li;
}

/**
 * Admits the reply the admin compared, and only it. Refused if the server no longer shows
 * that reply (it was swapped while she compared), or if the signed admit entry names a
 * fingerprint other than the one on screen.
 */
async function admitMember(shown) {
  const now = await waitingToJoin(shown.inviteId);
  if (!now.some((w) => w.fingerprint === shown.fingerprint)) {
    ui.pending.dataset.key = ""; // redraw from the server's current answer
    throw new PageError("reply_changed");
  }
  await append((ws) => {
    const admission = ws.admit(shown.acceptance);
    const admitted = ws.members.find((m) => m.id === admission.memberId);
    if (!admitted || admitted.fingerprint !== shown.fingerprint) throw new PageError("fingerprint_changed");
    return {
      entry: b64(admission.logEntry),
      grants: [{ memberId: admission.memberId, grant: b64(admission.grant) }],
    };
  });
  await refreshPending();
  focusOn(ui.createInvite);
}

/** Removes a colleague after a confirmation; the workspace moves to a new key. */
async function removeMember(m) {
  const sure = await confirmStep({
    title: "Remove this colleague?",
    text:
      `The colleague with the fingerprint ${m.fingerprint} loses access to everything written from now on. ` +
      "The workspace moves to a new key that they never receive. They keep what they have already read.",
    ok: "Remove",
    danger: true,
  });
  if (!sure) return;
  notice(ui.teamNotice, "");
  try {
    await append((ws) => {
      // Another admin may have removed them since this page last looked.
      if (!ws.members.some((x) => x.id === m.id)) throw new PageError("already_removed");
      const r = ws.remove(m.id);
      return {
        entry: b64(r.logEntry),
        grants: r.grants.map((g) => ({ memberId: g.memberId, grant: b64(g.grant) })),
        historyLink: b64(r.historyLink),
      };
    });
  } catch (e) {
    if (!(e instanceof PageError) || e.code !== "already_removed") throw e;
    notice(ui.teamNotice, "Another admin removed this colleague a moment ago. Nothing more to do.");
  }
  focusOn(state.ws && isAdmin() ? ui.createInvite : ui.refresh);
}


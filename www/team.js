// Colleagues: the member list, invite links, admitting who replied, removing.
import { Member } from "/pkg/dist/index.js";
import { b64, unb64, wsPath } from "./api.js";
import { PageError, action, showError } from "./errors.js";
import { state, ui } from "./ui.js";
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
        action(remove, ui.teamError, "Could not remove", () => removeMember(m.id)),
      );
      li.append(" ", remove);
    }
    return li;
  });
  ui.members.replaceChildren(...items);
}


export async function createInvite() {
  let created = null;
  await append((ws) => {
    created = ws.createInvite();
    return { entry: b64(created.invite) };
  });
  ui.inviteLink.value = `${location.origin}/${created.link}`;
  ui.inviteBox.hidden = false;
  ui.inviteLink.select();
}

let pollBusy = false;
export function startPolling() {
  if (state.pollTimer !== null) return;
  state.pollTimer = setInterval(() => {
    if (pollBusy) return;
    pollBusy = true;
    refreshPending()
      .catch((e) => showError(ui.teamError, e, "Could not check who is waiting"))
      .finally(() => (pollBusy = false));
  }, POLL_MS);
  refreshPending().catch(() => {});
}

export function stopPolling() {
  clearInterval(state.pollTimer);
  state.pollTimer = null;
}

/** Shown fingerprints, by member id: what the admin compared before clicking Admit. */
const shownFingerprints = new Map();

export async function refreshPending() {
  if (!state.ws || !isAdmin()) return;
  const { acceptances } = await state.session.json("GET", wsPath(state.wsId, "/acceptances"));
  const items = [];
  for (const a of acceptances) {
    const { bundle } = await state.session.json("GET", `/api/members/${a.memberId}`);
    // Computed here from the bundle (self-signature checked); checked again against the
    // signed admit entry before anything is published.
    const fingerprint = Member.fingerprintOf(unb64(bundle));
    shownFingerprints.set(a.memberId, fingerprint);
    const li = document.createElement("li");
    li.dataset.testid = "pending-item";
    const fp = document.createElement("code");
    fp.className = "fingerprint";
    fp.dataset.testid = "pending-fingerprint";
    fp.textContent = fingerprint;
    const admit = document.createElement("button");
    admit.type = "button";
    admit.dataset.testid = "admit";
    admit.textContent = "Fingerprint matches: admit";
    admit.addEventListener("click", () =>
      action(admit, ui.teamError, "Could not admit", () => admitMember(a)),
    );
    const says = document.createElement("p");
    says.textContent = "Someone replied to your invite. Ask them to read out their fingerprint; it must be:";
    li.append(says, fp, admit);
    items.push(li);
  }
  // Keep the list stable while nothing changed (a button under the pointer stays put).
  const key = acceptances.map((a) => a.memberId + a.inviteId).join();
  if (ui.pending.dataset.key !== key) {
    ui.pending.dataset.key = key;
    ui.pending.replaceChildren(...items);
  }
  ui.pendingEmpty.hidden = items.length > 0;
}

async function admitMember(a) {
  const shown = shownFingerprints.get(a.memberId);
  await append((ws) => {
    const admission = ws.admit(unb64(a.acceptance));
    const admitted = ws.members.find((m) => m.id === admission.memberId);
    if (!admitted || admitted.fingerprint !== shown) throw new PageError("fingerprint_changed");
    return {
      entry: b64(admission.logEntry),
      grants: [{ memberId: admission.memberId, grant: b64(admission.grant) }],
    };
  });
  await refreshPending();
}

async function removeMember(memberId) {
  await append((ws) => {
    const r = ws.remove(memberId);
    return {
      entry: b64(r.logEntry),
      grants: r.grants.map((g) => ({ memberId: g.memberId, grant: b64(g.grant) })),
      historyLink: b64(r.historyLink),
    };
  });
}

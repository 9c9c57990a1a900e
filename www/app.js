// Confide demo: a therapist's notes over the reference server (confide-server).
//
// Everything secret happens here, in the browser: the member key, the workspace keys, and
// the plaintext of notes, transcripts and recordings. The server gets public bundles, signed
// log entries, sealed grants and ciphertext under random ids. Plaintext never goes to the
// console, into an error message or into a URL.
//
// This module wires the page together; each concept lives in its own module: identity.js,
// join.js (invite links), workspace.js (the log), team.js, notes.js, recordings.js, and
// clients.js with cases.js (each client's case).
import { init } from "/pkg/dist/index.js";
import { ApiError } from "./api.js";
import { PageError, action, clearError, codeOf, showError } from "./errors.js";
import { hooks as identityHooks, createIdentity, restoreIdentity, resumeIdentity } from "./identity.js";
import { hooks as joinHooks, hasInvite, join, readInviteFromUrl } from "./join.js";
import { forgetClients, refreshClients, wireClients } from "./clients.js";
import { checkTranscript, guardUnload, listRecords, mayDiscard, newNote, refreshNotes, saveNote } from "./notes.js";
import { checkChosenRecording, player, refreshRecordings, uploadRecording } from "./recordings.js";
import { createInvite, renderMembers, startPolling, stopPolling } from "./team.js";
import { focusOn, focusUnlessTyping, notice, state, ui } from "./ui.js";
import { tidyUp } from "./unfinished.js";
import {
  hooks as workspaceHooks, checkCode, closeWorkspace, createWorkspace, isAdmin, lastOpened, listWorkspaces,
  loadWorkspace, sync,
} from "./workspace.js";

// ---------- after login: join, or open a workspace ------------------------------------

/** Works through an invite waiting for this identity, if any; true once its workspace is open. */
async function joinIfInvited() {
  if (!(await hasInvite())) return false;
  try {
    return await join();
  } catch (e) {
    showError(ui.invitationError, e, "Cannot join");
    return false;
  }
}

/** An invite link opened in a tab that already shows the page (only the fragment changed). */
async function inviteArrived() {
  if (!location.hash.startsWith("#confide-invite=")) return;
  await readInviteFromUrl();
  if (state.member === null) return; // shown now; joined once there is an identity
  if (!(await joinIfInvited()) && state.ws === null) await showWorkspaces();
}

/** Once an identity is logged in: a waiting invite first, then the workspaces it is in. */
async function afterIdentity() {
  if (await joinIfInvited()) return;
  try {
    await showWorkspaces();
  } catch (e) {
    showError(ui.workspaceError, e, "Could not open your workspace");
    ui.refresh.disabled = false;
  }
}

/**
 * The way back after a reload or a kit restore: the server lists the member's workspaces;
 * one opens at once (unless `choose`: "Other workspaces"), several are offered to choose
 * from, and another can be created.
 */
async function showWorkspaces({ choose = false } = {}) {
  ui.workspace.hidden = false;
  ui.workspaceOpen.hidden = true;
  ui.workspaceCheck.hidden = true;
  ui.workArea.hidden = true;
  ui.clientsArea.hidden = true;
  const list = await listWorkspaces();
  ui.workspaceNewText.textContent =
    list.length === 0
      ? "A workspace holds your practice's notes and recordings, under a key only its members hold. You become its first admin."
      : "Or start another practice workspace, of which you become the first admin.";
  ui.createWorkspace.textContent = list.length === 0 ? "Create a practice workspace" : "Create another workspace";
  ui.workspaceNew.hidden = false;
  if (list.length === 1 && !choose) return openWorkspace(list[0].workspaceId);
  if (list.length === 0) {
    ui.workspaceChoose.hidden = true;
    document.body.dataset.state = "ready";
    return focusOn(ui.createWorkspace);
  }
  const last = lastOpened.get();
  const sorted = [...list].sort((a, b) => Number(b.workspaceId === last) - Number(a.workspaceId === last));
  ui.workspaceList.replaceChildren(
    ...sorted.map((w) => {
      const li = document.createElement("li");
      li.dataset.testid = "workspace-choice";
      li.dataset.workspaceId = w.workspaceId;
      const id = document.createElement("code");
      id.textContent = w.workspaceId;
      const about = document.createElement("span");
      about.className = "meta";
      about.textContent = ` · ${w.admin ? "admin" : "member"}${w.workspaceId === last ? " · opened last in this browser" : ""} `;
      const open = document.createElement("button");
      open.type = "button";
      open.dataset.testid = "open-workspace";
      open.textContent = "Open";
      open.setAttribute("aria-label", `Open workspace ${w.workspaceId}`);
      open.addEventListener("click", () =>
        action(open, ui.workspaceError, "Could not open the workspace", () => openWorkspace(w.workspaceId)),
      );
      li.append(id, about, open);
      return li;
    }),
  );
  ui.workspaceChoose.hidden = false;
  ui.workspaceChoose.querySelector("p").textContent =
    list.length === 1 ? "You are a member of this workspace:" : "You are a member of several workspaces. Which one do you want to open?";
  document.body.dataset.state = "choose";
  focusOn(ui.workspaceList.querySelector("button"));
}

/**
 * Opens one workspace, verified against this browser's pinned head. Without any anchor in
 * this browser (a colleague's first visit after a kit restore), asks for the check code.
 */
async function openWorkspace(wsId, options = {}) {
  try {
    await loadWorkspace(wsId, options);
  } catch (e) {
    if (e instanceof PageError && e.code === "no_trust_anchor") return askForCheckCode(wsId, e.head);
    throw e;
  }
  await refreshAll();
  focusUnlessTyping(ui.clientInput);
}

/** The check-code step: the server's head, to compare with a colleague's screen. */
function askForCheckCode(wsId, head) {
  ui.workspaceChoose.hidden = true;
  ui.workspaceNew.hidden = true;
  ui.checkExpected.textContent = checkCode(head);
  ui.workspaceCheck.hidden = false;
  ui.workspaceCheck.dataset.workspaceId = wsId;
  ui.workspaceCheck.dataset.head = head;
  document.body.dataset.state = "check";
  focusOn(ui.checkMatches);
}

// ---------- the open workspace ---------------------------------------------------------

function renderWorkspace() {
  ui.workspace.hidden = false;
  ui.workspaceNew.hidden = true;
  ui.workspaceChoose.hidden = true;
  ui.workspaceCheck.hidden = true;
  ui.workspaceOpen.hidden = false;
  ui.workArea.hidden = false;
  ui.clientsArea.hidden = false;
  ui.notesList.hidden = false;
  ui.recordingsArea.hidden = false;
  ui.teamArea.hidden = false;
  ui.saveNote.disabled = false;
  ui.refresh.disabled = false;
  ui.workspaceId.textContent = state.wsId;
  ui.workspaceEpoch.textContent = String(state.ws.epoch);
  ui.checkCode.textContent = checkCode(state.ws.head);
  const admin = isAdmin();
  ui.myRole.textContent = admin ? "admin" : "member";
  ui.adminTools.hidden = !admin;
  renderMembers(admin);
  document.body.dataset.state = "open";
  if (admin) startPolling();
  else stopPolling();
}

/**
 * The server no longer counts us as a member. What this page shows of the workspace goes;
 * the editor stays, with whatever was typed, so nothing is lost without a word.
 */
function lockOut() {
  stopPolling();
  player.close();
  state.ws?.free();
  state.ws = null;
  state.removed = true;
  forgetClients();
  ui.clientsArea.hidden = true;
  document.body.dataset.state = "removed";
  ui.notesList.hidden = true;
  ui.notes.replaceChildren();
  ui.recordingsArea.hidden = true;
  ui.recordings.replaceChildren();
  ui.teamArea.hidden = true;
  ui.saveNote.disabled = true;
  ui.refresh.disabled = true;
  ui.workspaceEpoch.textContent = "—";
  ui.myRole.textContent = "none";
  ui.checkCode.textContent = "—";
}

async function refreshAll() {
  await sync();
  await tidyUp();
  const records = await listRecords();
  await refreshNotes(records);
  await refreshRecordings(records);
  await refreshClients(); // its failures stay in the Clients panel
}

/** A workspace route answering 404 means the server no longer counts us as a member. */
function asMembership(e) {
  if (e instanceof ApiError && e.status === 404 && state.wsId !== null) {
    lockOut();
    return new PageError("not_a_member");
  }
  return e;
}

async function switchWorkspace() {
  if (!(await mayDiscard())) return;
  stopPolling();
  player.close();
  forgetClients();
  closeWorkspace();
  await showWorkspaces({ choose: true });
}

identityHooks.ready = afterIdentity;
joinHooks.joined = async () => {
  await refreshAll();
  focusUnlessTyping(ui.clientInput);
};
workspaceHooks.render = renderWorkspace;
workspaceHooks.lockOut = lockOut;

// ---------- wiring ---------------------------------------------------------------------

function wire() {
  ui.createIdentity.addEventListener("click", () =>
    action(ui.createIdentity, ui.identityError, "Could not create your identity", createIdentity).then(() => {
      ui.createIdentity.disabled = state.member !== null;
    }),
  );
  ui.restoreIdentity.addEventListener("click", () =>
    action(ui.restoreIdentity, ui.identityError, "Could not restore your identity", restoreIdentity).then(() => {
      ui.restoreIdentity.disabled = state.member !== null;
    }),
  );
  ui.printKit.addEventListener("click", () => window.print());
  ui.createWorkspace.addEventListener("click", () =>
    action(ui.createWorkspace, ui.workspaceError, "Could not create the workspace", async () => {
      if (state.ws && !(await mayDiscard())) return;
      await createWorkspace();
      await listWorkspaces();
      renderWorkspace();
      await refreshAll();
      focusUnlessTyping(ui.clientInput);
    }),
  );
  ui.checkMatches.addEventListener("click", () =>
    action(ui.checkMatches, ui.workspaceError, "Could not open the workspace", () =>
      openWorkspace(ui.workspaceCheck.dataset.workspaceId, { confirmedHead: ui.workspaceCheck.dataset.head }),
    ),
  );
  ui.checkAgain.addEventListener("click", () =>
    action(ui.checkAgain, ui.workspaceError, "Could not open the workspace", () =>
      openWorkspace(ui.workspaceCheck.dataset.workspaceId),
    ),
  );
  ui.switchWorkspace.addEventListener("click", () =>
    action(ui.switchWorkspace, ui.workspaceError, "Could not switch", switchWorkspace),
  );
  ui.refresh.addEventListener("click", () =>
    action(ui.refresh, ui.workspaceError, "Could not refresh", async () => {
      notice(ui.workspaceNotice, "");
      try {
        await refreshAll();
      } catch (e) {
        throw asMembership(e);
      }
    }),
  );
  ui.noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (ui.saveNote.disabled) return;
    ui.noteSaved.textContent = "";
    action(ui.saveNote, ui.noteError, "Not saved", async () => {
      try {
        await saveNote();
      } catch (e) {
        const m = asMembership(e);
        if (state.removed && codeOf(m) === "not_a_member") throw new PageError("removed_cannot_save");
        // Outlives the error, which goes once the server answers again: the note is not saved.
        if (codeOf(m) === "network") ui.noteSaved.textContent = "Not saved yet: what you typed is still here. Save again once the server answers.";
        throw m;
      }
    }).then(() => {
      ui.saveNote.disabled = state.removed;
    });
  });
  ui.newNote.addEventListener("click", newNote);
  ui.transcriptInput.addEventListener("change", checkTranscript);
  ui.audioInput.addEventListener("change", checkChosenRecording);
  ui.uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    action(ui.uploadAudio, ui.uploadError, "Not uploaded", async () => {
      try {
        await uploadRecording();
      } catch (e) {
        ui.uploadProgress.dataset.state = "failed";
        ui.uploadProgress.hidden = true;
        ui.uploadStatus.textContent = "";
        throw asMembership(e);
      }
    });
  });
  ui.createInvite.addEventListener("click", () =>
    action(ui.createInvite, ui.teamError, "Could not create an invite", createInvite),
  );
  wireClients();
  window.addEventListener("beforeunload", guardUnload);
  window.addEventListener("hashchange", () =>
    inviteArrived().catch((e) => showError(ui.invitationError, e, "Cannot join")),
  );
}

async function main() {
  try {
    await init();
  } catch (e) {
    ui.status.textContent = `Could not start (${codeOf(e)}): this browser may lack WebAssembly.`;
    document.body.dataset.state = "error";
    return;
  }
  wire();
  await readInviteFromUrl();
  ui.status.textContent = "Ready. Keys are made and kept in this browser.";
  document.body.dataset.state = "ready";
  try {
    if (!(await resumeIdentity())) {
      ui.createIdentity.disabled = false;
      ui.restoreIdentity.disabled = false;
      // An invite kept from before a reload, not accepted yet: show it again.
      await hasInvite();
    }
  } catch (e) {
    showError(ui.identityError, e, "Could not resume your identity");
    if (state.member === null) {
      ui.createIdentity.disabled = false;
      ui.restoreIdentity.disabled = false;
    }
  }
}

clearError(ui.connection);
main();

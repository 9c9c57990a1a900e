// Confide demo: a therapist's notes over the reference server (confide-server).
//
// Everything secret happens here, in the browser: the member key, the workspace keys, and
// the plaintext of notes, transcripts and recordings. The server gets public bundles, signed
// log entries, sealed grants and ciphertext under random ids. Plaintext never goes to the
// console, into an error message or into a URL.
//
// This module wires the page together; each concept lives in its own module: identity.js,
// join.js (invite links), workspace.js (the log), team.js, notes.js, recordings.js.
import { init } from "/pkg/dist/index.js";
import { ApiError } from "./api.js";
import { PageError, action, codeOf, showError } from "./errors.js";
import { hooks as identityHooks, createIdentity, restoreIdentity, resumeIdentity } from "./identity.js";
import { hooks as joinHooks, acceptInvite, readInviteFromUrl } from "./join.js";
import { newNote, listRecords, refreshNotes, saveNote } from "./notes.js";
import { refreshRecordings, uploadRecording } from "./recordings.js";
import { createInvite, renderMembers, startPolling, stopPolling } from "./team.js";
import { state, ui } from "./ui.js";
import { hooks as workspaceHooks, createWorkspace, isAdmin, sync } from "./workspace.js";

function lockOut() {
  stopPolling();
  state.ws?.free();
  state.ws = null;
  document.body.dataset.state = "removed";
  ui.workArea.hidden = true;
  ui.refresh.disabled = true;
  ui.workspaceEpoch.textContent = "—";
  ui.myRole.textContent = "none";
}

function renderWorkspace() {
  ui.workspace.hidden = false;
  ui.workspaceNew.hidden = true;
  ui.workspaceOpen.hidden = false;
  ui.workArea.hidden = false;
  ui.workspaceId.textContent = state.wsId;
  ui.workspaceEpoch.textContent = String(state.ws.epoch);
  const admin = isAdmin();
  ui.myRole.textContent = admin ? "admin" : "member";
  ui.adminTools.hidden = !admin;
  renderMembers(admin);
  document.body.dataset.state = "open";
  if (admin) startPolling();
}



identityHooks.ready = async () => {
  if (state.inviteLink !== null) {
    await acceptInvite();
  } else {
    ui.workspace.hidden = false;
  }
};
joinHooks.joined = refreshAll;
workspaceHooks.render = renderWorkspace;
workspaceHooks.lockOut = lockOut;

// ---------- refresh -----------------------------------------------------------------------

async function refreshAll() {
  await sync();
  const records = await listRecords();
  await refreshNotes(records);
  await refreshRecordings(records);
}

/** A workspace route answering 404 means the server no longer counts us as a member. */
function asMembership(e) {
  if (e instanceof ApiError && e.status === 404 && state.wsId !== null) {
    lockOut();
    return new PageError("not_a_member");
  }
  return e;
}

function wire() {
  ui.createIdentity.addEventListener("click", () =>
    action(ui.createIdentity, ui.identityError, "Could not create your identity", async () => {
      await createIdentity();
    }).then(() => {
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
      await createWorkspace();
      await refreshAll();
    }),
  );
  ui.refresh.addEventListener("click", () =>
    action(ui.refresh, ui.workspaceError, "Could not refresh", async () => {
      try {
        await refreshAll();
      } catch (e) {
        throw asMembership(e);
      }
    }),
  );
  ui.noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    ui.noteSaved.textContent = "";
    action(ui.saveNote, ui.noteError, "Not saved", async () => {
      try {
        await saveNote();
      } catch (e) {
        throw asMembership(e);
      }
    });
  });
  ui.newNote.addEventListener("click", newNote);
  ui.uploadForm.addEventListener("submit", (event) => {
    event.preventDefault();
    action(ui.uploadAudio, ui.uploadError, "Not uploaded", async () => {
      try {
        await uploadRecording();
      } catch (e) {
        ui.uploadProgress.dataset.state = "failed";
        throw asMembership(e);
      }
    });
  });
  ui.createInvite.addEventListener("click", () =>
    action(ui.createInvite, ui.teamError, "Could not create an invite", createInvite),
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
  readInviteFromUrl();
  ui.status.textContent = "Ready. Keys are made and kept in this browser.";
  try {
    if (!(await resumeIdentity())) {
      ui.createIdentity.disabled = false;
      ui.restoreIdentity.disabled = false;
    }
  } catch (e) {
    showError(ui.identityError, e, "Could not resume your identity");
    ui.createIdentity.disabled = false;
    ui.restoreIdentity.disabled = false;
  }
  document.body.dataset.state = "ready";
}

main();

// Errors on the page: a stable code for every failure, shown with plain words and never
// with the failure's message (which could quote input). No message names a client or holds
// a note's text or a key.
import { isConfideError } from "/pkg/dist/index.js";
import { ApiError, reachability } from "./api.js";
import { ui } from "./ui.js";

/** A failure the page itself detects, with a code from EXPLAIN. */
export class PageError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** Plain words for each error code, from the library (ConfideError), the server or this page. */
export const EXPLAIN = {
  // Confide library
  decryption_failed: "it does not open with your keys: it was changed, or moved here from somewhere else.",
  invalid_argument: "something needed is missing or out of range.",
  malformed: "the data is damaged, or it is not something Confide wrote.",
  unsupported_version: "it was written by a newer version of Confide; update this page.",
  wrong_workspace: "it belongs to another workspace.",
  unknown_epoch: "it was written with a key you do not hold (after you left, or before you could read it).",
  bad_recovery_kit: "the recovery kit has a typo, or a character is missing or extra. Check it against your printed card.",
  bad_signature: "a signature does not match: someone changed the data on the way.",
  not_for_this_member: "the key on the server is addressed to someone else.",
  not_initialized: "the encryption module has not loaded; reload the page.",
  freed: "the key was released; reload the page.",
  aborted: "cancelled.",
  random_unavailable: "this browser's random number generator failed.",
  internal: "an unexpected failure inside Confide.",
  broken_chain: "the workspace's membership history does not fit together: the server may have changed it.",
  unknown_signer: "a membership change is signed by someone who is not a member.",
  not_authorized: "only an admin can do this.",
  rollback_detected: "the server showed an older membership history than this browser has seen. Do not trust this workspace's list of colleagues until an admin has looked into it.",
  fork_detected: "the server showed a membership history that differs from the one this browser has seen. Do not trust this workspace's list of colleagues until an admin has looked into it.",
  invite_unknown: "this invite is not in the workspace's history.",
  invite_used: "this invite has already been used.",
  invite_expired: "this invite has expired; ask for a new one.",
  bad_acceptance: "the reply to the invite is not bound to its secret link.",
  inviter_mismatch: "the invite was not made by the colleague the link names.",
  not_a_member: "you are not, or no longer, a member of this workspace.",
  already_member: "this person is already a member.",
  last_admin: "the workspace needs at least one admin.",
  key_mismatch: "a key does not match the workspace's history.",
  missing_grant: "no key for the current period has been shared with you yet.",
  no_membership_log: "this workspace has no membership history.",
  no_trust_anchor: "nothing in this browser vouches for this workspace yet: confirm its check code with a colleague.",
  log_too_large: "the history is larger than Confide accepts: the server may be trying to slow this browser down.",
  cannot_remove_self: "nobody can remove themselves. Ask a colleague to do it.",
  wrong_case: "it belongs to another client's case.",
  level_too_low: "your access to this client is summaries only: full members read the clinical notes and make the changes.",
  last_holder: "the case needs at least one colleague with full access: give someone else full access first (hand over).",
  case_needs_rotation: "a colleague on this case has left the practice; the case must move to new keys first. Open the client again.",
  case_deleted: "this client's case has been deleted: nobody can open its notes any more.",
  under_retention: "the client's notes are under retention and cannot be deleted yet.",
  workspace_out_of_date: "the case names a change of the practice this page has not seen yet; refresh and try again.",
  // This page
  fingerprint_changed: "the fingerprint in the signed reply differs from the one shown; nobody was admitted.",
  reply_changed: "the reply you compared is no longer the one the server shows; nobody was admitted. Compare the fingerprint again.",
  kit_empty: "the box is empty: type the 55 characters of your recovery kit.",
  invite_closed: "this invite link has already been used, or it has expired. Ask the colleague who invited you for a new link.",
  own_invite: "this is an invite link you made. Send it to the colleague you are inviting; they open it in their own browser.",
  inviter_unknown: "the server does not know the colleague this link names. Ask them for a new link.",
  note_empty: "the note is empty.",
  note_too_large: "this note is too long to save in one piece (about 4 MB at most). Split it into two notes.",
  transcript_too_large: "the transcript file is too large (3 MB at most).",
  transcript_not_text: "a transcript must be a plain text file (.txt). This file is not plain text: save the transcript as text first.",
  no_recording: "choose a recording first.",
  recording_empty: "this file is empty: it holds no recording.",
  not_audio: "this file is not an audio recording (WAV, MP3, M4A, AAC, Ogg, Opus, FLAC or WebM).",
  client_incomplete: "give both the client's name (or file number) and initials.",
  case_id_mismatch: "the server filed the new case under another id; nothing was written in it.",
  nobody_chosen: "choose a colleague first.",
  note_moved: "a colleague saved a newer revision of this note meanwhile, so yours was not saved. Your text is still in the editor: copy it, refresh, and edit their revision.",
  minutes_invalid: "the duration must be a whole number of minutes, from 1 to 600.",
  removed_cannot_save: "an admin has removed you from this workspace, so it cannot be saved there. Your text is still in the editor: copy it somewhere safe if you need it.",
  too_large: "it is too large for the server.",
  unplayable: "this browser cannot play this recording's format.",
  // Server
  network: "the server cannot be reached. Check your connection; what you typed is still here.",
  unauthorized: "the login expired; try again.",
  bad_challenge: "the login took too long; try again.",
  forbidden: "the server refused: only admins may do this.",
  not_found: "the server has no such item, or does not let you see it.",
  head_moved: "someone else changed the workspace at the same moment; try again.",
  exists: "it exists already.",
  too_many_acceptances: "too many people replied to this invite link. Ask for a new link.",
  range_not_satisfiable: "the recording is shorter than expected.",
};

/** The same codes said of a client's case rather than of the workspace. */
const EXPLAIN_CASE = {
  broken_chain: "the history of who is on this client's case does not fit together: the server may have changed it.",
  rollback_detected: "the server showed an older history of this client's case than this browser has seen. Do not trust its list of colleagues until an admin has looked into it.",
  fork_detected: "the server showed a history of this client's case that differs from the one this browser has seen. Do not trust its list of colleagues until an admin has looked into it.",
  not_authorized: "only a colleague with full access to this case can do this.",
  not_a_member: "you are not, or no longer, on this client's case.",
  missing_grant: "no key of this client's case is addressed to you: you were removed from it, or it was deleted.",
  key_mismatch: "a key does not match this client's case history.",
  not_found: "the server has no such client, or you are no longer on the case.",
  signoff_mismatch: "the sign-off is of another revision of this note.",
};

export function codeOf(e) {
  if (isConfideError(e)) return e.code;
  if (e instanceof ApiError || e instanceof PageError) return e.code;
  if (e?.code === "unplayable") return "unplayable";
  return "unexpected";
}

/**
 * Shows the code and plain words; never the message (it could quote input). `scope: "case"`
 * words the log's errors for a client's case instead of the workspace.
 */
export function showError(el, e, prefix, { scope } = {}) {
  const code = codeOf(e);
  el.replaceChildren();
  if (prefix) el.append(`${prefix}: `);
  const c = document.createElement("code");
  c.className = "code";
  c.dataset.testid = "error-code";
  c.textContent = code;
  const words = (scope === "case" ? EXPLAIN_CASE[code] : undefined) ?? EXPLAIN[code];
  el.append(words ?? "something unexpected went wrong.", " (", c, ")");
  el.dataset.code = code;
  el.hidden = false;
}

export function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
  delete el.dataset.code;
}

/** The button of the action running last: where focus returns after its dialog. */
let acting = null;
export const actingButton = () => acting;

/**
 * Runs an action from a button: disables it meanwhile, shows failures in `errorEl`. Returns
 * whether it succeeded.
 */
export async function action(button, errorEl, prefix, fn, options) {
  clearError(errorEl);
  acting = button;
  button.disabled = true;
  try {
    await fn();
    return true;
  } catch (e) {
    showError(errorEl, e, prefix, options);
    return false;
  } finally {
    button.disabled = false;
  }
}

// The connection banner: up while the server does not answer, down at its first answer.
// "Cannot be reached" anywhere on the page stops being true then, so those errors go too.
reachability.addEventListener("unreachable", () => {
  showError(ui.connection, new ApiError(0, "network"), "Offline");
});
reachability.addEventListener("reachable", () => {
  if (ui.connection.hidden) return;
  clearError(ui.connection);
  for (const el of document.querySelectorAll('[data-code="network"]')) clearError(el);
});

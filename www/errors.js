// Errors on the page: a stable code for every failure, shown with plain words and never
// with the failure's message (which could quote input).
import { isConfideError } from "/pkg/dist/index.js";
import { ApiError } from "./api.js";

/** A failure the page itself detects, with a code from EXPLAIN. */
export class PageError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** Plain words for each error code, from the library (ConfideError) or the server. */
export const EXPLAIN = {
  // Confide library
  decryption_failed: "this item does not open with your keys: it was altered, or moved from elsewhere.",
  invalid_argument: "an input is missing or out of range.",
  malformed: "the data is not a Confide object.",
  unsupported_version: "the data was written by a newer version of Confide.",
  wrong_workspace: "this item belongs to another workspace.",
  unknown_epoch: "it was written with a key you do not hold (after you left, or before you could read it).",
  bad_recovery_kit: "the recovery kit has a typo, or a character is missing or extra.",
  bad_signature: "a signature does not verify: someone altered the data.",
  not_for_this_member: "the key grant is addressed to someone else.",
  not_initialized: "the Confide module has not loaded.",
  freed: "the key was released; reload the page.",
  aborted: "cancelled.",
  random_unavailable: "the browser's random number generator failed.",
  internal: "an unexpected failure inside Confide.",
  broken_chain: "the membership history does not fit together: the server may have altered it.",
  unknown_signer: "a membership change is signed by someone who is not a member.",
  not_authorized: "only an admin can do this.",
  rollback_detected: "the server showed an older membership history than this device has seen.",
  fork_detected: "the server showed a membership history that differs from the one this device has seen.",
  invite_unknown: "this invite is not in the workspace's history.",
  invite_used: "this invite has already been used.",
  invite_expired: "this invite has expired; ask for a new one.",
  bad_acceptance: "the reply to the invite is not bound to its secret link.",
  inviter_mismatch: "the invite was not made by the person the link names.",
  not_a_member: "you are not, or no longer, a member of this workspace.",
  already_member: "this person is already a member.",
  last_admin: "the workspace needs at least one admin.",
  key_mismatch: "a key does not match the membership history.",
  missing_grant: "no key for the current epoch has been shared with you.",
  no_membership_log: "this workspace has no membership history.",
  no_trust_anchor: "nothing on this device vouches for this workspace's history.",
  // This page
  fingerprint_changed: "the fingerprint in the signed reply differs from the one shown; nothing was changed.",
  too_large: "the file is too large.",
  unplayable: "the browser cannot play this recording's format.",
  // Server
  network: "the server cannot be reached.",
  unauthorized: "the login expired; try again.",
  bad_challenge: "the login challenge expired; try again.",
  forbidden: "the server refused: only admins may do this.",
  not_found: "the server has no such item, or does not let you see it.",
  head_moved: "someone else changed the workspace at the same moment; try again.",
  exists: "it exists already.",
  too_many_acceptances: "too many people replied to this invite.",
  range_not_satisfiable: "the recording is shorter than expected.",
};

export function codeOf(e) {
  if (isConfideError(e)) return e.code;
  if (e instanceof ApiError || e instanceof PageError) return e.code;
  if (e?.code === "unplayable") return "unplayable";
  return "unexpected";
}

/** Shows the code and plain words; never the message (it could quote input). */
export function showError(el, e, prefix) {
  const code = codeOf(e);
  el.replaceChildren();
  if (prefix) el.append(`${prefix}: `);
  const c = document.createElement("code");
  c.className = "code";
  c.dataset.testid = "error-code";
  c.textContent = code;
  el.append(EXPLAIN[code] ?? "something unexpected went wrong.", " (", c, ")");
  el.hidden = false;
}

export function clearError(el) {
  el.hidden = true;
  el.replaceChildren();
}

/** Runs an action from a button: disables it meanwhile, shows failures in `errorEl`. */
export async function action(button, errorEl, prefix, fn) {
  clearError(errorEl);
  button.disabled = true;
  try {
    await fn();
  } catch (e) {
    showError(errorEl, e, prefix);
  } finally {
    button.disabled = false;
  }
}

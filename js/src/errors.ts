/**
 * Errors thrown by Confide. Every failure is a {@link ConfideError} with a stable
 * {@link ConfideErrorCode}; messages never contain plaintext, key bytes or names.
 */

/** The stable error codes. New codes may be added; existing ones are never renamed. */
export type ConfideErrorCode =
  /** An argument has the wrong type, length or range. */
  | "invalid_argument"
  /** Bytes do not parse as the Confide object they claim to be. */
  | "malformed"
  /** The object's version byte is one this build does not read. */
  | "unsupported_version"
  /** The record belongs to another workspace. */
  | "wrong_workspace"
  /** The record's epoch key is not held by this workspace. */
  | "unknown_epoch"
  /** Authentication failed: wrong key, wrong context, or altered bytes. Deliberately opaque. */
  | "decryption_failed"
  /** A signature does not verify, or names another signer. */
  | "bad_signature"
  /** The grant is addressed to another member. */
  | "not_for_this_member"
  /** `init()` has not completed. */
  | "not_initialized"
  /** The object has been freed. */
  | "freed"
  /** A stream or a `decryptMany` was aborted through its `AbortSignal`. */
  | "aborted"
  /** The platform's random number generator failed. */
  | "random_unavailable"
  /** An unexpected failure inside the module; please report it. */
  | "internal"
  /** A log entry does not continue the log: wrong seq, previous hash or workspace. */
  | "broken_chain"
  /** An entry or grant is signed by someone who is not a current member. */
  | "unknown_signer"
  /** The signer is a member, but the log does not entitle it to this action. */
  | "not_authorized"
  /** The log is older than the head this client pinned. */
  | "rollback_detected"
  /** The log disagrees with the head this client pinned. */
  | "fork_detected"
  /** No invite in the log has this id. */
  | "invite_unknown"
  /** The invite was already used. */
  | "invite_used"
  /** The invite has expired. */
  | "invite_expired"
  /** The acceptance is not bound to the invite secret. */
  | "bad_acceptance"
  /** The log's inviter is not the one the invite link names. */
  | "inviter_mismatch"
  /** Not (or no longer) a member of the workspace. */
  | "not_a_member"
  /** Already a current member. */
  | "already_member"
  /** The change would leave the workspace without an admin. */
  | "last_admin"
  /** An epoch key does not match the log's key check. */
  | "key_mismatch"
  /** No grant for the current epoch was supplied. */
  | "missing_grant"
  /** This workspace came from a bare grant and has no membership log. */
  | "no_membership_log"
  /** Nothing anchors the log: pass a pinned head or the invite link. */
  | "no_trust_anchor"
  /** The passphrase is too short or too guessable to protect a backup. */
  | "weak_passphrase"
  /** The passphrase does not open this backup. */
  | "wrong_passphrase"
  /** The recovery kit has a typo, a missing or extra character. */
  | "bad_recovery_kit"
  /** No member is saved on this device under this name. */
  | "no_saved_member"
  /** This environment cannot keep a member on the device (no IndexedDB or WebCrypto). */
  | "device_storage_unavailable"
  /** The membership log has more entries or bytes than a client verifies (FORMAT.md#limits). */
  | "log_too_large"
  /** An admin tried to remove itself; another admin carries out a leave request. */
  | "cannot_remove_self"
  /** The record, grant or entry belongs to another case. */
  | "wrong_case"
  /** The record is at a level this member does not read, or the change needs a full member. */
  | "level_too_low"
  /** The change would leave the case without a full member: hand it over first. */
  | "last_holder"
  /** A member who left the workspace still holds the case's key: `removeDeparted()` first. */
  | "case_needs_rotation"
  /** The case has been deleted. */
  | "case_deleted"
  /** The case's signed retention date has not passed. */
  | "under_retention"
  /** The case names a membership log entry this workspace has not verified yet: reload it. */
  | "workspace_out_of_date"
  /** A revision is for another record or field, or the record is not the one it signs. */
  | "record_mismatch"
  /** A sign-off is of another revision than the one it is shown with. */
  | "signoff_mismatch"
  /**
   * A `ConfideWorker`'s Web Worker did not start (its script failed to load: a 404, a
   * Content-Security-Policy without `worker-src` for it, a bundler that left it out) or stopped.
   */
  | "worker_unavailable";

const CODES: ReadonlySet<string> = new Set<ConfideErrorCode>([
  "invalid_argument", "malformed", "unsupported_version", "wrong_workspace", "unknown_epoch",
  "decryption_failed", "bad_signature", "not_for_this_member", "not_initialized", "freed", "aborted",
  "random_unavailable", "internal", "broken_chain", "unknown_signer", "not_authorized",
  "rollback_detected", "fork_detected", "invite_unknown", "invite_used", "invite_expired", "bad_acceptance",
  "inviter_mismatch", "not_a_member", "already_member", "last_admin", "key_mismatch", "missing_grant",
  "no_membership_log", "no_trust_anchor", "weak_passphrase", "wrong_passphrase", "bad_recovery_kit",
  "no_saved_member", "device_storage_unavailable", "log_too_large", "cannot_remove_self", "worker_unavailable", "wrong_case",
  "level_too_low", "last_holder", "case_needs_rotation", "case_deleted", "under_retention", "workspace_out_of_date",
  "record_mismatch", "signoff_mismatch",
]);

/** The one error type Confide throws. Branch on `code`, not on `message`. */
export class ConfideError extends Error {
  /** The stable, machine-readable code. */
  readonly code: ConfideErrorCode;

  constructor(code: ConfideErrorCode, message: string) {
    super(message);
    this.name = "ConfideError";
    this.code = code;
  }
}

/** True if `e` is a {@link ConfideError} (also across package copies and realms). */
export function isConfideError(e: unknown): e is ConfideError {
  return (
    e instanceof ConfideError ||
    (typeof e === "object" && e !== null && (e as { name?: unknown }).name === "ConfideError" &&
      typeof (e as { code?: unknown }).code === "string" && CODES.has((e as { code: string }).code))
  );
}

/** Converts whatever the wasm module threw into a ConfideError. */
export function fromWasm(e: unknown): ConfideError {
  if (e instanceof ConfideError) return e;
  if (typeof e === "object" && e !== null) {
    const code = (e as { code?: unknown }).code;
    const message = (e as { message?: unknown }).message;
    if (typeof code === "string" && CODES.has(code)) {
      return new ConfideError(code as ConfideErrorCode, typeof message === "string" ? message : code);
    }
  }
  // A wasm trap or a binding-level TypeError: never echo its text, it may quote input.
  return new ConfideError("internal", "unexpected failure inside the Confide module");
}

// The page's elements, by their data-testid, and the state of the one open session.

export const $ = (id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
};

export const ui = Object.fromEntries(
  [
    "status", "connection",
    "invitation", "invitation-title", "invitation-intro", "inviter", "inviter-fingerprint", "waiting",
    "waiting-fingerprint", "invitation-status", "invitation-error",
    "identity-new", "create-identity", "identity-facts", "my-fingerprint", "session-state", "identity-error",
    "restore-kit", "restore-identity", "kit-step", "recovery-kit", "kit-fingerprint", "print-kit", "kit-saved",
    "workspace", "workspace-choose", "workspace-list", "workspace-check", "check-expected", "check-matches",
    "check-again", "workspace-new", "workspace-new-text", "create-workspace", "workspace-open", "workspace-id",
    "workspace-epoch", "my-role", "check-code", "refresh", "switch-workspace", "workspace-notice",
    "workspace-error", "work-area",
    "note-form", "editor-title", "client-input", "note-input", "transcript-input", "save-note", "new-note",
    "note-progress", "note-saved", "note-error", "notes-list", "notes-empty", "notes",
    "recordings-area", "upload-form", "audio-input", "upload-audio", "upload-progress", "upload-status",
    "upload-error", "recordings-empty", "recordings",
    "player", "player-title", "player-audio", "player-play", "player-seek", "player-time", "player-status", "player-error",
    "team-area", "members", "team-notice", "team-error", "admin-tools", "invite-role", "create-invite", "invite-box",
    "invite-link", "pending-empty", "pending",
    "clients-area", "clients", "clients-none", "client-list", "clients-notice", "clients-error", "client-form", "client-label-input",
    "client-initials-input", "client-retention", "create-client", "client-form-error",
    "case", "case-title", "case-access", "case-id", "case-epoch", "case-level", "case-retention", "case-notice", "case-error",
    "case-note-form", "case-note-input", "case-minutes", "case-status", "case-save-note", "case-note-saved", "case-note-error",
    "case-notes-empty", "case-notes", "case-members", "case-members-error", "case-tools", "case-add-who", "case-add-level",
    "case-add", "case-handover-to", "case-handover", "case-delete-hint", "case-delete", "case-tools-error", "case-close",
    "case-audit-open", "case-audit", "case-audit-summary", "case-audit-csv", "case-audit-printable", "case-audit-error",
    "case-audit-view", "case-audit-title", "case-audit-intro", "case-audit-head", "case-audit-rows", "case-audit-print",
    "confirm-dialog", "confirm-title", "confirm-text", "confirm-ok", "confirm-cancel",
  ].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), $(id)]),
);

export const state = {
  member: null,
  session: null,
  ws: null, // the verified Workspace, as of the last load or our last accepted append
  wsId: null,
  workspaces: [], // what GET /api/workspaces last listed: [{ workspaceId, admin }]
  dirty: false, // the local log holds an entry the server has not accepted
  removed: false, // the server no longer counts us as a member of the open workspace
  pollTimer: null,
  caseId: null, // the client's case shown, if any
};

/**
 * Moves keyboard focus to `el` (shown and enabled by now), so a step never leaves focus on
 * the page's body, where a control that is hidden or disabled under it drops it.
 */
export function focusOn(el) {
  el?.focus();
}

/**
 * `focusOn` at the end of a step that waited on the server, unless the user has meanwhile
 * begun typing in a field: the field keeps focus, and what they type stays in it.
 */
export function focusUnlessTyping(el) {
  const now = document.activeElement;
  const typing = now instanceof HTMLInputElement || now instanceof HTMLTextAreaElement || now instanceof HTMLSelectElement;
  if (!typing) focusOn(el);
}

/** Shows a short, non-error message in `el` (a role="status" element). */
export function notice(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

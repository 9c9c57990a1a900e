// The page's elements, by their data-testid, and the state of the one open session.

export const $ = (id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing element ${id}`);
  return el;
};

export const ui = Object.fromEntries(
  [
    "status", "invitation", "inviter-id", "waiting", "waiting-fingerprint", "invitation-error",
    "identity-new", "create-identity", "identity-facts", "my-fingerprint", "session-state", "identity-error",
    "restore-kit", "restore-identity", "kit-step", "recovery-kit", "kit-fingerprint", "print-kit", "kit-saved",
    "workspace", "workspace-new", "create-workspace", "workspace-open", "workspace-id", "workspace-epoch",
    "my-role", "refresh", "workspace-error", "work-area",
    "note-form", "editor-title", "client-input", "note-input", "transcript-input", "save-note", "new-note",
    "note-saved", "note-error", "notes-empty", "notes",
    "upload-form", "audio-input", "upload-audio", "upload-progress", "upload-status", "upload-error",
    "recordings-empty", "recordings",
    "player", "player-title", "player-audio", "player-play", "player-seek", "player-time", "player-status", "player-error",
    "members", "team-error", "admin-tools", "create-invite", "invite-box", "invite-link", "pending-empty", "pending",
  ].map((id) => [id.replace(/-(\w)/g, (_, c) => c.toUpperCase()), $(id)]),
);

export const state = {
  member: null,
  session: null,
  ws: null, // the verified Workspace, as of the last load or our last accepted append
  wsId: null,
  dirty: false, // the local log holds an entry the server has not accepted
  inviteLink: null, // held in memory only, until the first load
  pollTimer: null,
  editing: null, // record id of the note in the editor, or null for a new note
};

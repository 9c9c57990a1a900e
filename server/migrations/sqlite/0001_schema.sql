-- Confide server schema, SQLite. Ids are raw bytes; record and blob names are the
-- application's strings; times are Unix milliseconds. The same tables as postgres/0001.
CREATE TABLE members (
    id BLOB PRIMARY KEY,              -- fingerprint id, 32 bytes
    bundle BLOB NOT NULL              -- the verified public bundle
) STRICT;
-- A challenge carries the bundle it was issued for: nothing is registered before the
-- signature proves the key, and expired challenges are deleted.
CREATE TABLE challenges (
    challenge BLOB PRIMARY KEY,
    member_id BLOB NOT NULL,
    bundle BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX challenges_by_expiry ON challenges (expires_at);
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,      -- SHA-256 of the bearer token
    member_id BLOB NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
-- The verified state of each log that requests check without a replay: the head the
-- next append must build on (the compare-and-swap), sizes for the caps, usage counters.
CREATE TABLE workspaces (
    id BLOB PRIMARY KEY,
    head_seq INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    log_bytes INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    record_count INTEGER NOT NULL DEFAULT 0,
    record_bytes INTEGER NOT NULL DEFAULT 0,
    blob_count INTEGER NOT NULL DEFAULT 0,
    blob_bytes INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX workspaces_by_creator ON workspaces (created_by);
CREATE TABLE log_entries (
    workspace_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (workspace_id, seq)
) STRICT;
-- The current members of each verified log (admin: 1 or 0), updated entry by entry.
CREATE TABLE roster (
    workspace_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    admin INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, member_id)
) STRICT;
CREATE INDEX roster_by_member ON roster (member_id);
-- Every invite of each verified log: an acceptance is checked against it before anything.
CREATE TABLE invites (
    workspace_id BLOB NOT NULL,
    invite_id BLOB NOT NULL,
    expires_at INTEGER NOT NULL,      -- Unix seconds, as in the entry
    used INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, invite_id)
) STRICT;
CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    body BLOB NOT NULL
) STRICT;
CREATE INDEX grants_by_member ON grants (workspace_id, member_id);
CREATE TABLE history_links (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    body BLOB NOT NULL
) STRICT;
CREATE INDEX history_links_by_workspace ON history_links (workspace_id);
CREATE TABLE acceptances (
    id INTEGER PRIMARY KEY,
    workspace_id BLOB NOT NULL,
    invite_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (workspace_id, invite_id, member_id)
) STRICT;
CREATE TABLE records (
    workspace_id BLOB NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    author_id BLOB NOT NULL,          -- who wrote it: only they or an admin replace or delete it
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, record_id, field)
) STRICT;
CREATE TABLE blobs (
    workspace_id BLOB NOT NULL,
    blob_id TEXT NOT NULL,
    object TEXT NOT NULL,             -- random name in the blob store
    size INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, blob_id)
) STRICT;
-- Objects that may exist in the blob store without a blob naming them: an upload that has
-- not committed yet (state 1), or the old object of a replaced or deleted blob that is
-- still to be removed (state 2). Written before the object is, so a crash at any point
-- leaves a row that says what to clean up (server/README.md#durability).
CREATE TABLE blob_objects (
    object TEXT PRIMARY KEY,
    state INTEGER NOT NULL,
    since INTEGER NOT NULL
) STRICT;

-- Confide server schema, PostgreSQL. Ids are raw bytes; record and blob names are the
-- application's strings; times are Unix milliseconds. The same tables as sqlite/0001.
CREATE TABLE members (
    id BYTEA PRIMARY KEY,              -- fingerprint id, 32 bytes
    bundle BYTEA NOT NULL              -- the verified public bundle
);
-- A challenge carries the bundle it was issued for: nothing is registered before the
-- signature proves the key, and expired challenges are deleted.
CREATE TABLE challenges (
    challenge BYTEA PRIMARY KEY,
    member_id BYTEA NOT NULL,
    bundle BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX challenges_by_expiry ON challenges (expires_at);
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,      -- SHA-256 of the bearer token
    member_id BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
-- The verified state of each log that requests check without a replay: the head the
-- next append must build on (the compare-and-swap), sizes for the caps, usage counters.
CREATE TABLE workspaces (
    id BYTEA PRIMARY KEY,
    head_seq BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    log_bytes BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    created_by BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    record_count BIGINT NOT NULL DEFAULT 0,
    record_bytes BIGINT NOT NULL DEFAULT 0,
    blob_count BIGINT NOT NULL DEFAULT 0,
    blob_bytes BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX workspaces_by_creator ON workspaces (created_by);
CREATE TABLE log_entries (
    workspace_id BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
-- The current members of each verified log (admin: 1 or 0), updated entry by entry.
CREATE TABLE roster (
    workspace_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,
    admin BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, member_id)
);
CREATE INDEX roster_by_member ON roster (member_id);
-- Every invite of each verified log: an acceptance is checked against it before anything.
CREATE TABLE invites (
    workspace_id BYTEA NOT NULL,
    invite_id BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,      -- Unix seconds, as in the entry
    used BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, invite_id)
);
CREATE TABLE grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX grants_by_member ON grants (workspace_id, member_id);
CREATE TABLE history_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BYTEA NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX history_links_by_workspace ON history_links (workspace_id);
CREATE TABLE acceptances (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BYTEA NOT NULL,
    invite_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,
    body BYTEA NOT NULL,
    UNIQUE (workspace_id, invite_id, member_id)
);
CREATE TABLE records (
    workspace_id BYTEA NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    body BYTEA NOT NULL,
    size BIGINT NOT NULL,
    author_id BYTEA NOT NULL,          -- who wrote it: only they or an admin replace or delete it
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, record_id, field)
);
CREATE TABLE blobs (
    workspace_id BYTEA NOT NULL,
    blob_id TEXT COLLATE "C" NOT NULL,
    object TEXT NOT NULL,             -- random name in the blob store
    size BIGINT NOT NULL,
    author_id BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, blob_id)
);
-- Objects that may exist in the blob store without a blob naming them: an upload that has
-- not committed yet (state 1), or the old object of a replaced or deleted blob that is
-- still to be removed (state 2). Written before the object is, so a crash at any point
-- leaves a row that says what to clean up (server/README.md#durability).
CREATE TABLE blob_objects (
    object TEXT PRIMARY KEY,
    state BIGINT NOT NULL,
    since BIGINT NOT NULL
);

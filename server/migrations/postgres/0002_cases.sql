-- Cases (docs/FORMAT.md#cases), PostgreSQL: each case's verified log, its current members,
-- its records and blobs. The same tables as sqlite/0002. The case grants are not here: they
-- live in the key store (keys/), apart from the bulk data, so that deleting them shreds the
-- case whatever backups of this database exist (server/README.md#key-store).
ALTER TABLE workspaces ADD COLUMN case_count BIGINT NOT NULL DEFAULT 0;
-- The verified state of each case log that requests check without a replay: its head (the
-- compare-and-swap of an append), size and epoch, and whether it is deleted.
CREATE TABLE cases (
    id BYTEA PRIMARY KEY,              -- case id, 16 bytes
    workspace_id BYTEA NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    log_bytes BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    deleted BIGINT NOT NULL,          -- a delete entry is in the log: its grants, records, blobs are gone
    created_by BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cases_by_workspace ON cases (workspace_id);
CREATE TABLE case_log_entries (
    case_id BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    entry BYTEA NOT NULL,
    hash BYTEA NOT NULL,               -- its case entry hash: a grant is served with its entry only
    PRIMARY KEY (case_id, seq)
);
-- The members of each verified case log (level: FORMAT.md's byte, 1 full, 2 summary),
-- updated entry by entry. A deleted case keeps the members it had when it was deleted.
CREATE TABLE case_members (
    case_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,
    workspace_id BYTEA NOT NULL,
    level BIGINT NOT NULL,
    PRIMARY KEY (case_id, member_id)
);
CREATE INDEX case_members_by_member ON case_members (workspace_id, member_id);
CREATE TABLE case_records (
    case_id BYTEA NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    body BYTEA NOT NULL,
    size BIGINT NOT NULL,
    author_id BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, record_id, field)
);
CREATE TABLE case_blobs (
    case_id BYTEA NOT NULL,
    blob_id TEXT COLLATE "C" NOT NULL,
    object TEXT NOT NULL,              -- random name in the blob store
    size BIGINT NOT NULL,
    author_id BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, blob_id)
);

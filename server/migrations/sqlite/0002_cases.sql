-- Cases (docs/FORMAT.md#cases), SQLite: each case's verified log, its current members, its
-- records and blobs. The same tables as postgres/0002. The case grants are not here: they
-- live in the key store (keys/), apart from the bulk data, so that deleting them shreds the
-- case whatever backups of this database exist (server/README.md#key-store).
ALTER TABLE workspaces ADD COLUMN case_count INTEGER NOT NULL DEFAULT 0;
-- The verified state of each case log that requests check without a replay: its head (the
-- compare-and-swap of an append), size and epoch, and whether it is deleted.
CREATE TABLE cases (
    id BLOB PRIMARY KEY,              -- case id, 16 bytes
    workspace_id BLOB NOT NULL,
    head_seq INTEGER NOT NULL,
    head_hash BLOB NOT NULL,
    log_bytes INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    deleted INTEGER NOT NULL,         -- a delete entry is in the log: its grants, records, blobs are gone
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_by_workspace ON cases (workspace_id);
CREATE TABLE case_log_entries (
    case_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    entry BLOB NOT NULL,
    hash BLOB NOT NULL,               -- its case entry hash: a grant is served with its entry only
    PRIMARY KEY (case_id, seq)
) STRICT;
-- The members of each verified case log (level: FORMAT.md's byte, 1 full, 2 summary),
-- updated entry by entry. A deleted case keeps the members it had when it was deleted.
CREATE TABLE case_members (
    case_id BLOB NOT NULL,
    member_id BLOB NOT NULL,
    workspace_id BLOB NOT NULL,
    level INTEGER NOT NULL,
    PRIMARY KEY (case_id, member_id)
) STRICT;
CREATE INDEX case_members_by_member ON case_members (workspace_id, member_id);
CREATE TABLE case_records (
    case_id BLOB NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, record_id, field)
) STRICT;
CREATE TABLE case_blobs (
    case_id BLOB NOT NULL,
    blob_id TEXT NOT NULL,
    object TEXT NOT NULL,             -- random name in the blob store
    size INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, blob_id)
) STRICT;

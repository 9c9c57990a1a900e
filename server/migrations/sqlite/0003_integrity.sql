-- Record integrity in cases (docs/FORMAT.md#revisions, #sign-off, #audit-trail), SQLite:
-- each record's revisions with the records they sign, the sign-offs of those revisions, and
-- each case's audit trail. The same tables as postgres/0003. All of it is the bulk store's:
-- a case's deletion deletes these rows with its records (server/README.md#record-integrity).
CREATE TABLE case_revisions (
    case_id BLOB NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    number INTEGER NOT NULL,          -- from 1, without a gap
    revision BLOB NOT NULL,
    hash BLOB NOT NULL,               -- its revision hash: the next revision's previous hash
    record BLOB,                      -- the record a write signs; NULL for a tombstone
    size INTEGER NOT NULL,            -- revision and record bytes, in the workspace's record bytes
    author_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, record_id, field, number)
) STRICT;
CREATE TABLE case_sign_offs (
    case_id BLOB NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    position INTEGER NOT NULL,        -- the order stored, from 0
    number INTEGER NOT NULL,          -- the revision it names
    sign_off BLOB NOT NULL,
    signer_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, record_id, field, position)
) STRICT;
CREATE TABLE case_audit_entries (
    case_id BLOB NOT NULL,
    seq INTEGER NOT NULL,             -- from 0, without a gap
    entry BLOB NOT NULL,
    hash BLOB NOT NULL,               -- its entry hash: the next entry's previous hash
    total_bytes INTEGER NOT NULL,     -- bytes of the trail up to and including this entry
    author_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
) STRICT;

-- Record integrity in cases (docs/FORMAT.md#revisions, #sign-off, #audit-trail),
-- PostgreSQL: each record's revisions with the records they sign, the sign-offs of those
-- revisions, and each case's audit trail. The same tables as sqlite/0003. All of it is the
-- bulk store's: a case's deletion deletes these rows with its records
-- (server/README.md#record-integrity).
CREATE TABLE case_revisions (
    case_id BYTEA NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,            -- from 1, without a gap
    revision BYTEA NOT NULL,
    hash BYTEA NOT NULL,               -- its revision hash: the next revision's previous hash
    record BYTEA,                      -- the record a write signs; NULL for a tombstone
    size BIGINT NOT NULL,              -- revision and record bytes, in the workspace's record bytes
    author_id BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, record_id, field, number)
);
CREATE TABLE case_sign_offs (
    case_id BYTEA NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,          -- the order stored, from 0
    number BIGINT NOT NULL,            -- the revision it names
    sign_off BYTEA NOT NULL,
    signer_id BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, record_id, field, position)
);
CREATE TABLE case_audit_entries (
    case_id BYTEA NOT NULL,
    seq BIGINT NOT NULL,               -- from 0, without a gap
    entry BYTEA NOT NULL,
    hash BYTEA NOT NULL,               -- its entry hash: the next entry's previous hash
    total_bytes BIGINT NOT NULL,       -- bytes of the trail up to and including this entry
    author_id BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

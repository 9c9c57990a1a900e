-- Confide key store, SQLite (server/README.md#key-store): the case grants, apart from the
-- bulk data. A case's deletion deletes its rows; the file runs with secure_delete, so they
-- are overwritten, and keeping this store's backups short bounds how long a deleted case's
-- keys survive anywhere. The same table as postgres/0001.
CREATE TABLE case_grants (
    id INTEGER PRIMARY KEY,
    case_id BLOB NOT NULL,
    member_id BLOB NOT NULL,          -- the recipient
    seq INTEGER NOT NULL,             -- the case entry it came with: its seq and entry hash.
    entry_hash BLOB NOT NULL,         -- It is served only once that entry is in the log.
    body BLOB NOT NULL
) STRICT;
CREATE INDEX case_grants_by_member ON case_grants (case_id, member_id);

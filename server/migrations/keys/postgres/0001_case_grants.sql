-- Confide key store, PostgreSQL (server/README.md#key-store): the case grants, apart from
-- the bulk data when --keys names a database of its own (otherwise beside it, in the bulk
-- database). A case's deletion deletes its rows; keeping this store's backups short bounds
-- how long a deleted case's keys survive anywhere. The same table as sqlite/0001.
CREATE TABLE case_grants (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BYTEA NOT NULL,
    member_id BYTEA NOT NULL,          -- the recipient
    seq BIGINT NOT NULL,               -- the case entry it came with: its seq and entry hash.
    entry_hash BYTEA NOT NULL,         -- It is served only once that entry is in the log.
    body BYTEA NOT NULL
);
CREATE INDEX case_grants_by_member ON case_grants (case_id, member_id);

//! The registry schema as ordered, embedded, forward-only migrations (LICENCE.md §7).
//!
//! Migration `n` (1-based) brings a database from `PRAGMA user_version = n - 1` to `n`.
//! Released migrations are never edited; a change is a new migration at the end.

/// The migrations, in order. `MIGRATIONS.len()` is the schema version this code writes.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE licences (
    identifier  TEXT PRIMARY KEY NOT NULL,
    type_code   TEXT NOT NULL,
    serial      TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version BETWEEN 1 AND 999),
    holder      TEXT NOT NULL,
    metadata    BLOB NOT NULL,
    token       BLOB NOT NULL,
    qr          TEXT NOT NULL,
    salt        BLOB NOT NULL,
    doc_sha256  BLOB,
    status      TEXT NOT NULL,
    list_value  INTEGER NOT NULL CHECK (list_value BETWEEN 0 AND 3),
    list_uri    TEXT NOT NULL REFERENCES status_lists (uri),
    list_idx    INTEGER NOT NULL CHECK (list_idx >= 0),
    issued_at   INTEGER NOT NULL,
    UNIQUE (type_code, serial, version),
    UNIQUE (list_uri, list_idx)
) STRICT;
CREATE INDEX licences_holder ON licences (type_code, holder, status);

CREATE TABLE status_lists (
    uri       TEXT PRIMARY KEY NOT NULL,
    capacity  INTEGER NOT NULL CHECK (capacity > 0)
) STRICT;

CREATE TABLE serial_counters (
    type_code  TEXT NOT NULL,
    year       INTEGER NOT NULL,
    last       INTEGER NOT NULL CHECK (last >= 0),
    PRIMARY KEY (type_code, year)
) STRICT;

CREATE TABLE status_history (
    licence   TEXT NOT NULL REFERENCES licences (identifier),
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    "from"    TEXT,
    "to"      TEXT NOT NULL,
    op        TEXT NOT NULL,
    reason    TEXT,
    operator  TEXT NOT NULL,
    PRIMARY KEY (licence, seq)
) STRICT;

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    at         INTEGER NOT NULL,
    operator   TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash       BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TABLE idempotency (
    key             TEXT PRIMARY KEY NOT NULL,
    request_sha256  BLOB NOT NULL CHECK (length(request_sha256) = 32),
    identifier      TEXT NOT NULL REFERENCES licences (identifier)
) STRICT;

CREATE TABLE templates (
    type_code              TEXT PRIMARY KEY NOT NULL,
    name                   TEXT NOT NULL,
    one_active_per_holder  INTEGER NOT NULL DEFAULT 1,
    body                   BLOB NOT NULL
) STRICT;

CREATE TRIGGER licences_no_delete BEFORE DELETE ON licences
BEGIN SELECT RAISE(ABORT, 'licences are never deleted'); END;
CREATE TRIGGER licences_fixed_columns
BEFORE UPDATE OF identifier, type_code, serial, version, holder, list_uri, list_idx ON licences
BEGIN SELECT RAISE(ABORT, 'a licence''s identity and status-list index never change'); END;
CREATE TRIGGER status_history_no_delete BEFORE DELETE ON status_history
BEGIN SELECT RAISE(ABORT, 'status history is never deleted'); END;
CREATE TRIGGER status_history_no_update BEFORE UPDATE ON status_history
BEGIN SELECT RAISE(ABORT, 'status history is never updated'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER serial_counters_no_delete BEFORE DELETE ON serial_counters
BEGIN SELECT RAISE(ABORT, 'serial counters are never deleted'); END;
CREATE TRIGGER serial_counters_only_increase BEFORE UPDATE ON serial_counters
WHEN NEW.last <= OLD.last OR NEW.type_code IS NOT OLD.type_code OR NEW.year IS NOT OLD.year
BEGIN SELECT RAISE(ABORT, 'serial counters only increase'); END;
CREATE TRIGGER idempotency_no_change BEFORE UPDATE ON idempotency
BEGIN SELECT RAISE(ABORT, 'idempotency records never change'); END;
CREATE TRIGGER idempotency_no_delete BEFORE DELETE ON idempotency
BEGIN SELECT RAISE(ABORT, 'idempotency records are never deleted'); END;
"#,
    // 2: status lists count their used indices, so issuance does not count licences.
    r#"
ALTER TABLE status_lists ADD COLUMN used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0);
UPDATE status_lists
SET used = (SELECT count(*) FROM licences WHERE licences.list_uri = status_lists.uri);
CREATE TRIGGER status_lists_count_used AFTER INSERT ON licences
BEGIN UPDATE status_lists SET used = used + 1 WHERE uri = NEW.list_uri; END;
"#,
];

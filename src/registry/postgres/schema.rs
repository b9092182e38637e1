//! The registry schema on PostgreSQL as ordered, embedded, forward-only migrations, in the
//! schema `eseal` of the database.
//!
//! One database holds the registries of many offices: every table carries the office
//! (`offices.id`) in its key. The tables, columns and checks are those of the SQLite schema;
//! the triggers refuse the same changes and also `TRUNCATE`, which bypasses row triggers.
//! `status_lists.used` is kept by the writer, once per transaction, not by a trigger per
//! licence. `registry_schema` records each migration applied; its highest `version` is the schema
//! version. Released migrations are never edited; a change is a new migration at the end.

/// The migrations, in order. `MIGRATIONS.len()` is the schema version this code writes.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
CREATE TABLE offices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY CHECK (id < 2147483648),
    code        text NOT NULL UNIQUE,
    created_at  bigint NOT NULL
);

CREATE TABLE status_lists (
    office    bigint NOT NULL REFERENCES offices (id),
    uri       text NOT NULL,
    capacity  bigint NOT NULL CHECK (capacity > 0),
    used      bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (office, uri)
);

CREATE TABLE licences (
    office      bigint NOT NULL REFERENCES offices (id),
    identifier  text NOT NULL,
    type_code   text NOT NULL,
    serial      text NOT NULL,
    version     bigint NOT NULL CHECK (version BETWEEN 1 AND 999),
    holder      text NOT NULL,
    metadata    bytea NOT NULL,
    token       bytea NOT NULL,
    qr          text NOT NULL,
    salt        bytea NOT NULL,
    doc_sha256  bytea,
    status      text NOT NULL,
    list_value  bigint NOT NULL CHECK (list_value BETWEEN 0 AND 3),
    list_uri    text NOT NULL,
    list_idx    bigint NOT NULL CHECK (list_idx >= 0),
    issued_at   bigint NOT NULL,
    PRIMARY KEY (office, identifier),
    UNIQUE (office, type_code, serial, version),
    UNIQUE (office, list_uri, list_idx),
    FOREIGN KEY (office, list_uri) REFERENCES status_lists (office, uri)
);
CREATE INDEX licences_holder ON licences (office, type_code, holder, status);

CREATE TABLE serial_counters (
    office     bigint NOT NULL REFERENCES offices (id),
    type_code  text NOT NULL,
    year       bigint NOT NULL,
    last       bigint NOT NULL CHECK (last >= 0),
    PRIMARY KEY (office, type_code, year)
);

CREATE TABLE status_history (
    office    bigint NOT NULL,
    licence   text NOT NULL,
    seq       bigint NOT NULL,
    at        bigint NOT NULL,
    "from"    text,
    "to"      text NOT NULL,
    op        text NOT NULL,
    reason    text,
    operator  text NOT NULL,
    PRIMARY KEY (office, licence, seq),
    FOREIGN KEY (office, licence) REFERENCES licences (office, identifier)
);

CREATE TABLE audit_log (
    office     bigint NOT NULL REFERENCES offices (id),
    seq        bigint NOT NULL CHECK (seq >= 1),
    at         bigint NOT NULL,
    operator   text NOT NULL,
    action     text NOT NULL,
    subject    text NOT NULL,
    detail     text NOT NULL,
    prev_hash  bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash       bytea NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (office, seq)
);

CREATE TABLE idempotency (
    office          bigint NOT NULL,
    key             text NOT NULL,
    request_sha256  bytea NOT NULL CHECK (octet_length(request_sha256) = 32),
    identifier      text NOT NULL,
    PRIMARY KEY (office, key),
    FOREIGN KEY (office, identifier) REFERENCES licences (office, identifier)
);

CREATE TABLE templates (
    office                 bigint NOT NULL REFERENCES offices (id),
    type_code              text NOT NULL,
    name                   text NOT NULL,
    one_active_per_holder  boolean NOT NULL DEFAULT true,
    body                   bytea NOT NULL,
    PRIMARY KEY (office, type_code)
);

CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;

CREATE FUNCTION licences_fixed_columns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.office, NEW.identifier, NEW.type_code, NEW.serial, NEW.version, NEW.holder,
        NEW.list_uri, NEW.list_idx)
       IS DISTINCT FROM
       (OLD.office, OLD.identifier, OLD.type_code, OLD.serial, OLD.version, OLD.holder,
        OLD.list_uri, OLD.list_idx) THEN
        RAISE EXCEPTION 'a licence''s identity and status-list index never change'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION serial_counters_only_increase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last <= OLD.last OR (NEW.office, NEW.type_code, NEW.year)
       IS DISTINCT FROM (OLD.office, OLD.type_code, OLD.year) THEN
        RAISE EXCEPTION 'serial counters only increase' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER licences_no_delete BEFORE DELETE ON licences
    FOR EACH ROW EXECUTE FUNCTION refuse('licences are never deleted');
CREATE TRIGGER licences_no_truncate BEFORE TRUNCATE ON licences
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('licences are never deleted');
CREATE TRIGGER licences_fixed_columns BEFORE UPDATE ON licences
    FOR EACH ROW EXECUTE FUNCTION licences_fixed_columns();
CREATE TRIGGER status_history_no_delete BEFORE DELETE ON status_history
    FOR EACH ROW EXECUTE FUNCTION refuse('status history is never deleted');
CREATE TRIGGER status_history_no_update BEFORE UPDATE ON status_history
    FOR EACH ROW EXECUTE FUNCTION refuse('status history is never updated');
CREATE TRIGGER status_history_no_truncate BEFORE TRUNCATE ON status_history
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('status history is never deleted');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse('the audit log is append-only');
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse('the audit log is append-only');
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('the audit log is append-only');
CREATE TRIGGER serial_counters_no_delete BEFORE DELETE ON serial_counters
    FOR EACH ROW EXECUTE FUNCTION refuse('serial counters are never deleted');
CREATE TRIGGER serial_counters_no_truncate BEFORE TRUNCATE ON serial_counters
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('serial counters are never deleted');
CREATE TRIGGER serial_counters_only_increase BEFORE UPDATE ON serial_counters
    FOR EACH ROW EXECUTE FUNCTION serial_counters_only_increase();
CREATE TRIGGER idempotency_no_change BEFORE UPDATE ON idempotency
    FOR EACH ROW EXECUTE FUNCTION refuse('idempotency records never change');
CREATE TRIGGER idempotency_no_delete BEFORE DELETE ON idempotency
    FOR EACH ROW EXECUTE FUNCTION refuse('idempotency records are never deleted');
CREATE TRIGGER idempotency_no_truncate BEFORE TRUNCATE ON idempotency
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('idempotency records are never deleted');
CREATE TRIGGER offices_no_delete BEFORE DELETE ON offices
    FOR EACH ROW EXECUTE FUNCTION refuse('offices are never deleted');
CREATE TRIGGER offices_no_truncate BEFORE TRUNCATE ON offices
    FOR EACH STATEMENT EXECUTE FUNCTION refuse('offices are never deleted');
"#,
];

/// The triggers the schema relies on (`eseal licence audit` reports one missing or
/// disabled).
pub(super) const TRIGGERS: &[&str] = &[
    "audit_log_no_delete",
    "audit_log_no_truncate",
    "audit_log_no_update",
    "idempotency_no_change",
    "idempotency_no_delete",
    "idempotency_no_truncate",
    "licences_fixed_columns",
    "licences_no_delete",
    "licences_no_truncate",
    "offices_no_delete",
    "offices_no_truncate",
    "serial_counters_no_delete",
    "serial_counters_no_truncate",
    "serial_counters_only_increase",
    "status_history_no_delete",
    "status_history_no_truncate",
    "status_history_no_update",
];

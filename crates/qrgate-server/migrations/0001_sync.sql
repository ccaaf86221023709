-- The provincial store: enterprises, their registered kiosks, every event they pushed, the roster.

CREATE TABLE enterprises (
    tax_code   text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kiosks (
    kiosk_id   text PRIMARY KEY,
    enterprise text NOT NULL REFERENCES enterprises (tax_code),
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    added_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Nonces seen, shared by every server instance so a replay to another instance is refused too.
CREATE TABLE nonces (
    kiosk_id      text NOT NULL,
    nonce         bytea NOT NULL,
    expires_at_ms bigint NOT NULL,
    PRIMARY KEY (kiosk_id, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at_ms);

-- tx is the inserting transaction: pull hands out rows only below the oldest transaction still
-- running, so a batch that commits late is never skipped by a cursor that moved past it.
CREATE TABLE events (
    id           uuid PRIMARY KEY,
    server_seq   bigint GENERATED ALWAYS AS IDENTITY,
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    enterprise   text NOT NULL,
    kiosk_id     text NOT NULL,
    seq          bigint NOT NULL,
    gate         text NOT NULL,
    person_kind  text,
    person_ref   text,
    direction    text,
    at_ms        bigint NOT NULL,
    offset_s     integer NOT NULL,
    method       text NOT NULL,
    verdict      text NOT NULL,
    reason       text,
    badge_serial bigint,
    operator     text,
    note         text,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_for_pull ON events (enterprise, tx, server_seq);
-- Presence queries (inside now, contact tracing, per day) read only this index.
CREATE INDEX events_by_time ON events (enterprise, at_ms) INCLUDE (person_kind, person_ref, direction, verdict);

CREATE SEQUENCE roster_changes;
CREATE TABLE workers (
    enterprise   text NOT NULL,
    code         text NOT NULL,
    full_name    text NOT NULL,
    department   text NOT NULL,
    shift        text NOT NULL,
    active       boolean NOT NULL,
    badge_serial bigint NOT NULL,
    updated_by   text NOT NULL,
    tx           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    change_seq   bigint NOT NULL DEFAULT nextval('roster_changes'),
    PRIMARY KEY (enterprise, code)
);
CREATE INDEX workers_for_pull ON workers (enterprise, tx, change_seq);

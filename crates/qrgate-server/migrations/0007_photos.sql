-- Workers' photos between an enterprise's gates (issue 18). The kiosks seal each photo with a key
-- only the enterprise's gates hold and name it by a keyed hash of the employee code: the server
-- keeps ciphertext under an id it cannot read, hands it only to that enterprise's kiosks, and
-- keeps one row per photo, the newest version. An erasure is sealed too (`deleted` says which
-- it is, so the photo's ciphertext is overwritten, not kept beside it). Pulled like events, in
-- (tx, change_seq) order; the province's queries never read this table.
CREATE SEQUENCE photo_changes;
CREATE TABLE photos (
    enterprise text NOT NULL,
    photo_id   text NOT NULL CHECK (photo_id ~ '^[0-9a-f]{64}$'),
    version_ms bigint NOT NULL,
    sealed     bytea NOT NULL CHECK (length(sealed) <= 262144),
    deleted    boolean NOT NULL,
    kiosk_id   text NOT NULL,
    tx         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    change_seq bigint NOT NULL DEFAULT nextval('photo_changes'),
    PRIMARY KEY (enterprise, photo_id)
);
CREATE INDEX photos_for_pull ON photos (enterprise, tx, change_seq);

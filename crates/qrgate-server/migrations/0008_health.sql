-- Each kiosk's health (issue 14): one row per kiosk, made by its first accepted signed request.
-- `last_sync_at_ms` is moved by every accepted signed request (push, pull, photos, health), where
-- requests are authenticated; the rest is the kiosk's last health report, as it arrived. The
-- clock offset is measured here: the server's clock when the report arrived minus the kiosk's
-- own uncorrected clock in it (positive: the kiosk is behind). Times are ms since the epoch, as
-- every time the server compares with a time passed in; a kiosk with no sync for more than an
-- hour is "silent" in the province's list and in /metrics.
CREATE TABLE kiosk_health (
    kiosk_id            text PRIMARY KEY REFERENCES kiosks (kiosk_id),
    last_sync_at_ms     bigint NOT NULL,
    -- NULL until the kiosk's first report (a kiosk older than reports never sends one).
    received_at_ms      bigint,
    clock_offset_ms     bigint,
    version             text,
    gate                text,
    events_waiting      bigint CHECK (events_waiting >= 0),
    camera              text CHECK (camera IN ('absent', 'working', 'unknown', 'failing')),
    turnstile           text CHECK (turnstile IN ('absent', 'working', 'unknown', 'failing')),
    free_disk_bytes     bigint CHECK (free_disk_bytes >= 0),
    last_error          text,
    last_error_at_ms    bigint,
    last_restart_at_ms  bigint,
    last_restart_reason text
);

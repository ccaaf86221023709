-- The highest sequence number stored from each kiosk, told back to it on every pull: a kiosk
-- restored from an older backup numbers its next events above it instead of reusing numbers the
-- province holds for other events (which push refuses as twins). Kept here rather than read off
-- `events`, because the retention purge deletes old events but the numbers stay taken.
ALTER TABLE kiosks ADD COLUMN seq_high bigint NOT NULL DEFAULT 0;
UPDATE kiosks SET seq_high = COALESCE((SELECT MAX(seq) FROM events WHERE events.kiosk_id = kiosks.kiosk_id), 0);

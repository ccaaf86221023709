-- Passage sensors: a kiosk's `not_passed` event follows the accepted event its gate opened for
-- but nobody went through. The province's "inside now" and traces skip such an entry.
ALTER TABLE events ADD COLUMN follows uuid;
CREATE INDEX events_followed ON events (follows) WHERE follows IS NOT NULL;

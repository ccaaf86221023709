-- Tracing a visitor by CCCD number without keeping the number: per enterprise and visitor
-- pseudonym, the tag HMAC-SHA256(number) under a key only the server's trace secret gives. Kept
-- while the visitor's events are (the retention purge removes tags left without events).
CREATE TABLE visitor_tags (
    enterprise text NOT NULL,
    person_ref text NOT NULL,
    tag        text NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enterprise, person_ref)
);
CREATE INDEX visitor_tags_by_tag ON visitor_tags (tag);

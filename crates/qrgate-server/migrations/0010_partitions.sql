-- Events by month (issue 14, "sized for a province"): `events` becomes a table partitioned by
-- RANGE of `at_ms`, one partition per Vietnamese calendar month (+07:00, no daylight saving), so
-- the retention purge drops whole months instead of deleting millions of rows, and a query over
-- a day or a fortnight reads one or two months' indexes.
--
-- Exactly-once: a partitioned table's unique keys must hold the partition key, so the primary
-- key is (id, at_ms). A retried or doubled push is the same event, with the same time, so it
-- lands on the same partition and the same key: ON CONFLICT (id, at_ms) DO NOTHING stores it once
-- whichever server instance takes it. An id already stored under another time is found by push
-- under the kiosk's lock (`sync::push` reads the id through every partition's key) and refused
-- as `id_conflict`, as before.
--
-- `events_default` holds what no month holds: events of a kiosk whose clock was years off (push
-- makes a month on demand only within `months::ON_DEMAND_REACH_MS`, 400 days, of the server's
-- own time). The
-- retention purge deletes in it row by row; `events_month` moves its rows of a month into the
-- month's partition when that month is made.

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_pkey RENAME TO events_unpartitioned_pkey;
ALTER INDEX events_for_pull RENAME TO events_unpartitioned_for_pull;
ALTER INDEX events_by_time RENAME TO events_unpartitioned_by_time;
ALTER INDEX events_followed RENAME TO events_unpartitioned_followed;

CREATE TABLE events (
    id              uuid NOT NULL,
    server_seq      bigint GENERATED ALWAYS AS IDENTITY,
    tx              xid8 NOT NULL DEFAULT pg_current_xact_id(),
    enterprise      text NOT NULL,
    kiosk_id        text NOT NULL,
    seq             bigint NOT NULL,
    gate            text NOT NULL,
    person_kind     text,
    person_ref      text,
    direction       text,
    at_ms           bigint NOT NULL,
    offset_s        integer NOT NULL,
    method          text NOT NULL,
    verdict         text NOT NULL,
    reason          text,
    badge_serial    bigint,
    operator        text,
    note            text,
    received_at     timestamptz NOT NULL DEFAULT now(),
    clock_offset_ms bigint,
    clock_flag      text CHECK (clock_flag IN ('behind', 'ahead')),
    follows         uuid,
    PRIMARY KEY (id, at_ms)
) PARTITION BY RANGE (at_ms);

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- The indexes of 0001 and 0006, on every partition.
CREATE INDEX events_for_pull ON events (enterprise, tx, server_seq);
CREATE INDEX events_by_time ON events (enterprise, at_ms) INCLUDE (person_kind, person_ref, direction, verdict);
CREATE INDEX events_followed ON events (follows) WHERE follows IS NOT NULL;
-- Push looks up the kiosk's sequence numbers (twins) in every batch: without this it read the
-- whole table.
CREATE INDEX events_by_kiosk ON events (kiosk_id, seq);
-- The province's questions over every enterprise at once (inside now, today's counts) read a
-- span of time: events arrive nearly in time order, so a block range index finds the span for
-- almost nothing at insert time.
CREATE INDEX events_by_instant ON events USING brin (at_ms) WITH (pages_per_range = 32);

-- The partition of the Vietnamese month holding `day`, made if missing (its rows in the default
-- partition moved into it first, since a month cannot be attached over rows the default holds).
-- Made as a table and attached, which locks `events` less than CREATE TABLE ... PARTITION OF:
-- pushes and queries go on meanwhile. Returns the partition's name.
CREATE FUNCTION events_month(day date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', day)::date;
    next date := (date_trunc('month', day) + interval '1 month')::date;
    lo bigint := (first - DATE '1970-01-01')::bigint * 86400000 - 25200000;
    hi bigint := (next - DATE '1970-01-01')::bigint * 86400000 - 25200000;
    name text := 'events_' || to_char(first, 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    -- One maker at a time; the one that waited finds the month made.
    PERFORM pg_advisory_xact_lock(hashtextextended('events_month', 0));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    LOCK TABLE events_default IN ACCESS EXCLUSIVE MODE;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('INSERT INTO %I SELECT * FROM events_default WHERE at_ms >= %s AND at_ms < %s', name, lo, hi);
    DELETE FROM events_default WHERE at_ms >= lo AND at_ms < hi;
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', name, lo, hi);
    RETURN name;
END
$$;

-- The months the existing events fall in (those near now: older ones, a clock years off, stay
-- in the default partition as push would leave them), this month and the next two.
SELECT events_month(m)
FROM (
    SELECT DISTINCT date_trunc('month', to_timestamp((at_ms + 25200000) / 1000.0) AT TIME ZONE 'UTC')::date AS m
    FROM events_unpartitioned
    WHERE at_ms >= (extract(epoch FROM now() - interval '400 days') * 1000)::bigint
    UNION
    SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Ho_Chi_Minh') + k * interval '1 month')::date
    FROM generate_series(0, 2) k
) months
ORDER BY m;

-- Who is where, kept as events arrive: per person of an enterprise, the event "inside now" goes
-- by, their last accepted entry or exit that no `not_passed` event follows (last by at_ms, then
-- server_seq, as `province::inside` orders them). Kept by a trigger in the transaction that
-- inserts the events, whoever inserts them; the retention purge deletes the rows of events it
-- removes. A province-wide "inside now" reads the people of the last day here instead of sorting
-- every event of the day; the answer is the same (`province::inside` says how).
CREATE TABLE presence (
    enterprise      text NOT NULL,
    person_kind     text NOT NULL,
    person_ref      text NOT NULL,
    at_ms           bigint NOT NULL,
    server_seq      bigint NOT NULL,
    id              uuid NOT NULL,
    direction       text NOT NULL,
    gate            text NOT NULL,
    kiosk_id        text NOT NULL,
    clock_offset_ms bigint,
    clock_flag      text,
    PRIMARY KEY (enterprise, person_kind, person_ref)
);
CREATE INDEX presence_by_time ON presence (at_ms);
CREATE INDEX presence_by_event ON presence (id);

CREATE FUNCTION presence_follows_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone record;
BEGIN
    -- The newest counting event of each person in the statement, over the one kept if newer.
    INSERT INTO presence AS p (enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id,
                               clock_offset_ms, clock_flag)
    SELECT DISTINCT ON (enterprise, person_kind, person_ref)
           enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id, clock_offset_ms,
           clock_flag
    FROM new_events e
    WHERE verdict = 'accepted' AND direction IS NOT NULL AND person_kind IS NOT NULL AND person_ref IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id AND f.follows IS NOT NULL)
    ORDER BY enterprise, person_kind, person_ref, at_ms DESC, server_seq DESC
    ON CONFLICT (enterprise, person_kind, person_ref) DO UPDATE SET
        at_ms = excluded.at_ms, server_seq = excluded.server_seq, id = excluded.id, direction = excluded.direction,
        gate = excluded.gate, kiosk_id = excluded.kiosk_id, clock_offset_ms = excluded.clock_offset_ms,
        clock_flag = excluded.clock_flag
    WHERE (excluded.at_ms, excluded.server_seq) > (p.at_ms, p.server_seq);
    -- A `not_passed` event that follows the event kept for a person: that entry no longer
    -- counts, and the person's counting event before it (if any) is theirs again.
    FOR gone IN
        DELETE FROM presence p USING new_events f
        WHERE f.follows IS NOT NULL AND p.id = f.follows
        RETURNING p.enterprise, p.person_kind, p.person_ref
    LOOP
        INSERT INTO presence (enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id,
                              clock_offset_ms, clock_flag)
        SELECT enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id, clock_offset_ms,
               clock_flag
        FROM events e
        WHERE e.enterprise = gone.enterprise AND e.person_kind = gone.person_kind AND e.person_ref = gone.person_ref
          AND verdict = 'accepted' AND direction IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id AND f.follows IS NOT NULL)
        ORDER BY at_ms DESC, server_seq DESC
        LIMIT 1
        ON CONFLICT (enterprise, person_kind, person_ref) DO NOTHING;
    END LOOP;
    RETURN NULL;
END
$$;

-- `presence` made again from every event: after the move below, and after a bulk load that
-- went around the trigger.
CREATE FUNCTION presence_rebuild() RETURNS bigint LANGUAGE sql AS $$
    DELETE FROM presence;
    INSERT INTO presence (enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id,
                          clock_offset_ms, clock_flag)
    SELECT DISTINCT ON (enterprise, person_kind, person_ref)
           enterprise, person_kind, person_ref, at_ms, server_seq, id, direction, gate, kiosk_id, clock_offset_ms,
           clock_flag
    FROM events e
    WHERE verdict = 'accepted' AND direction IS NOT NULL AND person_kind IS NOT NULL AND person_ref IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM events f WHERE f.follows = e.id AND f.follows IS NOT NULL)
    ORDER BY enterprise, person_kind, person_ref, at_ms DESC, server_seq DESC;
    SELECT count(*) FROM presence;
$$;

INSERT INTO events (id, server_seq, tx, enterprise, kiosk_id, seq, gate, person_kind, person_ref, direction, at_ms,
                    offset_s, method, verdict, reason, badge_serial, operator, note, received_at, clock_offset_ms,
                    clock_flag, follows)
OVERRIDING SYSTEM VALUE
SELECT id, server_seq, tx, enterprise, kiosk_id, seq, gate, person_kind, person_ref, direction, at_ms,
       offset_s, method, verdict, reason, badge_serial, operator, note, received_at, clock_offset_ms,
       clock_flag, follows
FROM events_unpartitioned;

-- Pull orders by (tx, server_seq): the moved rows keep both, and new rows number after them.
SELECT setval(pg_get_serial_sequence('events', 'server_seq'),
              COALESCE((SELECT MAX(server_seq) FROM events_unpartitioned), 0) + 1, false);

DROP TABLE events_unpartitioned;

SELECT presence_rebuild();
CREATE TRIGGER events_presence AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION presence_follows_events();

-- What each kiosk knew of its clock when it wrote an event: the province's clock minus the
-- kiosk's (ms, NULL when the kiosk had never heard the server) and whether it doubted the time
-- ('behind' or 'ahead'). The province can tell which events came from a clock that was off.
ALTER TABLE events ADD COLUMN clock_offset_ms bigint;
ALTER TABLE events ADD COLUMN clock_flag text CHECK (clock_flag IN ('behind', 'ahead'));

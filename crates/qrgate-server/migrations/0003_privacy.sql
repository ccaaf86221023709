-- Personal data at the province (Law 91/2025/QH15, Decree 356/2025/ND-CP). Events name people
-- (an employee code, a visitor's pseudonym): they are kept for the configured number of days,
-- then only their daily counts stay. The record of processing lists every trace and purge:
-- who, when, what, how many people; never the personal data itself.
CREATE TABLE daily_counts (
    enterprise text NOT NULL,
    day        date NOT NULL,
    entries    bigint NOT NULL,
    exits      bigint NOT NULL,
    refused    bigint NOT NULL,
    total      bigint NOT NULL,
    clock_off  bigint NOT NULL,
    PRIMARY KEY (enterprise, day)
);

CREATE TABLE processing_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL CHECK (action IN ('trace', 'purge')),
    enterprise text,
    people     bigint NOT NULL,
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX processing_by_enterprise ON processing_log (enterprise, at);

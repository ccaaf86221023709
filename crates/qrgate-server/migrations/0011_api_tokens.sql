-- Bearer tokens for scripts, per account (issue 14): the province's JSON/CSV API answers a token
-- as it would its account in the console, so a trace made by a script names who made it and an
-- enterprise viewer's script sees its own enterprise only.
--
-- Numbered 0011: 0010 is the events' partitioning, made on another branch.
--
-- Only the SHA-256 of a token is kept: a copy of the database opens nothing. A token is never
-- shown again after `qrgate-server token add` printed it.
CREATE TABLE api_tokens (
    token_sha256  text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    account       bigint NOT NULL REFERENCES accounts (id),
    -- What the token is for, so its owner can tell two apart and revoke one: "nightly export".
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    created_at_ms bigint NOT NULL,
    revoked_at_ms bigint
);
-- One live token per name and account; a revoked name may be given again.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (account, name) WHERE revoked_at_ms IS NULL;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
    'sign_in', 'sign_in_failed', 'sign_out', 'trace', 'export', 'kiosk_register', 'kiosk_revoke',
    'account_add', 'account_password', 'account_disable', 'token_add', 'token_revoke'));

-- The province's web console (issue 14): personal accounts instead of one shared token, their
-- sessions, and the audit log of who signed in, traced, exported and changed what.
--
-- Numbered 0009: 0008 is the kiosks' health reports, made on another branch. sqlx applies any
-- migration it has not recorded, whatever its number, so either order of arrival migrates.
--
-- Times are milliseconds since the epoch given by the server's code (which reads the clock once
-- per request), never now(): the lockout and the sessions' ends follow the time the code judged by.

CREATE TABLE accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login           text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._@-]{2,63}$'),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role            text NOT NULL CHECK (role IN ('province_admin', 'province_officer', 'enterprise_viewer')),
    -- An enterprise viewer sees one enterprise; the province's roles see them all.
    enterprise      text REFERENCES enterprises (tax_code),
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    disabled        boolean NOT NULL DEFAULT false,
    -- Wrong passwords since the last sign-in or lock; the fifth locks the account for a while.
    failed_tries    integer NOT NULL DEFAULT 0 CHECK (failed_tries >= 0),
    locked_until_ms bigint,
    created_at_ms   bigint NOT NULL,
    CHECK ((role = 'enterprise_viewer') = (enterprise IS NOT NULL))
);

-- The cookie holds a random token; only its SHA-256 is kept, so a copy of the database signs
-- nobody in. The CSRF token goes in every form of the session's pages.
CREATE TABLE sessions (
    token_sha256  text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    account       bigint NOT NULL REFERENCES accounts (id),
    created_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    csrf_token    text NOT NULL CHECK (csrf_token ~ '^[0-9a-f]{64}$')
);
CREATE INDEX sessions_by_account ON sessions (account);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_ms);

-- Who did what, and when. `account` is the login that acted (NULL: the `qrgate-server` command
-- on the server, or a sign-in under a login that does not exist). Never a password, never whom a
-- trace was about.
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   bigint NOT NULL,
    account text,
    action  text NOT NULL CHECK (action IN (
                'sign_in', 'sign_in_failed', 'sign_out', 'trace', 'export', 'kiosk_register', 'kiosk_revoke',
                'account_add', 'account_password', 'account_disable')),
    detail  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at_ms DESC, id DESC);

-- Sign-in security: per-account policies, lockout counters, password history and profile,
-- password resets, two-step verification, and session scopes. Same schema on both databases.
CREATE TABLE security_policies (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    min_length INTEGER NOT NULL,
    require_lowercase INTEGER NOT NULL,
    require_uppercase INTEGER NOT NULL,
    require_digit INTEGER NOT NULL,
    require_symbol INTEGER NOT NULL,
    expiration_days INTEGER NOT NULL,
    history_count INTEGER NOT NULL,
    lockout_enabled INTEGER NOT NULL,
    max_failed_attempts INTEGER NOT NULL,
    session_timeout_enabled INTEGER NOT NULL,
    session_timeout_minutes INTEGER NOT NULL,
    session_max_age_minutes INTEGER NOT NULL,
    require_mfa INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
-- Length and character classes of the current password (never the password), so a stricter
-- policy can tell who no longer complies.
ALTER TABLE users ADD COLUMN password_length INTEGER;
ALTER TABLE users ADD COLUMN password_classes INTEGER;
ALTER TABLE users ADD COLUMN phone_number TEXT;
ALTER TABLE users ADD COLUMN phone_verified INTEGER NOT NULL DEFAULT 0;
-- TOTP seed encrypted with the installation's secret key; enabled once confirmed.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
-- The last time step accepted, so a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Failed sign-ins for emails with no active user, counted like real ones so a 423 reveals nothing.
CREATE TABLE sign_in_failures (
    email_normalized TEXT PRIMARY KEY,
    failed_attempts INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

-- `full`, or a session that may only change an expired password (`password_change`) or set up
-- two-step verification (`mfa_setup`).
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT 'full';

CREATE TABLE password_history (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_user_idx ON password_history (user_id, created_at);

CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
CREATE UNIQUE INDEX password_resets_code_hash_key ON password_resets (code_hash);

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

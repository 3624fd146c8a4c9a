-- My settings: email changes confirmed by a link to the new address. Same names on PostgreSQL.
CREATE TABLE email_changes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_email TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX email_changes_token_hash_key ON email_changes (token_hash);
CREATE INDEX email_changes_user_idx ON email_changes (user_id);

-- One personal API key per user: only its SHA-256 is kept, and a prefix to recognise it by.
CREATE TABLE user_api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX user_api_keys_user_key ON user_api_keys (user_id);
CREATE UNIQUE INDEX user_api_keys_hash_key ON user_api_keys (key_hash);

-- Usage per user, metric and billing cycle (cycle_start in Unix ms).
CREATE TABLE usage_counters (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    cycle_start BIGINT NOT NULL,
    metric TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (user_id, cycle_start, metric)
);

-- Usage reports by products, once per Idempotency-Key and account.
CREATE TABLE usage_reports (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);

-- Notification, phone and message settings, as typed JSON (the domain's `Preferences`).
ALTER TABLE users ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';

-- A cell number waiting for its SMS code: the number in force stays until this is verified.
CREATE TABLE phone_verifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX phone_verifications_user_idx ON phone_verifications (user_id);

-- Every SMS sent on an account's behalf.
CREATE TABLE sms_log (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT,
    to_number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sms_log_account_idx ON sms_log (account_id, created_at, id);

-- The profile picture's version (Unix ms of the upload): its files are `<user>/<version>-<size>.png`.
ALTER TABLE users ADD COLUMN avatar_version BIGINT;

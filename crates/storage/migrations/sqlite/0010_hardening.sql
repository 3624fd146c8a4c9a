-- Security hardening. Same names on PostgreSQL.

-- A lock lasts a while that doubles with each lockout in a row (15 min, 30 min, … at most a day):
-- locked_until is when it ends; lockouts counts the locks since the last successful sign-in.
-- Locks from before this migration end 15 minutes after they began.
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
UPDATE users SET locked_until = COALESCE(locked_at, 0) + 900000 WHERE status = 'locked';
-- Unknown emails lock and unlock on the same schedule.
ALTER TABLE sign_in_failures ADD COLUMN locked_until BIGINT;
ALTER TABLE sign_in_failures ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;

-- Password-reset counts per user over a rolling day, in the database so that they hold across
-- restarts and nodes: requests made and reset codes entered wrong since window_start.
CREATE TABLE recovery_counters (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    window_start BIGINT NOT NULL,
    reset_requests INTEGER NOT NULL DEFAULT 0,
    code_failures INTEGER NOT NULL DEFAULT 0
);

-- Sign-up in `verify` mode: what the form held, kept until the emailed link is followed.
-- password_hash is Argon2id; the token is stored only as its SHA-256.
CREATE TABLE signup_verifications (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    name TEXT NOT NULL,
    account_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    password_length INTEGER NOT NULL,
    password_classes INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX signup_verifications_email_idx ON signup_verifications (email_normalized);

-- The SMS log records the client address, segments, credits and outcome of every SMS, so the
-- daily caps (per account, per client address, installation-wide) are counted in the database.
-- status: 'sent', 'refused' or 'failed'.
ALTER TABLE sms_log ADD COLUMN segments INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sms_log ADD COLUMN credits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sms_log ADD COLUMN status TEXT NOT NULL DEFAULT 'sent';
ALTER TABLE sms_log ADD COLUMN ip TEXT;
CREATE INDEX sms_log_ip_idx ON sms_log (ip, created_at);
CREATE INDEX sms_log_created_idx ON sms_log (created_at);

-- A sign-in whose password was right and that waits for the two-step code: the page keeps only a
-- random token (stored here as its SHA-256), so the password is asked once and never kept.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sign_in_challenges_user_idx ON sign_in_challenges (user_id);

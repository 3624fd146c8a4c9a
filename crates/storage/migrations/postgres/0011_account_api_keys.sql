-- Account API keys: a key acts for its account with only its scopes, as its creator's
-- Administrator capability (deleting the creator deletes their keys). Only the SHA-256 of the
-- secret is kept, and a prefix to recognise it by. Same names on both databases.

CREATE TABLE account_api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    -- scope names separated by spaces
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    -- Unix ms; NULL: never expires
    expires_at BIGINT
);
CREATE UNIQUE INDEX account_api_keys_hash_key ON account_api_keys (key_hash);
CREATE INDEX account_api_keys_account_idx ON account_api_keys (account_id, created_at);
CREATE INDEX account_api_keys_creator_idx ON account_api_keys (created_by);

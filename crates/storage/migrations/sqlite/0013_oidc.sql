-- Tenantry as the OpenID Connect provider of the products: the clients the operator registers,
-- the signing keys (private part sealed with the secret key), authorization codes, grants (one
-- sign-in of a user to a client: the family its refresh tokens belong to) and the tokens of each
-- grant. Codes and tokens are kept only as SHA-256 hashes. Same names on SQLite and PostgreSQL.

CREATE TABLE oidc_clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    product TEXT NOT NULL,
    -- JSON array of the exact redirect URIs.
    redirect_uris TEXT NOT NULL,
    public INTEGER NOT NULL CHECK (public IN (0, 1)),
    secret_hash TEXT,
    backchannel_logout_uri TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE oidc_signing_keys (
    id TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    -- The public key as a JWK (JSON).
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set when a newer key took over; the key stays published until `published_until`.
    retired_at BIGINT,
    published_until BIGINT
);

CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The Tenantry session the user signed in with (the `sid` of the ID and logout tokens).
    session_id TEXT,
    scope TEXT NOT NULL,
    nonce TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oidc_grants_user_idx ON oidc_grants (user_id, revoked_at);

CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    expires_at BIGINT,
    -- A refresh token that was exchanged for a new one: presenting it again revokes the grant.
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX oidc_tokens_grant_idx ON oidc_tokens (grant_id);

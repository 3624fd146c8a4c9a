-- Same tables as the SQLite folder (same constraint and index names, so one error mapping serves both).
CREATE TABLE subscriptions (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    plan TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('trial', 'paid', 'canceled')),
    cycle_start BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Accounts created before subscriptions existed start on a trial without seats.
INSERT INTO subscriptions (account_id, plan, status, cycle_start, updated_at)
SELECT id, 'trial', 'trial', created_at, created_at FROM accounts;

CREATE TABLE subscription_seats (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    purchased BIGINT NOT NULL CHECK (purchased >= 0),
    PRIMARY KEY (account_id, product)
);

CREATE TABLE licenses (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, product)
);
CREATE INDEX licenses_account_product_idx ON licenses (account_id, product);

-- A page's owner is never removed under it: deleting a user transfers their pages first.
CREATE TABLE booking_pages (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX booking_pages_slug_key ON booking_pages (slug);
CREATE INDEX booking_pages_owner_idx ON booking_pages (owner_id);
CREATE INDEX booking_pages_account_idx ON booking_pages (account_id, created_at, id);

CREATE TABLE user_integrations (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    connected_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);

-- The actor and target are kept as text: the log outlives the users it names.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor_id TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    before_json TEXT,
    after_json TEXT,
    ip TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_account_idx ON audit_events (account_id, created_at, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_account_idx ON events (account_id, created_at, id);

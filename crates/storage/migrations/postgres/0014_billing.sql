-- Billing: SMS credits (a balance that never goes below zero and its append-only ledger),
-- payment methods (a provider's token, never a card number), who gets which billing
-- notification, and invoices with a gapless installation-wide number. Same names on SQLite and
-- PostgreSQL.

-- One row per account. A debit is one guarded statement (`credits >= cost`), so concurrent
-- sends can never take the balance below zero; `low_notified` makes the low-balance notice go
-- once per crossing of the threshold.
CREATE TABLE sms_balances (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    credits BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
    low_balance_threshold BIGINT NOT NULL DEFAULT 10 CHECK (low_balance_threshold >= 0),
    low_notified INTEGER NOT NULL DEFAULT 0 CHECK (low_notified IN (0, 1))
);
INSERT INTO sms_balances (account_id) SELECT id FROM accounts;

-- Every change of a balance: reason 'trial' (the new account's grant), 'top_up' (the operator;
-- reference = the operator's, unique per account) or 'sms' (reference = the SMS log row).
CREATE TABLE sms_credit_ledger (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    change BIGINT NOT NULL,
    balance BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('trial', 'top_up', 'sms')),
    reference TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sms_credit_ledger_reference_key ON sms_credit_ledger (account_id, reason, reference);
CREATE INDEX sms_credit_ledger_account_idx ON sms_credit_ledger (account_id, created_at);

-- 'tenantry' for Tenantry's own SMS (codes), 'product' for messages products send: the daily
-- caps against SMS pumping count only Tenantry's own.
ALTER TABLE sms_log ADD COLUMN origin TEXT NOT NULL DEFAULT 'tenantry';

CREATE TABLE payment_methods (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider_token TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at BIGINT NOT NULL
);
CREATE INDEX payment_methods_account_idx ON payment_methods (account_id, created_at);
CREATE UNIQUE INDEX payment_methods_one_default_key ON payment_methods (account_id) WHERE is_default = 1;

-- Which Administrators get which billing notification. Until an Administrator saves them
-- (`accounts.billing_recipients_saved`), every Administrator gets every kind.
CREATE TABLE billing_recipients (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invoices INTEGER NOT NULL CHECK (invoices IN (0, 1)),
    payment_failures INTEGER NOT NULL CHECK (payment_failures IN (0, 1)),
    low_sms_credits INTEGER NOT NULL CHECK (low_sms_credits IN (0, 1)),
    license_changes INTEGER NOT NULL CHECK (license_changes IN (0, 1)),
    PRIMARY KEY (account_id, user_id)
);
ALTER TABLE accounts ADD COLUMN billing_recipients_saved INTEGER NOT NULL DEFAULT 0;

-- The installation's last invoice number, in one row made by the first invoice: taken with one
-- upsert in the invoice's own transaction, so numbers have no gap (a rolled-back invoice gives
-- its number back). No row is written here, so a new database is empty for `db copy`.
CREATE TABLE invoice_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_number BIGINT NOT NULL
);

-- Amounts in integer minor units of `currency`; `lines` is a JSON array of
-- {description, quantity, unit_amount, amount}.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    tax_rate_basis_points BIGINT NOT NULL DEFAULT 0,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_number_key ON invoices (number);
CREATE INDEX invoices_account_idx ON invoices (account_id, issued_at, id);

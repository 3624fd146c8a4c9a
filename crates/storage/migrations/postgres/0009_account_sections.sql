-- Account settings sections: live chat teams, contact fields, the CRM connection, and the
-- compliance and privacy documents. Same names as the SQLite folder.

CREATE TABLE chat_teams (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- lower-cased name: unique in the account, case-insensitively
    name_normalized TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX chat_teams_name_key ON chat_teams (account_id, name_normalized);

-- A user can be in several teams; deleting the user or the team removes the membership.
CREATE TABLE chat_team_members (
    team_id TEXT NOT NULL REFERENCES chat_teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX chat_team_members_user_idx ON chat_team_members (user_id);

-- Custom contact fields. The four built-in fields (first_name, last_name, email, phone) are not
-- stored: they always hold positions 0-3, so custom positions start at 4.
CREATE TABLE contact_fields (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    type TEXT NOT NULL,
    -- JSON array of strings (empty unless single_choice or multiple_choice)
    options TEXT NOT NULL DEFAULT '[]',
    required INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contact_fields_key ON contact_fields (account_id, key);
CREATE INDEX contact_fields_position_idx ON contact_fields (account_id, position);

-- One CRM connection per account. credentials_sealed is AES-256-GCM under the secret key
-- (app::secrets::SecretBox), never plaintext; NULL once disconnected.
CREATE TABLE crm_connections (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    base_url TEXT,
    credentials_sealed TEXT,
    -- JSON object: contact-field key -> CRM field name
    field_mapping TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN ('untested', 'connected', 'failed')),
    last_error TEXT,
    connected_at BIGINT NOT NULL,
    last_tested_at BIGINT,
    last_sync_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- Whole documents an Administrator replaces at once (PUT): 'compliance' (DPO, EU representative,
-- breach-notification emails, records of processing) and 'privacy' (chatbot and form privacy).
-- body is the JSON document; an account without a row has the empty document.
CREATE TABLE account_documents (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('compliance', 'privacy')),
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind)
);

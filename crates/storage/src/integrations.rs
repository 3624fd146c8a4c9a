//! What users have connected in products (a calendar, a CRM), as products report it.

/// What users connected, by name.
pub const CONNECTED: crate::UserNames = crate::UserNames {
    table: "user_integrations",
    insert: "INSERT INTO user_integrations (account_id, user_id, name, connected_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, name) DO NOTHING",
    delete: "DELETE FROM user_integrations WHERE user_id = $1 AND name = $2",
    of_users: "SELECT user_id, name FROM user_integrations WHERE account_id = $1 AND user_id IN ({ids}) ORDER BY name",
};

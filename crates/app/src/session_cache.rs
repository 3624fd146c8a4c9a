//! A short-lived, in-process cache of validated sessions, so a busy client does not cost a
//! database query per request. Changes made on this node (sign-out, role change, deletion) evict
//! at once; a change made on another node is seen here within the cache's lifetime (two seconds
//! by default, `0` turns the cache off), which is the price of not asking the database each time.

use crate::Principal;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::RwLock;
use tenantry_domain::UserId;

/// Entries kept at most; past that the cache starts over (cheaper than tracking age order).
const MAX_ENTRIES: usize = 100_000;

struct Entry {
    user: Arc<Principal>,
    checked_at: i64,
    /// When the credential itself expires (an account key's `expires_at`).
    valid_until: Option<i64>,
}

/// Validated sessions by token hash.
pub struct SessionCache {
    ttl_ms: i64,
    entries: RwLock<HashMap<String, Entry>>,
}

impl SessionCache {
    /// A cache keeping answers for `ttl_ms` milliseconds (0: never).
    pub fn new(ttl_ms: i64) -> Self {
        Self { ttl_ms, entries: RwLock::new(HashMap::new()) }
    }

    /// The session for `token_hash` if it was checked against the database less than the lifetime ago.
    pub fn get(&self, token_hash: &str, now: i64) -> Option<Arc<Principal>> {
        if self.ttl_ms <= 0 {
            return None;
        }
        let entries = self.entries.read().ok()?;
        entries
            .get(token_hash)
            .filter(|e| (0..self.ttl_ms).contains(&(now - e.checked_at)) && e.valid_until.is_none_or(|t| now < t))
            .map(|e| e.user.clone())
    }

    /// Remembers a session just checked against the database.
    pub fn put(&self, token_hash: String, user: Arc<Principal>, now: i64) {
        self.put_until(token_hash, user, now, None);
    }

    /// Remembers a credential just checked against the database that stops being valid at
    /// `valid_until` (never served from here after that).
    pub fn put_until(&self, token_hash: String, user: Arc<Principal>, now: i64, valid_until: Option<i64>) {
        if self.ttl_ms <= 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(token_hash, Entry { user, checked_at: now, valid_until });
        }
    }

    /// Forgets one session (signed out) or API key (revoked), by its id.
    pub fn forget_session(&self, session_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.user.credential.id() != session_id);
        }
    }

    /// Forgets every session of an account (its session policy changed).
    pub fn forget_account(&self, account_id: &tenantry_domain::AccountId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.user.user.account_id != *account_id);
        }
    }

    /// Forgets every session of a user (changed, demoted, deleted).
    pub fn forget_user(&self, user_id: &UserId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.user.user.id != *user_id);
        }
    }
}

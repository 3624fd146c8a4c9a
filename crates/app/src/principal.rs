//! Who is asking, as types: a [`Principal`] is built once per request from a session or an API
//! key; an [`Admin`] can only be had from a principal through the role check; the [`Actor`] the
//! audit log records is built from the principal and the client's address.

use std::net::IpAddr;
use std::sync::Arc;
use tenantry_domain::{AccountId, Role, ScopeSet, SessionScope, UserId};
use tenantry_storage::users::User;

/// What the caller presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A sign-in session (browser cookie or API bearer token), by session id.
    Session(String),
    /// A personal API key, by key id.
    ApiKey(String),
    /// An account API key, by key id: its creator's Administrator capability narrowed to its scopes.
    AccountKey(String),
}

impl Credential {
    /// The id of the session or key.
    pub fn id(&self) -> &str {
        match self {
            Credential::Session(id) | Credential::ApiKey(id) | Credential::AccountKey(id) => id,
        }
    }
}

/// A signed-in user and what their credential allows.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
    /// What the session may do (API keys are always [`SessionScope::Full`]).
    pub scope: SessionScope,
    /// What an account API key may do; `None` for sessions and personal keys (limited by role only).
    pub scopes: Option<ScopeSet>,
}

impl Principal {
    /// The account the principal acts in.
    pub fn account_id(&self) -> &AccountId {
        &self.user.account_id
    }

    /// The session id, when the principal signed in with a session (not an API key).
    pub fn session_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session(id) => Some(id),
            Credential::ApiKey(_) | Credential::AccountKey(_) => None,
        }
    }

    /// The Administrator capability, if the principal is one.
    pub fn admin(self: &Arc<Self>) -> crate::Result<Admin> {
        match self.user.role {
            Role::Administrator => Ok(Admin(Arc::clone(self))),
            Role::Member => Err(crate::Error::Forbidden("Only Administrators may do this.")),
        }
    }
}

/// An Administrator of their account: only [`Principal::admin`] makes one, so a service taking
/// `&Admin` cannot run for a Member.
#[derive(Debug, Clone)]
pub struct Admin(Arc<Principal>);

impl std::ops::Deref for Admin {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The client a request came from.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Who is acting, in which account, from where: what the audit log records.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: AccountId,
    /// `None` for the system or the operator.
    pub user_id: Option<UserId>,
    pub ip: Option<IpAddr>,
}

impl Actor {
    /// A signed-in principal acting from `client`.
    pub fn of(principal: &Principal, client: &ClientMeta) -> Self {
        Self::user(&principal.user, client)
    }

    /// `user` acting from `client` (before a session exists: sign-in, sign-up, invitations).
    pub fn user(user: &User, client: &ClientMeta) -> Self {
        Self { account_id: user.account_id.clone(), user_id: Some(user.id.clone()), ip: client.ip }
    }

    /// Tenantry itself, or the operator, acting on `account_id`.
    pub fn system(account_id: AccountId) -> Self {
        Self { account_id, user_id: None, ip: None }
    }
}

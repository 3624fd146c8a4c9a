//! Invitation links: issue, look up, accept, and what an Administrator sees of a pending one.

use crate::auth::{SignedIn, open_session};
use crate::{Admin, App, ClientMeta, Error, Result, check_password, queue_email};
use tenantry_domain::SessionScope;
use tenantry_domain::{
    AccountName, EmailAddress, INVITATION_TTL_MS, InvitationId, OutgoingEmail, Password, PasswordContext, PersonName,
    SecretToken, TokenHash, UserId,
};
use tenantry_storage::invitations::{self, OpenInvitation};
use tenantry_storage::users::User;
use tenantry_storage::{Conn, credentials, security, users};

/// A new invitation link: the hash to store, when it expires, and the email that carries the
/// link (the only place the token itself ever goes).
pub(crate) struct NewLink {
    pub token_hash: TokenHash,
    pub expires_at: i64,
    pub link: String,
    pub email: OutgoingEmail,
}

/// Makes a new link for an invited user, and its email; the caller stores and queues them (one
/// user in [`issue`], thousands at once in the import).
pub(crate) fn new_link(
    state: &App, to: &EmailAddress, name: &PersonName, account_name: &AccountName, inviter: Option<&PersonName>,
    now: i64,
) -> NewLink {
    let token = SecretToken::generate("tiv_");
    let expires_at = now + INVITATION_TTL_MS;
    let link = format!("{}/invitations/{}", state.config.public_url, token.expose());
    let email = crate::mail::invitation(to, name, account_name, inviter, &link, expires_at);
    NewLink { token_hash: token.hash(), expires_at, link, email }
}

/// Issues a fresh link for an invited user (revoking earlier ones) and queues the email, in the
/// caller's transaction. Answers the link, which only the email (and the CLI) ever shows.
#[tracing::instrument(skip_all)]
pub async fn issue(
    state: &App, conn: &mut Conn, user: &User, account_name: &AccountName, inviter: Option<&PersonName>, now: i64,
) -> Result<String> {
    invitations::revoke_for_user(conn, &user.id, now).await?;
    let new = new_link(state, &user.email, &user.name, account_name, inviter, now);
    invitations::insert(
        conn,
        &InvitationId::generate(),
        &user.account_id,
        &user.id,
        &new.token_hash,
        now,
        new.expires_at,
    )
    .await?;
    queue_email(conn, Some(user.account_id.as_str()), &new.email, now).await?;
    Ok(new.link)
}

/// The newest link sent to an invited user, as the user page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub sent_at: i64,
    pub expires_at: i64,
    /// Whether the link no longer works because it is too old (a re-send makes a new one).
    pub expired: bool,
}

/// The newest unused, unrevoked invitation of a user of the admin's account (`None` when none
/// was sent, e.g. an import without emails); other accounts' users are 404.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn pending(state: &App, admin: &Admin, id: &UserId) -> Result<Option<Pending>> {
    let mut conn = state.db.conn().await?;
    users::get(&mut conn, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    let now = state.now();
    Ok(invitations::latest_unused(&mut conn, id).await?.map(|(sent_at, expires_at)| Pending {
        sent_at,
        expires_at,
        expired: expires_at <= now,
    }))
}

/// The open invitation behind a link; unknown, used, revoked and expired links are all 404.
#[tracing::instrument(skip_all)]
pub async fn lookup(state: &App, token: &str) -> Result<OpenInvitation> {
    let mut conn = state.db.conn().await?;
    invitations::find_open(&mut conn, &TokenHash::of(token), state.now()).await?.ok_or(Error::NotFound)
}

/// Accepts an invitation: sets the password, activates the user and signs them in, once.
#[tracing::instrument(skip_all)]
pub async fn accept(state: &App, token: &str, password: Password, meta: &ClientMeta) -> Result<SignedIn> {
    let invitation = lookup(state, token).await?;
    let account_id = &invitation.account_id;
    let policies = {
        let mut conn = state.db.conn().await?;
        security::get(&mut conn, account_id).await?
    };
    check_password(
        &policies.password,
        &password,
        &PasswordContext { email: invitation.email.as_str(), username: None },
        "password",
    )?;
    let hash = state.hasher.hash(&password).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    // Both updates are conditional: a second use of the link, even a concurrent one, changes nothing.
    if !invitations::mark_used(&mut tx, &invitation.id, now).await? {
        return Err(Error::NotFound);
    }
    let user_id = &invitation.user_id;
    if !users::activate_with_password(&mut tx, user_id, &hash, now).await? {
        return Err(Error::NotFound);
    }
    credentials::set_password(&mut tx, user_id, &hash, password.profile(), false, now).await?;
    let user = users::get(&mut tx, account_id, user_id).await?.ok_or(Error::NotFound)?;
    let scope = if policies.require_mfa { SessionScope::MfaSetup } else { SessionScope::Full };
    let signed_in = open_session(&mut tx, user, meta, now, scope, &policies.session).await?;
    tenantry_storage::commit(tx).await?;
    Ok(signed_in)
}

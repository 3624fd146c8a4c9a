//! Managing users (Administrators) and one's own profile (everyone).

use crate::audit::{self, Change};
pub use crate::user_detail::{UserDetail, audit_view, detail};
use crate::{
    Actor, Admin, App, Error, Principal, Result, invitations, licenses, refused, user_detail::details, wake_outbox,
};
use serde_json::json;
use tenantry_domain::rules::{self, ensure_an_administrator_remains_without};
use tenantry_domain::{
    DateFormat, EmailAddress, PersonName, Role, SCHEDULING_PRODUCT, TimeFormat, TimeZoneName, UserId, UserStatus,
    Username, ValidationErrors,
};
use tenantry_storage::users::{self, ListQuery, NewUser, ProfileChange, User};
use tenantry_storage::{Conn, accounts, booking_pages, licenses as license_rows};

/// Most users one page of the list holds.
pub const MAX_PAGE: i64 = 200;

/// Filters for the users list, as received.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One page of users and the cursor of the next one.
pub struct Page {
    pub users: Vec<UserDetail>,
    pub next_cursor: Option<String>,
}

fn decode_cursor(cursor: &str) -> Result<(String, String)> {
    crate::cursor::decode(cursor)
}

/// Invitations (each an email, and a 409 for an address in use) are rate-limited per account and
/// per client address.
fn limit_invitations(state: &App, admin: &Admin, actor: &Actor, now: i64) -> Result<()> {
    use tenantry_domain::limits::per_account;
    state.limits.check(&format!("invite:{}", admin.account_id()), per_account::INVITATIONS, now)?;
    if let Some(ip) = actor.ip {
        let limit = state.config.rate_limit_per_ip.min(per_account::INVITATIONS_PER_IP);
        state.limits.check(&crate::rate_limit::ip_key("invite", ip), limit, now)?;
    }
    Ok(())
}

/// Longest search term.
const MAX_SEARCH: usize = 200;

/// The search term of a users list: control characters (a NUL byte breaks SQLite's search index)
/// and overlong terms are refused, naming `q`.
pub fn search_term(q: Option<String>) -> Result<Option<String>> {
    let Some(q) = q else { return Ok(None) };
    if q.chars().any(char::is_control) {
        return Err(Error::invalid("q", "must not contain control characters"));
    }
    if q.chars().count() > MAX_SEARCH {
        return Err(Error::invalid("q", format!("must be at most {MAX_SEARCH} characters")));
    }
    Ok(Some(q))
}

/// A page of the account's users sorted by name (keyset pagination).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn list(state: &App, admin: &Admin, params: ListParams) -> Result<Page> {
    let account_id = admin.account_id();
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let after = params.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let q = search_term(params.q)?;
    let query = ListQuery { q, role: params.role, status: params.status, after, limit: limit + 1 };
    let mut conn = state.db.conn().await?;
    let rows = users::list(&mut conn, state.db.backend(), account_id, &query).await?;
    let (rows, next_cursor) = crate::cursor::paginate(rows, limit, |(u, sort)| (sort.clone(), u.id.to_string()));
    let users = details(&mut conn, account_id, rows.into_iter().map(|(u, _)| u).collect()).await?;
    Ok(Page { users, next_cursor })
}

/// A valid invitation.
pub struct Invite {
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
    /// Licenses to assign at once (each under the seat rule).
    pub licenses: Vec<String>,
}

/// Adds an invited user with their licenses and queues their invitation email, in one transaction.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn invite(state: &App, admin: &Admin, actor: &Actor, input: Invite) -> Result<UserDetail> {
    let now = state.now();
    let account_id = &admin.user.account_id;
    limit_invitations(state, admin, actor, now)?;
    let mut products: Vec<tenantry_domain::Product> = Vec::new();
    let mut errors = ValidationErrors::new();
    for (i, key) in input.licenses.iter().enumerate() {
        match state.config.catalog.get(key) {
            Some(p) if !products.iter().any(|q| q.key == p.key) => products.push(p.clone()),
            Some(_) => {}
            None => errors.push(&format!("licenses[{i}]"), format!("{key:?} is not a product of this installation")),
        }
    }
    errors.into_result()?;
    let user_id = UserId::generate();
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, account_id).await?;
    let account = accounts::get(&mut tx, account_id).await?.ok_or(Error::NotFound)?;
    users::insert(
        &mut tx,
        NewUser {
            id: &user_id,
            account_id,
            email: &input.email,
            name: &input.name,
            role: input.role,
            status: UserStatus::Invited,
            password_hash: None,
            now,
        },
    )
    .await?;
    let user = users::get(&mut tx, account_id, &user_id).await?.ok_or(Error::NotFound)?;
    if !products.is_empty() {
        let sub = licenses::subscription(&mut tx, account_id).await?;
        for product in &products {
            licenses::assign_in(&mut tx, actor, &sub, &user, product, now).await?;
        }
    }
    invitations::issue(state, &mut tx, &user, &account.name, Some(&admin.user.name), now).await?;
    let detail = detail(&mut tx, user).await?;
    let view = audit_view(&detail);
    audit::record(&mut tx, actor, Change::new("user.invited", "user", user_id.as_str()).after(view.clone()), now)
        .await?;
    audit::emit(&mut tx, account_id, "user.invited", view, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(detail)
}

/// One user of the admin's account; others' users are 404.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn get(state: &App, admin: &Admin, id: &UserId) -> Result<UserDetail> {
    let account_id = admin.account_id();
    let mut conn = state.db.conn().await?;
    let user = users::get(&mut conn, account_id, id).await?.ok_or(Error::NotFound)?;
    detail(&mut conn, user).await
}

/// A valid profile change; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub name: Option<PersonName>,
    /// `Some(None)` clears the username.
    pub username: Option<Option<Username>>,
    pub timezone: Option<TimeZoneName>,
    pub date_format: Option<DateFormat>,
    pub time_format: Option<TimeFormat>,
    /// Only Administrators may set this, and only on others' records through the users API.
    pub role: Option<Role>,
    pub notifications: Option<tenantry_domain::settings::Notifications>,
    pub phone_settings: Option<tenantry_domain::settings::PhoneSettings>,
    pub message_settings: Option<tenantry_domain::settings::MessageSettings>,
    /// Merged into the current product settings (fields it names replace, the others stay).
    pub product_settings: Option<tenantry_domain::ProductSettingsPatch>,
}

/// The name of the rule that keeps Administrators from demoting or deleting themselves.
pub const SELF_RULE: &str = "self";

/// Refuses a change an Administrator may not make to their own record: another Administrator
/// makes it, so the account is never left without the person who noticed.
fn refuse_own(what: &str) -> Error {
    Error::rule(SELF_RULE, format!("You cannot {what} yourself: another Administrator must do it."))
}

/// Applies a change to a user of `actor`'s account and records it. Demoting is refused when it
/// would leave no Administrator (rule 3), or a paid account no licensed one (rule 2), and for
/// oneself (rule "self").
async fn apply(conn: &mut Conn, actor: &Actor, id: &UserId, patch: &ProfilePatch, now: i64) -> Result<UserDetail> {
    let account_id = &actor.account_id;
    let current = users::get(conn, account_id, id).await?.ok_or(Error::NotFound)?;
    if current.role == Role::Administrator && patch.role == Some(Role::Member) {
        let admins = users::count_administrators(conn, account_id).await?;
        ensure_an_administrator_remains_without(admins, (current.role, current.status)).map_err(refused)?;
        let sub = licenses::subscription(conn, account_id).await?;
        licenses::ensure_licensed_administrator_survives(conn, sub.status, &current).await?;
        if actor.user_id.as_ref() == Some(id) {
            return Err(refuse_own("demote"));
        }
    }
    let mut preferences = current.preferences.clone();
    let touches_preferences = patch.notifications.is_some()
        || patch.phone_settings.is_some()
        || patch.message_settings.is_some()
        || patch.product_settings.is_some();
    if let Some(n) = patch.notifications {
        preferences.notifications = n;
    }
    if let Some(p) = &patch.phone_settings {
        preferences.phone_settings = p.clone();
    }
    if let Some(m) = &patch.message_settings {
        preferences.message_settings = m.clone();
    }
    if let Some(p) = &patch.product_settings {
        preferences.product_settings = p.apply(&preferences.product_settings);
    }
    let before = detail(conn, current).await?;
    let change = ProfileChange {
        name: patch.name.as_ref(),
        username: patch.username.as_ref().map(Option::as_ref),
        timezone: patch.timezone.as_ref().map(TimeZoneName::as_str),
        date_format: patch.date_format,
        time_format: patch.time_format,
        role: patch.role,
        preferences: touches_preferences.then_some(&preferences),
    };
    users::update_profile(conn, account_id, id, &change, now).await?;
    let user = users::get(conn, account_id, id).await?.ok_or(Error::NotFound)?;
    let after = UserDetail { user, ..before.clone() };
    let (b, a) = (audit_view(&before), audit_view(&after));
    if b != a {
        audit::record(conn, actor, Change::new("user.updated", "user", id.as_str()).before(b).after(a.clone()), now)
            .await?;
        audit::emit(conn, account_id, "user.updated", a, now).await?;
    }
    Ok(after)
}

/// Refuses settings of a product this installation does not sell.
fn check_products(state: &App, patch: &ProfilePatch) -> Result<()> {
    let mut errors = ValidationErrors::new();
    for key in patch.product_settings.iter().flat_map(|p| p.products()) {
        if state.config.catalog.get(key).is_none() {
            errors.push(&format!("product_settings.{key}"), "is not a product of this installation");
        }
    }
    Ok(errors.into_result()?)
}

/// An Administrator changes a user of their account (product settings are merged, see
/// [`tenantry_domain::product_settings`]); everything is written in one transaction and recorded
/// as one `user.updated`.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn update(state: &App, admin: &Admin, actor: &Actor, id: &UserId, patch: ProfilePatch) -> Result<UserDetail> {
    check_products(state, &patch)?;
    let mut tx = state.db.begin().await?;
    // Serialises rule checks of one account across requests and nodes.
    accounts::lock(&mut tx, admin.account_id()).await?;
    let user = apply(&mut tx, actor, id, &patch, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(user)
}

/// Anyone changes their own profile (never their role).
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn update_me(state: &App, me: &Principal, actor: &Actor, mut patch: ProfilePatch) -> Result<User> {
    patch.role = None;
    // Product settings are the Administrators' to set (for everyone, themselves included).
    if patch.product_settings.is_some() && me.user.role != Role::Administrator {
        return Err(Error::Forbidden("Only an Administrator can change product settings."));
    }
    check_products(state, &patch)?;
    let mut tx = state.db.begin().await?;
    let user = apply(&mut tx, actor, &me.user.id, &patch, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(&me.user.id);
    Ok(user.user)
}

/// What deleting a user does (or would do).
#[derive(Debug, Clone)]
pub struct DeletionPlan {
    pub user: UserDetail,
    /// Who inherits the booking pages (`None` when the user owns none and no heir is needed).
    pub heir: Option<User>,
    /// The pages that move to the heir.
    pub pages: Vec<tenantry_storage::booking_pages::BookingPage>,
    /// The licenses that become free seats.
    pub licenses_freed: Vec<String>,
    /// Whether the pages arrive switched off (rule 5: the heir holds no scheduling license).
    pub pages_disabled: bool,
}

/// Works out what `admin` deleting `id` does; refuses what rules 2 and 3 forbid, and deleting
/// oneself. The booking pages go to `transfer_to` when given (any other user of the account),
/// else to the heir rule 4 names. Under the account lock it is the plan the deletion carries
/// out; on a plain connection, a preview.
async fn plan_deletion(
    conn: &mut Conn, admin: &Admin, id: &UserId, transfer_to: Option<&UserId>,
) -> Result<DeletionPlan> {
    let account_id = admin.account_id();
    let user = users::get(conn, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.role == Role::Administrator {
        let admins = users::count_administrators(conn, account_id).await?;
        ensure_an_administrator_remains_without(admins, (user.role, user.status)).map_err(refused)?;
        let sub = licenses::subscription(conn, account_id).await?;
        licenses::ensure_licensed_administrator_survives(conn, sub.status, &user).await?;
    }
    if id == &admin.user.id {
        return Err(refuse_own("delete"));
    }
    let chosen = match transfer_to {
        Some(to) if to == id => {
            return Err(Error::invalid("transfer_to", "must be another user than the one deleted"));
        }
        Some(to) => Some(
            users::get(conn, account_id, to)
                .await?
                .ok_or_else(|| Error::invalid("transfer_to", "is not a user of this account"))?,
        ),
        None => None,
    };
    let pages = booking_pages::of_owner(conn, id).await?;
    let heir: Option<User> = match chosen {
        _ if pages.is_empty() => None,
        Some(chosen) => Some(chosen),
        None => {
            let admins = users::administrators_oldest_first(conn, account_id).await?;
            let acting = &admin.user.id;
            let heir = rules::heir_of_owned_resources(id, Some((acting, admins.contains(acting))), &admins)
                .ok_or_else(|| refused(rules::RuleViolation::LastAdministrator))?;
            users::get(conn, account_id, heir).await?
        }
    };
    let pages_disabled = match &heir {
        Some(h) => {
            pages.iter().any(|p| p.enabled)
                && !license_rows::of_user(conn, &h.id).await?.iter().any(|l| l == SCHEDULING_PRODUCT)
        }
        None => false,
    };
    let user = detail(conn, user).await?;
    Ok(DeletionPlan { licenses_freed: user.licenses.clone(), user, heir, pages, pages_disabled })
}

/// What deleting a user would do (or the rule that refuses it), read without taking the
/// database's write lock: the user's page shows it on every visit.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn preview_deletion(
    state: &App, admin: &Admin, id: &UserId, transfer_to: Option<&UserId>,
) -> Result<DeletionPlan> {
    let mut conn = state.db.conn().await?;
    plan_deletion(&mut conn, admin, id, transfer_to).await
}

/// Carries out a deletion plan in the caller's transaction (which holds the account lock): the
/// booking pages move to the heir (rule 4, switched off when rule 5 says so), the user goes, and
/// both are recorded and announced.
async fn carry_out(conn: &mut Conn, actor: &Actor, plan: &DeletionPlan, now: i64) -> Result<()> {
    let account_id = &actor.account_id;
    let id = &plan.user.user.id;
    if let Some(heir) = &plan.heir {
        booking_pages::transfer_all(conn, id, &heir.id, now).await?;
        for page in &plan.pages {
            let data = json!({"booking_page_id": page.id, "from_user_id": id.as_str(), "to_user_id": heir.id.as_str()});
            let change = Change::new("booking_page.transferred", "booking_page", &page.id)
                .before(json!({"owner_id": id.as_str()}))
                .after(json!({"owner_id": heir.id.as_str()}));
            audit::record(conn, actor, change, now).await?;
            audit::emit(conn, account_id, "booking_page.transferred", data, now).await?;
        }
        if plan.pages_disabled {
            crate::booking_pages::disable_unlicensed(conn, actor, &heir.id, rules::disabled_reason::NO_LICENSE, now)
                .await?;
        }
    }
    // The products are told before the grants go with the user.
    crate::oidc::end_user_grants(conn, id, now).await?;
    users::delete(conn, account_id, id).await?;
    let view = audit_view(&plan.user);
    audit::record(conn, actor, Change::new("user.deleted", "user", id.as_str()).before(view.clone()), now).await?;
    audit::emit(conn, account_id, "user.deleted", view, now).await?;
    Ok(())
}

/// Deletes a user (rule 4: their booking pages go to `transfer_to`, else the heir, in the same
/// transaction), or with `dry_run` only answers what that would do.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn delete(
    state: &App, admin: &Admin, actor: &Actor, id: &UserId, transfer_to: Option<&UserId>, dry_run: bool,
) -> Result<DeletionPlan> {
    if dry_run {
        return preview_deletion(state, admin, id, transfer_to).await;
    }
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, admin.account_id()).await?;
    let plan = plan_deletion(&mut tx, admin, id, transfer_to).await?;
    carry_out(&mut tx, actor, &plan, state.now()).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    crate::wake_outbox(state);
    Ok(plan)
}

/// Refuses deactivating `user` when rules 2 and 3 forbid removing them (the last signed-in
/// Administrator, the last licensed one of a paid account), and for oneself.
async fn ensure_may_deactivate(conn: &mut Conn, admin: &Admin, user: &User) -> Result<()> {
    if user.role == Role::Administrator {
        let admins = users::count_administrators(conn, &user.account_id).await?;
        ensure_an_administrator_remains_without(admins, (user.role, user.status)).map_err(refused)?;
        let sub = licenses::subscription(conn, &user.account_id).await?;
        licenses::ensure_licensed_administrator_survives(conn, sub.status, user).await?;
    }
    if user.id == admin.user.id {
        return Err(refuse_own("deactivate"));
    }
    Ok(())
}

/// Deactivates a user: in one transaction their sessions and personal API key are revoked (so
/// they stop working at once) and they can no longer sign in; their licenses and booking pages
/// stay. Refused under the rules of deletion (see [`ensure_may_deactivate`]). Deactivating
/// someone deactivated already changes nothing.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn deactivate(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<UserDetail> {
    let account_id = admin.account_id();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, account_id).await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.status == UserStatus::Deactivated {
        return detail(&mut tx, user).await;
    }
    ensure_may_deactivate(&mut tx, admin, &user).await?;
    let before = detail(&mut tx, user).await?;
    users::deactivate(&mut tx, account_id, id, now).await?;
    let crate::sessions::Revoked { sessions, api_key, .. } =
        crate::sessions::revoke_credentials(&mut tx, id, now).await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let after = UserDetail { user, ..before.clone() };
    let view = audit_view(&after);
    let change = Change::new("user.deactivated", "user", id.as_str())
        .before(json!({"status": before.user.status.as_str()}))
        .after(json!({"status": "deactivated", "sessions_revoked": sessions, "api_key_revoked": api_key}));
    audit::record(&mut tx, actor, change, now).await?;
    audit::emit(&mut tx, account_id, "user.deactivated", view, now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    crate::wake_outbox(state);
    Ok(after)
}

/// Reactivates a deactivated user: they may sign in again (`active`), or accept their invitation
/// when they never signed in (`invited`). Reactivating someone not deactivated changes nothing.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn reactivate(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<UserDetail> {
    let account_id = admin.account_id();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.status != UserStatus::Deactivated {
        return detail(&mut tx, user).await;
    }
    users::reactivate(&mut tx, account_id, id, now).await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    let after = detail(&mut tx, user).await?;
    let view = audit_view(&after);
    let change = Change::new("user.reactivated", "user", id.as_str())
        .before(json!({"status": "deactivated"}))
        .after(json!({"status": after.user.status.as_str()}));
    audit::record(&mut tx, actor, change, now).await?;
    audit::emit(&mut tx, account_id, "user.reactivated", view, now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(after)
}

/// Revokes a pending invitation: the link stops working and the invited user, who never signed
/// in, is removed with everything a deletion does (their licenses become free seats). Someone who
/// has accepted already is refused: deleting them is a different decision.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn revoke_invitation(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<DeletionPlan> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    accounts::lock(&mut tx, admin.account_id()).await?;
    let user = users::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    if user.status == UserStatus::Deactivated {
        return Err(Error::conflict(format!("{} is deactivated: reactivate or delete them instead.", user.name)));
    }
    if user.status != UserStatus::Invited {
        return Err(Error::conflict(format!(
            "{} has already accepted their invitation: delete the user instead.",
            user.name
        )));
    }
    let plan = plan_deletion(&mut tx, admin, id, None).await?;
    tenantry_storage::invitations::revoke_for_user(&mut tx, id, now).await?;
    let change = Change::new("user.invitation_revoked", "user", id.as_str())
        .before(json!({"email": user.email, "name": user.name}));
    audit::record(&mut tx, actor, change, now).await?;
    carry_out(&mut tx, actor, &plan, now).await?;
    tenantry_storage::commit(tx).await?;
    state.sessions.forget_user(id);
    Ok(plan)
}

/// Emails a user a link to choose a new password (the same link "Forgot your password?" sends;
/// completing it also unlocks them). Refused for someone who has not accepted their invitation.
/// Shares the per-email limit of reset requests, so nobody's mailbox is flooded.
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn send_password_reset(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<User> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let user = users::get(&mut tx, admin.account_id(), id).await?.ok_or(Error::NotFound)?;
    if user.status == UserStatus::Invited {
        return Err(Error::conflict(format!(
            "{} has not accepted their invitation yet: resend the invitation instead.",
            user.name
        )));
    }
    state.limits.check(
        &format!("reset:{}", user.email.normalized()),
        tenantry_domain::limits::per_account::RESET_REQUEST,
        now,
    )?;
    crate::reset::queue_link(state, &mut tx, &crate::reset::new_reset_id(), &user, now).await?;
    let change = Change::new("password.reset_sent", "user", id.as_str()).after(json!({"channel": "email"}));
    audit::record(&mut tx, actor, change, now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(user)
}

/// Sends a new invitation link (the previous one stops working).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id(), user_id = %id))]
pub async fn resend_invitation(state: &App, admin: &Admin, actor: &Actor, id: &UserId) -> Result<User> {
    let account_id = &admin.user.account_id;
    let now = state.now();
    limit_invitations(state, admin, actor, now)?;
    let mut tx = state.db.begin().await?;
    let user = users::get(&mut tx, account_id, id).await?.ok_or(Error::NotFound)?;
    if user.status == UserStatus::Deactivated {
        return Err(Error::conflict("This user is deactivated: reactivate them first."));
    }
    if user.status != UserStatus::Invited {
        return Err(Error::conflict("This user has already accepted their invitation."));
    }
    let account = accounts::get(&mut tx, account_id).await?.ok_or(Error::NotFound)?;
    invitations::issue(state, &mut tx, &user, &account.name, Some(&admin.user.name), now).await?;
    audit::record(&mut tx, actor, Change::new("user.invitation_resent", "user", id.as_str()), now).await?;
    tenantry_storage::commit(tx).await?;
    wake_outbox(state);
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = crate::cursor::encode(&("ana lima", "usr_0123"));
        assert_eq!(decode_cursor(&c).ok(), Some(("ana lima".to_owned(), "usr_0123".to_owned())));
        assert!(decode_cursor("not a cursor!").is_err());
        assert!(decode_cursor("e30").is_err());
    }
}

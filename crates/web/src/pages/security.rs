//! Account settings › Security (Administrators): the password, lockout and session policies; and
//! the pages where a user changes an expired password (rules listed live as they type) or resets a
//! forgotten one from an emailed link.

use super::Section;
use super::session::clear_session_cookie;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::Client;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::security::{self, PolicyChange};
use tenantry_app::{passwords, reset};
use tenantry_domain::SessionScope;
use tenantry_domain::{LockoutPolicy, Password, PasswordContext, PasswordPolicy, SessionPolicy};
use tenantry_storage::security::SecurityPolicies;

#[derive(Template)]
#[template(path = "security/security.html")]
struct SecurityPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    non_compliant: usize,
    form: FormState,
}

/// The values the page shows: what is stored, as text.
fn form_of(p: &SecurityPolicies) -> FormState {
    let on = |b: bool| if b { "on" } else { "" }.to_owned();
    FormState::with(vec![
        ("min_length", p.password.min_length.to_string()),
        ("require_lowercase", on(p.password.require_lowercase)),
        ("require_uppercase", on(p.password.require_uppercase)),
        ("require_digit", on(p.password.require_digit)),
        ("require_symbol", on(p.password.require_symbol)),
        ("expiration_days", p.password.expiration_days.to_string()),
        ("history_count", p.password.history_count.to_string()),
        ("lockout_enabled", on(p.lockout.enabled)),
        ("max_failed_attempts", p.lockout.max_failed_attempts.to_string()),
        ("timeout_enabled", on(p.session.timeout_enabled)),
        ("timeout_minutes", p.session.timeout_minutes.to_string()),
        ("max_age_minutes", p.session.max_age_minutes.to_string()),
        ("require_mfa", on(p.require_mfa)),
    ])
}

/// The values the Administrator typed, kept when something is wrong.
fn form_from(f: &PolicyForm) -> FormState {
    let on = |b: &Option<String>| if b.is_some() { "on" } else { "" }.to_owned();
    FormState::with(vec![
        ("min_length", f.min_length.clone()),
        ("require_lowercase", on(&f.require_lowercase)),
        ("require_uppercase", on(&f.require_uppercase)),
        ("require_digit", on(&f.require_digit)),
        ("require_symbol", on(&f.require_symbol)),
        ("expiration_days", f.expiration_days.clone()),
        ("history_count", f.history_count.clone()),
        ("lockout_enabled", on(&f.lockout_enabled)),
        ("max_failed_attempts", f.max_failed_attempts.clone()),
        ("timeout_enabled", on(&f.timeout_enabled)),
        ("timeout_minutes", f.timeout_minutes.clone()),
        ("max_age_minutes", f.max_age_minutes.clone()),
        ("require_mfa", on(&f.require_mfa)),
    ])
}

/// `GET /security`.
pub async fn page(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let fail = |e| PageError::for_user(e, &admin, Section::Security);
    let p = security::get(&state, &admin).await.map_err(fail)?;
    let non_compliant = security::non_compliant_count(&state, &admin).await.map_err(fail)?;
    let page =
        SecurityPage { chrome: Some(Chrome::new(&admin, Section::Security)), flash, non_compliant, form: form_of(&p) };
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// The page's one form; unchecked checkboxes are absent from it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    min_length: String,
    require_lowercase: Option<String>,
    require_uppercase: Option<String>,
    require_digit: Option<String>,
    require_symbol: Option<String>,
    expiration_days: String,
    history_count: String,
    lockout_enabled: Option<String>,
    max_failed_attempts: String,
    timeout_enabled: Option<String>,
    timeout_minutes: String,
    max_age_minutes: String,
    require_mfa: Option<String>,
}

fn number(errors: &mut tenantry_domain::ValidationErrors, field: &str, value: &str) -> u32 {
    errors.check(field, value.trim().parse::<u32>().map_err(|_| "must be a whole number")).unwrap_or(0)
}

fn changes_of(f: &PolicyForm) -> Result<Vec<PolicyChange>, AppError> {
    let mut e = tenantry_domain::ValidationErrors::new();
    let changes = vec![
        PolicyChange::Password(PasswordPolicy {
            min_length: number(&mut e, "min_length", &f.min_length) as usize,
            require_lowercase: f.require_lowercase.is_some(),
            require_uppercase: f.require_uppercase.is_some(),
            require_digit: f.require_digit.is_some(),
            require_symbol: f.require_symbol.is_some(),
            expiration_days: number(&mut e, "expiration_days", &f.expiration_days),
            history_count: number(&mut e, "history_count", &f.history_count),
        }),
        PolicyChange::Lockout(LockoutPolicy {
            enabled: f.lockout_enabled.is_some(),
            max_failed_attempts: number(&mut e, "max_failed_attempts", &f.max_failed_attempts),
        }),
        PolicyChange::Session(SessionPolicy {
            timeout_enabled: f.timeout_enabled.is_some(),
            timeout_minutes: number(&mut e, "timeout_minutes", &f.timeout_minutes),
            max_age_minutes: number(&mut e, "max_age_minutes", &f.max_age_minutes),
        }),
        PolicyChange::RequireMfa(f.require_mfa.is_some()),
    ];
    if !e.0.is_empty() {
        // Say everything wrong at once: the rules of the fields that were numbers, too.
        let unparsed: Vec<String> = e.0.iter().map(|x| x.field.to_string()).collect();
        if let Err(more) = PolicyChange::validate_all(&changes) {
            e.0.extend(more.0.into_iter().filter(|x| !unparsed.contains(&x.field)));
        }
    }
    e.into_result()?;
    Ok(changes)
}

/// `POST /security`: saves every policy at once (one transaction), or shows each error next to
/// its field with what was typed.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<PolicyForm>,
) -> Result<Response, PageError> {
    let result =
        async { Ok::<_, AppError>(security::update(&state, &admin, &admin.actor, changes_of(&f)?).await?) }.await;
    match result {
        Ok((_, n)) if n > 0 => {
            let msg = format!("Security settings saved. {n} user(s) have a password that no longer meets the policy.");
            Ok((set_flash(&state, jar, &msg), see_other("/security")).into_response())
        }
        Ok(_) => Ok((set_flash(&state, jar, "Security settings saved."), see_other("/security")).into_response()),
        Err(e) => {
            let fail = |e: AppError| PageError::for_user(e, &admin, Section::Security);
            let non_compliant = security::non_compliant_count(&state, &admin).await.map_err(|e| fail(e.into()))?;
            let (status, form) = form_from(&f).fail(e).map_err(fail)?;
            let page =
                SecurityPage { chrome: Some(Chrome::new(&admin, Section::Security)), flash: None, non_compliant, form };
            Ok(render(status, &page))
        }
    }
}

/// `POST /security/require-change`: asks the users who no longer comply for a new password.
pub async fn require_change(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
) -> Result<Response, PageError> {
    let n = security::require_new_passwords(&state, &admin, &admin.actor)
        .await
        .map_err(|e| PageError::for_user(e, &admin, Section::Security))?;
    let msg = format!("{n} user(s) will be asked for a new password at their next sign-in.");
    Ok((set_flash(&state, jar, &msg), see_other("/security")).into_response())
}

#[derive(Template)]
#[template(path = "security/password_change.html")]
struct PasswordChangePage {
    chrome: Option<Chrome>,
    restricted: bool,
    rules: Vec<String>,
    form: FormState,
}

/// The unmet rules, as the live list shows them.
#[derive(Template)]
#[template(path = "security/password_change.html", block = "rules")]
struct RulesFragment {
    rules: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordChangeForm {
    current_password: String,
    new_password: String,
}

fn unmet(policy: &PasswordPolicy, user: &tenantry_storage::users::User, password: &str) -> Vec<String> {
    let who = PasswordContext {
        email: user.email.as_str(),
        username: user.username.as_ref().map(tenantry_domain::Username::as_str),
    };
    policy.violations(&Password::new(password.to_owned()), &who).into_iter().map(|r| r.to_string()).collect()
}

fn change_form() -> FormState {
    FormState::with(vec![("current_password", String::new()), ("new_password", String::new())])
}

/// `GET /password-change`: also where a session with an expired password is sent.
pub async fn change_page(State(state): State<AppState>, PageUser(me): PageUser) -> Result<Response, PageError> {
    let policy = passwords::policy_of(&state, &me.user).await?;
    let page = PasswordChangePage {
        chrome: Some(Chrome::new(&me, Section::PasswordTwoStep)),
        restricted: me.scope == SessionScope::PasswordChange,
        rules: unmet(&policy, &me.user, ""),
        form: change_form(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /password-check` (htmx, on every keystroke): the rules the typed password does not meet yet.
pub async fn check(
    State(state): State<AppState>, PageUser(me): PageUser, PageForm(f): PageForm<PasswordChangeForm>,
) -> Result<Response, PageError> {
    let policy = passwords::policy_of(&state, &me.user).await?;
    Ok(render(StatusCode::OK, &RulesFragment { rules: unmet(&policy, &me.user, &f.new_password) }))
}

/// `POST /password-change`.
pub async fn change(
    State(state): State<AppState>, PageUser(me): PageUser, jar: CookieJar, PageForm(f): PageForm<PasswordChangeForm>,
) -> Result<Response, PageError> {
    let policy = passwords::policy_of(&state, &me.user).await?;
    let rules = unmet(&policy, &me.user, &f.new_password);
    match passwords::change_own(
        &state,
        &me,
        &me.actor,
        Password::new(f.current_password),
        Password::new(f.new_password),
    )
    .await
    {
        Ok(()) => Ok((set_flash(&state, jar, "Your password has been changed."), see_other("/")).into_response()),
        Err(e) => {
            let (status, form) =
                change_form().fail(e).map_err(|e| PageError::for_user(e, &me, Section::PasswordTwoStep))?;
            let page = PasswordChangePage {
                chrome: Some(Chrome::new(&me, Section::PasswordTwoStep)),
                restricted: me.scope == SessionScope::PasswordChange,
                rules,
                form,
            };
            Ok(render(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "security/password_reset.html")]
struct ResetPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// The email of an open link; `None` on the "send me a link" page.
    email: Option<String>,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    email: String,
    new_password: String,
}

/// `GET /password-reset`: asks for the email to send a code or link to.
pub async fn reset_request_page(jar: CookieJar) -> Response {
    let (jar, flash) = take_flash(jar);
    let page = ResetPage { chrome: None, flash, email: None, form: FormState::with(vec![("email", String::new())]) };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// `POST /password-reset`: always the same answer.
pub async fn reset_request(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, PageForm(f): PageForm<ResetForm>,
) -> Result<Response, PageError> {
    reset::request(&state, &f.email, &meta).await?;
    let msg = "If that address has an account, we sent a reset link to it (or a code to its verified phone).";
    Ok((set_flash(&state, jar, msg), see_other("/password-reset")).into_response())
}

/// `GET /password-reset/{token}`: the emailed link.
pub async fn reset_link_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let email = reset::link_email(&state, &token).await.map_err(|_| PageError::from(AppError::NOT_FOUND))?;
    Ok(render(
        StatusCode::OK,
        &ResetPage {
            chrome: None,
            flash: None,
            email: Some(email.to_string()),
            form: FormState::with(vec![("new_password", String::new())]),
        },
    ))
}

/// `POST /password-reset/{token}`: sets the new password; the user signs in with it.
pub async fn reset_link(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, Path(token): Path<String>,
    PageForm(f): PageForm<ResetForm>,
) -> Result<Response, PageError> {
    let email = reset::link_email(&state, &token).await.map_err(|_| PageError::from(AppError::NOT_FOUND))?;
    match reset::confirm(&state, email.as_str(), &token, Password::new(f.new_password), &meta).await {
        Ok(()) => {
            let jar = set_flash(&state, clear_session_cookie(jar), "Your password has been reset. Sign in with it.");
            Ok((jar, see_other("/signin")).into_response())
        }
        Err(e) => {
            let (status, form) = FormState::with(vec![("new_password", String::new())]).fail(e)?;
            Ok(render(status, &ResetPage { chrome: None, flash: None, email: Some(email.to_string()), form }))
        }
    }
}

//! The way in and out: home redirect, sign-in, sign-up, sign-out, and invitation links.

use super::session::{clear_session_cookie, session_cookie};
use super::{
    Chrome, FormState, MaybePageUser, PageError, PageForm, PageUser, render, see_other, set_flash, take_flash,
};
use crate::api::auth::SignUpRequest;
use crate::extract::{AuthUser, Client};
use crate::state::AppState;
use askama::Template;
use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::auth::SignInStep;
use tenantry_app::{SignupMode, accounts, auth, invitations};
use tenantry_domain::SessionScope;
use tenantry_domain::{PasswordPolicy, Role};
use tenantry_storage::accounts::Account;
use tenantry_storage::invitations::OpenInvitation;

/// What a new password must be, said next to the field.
fn password_hint() -> String {
    policy_hint(&PasswordPolicy::default())
}

/// What `policy` asks of a new password, in one sentence.
fn policy_hint(policy: &PasswordPolicy) -> String {
    let mut needs: Vec<&str> = Vec::new();
    for (on, what) in [
        (policy.require_lowercase, "a lowercase letter"),
        (policy.require_uppercase, "an uppercase letter"),
        (policy.require_digit, "a digit"),
        (policy.require_symbol, "a symbol"),
    ] {
        if on {
            needs.push(what);
        }
    }
    let mut hint = format!("At least {} characters", policy.min_length);
    if !needs.is_empty() {
        hint.push_str(&format!(", with {}", needs.join(", ")));
    }
    hint.push_str(". Not a common password, nor your email.");
    hint
}

/// The hint for the password policy of the invitation's account.
async fn invitation_hint(state: &AppState, invitation: &OpenInvitation) -> String {
    match tenantry_app::security::of_account(state, &invitation.account_id).await {
        Ok(p) => policy_hint(&p.password),
        Err(_) => password_hint(),
    }
}

/// Where a signed-in user starts.
fn start_page(user: &AuthUser) -> &'static str {
    start_page_for(user.user.role)
}

fn start_page_for(role: Role) -> &'static str {
    match role {
        Role::Administrator => "/users",
        Role::Member => "/me",
    }
}

/// `/`: Administrators go to the Users lobby, Members to their settings, others to sign in.
pub async fn home(MaybePageUser(user): MaybePageUser) -> Response {
    see_other(user.as_ref().map_or("/signin", start_page))
}

#[derive(Template)]
#[template(path = "auth/signin.html")]
struct SignInPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    form: FormState,
    signup_open: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
}

/// The cookie holding a pending two-step sign-in's token, sent only to the sign-in pages.
const CHALLENGE_COOKIE: &str = "tenantry_signin";
const CHALLENGE_PATH: &str = "/signin";

fn challenge_cookie(state: &AppState, token: &str) -> Cookie<'static> {
    let mut cookie = Cookie::new(CHALLENGE_COOKIE, token.to_owned());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path(CHALLENGE_PATH);
    cookie.set_secure(state.secure_cookies());
    let seconds = tenantry_domain::limits::SIGN_IN_CHALLENGE_TTL_MS / 1000;
    cookie.set_max_age(Cookie::parse(format!("m=; Max-Age={seconds}")).ok().and_then(|c| c.max_age()));
    cookie
}

fn clear_challenge(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(CHALLENGE_COOKIE).path(CHALLENGE_PATH))
}

/// Where a new session goes: its start page, or the one thing a restricted session must do.
fn signed_in_to(signed_in: &tenantry_app::auth::SignedIn) -> &'static str {
    match signed_in.scope {
        SessionScope::Full => start_page_for(signed_in.user.role),
        restricted => super::session::restricted_page(restricted),
    }
}

pub async fn sign_in_page(
    State(state): State<AppState>, MaybePageUser(user): MaybePageUser, jar: CookieJar,
) -> Response {
    if let Some(user) = user {
        return see_other(start_page(&user));
    }
    let (jar, flash) = take_flash(jar);
    let page = SignInPage {
        chrome: None,
        flash,
        form: FormState::with(vec![("email", String::new()), ("password", String::new())]),
        signup_open: state.config.signup != tenantry_app::SignupMode::Closed,
    };
    (jar, render(StatusCode::OK, &page)).into_response()
}

/// `POST /signin`: email and password. With two-step verification on, the code is asked on the
/// next page; the password is not asked again.
pub async fn sign_in(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, PageForm(f): PageForm<SignInForm>,
) -> Result<Response, PageError> {
    let form = FormState::with(vec![("email", f.email.clone()), ("password", String::new())]);
    match auth::begin_sign_in(&state, &f.email, tenantry_domain::Password::new(f.password), &meta).await {
        Ok(SignInStep::Done(signed_in)) => {
            let jar = clear_challenge(jar).add(session_cookie(&state, &signed_in));
            if let (jar, Some(page)) = super::oidc::resume(jar.clone(), signed_in.scope) {
                return Ok((jar, page).into_response());
            }
            Ok((jar, see_other(signed_in_to(&signed_in))).into_response())
        }
        Ok(SignInStep::NeedsCode(token)) => {
            Ok((jar.add(challenge_cookie(&state, token.expose())), see_other("/signin/code")).into_response())
        }
        Err(e) => {
            let (status, form) = form.fail(e)?;
            Ok(render(
                status,
                &SignInPage {
                    chrome: None,
                    flash: None,
                    form,
                    signup_open: state.config.signup != tenantry_app::SignupMode::Closed,
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "auth/signin_code.html")]
struct SignInCodePage {
    chrome: Option<Chrome>,
    form: FormState,
    /// Asking for a recovery code instead of the app's code.
    recovery: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeQuery {
    recovery: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    recovery: String,
}

/// `GET /signin/code`: the second step, while a sign-in is pending.
pub async fn sign_in_code_page(jar: CookieJar, Query(q): Query<CodeQuery>) -> Response {
    if jar.get(CHALLENGE_COOKIE).is_none() {
        return see_other("/signin");
    }
    let page = SignInCodePage {
        chrome: None,
        form: FormState::with(vec![("code", String::new())]),
        recovery: q.recovery.is_some_and(|r| r == "1"),
    };
    render(StatusCode::OK, &page)
}

/// `POST /signin/code`: the code from the authenticator app, or a recovery code.
pub async fn sign_in_code(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, PageForm(f): PageForm<CodeForm>,
) -> Result<Response, PageError> {
    let Some(challenge) = jar.get(CHALLENGE_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(see_other("/signin"));
    };
    let recovery = f.recovery == "1";
    match auth::finish_sign_in(&state, &challenge, &f.code, &meta).await {
        Ok(signed_in) => {
            let jar = clear_challenge(jar).add(session_cookie(&state, &signed_in));
            if let (jar, Some(page)) = super::oidc::resume(jar.clone(), signed_in.scope) {
                return Ok((jar, page).into_response());
            }
            Ok((jar, see_other(signed_in_to(&signed_in))).into_response())
        }
        // Too late, already used, or the user was locked or deactivated meanwhile: start again.
        Err(e @ (Error::Unauthorized(_) | Error::Locked(_) | Error::Forbidden(_))) => {
            let jar = set_flash(&state, clear_challenge(jar), &e.to_string());
            Ok((jar, see_other("/signin")).into_response())
        }
        Err(Error::MfaRequired(_)) => {
            let mut form = FormState::with(vec![("code", String::new())]);
            form.set_error("code", "is wrong or was already used");
            Ok(render(StatusCode::UNAUTHORIZED, &SignInCodePage { chrome: None, form, recovery }))
        }
        Err(e) => {
            let (status, form) = FormState::with(vec![("code", String::new())]).fail(e)?;
            Ok(render(status, &SignInCodePage { chrome: None, form, recovery }))
        }
    }
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignUpPage {
    chrome: Option<Chrome>,
    open: bool,
    /// `verify` mode: a link is sent before the account exists (the form says so).
    verify: bool,
    /// After a `verify` sign-up: the address the link went to (or would have gone to).
    sent_to: Option<String>,
    form: FormState,
    password_hint: String,
}

impl SignUpPage {
    fn new(state: &AppState, form: FormState) -> Self {
        SignUpPage {
            chrome: None,
            open: state.config.signup != SignupMode::Closed,
            verify: state.config.signup == SignupMode::Verify,
            sent_to: None,
            form,
            password_hint: password_hint(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignUpForm {
    account_name: String,
    name: String,
    email: String,
    password: String,
}

fn sign_up_form(f: &SignUpForm) -> FormState {
    FormState::with(vec![
        ("account_name", f.account_name.clone()),
        ("name", f.name.clone()),
        ("email", f.email.clone()),
        ("password", String::new()),
    ])
}

pub async fn sign_up_page(State(state): State<AppState>) -> Response {
    let page = SignUpPage::new(&state, sign_up_form(&SignUpForm::default()));
    render(if page.open { StatusCode::OK } else { StatusCode::FORBIDDEN }, &page)
}

pub async fn sign_up(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, PageForm(f): PageForm<SignUpForm>,
) -> Result<Response, PageError> {
    let form = sign_up_form(&f);
    let email = f.email.trim().to_owned();
    let request = SignUpRequest { account_name: f.account_name, name: f.name, email: f.email, password: f.password };
    let result = match accounts::SignUp::try_from(request) {
        Ok(input) => accounts::sign_up(&state, input, &meta).await,
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(accounts::SignUpOutcome::Created(done)) => Ok(welcome(&state, jar, *done)),
        // The same page whether the address was new or not: only its owner learns which.
        Ok(accounts::SignUpOutcome::VerificationSent) => {
            let page =
                SignUpPage { sent_to: Some(email), ..SignUpPage::new(&state, sign_up_form(&SignUpForm::default())) };
            Ok(render(StatusCode::ACCEPTED, &page))
        }
        Err(e) => {
            let closed = matches!(e, Error::Forbidden(_));
            let (status, form) = form.fail(e)?;
            let page = SignUpPage::new(&state, form);
            Ok(render(status, &SignUpPage { open: page.open && !closed, ..page }))
        }
    }
}

/// Signs the new Administrator in and opens their account.
fn welcome(state: &AppState, jar: CookieJar, (account, signed_in): (Account, auth::SignedIn)) -> Response {
    let jar = set_flash(
        state,
        jar.add(session_cookie(state, &signed_in)),
        &format!("Welcome! Your account {} is ready.", account.name),
    );
    (jar, see_other("/users")).into_response()
}

#[derive(Template)]
#[template(path = "auth/signup_link.html")]
struct SignUpLinkPage {
    chrome: Option<Chrome>,
    email: String,
}

/// `GET /signup/{token}`: the page a sign-up link opens; a button creates the account (mail
/// scanners that fetch links create nothing).
pub async fn sign_up_link_page(
    State(state): State<AppState>, Path(token): Path<String>,
) -> Result<Response, PageError> {
    match accounts::sign_up_link_email(&state, &token).await {
        Ok(email) => Ok(render(StatusCode::OK, &SignUpLinkPage { chrome: None, email })),
        Err(Error::NotFound) => Err(sign_up_link_gone()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /signup/{token}`: creates the account and signs its Administrator in.
pub async fn complete_sign_up(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, Path(token): Path<String>,
) -> Result<Response, PageError> {
    match accounts::complete_sign_up(&state, &token, &meta).await {
        Ok(done) => Ok(welcome(&state, jar, done)),
        Err(Error::NotFound) => Err(sign_up_link_gone()),
        Err(e) => Err(e.into()),
    }
}

fn sign_up_link_gone() -> PageError {
    PageError::link_gone(
        "This sign-up link has expired or was already used",
        "Sign-up links work once, for 24 hours. Sign up again, or sign in if your account exists.",
    )
}

/// Ends the browser's session and forgets the cookie.
pub async fn sign_out(
    State(state): State<AppState>, PageUser(user): PageUser, jar: CookieJar,
) -> Result<Response, PageError> {
    auth::sign_out(&state, user.credential.id()).await?;
    let jar = set_flash(&state, clear_session_cookie(jar), "You have signed out.");
    Ok((jar, see_other("/signin")).into_response())
}

#[derive(Template)]
#[template(path = "auth/invitation.html")]
struct InvitationPage {
    chrome: Option<Chrome>,
    invitation: OpenInvitation,
    form: FormState,
    password_hint: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    password: String,
}

/// Looks up a link; unknown, used and expired ones get the same friendly 404 page.
async fn open_invitation(state: &AppState, token: &str) -> Result<OpenInvitation, PageError> {
    match invitations::lookup(state, token).await {
        Ok(i) => Ok(i),
        Err(Error::NotFound) => Err(PageError::invitation_gone()),
        Err(e) => Err(e.into()),
    }
}

pub async fn invitation_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let invitation = open_invitation(&state, &token).await?;
    let password_hint = invitation_hint(&state, &invitation).await;
    let page = InvitationPage {
        chrome: None,
        invitation,
        form: FormState::with(vec![("password", String::new())]),
        password_hint,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn accept_invitation(
    State(state): State<AppState>, Client(meta): Client, jar: CookieJar, Path(token): Path<String>,
    PageForm(f): PageForm<AcceptForm>,
) -> Result<Response, PageError> {
    let invitation = open_invitation(&state, &token).await?;
    match invitations::accept(&state, &token, tenantry_domain::Password::new(f.password), &meta).await {
        Ok(signed_in) => {
            let welcome =
                format!("Welcome to {}! Your password is set and you are signed in.", invitation.account_name);
            let jar = set_flash(&state, jar.add(session_cookie(&state, &signed_in)), &welcome);
            Ok((jar, see_other("/")).into_response())
        }
        Err(Error::NotFound) => Err(PageError::invitation_gone()),
        Err(e) => {
            let (status, form) = FormState::with(vec![("password", String::new())]).fail(e)?;
            let password_hint = invitation_hint(&state, &invitation).await;
            Ok(render(status, &InvitationPage { chrome: None, invitation, form, password_hint }))
        }
    }
}

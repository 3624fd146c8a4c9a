//! Account settings › Live chat teams (Administrators): the account's teams with their member
//! counts and a form to create one; a team's page renames or redescribes it, adds a member
//! (chosen among the account's users not in it), removes members and deletes it.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, PageForm, render, see_other, set_flash, take_flash};
use crate::error::AppError;
use crate::extract::{AdminUser, PathId, parse_id};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tenantry_app::Error;
use tenantry_app::chat_teams::{self, NewTeam, TeamPatch, parse_description, parse_name};
use tenantry_app::users::{self, ListParams};
use tenantry_domain::id::ChatTeamId;
use tenantry_domain::{UserId, ValidationErrors};
use tenantry_storage::chat_teams::ChatTeam;

/// Most users the "Add a member" list offers at once (a search narrows it).
const MAX_CHOICES: i64 = 200;

/// An error page under this section's navigation.
fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::ChatTeams)
}

#[derive(Template)]
#[template(path = "account/chat_teams.html")]
struct TeamsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    teams: Vec<ChatTeam>,
    /// The link to the next page of teams, if there is one.
    next: Option<String>,
    /// Whether this is a later page (offers a way back to the first).
    paged: bool,
    form: FormState,
}

/// The name and description form, as posted.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamForm {
    name: String,
    description: String,
}

impl TeamForm {
    fn state(&self) -> FormState {
        FormState::with(vec![("name", self.name.clone()), ("description", self.description.clone())])
    }

    /// The name and description, checked.
    fn parsed(&self) -> Result<(String, String), Error> {
        let mut e = ValidationErrors::new();
        let name = e.check("name", parse_name(&self.name));
        let description = e.check("description", parse_description(&self.description));
        match (name, description) {
            (Some(n), Some(d)) => Ok((n, d)),
            _ => Err(Error::Validation(e)),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    cursor: String,
}

async fn teams_page(
    state: &AppState, admin: &AdminUser, flash: Option<String>, cursor: &str, form: FormState,
) -> Result<TeamsPage, PageError> {
    let (limit, after) = tenantry_app::cursor::page_request(None, Some(cursor)).map_err(fail(admin))?;
    let (teams, next) = chat_teams::list(state, admin, after, limit).await.map_err(fail(admin))?;
    let next = next.map(|c| {
        url::form_urlencoded::Serializer::new(String::from("/account/chat-teams?")).append_pair("cursor", &c).finish()
    });
    Ok(TeamsPage {
        chrome: Some(Chrome::new(admin, Section::ChatTeams)),
        flash,
        teams,
        next,
        paged: !cursor.is_empty(),
        form,
    })
}

/// `GET /account/chat-teams`.
pub async fn list(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (jar, flash) = take_flash(jar);
    let page = teams_page(&state, &admin, flash, &q.cursor, TeamForm::default().state()).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// `POST /account/chat-teams`: creates a team and opens its page to add members.
pub async fn create(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PageForm(f): PageForm<TeamForm>,
) -> Result<Response, PageError> {
    let result = match f.parsed() {
        Ok((name, description)) => {
            let team = NewTeam { name, description, member_ids: Vec::new() };
            chat_teams::create(&state, &admin, &admin.actor, team).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(team) => {
            let message = format!("The team {} has been created. Add the users who answer its chats.", team.name);
            let jar = set_flash(&state, jar, &message);
            Ok((jar, see_other(&format!("/account/chat-teams/{}", team.id))).into_response())
        }
        Err(e) => {
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            Ok(render(status, &teams_page(&state, &admin, None, "", form).await?))
        }
    }
}

/// A member as the team's page lists them.
struct Member {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "account/chat_team.html")]
struct TeamPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    team: ChatTeam,
    members: Vec<Member>,
    /// Users of the account not in the team, as (id, "Name (email)").
    candidates: Vec<(String, String)>,
    /// The search that narrowed the candidates.
    q: String,
    /// More users match than the list shows.
    more_candidates: bool,
    form: FormState,
    member_form: FormState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamQuery {
    /// Narrows the users offered by "Add a member".
    q: String,
}

/// The team's page around its forms.
async fn team_page(
    state: &AppState, admin: &AdminUser, team: ChatTeam, flash: Option<String>, q: &str, form: FormState,
    member_form: FormState,
) -> Result<TeamPage, PageError> {
    let names = chat_teams::member_names(state, admin, &team).await.map_err(fail(admin))?;
    let members = team
        .member_ids
        .iter()
        .map(|id| Member { id: id.to_string(), name: names.get(id.as_str()).cloned().unwrap_or_default() })
        .collect();
    let q = q.trim().to_owned();
    let params =
        ListParams { q: (!q.is_empty()).then(|| q.clone()), limit: Some(MAX_CHOICES), ..ListParams::default() };
    let listed = users::list(state, admin, params).await.map_err(fail(admin))?;
    let candidates = listed
        .users
        .iter()
        .filter(|u| !team.member_ids.contains(&u.user.id))
        .map(|u| (u.user.id.to_string(), format!("{} ({})", u.user.name, u.user.email)))
        .collect();
    Ok(TeamPage {
        chrome: Some(Chrome::new(admin, Section::ChatTeams)),
        flash,
        team,
        members,
        candidates,
        q,
        more_candidates: listed.next_cursor.is_some(),
        form,
        member_form,
    })
}

fn team_form(team: &ChatTeam) -> FormState {
    TeamForm { name: team.name.clone(), description: team.description.clone() }.state()
}

fn member_form(user_id: &str) -> FormState {
    FormState::with(vec![("user_id", user_id.to_owned())])
}

/// `GET /account/chat-teams/{id}`.
pub async fn show(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<ChatTeamId>,
    Query(query): Query<TeamQuery>,
) -> Result<Response, PageError> {
    let team = chat_teams::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    let (jar, flash) = take_flash(jar);
    let form = team_form(&team);
    let page = team_page(&state, &admin, team, flash, &query.q, form, member_form("")).await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

fn back_to(id: &ChatTeamId) -> String {
    format!("/account/chat-teams/{id}")
}

/// `POST /account/chat-teams/{id}`: renames or redescribes the team.
pub async fn save(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<ChatTeamId>,
    PageForm(f): PageForm<TeamForm>,
) -> Result<Response, PageError> {
    let result = match f.parsed() {
        Ok((name, description)) => {
            let patch = TeamPatch { name: Some(name), description: Some(description), member_ids: None };
            chat_teams::update(&state, &admin, &admin.actor, &id, patch).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(team) => {
            let jar = set_flash(&state, jar, &format!("The team {} has been saved.", team.name));
            Ok((jar, see_other(&back_to(&id))).into_response())
        }
        Err(e) => {
            let (status, form) = f.state().fail(e).map_err(fail(&admin))?;
            let team = chat_teams::get(&state, &admin, &id).await.map_err(fail(&admin))?;
            Ok(render(status, &team_page(&state, &admin, team, None, "", form, member_form("")).await?))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    user_id: String,
}

/// `POST /account/chat-teams/{id}/members`: adds the chosen user.
pub async fn add_member(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<ChatTeamId>,
    PageForm(f): PageForm<MemberForm>,
) -> Result<Response, PageError> {
    let result = match UserId::parse(f.user_id.trim()) {
        Some(user) => chat_teams::add_member(&state, &admin, &admin.actor, &id, user).await,
        None if f.user_id.trim().is_empty() => Err(Error::invalid("user_id", "is required: choose a user")),
        None => Err(Error::invalid("user_id", "is not a user of this account")),
    };
    match result {
        Ok(team) => {
            let added = team.member_ids.last().map(ToString::to_string).unwrap_or_default();
            let names = chat_teams::member_names(&state, &admin, &team).await.map_err(fail(&admin))?;
            let name = names.get(f.user_id.trim()).or_else(|| names.get(&added)).cloned().unwrap_or_default();
            let jar = set_flash(&state, jar, &format!("{name} has been added to {}.", team.name));
            Ok((jar, see_other(&back_to(&id))).into_response())
        }
        Err(e) => {
            // The service names the whole member list; on this form it is the one user chosen.
            let e = match e {
                Error::Validation(mut v) => {
                    for field in &mut v.0 {
                        if field.field == "member_ids" {
                            field.field = "user_id".to_owned();
                            field.message = "is not a user of this account".to_owned();
                        }
                    }
                    Error::Validation(v)
                }
                other => other,
            };
            let (status, members) = member_form(&f.user_id).fail(e).map_err(fail(&admin))?;
            let team = chat_teams::get(&state, &admin, &id).await.map_err(fail(&admin))?;
            let form = team_form(&team);
            Ok(render(status, &team_page(&state, &admin, team, None, "", form, members).await?))
        }
    }
}

/// `POST /account/chat-teams/{id}/members/{user_id}/remove`: takes a user out of the team.
pub async fn remove_member(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: ChatTeamId = parse_id(id).map_err(fail(&admin))?;
    let user: UserId = parse_id(user_id).map_err(fail(&admin))?;
    let before = chat_teams::get(&state, &admin, &id).await.map_err(fail(&admin))?;
    let names = chat_teams::member_names(&state, &admin, &before).await.map_err(fail(&admin))?;
    let team = chat_teams::remove_member(&state, &admin, &admin.actor, &id, &user).await.map_err(fail(&admin))?;
    let message = match names.get(user.as_str()) {
        Some(name) => format!("{name} has been removed from {}.", team.name),
        None => format!("That user is no longer in {}.", team.name),
    };
    Ok((set_flash(&state, jar, &message), see_other(&back_to(&id))).into_response())
}

/// `POST /account/chat-teams/{id}/delete`: deletes the team (its members stay users).
pub async fn delete(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin, jar: CookieJar, PathId(id): PathId<ChatTeamId>,
) -> Result<Response, PageError> {
    let team = chat_teams::delete(&state, &admin, &admin.actor, &id).await.map_err(fail(&admin))?;
    let message = format!("The team {} has been deleted. Its members are still users of the account.", team.name);
    Ok((set_flash(&state, jar, &message), see_other("/account/chat-teams")).into_response())
}

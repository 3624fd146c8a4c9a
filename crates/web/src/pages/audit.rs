//! Account settings › Audit log (Administrators): who did what, when and from where, filtered by
//! actor, action and a range of days in the viewer's time zone, a page at a time; and the same
//! events as a CSV download, streamed a chunk at a time so a long log is never held in memory.

use super::Section;
use super::{Chrome, FormState, PageAdmin, PageError, render};
use crate::error::AppError;
use crate::extract::AdminUser;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use tenantry_app::audit::{self, ACTION_GROUPS, ActorChoice, Entry, Filter};
use tenantry_app::cursor;
use tenantry_domain::time::LocalTime;

/// Events on one page of the table.
const PAGE_SIZE: i64 = 50;
/// Events read from the database for each chunk of the CSV.
const CSV_CHUNK: i64 = 500;
/// Users offered in the actor filter (any other is reached from a row's actor link).
const MAX_ACTOR_CHOICES: i64 = 500;

/// The filters as they arrive in the address (and the cursor of a later page).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AuditParams {
    actor: String,
    action: String,
    from: String,
    to: String,
    cursor: String,
}

impl AuditParams {
    fn form(&self) -> FormState {
        FormState::with(vec![
            ("actor", self.actor.trim().to_owned()),
            ("action", self.action.trim().to_owned()),
            ("from", self.from.trim().to_owned()),
            ("to", self.to.trim().to_owned()),
        ])
    }

    /// `path` with the filters in use (and `cursor` when given) as its query.
    fn href(&self, path: &str, cursor: Option<&str>) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [("actor", &self.actor), ("action", &self.action), ("from", &self.from), ("to", &self.to)] {
            if !value.trim().is_empty() {
                url.append_pair(key, value.trim());
            }
        }
        if let Some(c) = cursor {
            url.append_pair("cursor", c);
        }
        let query = url.finish();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    }

    fn filtered(&self) -> bool {
        [&self.actor, &self.action, &self.from, &self.to].iter().any(|v| !v.trim().is_empty())
    }
}

/// One row of the table, ready to show.
struct Row {
    when: String,
    /// RFC 3339, for `<time datetime>`.
    when_iso: String,
    who: String,
    email: Option<String>,
    /// Filters the log by this actor.
    actor_href: Option<String>,
    action: String,
    description: String,
    target: String,
    changes: Vec<String>,
    ip: String,
}

#[derive(Template)]
#[template(path = "account/audit.html")]
struct AuditPage {
    chrome: Option<Chrome>,
    form: FormState,
    actors: Vec<ActorChoice>,
    /// Whether the account has more users than the actor filter lists.
    more_actors: bool,
    groups: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    /// The two ends of the date range: field name and label.
    date_fields: [(&'static str, &'static str); 2],
    rows: Vec<Row>,
    filtered: bool,
    /// A later page (offers a way back to the newest events).
    paged: bool,
    next: Option<String>,
    first_page: String,
    csv: String,
}

fn fail<E: Into<AppError>>(admin: &AdminUser) -> impl Fn(E) -> PageError + '_ {
    move |e| PageError::for_user(e, admin, Section::AuditLog)
}

/// `GET /account/audit`.
pub async fn page(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin,
    query: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(params) = query.map_err(|e| fail(&admin)(AppError::BadRequest(e.body_text())))?;
    let local = admin.user.local_time();
    let (mut actors, more_actors) =
        audit::actor_choices(&state, &admin, MAX_ACTOR_CHOICES).await.map_err(fail(&admin))?;
    let filter = Filter::from_choices(&admin.user.timezone, &params.actor, &params.action, &params.from, &params.to);
    let (status, form, entries, next) = match filter {
        Ok(filter) => {
            let after = Some(params.cursor.trim())
                .filter(|c| !c.is_empty())
                .map(cursor::decode::<audit::Position>)
                .transpose()
                .map_err(fail(&admin))?;
            let page = audit::entries(&state, &admin, &filter, after, PAGE_SIZE).await.map_err(fail(&admin))?;
            (StatusCode::OK, params.form(), page.entries, page.next)
        }
        Err(e) => {
            let (status, form) = params.form().fail(e).map_err(fail(&admin))?;
            (status, form, Vec::new(), None)
        }
    };
    // An actor reached from a row's link may be beyond the users listed: keep it chosen.
    let actor = params.actor.trim();
    if !actor.is_empty() && !actors.iter().any(|a| a.id == actor) {
        let known = entries.iter().find(|e| e.actor_id.as_deref() == Some(actor)).map(|e| &e.who);
        actors.insert(
            0,
            ActorChoice {
                id: actor.to_owned(),
                name: known.map_or("The chosen user", |w| w.name()).to_owned(),
                email: known.and_then(|w| w.email()).unwrap_or_default().to_owned(),
            },
        );
    }
    let rows = entries.into_iter().map(|e| row(&params, &local, e)).collect();
    let page = AuditPage {
        chrome: Some(Chrome::new(&admin, Section::AuditLog)),
        form,
        actors,
        more_actors,
        groups: ACTION_GROUPS,
        date_fields: [("from", "From"), ("to", "To")],
        rows,
        filtered: params.filtered(),
        paged: !params.cursor.trim().is_empty(),
        next: next.map(|n| params.href("/account/audit", Some(&cursor::encode(&n)))),
        first_page: params.href("/account/audit", None),
        csv: params.href("/account/audit.csv", None),
    };
    Ok(render(status, &page))
}

fn row(params: &AuditParams, local: &LocalTime, e: Entry) -> Row {
    let actor_href = e.actor_id.as_ref().map(|id| {
        let only = AuditParams { actor: id.clone(), cursor: String::new(), ..params.clone() };
        only.href("/account/audit", None)
    });
    Row {
        when: local.date_time(e.at),
        when_iso: tenantry_domain::time::rfc3339(e.at),
        who: e.who.name().to_owned(),
        email: e.who.email().map(str::to_owned),
        actor_href,
        description: e.description.to_string(),
        target: target(&e),
        changes: changes(e.before.as_ref(), e.after.as_ref()),
        ip: e.ip.clone().unwrap_or_default(),
        action: e.action,
    }
}

/// What the event is about, by name where there is one.
fn target(e: &Entry) -> String {
    let named = |v: Option<&Value>| v.and_then(|v| v.get("name")).and_then(Value::as_str).map(str::to_owned);
    match e.target_type.as_str() {
        "user" => e.target_name.clone().unwrap_or_else(|| "A deleted user".to_owned()),
        "account" => "The account".to_owned(),
        kind => {
            let kind = label(kind);
            match named(e.after.as_ref()).or_else(|| named(e.before.as_ref())) {
                Some(name) => format!("{kind} “{name}”"),
                None => kind,
            }
        }
    }
}

fn words(key: &str) -> String {
    key.replace('_', " ")
}

/// A field's name as a label: `failed_attempts` → "Failed attempts" (a few read better renamed).
fn label(key: &str) -> String {
    match key {
        "mfa" => return "Two-step".to_owned(),
        "compliance_bcc_email" => return "Compliance BCC email".to_owned(),
        "scope" => return "Session".to_owned(),
        _ => {}
    }
    let words = words(key);
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A short, readable value (strings unquoted, long ones cut).
fn short(v: &Value) -> String {
    let text = match v {
        Value::Null => "none".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(s) if s.is_empty() => "empty".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 { format!("{}…", text.chars().take(59).collect::<String>()) } else { text }
}

/// What changed, one line per field (at most six): `name: Acme → Acme Inc`. An event with only one
/// side shows its details when they are few (`integration: Google`); a whole object created or
/// deleted is not listed (the export has it).
fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let (before, after) = (before.and_then(Value::as_object), after.and_then(Value::as_object));
    let lines: Vec<String> = match (before, after) {
        (Some(b), Some(a)) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| format!("{}: {} → {}", label(k), b.get(k).map_or_else(|| "none".to_owned(), short), short(v)))
            .collect(),
        (None, Some(only)) | (Some(only), None) if only.len() <= 3 => {
            only.iter().filter(|(k, _)| *k != "id").map(|(k, v)| format!("{}: {}", label(k), short(v))).collect()
        }
        _ => Vec::new(),
    };
    lines.into_iter().take(6).collect()
}

/// The columns of the CSV export.
const CSV_HEADER: &str =
    "time,actor_name,actor_email,actor_id,action,description,target_type,target_id,target_name,ip,before,after\r\n";

/// Appends one CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge
/// space; a value a spreadsheet would run as a formula is prefixed with `'`.
fn csv_field(out: &mut String, value: &str) {
    let value: Cow<'_, str> = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    };
    if value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

fn csv_rows(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(entries.len() * 200);
    for e in entries {
        let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
        let fields = [
            tenantry_domain::time::rfc3339(e.at),
            e.who.name().to_owned(),
            e.who.email().unwrap_or_default().to_owned(),
            e.actor_id.clone().unwrap_or_default(),
            e.action.clone(),
            e.description.to_string(),
            e.target_type.clone(),
            e.target_id.clone().unwrap_or_default(),
            e.target_name.clone().unwrap_or_default(),
            e.ip.clone().unwrap_or_default(),
            json(&e.before),
            json(&e.after),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, f);
        }
        out.push_str("\r\n");
    }
    out
}

/// `GET /account/audit.csv`: every event matching the filters, newest first, as a download.
pub async fn csv(
    State(state): State<AppState>, PageAdmin(admin): PageAdmin,
    query: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(params) = query.map_err(|e| fail(&admin)(AppError::BadRequest(e.body_text())))?;
    let filter = Filter::from_choices(&admin.user.timezone, &params.actor, &params.action, &params.from, &params.to)
        .map_err(fail(&admin))?;
    let filename = format!(
        "audit-log-{}.csv",
        jiff::Timestamp::from_millisecond(state.now()).map_or_else(
            |_| "export".to_owned(),
            |t| t.to_zoned(jiff::tz::TimeZone::UTC).strftime("%Y-%m-%d").to_string(),
        )
    );
    let body = crate::download::csv("audit log export", CSV_HEADER, move |after| {
        let (state, admin, filter) = (state.clone(), admin.clone(), filter.clone());
        async move {
            let chunk = audit::entries(&state, &admin, &filter, after, CSV_CHUNK).await?;
            Ok((csv_rows(&chunk.entries), chunk.next))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        let mut out = String::new();
        for v in ["plain", "a,b", "say \"hi\"", "two\nlines", " edge", "=SUM(A1)"] {
            csv_field(&mut out, v);
            out.push('|');
        }
        assert_eq!(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|\" edge\"|'=SUM(A1)|");
    }

    #[test]
    fn changes_list_what_differs() {
        let before = json!({"name": "Acme", "compliance_bcc_email": null, "partner_referral_code": "x"});
        let after =
            json!({"name": "Acme Inc", "compliance_bcc_email": "bcc@example.com", "partner_referral_code": "x"});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            ["Compliance BCC email: none → bcc@example.com", "Name: Acme → Acme Inc"]
        );
        assert_eq!(changes(None, Some(&json!({"integration": "Google"}))), ["Integration: Google"]);
        let created = json!({"id": "usr_1", "name": "Bruno", "email": "b@example.com", "role": "member"});
        assert!(changes(None, Some(&created)).is_empty(), "a whole new object is not listed");
        assert!(changes(None, None).is_empty());
    }
}

//! Importing users from a CSV file (Administrators and the command line) and exporting them as one.
//!
//! An import reads the whole file first: every row is checked (with the same rules and messages as
//! inviting one user), rows whose email exists already or repeats an earlier row are skipped, and
//! the seats the file needs are counted product by product. Only then are the valid rows written,
//! all in one transaction, with their invitation emails queued in the same transaction.

use crate::audit::{self, Change};
use crate::users::{ListParams, MAX_PAGE};
use crate::{Actor, Admin, App, Error, Result, licenses, wake_outbox};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use tenantry_domain::{
    AccountId, AccountName, Catalog, EmailAddress, InvitationId, OutgoingEmail, PersonName, Product, Role, UserId,
    ValidationErrors,
};
use tenantry_storage::import::{self as store, ImportedInvitation, ImportedUser};
use tenantry_storage::{Conn, accounts};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 10_000;
/// The columns an import file must have (in any order).
pub const COLUMNS: [&str; 4] = ["email", "name", "role", "licenses"];
/// The first line of an export.
pub const EXPORT_HEADER: &str = "email,name,role,status,licenses\r\n";
/// Users written per round of statements (and per step of the progress report).
const WRITE_CHUNK: usize = 500;

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Queue an invitation email for every new user (else they are invited silently).
    pub send_invitations: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { dry_run: false, send_invitations: true }
    }
}

/// Why one row was not imported. `row` is the line of the file it starts on (the header is 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// A valid row.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub row: u64,
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
    pub licenses: Vec<Product>,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub created: usize,
    pub skipped: usize,
    pub errors: Vec<RowError>,
    /// The rows created (or that would be), in file order.
    pub rows: Vec<Candidate>,
}

/// The file read and checked row by row.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The valid rows, in file order.
    pub candidates: Vec<Candidate>,
    /// What is wrong with the other rows, in file order.
    pub errors: Vec<RowError>,
}

/// Reads the file: a header naming the four columns in any order, then at most [`MAX_ROWS`] rows
/// whose licenses must be products of `catalog`. A file that cannot be read as a whole (no or a
/// wrong header, too many rows) is refused with 422; a bad row is only reported. Reads nothing
/// else (no database, no clock), so it can be fuzzed on its own.
pub fn parse(catalog: &Catalog, data: &[u8]) -> Result<Parsed> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(false).trim(csv::Trim::All).from_reader(data);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(Error::invalid("header", "the file is empty: its first line must be email,name,role,licenses"));
        }
        Some(Err(_)) => return Err(Error::invalid("header", "the first line cannot be read as CSV in UTF-8")),
        Some(Ok(h)) => h,
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut problems = ValidationErrors::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.to_lowercase();
        if COLUMNS.contains(&name.as_str()) && index.insert(name.clone(), i).is_some() {
            problems.push("header", format!("names the column \"{name}\" twice"));
        }
    }
    for column in COLUMNS {
        if !index.contains_key(column) {
            problems.push(
                "header",
                format!("is missing the column \"{column}\" (the first line must name email, name, role and licenses)"),
            );
        }
    }
    problems.into_result()?;
    let column = |c: &str| index.get(c).copied().unwrap_or_default();
    let (email_at, name_at, role_at, licenses_at) =
        (column("email"), column("name"), column("role"), column("licenses"));
    let mut parsed = Parsed { candidates: Vec::new(), errors: Vec::new() };
    let mut lines = Lines::new(data);
    let mut count = 0usize;
    for record in records {
        count += 1;
        if count > MAX_ROWS {
            return Err(Error::invalid(
                "file",
                format!("has more than {} rows: split it into several files", thousands(MAX_ROWS)),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let row = e.position().map_or(0, |p| lines.at(p.byte()));
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("has {len} columns; the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                    _ => return Err(Error::invalid("file", "cannot be read as CSV")),
                };
                parsed.errors.push(RowError { row, field: "row".to_owned(), message });
                continue;
            }
        };
        let row = record.position().map_or(0, |p| lines.at(p.byte()));
        let get = |i: usize| record.get(i).unwrap_or_default();
        let mut e = ValidationErrors::new();
        let email = e.check("email", EmailAddress::parse(get(email_at)));
        let name = e.check("name", PersonName::parse(get(name_at)));
        let role = e.check("role", get(role_at).parse::<Role>());
        let mut products: Vec<Product> = Vec::new();
        for key in get(licenses_at).split(';').map(str::trim).filter(|k| !k.is_empty()) {
            match catalog.get(key) {
                Some(p) if !products.iter().any(|q| q.key == p.key) => products.push(p.clone()),
                Some(_) => {}
                None => e.push("licenses", format!("{key:?} is not a product of this installation")),
            }
        }
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) if e.0.is_empty() => {
                parsed.candidates.push(Candidate { row, email, name, role, licenses: products });
            }
            _ => parsed.errors.extend(e.0.into_iter().map(|f| RowError { row, field: f.field, message: f.message })),
        }
    }
    Ok(parsed)
}

/// Line numbers of byte offsets in a file, for the rows' error reports. The csv crate's own count
/// is wrong for files that are not `\n`-separated: it counts only `\n` (every row of a file that
/// ends lines with a lone `\r` is its line 1), and it notes where a record starts before it skips
/// the line breaks in front of it (the end of the line before, or the first of several blank
/// lines). So the breaks at the offset are skipped, and `\r\n`, `\n` and a lone `\r` before it
/// are each counted as one. Offsets only grow, so counting goes on from the last one.
struct Lines<'a> {
    data: &'a [u8],
    /// Where counting stopped (never just after a `\r`), and the line there.
    at: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0, line: 1 }
    }

    /// The line (the first is 1) of the first byte at or after `offset` that is not a line break.
    fn at(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset).unwrap_or(usize::MAX).min(self.data.len());
        while matches!(self.data.get(end), Some(b'\r' | b'\n')) {
            end += 1;
        }
        if end < self.at {
            (self.at, self.line) = (0, 1);
        }
        let mut previous = self.at.checked_sub(1).and_then(|i| self.data.get(i)).copied();
        for &b in self.data.get(self.at..end).unwrap_or_default() {
            if b == b'\r' || (b == b'\n' && previous != Some(b'\r')) {
                self.line += 1;
            }
            previous = Some(b);
        }
        self.at = end;
        self.line
    }
}

/// `10000` → `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Leaves out the rows whose email repeats an earlier row or exists already, and checks that the
/// account has a free seat for every license the rest need (rule 1, for the whole file at once).
async fn plan(conn: &mut Conn, account_id: &AccountId, parsed: Parsed) -> Result<Outcome> {
    let mut seen = HashSet::new();
    let mut skipped = 0usize;
    let mut unique = Vec::with_capacity(parsed.candidates.len());
    for c in parsed.candidates {
        if seen.insert(c.email.normalized()) {
            unique.push(c);
        } else {
            skipped += 1;
        }
    }
    let emails: Vec<String> = unique.iter().map(|c| c.email.normalized()).collect();
    let existing = store::existing_emails(conn, &emails).await?;
    let before = unique.len();
    unique.retain(|c| !existing.contains(&c.email.normalized()));
    skipped += before - unique.len();

    let mut needed: Vec<(&Product, i64)> = Vec::new();
    for product in unique.iter().flat_map(|c| c.licenses.iter()) {
        match needed.iter_mut().find(|(p, _)| p.key == product.key) {
            Some((_, n)) => *n += 1,
            None => needed.push((product, 1)),
        }
    }
    if !needed.is_empty() {
        let sub = licenses::subscription(conn, account_id).await?;
        let assigned: HashMap<String, i64> =
            tenantry_storage::licenses::assigned_counts(conn, account_id).await?.into_iter().collect();
        let mut short = Vec::new();
        for (product, n) in needed {
            let purchased = sub.purchased(product.key.as_str());
            let taken = assigned.get(product.key.as_str()).copied().unwrap_or(0);
            let free = (purchased - taken).max(0);
            if n > free {
                short.push(format!(
                    "the file needs {n} {} seats but only {free} are free ({purchased} purchased, {taken} assigned)",
                    product.name
                ));
            }
        }
        if !short.is_empty() {
            let mut detail = short.join("; ");
            if let Some(first) = detail.get(..1) {
                detail = format!("{}{}", first.to_uppercase(), detail.get(1..).unwrap_or_default());
            }
            return Err(Error::rule(
                "no_free_seat",
                format!("{detail}. Nothing was imported: buy more seats or remove licenses from the file."),
            ));
        }
    }
    Ok(Outcome { created: unique.len(), skipped, errors: parsed.errors, rows: unique })
}

/// The account an import writes into, and who invites.
struct Target<'a> {
    account_id: &'a AccountId,
    account_name: &'a AccountName,
    inviter: Option<&'a PersonName>,
}

/// Writes the planned users in the caller's transaction, a chunk at a time.
async fn write(
    state: &App, conn: &mut Conn, target: &Target<'_>, rows: &[Candidate], opts: Options, now: i64,
    progress: Option<&(dyn Fn(usize, usize) + Send + Sync)>,
) -> Result<()> {
    let mut done = 0usize;
    for chunk in rows.chunks(WRITE_CHUNK) {
        let mut users = Vec::with_capacity(chunk.len());
        let mut held = Vec::new();
        let mut invitations = Vec::new();
        let mut emails = Vec::new();
        for c in chunk {
            let id = UserId::generate();
            users.push(ImportedUser {
                id: id.to_string(),
                email: c.email.as_str().to_owned(),
                email_normalized: c.email.normalized(),
                name: c.name.as_str().to_owned(),
                name_sort: c.name.sort_key(),
                role: c.role.as_str(),
            });
            held.extend(c.licenses.iter().map(|p| (id.to_string(), p.key.as_str().to_owned())));
            if opts.send_invitations {
                let new =
                    crate::invitations::new_link(state, &c.email, &c.name, target.account_name, target.inviter, now);
                invitations.push(ImportedInvitation {
                    id: InvitationId::generate().to_string(),
                    user_id: id.to_string(),
                    token_hash: new.token_hash.as_str().to_owned(),
                    expires_at: new.expires_at,
                });
                emails.push(serde_json::to_string(&new.email).map_err(anyhow::Error::from)?);
            }
        }
        // Each imported user is announced like one invited alone (`user.invited`, same shape as
        // `audit_view`: the defaults a new user has), so products that follow the events see them.
        let invited: Vec<serde_json::Value> = users
            .iter()
            .zip(chunk)
            .map(|(u, c)| {
                let licenses: Vec<&str> = c.licenses.iter().map(|p| p.key.as_str()).collect();
                json!({
                    "id": u.id, "name": c.name, "email": c.email, "username": null, "role": c.role.as_str(),
                    "status": "invited", "timezone": "UTC", "date_format": "YYYY-MM-DD", "time_format": "24h",
                    "licenses": licenses, "preferences": tenantry_domain::settings::Preferences::default(),
                })
            })
            .collect();
        let account = target.account_id.as_str();
        store::insert_users(conn, account, &users, now).await?;
        tenantry_storage::events::insert_many(conn, target.account_id, "user.invited", &invited, now).await?;
        let assigned: Vec<serde_json::Value> =
            held.iter().map(|(user_id, product)| json!({"user_id": user_id, "product": product})).collect();
        tenantry_storage::events::insert_many(conn, target.account_id, "license.assigned", &assigned, now).await?;
        store::insert_licenses(conn, account, &held, now).await?;
        store::insert_invitations(conn, account, &invitations, now).await?;
        store::enqueue_many(conn, account, OutgoingEmail::KIND, &emails, now).await?;
        done += chunk.len();
        if let Some(report) = progress {
            report(done, rows.len());
        }
    }
    Ok(())
}

/// Imports users into the admin's account (see the module documentation).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn import(state: &App, admin: &Admin, actor: &Actor, data: &[u8], opts: Options) -> Result<Outcome> {
    run(state, admin.account_id(), Some(&admin.user.name), actor, data, opts, None).await
}

/// Imports users into any account, as the system (the command line); `progress` hears how many
/// users have been written so far, and of how many.
#[tracing::instrument(skip_all, fields(account_id = %account_id))]
pub async fn import_into(
    state: &App, account_id: &AccountId, data: &[u8], opts: Options,
    progress: Option<&(dyn Fn(usize, usize) + Send + Sync)>,
) -> Result<Outcome> {
    run(state, account_id, None, &Actor::system(account_id.clone()), data, opts, progress).await
}

async fn run(
    state: &App, account_id: &AccountId, inviter: Option<&PersonName>, actor: &Actor, data: &[u8], opts: Options,
    progress: Option<&(dyn Fn(usize, usize) + Send + Sync)>,
) -> Result<Outcome> {
    let parsed = parse(&state.config.catalog, data)?;
    if opts.dry_run {
        let mut conn = state.db.conn().await?;
        accounts::get(&mut conn, account_id).await?.ok_or(Error::NotFound)?;
        return plan(&mut conn, account_id, parsed).await;
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    // Serialises seat counting with every other license change of the account.
    accounts::lock(&mut tx, account_id).await?;
    let account = accounts::get(&mut tx, account_id).await?.ok_or(Error::NotFound)?;
    let outcome = plan(&mut tx, account_id, parsed).await?;
    if outcome.created == 0 {
        return Ok(outcome);
    }
    let target = Target { account_id, account_name: &account.name, inviter };
    write(state, &mut tx, &target, &outcome.rows, opts, now, progress).await?;
    let summary = json!({
        "created": outcome.created,
        "skipped": outcome.skipped,
        "errors": outcome.errors.len(),
        "invitations_sent": opts.send_invitations,
    });
    audit::record(
        &mut tx,
        actor,
        Change::new("users.imported", "account", account_id.as_str()).after(summary.clone()),
        now,
    )
    .await?;
    audit::emit(&mut tx, account_id, "users.imported", summary, now).await?;
    tenantry_storage::commit(tx).await?;
    if opts.send_invitations {
        wake_outbox(state);
    }
    Ok(outcome)
}

/// The list filters an export honours (the users list's, without paging).
#[derive(Debug, Default, Clone)]
pub struct ExportFilter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<tenantry_domain::UserStatus>,
}

/// One chunk of the export after `cursor` (none: from the first user by name): CSV lines without
/// the header, and the cursor of the next chunk (none: this was the last).
#[tracing::instrument(skip_all, fields(account_id = %admin.account_id()))]
pub async fn export_chunk(
    state: &App, admin: &Admin, filter: &ExportFilter, cursor: Option<String>,
) -> Result<(String, Option<String>)> {
    let params =
        ListParams { q: filter.q.clone(), role: filter.role, status: filter.status, limit: Some(MAX_PAGE), cursor };
    let page = crate::users::list(state, admin, params).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for d in &page.users {
        let u = &d.user;
        let name = u.name.as_str();
        // A name a spreadsheet would run as a formula is written with a leading apostrophe.
        let name = crate::compliance::neutralized(name);
        out.write_record([u.email.as_str(), &name, u.role.as_str(), u.status.as_str(), &d.licenses.join(";")])
            .map_err(anyhow::Error::from)?;
    }
    let bytes = out.into_inner().map_err(|e| Error::unexpected(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(anyhow::Error::from)?;
    Ok((text, page.next_cursor))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::{Catalog, parse, thousands};

    /// `(row, field)` of every error or `(row, email)` of every valid row.
    type Rows = Vec<(u64, String)>;

    /// The errors' and the valid rows' [`Rows`].
    fn rows(csv: &str) -> (Rows, Rows) {
        let parsed = parse(&Catalog::default(), csv.as_bytes()).unwrap_or_else(|e| panic!("{csv:?}: {e:?}"));
        (
            parsed.errors.into_iter().map(|e| (e.row, e.field)).collect(),
            parsed.candidates.into_iter().map(|c| (c.row, c.email.as_str().to_owned())).collect(),
        )
    }

    fn owned(v: &[(u64, &str)]) -> Rows {
        v.iter().map(|(r, s)| (*r, (*s).to_owned())).collect()
    }

    #[test]
    fn rows_are_named_by_the_line_they_start_on() {
        let csv = "email,name,role,licenses\nnot-an-email,Ana,member,\nbo@example.com,Bo,member,chat\n\
                   cy@example.com,Cy,member\ndi@example.com,Di,member,\"chat;\nvoice\"\nev@example.com,Ev,member,warp\n";
        let (errors, ok) = rows(csv);
        assert_eq!(errors, owned(&[(2, "email"), (4, "row"), (7, "licenses")]));
        assert_eq!(ok, owned(&[(3, "bo@example.com"), (5, "di@example.com")]));
    }

    /// The same file with `\n`, `\r\n` and lone `\r` line endings.
    fn endings(csv: &str) -> [String; 3] {
        [csv.to_owned(), csv.replace('\n', "\r\n"), csv.replace('\n', "\r")]
    }

    #[test]
    fn rows_are_named_by_their_line_with_crlf_and_lone_cr_endings() {
        let csv = "email,name,role,licenses\nnot-an-email,Ana,member,\nbo@example.com,Bo,member,chat\n\
                   cy@example.com,Cy,member\ndi@example.com,Di,member,\"chat;\nvoice\"\nev@example.com,Ev,member,warp\n";
        for csv in endings(csv) {
            let (errors, ok) = rows(&csv);
            assert_eq!(errors, owned(&[(2, "email"), (4, "row"), (7, "licenses")]), "{csv:?}");
            assert_eq!(ok, owned(&[(3, "bo@example.com"), (5, "di@example.com")]), "{csv:?}");
        }
        // With a byte order mark, and without a line break at the end.
        let (errors, ok) = rows("\u{feff}email,name,role,licenses\r\nbo@example.com,Bo,member,\r\nbad,Cy,member,");
        assert_eq!((errors, ok), (owned(&[(3, "email")]), owned(&[(2, "bo@example.com")])));
    }

    #[test]
    fn rows_after_blank_lines_are_named_by_their_own_line() {
        let csv = "\nemail,name,role,licenses\n\n\nnot-an-email,Ana,member,\n\nbo@example.com,Bo,member,\n\n\n\
                   cy@example.com,Cy,member\n\n";
        for csv in endings(csv) {
            let (errors, ok) = rows(&csv);
            assert_eq!(errors, owned(&[(5, "email"), (10, "row")]), "{csv:?}");
            assert_eq!(ok, owned(&[(7, "bo@example.com")]), "{csv:?}");
        }
        // Mixed endings in one file: each kind of break counts once.
        let (errors, ok) = rows("email,name,role,licenses\r\n\rbad,A,member,\n\r\nbo@example.com,Bo,member,\r");
        assert_eq!((errors, ok), (owned(&[(3, "email")]), owned(&[(5, "bo@example.com")])));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}

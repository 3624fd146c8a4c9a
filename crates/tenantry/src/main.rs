//! `tenantry`: the single binary.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use tenantry::config::{Config, LogFormat};
use tenantry::{StartOptions, start};
use tenantry_app::Clock;
use tenantry_app::subscriptions::SubscriptionChange;
use tenantry_domain::{AccountName, EmailAddress, PersonName};
use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set.
const DEFAULT_LOG: &str = "info,sqlx=warn";

/// mimalloc instead of the system allocator: under API load about 12 % of the server's CPU went to
/// glibc's malloc and free (arena locks contended between the runtime's threads); see
/// BENCHMARKS.md, issue 12.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tenantry: the self-hostable account center.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (the environment overrides it).
    #[arg(long, global = true, env = "TENANTRY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages, the API and the outbox worker (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage an account's users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Move an installation between databases.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Manage the products' OpenID Connect clients.
    OidcClient {
        #[command(subcommand)]
        command: OidcClientCommand,
    },
    /// Manage the OpenID Connect signing keys.
    OidcKeys {
        #[command(subcommand)]
        command: OidcKeysCommand,
    },
    /// Write a consistent copy of the SQLite database to a new file while Tenantry keeps serving
    /// (for PostgreSQL use pg_dump; see the README).
    Backup {
        /// The file to write (must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Subcommand)]
enum OidcClientCommand {
    /// Register a product's client (what `POST /api/v1/operator/oidc-clients` does); prints its
    /// id and, for a confidential client, its secret (shown this once).
    Create {
        #[arg(long)]
        name: String,
        /// The product key the client signs users in to.
        #[arg(long)]
        product: String,
        /// An exact redirect URI; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// A public client (no secret; PKCE required).
        #[arg(long)]
        public: bool,
        /// Where back-channel logout tokens are POSTed.
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
    },
}

#[derive(Subcommand)]
enum OidcKeysCommand {
    /// Make a new signing key; the old one stays in the JWKS until the tokens it signed expire.
    Rotate,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Copy every table from one database to another (`sqlite://…` or `postgres://…`) in one
    /// transaction, checking each table's row count and checksum before committing. The source
    /// must be migrated to this version; the target is migrated first and must be empty.
    Copy {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Replace what the target holds.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Import users from a CSV file (header `email,name,role,licenses`, licenses `;`-separated):
    /// every row is checked first, then the valid ones are created as invited users in one go.
    Import {
        /// The account id (`acc_…`).
        #[arg(long)]
        account: String,
        /// The CSV file.
        file: PathBuf,
        /// Check the file and print what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Create the users without sending their invitation emails.
        #[arg(long)]
        no_invitations: bool,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account and invite its first Administrator; prints a one-time sign-in link.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// Defaults to the part of the email before the @.
        #[arg(long)]
        admin_name: Option<String>,
    },
    /// Set an account's plan, status and seats (what the operator API's PUT …/subscription does).
    Subscription {
        /// The account id (`acc_…`).
        #[arg(long)]
        account: String,
        #[arg(long)]
        plan: String,
        /// `trial`, `paid` or `canceled`.
        #[arg(long)]
        status: String,
        /// RFC 3339 time the billing cycle starts; unchanged when absent.
        #[arg(long)]
        cycle_start: Option<String>,
        /// Seats of a product, `product=n`; repeat for several. Products not named keep theirs.
        #[arg(long = "seats", value_name = "PRODUCT=N")]
        seats: Vec<String>,
    },
}

/// Log lines on standard output, as text or JSON, filtered by `RUST_LOG` (default
/// [`DEFAULT_LOG`]).
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // Each line written while a request is served names it (`request_id`, `method`, `route`).
    match format {
        LogFormat::Json => {
            let (events, fields) = tenantry_web::request_log::json_format();
            builder.event_format(events).fmt_fields(fields).init()
        }
        LogFormat::Text => {
            // Colours for a person at a terminal only: not escape codes in a log file or journal.
            let ansi = std::io::stdout().is_terminal();
            builder.with_ansi(ansi).event_format(tenantry_web::request_log::text_format(ansi)).init()
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("reading configuration")?;
    init_logging(config.log_format);
    match cli.command {
        Command::Serve => {
            if config.smtp_url.is_none() {
                println!(
                    "Email is written to {} (set TENANTRY_SMTP_URL to send over SMTP)",
                    config.data_dir.join("mail").display()
                );
            }
            let running = start(&config, StartOptions::default()).await?;
            println!(
                "Tenantry is listening on http://{} (public URL {})",
                running.addr, running.state.config.public_url
            );
            let stop = running.shutdown_handle();
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = stop.send(true);
            });
            running.wait().await;
        }
        Command::Migrate => {
            tenantry::open_db(&config).await?;
            println!("Migrations applied.");
        }
        Command::Account { command: AccountCommand::Create { name, admin_email, admin_name } } => {
            let name = AccountName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let email = EmailAddress::parse(&admin_email).map_err(|e| anyhow::anyhow!("--admin-email {e}"))?;
            let default_name = email.as_str().split('@').next().unwrap_or("Administrator").to_owned();
            let admin_name = PersonName::parse(admin_name.as_deref().unwrap_or(&default_name))
                .map_err(|e| anyhow::anyhow!("--admin-name {e}"))?;
            let db = tenantry::open_db(&config).await?;
            let state = tenantry::state(&config, config.public_url(), db, Clock::default(), Default::default())?;
            let (account, link) = tenantry_app::accounts::create_with_invited_admin(&state, name, email, admin_name)
                .await
                .map_err(refused)?;
            println!("Created account {} ({}).", account.name, account.id);
            println!("One-time sign-in link for the Administrator (also queued as an email):\n{link}");
        }
        Command::Account { command: AccountCommand::Subscription { account, plan, status, cycle_start, seats } } => {
            let mut merged = std::collections::BTreeMap::new();
            for s in seats {
                let (product, n) =
                    s.split_once('=').ok_or_else(|| anyhow::anyhow!("--seats {s:?}: write it as product=n"))?;
                let n: i64 =
                    n.trim().parse().map_err(|_| anyhow::anyhow!("--seats {s:?}: n must be a whole number"))?;
                merged.insert(product.trim().to_owned(), n);
            }
            let db = tenantry::open_db(&config).await?;
            let state = tenantry::state(&config, config.public_url(), db, Clock::default(), Default::default())?;
            let request = tenantry_app::subscriptions::SubscriptionInput { plan, status, cycle_start, seats: merged };
            let change = SubscriptionChange::parse(&state.config.catalog, request).map_err(|e| refused(e.into()))?;
            let account_id =
                tenantry_domain::AccountId::parse(&account).ok_or_else(|| refused(tenantry_app::Error::NotFound))?;
            let sub = tenantry_app::subscriptions::set(&state, &account_id, change).await.map_err(refused)?;
            println!("Account {account}: plan {}, {}.", sub.plan, sub.status.as_str());
            for (product, seats) in sub.seats {
                println!("  {product}: {} purchased, {} assigned", seats.purchased, seats.assigned);
            }
        }
        Command::OidcClient {
            command: OidcClientCommand::Create { name, product, redirect_uris, public, backchannel_logout_uri },
        } => {
            let db = tenantry::open_db(&config).await?;
            let state = tenantry::state(&config, config.public_url(), db, Clock::default(), Default::default())?;
            let input =
                tenantry_app::oidc::ClientInput { name, product, redirect_uris, public, backchannel_logout_uri };
            let created = tenantry_app::oidc::register_client(&state, input).await.map_err(refused)?;
            println!("client_id: {}", created.client_id);
            match created.client_secret {
                Some(secret) => println!("client_secret: {} (shown this once)", secret.expose()),
                None => println!("A public client: no secret; it must use PKCE (S256)."),
            }
            state.db.close().await;
        }
        Command::OidcKeys { command: OidcKeysCommand::Rotate } => {
            let db = tenantry::open_db(&config).await?;
            let state = tenantry::state(&config, config.public_url(), db, Clock::default(), Default::default())?;
            let kid = tenantry_app::oidc::keys::rotate(&state).await.map_err(refused)?;
            println!(
                "New signing key {kid}; the previous one stays published until the tokens it signed have expired."
            );
            state.db.close().await;
        }
        Command::Db { command: DbCommand::Copy { from, to, force } } => db_copy(&from, &to, force).await?,
        Command::Backup { to } => {
            let db = tenantry::open_db(&config).await?;
            tenantry_storage::copy::backup(&db, &to).await?;
            db.close().await;
            println!("Backed up to {}.", to.display());
        }
        Command::Users { command: UsersCommand::Import { account, file, dry_run, no_invitations } } => {
            let data = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let db = tenantry::open_db(&config).await?;
            let state = tenantry::state(&config, config.public_url(), db, Clock::default(), Default::default())?;
            let account_id =
                tenantry_domain::AccountId::parse(&account).ok_or_else(|| refused(tenantry_app::Error::NotFound))?;
            let options = tenantry_app::import::Options { dry_run, send_invitations: !no_invitations };
            let bar = std::io::IsTerminal::is_terminal(&std::io::stdout()).then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users written ({eta} left)")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let report = |done: usize, total: usize| {
                if let Some(bar) = &bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
            };
            let outcome = tenantry_app::import::import_into(&state, &account_id, &data, options, Some(&report)).await;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let outcome = outcome.map_err(refused)?;
            let verb = if dry_run { "Would create" } else { "Created" };
            println!(
                "{verb} {} users, skipped {} (already there or repeated), {} rows with errors.",
                outcome.created,
                outcome.skipped,
                outcome.errors.len()
            );
            for e in &outcome.errors {
                println!("  row {}: {} {}", e.row, e.field, e.message);
            }
            if dry_run {
                println!("Dry run: nothing was written.");
            }
            // Invitation emails wait in the outbox until `tenantry serve` sends them.
            state.db.close().await;
        }
    }
    Ok(())
}

/// `tenantry db copy`: a progress bar on a terminal, then a line per table.
async fn db_copy(from: &str, to: &str, force: bool) -> anyhow::Result<()> {
    if from == to {
        anyhow::bail!("--from and --to name the same database");
    }
    let source = tenantry_storage::Db::connect(from, 2).await.context("opening --from")?;
    let target = tenantry_storage::Db::connect(to, 2).await.context("opening --to")?;
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} tables {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |table: &str, done: usize, of: usize| {
        if let Some(bar) = &bar {
            bar.set_length(of as u64);
            bar.set_position(done as u64);
            bar.set_message(table.to_owned());
        }
    };
    let copied = tenantry_storage::copy::copy(&source, &target, force, &progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let copied = copied?;
    for t in &copied {
        println!("{:<28} {:>9} rows  sha256 {}", t.table, t.rows, t.checksum);
    }
    let rows: u64 = copied.iter().map(|t| t.rows).sum();
    println!("Copied {} tables, {rows} rows; every table's row count and checksum match the source.", copied.len());
    source.close().await;
    target.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// What the command line says when the application refuses: the reason, and each invalid field.
fn refused(e: tenantry_app::Error) -> anyhow::Error {
    match e {
        tenantry_app::Error::Validation(v) => {
            let fields: Vec<String> = v.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            anyhow::anyhow!("One or more fields are invalid. ({})", fields.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

//! Tenantry's storage: one set of queries run on SQLite (embedded default) and PostgreSQL (scale-out),
//! through sqlx's `Any` driver. Times are Unix milliseconds; booleans are 0/1 integers.

pub mod account_keys;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod billing_recipients;
pub mod booking_pages;
pub mod chat_teams;
pub mod compliance;
pub mod contact_fields;
pub mod copy;
pub mod credentials;
pub mod crm;
pub mod email_changes;
pub mod events;
pub mod import;
pub mod integrations;
pub mod invitations;
pub mod invoices;
pub mod licenses;
mod migrations_pinned;
pub mod oidc;
pub mod outbox;
pub mod payment_methods;
pub mod phones;
pub mod privacy;
pub mod recovery;
pub mod security;
pub mod sessions;
pub mod signups;
pub mod sms_credits;
pub mod subscriptions;
pub mod usage;
mod user_names;
pub use user_names::UserNames;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx::AnyConnection as Conn;

/// A transaction; every multi-row change runs in one.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Which database engine the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Storage failures, with the unique-constraint case singled out so the API can name the field.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write; `field` is the JSON name of the clashing input.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    UnsupportedUrl,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Unique indexes, by the same name on both databases, and the input field each protects.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("users_email_key", "users.email_normalized", "email"),
    ("users_username_key", "users.username", "username"),
    ("booking_pages_slug_key", "booking_pages.slug", "slug"),
    ("sms_credit_ledger_reference_key", "sms_credit_ledger.account_id", "reference"),
];

impl StoreError {
    /// Turns a unique violation into [`StoreError::Conflict`]; other errors pass through.
    pub fn classify(err: sqlx::Error) -> Self {
        if let Some(db) = err.as_database_error()
            && db.kind() == sqlx::error::ErrorKind::UniqueViolation
        {
            // PostgreSQL names the index; SQLite names the columns in its message.
            let constraint = db.constraint().unwrap_or_default().to_owned();
            let message = db.message().to_owned();
            for (index, columns, field) in UNIQUE_FIELDS {
                if constraint == *index || message.contains(columns) {
                    return StoreError::Conflict { field };
                }
            }
        }
        StoreError::Database(err)
    }
}

impl StoreError {
    /// Whether the database could not be reached (as opposed to refusing a statement): a lost or
    /// refused connection, no connection free in time, or PostgreSQL shutting down or starting.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                    // Class 08: connection exceptions; 57P01–57P03: shutting down, crashed, starting.
                    c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
                }),
                _ => false,
            },
            _ => false,
        }
    }

    /// A value read back that no longer parses as its type: an error, never a wrong answer.
    pub fn corrupt(what: &str) -> Self {
        StoreError::Database(sqlx::Error::Decode(format!("{what} holds an invalid value").into()))
    }
}

/// Parses ids read back from storage, a corrupt one being an error.
pub(crate) fn ids<T: TryFrom<String>>(raw: Vec<String>, what: &str) -> Result<Vec<T>> {
    raw.into_iter().map(|s| T::try_from(s).map_err(|_| StoreError::corrupt(what))).collect()
}

/// Result of storage calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a request waits for a connection while the database is known to be unreachable:
/// enough to reconnect to one that came back, short enough that clients get their 503 at once.
const ACQUIRE_WHILE_DOWN: Duration = Duration::from_secs(1);

/// A pool of connections to the installation's database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Set when a connection could not be had because the database is unreachable; cleared by
    /// the next connection that works. While set, waits for a connection are short.
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Db {
    /// Opens a pool for `url` (`sqlite://path` creates the file; `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            // Longer than any wait under load; once the database is known to be unreachable,
            // `ACQUIRE_WHILE_DOWN` applies instead so clients get their 503 at once.
            .acquire_timeout(Duration::from_secs(5))
            // A ping per checkout cost ~10 % of GET /me (BENCHMARKS.md); a dead connection fails its query instead.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Per-connection settings: enforce foreign keys, wait for the writer instead of failing.
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // Up to 16 MiB of pages per connection (default 2 MiB; it only fills as pages are
                        // read): a users search over 100,000 users reads rows spread over a 12 MiB table and
                        // took 1.6 ms instead of 0.9 ms when those pages came from the OS (BENCHMARKS.md).
                        conn.execute("PRAGMA cache_size = -16384").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file: readers never block the writer.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        Ok(Self { pool, backend, down: Default::default() })
    }

    /// Applies pending forward-only migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Starts a transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// read-then-write transactions queue instead of deadlocking into SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx> {
        match self.backend {
            Backend::Sqlite => self.acquire(self.pool.begin_with("BEGIN IMMEDIATE")).await,
            Backend::Postgres => self.acquire(self.pool.begin()).await,
        }
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.acquire(self.pool.acquire()).await
    }

    /// Waits for a connection (or a transaction on one), briefly while the database is known to
    /// be unreachable, and keeps that knowledge up to date.
    async fn acquire<T>(&self, get: impl Future<Output = std::result::Result<T, sqlx::Error>>) -> Result<T> {
        use std::sync::atomic::Ordering::Relaxed;
        let got = if self.down.load(Relaxed) {
            tokio::time::timeout(ACQUIRE_WHILE_DOWN, get).await.unwrap_or(Err(sqlx::Error::PoolTimedOut))
        } else {
            get.await
        };
        match got {
            Ok(v) => {
                if self.down.load(Relaxed) {
                    self.down.store(false, Relaxed);
                    tracing::info!("database reachable again");
                }
                Ok(v)
            }
            Err(e) => {
                let e = StoreError::Database(e);
                if e.is_unavailable() && !self.down.swap(true, Relaxed) {
                    tracing::warn!(error = %e, "database unreachable");
                }
                Err(e)
            }
        }
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.conn().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Closes every connection (tests drop their databases afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Integer 0/1 as stored for booleans.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Runs a statement that must change exactly one row; `false` when it changed none.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn changed_one(
    conn: &mut AnyConnection, q: sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments>,
) -> Result<bool> {
    let done = q.execute(&mut *conn).await.map_err(StoreError::classify)?;
    Ok(done.rows_affected() == 1)
}

/// Commits a transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn commit(tx: Tx) -> Result<()> {
    tx.commit().await?;
    Ok(())
}

/// `$first, $first+1, …` for `n` values: the list an `IN (…)` binds them to.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Runs `sql`, whose `{ids}` stands for the list of user ids, with `$1` bound to the account.
/// Only placeholders are spliced into the text; every value is bound.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn fetch_for_ids<T>(
    conn: &mut AnyConnection, sql: &'static str, account_id: &tenantry_domain::AccountId,
    ids: &[&tenantry_domain::UserId],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let text = sql.replace("{ids}", &placeholders(2, ids.len()));
    let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(text)).bind(account_id.as_str());
    for id in ids {
        q = q.bind(id.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

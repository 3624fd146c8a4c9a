//! Moving an installation from one database to another (`tenantry db copy`, SQLite ⇄ PostgreSQL)
//! and backing SQLite up while it serves (`tenantry backup`).
//!
//! The copy reads the tables of the schema both sides share (the migrations are the same), in
//! foreign-key order, and writes them into the target inside **one** transaction; before it
//! commits, it reads every table back from the target and compares the row count and a checksum
//! of the rows with the source's. Any difference rolls everything back. Tables the database keeps
//! by itself (SQLite's users search index, filled by triggers) are not copied but rebuilt.

use crate::{Backend, Db, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet};

/// Why a copy did not happen (nothing was written to the target in every case).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target database already holds data (table {0}); pass --force to replace it")]
    NotEmpty(String),
    #[error(
        "the {side} database is at schema version {found}, this program's is {expected}: run `tenantry migrate` \
         with a matching version against it first"
    )]
    SchemaVersion { side: &'static str, found: i64, expected: i64 },
    #[error("table {table}: the copy differs from the source ({what}); nothing was written")]
    Mismatch { table: String, what: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(StoreError::Database(e))
    }
}

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// SHA-256 over the table's rows, in any order: the same on both sides.
    pub checksum: String,
}

/// How a column's values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Text,
    Blob,
}

impl Kind {
    fn of_declared(ty: &str) -> Kind {
        let ty = ty.to_ascii_uppercase();
        if ty.contains("INT") {
            Kind::Int
        } else if ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB") || ty.contains("NUMERIC") {
            Kind::Float
        } else if ty.contains("BLOB") || ty.contains("BYTEA") {
            Kind::Blob
        } else {
            Kind::Text
        }
    }
}

/// One stored value, typed by its column.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

/// A table's columns, in the target's order.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
}

/// Tables a database maintains by itself, rebuilt by its triggers rather than copied.
fn derived(table: &str) -> bool {
    table.starts_with("users_search") || table.starts_with("_sqlx") || table.starts_with("sqlite_")
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// The latest migration this program knows for `backend`.
fn expected_version(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &crate::SQLITE_MIGRATIONS,
        Backend::Postgres => &crate::POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The latest migration applied to `conn`'s database (0 when none).
async fn applied_version(conn: &mut AnyConnection) -> Result<i64, CopyError> {
    let found: Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(&mut *conn).await;
    Ok(found.unwrap_or(None).unwrap_or(0))
}

/// The tables to copy, parents before children, with their columns.
async fn tables(conn: &mut AnyConnection, backend: Backend) -> Result<Vec<Table>, CopyError> {
    let (names, edges): (Vec<String>, Vec<(String, String)>) = match backend {
        Backend::Sqlite => {
            let names: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&mut *conn).await?;
            let mut edges = Vec::new();
            for name in &names {
                let parents: Vec<String> = sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(name)
                    .fetch_all(&mut *conn)
                    .await?;
                edges.extend(parents.into_iter().map(|p| (name.clone(), p)));
            }
            (names, edges)
        }
        Backend::Postgres => {
            let names = sqlx::query_scalar(
                "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND n.nspname = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?;
            let edges = sqlx::query_as(
                "SELECT cl.relname::text, cf.relname::text FROM pg_constraint k \
                 JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class cf ON cf.oid = k.confrelid \
                 JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE k.contype = 'f' AND n.nspname = current_schema()",
            )
            .fetch_all(&mut *conn)
            .await?;
            (names, edges)
        }
    };
    let names: BTreeSet<String> = names.into_iter().filter(|n| !derived(n)).collect();
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = names.iter().map(|n| (n.as_str(), BTreeSet::new())).collect();
    for (child, parent) in &edges {
        if child != parent
            && names.contains(parent)
            && let Some(set) = parents.get_mut(child.as_str())
        {
            set.insert(parent.as_str());
        }
    }
    // Parents first; the schema has no cycles, but a table left over would still be copied last.
    let mut order: Vec<String> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    while placed.len() < names.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(t, ps)| !placed.contains(*t) && ps.iter().all(|p| placed.contains(p)))
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            order.extend(names.iter().filter(|n| !placed.contains(n.as_str())).cloned());
            break;
        }
        for t in ready {
            placed.insert(t);
            order.push(t.to_owned());
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for name in order {
        let columns: Vec<(String, String)> = match backend {
            Backend::Sqlite => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                    .bind(&name)
                    .fetch_all(&mut *conn)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?
            }
        };
        let columns = columns.into_iter().map(|(c, ty)| (c, Kind::of_declared(&ty))).collect();
        out.push(Table { name, columns });
    }
    Ok(out)
}

/// Reads one value as its target column keeps it (SQLite may hold an integer in a text column
/// and the other way round: it is converted, and a value that cannot be is an error).
fn read(row: &sqlx::any::AnyRow, i: usize, kind: Kind) -> Result<Value, CopyError> {
    let corrupt = |col: &str| CopyError::Store(StoreError::corrupt(col));
    let col = row.columns().get(i).map(|c| sqlx::Column::name(c).to_owned()).unwrap_or_default();
    Ok(match kind {
        Kind::Int => match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => Value::Int(v),
            Err(_) => {
                let s: Option<String> = row.try_get(i).map_err(|_| corrupt(&col))?;
                Value::Int(s.map(|s| s.trim().parse::<i64>()).transpose().map_err(|_| corrupt(&col))?)
            }
        },
        Kind::Float => match row.try_get::<Option<f64>, _>(i) {
            Ok(v) => Value::Float(v),
            Err(_) => {
                let n: Option<i64> = row.try_get(i).map_err(|_| corrupt(&col))?;
                #[allow(clippy::cast_precision_loss)]
                Value::Float(n.map(|n| n as f64))
            }
        },
        Kind::Text => match row.try_get::<Option<String>, _>(i) {
            Ok(v) => Value::Text(v),
            Err(_) => {
                let n: Option<i64> = row.try_get(i).map_err(|_| corrupt(&col))?;
                Value::Text(n.map(|n| n.to_string()))
            }
        },
        Kind::Blob => Value::Blob(row.try_get(i).map_err(|_| corrupt(&col))?),
    })
}

/// Every row of `table`, typed by its columns.
async fn rows(conn: &mut AnyConnection, table: &Table) -> Result<Vec<Vec<Value>>, CopyError> {
    let cols: Vec<String> = table.columns.iter().map(|(c, _)| quote(c)).collect();
    let sql = format!("SELECT {} FROM {}", cols.join(", "), quote(&table.name));
    let fetched = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
    fetched
        .iter()
        .map(|row| table.columns.iter().enumerate().map(|(i, (_, kind))| read(row, i, *kind)).collect())
        .collect()
}

/// A checksum of rows that does not depend on their order (each row hashed, the hashes sorted).
fn checksum(table: &Table, rows: &[Vec<Value>]) -> String {
    let mut hashes: Vec<[u8; 32]> = rows
        .iter()
        .map(|row| {
            let mut h = Sha256::new();
            for ((name, _), value) in table.columns.iter().zip(row) {
                h.update(name.as_bytes());
                h.update([0x1f]);
                match value {
                    Value::Int(None) | Value::Float(None) | Value::Text(None) | Value::Blob(None) => h.update(b"N"),
                    Value::Int(Some(n)) => h.update(format!("i{n}")),
                    Value::Float(Some(f)) => h.update(format!("f{:x}", f.to_bits())),
                    Value::Text(Some(s)) => h.update(format!("t{}:{s}", s.len())),
                    Value::Blob(Some(b)) => {
                        h.update(format!("b{}:", b.len()));
                        h.update(b);
                    }
                }
                h.update([0x1e]);
            }
            h.finalize().into()
        })
        .collect();
    hashes.sort_unstable();
    let mut all = Sha256::new();
    for h in &hashes {
        all.update(h);
    }
    all.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Values per statement: under SQLite's oldest limit of 999 bound parameters.
const MAX_PARAMS: usize = 900;

async fn insert(conn: &mut AnyConnection, table: &Table, rows: &[Vec<Value>]) -> Result<(), CopyError> {
    let width = table.columns.len().max(1);
    let per = (MAX_PARAMS / width).max(1);
    let cols: Vec<String> = table.columns.iter().map(|(c, _)| quote(c)).collect();
    for chunk in rows.chunks(per) {
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", quote(&table.name), cols.join(", "));
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push_str(", ");
            }
            let ps: Vec<String> = (0..width).map(|c| format!("${}", r * width + c + 1)).collect();
            sql.push('(');
            sql.push_str(&ps.join(", "));
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Value::Int(v) => q.bind(*v),
                    Value::Float(v) => q.bind(*v),
                    Value::Text(v) => q.bind(v.clone()),
                    Value::Blob(v) => q.bind(v.clone()),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Copies every table of `from` into `to` (migrating `to` first) in one transaction, verified
/// table by table before it commits. `to` must be empty unless `force`, which replaces its rows.
/// `progress` is told each table as it is written: (table, index, of).
pub async fn copy(
    from: &Db, to: &Db, force: bool, progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<Vec<TableCopy>, CopyError> {
    let mut src = from.conn().await?;
    let found = applied_version(&mut src).await?;
    let expected = expected_version(from.backend());
    if found != expected {
        return Err(CopyError::SchemaVersion { side: "source", found, expected });
    }
    to.migrate().await?;
    let source_tables = tables(&mut src, from.backend()).await?;
    let mut tx = to.begin().await?;
    let target_tables = tables(&mut tx, to.backend()).await?;
    let source_names: BTreeSet<&str> = source_tables.iter().map(|t| t.name.as_str()).collect();
    if let Some(missing) = target_tables.iter().find(|t| !source_names.contains(t.name.as_str())) {
        return Err(CopyError::Mismatch { table: missing.name.clone(), what: "missing in the source".into() });
    }
    for t in &target_tables {
        let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) AS one", quote(&t.name));
        let any: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await?;
        if any > 0 {
            if !force {
                return Err(CopyError::NotEmpty(t.name.clone()));
            }
            break;
        }
    }
    if force {
        for t in target_tables.iter().rev() {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {}", quote(&t.name)))).execute(&mut *tx).await?;
        }
    }
    let mut report = Vec::with_capacity(target_tables.len());
    for (i, table) in target_tables.iter().enumerate() {
        progress(&table.name, i, target_tables.len());
        let source_rows = rows(&mut src, table).await?;
        insert(&mut tx, table, &source_rows).await?;
        let copied = rows(&mut tx, table).await?;
        let (want, got) = (checksum(table, &source_rows), checksum(table, &copied));
        if source_rows.len() != copied.len() {
            let what = format!("{} rows in the source, {} copied", source_rows.len(), copied.len());
            return Err(CopyError::Mismatch { table: table.name.clone(), what });
        }
        if want != got {
            return Err(CopyError::Mismatch { table: table.name.clone(), what: format!("checksum {want} ≠ {got}") });
        }
        report.push(TableCopy { table: table.name.clone(), rows: copied.len() as u64, checksum: got });
    }
    progress("", target_tables.len(), target_tables.len());
    crate::commit(tx).await?;
    Ok(report)
}

/// Each table's row count and checksum, as [`copy`] compares them (to check a copy afterwards).
pub async fn fingerprint(db: &Db) -> Result<Vec<TableCopy>, CopyError> {
    let mut conn = db.conn().await?;
    let mut out = Vec::new();
    for table in tables(&mut conn, db.backend()).await? {
        let rows = rows(&mut conn, &table).await?;
        out.push(TableCopy { checksum: checksum(&table, &rows), rows: rows.len() as u64, table: table.name });
    }
    out.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(out)
}

/// Why a backup did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups are for SQLite; back PostgreSQL up with pg_dump (see the README)")]
    NotSqlite,
    #[error("{0} already exists; choose a new file")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes a consistent copy of the SQLite database to `path` while it keeps serving
/// (`VACUUM INTO` reads one snapshot; writers carry on in the WAL).
pub async fn backup(db: &Db, path: &std::path::Path) -> Result<(), BackupError> {
    if db.backend() != Backend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if path.exists() {
        return Err(BackupError::Exists(path.display().to_string()));
    }
    let mut conn = db.conn().await?;
    sqlx::query("VACUUM INTO $1")
        .bind(path.display().to_string())
        .execute(&mut *conn)
        .await
        .map_err(|e| BackupError::Store(StoreError::Database(e)))?;
    Ok(())
}

//! Connections and the pool: the backend is chosen from the URL's scheme, and a failure
//! says which backend, which URL (password hidden) and what the driver said.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// One connection to either backend. Queries that diesel cannot express generically
/// (upserts, `RETURNING`, batch inserts) use [`crate::with_backend!`].
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection of whichever backend is in use.
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::AnyConnection::Sqlite($c) => $body,
            $crate::AnyConnection::Postgresql($c) => $body,
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "cannot open the {backend} database at {url}: {message}\n  hint: {hint}",
        backend = backend.name()
    )]
    Connect {
        backend: Backend,
        url: String,
        message: String,
        hint: &'static str,
    },
    #[error(
        "unsupported database URL {0}: use sqlite://PATH (or a plain file path) or postgres://USER:PASSWORD@HOST/DB"
    )]
    UnsupportedUrl(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("database task failed: {0}")]
    Task(String),
}

impl DbError {
    /// True when the error is a unique-constraint violation (an insert raced another).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Hides the password of a URL like `postgres://user:secret@host/db`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Which backend a URL names, and the string its driver wants.
pub fn parse_database_url(url: &str) -> DbResult<(Backend, String)> {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let _ = rest;
        Ok((Backend::Postgres, url.to_string()))
    } else if let Some(path) = url.strip_prefix("sqlite://") {
        Ok((Backend::Sqlite, path.to_string()))
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        Ok((Backend::Sqlite, path.to_string()))
    } else if url.contains("://") {
        Err(DbError::UnsupportedUrl(redact_url(url)))
    } else {
        Ok((Backend::Sqlite, url.to_string()))
    }
}

/// Opens one connection, with SQLite's pragmas applied.
///
/// Queries test `is_local` as a bare boolean (`WHERE is_local`), never against a bound
/// value: SQLite re-prepares a statement on every run when a bound value decides whether
/// a partial index (here `actors_local_username`) applies.
pub fn establish(url: &str) -> DbResult<AnyConnection> {
    let (backend, target) = parse_database_url(url)?;
    let connect_error = |message: String, hint: &'static str| DbError::Connect {
        backend,
        url: redact_url(url),
        message,
        hint,
    };
    match backend {
        Backend::Sqlite => {
            if let Some(parent) = std::path::Path::new(&target).parent()
                && !parent.as_os_str().is_empty()
                && target != ":memory:"
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    connect_error(
                        format!("cannot create directory {}: {e}", parent.display()),
                        "Check WEFT_DATA_DIR / WEFT_DATABASE_URL and the directory's permissions.",
                    )
                })?;
            }
            let mut conn = diesel::SqliteConnection::establish(&target).map_err(|e| {
                connect_error(
                    e.to_string(),
                    "Check the path and that the directory is writable.",
                )
            })?;
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(|e| connect_error(e.to_string(), "The file may not be a SQLite database."))?;
            Ok(AnyConnection::Sqlite(conn))
        }
        Backend::Postgres => diesel::PgConnection::establish(&target)
            .map(AnyConnection::Postgresql)
            .map_err(|e| {
                connect_error(
                    e.to_string().trim().to_string(),
                    "Is the PostgreSQL server running, and do the user, password and database exist?",
                )
            }),
    }
}

/// Runs the embedded migrations of the connection's backend; returns how many ran.
/// On PostgreSQL, processes starting together on one database take turns (an advisory
/// lock), so the second finds the work done instead of failing halfway through it.
pub fn run_migrations(conn: &mut AnyConnection) -> DbResult<usize> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            applied
        }
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

/// The advisory lock key migrations are run under on PostgreSQL ("weft" in ASCII).
const MIGRATION_LOCK: i64 = 0x7765_6674;

/// True when the database lacks a migration this build knows (it was not upgraded).
pub fn pending_migrations(conn: &mut AnyConnection) -> DbResult<bool> {
    let pending = match conn {
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.map_err(|e| DbError::Migration(e.to_string()))
}

pub(crate) struct Manager {
    url: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = DbError;

    fn connect(&self) -> Result<AnyConnection, DbError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    /// A connection given back mid-transaction (a panic inside a write) must not be
    /// reused: on SQLite it would hold the write lock, and later "transactions" on it
    /// would be savepoints that never commit.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::connection::{Connection, TransactionManager};
        std::thread::panicking()
            || !matches!(
                <AnyConnection as Connection>::TransactionManager::transaction_manager_status_mut(
                    conn
                )
                .transaction_depth(),
                Ok(None)
            )
    }
}

/// Connections open, idle among them, and the most the pool opens.
#[derive(Debug, Clone, Copy)]
pub struct PoolState {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The database handle every service takes: a pool plus, on SQLite, one writer at a time
/// inside this process (SQLite allows one writer; queuing here avoids busy errors).
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    pub(crate) write_lock: Arc<Mutex<()>>,
    /// The group-commit writer (SQLite), started on first use: see `grouped.rs`.
    pub(crate) grouper: Arc<std::sync::OnceLock<std::sync::mpsc::Sender<crate::grouped::Job>>>,
    /// Async writers' queue in front of `write_lock` (SQLite).
    write_turn: Arc<tokio::sync::Mutex<()>>,
    /// Bumped after every write transaction of this process, so caches of what was read
    /// can tell they may be stale.
    pub(crate) generation: Arc<std::sync::atomic::AtomicU64>,
    /// Telling other processes on the same PostgreSQL that this one wrote: `notify.rs`.
    pub(crate) peers: Arc<crate::notify::Peers>,
    pub(crate) url: Arc<str>,
}

impl Db {
    /// Connects, checks the first connection eagerly (so errors are clear) and runs migrations.
    pub fn connect(url: &str) -> DbResult<Db> {
        let (backend, _) = parse_database_url(url)?;
        let mut first = establish(url)?;
        run_migrations(&mut first)?;
        drop(first);
        let size = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            // No `SELECT 1` before every use: a broken connection shows itself by its
            // error, and `has_broken` keeps one left mid-transaction out of the pool.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(Manager {
                url: url.to_string(),
            })
            .map_err(|e| DbError::Pool(e.to_string()))?;
        Ok(Db {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            write_turn: Arc::default(),
            grouper: Arc::default(),
            generation: Arc::default(),
            peers: Arc::default(),
            url: url.into(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool as it is now (for `/metrics`).
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            open: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Changes whenever this process has written (a commit or a rollback), and, on
    /// PostgreSQL, when another process says it wrote (see [`Db::share_writes`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn conn(&self) -> DbResult<r2d2::PooledConnection<Manager>> {
        self.pool.get().map_err(|e| DbError::Pool(e.to_string()))
    }

    /// Runs a read on a blocking thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.read_blocking(f))
            .await
            .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Runs `f` in one transaction on a blocking thread: all of it is stored, or none
    /// (an `Err` from `f` rolls everything back).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        // On SQLite, writers wait their turn here, asleep as tasks, rather than as blocked
        // threads queued on the write lock (measured: futex storms under inbox load).
        let _turn = match self.backend {
            Backend::Sqlite => Some(self.write_turn.lock().await),
            Backend::Postgres => None,
        };
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(f))
            .await
            .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    pub fn read_blocking<T, E: From<DbError>>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        f(&mut conn)
    }

    pub fn write_blocking<T, E>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<DbError> + From<diesel::result::Error>,
    {
        let result = match self.backend {
            Backend::Postgres => {
                let mut conn = self.conn()?;
                let conn: &mut AnyConnection = &mut conn;
                conn.transaction(|c| {
                    let value = f(c)?;
                    self.notify_in_transaction(c)?;
                    Ok(value)
                })
            }
            Backend::Sqlite => {
                // Queue on the in-process lock before taking a pooled connection, so
                // waiting writers do not starve readers of connections.
                let _guard = self.write_lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut conn = self.conn()?;
                sqlite_immediate_transaction(&mut conn, f)
            }
        };
        self.wrote();
        result
    }
}

/// `BEGIN IMMEDIATE … COMMIT` on SQLite: the write lock is taken up front (waiting for the
/// busy timeout if another process, such as the CLI, holds it) instead of failing at once
/// when a deferred transaction's first write finds the database changed.
pub(crate) fn sqlite_immediate_transaction<T, E>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError> + From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let AnyConnection::Sqlite(inner) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    let AnyConnection::Sqlite(inner) = conn else {
        unreachable!("the backend does not change");
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(inner)?;
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(inner)?;
            Err(e)
        }
    }
}

/// For the rest of the caller's transaction, PostgreSQL uses the indexes Weft's batch
/// lookups were written for. Its planner would pick a sequential scan while a table is
/// small, and a statement's cached plan keeps that choice as the table grows (measured on
/// a new instance under inbox load: 0.8 ms per batch lookup instead of tens of µs).
/// Batch writers call this first; a no-op on SQLite.
pub fn prefer_indexes(conn: &mut AnyConnection) -> DbResult<()> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute("SET LOCAL enable_seqscan = off")?;
    }
    Ok(())
}

/// Runs `query` over `keys` 500 at a time (a statement's bound parameters are limited)
/// and gathers what each chunk returned.
pub(crate) fn chunked<K, T>(
    keys: &[K],
    mut query: impl FnMut(&[K]) -> diesel::QueryResult<Vec<T>>,
) -> DbResult<Vec<T>> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        found.extend(query(chunk)?);
    }
    Ok(found)
}

//! Several processes on one PostgreSQL database: each tells the others that it wrote, and
//! hears when they did (`LISTEN`/`NOTIFY` on [`CHANNEL`]), so what they cached from the
//! database (keyed by [`Db::generation`]) is dropped within milliseconds of another
//! process's commit instead of at the cache's TTL.
//!
//! - A serving process runs one thread with a connection of its own (not from the pool)
//!   that `LISTEN`s. After this process's write transactions it sends one `NOTIFY` per
//!   [`TICK`] at most, when its count of writes moved: writers only bump a counter, so
//!   write throughput does not change ([`Mode::Coalesced`]).
//! - Any other handle (the command line, a test's handle) has no such thread, so it
//!   sends `NOTIFY` inside each write transaction: PostgreSQL delivers it at the commit,
//!   and a short-lived command cannot exit before telling ([`Mode::InTransaction`]).
//! - A notification carries the sender's token; a process ignores its own. Hearing
//!   another's bumps the generation. When the listener's connection drops, the thread
//!   bumps the generation (notifications may be missed), reconnects with backoff, and
//!   bumps it again once listening; meanwhile caches fall back to their TTL.

use crate::{AnyConnection, Backend, Db, DbError};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The channel every Weft process on a database listens on.
pub const CHANNEL: &str = "weft_writes";
/// How often the listener looks for notifications and for this process's new writes:
/// the coalescing interval, and most of the cross-process latency.
pub const TICK: Duration = Duration::from_millis(5);
/// With nothing sent for this long the listener checks its connection with a query
/// (a connection cut without a reset is seen no other way).
const HEARTBEAT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How this handle tells other processes that it wrote (PostgreSQL only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// The listener thread sends at most one `NOTIFY` per [`TICK`] (a serving process).
    Coalesced = 0,
    /// `NOTIFY` inside each write transaction: the default of a handle with no listener
    /// (the command line); a server may choose it too (`cross_process_notify`).
    InTransaction = 1,
    /// Nothing is sent and nothing heard: other processes' caches see this one's writes
    /// at their TTL, and this one theirs.
    Off = 2,
}

/// What the handles of one [`Db`] share about other processes.
pub(crate) struct Peers {
    /// This process's own write transactions (what the listener announces); the
    /// generation moves with these and with other processes' notifications.
    own_writes: AtomicU64,
    mode: AtomicU8,
    /// The listener is connected and listening.
    listening: AtomicBool,
    /// Notifications heard from other processes.
    heard: AtomicU64,
    /// The listener thread was started (it runs until the last handle is dropped).
    started: AtomicBool,
    /// Sent as the payload; notifications carrying it are this handle's own.
    token: String,
}

impl Default for Peers {
    fn default() -> Self {
        Peers {
            own_writes: AtomicU64::new(0),
            mode: AtomicU8::new(Mode::InTransaction as u8),
            listening: AtomicBool::new(false),
            heard: AtomicU64::new(0),
            started: AtomicBool::new(false),
            token: format!(
                "{:x}-{:x}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ),
        }
    }
}

impl Db {
    /// Records a finished write transaction of this process (commit or rollback).
    pub(crate) fn wrote(&self) {
        self.peers.own_writes.fetch_add(1, Ordering::AcqRel);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Inside a write transaction: announces it at its commit, when this handle has no
    /// listener to do so ([`Mode::InTransaction`], PostgreSQL).
    pub(crate) fn notify_in_transaction(&self, conn: &mut AnyConnection) -> Result<(), DbError> {
        if let AnyConnection::Postgresql(c) = conn
            && self.notify_mode() == Mode::InTransaction
        {
            c.batch_execute(&format!("NOTIFY {CHANNEL}, '{}'", self.peers.token))?;
        }
        Ok(())
    }

    pub fn notify_mode(&self) -> Mode {
        match self.peers.mode.load(Ordering::Acquire) {
            0 => Mode::Coalesced,
            1 => Mode::InTransaction,
            _ => Mode::Off,
        }
    }

    /// True while the listener thread is connected and listening.
    pub fn listening(&self) -> bool {
        self.peers.listening.load(Ordering::Acquire)
    }

    /// How many notifications of other processes' writes this handle has heard.
    pub fn heard_from_other_processes(&self) -> u64 {
        self.peers.heard.load(Ordering::Acquire)
    }

    /// Makes this handle hear other processes' writes, and chooses how it tells them of
    /// its own (a serving process calls this once). On PostgreSQL any mode but `Off`
    /// starts the listener thread (once; it ends when the last handle is dropped), which
    /// also sends the notices in [`Mode::Coalesced`]. A no-op on SQLite, which one
    /// serving process uses alone.
    pub fn share_writes(&self, mode: Mode) {
        if self.backend() != Backend::Postgres {
            return;
        }
        self.peers.mode.store(mode as u8, Ordering::Release);
        if mode == Mode::Off || self.peers.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let (url, generation, peers) = (
            self.url.to_string(),
            Arc::downgrade(&self.generation),
            Arc::downgrade(&self.peers),
        );
        std::thread::Builder::new()
            .name("weft-db-listener".into())
            .spawn(move || listen(&url, &generation, &peers))
            .expect("start the database listener");
    }
}

/// The listener's connection: a dedicated one, named so an operator can tell it apart
/// in `pg_stat_activity`.
fn connect(url: &str) -> Result<diesel::PgConnection, String> {
    let mut parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
    parsed
        .query_pairs_mut()
        .append_pair("application_name", "weft-listener");
    let mut conn = diesel::PgConnection::establish(parsed.as_str())
        .map_err(|e| e.to_string().trim().to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The listener thread: connects, serves, and after a failure reconnects with backoff,
/// until every handle of the database is gone.
fn listen(url: &str, generation: &Weak<AtomicU64>, peers: &Weak<Peers>) {
    let mut backoff = FIRST_BACKOFF;
    // This process's writes the others have been told of; kept across reconnects, so
    // writes made while disconnected are announced once connected again.
    let mut told = 0;
    // An outage is reported once, when it starts.
    let mut warned = false;
    loop {
        match connect(url) {
            Ok(mut conn) => {
                let (Some(g), Some(p)) = (generation.upgrade(), peers.upgrade()) else {
                    return;
                };
                // What was heard before may have been missed while not listening.
                g.fetch_add(1, Ordering::AcqRel);
                p.listening.store(true, Ordering::Release);
                if warned {
                    tracing::info!("listening to other Weft processes again");
                }
                drop((g, p));
                backoff = FIRST_BACKOFF;
                let ended = serve(&mut conn, generation, peers, &mut told);
                let (Some(g), Some(p)) = (generation.upgrade(), peers.upgrade()) else {
                    return;
                };
                p.listening.store(false, Ordering::Release);
                g.fetch_add(1, Ordering::AcqRel);
                match ended {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(
                            "lost the connection that hears other Weft processes ({e}); \
                             caches fall back to their TTL until it is back"
                        );
                        warned = true;
                    }
                }
            }
            Err(e) if !warned => {
                tracing::warn!(
                    "cannot listen to other Weft processes ({e}); retrying, caches fall \
                     back to their TTL meanwhile"
                );
                warned = true;
            }
            Err(_) => {}
        }
        if generation.strong_count() == 0 {
            return;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Sends this process's news and hears the others' until the connection fails (`Err`)
/// or the database handle is gone (`Ok`).
fn serve(
    conn: &mut diesel::PgConnection,
    generation: &Weak<AtomicU64>,
    peers: &Weak<Peers>,
    told: &mut u64,
) -> Result<(), DbError> {
    let mut last_io = Instant::now();
    loop {
        let (Some(generation), Some(peers)) = (generation.upgrade(), peers.upgrade()) else {
            return Ok(());
        };
        let writes = peers.own_writes.load(Ordering::Acquire);
        if writes != *told && peers.mode.load(Ordering::Acquire) == Mode::Coalesced as u8 {
            conn.batch_execute(&format!("NOTIFY {CHANNEL}, '{}'", peers.token))?;
            *told = writes;
            last_io = Instant::now();
        }
        for notification in conn.notifications_iter() {
            let notification = notification?;
            if notification.payload != peers.token {
                generation.fetch_add(1, Ordering::AcqRel);
                peers.heard.fetch_add(1, Ordering::AcqRel);
            }
        }
        if last_io.elapsed() >= HEARTBEAT {
            conn.batch_execute("SELECT 1")?;
            last_io = Instant::now();
        }
        drop((generation, peers));
        std::thread::sleep(TICK);
    }
}

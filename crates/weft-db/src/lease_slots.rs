//! A delivery lease owner's name that survives a crash of the process holding it, while
//! two live processes never share one. On PostgreSQL each serving process takes the
//! lowest free *slot*: a session-level advisory lock held on a connection of its own for
//! as long as it runs. The server lets go of it when the process ends, however it ends
//! (the connection closes), so a process restarted after `kill -9` takes the same slot,
//! owns its predecessor's leases by name, and sends at once instead of waiting for them
//! to run out. SQLite has one serving process per file (see the serve lock), so its owner
//! name is fixed.

use crate::{AnyConnection, Backend, DbError, DbResult, establish, parse_database_url};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer};

/// The advisory lock class of slots ("Weft" in ASCII).
const SLOT_CLASS: i32 = 0x5765_6674;
/// More serving processes than anyone runs on one database.
const SLOTS: i32 = 1024;

/// This process's slot; dropping it (or the process ending) frees it.
pub struct LeaseSlot {
    /// Holds the advisory lock (PostgreSQL only).
    _connection: Option<AnyConnection>,
    /// The lease owner name: `slot-N` on PostgreSQL, `sqlite` on SQLite.
    pub owner: String,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

/// Takes the lowest free slot of the database at `url`.
pub fn claim(url: &str) -> DbResult<LeaseSlot> {
    let (backend, _) = parse_database_url(url)?;
    if backend == Backend::Sqlite {
        return Ok(LeaseSlot {
            _connection: None,
            owner: "sqlite".into(),
        });
    }
    let mut connection = establish(url)?;
    let AnyConnection::Postgresql(pg) = &mut connection else {
        unreachable!("a PostgreSQL URL gives a PostgreSQL connection")
    };
    for slot in 0..SLOTS {
        let Taken { taken } = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS taken")
            .bind::<Integer, _>(SLOT_CLASS)
            .bind::<Integer, _>(slot)
            .get_result(pg)?;
        if taken {
            return Ok(LeaseSlot {
                _connection: Some(connection),
                owner: format!("slot-{slot}"),
            });
        }
    }
    Err(DbError::Pool(format!(
        "all {SLOTS} delivery slots of this database are held: are that many `weft serve` processes running?"
    )))
}

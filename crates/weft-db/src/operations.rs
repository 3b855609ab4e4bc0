//! What an operator asks of the database: the delivery queue per remote instance (for
//! `weft admin queue` and `/metrics`), retrying or dropping one instance's queue,
//! blocked instances, and online SQLite backups.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbError, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// One remote instance's part of the delivery queue.
#[derive(Debug, Clone)]
pub struct QueuedFor {
    pub instance: InstanceRow,
    /// Deliveries waiting (due or not).
    pub depth: i64,
    /// Of those, how many have failed at least once.
    pub retrying: i64,
    /// When the oldest waiting activity was made (its age is how far behind this
    /// instance is).
    pub oldest_at: Option<NaiveDateTime>,
    /// The soonest a waiting delivery is tried again.
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// The queue grouped by instance, deepest first: two grouped queries over `deliveries`
/// (by its instance index) and one for the instances' rows.
pub fn queue_by_instance(conn: &mut AnyConnection) -> DbResult<Vec<QueuedFor>> {
    let groups: Vec<(i64, i64, Option<NaiveDateTime>, Option<NaiveDateTime>)> = deliveries::table
        .inner_join(outbox::table)
        .group_by(deliveries::instance_id)
        .select((
            deliveries::instance_id,
            diesel::dsl::count(deliveries::id),
            diesel::dsl::min(outbox::created_at),
            diesel::dsl::min(deliveries::next_attempt_at),
        ))
        .load(conn)?;
    let retrying: HashMap<i64, i64> = deliveries::table
        .filter(deliveries::attempts.gt(0))
        .group_by(deliveries::instance_id)
        .select((deliveries::instance_id, diesel::dsl::count(deliveries::id)))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let ids: Vec<i64> = groups.iter().map(|g| g.0).collect();
    let mut rows: HashMap<i64, InstanceRow> = crate::connection::chunked(&ids, |chunk| {
        instances::table
            .filter(instances::id.eq_any(chunk))
            .select(InstanceRow::as_select())
            .load(conn)
    })?
    .into_iter()
    .map(|r| (r.id, r))
    .collect();
    let mut queue: Vec<QueuedFor> = groups
        .into_iter()
        .filter_map(|(id, depth, oldest_at, next_attempt_at)| {
            Some(QueuedFor {
                instance: rows.remove(&id)?,
                depth,
                retrying: retrying.get(&id).copied().unwrap_or(0),
                oldest_at,
                next_attempt_at,
            })
        })
        .collect();
    queue.sort_by(|a, b| {
        b.depth
            .cmp(&a.depth)
            .then_with(|| a.instance.domain.cmp(&b.instance.domain))
    });
    Ok(queue)
}

/// How many instances delivery is paused for (too many failures in a row) at `now`.
pub fn paused_count(conn: &mut AnyConnection, now: NaiveDateTime) -> DbResult<i64> {
    Ok(instances::table
        .filter(instances::paused_until.gt(now))
        .count()
        .get_result(conn)?)
}

/// Makes an instance's whole queue due at `now` and forgets its failures (the pause
/// ends). Returns how many deliveries were made due.
pub fn retry_now(
    conn: &mut AnyConnection,
    instance_id: i64,
    now: NaiveDateTime,
) -> DbResult<usize> {
    let rows = diesel::update(deliveries::table.filter(deliveries::instance_id.eq(instance_id)))
        .set(deliveries::next_attempt_at.eq(now))
        .execute(conn)?;
    diesel::update(instances::table.find(instance_id))
        .set((
            instances::consecutive_failures.eq(0),
            instances::paused_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(rows)
}

/// Forgets every delivery queued for an instance; returns how many.
pub fn drop_queue(conn: &mut AnyConnection, instance_id: i64) -> DbResult<usize> {
    Ok(
        diesel::delete(deliveries::table.filter(deliveries::instance_id.eq(instance_id)))
            .execute(conn)?,
    )
}

/// A blocked instance.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = blocked_instances)]
pub struct BlockedRow {
    pub domain: String,
    pub reason: Option<String>,
    pub blocked_at: NaiveDateTime,
}

/// Blocks `domain`; false when it already was (its reason is left as it was).
pub fn block(
    conn: &mut AnyConnection,
    domain: &str,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> DbResult<bool> {
    let row = (
        blocked_instances::domain.eq(domain),
        blocked_instances::reason.eq(reason),
        blocked_instances::blocked_at.eq(at),
    );
    let added = match conn {
        AnyConnection::Postgresql(c) => diesel::insert_into(blocked_instances::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        AnyConnection::Sqlite(c) => diesel::insert_into(blocked_instances::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(added > 0)
}

/// Lifts a block; false when `domain` was not blocked.
pub fn unblock(conn: &mut AnyConnection, domain: &str) -> DbResult<bool> {
    Ok(
        diesel::delete(blocked_instances::table.filter(blocked_instances::domain.eq(domain)))
            .execute(conn)?
            > 0,
    )
}

/// Every block, by domain.
pub fn blocked(conn: &mut AnyConnection) -> DbResult<Vec<BlockedRow>> {
    Ok(blocked_instances::table
        .order(blocked_instances::domain.asc())
        .select(BlockedRow::as_select())
        .load(conn)?)
}

/// The domains of the instances with these row ids.
pub fn domains_of(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<HashMap<i64, String>> {
    Ok(crate::connection::chunked(ids, |chunk| {
        instances::table
            .filter(instances::id.eq_any(chunk))
            .select((instances::id, instances::domain))
            .load::<(i64, String)>(conn)
    })?
    .into_iter()
    .collect())
}

/// Writes a consistent copy of a SQLite database to `file` (`VACUUM INTO`) while others
/// go on writing: the copy is the database as of one moment, every committed
/// transaction in it or none. `file` must not exist. PostgreSQL has `pg_dump` for this.
pub fn sqlite_backup(conn: &mut AnyConnection, file: &str) -> DbResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(file)
                .execute(c)?;
            Ok(())
        }
        AnyConnection::Postgresql(_) => Err(DbError::Task(
            "a PostgreSQL database is backed up with pg_dump".into(),
        )),
    }
}

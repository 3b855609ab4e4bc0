//! The delivery queue, read and written a round at a time: the dispatcher claims the due
//! rows of many instances in one transaction, and the outcome of many instances' rounds
//! is recorded in one. Per-row statements would cost one round trip each on PostgreSQL.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// The most instances claimed in one round, and the most rows.
const MAX_INSTANCES: usize = 512;
const MAX_ROWS: i64 = 8192;

/// Due rows of one instance, in queue order, with the keys they must not overtake.
pub struct Claimed {
    pub instance_id: i64,
    pub rows: Vec<(DeliveryRow, Arc<OutboxRow>)>,
    /// Ordering key → the oldest row with that key still waiting for its retry: a due row
    /// with the same key and a higher id waits too.
    pub waiting: HashMap<String, i64>,
}

/// Who claims: on a database shared by several processes (PostgreSQL), each claimed
/// instance is leased to `owner` until `until`.
pub struct Claimant<'a> {
    pub owner: &'a str,
    pub lease_until: Option<NaiveDateTime>,
}

/// What one claim took.
#[derive(Default)]
pub struct Claim {
    pub instances: Vec<Claimed>,
    /// Instances with due rows were left out (too many for one claim): claim again now.
    pub more: bool,
}

/// Claims the due rows of instances that are not paused, not leased to another process,
/// and not in `busy` (being sent by this one), at most `per_instance` rows each.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    claimant: &Claimant<'_>,
    busy: &[i64],
    per_instance: usize,
) -> DbResult<Claim> {
    let mut ids = crate::outbox::instances_with_due(conn, now, claimant.owner)?;
    ids.retain(|id| !busy.contains(id));
    let mut more = ids.len() > MAX_INSTANCES;
    ids.truncate(MAX_INSTANCES);
    if let Some(until) = claimant.lease_until {
        ids = take_leases(conn, &ids, claimant.owner, now, until)?;
    }
    if ids.is_empty() {
        return Ok(Claim {
            instances: vec![],
            more,
        });
    }
    let deliveries: Vec<DeliveryRow> = deliveries::table
        .filter(deliveries::instance_id.eq_any(&ids))
        .filter(deliveries::next_attempt_at.le(now))
        .order(deliveries::id.asc())
        .limit(MAX_ROWS)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    // Each activity once, however many instances it goes to.
    let mut outbox_ids: Vec<i64> = deliveries.iter().map(|d| d.outbox_id).collect();
    outbox_ids.sort_unstable();
    outbox_ids.dedup();
    let mut activities: HashMap<i64, Arc<OutboxRow>> = HashMap::with_capacity(outbox_ids.len());
    for chunk in outbox_ids.chunks(500) {
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::id.eq_any(chunk))
            .select(OutboxRow::as_select())
            .load(conn)?;
        activities.extend(rows.into_iter().map(|r| (r.id, Arc::new(r))));
    }
    let waiting: Vec<(i64, String, Option<i64>)> = deliveries::table
        .filter(deliveries::instance_id.eq_any(&ids))
        .filter(deliveries::next_attempt_at.gt(now))
        .group_by((deliveries::instance_id, deliveries::ordering_key))
        .select((
            deliveries::instance_id,
            deliveries::ordering_key,
            diesel::dsl::min(deliveries::id),
        ))
        .load(conn)?;
    let mut claimed: HashMap<i64, Claimed> = ids
        .iter()
        .map(|&instance_id| {
            (
                instance_id,
                Claimed {
                    instance_id,
                    rows: vec![],
                    waiting: HashMap::new(),
                },
            )
        })
        .collect();
    for (instance_id, key, oldest) in waiting {
        if let (Some(c), Some(oldest)) = (claimed.get_mut(&instance_id), oldest) {
            c.waiting.insert(key, oldest);
        }
    }
    for d in deliveries {
        let (Some(c), Some(activity)) = (
            claimed.get_mut(&d.instance_id),
            activities.get(&d.outbox_id),
        ) else {
            continue;
        };
        if c.rows.len() < per_instance {
            c.rows.push((d, activity.clone()));
        }
    }
    let (with_rows, without): (Vec<Claimed>, Vec<Claimed>) =
        claimed.into_values().partition(|c| !c.rows.is_empty());
    // Instances whose rows did not fit this round are left for the next one.
    more |= !without.is_empty();
    if claimant.lease_until.is_some() && !without.is_empty() {
        let ids: Vec<i64> = without.iter().map(|c| c.instance_id).collect();
        release_leases(conn, &ids, claimant.owner)?;
    }
    Ok(Claim {
        instances: with_rows,
        more,
    })
}

/// Leases those of `ids` that are free (or already ours); returns the ones taken.
fn take_leases(
    conn: &mut AnyConnection,
    ids: &[i64],
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> DbResult<Vec<i64>> {
    let mut taken = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let free = instances::lease_until
            .is_null()
            .or(instances::lease_until.lt(now))
            .or(instances::lease_owner.eq(owner));
        let set = (
            instances::lease_owner.eq(Some(owner)),
            instances::lease_until.eq(Some(until)),
        );
        let target = instances::table
            .filter(instances::id.eq_any(chunk))
            .filter(free);
        taken.extend(match conn {
            AnyConnection::Postgresql(c) => diesel::update(target)
                .set(set)
                .returning(instances::id)
                .get_results::<i64>(c)?,
            AnyConnection::Sqlite(c) => diesel::update(target)
                .set(set)
                .returning(instances::id)
                .get_results::<i64>(c)?,
        });
    }
    Ok(taken)
}

/// Gives up this process's leases on `ids`.
pub fn release_leases(conn: &mut AnyConnection, ids: &[i64], owner: &str) -> DbResult<()> {
    for chunk in ids.chunks(500) {
        diesel::update(
            instances::table
                .filter(instances::id.eq_any(chunk))
                .filter(instances::lease_owner.eq(owner)),
        )
        .set(instances::lease_until.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    }
    Ok(())
}

/// Rounds that went through: the instances are healthy again. Those that had been paused
/// (an outage) have their rows waiting for a retry made due now rather than at their (up
/// to day-long) backoff; a single activity that keeps failing keeps its own backoff.
pub fn record_successes(conn: &mut AnyConnection, ids: &[i64], at: NaiveDateTime) -> DbResult<()> {
    for chunk in ids.chunks(500) {
        let were_paused = instances::table
            .filter(instances::id.eq_any(chunk))
            .filter(instances::paused_until.is_not_null())
            .select(instances::id);
        diesel::update(
            deliveries::table
                .filter(deliveries::instance_id.eq_any(were_paused))
                .filter(deliveries::next_attempt_at.gt(at)),
        )
        .set(deliveries::next_attempt_at.eq(at))
        .execute(conn)?;
        diesel::update(instances::table.filter(instances::id.eq_any(chunk)))
            .set((
                instances::consecutive_failures.eq(0),
                instances::paused_until.eq(None::<NaiveDateTime>),
                instances::last_success_at.eq(Some(at)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Those of `ids` that still have rows queued, due or not: after their rounds were
/// recorded, there may be more to send (rows cut at a limit, queued meanwhile by any
/// process, or made due by a recovery). Not filtered on the due time, which would let the
/// planner walk the whole queue by `next_attempt_at` instead of these instances' rows.
pub fn with_rows_left(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<i64>> {
    crate::connection::chunked(ids, |chunk| {
        deliveries::table
            .filter(deliveries::instance_id.eq_any(chunk))
            .select(deliveries::instance_id)
            .distinct()
            .load::<i64>(conn)
    })
}

//! The outbox (every activity a local actor sent), the delivery queue and instance health.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

pub fn insert(conn: &mut AnyConnection, row: &NewOutbox) -> DbResult<i64> {
    Ok(with_backend!(conn, c => diesel::insert_into(outbox::table)
        .values(row)
        .returning(outbox::id)
        .get_result(c)?))
}

/// Stores many activities; returns their row ids in the order given.
pub fn insert_many(conn: &mut AnyConnection, rows: &[NewOutbox]) -> DbResult<Vec<i64>> {
    match conn {
        AnyConnection::Postgresql(c) => {
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for chunk in rows.chunks(1000) {
                let inserted = crate::pg_batch::insert_outbox(c, chunk)?;
                ids.extend(inserted.into_iter().map(|(id, ap_id)| (ap_id, id)));
            }
            rows.iter()
                .map(|r| {
                    ids.get(&r.ap_id).copied().ok_or_else(|| {
                        crate::DbError::Task(format!("outbox row {} was not stored", r.ap_id))
                    })
                })
                .collect()
        }
        AnyConnection::Sqlite(c) => {
            let mut ids = Vec::with_capacity(rows.len());
            for row in rows {
                ids.push(
                    diesel::insert_into(outbox::table)
                        .values(row)
                        .returning(outbox::id)
                        .get_result(c)?,
                );
            }
            Ok(ids)
        }
    }
}

/// Stores activities and the deliveries of those among them, which are given by the
/// activity's ap_id (their `outbox_id` is filled in here); returns the outbox ids in the
/// order given.
pub fn insert_with_deliveries(
    conn: &mut AnyConnection,
    rows: &[NewOutbox],
    deliveries: &[(String, NewDelivery)],
) -> DbResult<Vec<i64>> {
    let ids = insert_many(conn, rows)?;
    let by_ap_id: HashMap<&str, i64> = rows
        .iter()
        .map(|r| r.ap_id.as_str())
        .zip(ids.iter().copied())
        .collect();
    let deliveries: Vec<NewDelivery> = deliveries
        .iter()
        .filter_map(|(activity, d)| {
            let mut d = d.clone();
            d.outbox_id = *by_ap_id.get(activity.as_str())?;
            Some(d)
        })
        .collect();
    insert_deliveries(conn, &deliveries)?;
    Ok(ids)
}

pub fn by_id(conn: &mut AnyConnection, id: i64) -> DbResult<OutboxRow> {
    Ok(outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)?)
}

pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<OutboxRow>> {
    Ok(outbox::table
        .filter(outbox::ap_id.eq(ap_id))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of an actor's public activities, newest first; `before` is an outbox id.
pub fn public_page(
    conn: &mut AnyConnection,
    actor_id: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<OutboxRow>> {
    let mut query = outbox::table
        .filter(outbox::actor_id.eq(actor_id))
        .filter(outbox::is_public.eq(true))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(outbox::id.lt(before));
    }
    Ok(query
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

pub fn count_public(conn: &mut AnyConnection, actor_id: i64) -> DbResult<i64> {
    Ok(outbox::table
        .filter(outbox::actor_id.eq(actor_id))
        .filter(outbox::is_public.eq(true))
        .count()
        .get_result(conn)?)
}

/// Instance ids for many domains at once (created where missing): one query per 500
/// domains rather than one per inbox when a post fans out.
pub fn instance_ids(
    conn: &mut AnyConnection,
    domains: &[String],
) -> DbResult<HashMap<String, i64>> {
    Ok(crate::instances::known(conn, domains)?
        .into_iter()
        .map(|(domain, known)| (domain, known.id))
        .collect())
}

pub fn instance(conn: &mut AnyConnection, id: i64) -> DbResult<InstanceRow> {
    Ok(instances::table
        .find(id)
        .select(InstanceRow::as_select())
        .first(conn)?)
}

pub fn instance_by_domain(conn: &mut AnyConnection, domain: &str) -> DbResult<Option<InstanceRow>> {
    Ok(instances::table
        .filter(instances::domain.eq(domain))
        .select(InstanceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Queues deliveries: one multi-row statement per 500 rows on PostgreSQL; on SQLite
/// (which has no batch upsert in diesel) one cached statement per row, same transaction.
pub fn insert_deliveries(conn: &mut AnyConnection, rows: &[NewDelivery]) -> DbResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(5000) {
                crate::pg_batch::insert_deliveries(c, chunk)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(deliveries::table)
                    .values(row)
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Instances that have deliveries due now, are not paused, and are not being sent by
/// another process.
pub fn instances_with_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    owner: &str,
) -> DbResult<Vec<i64>> {
    Ok(deliveries::table
        .inner_join(instances::table)
        .filter(deliveries::next_attempt_at.le(now))
        .filter(
            instances::paused_until
                .is_null()
                .or(instances::paused_until.le(now)),
        )
        .filter(
            instances::lease_until
                .is_null()
                .or(instances::lease_until.le(now))
                .or(instances::lease_owner.eq(owner)),
        )
        .select(deliveries::instance_id)
        .distinct()
        .load(conn)?)
}

/// When the dispatcher should look again, at the latest: the next retry coming due, a
/// pause ending, or another process's lease running out.
pub fn next_wake_after(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> DbResult<Option<NaiveDateTime>> {
    let retry: Option<NaiveDateTime> = deliveries::table
        .filter(deliveries::next_attempt_at.gt(now))
        .select(diesel::dsl::min(deliveries::next_attempt_at))
        .first(conn)?;
    let pause: Option<NaiveDateTime> = instances::table
        .filter(instances::paused_until.gt(now))
        .select(diesel::dsl::min(instances::paused_until))
        .first(conn)?;
    let lease: Option<NaiveDateTime> = instances::table
        .filter(instances::lease_until.gt(now))
        .select(diesel::dsl::min(instances::lease_until))
        .first(conn)?;
    Ok([retry, pause, lease].into_iter().flatten().min())
}

/// Takes (or renews) the right to send one instance's queue until `until`; false when
/// another process holds it.
pub fn try_lease(
    conn: &mut AnyConnection,
    instance_id: i64,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> DbResult<bool> {
    let updated = diesel::update(
        instances::table.find(instance_id).filter(
            instances::lease_until
                .is_null()
                .or(instances::lease_until.lt(now))
                .or(instances::lease_owner.eq(owner)),
        ),
    )
    .set((
        instances::lease_owner.eq(Some(owner)),
        instances::lease_until.eq(Some(until)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// After a failed send, later rows with the same ordering key wait at least as long.
pub fn hold_back_key(
    conn: &mut AnyConnection,
    instance_id: i64,
    ordering_key: &str,
    after_id: i64,
    until: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(
        deliveries::table
            .filter(deliveries::instance_id.eq(instance_id))
            .filter(deliveries::ordering_key.eq(ordering_key))
            .filter(deliveries::id.gt(after_id))
            .filter(deliveries::next_attempt_at.lt(until)),
    )
    .set(deliveries::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(())
}

/// Forgets delivered (or refused) rows.
pub fn delivered_many(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<()> {
    for chunk in ids.chunks(500) {
        diesel::delete(deliveries::table.filter(deliveries::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

pub fn reschedule(
    conn: &mut AnyConnection,
    delivery_id: i64,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    error: &str,
) -> DbResult<()> {
    diesel::update(deliveries::table.find(delivery_id))
        .set((
            deliveries::attempts.eq(attempts),
            deliveries::next_attempt_at.eq(next_attempt_at),
            deliveries::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn record_failure(
    conn: &mut AnyConnection,
    instance_id: i64,
    at: NaiveDateTime,
    paused_until: Option<NaiveDateTime>,
    error: &str,
) -> DbResult<i32> {
    diesel::update(instances::table.find(instance_id))
        .set((
            instances::consecutive_failures.eq(instances::consecutive_failures + 1),
            instances::last_failure_at.eq(Some(at)),
            instances::paused_until.eq(paused_until),
            instances::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(instance(conn, instance_id)?.consecutive_failures)
}

pub fn pending_count(conn: &mut AnyConnection) -> DbResult<i64> {
    Ok(deliveries::table.count().get_result(conn)?)
}

/// Records that an incoming activity id was processed; false when it was seen before.
pub fn mark_received(
    conn: &mut AnyConnection,
    ap_id: &str,
    actor_ap_id: &str,
    at: NaiveDateTime,
) -> DbResult<bool> {
    let inserted = with_backend!(conn, c => diesel::insert_into(received_activities::table)
        .values((
            received_activities::ap_id.eq(ap_id),
            received_activities::actor_ap_id.eq(actor_ap_id),
            received_activities::received_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(inserted > 0)
}

/// Whether an incoming activity id was already acted on.
pub fn was_received(conn: &mut AnyConnection, ap_id: &str) -> DbResult<bool> {
    Ok(received_activities::table
        .find(ap_id)
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

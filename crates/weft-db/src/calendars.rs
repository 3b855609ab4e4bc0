//! Queries for calendar feeds: a person's private calendar secret (stored hashed) and the
//! events they answered; a community's events in a window (`events::upcoming`).

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Replaces the person's calendar secret (the old address stops working at once).
pub fn set_secret(
    conn: &mut AnyConnection,
    actor_id: i64,
    secret_hash: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::delete(calendar_secrets::table.find(actor_id)).execute(conn)?;
    diesel::insert_into(calendar_secrets::table)
        .values((
            calendar_secrets::actor_id.eq(actor_id),
            calendar_secrets::secret_hash.eq(secret_hash),
            calendar_secrets::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the person's calendar secret; false when they had none.
pub fn delete_secret(conn: &mut AnyConnection, actor_id: i64) -> DbResult<bool> {
    Ok(diesel::delete(calendar_secrets::table.find(actor_id)).execute(conn)? > 0)
}

/// When the person's current calendar secret was made, if they have one.
pub fn secret_made_at(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Option<NaiveDateTime>> {
    Ok(calendar_secrets::table
        .find(actor_id)
        .select(calendar_secrets::created_at)
        .first(conn)
        .optional()?)
}

/// The person whose calendar secret hashes to `secret_hash`.
pub fn owner_of(conn: &mut AnyConnection, secret_hash: &str) -> DbResult<Option<ActorRow>> {
    Ok(calendar_secrets::table
        .inner_join(actors::table)
        .filter(calendar_secrets::secret_hash.eq(secret_hash))
        .select(ActorRow::as_select())
        .first(conn)
        .optional()?)
}

/// The live events `person_id` answered with one of `answers` (and that the hosting
/// community did not refuse), not over before `from`, soonest first, with the answer.
pub fn answered(
    conn: &mut AnyConnection,
    person_id: i64,
    answers: &[&str],
    from: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<(ItemRow, EventRow, RsvpRow)>> {
    Ok(rsvps::table
        .inner_join(items::table.on(items::id.eq(rsvps::event_id)))
        .inner_join(events::table.on(events::item_id.eq(rsvps::event_id)))
        .filter(rsvps::person_id.eq(person_id))
        .filter(rsvps::answer.eq_any(answers))
        .filter(rsvps::state.ne(rsvp::REFUSED))
        .filter(items::deleted_at.is_null())
        .filter(
            events::ends_at
                .ge(from)
                .or(events::ends_at.is_null().and(events::starts_at.ge(from))),
        )
        .order((events::starts_at.asc(), events::item_id.asc()))
        .limit(limit)
        .select((
            ItemRow::as_select(),
            EventRow::as_select(),
            RsvpRow::as_select(),
        ))
        .load(conn)?)
}

/// How many of a community's live events are not over at `from`.
pub fn count_upcoming(
    conn: &mut AnyConnection,
    community_id: i64,
    from: NaiveDateTime,
) -> DbResult<i64> {
    Ok(events::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(
            events::ends_at
                .ge(from)
                .or(events::ends_at.is_null().and(events::starts_at.ge(from))),
        )
        .count()
        .get_result(conn)?)
}

/// A numbered page of a community's live events not over at `from`, soonest first.
pub fn upcoming_page(
    conn: &mut AnyConnection,
    community_id: i64,
    from: NaiveDateTime,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<ItemRow>> {
    Ok(events::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(
            events::ends_at
                .ge(from)
                .or(events::ends_at.is_null().and(events::starts_at.ge(from))),
        )
        .order((events::starts_at.asc(), events::item_id.asc()))
        .limit(limit)
        .offset(offset)
        .select(ItemRow::as_select())
        .load(conn)?)
}

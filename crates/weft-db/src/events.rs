//! Queries on events (the when and where of an event item) and their RSVPs.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut AnyConnection, event: &EventRow) -> DbResult<()> {
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// Replaces what an event's row says (an edit, or a remote `Update`).
pub fn update(conn: &mut AnyConnection, event: &EventRow) -> DbResult<()> {
    diesel::update(events::table.find(event.item_id))
        .set((
            events::starts_at.eq(event.starts_at),
            events::ends_at.eq(event.ends_at),
            events::timezone.eq(&event.timezone),
            events::online_url.eq(&event.online_url),
            events::place_name.eq(&event.place_name),
            events::place_address.eq(&event.place_address),
            events::capacity.eq(event.capacity),
            events::status.eq(&event.status),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn by_item(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<EventRow>> {
    Ok(events::table
        .find(item_id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads the event row for an RSVP decision, locked on PostgreSQL until the transaction
/// ends, so two concurrent RSVPs cannot both take the last place. (SQLite's writers are
/// serialised already.)
pub fn by_item_for_update(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<EventRow>> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => events::table
            .find(item_id)
            .select(EventRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => events::table
            .find(item_id)
            .select(EventRow::as_select())
            .first(c)
            .optional()?,
    })
}

/// A community's live events that end (or, without an end, start) at or after `from`,
/// soonest first.
/// A community's events not over at `from`, soonest first; after the event (start, item
/// id) `after` when given (keyset paging).
pub fn upcoming(
    conn: &mut AnyConnection,
    community_id: i64,
    from: NaiveDateTime,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> DbResult<Vec<(ItemRow, EventRow)>> {
    // Without a cursor: from the epoch (upcoming events are after it; PostgreSQL has no
    // timestamp as early as NaiveDateTime::MIN).
    let (after_start, after_id) = after.unwrap_or((chrono::DateTime::UNIX_EPOCH.naive_utc(), 0));
    Ok(events::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(
            events::ends_at
                .ge(from)
                .or(events::ends_at.is_null().and(events::starts_at.ge(from))),
        )
        .filter(
            events::starts_at.gt(after_start).or(events::starts_at
                .eq(after_start)
                .and(events::item_id.gt(after_id))),
        )
        .order((events::starts_at.asc(), events::item_id.asc()))
        .limit(limit)
        .select((ItemRow::as_select(), EventRow::as_select()))
        .load(conn)?)
}

pub fn rsvp_of(
    conn: &mut AnyConnection,
    event_id: i64,
    person_id: i64,
) -> DbResult<Option<RsvpRow>> {
    Ok(rsvps::table
        .filter(rsvps::event_id.eq(event_id))
        .filter(rsvps::person_id.eq(person_id))
        .select(RsvpRow::as_select())
        .first(conn)
        .optional()?)
}

/// The RSVP that the activity `ap_id` (a `Join`, …) was sent for.
pub fn rsvp_by_activity(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<RsvpRow>> {
    Ok(rsvps::table
        .filter(rsvps::activity_ap_id.eq(ap_id))
        .select(RsvpRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records a person's answer, replacing an earlier one.
pub fn set_rsvp(conn: &mut AnyConnection, rsvp: &NewRsvp) -> DbResult<RsvpRow> {
    if let Some(existing) = rsvp_of(conn, rsvp.event_id, rsvp.person_id)? {
        diesel::update(rsvps::table.find(existing.id))
            .set((
                rsvps::answer.eq(&rsvp.answer),
                rsvps::state.eq(&rsvp.state),
                rsvps::activity_ap_id.eq(&rsvp.activity_ap_id),
                rsvps::updated_at.eq(rsvp.updated_at),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(rsvps::table)
            .values(rsvp)
            .execute(conn)?;
    }
    Ok(rsvp_of(conn, rsvp.event_id, rsvp.person_id)?.expect("just written"))
}

pub fn set_rsvp_state(conn: &mut AnyConnection, id: i64, state: &str) -> DbResult<()> {
    diesel::update(rsvps::table.find(id))
        .set((rsvps::state.eq(state), rsvps::updated_at.eq(crate::now())))
        .execute(conn)?;
    Ok(())
}

/// Settled answers to an event, by answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub going: i64,
    pub maybe: i64,
    pub declined: i64,
}

pub fn counts(conn: &mut AnyConnection, event_id: i64) -> DbResult<Counts> {
    let rows: Vec<(String, i64)> = rsvps::table
        .filter(rsvps::event_id.eq(event_id))
        .filter(rsvps::state.eq(rsvp::ACCEPTED))
        .group_by(rsvps::answer)
        .select((rsvps::answer, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (answer, n) in rows {
        match answer.as_str() {
            rsvp::GOING => counts.going = n,
            rsvp::MAYBE => counts.maybe = n,
            rsvp::DECLINED => counts.declined = n,
            _ => {}
        }
    }
    Ok(counts)
}

/// Notes that a local event's RSVP counts changed (its poll is to be sent again).
pub fn mark_poll_changed(
    conn: &mut AnyConnection,
    item_id: i64,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(events::table.find(item_id))
        .set(events::poll_changed_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

/// Notes that a local event's poll was just sent with its counts as they stand.
pub fn mark_poll_sent(conn: &mut AnyConnection, item_id: i64, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(events::table.find(item_id))
        .set((
            events::poll_changed_at.eq(None::<NaiveDateTime>),
            events::poll_sent_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Live local events whose poll changed and was last sent no later than `sent_before`
/// (or never); `only` narrows the look to one event.
pub fn polls_due(
    conn: &mut AnyConnection,
    sent_before: NaiveDateTime,
    only: Option<i64>,
    limit: i64,
) -> DbResult<Vec<i64>> {
    let mut query = events::table
        .inner_join(items::table)
        .filter(events::poll_changed_at.is_not_null())
        .filter(
            events::poll_sent_at
                .is_null()
                .or(events::poll_sent_at.le(sent_before)),
        )
        .filter(items::is_local)
        .filter(items::deleted_at.is_null())
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(events::item_id.eq(id));
    }
    Ok(query
        .order(events::poll_changed_at.asc())
        .limit(limit)
        .select(events::item_id)
        .load(conn)?)
}

/// The counts a remote event's hosting instance published (all `None` until it did).
#[derive(Queryable, Selectable, Debug, Clone, Default, PartialEq, Eq)]
#[diesel(table_name = events)]
pub struct Published {
    #[diesel(column_name = published_going)]
    pub going: Option<i64>,
    #[diesel(column_name = published_maybe)]
    pub maybe: Option<i64>,
    #[diesel(column_name = published_declined)]
    pub declined: Option<i64>,
    #[diesel(column_name = published_remaining)]
    pub remaining: Option<i64>,
    /// `event` or `poll`: which object they came in.
    #[diesel(column_name = published_from)]
    pub from: Option<String>,
}

pub fn published(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<Published>> {
    Ok(events::table
        .find(item_id)
        .select(Published::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_published(conn: &mut AnyConnection, item_id: i64, p: &Published) -> DbResult<()> {
    diesel::update(events::table.find(item_id))
        .set((
            events::published_going.eq(p.going),
            events::published_maybe.eq(p.maybe),
            events::published_declined.eq(p.declined),
            events::published_remaining.eq(p.remaining),
            events::published_from.eq(&p.from),
        ))
        .execute(conn)?;
    Ok(())
}

/// Everyone who answered an event, with their answer, most recent first.
pub fn attendees(conn: &mut AnyConnection, event_id: i64) -> DbResult<Vec<(RsvpRow, ActorRow)>> {
    Ok(rsvps::table
        .inner_join(actors::table)
        .filter(rsvps::event_id.eq(event_id))
        .order((rsvps::updated_at.desc(), rsvps::id.desc()))
        .select((RsvpRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

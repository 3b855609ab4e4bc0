//! Queries on follows.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use diesel::prelude::*;
use std::collections::HashMap;

pub fn find(
    conn: &mut AnyConnection,
    follower_id: i64,
    target_id: i64,
) -> DbResult<Option<FollowRow>> {
    Ok(follows::table
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::target_id.eq(target_id))
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records a follow, or updates its state and activity id when it exists.
pub fn upsert(conn: &mut AnyConnection, follow: &NewFollow) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(follows::table)
        .values(follow)
        .on_conflict((follows::follower_id, follows::target_id))
        .do_update()
        .set((
            follows::state.eq(&follow.state),
            follows::activity_ap_id.eq(&follow.activity_ap_id),
        ))
        .execute(c)?);
    Ok(())
}

pub fn set_state(conn: &mut AnyConnection, id: i64, state: &str) -> DbResult<()> {
    diesel::update(follows::table.find(id))
        .set(follows::state.eq(state))
        .execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, follower_id: i64, target_id: i64) -> DbResult<usize> {
    Ok(diesel::delete(
        follows::table
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::target_id.eq(target_id)),
    )
    .execute(conn)?)
}

pub fn count_followers(conn: &mut AnyConnection, target_id: i64) -> DbResult<i64> {
    Ok(follows::table
        .filter(follows::target_id.eq(target_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .count()
        .get_result(conn)?)
}

/// A page of accepted followers' actor ids, newest first.
pub fn followers_page(
    conn: &mut AnyConnection,
    target_id: i64,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<String>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(target_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .order(follows::id.desc())
        .limit(limit)
        .offset(offset)
        .select(actors::ap_id)
        .load(conn)?)
}

/// The distinct delivery inboxes (shared inbox when known) of a local actor's remote
/// followers: one per inbox, however many followers live behind it.
pub fn remote_follower_inboxes(conn: &mut AnyConnection, target_id: i64) -> DbResult<Vec<String>> {
    Ok(remote_follower_inboxes_of(conn, &[target_id])?
        .remove(&target_id)
        .unwrap_or_default())
}

/// [`remote_follower_inboxes`] of several actors at once, by actor.
pub fn remote_follower_inboxes_of(
    conn: &mut AnyConnection,
    target_ids: &[i64],
) -> DbResult<HashMap<i64, Vec<String>>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    let rows = crate::connection::chunked(target_ids, |chunk| {
        follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::target_id.eq_any(chunk))
            .filter(follows::state.eq(follow_state::ACCEPTED))
            .filter(diesel::dsl::not(actors::is_local))
            .select((
                follows::target_id,
                sql::<Text>("COALESCE(actors.shared_inbox_url, actors.inbox_url)"),
            ))
            .distinct()
            .load::<(i64, String)>(conn)
    })?;
    let mut inboxes: HashMap<i64, Vec<String>> =
        target_ids.iter().map(|id| (*id, vec![])).collect();
    for (target, inbox) in rows {
        inboxes.entry(target).or_default().push(inbox);
    }
    Ok(inboxes)
}

/// Local actors following `target_id` (for routing what a remote community announces).
pub fn local_followers(conn: &mut AnyConnection, target_id: i64) -> DbResult<Vec<ActorRow>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(target_id))
        .filter(actors::is_local)
        .select(ActorRow::as_select())
        .load(conn)?)
}

/// The follow of `target_id` whose Follow activity had this id.
pub fn by_activity(conn: &mut AnyConnection, activity_ap_id: &str) -> DbResult<Option<FollowRow>> {
    Ok(follows::table
        .filter(follows::activity_ap_id.eq(activity_ap_id))
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ids of the actors `follower_id` follows (accepted follows).
pub fn following(conn: &mut AnyConnection, follower_id: i64) -> DbResult<Vec<String>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::target_id)))
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .order(follows::id.asc())
        .select(actors::ap_id)
        .load(conn)?)
}

pub fn count_following(conn: &mut AnyConnection, follower_id: i64) -> DbResult<i64> {
    Ok(follows::table
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .count()
        .get_result(conn)?)
}

/// A page of the ids of the actors `follower_id` follows (accepted), oldest first.
pub fn following_page(
    conn: &mut AnyConnection,
    follower_id: i64,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<String>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::target_id)))
        .filter(follows::follower_id.eq(follower_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .order(follows::id.asc())
        .limit(limit)
        .offset(offset)
        .select(actors::ap_id)
        .load(conn)?)
}

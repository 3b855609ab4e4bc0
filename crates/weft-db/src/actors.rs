//! Queries on actors, communities, local users and memberships.

use crate::connection::chunked;
use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use diesel::prelude::*;

pub fn by_id(conn: &mut AnyConnection, id: i64) -> DbResult<ActorRow> {
    Ok(actors::table
        .find(id)
        .select(ActorRow::as_select())
        .first(conn)?)
}

pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<ActorRow>> {
    Ok(actors::table
        .filter(actors::ap_id.eq(ap_id))
        .select(ActorRow::as_select())
        .first(conn)
        .optional()?)
}

/// A local actor by its username (people and communities share one namespace).
pub fn local_by_username(conn: &mut AnyConnection, username: &str) -> DbResult<Option<ActorRow>> {
    Ok(actors::table
        .filter(actors::is_local)
        .filter(actors::username.eq(username))
        .select(ActorRow::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts a new actor, or refreshes the stored copy of a remote one; returns the row.
pub fn upsert(conn: &mut AnyConnection, actor: &NewActor) -> DbResult<ActorRow> {
    let id: i64 = with_backend!(conn, c => diesel::insert_into(actors::table)
        .values(actor)
        .on_conflict(actors::ap_id)
        .do_update()
        .set(actor)
        .returning(actors::id)
        .get_result(c)?);
    by_id(conn, id)
}

pub fn insert(conn: &mut AnyConnection, actor: &NewActor) -> DbResult<ActorRow> {
    let id: i64 = with_backend!(conn, c => diesel::insert_into(actors::table)
        .values(actor)
        .returning(actors::id)
        .get_result(c)?);
    by_id(conn, id)
}

pub fn list_local(conn: &mut AnyConnection, kind: &str) -> DbResult<Vec<ActorRow>> {
    Ok(actors::table
        .filter(actors::is_local)
        .filter(actors::kind.eq(kind))
        .order(actors::username.asc())
        .select(ActorRow::as_select())
        .load(conn)?)
}

pub fn count_local(conn: &mut AnyConnection, kind: &str) -> DbResult<i64> {
    Ok(actors::table
        .filter(actors::is_local)
        .filter(actors::kind.eq(kind))
        .count()
        .get_result(conn)?)
}

pub fn insert_community(conn: &mut AnyConnection, row: &CommunityRow) -> DbResult<()> {
    diesel::insert_into(communities::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn community(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Option<CommunityRow>> {
    Ok(communities::table
        .find(actor_id)
        .select(CommunityRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_local_user(conn: &mut AnyConnection, row: &LocalUserRow) -> DbResult<()> {
    diesel::insert_into(local_users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn set_membership(conn: &mut AnyConnection, row: &MembershipRow) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(memberships::table)
        .values(row)
        .on_conflict((memberships::community_id, memberships::person_id))
        .do_update()
        .set(memberships::role.eq(&row.role))
        .execute(c)?);
    Ok(())
}

pub fn role_of(
    conn: &mut AnyConnection,
    community_id: i64,
    person_id: i64,
) -> DbResult<Option<String>> {
    Ok(memberships::table
        .find((community_id, person_id))
        .select(memberships::role)
        .first(conn)
        .optional()?)
}

/// Members holding one of `roles`, oldest first.
pub fn members_with_roles(
    conn: &mut AnyConnection,
    community_id: i64,
    roles: &[&str],
) -> DbResult<Vec<ActorRow>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::person_id)))
        .filter(memberships::community_id.eq(community_id))
        .filter(memberships::role.eq_any(roles))
        .order(memberships::created_at.asc())
        .select(ActorRow::as_select())
        .load(conn)?)
}

pub fn by_ids(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<ActorRow>> {
    chunked(ids, |chunk| {
        actors::table
            .filter(actors::id.eq_any(chunk))
            .select(ActorRow::as_select())
            .load(conn)
    })
}

/// Actors named by ap_id or by id, each with its community details when it is a local
/// community: what the posting rules need for a batch of received posts.
pub fn with_details(
    conn: &mut AnyConnection,
    ap_ids: &[String],
    ids: &[i64],
) -> DbResult<Vec<(ActorRow, Option<CommunityRow>)>> {
    let mut found = chunked(ap_ids, |chunk| {
        actors::table
            .left_join(communities::table)
            .filter(actors::ap_id.eq_any(chunk))
            .select((ActorRow::as_select(), Option::<CommunityRow>::as_select()))
            .load(conn)
    })?;
    found.extend(chunked(ids, |chunk| {
        actors::table
            .left_join(communities::table)
            .filter(actors::id.eq_any(chunk))
            .select((ActorRow::as_select(), Option::<CommunityRow>::as_select()))
            .load(conn)
    })?);
    Ok(found)
}

/// Local people with their account rows, by username (for `weft user list`).
pub fn local_users(conn: &mut AnyConnection) -> DbResult<Vec<(ActorRow, LocalUserRow)>> {
    Ok(local_users::table
        .inner_join(actors::table)
        .order(actors::username.asc())
        .select((ActorRow::as_select(), LocalUserRow::as_select()))
        .load(conn)?)
}

/// Local communities with their details and member counts (for `weft community list`).
pub fn local_communities(conn: &mut AnyConnection) -> DbResult<Vec<(ActorRow, CommunityRow, i64)>> {
    let rows: Vec<(ActorRow, CommunityRow)> = actors::table
        .inner_join(communities::table)
        .filter(actors::is_local)
        .order(actors::username.asc())
        .select((ActorRow::as_select(), CommunityRow::as_select()))
        .load(conn)?;
    let counts: Vec<(i64, i64)> = memberships::table
        .group_by(memberships::community_id)
        .select((memberships::community_id, diesel::dsl::count_star()))
        .load(conn)?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|(a, c)| {
            let n = counts.get(&a.id).copied().unwrap_or(0);
            (a, c, n)
        })
        .collect())
}

/// Local actors whose ids name another domain than `domain` (the instance was first run
/// under another `WEFT_DOMAIN`): how many, and one of those domains.
pub fn local_on_other_domain(
    conn: &mut AnyConnection,
    domain: &str,
) -> DbResult<(i64, Option<String>)> {
    let count = actors::table
        .filter(actors::is_local)
        .filter(actors::domain.ne(domain))
        .count()
        .get_result(conn)?;
    let other = actors::table
        .filter(actors::is_local)
        .filter(actors::domain.ne(domain))
        .select(actors::domain)
        .first(conn)
        .optional()?;
    Ok((count, other))
}

//! Queries on a community's profile: its profile row, tags, objectives, parent and
//! children, lifecycle, and the people interested in a proposal.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn profile(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Option<CommunityProfileRow>> {
    Ok(community_profiles::table
        .find(actor_id)
        .select(CommunityProfileRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn upsert_profile(conn: &mut AnyConnection, row: &CommunityProfileRow) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(community_profiles::table)
        .values(row)
        .on_conflict(community_profiles::actor_id)
        .do_update()
        .set(row)
        .execute(c)?);
    Ok(())
}

/// The stored copy of a remote community's details (inserted on first sight). Written
/// column by column so that columns other branches add keep their defaults.
pub fn upsert_remote_community(
    conn: &mut AnyConnection,
    actor_id: i64,
    terms_of_reference: &str,
    lifecycle: &str,
    meeting_mode: &str,
    parent_id: Option<i64>,
    at: NaiveDateTime,
) -> DbResult<()> {
    let values = (
        communities::actor_id.eq(actor_id),
        communities::terms_of_reference.eq(terms_of_reference),
        communities::lifecycle.eq(lifecycle),
        communities::meeting_mode.eq(meeting_mode),
        communities::parent_id.eq(parent_id),
        communities::created_at.eq(at),
    );
    with_backend!(conn, c => diesel::insert_into(communities::table)
        .values(values)
        .on_conflict(communities::actor_id)
        .do_update()
        .set((
            communities::terms_of_reference.eq(terms_of_reference),
            communities::lifecycle.eq(lifecycle),
            communities::meeting_mode.eq(meeting_mode),
            communities::parent_id.eq(parent_id),
        ))
        .execute(c)?);
    Ok(())
}

/// Changes the terms of reference (markdown) and the meeting mode of a community.
pub fn set_details(
    conn: &mut AnyConnection,
    actor_id: i64,
    terms_of_reference: &str,
    meeting_mode: &str,
) -> DbResult<()> {
    diesel::update(communities::table.find(actor_id))
        .set((
            communities::terms_of_reference.eq(terms_of_reference),
            communities::meeting_mode.eq(meeting_mode),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_lifecycle(conn: &mut AnyConnection, actor_id: i64, lifecycle: &str) -> DbResult<()> {
    diesel::update(communities::table.find(actor_id))
        .set(communities::lifecycle.eq(lifecycle))
        .execute(conn)?;
    Ok(())
}

pub fn set_parent(conn: &mut AnyConnection, actor_id: i64, parent: Option<i64>) -> DbResult<()> {
    diesel::update(communities::table.find(actor_id))
        .set(communities::parent_id.eq(parent))
        .execute(conn)?;
    Ok(())
}

/// A community's sub-communities with their details, by name.
pub fn children(
    conn: &mut AnyConnection,
    actor_id: i64,
) -> DbResult<Vec<(ActorRow, CommunityRow)>> {
    Ok(actors::table
        .inner_join(communities::table.on(communities::actor_id.eq(actors::id)))
        .filter(communities::parent_id.eq(actor_id))
        .order(actors::username.asc())
        .select((ActorRow::as_select(), CommunityRow::as_select()))
        .load(conn)?)
}

/// Local communities with their details, by name (what a proposal is compared with).
pub fn local_with_details(conn: &mut AnyConnection) -> DbResult<Vec<(ActorRow, CommunityRow)>> {
    Ok(actors::table
        .inner_join(communities::table.on(communities::actor_id.eq(actors::id)))
        .filter(actors::is_local)
        .order(actors::username.asc())
        .select((ActorRow::as_select(), CommunityRow::as_select()))
        .load(conn)?)
}

pub fn tags(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Vec<String>> {
    Ok(community_tags::table
        .filter(community_tags::community_id.eq(actor_id))
        .order(community_tags::tag.asc())
        .select(community_tags::tag)
        .load(conn)?)
}

/// Every tag of the given communities, as (community, tag).
pub fn tags_of(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<(i64, String)>> {
    Ok(community_tags::table
        .filter(community_tags::community_id.eq_any(ids))
        .select((community_tags::community_id, community_tags::tag))
        .load(conn)?)
}

/// Replaces a community's tags.
pub fn set_tags(conn: &mut AnyConnection, actor_id: i64, tags: &[String]) -> DbResult<()> {
    diesel::delete(community_tags::table.filter(community_tags::community_id.eq(actor_id)))
        .execute(conn)?;
    for tag in tags {
        diesel::insert_into(community_tags::table)
            .values((
                community_tags::community_id.eq(actor_id),
                community_tags::tag.eq(tag),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn objectives(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Vec<ObjectiveRow>> {
    Ok(community_objectives::table
        .filter(community_objectives::community_id.eq(actor_id))
        .order(community_objectives::id.asc())
        .select(ObjectiveRow::as_select())
        .load(conn)?)
}

pub fn objective(conn: &mut AnyConnection, id: i64) -> DbResult<Option<ObjectiveRow>> {
    Ok(community_objectives::table
        .find(id)
        .select(ObjectiveRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_objective(conn: &mut AnyConnection, row: &NewObjective) -> DbResult<ObjectiveRow> {
    let id: i64 = with_backend!(conn, c => diesel::insert_into(community_objectives::table)
        .values(row)
        .returning(community_objectives::id)
        .get_result(c)?);
    Ok(objective(conn, id)?.expect("just inserted"))
}

pub fn update_objective(conn: &mut AnyConnection, id: i64, row: &NewObjective) -> DbResult<()> {
    diesel::update(community_objectives::table.find(id))
        .set(row)
        .execute(conn)?;
    Ok(())
}

pub fn delete_objective(conn: &mut AnyConnection, id: i64) -> DbResult<()> {
    diesel::delete(community_objectives::table.find(id)).execute(conn)?;
    Ok(())
}

/// Replaces all of a community's objectives (a remote community's stored copy).
pub fn replace_objectives(
    conn: &mut AnyConnection,
    actor_id: i64,
    rows: &[NewObjective],
) -> DbResult<()> {
    diesel::delete(
        community_objectives::table.filter(community_objectives::community_id.eq(actor_id)),
    )
    .execute(conn)?;
    for row in rows {
        diesel::insert_into(community_objectives::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Records a local person's interest in a proposal (again: no change).
pub fn add_interest(conn: &mut AnyConnection, community_id: i64, person_id: i64) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(community_interest::table)
        .values((
            community_interest::community_id.eq(community_id),
            community_interest::person_id.eq(person_id),
            community_interest::created_at.eq(crate::now()),
        ))
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(())
}

pub fn remove_interest(
    conn: &mut AnyConnection,
    community_id: i64,
    person_id: i64,
) -> DbResult<usize> {
    Ok(diesel::delete(
        community_interest::table
            .filter(community_interest::community_id.eq(community_id))
            .filter(community_interest::person_id.eq(person_id)),
    )
    .execute(conn)?)
}

/// People interested in a proposal: those who said so here, and people (local or
/// remote) who follow the proposed Group; oldest first, each once.
pub fn interested(conn: &mut AnyConnection, community_id: i64) -> DbResult<Vec<ActorRow>> {
    let mut said: Vec<(NaiveDateTime, ActorRow)> = community_interest::table
        .inner_join(actors::table.on(actors::id.eq(community_interest::person_id)))
        .filter(community_interest::community_id.eq(community_id))
        .select((community_interest::created_at, ActorRow::as_select()))
        .load(conn)?;
    let following: Vec<(NaiveDateTime, ActorRow)> = follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(community_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .filter(actors::kind.eq(actor_kind::PERSON))
        .select((follows::created_at, ActorRow::as_select()))
        .load(conn)?;
    said.extend(following);
    said.sort_by_key(|(at, a)| (*at, a.id));
    let mut seen = std::collections::HashSet::new();
    Ok(said
        .into_iter()
        .filter(|(_, a)| seen.insert(a.id))
        .map(|(_, a)| a)
        .collect())
}

/// How many people hold any role in a community.
pub fn member_count(conn: &mut AnyConnection, community_id: i64) -> DbResult<i64> {
    Ok(memberships::table
        .filter(memberships::community_id.eq(community_id))
        .count()
        .get_result(conn)?)
}

/// Changes a local community's title and domain statement (HTML and its markdown).
pub fn set_title_and_domain(
    conn: &mut AnyConnection,
    actor_id: i64,
    title: &str,
    summary: &str,
    summary_source: &str,
) -> DbResult<()> {
    diesel::update(actors::table.find(actor_id))
        .set((
            actors::display_name.eq(title),
            actors::summary.eq(summary),
            actors::summary_source.eq(summary_source),
        ))
        .execute(conn)?;
    Ok(())
}

//! Queries on memberships, join policies, join requests (pending follows of a community)
//! and invitations to a community.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use diesel::prelude::*;

pub fn find(
    conn: &mut AnyConnection,
    community_id: i64,
    person_id: i64,
) -> DbResult<Option<MembershipRow>> {
    Ok(memberships::table
        .find((community_id, person_id))
        .select(MembershipRow::as_select())
        .first(conn)
        .optional()?)
}

/// Ends a membership; returns whether there was one.
pub fn delete(conn: &mut AnyConnection, community_id: i64, person_id: i64) -> DbResult<bool> {
    Ok(diesel::delete(memberships::table.find((community_id, person_id))).execute(conn)? > 0)
}

/// How many members hold `role`.
pub fn count_role(conn: &mut AnyConnection, community_id: i64, role: &str) -> DbResult<i64> {
    Ok(memberships::table
        .filter(memberships::community_id.eq(community_id))
        .filter(memberships::role.eq(role))
        .count()
        .get_result(conn)?)
}

/// How many members a community has, whatever their role.
pub fn count(conn: &mut AnyConnection, community_id: i64) -> DbResult<i64> {
    Ok(memberships::table
        .filter(memberships::community_id.eq(community_id))
        .count()
        .get_result(conn)?)
}

/// A page of members with their actors, by actor id, after the cursor `after`.
pub fn page(
    conn: &mut AnyConnection,
    community_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(MembershipRow, ActorRow)>> {
    let mut query = memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::person_id)))
        .filter(memberships::community_id.eq(community_id))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(memberships::person_id.gt(after));
    }
    Ok(query
        .order(memberships::person_id.asc())
        .limit(limit)
        .select((MembershipRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

/// Sets a community's join policy.
pub fn set_join_policy(conn: &mut AnyConnection, community_id: i64, policy: &str) -> DbResult<()> {
    diesel::update(communities::table.find(community_id))
        .set(communities::join_policy.eq(policy))
        .execute(conn)?;
    Ok(())
}

/// Sets whether an actor approves its followers by hand (`manuallyApprovesFollowers`).
pub fn set_manually_approves(conn: &mut AnyConnection, actor_id: i64, yes: bool) -> DbResult<()> {
    diesel::update(actors::table.find(actor_id))
        .set(actors::manually_approves_followers.eq(yes))
        .execute(conn)?;
    Ok(())
}

/// Requests waiting to join a community: its pending follows, oldest first.
pub fn requests(
    conn: &mut AnyConnection,
    community_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(FollowRow, ActorRow)>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(community_id))
        .filter(follows::state.eq(follow_state::PENDING))
        .filter(follows::id.gt(after.unwrap_or(0)))
        .order(follows::id.asc())
        .limit(limit)
        .select((FollowRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

pub fn follow_by_id(conn: &mut AnyConnection, id: i64) -> DbResult<Option<FollowRow>> {
    Ok(follows::table
        .find(id)
        .select(FollowRow::as_select())
        .first(conn)
        .optional()?)
}

/// The newest invitation to `community_id` made for `invitee_id`, if any.
pub fn invitation_for(
    conn: &mut AnyConnection,
    community_id: i64,
    invitee_id: i64,
) -> DbResult<Option<InvitationRow>> {
    Ok(invitations::table
        .filter(invitations::community_id.eq(community_id))
        .filter(invitations::invitee_id.eq(invitee_id))
        .order(invitations::id.desc())
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?)
}

/// A community's leads and facilitators with their memberships, oldest first.
pub fn moderators(
    conn: &mut AnyConnection,
    community_id: i64,
) -> DbResult<Vec<(MembershipRow, ActorRow)>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::person_id)))
        .filter(memberships::community_id.eq(community_id))
        .filter(memberships::role.eq_any([role::LEAD, role::FACILITATOR]))
        .order(memberships::created_at.asc())
        .select((MembershipRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

/// The communities `person_id` is a member of (any role), by name (a home page's list).
pub fn communities_of(conn: &mut AnyConnection, person_id: i64) -> DbResult<Vec<ActorRow>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::community_id)))
        .filter(memberships::person_id.eq(person_id))
        .order(actors::username.asc())
        .select(ActorRow::as_select())
        .load(conn)?)
}

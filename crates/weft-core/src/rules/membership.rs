//! Memberships and joining: roles, join policies, requests, invitations, the members list.

use super::{holds, is_admin, local_community, role_or_admin};
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, join_policy, role};

/// May `actor` change roles in `community`, or remove a member? Its leads may, and the
/// instance's admins.
pub fn may_change_role(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    role_or_admin(conn, community, actor, &[role::LEAD], |c| {
        format!("only the leads of {c} may change roles there")
    })
}

/// May `person`'s role in `community` become `new_role` (None: no longer a member)? A
/// community always keeps at least one lead, so its last lead may not leave or step down.
pub fn keeps_a_lead(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
    new_role: Option<&str>,
) -> CoreResult<()> {
    if new_role == Some(role::LEAD) || !holds(conn, community, person, &[role::LEAD])? {
        return Ok(());
    }
    if weft_db::memberships::count_role(conn, community.id, role::LEAD)? <= 1 {
        return Err(CoreError::Conflict(format!(
            "{} is the last lead of {}: make someone else lead first",
            person.username, community.username
        )));
    }
    Ok(())
}

/// May `actor` set how people join `community`? Its leads may, and the instance's admins.
pub fn may_set_join_policy(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    role_or_admin(conn, community, actor, &[role::LEAD], |c| {
        format!("only the leads of {c} may set how people join it")
    })
}

/// May `actor` see and answer the requests to join `community`? Its leads and
/// facilitators may, and the instance's admins.
pub fn may_answer_join_request(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    role_or_admin(
        conn,
        community,
        actor,
        &[role::LEAD, role::FACILITATOR],
        |c| format!("only the leads and facilitators of {c} answer requests to join it"),
    )
}

/// May `actor` invite people into `community`? Its leads may, and the instance's admins.
pub fn may_invite(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    role_or_admin(conn, community, actor, &[role::LEAD], |c| {
        format!("only the leads of {c} may invite people into it")
    })
}

/// May `viewer` read who the members of `community` are, with their roles? Its members
/// may, and the instance's admins (how many there are is public).
pub fn may_see_members(
    conn: &mut AnyConnection,
    community: &ActorRow,
    viewer: &ActorRow,
) -> CoreResult<()> {
    if holds(conn, community, viewer, &role::ALL)? || is_admin(conn, viewer)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the members of {} see who its members are",
        community.username
    )))
}

/// What a request to join gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinAnswer {
    /// A member at once.
    Member,
    /// A request that waits for a lead or facilitator.
    Pending,
}

/// May `person` join `community` under its `policy`, holding a valid invitation or not?
/// Open: a member at once; approval: a request waits (an invitation admits at once);
/// invite: only with an invitation. Only people join; communities follow each other.
pub fn may_join(
    community: &ActorRow,
    person: &ActorRow,
    policy: &str,
    invited: bool,
) -> CoreResult<JoinAnswer> {
    local_community(community)?;
    if person.kind != weft_db::models::actor_kind::PERSON {
        return Err(CoreError::Invalid(
            "only people join communities; communities follow each other".into(),
        ));
    }
    match policy {
        _ if invited => Ok(JoinAnswer::Member),
        join_policy::OPEN => Ok(JoinAnswer::Member),
        join_policy::APPROVAL => Ok(JoinAnswer::Pending),
        _ => Err(CoreError::Forbidden(format!(
            "{} is joined by invitation only",
            community.username
        ))),
    }
}

/// May `actor` answer (accept or reject) a follow of `followed`? Only the followed actor.
pub fn may_answer_follow(followed: &str, actor: &ActorRow) -> CoreResult<()> {
    if weft_protocol::same_id(followed, &actor.ap_id) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only the followed actor may answer a follow".into(),
        ))
    }
}

/// May `actor` undo a follow made by `follower`? Only the follower itself.
pub fn may_undo_follow(follower: &str, actor: &ActorRow) -> CoreResult<()> {
    if weft_protocol::same_id(follower, &actor.ap_id) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "an actor may only undo its own follow".into(),
        ))
    }
}

//! Memberships: join policies, joining and leaving, requests to join (pending follows of
//! a community) and invitations into a community. Roles and their federation are in
//! [`roles`]. Every decision is a rule in [`crate::rules`].
//!
//! A member of a local community holds a membership row (with a role) and, as the way
//! the community reaches them, an accepted follow of it. A request to join is a pending
//! follow: a remote person's `Follow`, or a local join in an approval community.

pub mod roles;

use crate::rules::{self, JoinAnswer};
use crate::{CoreError, CoreResult, Urls, auth};
use chrono::NaiveDateTime;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::Follow;

pub use roles::{change_role, receive_role_change, remove_member};

/// A join policy named by a caller, checked.
pub fn parse_policy(policy: &str) -> CoreResult<&'static str> {
    join_policy::ALL
        .into_iter()
        .find(|p| *p == policy)
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "{policy:?} is not a join policy: use one of {}",
                join_policy::ALL.join(", ")
            ))
        })
}

/// A local community's details (its join policy among them).
pub fn details(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<CommunityRow> {
    weft_db::actors::community(conn, community.id)?.ok_or_else(|| {
        CoreError::Invalid(format!(
            "{} is not a community of this instance",
            community.ap_id
        ))
    })
}

/// A lead (or an admin) sets how people join `community`.
pub fn set_join_policy(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    community: &ActorRow,
    policy: &str,
) -> CoreResult<()> {
    let policy = parse_policy(policy)?;
    rules::may_set_join_policy(conn, community, actor)?;
    store_join_policy(conn, community, policy)?;
    // `manuallyApprovesFollowers` follows the policy: followers' copies are updated.
    let community = weft_db::actors::by_id(conn, community.id)?;
    crate::communities::send_update(conn, urls, &community)
}

/// Stores a join policy (the operator's CLI, or after the rule was asked). Approval and
/// invite communities say `manuallyApprovesFollowers: true`.
pub fn store_join_policy(
    conn: &mut AnyConnection,
    community: &ActorRow,
    policy: &str,
) -> CoreResult<()> {
    let policy = parse_policy(policy)?;
    weft_db::memberships::set_join_policy(conn, community.id, policy)?;
    weft_db::memberships::set_manually_approves(conn, community.id, policy != join_policy::OPEN)?;
    Ok(())
}

/// Makes `person` a member, keeping a role they already hold.
fn make_member(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
) -> CoreResult<()> {
    if weft_db::memberships::find(conn, community.id, person.id)?.is_none() {
        weft_db::actors::set_membership(
            conn,
            &MembershipRow {
                community_id: community.id,
                person_id: person.id,
                role: role::MEMBER.into(),
                created_at: weft_db::now(),
            },
        )?;
    }
    Ok(())
}

fn record_follow(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
    state: &str,
    activity: Option<String>,
) -> CoreResult<()> {
    weft_db::follows::upsert(
        conn,
        &NewFollow {
            follower_id: person.id,
            target_id: community.id,
            state: state.into(),
            activity_ap_id: activity,
            created_at: weft_db::now(),
        },
    )?;
    Ok(())
}

/// True when `person`'s request to join `community` is waiting already (asking again
/// tells the leads nothing new).
fn already_asked(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
) -> CoreResult<bool> {
    Ok(weft_db::follows::find(conn, person.id, community.id)?
        .is_some_and(|f| f.state == follow_state::PENDING))
}

/// Takes one use of the invitation made for `person` by name, when there is a valid one.
fn use_named_invitation(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
) -> CoreResult<bool> {
    let Some(row) = weft_db::memberships::invitation_for(conn, community.id, person.id)? else {
        return Ok(false);
    };
    if row.expires_at.is_some_and(|e| e <= weft_db::now()) {
        return Ok(false);
    }
    Ok(weft_db::accounts::use_invitation(conn, row.id)?)
}

/// Takes one use of an invitation code to `community`; refuses unknown, expired,
/// used-up codes, and codes made for someone else.
fn use_code(
    conn: &mut AnyConnection,
    community: &ActorRow,
    person: &ActorRow,
    code: &str,
) -> CoreResult<()> {
    let row = crate::registration::use_invitation(conn, code, Some(community.id))?;
    if row.invitee_id.is_some_and(|i| i != person.id) {
        return Err(CoreError::Forbidden(
            "the invitation is for someone else".into(),
        ));
    }
    Ok(())
}

/// A local person joins `community`, with an invitation code or none: a member at once,
/// or a request that waits (approval). A remote community is asked by `Follow`, and its
/// answer waits. Returns the answer.
pub fn join(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    community: &ActorRow,
    invitation: Option<&str>,
) -> CoreResult<JoinAnswer> {
    if !community.is_local {
        if invitation.is_some() {
            return Err(CoreError::Invalid(
                "an invitation to another instance's community is used there".into(),
            ));
        }
        let state = crate::following::follow(conn, urls, person, community)?;
        return Ok(if state == follow_state::ACCEPTED {
            JoinAnswer::Member
        } else {
            JoinAnswer::Pending
        });
    }
    let details = details(conn, community)?;
    if weft_db::memberships::find(conn, community.id, person.id)?.is_some() {
        record_follow(conn, community, person, follow_state::ACCEPTED, None)?;
        return Ok(JoinAnswer::Member);
    }
    let invited = match invitation {
        Some(code) => {
            use_code(conn, community, person, code)?;
            true
        }
        None if details.join_policy == join_policy::OPEN => false,
        None => use_named_invitation(conn, community, person)?,
    };
    let answer = rules::may_join(community, person, &details.join_policy, invited)?;
    let state = match answer {
        JoinAnswer::Member => {
            make_member(conn, community, person)?;
            follow_state::ACCEPTED
        }
        JoinAnswer::Pending => follow_state::PENDING,
    };
    let asked_before = state == follow_state::PENDING && already_asked(conn, community, person)?;
    record_follow(conn, community, person, state, None)?;
    if state == follow_state::PENDING && !asked_before {
        crate::mail::join_request(conn, urls, community, person)?;
    }
    Ok(answer)
}

/// `person` leaves `community`: membership and follow end (a last lead may not leave).
/// A moderator's leaving is announced as `Remove` from the moderators collection.
pub fn leave(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    community: &ActorRow,
) -> CoreResult<()> {
    if !community.is_local {
        // Leaving another instance's community is unfollowing it (`Undo(Follow)`).
        return crate::following::unfollow(conn, urls, person, community);
    }
    rules::keeps_a_lead(conn, community, person, None)?;
    let had = weft_db::memberships::find(conn, community.id, person.id)?;
    let followed = weft_db::follows::delete(conn, person.id, community.id)? > 0;
    if had.is_none() && !followed {
        return Err(CoreError::NotFound(format!(
            "{} is not a member of {}",
            person.username, community.username
        )));
    }
    weft_db::memberships::delete(conn, community.id, person.id)?;
    if let Some(had) = had
        && role::is_moderator(&had.role)
    {
        roles::announce(conn, urls, person, community, person, None)?;
    }
    Ok(())
}

/// A remote person's `Undo(Follow)` of a local community: they leave. A last lead's
/// role is kept (the follow still ends), so the community keeps a lead.
pub fn receive_leave(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    community: &ActorRow,
) -> CoreResult<()> {
    match leave(conn, urls, person, community) {
        Ok(()) | Err(CoreError::NotFound(_)) => Ok(()),
        Err(CoreError::Conflict(_)) => {
            weft_db::follows::delete(conn, person.id, community.id)?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// What a remote person's `Follow` of a local community got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowAnswer {
    Member,
    Pending,
    Refused(String),
}

/// A remote person's `Follow` of a local community, under its join policy: a member at
/// once (`Accept`), a request that waits, or refused with `Reject(Follow)` and nothing
/// stored (an invite community, unless a lead invited them by name).
pub fn receive_follow(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    community: &ActorRow,
    follow: &Follow,
) -> CoreResult<FollowAnswer> {
    let details = details(conn, community)?;
    let member = weft_db::memberships::find(conn, community.id, person.id)?.is_some();
    // A named invitation is used up only where it is needed.
    let invited = member
        || (details.join_policy != join_policy::OPEN
            && use_named_invitation(conn, community, person)?);
    let id = Some(follow.id.to_string());
    match rules::may_join(community, person, &details.join_policy, invited) {
        Ok(JoinAnswer::Member) => {
            make_member(conn, community, person)?;
            record_follow(conn, community, person, follow_state::ACCEPTED, id)?;
            crate::following::answer_follow(conn, urls, community, person, follow, true)?;
            Ok(FollowAnswer::Member)
        }
        Ok(JoinAnswer::Pending) => {
            let asked_before = already_asked(conn, community, person)?;
            record_follow(conn, community, person, follow_state::PENDING, id)?;
            if !asked_before {
                crate::mail::join_request(conn, urls, community, person)?;
            }
            Ok(FollowAnswer::Pending)
        }
        Err(CoreError::Forbidden(reason)) => {
            weft_db::follows::delete(conn, person.id, community.id)?;
            crate::following::answer_follow(conn, urls, community, person, follow, false)?;
            Ok(FollowAnswer::Refused(reason))
        }
        Err(e) => Err(e),
    }
}

/// The requests waiting to join `community`, oldest first (leads and facilitators).
pub fn requests(
    conn: &mut AnyConnection,
    viewer: &ActorRow,
    community: &ActorRow,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<(FollowRow, ActorRow)>> {
    rules::may_answer_join_request(conn, community, viewer)?;
    Ok(weft_db::memberships::requests(
        conn,
        community.id,
        after,
        limit,
    )?)
}

/// A lead or facilitator accepts (the requester becomes a member; a remote one gets
/// `Accept(Follow)`) or rejects (the request ends; a remote requester gets
/// `Reject(Follow)`) the request `request_id`. Returns the requester.
pub fn answer_request(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    request_id: i64,
    accept: bool,
) -> CoreResult<ActorRow> {
    rules::may_answer_join_request(conn, community, by)?;
    let request = weft_db::memberships::follow_by_id(conn, request_id)?
        .filter(|f| f.target_id == community.id && f.state == follow_state::PENDING)
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "no request {request_id} waits to join {}",
                community.username
            ))
        })?;
    let person = weft_db::actors::by_id(conn, request.follower_id)?;
    if accept {
        weft_db::follows::set_state(conn, request.id, follow_state::ACCEPTED)?;
        // A following community (a bridge) is let follow, but is no member.
        if person.kind == actor_kind::PERSON {
            make_member(conn, community, &person)?;
        }
    } else {
        weft_db::follows::delete(conn, person.id, community.id)?;
    }
    if !person.is_local
        && let Some(follow_id) = &request.activity_ap_id
    {
        let follow = crate::following::follow_of(follow_id, &person, community);
        crate::following::answer_follow(conn, urls, community, &person, &follow, accept)?;
    }
    Ok(person)
}

/// What an invitation into a community is made with.
pub struct NewCommunityInvitation<'a> {
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    /// The person it is for, local or remote: their join or `Follow` is pre-approved.
    pub invitee: Option<&'a ActorRow>,
}

/// A lead makes an invitation into `community`. Returns the row and the code (shown once).
pub fn invite(
    conn: &mut AnyConnection,
    by: &ActorRow,
    community: &ActorRow,
    new: NewCommunityInvitation,
) -> CoreResult<(InvitationRow, String)> {
    rules::may_invite(conn, community, by)?;
    if new.expires_at.is_some_and(|e| e <= weft_db::now()) {
        return Err(CoreError::Invalid("expires_at is in the past".into()));
    }
    if new.max_uses.is_some_and(|m| m < 1) {
        return Err(CoreError::Invalid("max_uses must be at least 1".into()));
    }
    if let Some(invitee) = new.invitee
        && invitee.kind != actor_kind::PERSON
    {
        return Err(CoreError::Invalid(format!(
            "{} is not a person: only people are invited",
            invitee.ap_id
        )));
    }
    let code = auth::new_secret();
    let row = weft_db::accounts::insert_invitation(
        conn,
        &NewInvitation {
            code_hash: auth::hash_secret(&code),
            community_id: Some(community.id),
            created_by: Some(by.id),
            created_at: weft_db::now(),
            expires_at: new.expires_at,
            max_uses: new.max_uses,
            invitee_id: new.invitee.map(|i| i.id),
        },
    )?;
    Ok((row, code))
}

/// A page of `community`'s members with their roles, by actor id after `after`
/// (members and admins only).
pub fn members(
    conn: &mut AnyConnection,
    viewer: &ActorRow,
    community: &ActorRow,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<(MembershipRow, ActorRow)>> {
    rules::may_see_members(conn, community, viewer)?;
    Ok(weft_db::memberships::page(
        conn,
        community.id,
        after,
        limit,
    )?)
}

/// What anyone may know of a community's membership, and where `viewer` stands.
pub struct Summary {
    /// `None` for a remote community (its policy is its own instance's business).
    pub join_policy: Option<String>,
    /// Members (local community) or known moderators (remote community).
    pub member_count: i64,
    pub role: Option<String>,
    /// `pending` while `viewer`'s request waits, `accepted` when they follow.
    pub follow: Option<String>,
}

pub fn summary(
    conn: &mut AnyConnection,
    viewer: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Summary> {
    let details = weft_db::actors::community(conn, community.id)?;
    Ok(Summary {
        join_policy: details.map(|d| d.join_policy),
        member_count: weft_db::memberships::count(conn, community.id)?,
        role: weft_db::actors::role_of(conn, community.id, viewer.id)?,
        follow: weft_db::follows::find(conn, viewer.id, community.id)?.map(|f| f.state),
    })
}

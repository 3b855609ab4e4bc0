//! Who may do what in a community. Every caller (API, web, inbox) asks here.

use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, CommunityRow, role};

/// May `author` start a thread (`is_thread`) or reply in `community` (a local Group)?
/// As in Lemmy, `postingRestrictedToMods` limits new threads; anyone may reply.
pub fn may_post(
    conn: &mut AnyConnection,
    community: &ActorRow,
    author: &ActorRow,
    is_thread: bool,
) -> CoreResult<()> {
    let details = weft_db::actors::community(conn, community.id)?;
    may_post_with(community, details.as_ref(), is_thread, || {
        Ok(weft_db::actors::role_of(conn, community.id, author.id)?)
    })
}

/// [`may_post`], given the community's details (read beforehand, perhaps for a whole
/// batch) and a way to learn the author's role there (asked only when it matters).
pub fn may_post_with(
    community: &ActorRow,
    details: Option<&CommunityRow>,
    is_thread: bool,
    role: impl FnOnce() -> CoreResult<Option<String>>,
) -> CoreResult<()> {
    if !community.is_group() {
        return Err(CoreError::Invalid(format!(
            "{} is not a community",
            community.ap_id
        )));
    }
    if let Some(refusal) = details.and_then(|d| lifecycle_refuses_posts(community, &d.lifecycle)) {
        return Err(refusal);
    }
    if community.posting_restricted_to_mods && is_thread {
        let role = role()?;
        if !role.as_deref().is_some_and(role::is_moderator) {
            return Err(CoreError::Forbidden(format!(
                "only the leads and facilitators of {} may start threads there",
                community.username
            )));
        }
    }
    Ok(())
}

/// May `actor` edit or delete `item`? Its author may; so may a lead or facilitator of
/// the community it was created in.
pub fn may_change_item(
    conn: &mut AnyConnection,
    item: &weft_db::models::ItemRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    if item.author_id == actor.id {
        return Ok(());
    }
    if let Some(community_id) = item.origin_community_id {
        let role = weft_db::actors::role_of(conn, community_id, actor.id)?;
        if role.as_deref().is_some_and(role::is_moderator) {
            return Ok(());
        }
    }
    Err(CoreError::Forbidden(
        "only the author or a moderator may change this post".into(),
    ))
}

/// May `author` schedule an event in `community` (a local Group)? Meetings are set by
/// its leads and facilitators.
pub fn may_schedule_event(
    conn: &mut AnyConnection,
    community: &ActorRow,
    author: &ActorRow,
) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::Invalid(format!(
            "{} is not a community of this instance: events are scheduled where the community lives",
            community.ap_id
        )));
    }
    let details = weft_db::actors::community(conn, community.id)?;
    if details.is_some_and(|d| d.lifecycle == "archived") {
        return Err(CoreError::Forbidden(format!(
            "{} is archived and schedules no events",
            community.username
        )));
    }
    let role = weft_db::actors::role_of(conn, community.id, author.id)?;
    if !role.as_deref().is_some_and(role::is_moderator) {
        return Err(CoreError::Forbidden(format!(
            "only the leads and facilitators of {} may schedule its events",
            community.username
        )));
    }
    Ok(())
}

/// May `actor` administer this instance (registrations, its policy, invitations)? Its
/// admins may, while their account is active.
pub fn may_administer(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<()> {
    let account = weft_db::accounts::local_user(conn, actor.id)?;
    match account {
        Some(a) if a.is_admin && a.status == weft_db::models::account_status::ACTIVE => Ok(()),
        _ => Err(CoreError::Forbidden(
            "only an administrator of this instance may do this".into(),
        )),
    }
}

/// May `viewer` see who answered the event `item` of `community`? Its organiser and the
/// community's leads and facilitators may, on the community's own instance (which alone
/// knows every answer).
pub fn may_see_attendees(
    conn: &mut AnyConnection,
    item: &weft_db::models::ItemRow,
    community: &ActorRow,
    viewer: &ActorRow,
) -> CoreResult<()> {
    if !community.is_local {
        return Err(CoreError::Forbidden(format!(
            "who is coming is known to {}, which hosts the event",
            community.domain
        )));
    }
    if item.author_id == viewer.id {
        return Ok(());
    }
    let role = weft_db::actors::role_of(conn, community.id, viewer.id)?;
    if role.as_deref().is_some_and(role::is_moderator) {
        return Ok(());
    }
    Err(CoreError::Forbidden(
        "only the organiser and the community's leads and facilitators see who is coming".into(),
    ))
}

// ---- A community's profile, sub-communities and lifecycle (issue 10). ----

use crate::communities::Lifecycle;

/// Is `actor` a lead of `community`?
fn is_lead_of(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<bool> {
    Ok(weft_db::actors::role_of(conn, community.id, actor.id)?.as_deref() == Some(role::LEAD))
}

/// Is `actor` an active admin of this instance?
fn is_active_admin(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<bool> {
    match may_administer(conn, actor) {
        Ok(()) => Ok(true),
        Err(CoreError::Forbidden(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

fn profile_lives_here(community: &ActorRow) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::Invalid(format!(
            "{} is not a community of this instance: its profile is changed where it lives",
            community.ap_id
        )));
    }
    Ok(())
}

/// Why a community in this state takes no new posts or events, if it takes none: a
/// proposal has no members yet, an archived community is read-only.
pub fn lifecycle_refuses_posts(community: &ActorRow, lifecycle: &str) -> Option<CoreError> {
    match Lifecycle::parse(lifecycle).ok()? {
        Lifecycle::Archived => Some(CoreError::Forbidden(format!(
            "{} is archived and takes no new posts",
            community.username
        ))),
        Lifecycle::Proposal => Some(CoreError::Forbidden(format!(
            "{} is still a proposal: it takes posts once it is activated",
            community.username
        ))),
        Lifecycle::Active => None,
    }
}

/// May `by` change the profile of `community` (domain, terms of reference, rhythm,
/// mode, language, tags, objectives)? Its leads may, and the instance's admins.
pub fn may_edit_profile(
    conn: &mut AnyConnection,
    community: &ActorRow,
    by: &ActorRow,
) -> CoreResult<()> {
    profile_lives_here(community)?;
    if is_lead_of(conn, community, by)? || is_active_admin(conn, by)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads of {} and this instance's admins may change its profile",
        community.username
    )))
}

/// May `by` propose a new community? Any local person whose account is active may.
pub fn may_propose(conn: &mut AnyConnection, by: &ActorRow) -> CoreResult<()> {
    let account = weft_db::accounts::local_user(conn, by.id)?;
    match account {
        Some(a) if a.status == weft_db::models::account_status::ACTIVE => Ok(()),
        _ => Err(CoreError::Forbidden(
            "only people with an active account here may propose a community".into(),
        )),
    }
}

/// May `by` propose a community as a sub-community of `parent`? The leads of the parent
/// may, and admins.
pub fn may_propose_under(
    conn: &mut AnyConnection,
    by: &ActorRow,
    parent: &ActorRow,
) -> CoreResult<()> {
    if is_lead_of(conn, parent, by)? || is_active_admin(conn, by)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads of {} and admins may start a sub-community of it",
        parent.username
    )))
}

/// May `person` say they are interested in `community`? Anyone may, while it is a
/// proposal.
pub fn may_express_interest(
    community: &ActorRow,
    person: &ActorRow,
    lifecycle: Lifecycle,
) -> CoreResult<()> {
    if person.kind != weft_db::models::actor_kind::PERSON {
        return Err(CoreError::Invalid("only people express interest".into()));
    }
    if lifecycle != Lifecycle::Proposal {
        return Err(CoreError::Conflict(format!(
            "{} is {}, not a proposal: join it instead",
            community.username,
            lifecycle.as_str()
        )));
    }
    Ok(())
}

/// May `by` activate `community`? Its leads and admins may, while it is a proposal.
pub fn may_activate(
    conn: &mut AnyConnection,
    community: &ActorRow,
    by: &ActorRow,
    lifecycle: Lifecycle,
) -> CoreResult<()> {
    may_edit_profile(conn, community, by)?;
    if lifecycle != Lifecycle::Proposal {
        return Err(CoreError::Conflict(format!(
            "{} is {}: only a proposal is activated (an archived community is reopened by an admin)",
            community.username,
            lifecycle.as_str()
        )));
    }
    Ok(())
}

/// May `by` archive `community`? Its leads and admins may, unless it is archived
/// already (its sub-communities are the service's check).
pub fn may_archive(
    conn: &mut AnyConnection,
    community: &ActorRow,
    by: &ActorRow,
    lifecycle: Lifecycle,
) -> CoreResult<()> {
    may_edit_profile(conn, community, by)?;
    if lifecycle == Lifecycle::Archived {
        return Err(CoreError::Conflict(format!(
            "{} is archived already",
            community.username
        )));
    }
    Ok(())
}

/// May `by` reopen a community? Only an admin, and only an archived one.
pub fn may_reopen(conn: &mut AnyConnection, by: &ActorRow, lifecycle: Lifecycle) -> CoreResult<()> {
    may_administer(conn, by)?;
    if lifecycle != Lifecycle::Archived {
        return Err(CoreError::Conflict(format!(
            "only an archived community is reopened; this one is {}",
            lifecycle.as_str()
        )));
    }
    Ok(())
}

/// May `by` move `child` under `parent` (or to the top level)? A lead of the child who
/// is also a lead of the new parent may, and admins.
pub fn may_set_parent(
    conn: &mut AnyConnection,
    by: &ActorRow,
    child: &ActorRow,
    parent: Option<&ActorRow>,
) -> CoreResult<()> {
    profile_lives_here(child)?;
    if is_active_admin(conn, by)? {
        return Ok(());
    }
    let of_parent = match parent {
        Some(p) => is_lead_of(conn, p, by)?,
        None => true,
    };
    if is_lead_of(conn, child, by)? && of_parent {
        return Ok(());
    }
    Err(CoreError::Forbidden(
        "only a lead of both the community and its new parent, or an admin, may move it".into(),
    ))
}

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
    if details.is_some_and(|d| d.lifecycle == "archived") {
        return Err(CoreError::Forbidden(format!(
            "{} is archived and takes no new posts",
            community.username
        )));
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

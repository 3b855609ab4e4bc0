//! Who may do what in a community. Every caller (API, web, inbox) asks here; each rule is
//! one function with a line a lead could read. Posting, items and events are here;
//! memberships in [`membership`], a community's profile and lifecycle in [`communities`],
//! its files in [`files`], its resource library in [`resources`].
//! `docs/authorization.md` is the table the tests observe.

mod bridges;
mod communities;
mod constellation;
mod feeds;
mod files;
mod instances;
mod mail;
mod membership;
mod resources;
mod weaving;

pub use bridges::*;
pub use communities::*;
pub use constellation::*;
pub use feeds::*;
pub use files::*;
pub use instances::*;
pub use mail::*;
pub use membership::*;
pub use resources::*;
pub use weaving::*;

use crate::communities::Lifecycle;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, CommunityRow, join_policy, role};

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
    // In approval and invite communities only members post; elsewhere the role is
    // asked only when a mods-only community gets a new thread.
    let members_only = details.is_some_and(|d| d.join_policy != join_policy::OPEN);
    let role = if members_only {
        let role = role()?;
        if role.is_none() {
            return Err(CoreError::Forbidden(format!(
                "only members of {} may post there: it is joined by {}",
                community.username,
                if details.is_some_and(|d| d.join_policy == join_policy::INVITE) {
                    "invitation"
                } else {
                    "approval"
                }
            )));
        }
        role
    } else if community.posting_restricted_to_mods && is_thread {
        role()?
    } else {
        return Ok(());
    };
    if community.posting_restricted_to_mods
        && is_thread
        && !role.as_deref().is_some_and(role::is_moderator)
    {
        return Err(CoreError::Forbidden(format!(
            "only the leads and facilitators of {} may start threads there",
            community.username
        )));
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

/// May `actor` edit `item`? Only its author: a moderator may remove a post, not put
/// words in its author's mouth.
pub fn may_edit_item(item: &weft_db::models::ItemRow, actor: &ActorRow) -> CoreResult<()> {
    if item.author_id == actor.id {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only the author may edit a post".into(),
        ))
    }
}

/// Does this instance take the posts and events a remote `community` announces? Only
/// while someone here follows it (nobody would see them otherwise). The reason when not:
/// the activity is then acknowledged and dropped.
pub fn not_taken_from(
    conn: &mut AnyConnection,
    community: &ActorRow,
) -> CoreResult<Option<String>> {
    let followed_here = !weft_db::follows::local_followers(conn, community.id)?.is_empty();
    Ok(not_taken_with(community, followed_here))
}

/// [`not_taken_from`], with whether someone here follows the community known already.
pub fn not_taken_with(community: &ActorRow, followed_here: bool) -> Option<String> {
    (!followed_here).then(|| format!("nobody here follows {}", community.ap_id))
}

/// May `community` remove `item` on its own authority (its `Announce(Delete)`: a Lemmy
/// moderator's removal, or the author's delete passed on)? Only a post of its own.
pub fn may_remove_as_community(
    item: &weft_db::models::ItemRow,
    community: &ActorRow,
) -> CoreResult<()> {
    if item.origin_community_id == Some(community.id) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!(
            "{} may only remove posts of its own community",
            community.ap_id
        )))
    }
}

/// May `community` answer RSVPs to `event` (accept or refuse a Join, publish its counts)?
/// Only the community that hosts it.
pub fn may_answer_for_event(
    event: &weft_db::models::ItemRow,
    community: &ActorRow,
) -> CoreResult<()> {
    if event.kind == weft_db::models::ItemKind::Event
        && event.origin_community_id == Some(community.id)
    {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!(
            "{} does not host the event {}",
            community.ap_id, event.ap_id
        )))
    }
}

/// May `author` update the event `item` received from elsewhere? Only its author,
/// through its own instance (a local event is changed here, through the API).
pub fn may_update_received_event(
    item: &weft_db::models::ItemRow,
    author: &ActorRow,
) -> CoreResult<()> {
    if item.author_id == author.id
        && item.kind == weft_db::models::ItemKind::Event
        && !item.is_local
    {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only the author's instance may update an event".into(),
        ))
    }
}

/// May `community` refuse the local post `item` (a `Reject` of its `Create`)? Only the
/// community it was posted into (`origin`).
pub fn may_refuse_post(
    item: &weft_db::models::ItemRow,
    origin: Option<&ActorRow>,
    community: &ActorRow,
) -> CoreResult<()> {
    if origin.is_some_and(|o| weft_protocol::same_id(&o.ap_id, &community.ap_id)) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!(
            "only the community {} was posted into may refuse {}",
            community.ap_id, item.ap_id
        )))
    }
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
    if details.is_some_and(|d| matches!(Lifecycle::parse(&d.lifecycle), Ok(Lifecycle::Archived))) {
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

/// Is `actor` an active administrator of this instance? (A yes or no; a database failure
/// is an error.)
fn is_admin(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<bool> {
    match may_administer(conn, actor) {
        Ok(()) => Ok(true),
        Err(CoreError::Forbidden(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Does `actor` hold one of `roles` in `community`?
fn holds(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
    roles: &[&str],
) -> CoreResult<bool> {
    let role = weft_db::actors::role_of(conn, community.id, actor.id)?;
    Ok(role.as_deref().is_some_and(|r| roles.contains(&r)))
}

/// Refuses what is only done where a community lives (a copy of a remote one cannot).
fn local_community(community: &ActorRow) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::Invalid(format!(
            "{} is not a community of this instance",
            community.ap_id
        )));
    }
    Ok(())
}

/// `actor` holds one of `roles` in the local `community`, or is an admin of this
/// instance; otherwise the refusal `says` makes from the community's name.
fn role_or_admin(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
    roles: &[&str],
    says: impl FnOnce(&str) -> String,
) -> CoreResult<()> {
    local_community(community)?;
    if holds(conn, community, actor, roles)? || is_admin(conn, actor)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(says(&community.username)))
}

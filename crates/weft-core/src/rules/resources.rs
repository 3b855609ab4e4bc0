//! Who may do what in a community's resource library. The same rules answer the REST API
//! (people here) and the inbox (people elsewhere, by their role in the community).

use super::holds;
use crate::communities::Lifecycle;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, ItemRow, role};

const MODERATORS: [&str; 2] = [role::LEAD, role::FACILITATOR];

/// The library of `community` takes changes here: it is a community of this instance,
/// and not archived (an archived community's library is read-only).
pub fn library_open(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::Invalid(format!(
            "{} is not a community of this instance: its library changes where it lives",
            community.ap_id
        )));
    }
    let details = weft_db::actors::community(conn, community.id)?;
    if details.is_some_and(|d| matches!(Lifecycle::parse(&d.lifecycle), Ok(Lifecycle::Archived))) {
        return Err(CoreError::Forbidden(format!(
            "{} is archived: its library is read-only",
            community.username
        )));
    }
    Ok(())
}

/// May `actor` add a resource or a folder to the library of `community`? Its members may
/// (whatever their role).
pub fn may_add_resource(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    library_open(conn, community)?;
    if weft_db::actors::role_of(conn, community.id, actor.id)?.is_none() {
        return Err(CoreError::Forbidden(format!(
            "only members of {} may add to its library",
            community.username
        )));
    }
    Ok(())
}

/// May `actor` edit, move or delete the resource `item` of `community`? Its author may,
/// and the community's leads and facilitators.
pub fn may_change_resource(
    conn: &mut AnyConnection,
    community: &ActorRow,
    item: &ItemRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    library_open(conn, community)?;
    if item.author_id == actor.id || holds(conn, community, actor, &MODERATORS)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the resource's author and the leads and facilitators of {} may change it",
        community.username
    )))
}

/// May `actor` restore an old version of a resource of `community`? Its leads may (the
/// restored text becomes a new version; nothing is lost).
pub fn may_restore_resource(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    library_open(conn, community)?;
    if holds(conn, community, actor, &[role::LEAD])? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads of {} may restore an old version",
        community.username
    )))
}

/// May `actor` rename, move or delete folders of the library of `community`? Its leads
/// and facilitators may.
pub fn may_arrange_folders(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    library_open(conn, community)?;
    if holds(conn, community, actor, &MODERATORS)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads and facilitators of {} may rename, move or delete its folders",
        community.username
    )))
}

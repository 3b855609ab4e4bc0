//! Who may weave: carry an item from any community, here or elsewhere, into a community
//! here, with a note on why it matters there; and what a community elsewhere may tell
//! this instance about the weaving of its communities' items.

use super::{holds, lifecycle_refuses_posts, local_community};
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, PlacementRow, role};
use weft_db::weaves::TravelRow;

const WEAVERS: [&str; 2] = [role::WEAVER, role::LEAD];

/// May `actor` weave items into `community`? Its weavers and leads may, while the
/// community takes posts (not a proposal, not archived).
pub fn may_weave(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    local_community(community)?;
    if let Some(details) = weft_db::actors::community(conn, community.id)?
        && let Some(refusal) = lifecycle_refuses_posts(community, &details.lifecycle)
    {
        return Err(refusal);
    }
    if holds(conn, community, actor, &WEAVERS)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the weavers and leads of {} may weave items into it",
        community.username
    )))
}

/// May `actor` unweave the woven `placement` from `community`? The weaver who wove it
/// may, and the community's leads.
pub fn may_unweave(
    conn: &mut AnyConnection,
    community: &ActorRow,
    placement: &PlacementRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    local_community(community)?;
    if placement.by_actor_id == Some(actor.id) || holds(conn, community, actor, &[role::LEAD])? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the weaver who wove it and the leads of {} may unweave it",
        community.username
    )))
}

/// May `community` (elsewhere) tell this instance that it wove an item of the local
/// community `origin`? Any community may, but not the item's own community.
pub fn may_tell_weave(community: &ActorRow, origin: &ActorRow) -> CoreResult<()> {
    if !community.is_group() || community.id == origin.id {
        return Err(CoreError::Forbidden(format!(
            "{} cannot weave an item of {} into itself",
            community.ap_id, origin.ap_id
        )));
    }
    Ok(())
}

/// May `community` undo the weave recorded as `travel`? Only the community that wove it.
pub fn may_undo_weave(community: &ActorRow, travel: &TravelRow) -> CoreResult<()> {
    if travel.woven_into_id == community.id {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!(
            "only the community that wove it may undo the weave {}",
            travel.announce_ap_id
        )))
    }
}

//! Bridges: who may link a community to another, change what it takes, or unlink it.

use super::{holds, is_admin};
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, role};

/// May `by` link `community` to another community, change the kinds its bridge places
/// and passes on, or unlink it? Its leads may, and the instance's admins.
pub fn may_manage_bridges(
    conn: &mut AnyConnection,
    community: &ActorRow,
    by: &ActorRow,
) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::Invalid(format!(
            "{} is not a community of this instance: its bridges are made where it lives",
            community.ap_id
        )));
    }
    if holds(conn, community, by, &[role::LEAD])? || is_admin(conn, by)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads of {} and this instance's admins may link it to other communities, or change or unlink its bridges",
        community.username
    )))
}

/// May `community` follow `target` as a bridge? A community, not itself.
pub fn may_bridge_to(community: &ActorRow, target: &ActorRow) -> CoreResult<()> {
    if !target.is_group() {
        return Err(CoreError::Invalid(format!(
            "{} is not a community: a bridge links two communities",
            target.ap_id
        )));
    }
    if target.id == community.id {
        return Err(CoreError::Invalid(
            "a community cannot be bridged to itself".into(),
        ));
    }
    Ok(())
}

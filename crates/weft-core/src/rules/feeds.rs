//! Feeds: who may read a community's public feeds, and who keeps a private calendar.

use crate::{CoreError, CoreResult};
use weft_db::models::{ActorRow, actor_kind};

/// Anyone may read a community's Atom and calendar feeds here, without signing in: what
/// a community holds is public. Only this instance's own communities have feeds here (a
/// remote community's are its own instance's to serve).
pub fn may_read_feeds(community: &ActorRow) -> CoreResult<()> {
    if !community.is_group() || !community.is_local {
        return Err(CoreError::NotFound(format!(
            "no community {} here: feeds are served by a community's own instance",
            community.username
        )));
    }
    Ok(())
}

/// Every signed-in person here may make, replace or revoke their own private calendar
/// address (of the events they go or may go to); no one can for anyone else.
pub fn may_keep_a_calendar(person: &ActorRow) -> CoreResult<()> {
    if !person.is_local || person.kind != actor_kind::PERSON {
        return Err(CoreError::Forbidden(
            "only people with an account here keep a calendar here".into(),
        ));
    }
    Ok(())
}

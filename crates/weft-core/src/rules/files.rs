//! A community's files.

use super::local_community;
use crate::communities::Lifecycle;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::ActorRow;

/// May `actor` upload a file to the library of `community`? Its members may (any role),
/// where the community lives; an archived community's library is read-only.
pub fn may_upload_file(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    local_community(community)?;
    let details = weft_db::actors::community(conn, community.id)?;
    if details.is_some_and(|d| matches!(Lifecycle::parse(&d.lifecycle), Ok(Lifecycle::Archived))) {
        return Err(CoreError::Forbidden(format!(
            "{} is archived: its library is read-only",
            community.username
        )));
    }
    if weft_db::actors::role_of(conn, community.id, actor.id)?.is_none() {
        return Err(CoreError::Forbidden(format!(
            "only members of {} may upload files to its library",
            community.username
        )));
    }
    Ok(())
}

//! The directory and constellations: who convenes, joins, accepts members, sets the
//! federation policy, and lists a community in the directory.

use crate::directory::Policy;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::ActorRow;

/// May `actor` convene a constellation here? Only an admin of this instance.
pub fn may_convene(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<()> {
    super::may_administer(conn, actor)
}

/// May `actor` ask for this instance to join another's constellation? Only an admin.
pub fn may_join_constellation(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<()> {
    super::may_administer(conn, actor)
}

/// May `actor` see who asks to join a constellation convened here, and accept them?
/// Only an admin of this instance.
pub fn may_accept_constellation_member(
    conn: &mut AnyConnection,
    actor: &ActorRow,
) -> CoreResult<()> {
    super::may_administer(conn, actor)
}

/// May `actor` set this instance's federation policy? Only an admin.
pub fn may_set_federation_policy(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<()> {
    super::may_administer(conn, actor)
}

/// May `actor` list or unlist the local `community` in the directory? Its leads, and
/// admins (as for the rest of its profile).
pub fn may_list_in_directory(
    conn: &mut AnyConnection,
    community: &ActorRow,
    actor: &ActorRow,
) -> CoreResult<()> {
    super::may_edit_profile(conn, community, actor)
}

/// Does this instance take activities from `domain` under its federation policy? Under
/// "constellation members only", only from the members and convenors of its
/// constellations, except a request to join a constellation convened here
/// (`asks_to_join`), which its admin answers.
pub fn may_federate_under(policy: &Policy, domain: &str, asks_to_join: bool) -> CoreResult<()> {
    if asks_to_join || policy.admits(domain) {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "this instance federates only with the members of its constellations, and {domain} is not one"
    )))
}

//! A community's profile, sub-communities and lifecycle.

use super::{holds, is_admin, may_administer};
use crate::communities::Lifecycle;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, role};

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
    lead_or_admin(conn, community, by, "change its profile")
}

/// `by` is a lead of the local `community` or an admin; the refusal says they may not `what`.
fn lead_or_admin(
    conn: &mut AnyConnection,
    community: &ActorRow,
    by: &ActorRow,
    what: &str,
) -> CoreResult<()> {
    profile_lives_here(community)?;
    if holds(conn, community, by, &[role::LEAD])? || is_admin(conn, by)? {
        return Ok(());
    }
    Err(CoreError::Forbidden(format!(
        "only the leads of {} and this instance's admins may {what}",
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
    if holds(conn, parent, by, &[role::LEAD])? || is_admin(conn, by)? {
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
    lead_or_admin(conn, community, by, "activate it")?;
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
    lead_or_admin(conn, community, by, "archive it")?;
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
    if is_admin(conn, by)? {
        return Ok(());
    }
    let of_parent = match parent {
        Some(p) => holds(conn, p, by, &[role::LEAD])?,
        None => true,
    };
    if holds(conn, child, by, &[role::LEAD])? && of_parent {
        return Ok(());
    }
    Err(CoreError::Forbidden(
        "only a lead of both the community and its new parent, or an admin, may move it".into(),
    ))
}

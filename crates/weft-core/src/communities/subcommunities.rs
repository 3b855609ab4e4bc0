//! Sub-communities (seed 000: a large CoP "has 3 subnetworks under its umbrella"): a
//! local community may have a parent on the same instance; no cycles.

use super::{Lifecycle, send_update};
use crate::{CoreError, CoreResult, Urls, accounts, rules};
use weft_db::AnyConnection;
use weft_db::models::*;

/// Most levels walked up a parent chain (a deeper one is refused as a likely cycle).
const MAX_DEPTH: usize = 32;

/// Checks that `parent` may become `child`'s parent: a local community other than the
/// child, not archived, and not below the child (no cycles).
pub(crate) fn check_parent(
    conn: &mut AnyConnection,
    child: Option<&ActorRow>,
    parent: &ActorRow,
) -> CoreResult<()> {
    let details = weft_db::actors::community(conn, parent.id)?
        .ok_or_else(|| CoreError::NotFound(format!("no local community {}", parent.username)))?;
    if details.lifecycle == Lifecycle::Archived.as_str() {
        return Err(CoreError::Conflict(format!(
            "{} is archived and takes no new sub-communities",
            parent.username
        )));
    }
    let Some(child) = child else { return Ok(()) };
    let mut at = Some(parent.id);
    for _ in 0..MAX_DEPTH {
        let Some(id) = at else { return Ok(()) };
        if id == child.id {
            return Err(CoreError::Conflict(format!(
                "{} is {} itself or one of its sub-communities: a community cannot be its own ancestor",
                parent.username, child.username
            )));
        }
        at = weft_db::actors::community(conn, id)?.and_then(|c| c.parent_id);
    }
    Err(CoreError::Conflict(
        "the chain of parents is too deep".into(),
    ))
}

/// Makes `child` a sub-community of the local community `parent` (`None`: top level).
/// Its old and new parents' Group documents change too: all three send `Update(Group)`
/// (the caller sends the child's).
pub(crate) fn set_parent(
    conn: &mut AnyConnection,
    by: &ActorRow,
    child: &ActorRow,
    parent: Option<&str>,
) -> CoreResult<Vec<ActorRow>> {
    let old = weft_db::actors::community(conn, child.id)?.and_then(|c| c.parent_id);
    let new = match parent {
        Some(name) => {
            let parent = accounts::local_community(conn, name)?;
            rules::may_set_parent(conn, by, child, Some(&parent))?;
            check_parent(conn, Some(child), &parent)?;
            Some(parent)
        }
        None => {
            rules::may_set_parent(conn, by, child, None)?;
            None
        }
    };
    let new_id = new.as_ref().map(|p| p.id);
    weft_db::communities::set_parent(conn, child.id, new_id)?;
    let mut changed = vec![];
    if old != new_id {
        if let Some(old) = old {
            changed.push(weft_db::actors::by_id(conn, old)?);
        }
        changed.extend(new);
    }
    Ok(changed)
}

/// [`set_parent`] as its own service: the child and its old and new parents federate.
pub fn move_community(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    child: &ActorRow,
    parent: Option<&str>,
) -> CoreResult<()> {
    let changed = set_parent(conn, by, child, parent)?;
    send_update(conn, urls, child)?;
    for c in changed {
        send_update(conn, urls, &c)?;
    }
    Ok(())
}

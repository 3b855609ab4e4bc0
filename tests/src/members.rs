//! Helpers for the membership tests: what an instance stores of memberships and follows,
//! and the check that a refusal has a problem body.

use crate::Instance;
use serde_json::Value;
use weft_db::models::{ActorRow, FollowRow, MembershipRow};

/// `person`'s membership of `community` as `i` stores it.
pub fn membership(i: &Instance, community: &ActorRow, person: &ActorRow) -> Option<MembershipRow> {
    let (c, p) = (community.id, person.id);
    i.db.read_blocking(move |conn| weft_db::memberships::find(conn, c, p))
        .unwrap()
}

/// `follower`'s follow of the actor `target` (an ActivityPub id) as `i` stores it.
pub fn follow_row(i: &Instance, follower: &ActorRow, target: &str) -> Option<FollowRow> {
    let (f, t) = (follower.id, target.to_string());
    i.db.read_blocking(move |conn| -> Result<_, weft_db::DbError> {
        let Some(target) = weft_db::actors::by_ap_id(conn, &t)? else {
            return Ok(None);
        };
        weft_db::follows::find(conn, f, target.id)
    })
    .unwrap()
}

/// The actor row an instance holds for `ap_id`.
pub fn known(i: &Instance, ap_id: &str) -> Option<ActorRow> {
    let id = ap_id.to_string();
    i.db.read_blocking(move |c| weft_db::actors::by_ap_id(c, &id))
        .unwrap()
}

/// Asserts a refusal: the status, and a problem body that says why.
pub fn refused(what: &str, expected: u16, got: (u16, Value)) {
    assert_eq!(got.0, expected, "{what}: {}", got.1);
    assert!(
        got.1["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}: a problem body says why: {}",
        got.1
    );
}

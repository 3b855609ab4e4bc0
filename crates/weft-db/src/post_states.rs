//! Where a local post into a remote community stands: pending until the community
//! announces it, refused (with the reason) when it says no. No row means published.

use crate::connection::chunked;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

pub const PENDING: &str = "pending";
pub const PUBLISHED: &str = "published";
pub const REFUSED: &str = "refused";

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = post_states)]
pub struct PostStateRow {
    pub item_id: i64,
    pub state: String,
    pub reason: Option<String>,
    pub updated_at: NaiveDateTime,
}

pub fn of(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<PostStateRow>> {
    Ok(post_states::table
        .find(item_id)
        .select(PostStateRow::as_select())
        .first(conn)
        .optional()?)
}

/// The states of those of `ids` that have one.
pub fn of_items(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<HashMap<i64, PostStateRow>> {
    let rows = chunked(ids, |chunk| {
        post_states::table
            .filter(post_states::item_id.eq_any(chunk))
            .select(PostStateRow::as_select())
            .load(conn)
    })?;
    Ok(rows.into_iter().map(|r| (r.item_id, r)).collect())
}

/// Sets an item's state (and reason), replacing any it had.
pub fn set(
    conn: &mut AnyConnection,
    item_id: i64,
    state: &str,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> DbResult<()> {
    let updated = diesel::update(post_states::table.find(item_id))
        .set((
            post_states::state.eq(state),
            post_states::reason.eq(reason),
            post_states::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(post_states::table)
            .values(&PostStateRow {
                item_id,
                state: state.into(),
                reason: reason.map(str::to_string),
                updated_at: at,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// A pending item becomes published (its community announced it); true if it was pending.
pub fn publish_pending(
    conn: &mut AnyConnection,
    item_id: i64,
    at: NaiveDateTime,
) -> DbResult<bool> {
    Ok(diesel::update(
        post_states::table
            .find(item_id)
            .filter(post_states::state.eq(PENDING)),
    )
    .set((
        post_states::state.eq(PUBLISHED),
        post_states::updated_at.eq(at),
    ))
    .execute(conn)?
        > 0)
}

/// The delivery hook: the server of the community a pending post was sent into refused
/// its `Create` for good (a 4xx). The post is marked refused with what the server said,
/// unless it already has a state other than pending (a `Reject` with its reason may have
/// come first). Any other activity, or a refusal by another server, changes nothing.
pub fn refused_by_delivery(
    conn: &mut AnyConnection,
    outbox_id: i64,
    instance_id: i64,
    message: &str,
) -> DbResult<bool> {
    let sent: Option<(String, Option<String>)> = outbox::table
        .find(outbox_id)
        .select((outbox::kind, outbox::object_ap_id))
        .first(conn)
        .optional()?;
    let Some(("Create", Some(object))) = sent.as_ref().map(|(k, o)| (k.as_str(), o.clone())) else {
        return Ok(false);
    };
    let found: Option<(i64, Option<i64>)> = items::table
        .filter(items::ap_id.eq(&object))
        .filter(items::is_local)
        .select((items::id, items::origin_community_id))
        .first(conn)
        .optional()?;
    let Some((item_id, Some(community_id))) = found else {
        return Ok(false);
    };
    let community_domain: String = actors::table
        .find(community_id)
        .select(actors::domain)
        .first(conn)?;
    let instance_domain: String = instances::table
        .find(instance_id)
        .select(instances::domain)
        .first(conn)?;
    if community_domain != instance_domain {
        return Ok(false);
    }
    let reason = refusal_reason(message);
    Ok(diesel::update(
        post_states::table
            .find(item_id)
            .filter(post_states::state.eq(PENDING)),
    )
    .set((
        post_states::state.eq(REFUSED),
        post_states::reason.eq(Some(reason)),
        post_states::updated_at.eq(crate::now()),
    ))
    .execute(conn)?
        > 0)
}

/// `"{inbox} answered 403 Forbidden: {problem JSON}"` as `"answered 403 Forbidden: {detail}"`
/// (the problem's `detail` when the answer was one), at most 500 characters.
fn refusal_reason(message: &str) -> String {
    let (head, body) = message.split_once(": ").unwrap_or((message, ""));
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.to_string());
    let head = head.split_once(" answered ").map_or(head, |(_, s)| s);
    format!("the community's server answered {head}: {detail}")
        .chars()
        .take(500)
        .collect()
}

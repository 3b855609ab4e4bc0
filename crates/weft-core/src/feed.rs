//! Reading: a community's feed of threads (from placements) and a thread's replies.
//! Pending and refused posts are shown only to their author.

use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::items::FeedEntry;
use weft_db::models::{ActorRow, ItemRow};

/// The most entries a feed page holds.
pub const MAX_PAGE: i64 = 100;

/// A page of a community's threads and events as `viewer` may see them, newest first;
/// `before` is the placement id the previous page ended at.
pub fn community_feed(
    conn: &mut AnyConnection,
    community: &ActorRow,
    viewer: &ActorRow,
    before: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<FeedEntry>> {
    if !community.is_group() {
        return Err(CoreError::Invalid(format!(
            "{} is not a community",
            community.ap_id
        )));
    }
    Ok(weft_db::items::feed(
        conn,
        community.id,
        viewer.id,
        before,
        limit.clamp(1, MAX_PAGE),
    )?)
}

/// Every reply in a post's thread that `viewer` may see, oldest first; none when the
/// thread was deleted.
pub fn thread(
    conn: &mut AnyConnection,
    item: &ItemRow,
    viewer: &ActorRow,
) -> CoreResult<Vec<(ItemRow, ActorRow)>> {
    let root_id = item.thread_root_id.unwrap_or(item.id);
    Ok(weft_db::items::thread_replies(conn, root_id, viewer.id)?)
}

/// May `viewer` see `item` at all? Not a reply in a deleted thread, and not someone
/// else's pending or refused post.
pub fn visible(conn: &mut AnyConnection, item: &ItemRow, viewer: &ActorRow) -> CoreResult<bool> {
    if let Some(root) = item.thread_root_id
        && root != item.id
        && weft_db::items::by_id(conn, root)?.is_none_or(|r| r.deleted_at.is_some())
    {
        return Ok(false);
    }
    if item.author_id == viewer.id {
        return Ok(true);
    }
    Ok(weft_db::post_states::of(conn, item.id)?
        .is_none_or(|s| s.state == weft_db::post_states::PUBLISHED))
}

//! Reading: a community's feed (from placements) and a thread.

use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::items::FeedEntry;
use weft_db::models::{ActorRow, ItemRow};

pub fn community_feed(
    conn: &mut AnyConnection,
    community: &ActorRow,
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
        before,
        limit.clamp(1, 100),
    )?)
}

/// A post and every reply in its thread, oldest first.
pub fn thread(conn: &mut AnyConnection, item: &ItemRow) -> CoreResult<Vec<(ItemRow, ActorRow)>> {
    let root_id = item.thread_root_id.unwrap_or(item.id);
    Ok(weft_db::items::thread_replies(conn, root_id)?)
}

//! Queries on items (posts, and later resources and events) and their placements.

use crate::connection::chunked;
use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn by_id(conn: &mut AnyConnection, id: i64) -> DbResult<Option<ItemRow>> {
    Ok(items::table
        .find(id)
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<ItemRow>> {
    Ok(items::table
        .filter(items::ap_id.eq(ap_id))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut AnyConnection, item: &NewItem) -> DbResult<ItemRow> {
    let id: i64 = with_backend!(conn, c => diesel::insert_into(items::table)
        .values(item)
        .returning(items::id)
        .get_result(c)?);
    Ok(as_stored(id, item.clone()))
}

/// The row as stored (with row id `id`), without reading it back.
pub fn as_stored(id: i64, item: NewItem) -> ItemRow {
    ItemRow {
        id,
        ap_id: item.ap_id,
        kind: item.kind,
        object_type: item.object_type,
        author_id: item.author_id,
        origin_community_id: item.origin_community_id,
        title: item.title,
        content: item.content,
        source: item.source,
        url: item.url,
        in_reply_to_id: item.in_reply_to_id,
        in_reply_to_ap_id: item.in_reply_to_ap_id,
        thread_root_id: item.thread_root_id,
        is_local: item.is_local,
        published_at: item.published_at,
        updated_at: item.updated_at,
        deleted_at: None,
    }
}

/// Sets the ap_id once the row id is known (local items are named by their id).
pub fn set_ap_id(conn: &mut AnyConnection, id: i64, ap_id: &str, url: &str) -> DbResult<()> {
    diesel::update(items::table.find(id))
        .set((items::ap_id.eq(ap_id), items::url.eq(url)))
        .execute(conn)?;
    Ok(())
}

pub fn update_content(
    conn: &mut AnyConnection,
    id: i64,
    title: Option<&str>,
    content: &str,
    source: Option<&str>,
    updated_at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(items::table.find(id))
        .set((
            items::title.eq(title),
            items::content.eq(content),
            items::source.eq(source),
            items::updated_at.eq(Some(updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks an item deleted; its text is cleared so nothing deleted is served again.
pub fn mark_deleted(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(items::table.find(id))
        .set((
            items::deleted_at.eq(Some(at)),
            items::content.eq(""),
            items::source.eq(None::<String>),
            items::title.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Places an item in a community; returns false when it was already there.
pub fn place(conn: &mut AnyConnection, placement: &NewPlacement) -> DbResult<bool> {
    let inserted = with_backend!(conn, c => diesel::insert_into(placements::table)
        .values(placement)
        .on_conflict((placements::community_id, placements::item_id))
        .do_nothing()
        .execute(c)?);
    Ok(inserted > 0)
}

pub fn placements_of(conn: &mut AnyConnection, item_id: i64) -> DbResult<Vec<PlacementRow>> {
    Ok(placements::table
        .filter(placements::item_id.eq(item_id))
        .select(PlacementRow::as_select())
        .load(conn)?)
}

/// One thread (or event) of a community feed: where it was placed, the item, its author,
/// how many live replies it has and when the last of them (or the item) was posted.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    pub placement: PlacementRow,
    pub item: ItemRow,
    pub author: ActorRow,
    pub reply_count: i64,
    pub last_activity_at: NaiveDateTime,
}

/// Items that are not (yet, or ever) in their community: pending or refused.
#[diesel::dsl::auto_type]
fn unpublished() -> _ {
    let published: &'static str = crate::post_states::PUBLISHED;
    post_states::table
        .filter(post_states::state.ne(published))
        .select(post_states::item_id)
}

/// A community's threads and events (not replies), newest placement first, read from
/// placements (so woven and bridged items appear beside those created here). `before` is
/// a placement id for paging. A deleted thread is left out (and so are its replies);
/// so are pending or refused posts, except to their author `viewer`.
pub fn feed(
    conn: &mut AnyConnection,
    community_id: i64,
    viewer: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<FeedEntry>> {
    let mut query = placements::table
        .inner_join(items::table.inner_join(actors::table))
        .filter(placements::community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(items::in_reply_to_ap_id.is_null())
        .filter(diesel::dsl::not(items::id.eq_any(unpublished())).or(items::author_id.eq(viewer)))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(placements::id.lt(before));
    }
    let rows: Vec<(PlacementRow, ItemRow, ActorRow)> = query
        .order(placements::id.desc())
        .limit(limit)
        .select((
            PlacementRow::as_select(),
            ItemRow::as_select(),
            ActorRow::as_select(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(_, i, _)| i.id).collect();
    let activity = reply_activity(conn, &ids, viewer)?;
    Ok(rows
        .into_iter()
        .map(|(placement, item, author)| {
            let (reply_count, last) = activity.get(&item.id).copied().unwrap_or((0, None));
            let own = item
                .updated_at
                .unwrap_or(item.published_at)
                .max(item.published_at);
            FeedEntry {
                placement,
                reply_count,
                last_activity_at: last.map_or(own, |l| l.max(own)),
                item,
                author,
            }
        })
        .collect())
}

/// Per thread root: the number of live replies (visible to `viewer`) and the latest.
fn reply_activity(
    conn: &mut AnyConnection,
    roots: &[i64],
    viewer: i64,
) -> DbResult<std::collections::HashMap<i64, (i64, Option<NaiveDateTime>)>> {
    let rows: Vec<(Option<i64>, i64, Option<NaiveDateTime>)> = chunked(roots, |chunk| {
        items::table
            .filter(items::thread_root_id.eq_any(chunk))
            .filter(items::deleted_at.is_null())
            .filter(
                diesel::dsl::not(items::id.eq_any(unpublished())).or(items::author_id.eq(viewer)),
            )
            .group_by(items::thread_root_id)
            .select((
                items::thread_root_id,
                diesel::dsl::count_star(),
                diesel::dsl::max(items::published_at),
            ))
            .load(conn)
    })?;
    Ok(rows
        .into_iter()
        .filter_map(|(root, n, last)| root.map(|r| (r, (n, last))))
        .collect())
}

/// Every live reply in a thread, in the order they were written, with its author; none when the thread
/// itself was deleted. Pending or refused replies only to their author `viewer`.
pub fn thread_replies(
    conn: &mut AnyConnection,
    root_id: i64,
    viewer: i64,
) -> DbResult<Vec<(ItemRow, ActorRow)>> {
    let root_live = items::table
        .find(root_id)
        .filter(items::deleted_at.is_null())
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !root_live {
        return Ok(vec![]);
    }
    Ok(items::table
        .inner_join(actors::table)
        .filter(items::thread_root_id.eq(root_id))
        .filter(items::id.ne(root_id))
        .filter(items::deleted_at.is_null())
        .filter(diesel::dsl::not(items::id.eq_any(unpublished())).or(items::author_id.eq(viewer)))
        .order((items::published_at.asc(), items::id.asc()))
        .select((ItemRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

pub fn count_local(conn: &mut AnyConnection) -> DbResult<i64> {
    Ok(items::table
        .filter(items::is_local)
        .filter(items::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Every item stored, deleted ones included.
pub fn count_all(conn: &mut AnyConnection) -> DbResult<i64> {
    Ok(items::table.count().get_result(conn)?)
}

/// Items by ap_id (for a batch of received posts).
pub fn by_ap_ids(conn: &mut AnyConnection, ap_ids: &[String]) -> DbResult<Vec<ItemRow>> {
    chunked(ap_ids, |chunk| {
        items::table
            .filter(items::ap_id.eq_any(chunk))
            .select(ItemRow::as_select())
            .load(conn)
    })
}

pub fn by_ids(conn: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<ItemRow>> {
    chunked(ids, |chunk| {
        items::table
            .filter(items::id.eq_any(chunk))
            .select(ItemRow::as_select())
            .load(conn)
    })
}

/// Inserts an item unless one with its ap_id is stored; returns the new row id.
pub fn insert_new(conn: &mut AnyConnection, item: &NewItem) -> DbResult<Option<i64>> {
    Ok(with_backend!(conn, c => diesel::insert_into(items::table)
        .values(item)
        .on_conflict(items::ap_id)
        .do_nothing()
        .returning(items::id)
        .get_result(c)
        .optional()?))
}

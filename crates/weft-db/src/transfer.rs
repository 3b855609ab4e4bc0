//! Reads for `weft export`: everything one community holds, in id order (a parent before
//! its replies, a folder before its subfolders), so an import can rebuild it in one pass.

use crate::models::{ActorRow, FolderRow, ItemRow, RsvpRow, VersionRow};
use crate::schema::{actors, items, resource_folders, resource_versions, rsvps};
use crate::{AnyConnection, DbResult};
use diesel::prelude::*;

/// The items created in the community (threads, replies, events, resources), deleted ones
/// included (the import keeps them as tombstones so replies keep their place).
pub fn items_of_community(conn: &mut AnyConnection, community_id: i64) -> DbResult<Vec<ItemRow>> {
    Ok(items::table
        .filter(items::origin_community_id.eq(community_id))
        .order(items::id.asc())
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// The answers to the community's events, with who gave them.
pub fn rsvps_of(conn: &mut AnyConnection, event_ids: &[i64]) -> DbResult<Vec<(RsvpRow, ActorRow)>> {
    let mut all = Vec::new();
    for chunk in event_ids.chunks(500) {
        all.extend(
            rsvps::table
                .inner_join(actors::table.on(actors::id.eq(rsvps::person_id)))
                .filter(rsvps::event_id.eq_any(chunk))
                .order(rsvps::id.asc())
                .select((RsvpRow::as_select(), ActorRow::as_select()))
                .load::<(RsvpRow, ActorRow)>(conn)?,
        );
    }
    Ok(all)
}

/// Every version of the given resources, oldest first.
pub fn versions_of(conn: &mut AnyConnection, resource_ids: &[i64]) -> DbResult<Vec<VersionRow>> {
    let mut all = Vec::new();
    for chunk in resource_ids.chunks(500) {
        all.extend(
            resource_versions::table
                .filter(resource_versions::resource_id.eq_any(chunk))
                .order((
                    resource_versions::resource_id.asc(),
                    resource_versions::version.asc(),
                ))
                .select(VersionRow::as_select())
                .load::<VersionRow>(conn)?,
        );
    }
    Ok(all)
}

/// Every folder of the community's library, parents first.
pub fn folders_of(conn: &mut AnyConnection, community_id: i64) -> DbResult<Vec<FolderRow>> {
    Ok(resource_folders::table
        .filter(resource_folders::community_id.eq(community_id))
        .order(resource_folders::id.asc())
        .select(FolderRow::as_select())
        .load(conn)?)
}

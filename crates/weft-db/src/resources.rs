//! Queries on the resource library: folders, resources (items of kind `resource`) and
//! their versions.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use diesel::prelude::*;

pub fn insert_folder(conn: &mut AnyConnection, folder: &NewFolder) -> DbResult<FolderRow> {
    let id: i64 = with_backend!(conn, c => diesel::insert_into(resource_folders::table)
        .values(folder)
        .returning(resource_folders::id)
        .get_result(c)?);
    Ok(folder_by_id(conn, id)?.expect("just stored"))
}

pub fn folder_by_id(conn: &mut AnyConnection, id: i64) -> DbResult<Option<FolderRow>> {
    Ok(resource_folders::table
        .find(id)
        .select(FolderRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn folder_by_ap_id(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<FolderRow>> {
    Ok(resource_folders::table
        .filter(resource_folders::ap_id.eq(ap_id))
        .select(FolderRow::as_select())
        .first(conn)
        .optional()?)
}

/// The folder named `name` directly in `parent` (None: the top) of a community's library.
pub fn folder_named(
    conn: &mut AnyConnection,
    community_id: i64,
    parent_id: Option<i64>,
    name: &str,
) -> DbResult<Option<FolderRow>> {
    let mut query = resource_folders::table
        .filter(resource_folders::community_id.eq(community_id))
        .filter(resource_folders::name.eq(name))
        .into_boxed();
    query = match parent_id {
        Some(p) => query.filter(resource_folders::parent_id.eq(p)),
        None => query.filter(resource_folders::parent_id.is_null()),
    };
    Ok(query
        .select(FolderRow::as_select())
        .first(conn)
        .optional()?)
}

/// The folders directly in `parent` (None: the top), by name.
pub fn folders_in(
    conn: &mut AnyConnection,
    community_id: i64,
    parent_id: Option<i64>,
) -> DbResult<Vec<FolderRow>> {
    let mut query = resource_folders::table
        .filter(resource_folders::community_id.eq(community_id))
        .into_boxed();
    query = match parent_id {
        Some(p) => query.filter(resource_folders::parent_id.eq(p)),
        None => query.filter(resource_folders::parent_id.is_null()),
    };
    Ok(query
        .order((resource_folders::name.asc(), resource_folders::id.asc()))
        .select(FolderRow::as_select())
        .load(conn)?)
}

pub fn set_folder_ap_id(conn: &mut AnyConnection, id: i64, ap_id: &str) -> DbResult<()> {
    diesel::update(resource_folders::table.find(id))
        .set(resource_folders::ap_id.eq(ap_id))
        .execute(conn)?;
    Ok(())
}

/// Renames and/or moves a folder.
pub fn update_folder(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    parent_id: Option<i64>,
) -> DbResult<()> {
    diesel::update(resource_folders::table.find(id))
        .set((
            resource_folders::name.eq(name),
            resource_folders::parent_id.eq(parent_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a folder; folders inside it go with it (cascade), its resources move to the
/// top of the library.
pub fn delete_folder(conn: &mut AnyConnection, id: i64) -> DbResult<()> {
    diesel::delete(resource_folders::table.find(id)).execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut AnyConnection, row: &ResourceRow) -> DbResult<()> {
    diesel::insert_into(resources::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn by_item(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<ResourceRow>> {
    Ok(resources::table
        .find(item_id)
        .select(ResourceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads a resource's row to change it, locked on PostgreSQL until the transaction ends,
/// so two concurrent edits cannot both become the same version.
pub fn by_item_for_update(conn: &mut AnyConnection, item_id: i64) -> DbResult<Option<ResourceRow>> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => resources::table
            .find(item_id)
            .select(ResourceRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => resources::table
            .find(item_id)
            .select(ResourceRow::as_select())
            .first(c)
            .optional()?,
    })
}

/// Sets what a resource row says (after a new version, or a move).
pub fn update(conn: &mut AnyConnection, row: &ResourceRow) -> DbResult<()> {
    diesel::update(resources::table.find(row.item_id))
        .set((
            resources::folder_id.eq(row.folder_id),
            resources::current_version.eq(row.current_version),
            resources::kind.eq(&row.kind),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_version(conn: &mut AnyConnection, version: &NewVersion) -> DbResult<()> {
    diesel::insert_into(resource_versions::table)
        .values(version)
        .execute(conn)?;
    Ok(())
}

pub fn version(
    conn: &mut AnyConnection,
    item_id: i64,
    number: i32,
) -> DbResult<Option<VersionRow>> {
    Ok(resource_versions::table
        .filter(resource_versions::resource_id.eq(item_id))
        .filter(resource_versions::version.eq(number))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every version of a resource, the first first, with who wrote each.
pub fn versions(conn: &mut AnyConnection, item_id: i64) -> DbResult<Vec<(VersionRow, ActorRow)>> {
    Ok(resource_versions::table
        .inner_join(actors::table)
        .filter(resource_versions::resource_id.eq(item_id))
        .order(resource_versions::version.asc())
        .select((VersionRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

pub fn count_versions(conn: &mut AnyConnection, item_id: i64) -> DbResult<i64> {
    Ok(resource_versions::table
        .filter(resource_versions::resource_id.eq(item_id))
        .count()
        .get_result(conn)?)
}

/// A community's live resources in `folder` (None: the top of the library), by item id
/// after `after` (keyset paging).
pub fn in_folder(
    conn: &mut AnyConnection,
    community_id: i64,
    folder_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(ItemRow, ResourceRow)>> {
    let mut query = resources::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(items::id.gt(after.unwrap_or(0)))
        .into_boxed();
    query = match folder_id {
        Some(f) => query.filter(resources::folder_id.eq(f)),
        None => query.filter(resources::folder_id.is_null()),
    };
    Ok(query
        .order(items::id.asc())
        .limit(limit)
        .select((ItemRow::as_select(), ResourceRow::as_select()))
        .load(conn)?)
}

/// Every live resource of a community, by item id after `after` (for its `resources`
/// collection).
pub fn of_community(
    conn: &mut AnyConnection,
    community_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<ItemRow>> {
    Ok(resources::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .filter(items::id.gt(after.unwrap_or(0)))
        .order(items::id.asc())
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)?)
}

pub fn count_of_community(conn: &mut AnyConnection, community_id: i64) -> DbResult<i64> {
    Ok(resources::table
        .inner_join(items::table)
        .filter(items::origin_community_id.eq(community_id))
        .filter(items::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Every resource row and version stored (for "nothing stored" checks).
pub fn count_all_versions(conn: &mut AnyConnection) -> DbResult<i64> {
    Ok(resource_versions::table.count().get_result(conn)?)
}

//! Folders of a community's library (Mobilizon's `ResourceCollection`): they nest, one
//! name per parent, and live where the community lives. Members make them; leads and
//! facilitators rename, move and delete them.

use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, FolderRow, NewFolder};

const MAX_NAME: usize = 100;

fn name(input: &str) -> CoreResult<String> {
    let name = sanitize::title(input);
    if name.is_empty() {
        return Err(CoreError::Invalid("a folder needs a name".into()));
    }
    if name.chars().count() > MAX_NAME || name.contains('/') {
        return Err(CoreError::Invalid(format!(
            "folder name {name:?}: at most {MAX_NAME} characters, no /"
        )));
    }
    Ok(name)
}

/// The folder `id`, which must be one of `community`'s.
pub fn of_community(
    conn: &mut AnyConnection,
    community: &ActorRow,
    id: i64,
) -> CoreResult<FolderRow> {
    let folder = weft_db::resources::folder_by_id(conn, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no folder {id}")))?;
    if folder.community_id != community.id {
        return Err(CoreError::Invalid(format!(
            "folder {id} belongs to another community's library"
        )));
    }
    Ok(folder)
}

fn community_of(conn: &mut AnyConnection, folder: &FolderRow) -> CoreResult<ActorRow> {
    Ok(weft_db::actors::by_id(conn, folder.community_id)?)
}

fn name_free(
    conn: &mut AnyConnection,
    community: &ActorRow,
    parent: Option<i64>,
    name: &str,
    except: Option<i64>,
) -> CoreResult<()> {
    match weft_db::resources::folder_named(conn, community.id, parent, name)? {
        Some(f) if Some(f.id) != except => Err(CoreError::Conflict(format!(
            "there is a folder named {name:?} there already"
        ))),
        _ => Ok(()),
    }
}

/// The folders of `community` in `parent` (None: the top), by name.
pub fn list(
    conn: &mut AnyConnection,
    community: &ActorRow,
    parent: Option<i64>,
) -> CoreResult<Vec<FolderRow>> {
    if let Some(id) = parent {
        of_community(conn, community, id)?;
    }
    Ok(weft_db::resources::folders_in(conn, community.id, parent)?)
}

/// A member makes a folder in the library of a local community (in `parent`, or at the
/// top).
pub fn create(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    community: &ActorRow,
    folder_name: &str,
    parent: Option<i64>,
) -> CoreResult<FolderRow> {
    rules::may_add_resource(conn, community, actor)?;
    let folder_name = name(folder_name)?;
    if let Some(id) = parent {
        of_community(conn, community, id)?;
    }
    name_free(conn, community, parent, &folder_name, None)?;
    let stored = weft_db::resources::insert_folder(
        conn,
        &NewFolder {
            community_id: community.id,
            parent_id: parent,
            name: folder_name,
            ap_id: format!("{}pending/{}", urls.base(), uuid::Uuid::new_v4()),
            created_at: weft_db::now(),
        },
    )?;
    weft_db::resources::set_folder_ap_id(conn, stored.id, urls.folder(stored.id).as_str())?;
    Ok(weft_db::resources::folder_by_id(conn, stored.id)?.expect("just stored"))
}

/// Renames a folder (`new_name`) and/or moves it (`parent`: `Some(None)` to the top). A
/// folder cannot go into itself or a folder inside it, nor into another community.
pub fn change(
    conn: &mut AnyConnection,
    actor: &ActorRow,
    id: i64,
    new_name: Option<&str>,
    parent: Option<Option<i64>>,
) -> CoreResult<FolderRow> {
    let folder = weft_db::resources::folder_by_id(conn, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no folder {id}")))?;
    let community = community_of(conn, &folder)?;
    rules::may_arrange_folders(conn, &community, actor)?;
    let folder_name = match new_name {
        Some(n) => name(n)?,
        None => folder.name.clone(),
    };
    let parent = match parent {
        Some(p) => p,
        None => folder.parent_id,
    };
    if let Some(p) = parent {
        of_community(conn, &community, p)?;
        // Walk up from the new parent: meeting the folder itself would make a cycle.
        let mut at = Some(p);
        while let Some(current) = at {
            if current == folder.id {
                return Err(CoreError::Invalid(
                    "a folder cannot go inside itself or a folder inside it".into(),
                ));
            }
            at = weft_db::resources::folder_by_id(conn, current)?.and_then(|f| f.parent_id);
        }
    }
    name_free(conn, &community, parent, &folder_name, Some(folder.id))?;
    weft_db::resources::update_folder(conn, folder.id, &folder_name, parent)?;
    Ok(weft_db::resources::folder_by_id(conn, folder.id)?.expect("exists"))
}

/// Deletes a folder and the folders in it; their resources move to the top of the
/// library (nothing written is lost).
pub fn delete(conn: &mut AnyConnection, actor: &ActorRow, id: i64) -> CoreResult<()> {
    let folder = weft_db::resources::folder_by_id(conn, id)?
        .ok_or_else(|| CoreError::NotFound(format!("no folder {id}")))?;
    let community = community_of(conn, &folder)?;
    rules::may_arrange_folders(conn, &community, actor)?;
    weft_db::resources::delete_folder(conn, folder.id)?;
    Ok(())
}

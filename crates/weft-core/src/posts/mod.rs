//! Threads and replies (FEP-1b12): local members posting, editing and deleting. What goes
//! out is in [`sending`] (the author's activity, the community's `Announce`s), what comes
//! in from other instances in [`remote`].

mod remote;
mod sending;

pub use remote::*;
pub use sending::announce;
use sending::send_from_author;
pub(crate) use sending::{Announcement, LocalActivity, announcements, outgoing, send_local};

use crate::wire::{PostPlace, item_into_json};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::PostObject;

pub(crate) fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// What became of a received post.
#[derive(Debug)]
pub enum Received {
    Stored(ItemRow),
    /// Already known (a redelivery, or the second of a community's two Announces).
    Known(ItemRow),
    /// Not for any community here; nothing stored.
    Ignored(String),
}

pub struct NewPost<'a> {
    pub community: &'a ActorRow,
    pub title: Option<&'a str>,
    /// Markdown source; stored beside its HTML.
    pub content: &'a str,
    pub in_reply_to: Option<&'a ItemRow>,
}

/// The item, its author, its community, parent (with author) and thread root, as rows.
struct Placed {
    community: Option<ActorRow>,
    parent: Option<(ItemRow, ActorRow)>,
    root: Option<ItemRow>,
}

fn load_place(conn: &mut AnyConnection, item: &ItemRow) -> CoreResult<Placed> {
    let community = match item.origin_community_id {
        Some(id) => Some(weft_db::actors::by_id(conn, id)?),
        None => None,
    };
    let parent = match item.in_reply_to_id {
        Some(id) => match weft_db::items::by_id(conn, id)? {
            Some(p) => {
                let author = weft_db::actors::by_id(conn, p.author_id)?;
                Some((p, author))
            }
            None => None,
        },
        None => None,
    };
    let root = match item.thread_root_id {
        Some(id) => weft_db::items::by_id(conn, id)?,
        None => None,
    };
    Ok(Placed {
        community,
        parent,
        root,
    })
}

/// The JSON of a stored item, as served and sent.
pub fn object_json(conn: &mut AnyConnection, item: &ItemRow) -> CoreResult<PostObject> {
    let author = weft_db::actors::by_id(conn, item.author_id)?;
    let placed = load_place(conn, item)?;
    Ok(item_into_json(
        item,
        &author,
        &PostPlace {
            community: placed.community.as_ref(),
            parent: placed.parent.as_ref().map(|(p, a)| (p, a)),
            root: placed.root.as_ref(),
        },
    ))
}

/// The stored item, read in the caller's transaction.
pub(crate) fn current(conn: &mut AnyConnection, item_id: i64) -> CoreResult<ItemRow> {
    weft_db::items::by_id(conn, item_id)?
        .ok_or_else(|| CoreError::NotFound(format!("no post {item_id}")))
}

/// A local member starts a thread (`title` given) or replies (`in_reply_to` given).
/// The most text a post (or an event's description) may hold, in characters. The activity
/// carrying it (the markdown and its HTML, inside the community's `Announce`) then stays
/// well under the 256 KiB every Weft inbox takes, so no peer refuses it for its size.
pub const MAX_CONTENT: usize = 20_000;

/// Refuses text longer than [`MAX_CONTENT`], saying how long it is.
pub fn check_length(what: &str, text: &str) -> CoreResult<()> {
    let length = text.chars().count();
    if length > MAX_CONTENT {
        return Err(CoreError::Invalid(format!(
            "{what} is {length} characters long; at most {MAX_CONTENT} are taken (split it into a thread and replies)"
        )));
    }
    Ok(())
}

pub fn create(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    new: NewPost,
) -> CoreResult<ItemRow> {
    let parent = match new.in_reply_to {
        Some(p) => Some(current(conn, p.id)?),
        None => None,
    };
    let new = NewPost {
        in_reply_to: parent.as_ref(),
        ..new
    };
    let community = match new.in_reply_to {
        Some(parent) => {
            let id = parent.origin_community_id.ok_or_else(|| {
                CoreError::Invalid("the post replied to is in no community".into())
            })?;
            weft_db::actors::by_id(conn, id)?
        }
        None => new.community.clone(),
    };
    if community.is_local {
        rules::may_post(conn, &community, author, new.in_reply_to.is_none())?;
    } else if !community.is_group() {
        return Err(CoreError::Invalid(format!(
            "{} is not a community",
            community.ap_id
        )));
    }
    let body = new.content.trim();
    if body.is_empty() {
        return Err(CoreError::Invalid("a post needs some content".into()));
    }
    check_length("the post", body)?;
    let title = new.title.map(sanitize::title).filter(|t| !t.is_empty());
    if new.in_reply_to.is_none() && title.is_none() {
        return Err(CoreError::Invalid("a new thread needs a title".into()));
    }
    if let Some(parent) = new.in_reply_to
        && parent.deleted_at.is_some()
    {
        return Err(CoreError::Invalid("the post replied to was deleted".into()));
    }
    let now = weft_db::now();
    let item = store_local(
        conn,
        urls,
        author,
        &community,
        NewItem {
            ap_id: String::new(),
            kind: ItemKind::Post,
            object_type: if new.in_reply_to.is_some() {
                "Note"
            } else {
                "Page"
            }
            .into(),
            author_id: author.id,
            origin_community_id: Some(community.id),
            title: if new.in_reply_to.is_some() {
                None
            } else {
                title
            },
            content: sanitize::text_to_html(body),
            source: Some(body.to_string()),
            url: None,
            in_reply_to_id: new.in_reply_to.map(|p| p.id),
            in_reply_to_ap_id: new.in_reply_to.map(|p| p.ap_id.clone()),
            thread_root_id: new.in_reply_to.map(|p| p.thread_root_id.unwrap_or(p.id)),
            is_local: true,
            published_at: now,
            updated_at: None,
        },
    )?;
    if !community.is_local {
        // Shown to its author as pending until the community announces it.
        weft_db::post_states::set(conn, item.id, weft_db::post_states::PENDING, None, now)?;
    }
    let object = object_json(conn, &item)?;
    send_from_author(
        conn,
        urls,
        author,
        &community,
        "Create",
        &object,
        serde_json::to_value(&object).expect("json"),
    )?;
    Ok(item)
}

/// Stores a local item (its `ap_id` is ignored): named by its row id (`/items/{id}`,
/// which is also its `url`) and placed in the community it was created in.
pub(crate) fn store_local(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    item: NewItem,
) -> CoreResult<ItemRow> {
    let placed_at = item.published_at;
    let placeholder = format!("{}pending/{}", urls.base(), uuid::Uuid::new_v4());
    let stored = weft_db::items::insert(
        conn,
        &NewItem {
            ap_id: placeholder,
            ..item
        },
    )?;
    let ap_id = urls.item(stored.id);
    weft_db::items::set_ap_id(conn, stored.id, ap_id.as_str(), ap_id.as_str())?;
    let stored = weft_db::items::by_id(conn, stored.id)?.expect("just stored");
    weft_db::items::place(
        conn,
        &created_placement(&stored, author, community, placed_at),
    )?;
    Ok(stored)
}

/// A local author edits a post.
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    item_id: i64,
    title: Option<&str>,
    content: &str,
) -> CoreResult<ItemRow> {
    // Read inside the transaction: a delete that committed meanwhile must win.
    let item = &current(conn, item_id)?;
    if item.kind == ItemKind::Resource {
        return Err(CoreError::Invalid(format!(
            "{} is a resource: it is edited as one (PATCH /api/v1/resources/{item_id}), \
             which keeps its versions",
            item.ap_id
        )));
    }
    rules::may_edit_item(item, author)?;
    if item.deleted_at.is_some() {
        return Err(CoreError::NotFound("the post was deleted".into()));
    }
    let body = content.trim();
    if body.is_empty() {
        return Err(CoreError::Invalid("a post needs some content".into()));
    }
    check_length("the post", body)?;
    let title = if item.in_reply_to_id.is_some() {
        None
    } else {
        Some(
            title
                .map(sanitize::title)
                .unwrap_or_else(|| item.title.clone().unwrap_or_default()),
        )
    };
    weft_db::items::update_content(
        conn,
        item.id,
        title.as_deref(),
        &sanitize::text_to_html(body),
        Some(body),
        weft_db::now(),
    )?;
    let item = weft_db::items::by_id(conn, item.id)?.expect("exists");
    let community = community_of(conn, &item)?;
    let object = object_json(conn, &item)?;
    send_from_author(
        conn,
        urls,
        author,
        &community,
        "Update",
        &object,
        serde_json::to_value(&object).expect("json"),
    )?;
    Ok(item)
}

/// A local author or moderator deletes a post.
pub fn delete(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
) -> CoreResult<()> {
    let item = &current(conn, item_id)?;
    if item.kind == ItemKind::Resource && item.deleted_at.is_none() {
        // By the library's rules (an archived community's library is read-only).
        crate::resources::delete(conn, urls, actor, item_id)?;
        return Ok(());
    }
    rules::may_change_item(conn, item, actor)?;
    if item.deleted_at.is_some() {
        return Ok(());
    }
    let object = object_json(conn, item)?;
    weft_db::items::mark_deleted(conn, item.id, weft_db::now())?;
    let community = community_of(conn, item)?;
    crate::events::withdraw_poll(conn, urls, &community, item)?;
    send_from_author(
        conn,
        urls,
        actor,
        &community,
        "Delete",
        &object,
        Value::String(item.ap_id.clone()),
    )?;
    Ok(())
}

pub(crate) fn community_of(conn: &mut AnyConnection, item: &ItemRow) -> CoreResult<ActorRow> {
    let id = item
        .origin_community_id
        .ok_or_else(|| CoreError::Invalid("the post is in no community".into()))?;
    Ok(weft_db::actors::by_id(conn, id)?)
}

/// An item's placement in the community it was created in.
pub(crate) fn created_placement(
    item: &ItemRow,
    author: &ActorRow,
    community: &ActorRow,
    now: chrono::NaiveDateTime,
) -> NewPlacement {
    NewPlacement {
        community_id: community.id,
        item_id: item.id,
        how: placement_how::CREATED.into(),
        by_actor_id: Some(author.id),
        note: None,
        hops: 0,
        placed_at: now,
    }
}

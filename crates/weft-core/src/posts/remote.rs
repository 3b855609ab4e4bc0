//! Posts from other instances: authorship checks, which community a post belongs to,
//! and announced posts, edits and deletes.

use super::{Received, announce, community_of, created_placement, object_json, url};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{Activity, POST_TYPES, PUBLIC, PostObject, same_id};

/// Checks that a received object really is `author`'s, and one Weft stores.
pub(crate) fn check_authorship(object: &PostObject, author: &ActorRow) -> CoreResult<()> {
    if !POST_TYPES.contains(&object.kind.as_str()) {
        return Err(CoreError::Invalid(format!(
            "Weft stores posts of type Note, Page, Article or Question, not {}",
            object.kind
        )));
    }
    check_attribution(&object.id, object.attributed_to.as_ref(), author)
}

/// Checks that a received event really is `author`'s.
pub(crate) fn check_event_authorship(
    object: &weft_protocol::EventObject,
    author: &ActorRow,
) -> CoreResult<()> {
    check_attribution(&object.id, object.attributed_to.as_ref(), author)
}

/// The object `id` is attributed to `author` and lives on the author's instance.
fn check_attribution(id: &Url, attributed: Option<&Url>, author: &ActorRow) -> CoreResult<()> {
    let attributed =
        attributed.ok_or_else(|| CoreError::Invalid("the object has no attributedTo".into()))?;
    if !same_id(attributed.as_str(), &author.ap_id) {
        return Err(CoreError::Forbidden(format!(
            "{id} is attributed to {attributed}, not to the actor {}",
            author.ap_id
        )));
    }
    let object_host = crate::urls::host_port(id);
    if object_host.as_deref() != Some(author.domain.as_str()) {
        return Err(CoreError::Forbidden(format!(
            "{id} is not on the author's instance {}",
            author.domain
        )));
    }
    Ok(())
}

/// The community a received post belongs to: the community of the post it replies to
/// (a reply stays in its thread), else a local community it is addressed to or
/// mentions, else a known remote community it is addressed to.
pub fn community_for(
    conn: &mut AnyConnection,
    urls: &Urls,
    object: &PostObject,
    parent: Option<&ItemRow>,
) -> CoreResult<Option<ActorRow>> {
    community_among(object, urls, parent, |wanted| match wanted {
        Wanted::Id(id) => Ok(Some(weft_db::actors::by_id(conn, id)?)),
        Wanted::ApId(ap_id) => Ok(weft_db::actors::by_ap_id(conn, ap_id)?),
    })
}

/// An actor [`community_among`] asks for.
pub(crate) enum Wanted<'a> {
    Id(i64),
    ApId(&'a str),
}

/// [`community_for`], with the actors looked up by `find` (from the database, or from
/// rows read beforehand for a whole batch).
pub(crate) fn community_among(
    object: &PostObject,
    urls: &Urls,
    parent: Option<&ItemRow>,
    mut find: impl FnMut(Wanted<'_>) -> CoreResult<Option<ActorRow>>,
) -> CoreResult<Option<ActorRow>> {
    if let Some(parent) = parent
        && let Some(id) = parent.origin_community_id
    {
        return find(Wanted::Id(id));
    }
    for candidate in community_candidates(urls, object) {
        if let Some(actor) = find(Wanted::ApId(&candidate))?
            && actor.is_group()
        {
            return Ok(Some(actor));
        }
    }
    Ok(None)
}

/// The ids a post may name its community by, in the order they are tried: local ones
/// first (in this instance's own scheme: Lemmy may write http:// where the id is
/// https://, and back), then remote ones.
pub(crate) fn community_candidates(urls: &Urls, object: &PostObject) -> Vec<String> {
    let named: Vec<&str> = object.addresses().chain(object.mentions()).collect();
    let local = named.iter().filter(|c| urls.is_local(c)).map(|candidate| {
        let path = Url::parse(candidate)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        urls.base()
            .join(&path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| candidate.to_string())
    });
    let remote = named
        .iter()
        .filter(|c| !urls.is_local(c))
        .map(|c| c.to_string());
    local.chain(remote).collect()
}

/// A post a followed remote community announced. The caller has established that the
/// object is authentic (same origin as the community, or fetched from its own server).
pub fn receive_announced(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    author: &ActorRow,
    object: &PostObject,
) -> CoreResult<Received> {
    check_authorship(object, author)?;
    if let Some(reason) = rules::not_taken_from(conn, community)? {
        return Ok(Received::Ignored(reason));
    }
    if let Some(existing) = weft_db::items::by_ap_id(conn, object.id.as_str())? {
        return Ok(Received::Known(existing));
    }
    let parent = match &object.in_reply_to {
        Some(p) => weft_db::items::by_ap_id(conn, p.as_str())?,
        None => None,
    };
    let belongs = community_for(conn, urls, object, parent.as_ref())?;
    if belongs.as_ref().map(|c| c.id) != Some(community.id) {
        return Ok(Received::Ignored(format!(
            "{} announced {} which is not in that community",
            community.ap_id, object.id
        )));
    }
    let item = store_remote(conn, author, object, community, parent.as_ref())?;
    Ok(Received::Stored(item))
}

/// Stores a remote post in `community` (its origin), placed there as created.
pub(crate) fn store_remote(
    conn: &mut AnyConnection,
    author: &ActorRow,
    object: &PostObject,
    community: &ActorRow,
    parent: Option<&ItemRow>,
) -> CoreResult<ItemRow> {
    let now = weft_db::now();
    let item = weft_db::items::insert(
        conn,
        &new_remote_item(author, object, community, parent, now),
    )?;
    weft_db::items::place(conn, &created_placement(&item, author, community, now))?;
    Ok(item)
}

/// The row of a remote post taken into `community` (its HTML sanitised).
pub(crate) fn new_remote_item(
    author: &ActorRow,
    object: &PostObject,
    community: &ActorRow,
    parent: Option<&ItemRow>,
    now: chrono::NaiveDateTime,
) -> NewItem {
    let is_thread = parent.is_none();
    NewItem {
        ap_id: object.id.to_string(),
        kind: ItemKind::Post,
        object_type: object.kind.clone(),
        author_id: author.id,
        origin_community_id: Some(community.id),
        title: if is_thread {
            object.name.as_deref().map(sanitize::remote_title)
        } else {
            None
        },
        content: sanitize::html(&object.content),
        source: object.source.as_ref().map(sanitize::remote_source),
        url: object.url.as_ref().and_then(sanitize::remote_url),
        in_reply_to_id: parent.map(|p| p.id),
        in_reply_to_ap_id: object.in_reply_to.as_ref().map(Url::to_string),
        thread_root_id: parent.map(|p| p.thread_root_id.unwrap_or(p.id)),
        is_local: false,
        published_at: object.published.map(|p| p.naive_utc()).unwrap_or(now),
        updated_at: object.updated.map(|p| p.naive_utc()),
    }
}

/// A remote author's `Update` of their post (directly, or announced by its community).
pub fn receive_update(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    update_id: &Url,
    object: &PostObject,
) -> CoreResult<Received> {
    check_authorship(object, author)?;
    let Some(item) = weft_db::items::by_ap_id(conn, object.id.as_str())? else {
        return Ok(Received::Ignored(format!(
            "{} is not known here",
            object.id
        )));
    };
    if item.kind == ItemKind::Resource {
        return Ok(Received::Ignored(format!(
            "{} is a resource: it changes by Update(Document), version by version",
            item.ap_id
        )));
    }
    rules::may_edit_item(&item, author)?;
    if item.deleted_at.is_some() {
        return Ok(Received::Ignored("the post was deleted".into()));
    }
    let title = if item.in_reply_to_id.is_none() {
        object.name.as_deref().map(sanitize::remote_title)
    } else {
        None
    };
    weft_db::items::update_content(
        conn,
        item.id,
        title.as_deref(),
        &sanitize::html(&object.content),
        object
            .source
            .as_ref()
            .map(sanitize::remote_source)
            .as_deref(),
        object
            .updated
            .map(|u| u.naive_utc())
            .unwrap_or_else(weft_db::now),
    )?;
    let item = weft_db::items::by_id(conn, item.id)?.expect("exists");
    let community = community_of(conn, &item)?;
    if community.is_local {
        let stored = object_json(conn, &item)?;
        let update: Activity<PostObject> = Activity::new(
            "Update",
            update_id.clone(),
            url(&author.ap_id),
            stored.clone(),
        )
        .to(stored.addressing.to.clone())
        .audience(stored.addressing.audience.clone());
        announce(
            conn,
            urls,
            &community,
            serde_json::to_value(&update).expect("json"),
            None,
        )?;
    }
    Ok(Received::Stored(item))
}

/// A remote `Delete` of a post, by its author or a moderator of its community.
pub fn receive_delete(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    delete_id: &Url,
    object_id: &str,
) -> CoreResult<Received> {
    let Some(item) = weft_db::items::by_ap_id(conn, object_id)? else {
        return Ok(Received::Ignored(format!("{object_id} is not known here")));
    };
    if item.kind == ItemKind::Resource {
        return crate::resources::received::receive_delete(conn, urls, actor, delete_id, item);
    }
    rules::may_change_item(conn, &item, actor)?;
    if item.deleted_at.is_some() {
        return Ok(Received::Known(item));
    }
    weft_db::items::mark_deleted(conn, item.id, weft_db::now())?;
    let community = community_of(conn, &item)?;
    crate::events::withdraw_poll(conn, urls, &community, &item)?;
    if community.is_local {
        let delete: Activity<Value> = Activity::new(
            "Delete",
            delete_id.clone(),
            url(&actor.ap_id),
            Value::String(item.ap_id.clone()),
        )
        .to([community.ap_id.clone(), PUBLIC.to_string()])
        .audience(Some(url(&community.ap_id)));
        announce(
            conn,
            urls,
            &community,
            serde_json::to_value(&delete).expect("json"),
            None,
        )?;
    }
    Ok(Received::Stored(item))
}

/// A community's own `Announce(Delete)` of a post in it (a Lemmy moderator's removal, or
/// the author's delete passed on): the community is the authority on what it holds.
pub fn receive_community_delete(
    conn: &mut AnyConnection,
    community: &ActorRow,
    object_id: &str,
) -> CoreResult<Received> {
    let Some(item) = weft_db::items::by_ap_id(conn, object_id)? else {
        return Ok(Received::Ignored(format!("{object_id} is not known here")));
    };
    rules::may_remove_as_community(&item, community)?;
    if item.deleted_at.is_some() {
        return Ok(Received::Known(item));
    }
    weft_db::items::mark_deleted(conn, item.id, weft_db::now())?;
    Ok(Received::Stored(item))
}

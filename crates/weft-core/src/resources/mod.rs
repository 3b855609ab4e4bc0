//! The resource library of a community: methods, stories, case studies, tools… each an
//! item (kind `resource`, placed in its community like a post) with every version kept.
//! Members add; the author, leads and facilitators edit, move and delete; a lead restores
//! an old version (see `rules::resources`). The community announces each `Create`,
//! `Update` (carrying the version number) and `Delete` (FEP-1b12). Members elsewhere send
//! their `Create`/`Update` to the community, which decides by the same rules
//! ([`received`]). Folders are in [`folders`], versions and diffs in [`history`].

pub mod fields;
pub mod folders;
pub mod history;
pub mod received;
pub mod wire;

use crate::outbox::{Outgoing, queue};
use crate::posts::{LocalActivity, send_local, store_local};
use crate::{CoreError, CoreResult, Urls, rules};
pub use fields::{Attachment, Content, ResourceChanges, ResourceFields};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{Activity, PUBLIC, ResourceObject};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// A resource with its current version and who is behind it.
#[derive(Debug, Clone)]
pub struct ResourceDetails {
    pub item: ItemRow,
    pub resource: ResourceRow,
    pub version: VersionRow,
    /// Who added it.
    pub author: ActorRow,
    /// Who wrote the current version.
    pub editor: ActorRow,
    pub community: ActorRow,
    pub folder: Option<FolderRow>,
}

impl ResourceDetails {
    pub fn content(&self) -> Content {
        Content::from_row(&self.version)
    }
}

/// What a change came to: done here, or sent to the community's own instance (which
/// decides, and announces it when it takes it).
#[derive(Debug, Clone)]
pub enum Outcome {
    Done(Box<ResourceDetails>),
    Sent { activity_id: String },
}

/// The resource `item` with its current version.
pub fn details(conn: &mut AnyConnection, item: ItemRow) -> CoreResult<ResourceDetails> {
    let resource = weft_db::resources::by_item(conn, item.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{} is not a resource", item.ap_id)))?;
    let version = weft_db::resources::version(conn, item.id, resource.current_version)?
        .ok_or_else(|| CoreError::NotFound(format!("{} has no current version", item.ap_id)))?;
    let community_id = item
        .origin_community_id
        .ok_or_else(|| CoreError::Invalid("the resource is in no community".into()))?;
    let community = weft_db::actors::by_id(conn, community_id)?;
    let author = weft_db::actors::by_id(conn, item.author_id)?;
    let editor = weft_db::actors::by_id(conn, version.edited_by)?;
    let folder = match resource.folder_id {
        Some(id) => weft_db::resources::folder_by_id(conn, id)?,
        None => None,
    };
    Ok(ResourceDetails {
        item,
        resource,
        version,
        author,
        editor,
        community,
        folder,
    })
}

/// A live resource by its id here (404 once deleted, or when it is no resource).
pub fn shown(conn: &mut AnyConnection, item_id: i64) -> CoreResult<ResourceDetails> {
    let item = weft_db::items::by_id(conn, item_id)?
        .filter(|i| i.kind == ItemKind::Resource && i.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound(format!("no resource {item_id}")))?;
    details(conn, item)
}

/// One page of a community's library: the folders in `folder` (on the first page) and
/// the resources in it, by id after `after`.
pub struct Library {
    pub folders: Vec<FolderRow>,
    pub resources: Vec<ResourceDetails>,
}

pub fn library(
    conn: &mut AnyConnection,
    community: &ActorRow,
    folder: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Library> {
    if let Some(id) = folder {
        folders::of_community(conn, community, id)?;
    }
    let folders = match after {
        None => weft_db::resources::folders_in(conn, community.id, folder)?,
        Some(_) => vec![],
    };
    let rows =
        weft_db::resources::in_folder(conn, community.id, folder, after, limit.clamp(1, 100))?;
    let resources = rows
        .into_iter()
        .map(|(item, _)| details(conn, item))
        .collect::<CoreResult<_>>()?;
    Ok(Library { folders, resources })
}

/// A member adds a resource to a community's library (in `folder`, or at the top). Into
/// a local community it is stored and announced; into a remote one the `Create` goes to
/// the community, which stores and announces it if it takes it.
pub fn create(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    mut new: ResourceFields,
    folder: Option<i64>,
) -> CoreResult<Outcome> {
    fields::resolve_uploads(conn, urls, community, &mut new.attachments)?;
    let content = fields::check(new)?;
    if !community.is_local {
        if !community.is_group() {
            return Err(CoreError::Invalid(format!(
                "{} is not a community",
                community.ap_id
            )));
        }
        let activity_id = send_draft(conn, urls, author, community, "Create", None, &content)?;
        return Ok(Outcome::Sent { activity_id });
    }
    rules::may_add_resource(conn, community, author)?;
    let folder = match folder {
        Some(id) => Some(folders::of_community(conn, community, id)?.id),
        None => None,
    };
    let details = store_new(conn, urls, author, community, content, folder)?;
    send(conn, urls, &details, &details.author, "Create", None)?;
    Ok(Outcome::Done(Box::new(details)))
}

/// Stores a new local resource (version 1, written by `author`) in a local community.
pub(crate) fn store_new(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    content: Content,
    folder: Option<i64>,
) -> CoreResult<ResourceDetails> {
    let now = weft_db::now();
    let item = store_local(
        conn,
        urls,
        author,
        community,
        NewItem {
            ap_id: String::new(),
            kind: ItemKind::Resource,
            object_type: "Document".into(),
            author_id: author.id,
            origin_community_id: Some(community.id),
            title: Some(content.title.clone()),
            content: content.description_html.clone(),
            source: Some(content.description_source.clone()),
            url: None,
            in_reply_to_id: None,
            in_reply_to_ap_id: None,
            thread_root_id: None,
            is_local: true,
            published_at: now,
            updated_at: None,
        },
    )?;
    weft_db::resources::insert(
        conn,
        &ResourceRow {
            item_id: item.id,
            folder_id: folder,
            current_version: 1,
            kind: content.kind.clone(),
        },
    )?;
    weft_db::resources::insert_version(
        conn,
        &content.into_version(item.id, 1, None, author.id, now),
    )?;
    details(conn, item)
}

/// Writes version `number` of a resource (and makes it current).
pub(crate) fn store_version(
    conn: &mut AnyConnection,
    d: &ResourceDetails,
    number: i32,
    content: Content,
    message: Option<String>,
    editor: &ActorRow,
    at: chrono::NaiveDateTime,
) -> CoreResult<ResourceDetails> {
    weft_db::items::update_content(
        conn,
        d.item.id,
        Some(&content.title),
        &content.description_html,
        Some(&content.description_source),
        at,
    )?;
    weft_db::resources::update(
        conn,
        &ResourceRow {
            current_version: number,
            kind: content.kind.clone(),
            ..d.resource.clone()
        },
    )?;
    weft_db::resources::insert_version(
        conn,
        &content.into_version(d.item.id, number, message, editor.id, at),
    )?;
    let item = weft_db::items::by_id(conn, d.item.id)?.expect("exists");
    details(conn, item)
}

/// A live resource read for a change, locked against a concurrent one.
fn for_change(conn: &mut AnyConnection, item_id: i64) -> CoreResult<ResourceDetails> {
    let item = weft_db::items::by_id(conn, item_id)?
        .filter(|i| i.kind == ItemKind::Resource && i.deleted_at.is_none())
        .ok_or_else(|| CoreError::NotFound(format!("no resource {item_id}")))?;
    weft_db::resources::by_item_for_update(conn, item.id)?;
    details(conn, item)
}

/// The author, a lead or a facilitator edits a resource: what `changes` names replaces
/// what the current version says, and the result is a new version (the previous one is
/// kept). A resource of a remote community is edited by sending it the `Update`.
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
    mut changes: ResourceChanges,
) -> CoreResult<Outcome> {
    let d = for_change(conn, item_id)?;
    if let Some(list) = changes.attachments.as_mut() {
        fields::resolve_uploads(conn, urls, &d.community, list)?;
    }
    if changes.is_empty() {
        return Err(CoreError::Invalid(
            "an edit names at least one of title, kind, description, tags, link, attachments"
                .into(),
        ));
    }
    let content = fields::apply(&d.content(), &changes)?;
    let message = fields::message(changes.message.as_deref());
    if !d.community.is_local {
        let activity_id = send_draft(
            conn,
            urls,
            actor,
            &d.community,
            "Update",
            Some((&d, message.as_deref())),
            &content,
        )?;
        return Ok(Outcome::Sent { activity_id });
    }
    rules::may_change_resource(conn, &d.community, &d.item, actor)?;
    if content == d.content() {
        return Err(CoreError::Invalid(
            "the edit changes nothing: the current version says the same".into(),
        ));
    }
    let next = d.resource.current_version + 1;
    let d = store_version(conn, &d, next, content, message, actor, weft_db::now())?;
    send(conn, urls, &d, actor, "Update", None)?;
    Ok(Outcome::Done(Box::new(d)))
}

/// Moves a resource of a local community to another folder of it (None: the top).
pub fn move_to(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
    folder: Option<i64>,
) -> CoreResult<ResourceDetails> {
    let d = for_change(conn, item_id)?;
    rules::may_change_resource(conn, &d.community, &d.item, actor)?;
    let folder = match folder {
        Some(id) => Some(folders::of_community(conn, &d.community, id)?.id),
        None => None,
    };
    weft_db::resources::update(
        conn,
        &ResourceRow {
            folder_id: folder,
            ..d.resource.clone()
        },
    )?;
    let item = weft_db::items::by_id(conn, d.item.id)?.expect("exists");
    let moved = details(conn, item)?;
    // The same version, in another `context`: followers learn where it is now.
    send(conn, urls, &moved, actor, "Update", None)?;
    Ok(moved)
}

/// The author, a lead or a facilitator deletes a resource: followers get the `Delete`,
/// and its URL answers 410. A resource of a remote community is deleted by sending the
/// community the `Delete`.
pub fn delete(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
) -> CoreResult<Outcome> {
    let d = for_change(conn, item_id)?;
    if !d.community.is_local {
        let id = urls.activity();
        let activity: Activity<Value> = Activity::new(
            "Delete",
            id.clone(),
            url(&actor.ap_id),
            Value::String(d.item.ap_id.clone()),
        )
        .to([d.community.ap_id.clone(), PUBLIC.to_string()])
        .audience(Some(url(&d.community.ap_id)));
        queue_to_community(conn, urls, actor, &d.community, &activity, &d.item.ap_id)?;
        return Ok(Outcome::Sent {
            activity_id: id.to_string(),
        });
    }
    rules::may_change_resource(conn, &d.community, &d.item, actor)?;
    weft_db::items::mark_deleted(conn, d.item.id, weft_db::now())?;
    send(conn, urls, &d, actor, "Delete", None)?;
    Ok(Outcome::Done(Box::new(d)))
}

/// Sends an activity on a local resource of a local community: `actor`'s activity (kept
/// in their outbox if they are local), announced by the community; `activity_id` reuses
/// the id of a received activity.
pub(crate) fn send(
    conn: &mut AnyConnection,
    urls: &Urls,
    d: &ResourceDetails,
    actor: &ActorRow,
    verb: &str,
    activity_id: Option<&Url>,
) -> CoreResult<()> {
    let object = wire::resource_into_json(urls, d);
    let value = if verb == "Delete" {
        Value::String(d.item.ap_id.clone())
    } else {
        serde_json::to_value(&object).expect("json")
    };
    let id = activity_id.cloned().unwrap_or_else(|| urls.activity());
    // As a post's: a `Delete` is addressed to the community and Public only.
    let cc = match verb {
        "Delete" => vec![],
        _ => object.addressing.cc.clone(),
    };
    let activity: Activity<Value> = Activity::new(verb, id, url(&actor.ap_id), value)
        .to([d.community.ap_id.clone(), PUBLIC.to_string()])
        .cc(cc)
        .audience(object.addressing.audience.clone());
    let bare = (verb == "Create").then(|| serde_json::to_value(&object).expect("json"));
    if actor.is_local {
        return send_local(
            conn,
            urls,
            LocalActivity {
                author: actor,
                community: &d.community,
                verb,
                activity: &activity,
                object_id: &d.item.ap_id,
                bare,
            },
        );
    }
    // A remote member's change, taken here: only the community's Announce goes out.
    crate::posts::announce(
        conn,
        urls,
        &d.community,
        serde_json::to_value(&activity).expect("json"),
        bare,
    )
}

/// A member's `Create` or `Update` of a resource of a remote community, sent to it: the
/// object says what they want the (next) version to be; the community decides. Nothing
/// is stored here until the community announces it.
fn send_draft(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    community: &ActorRow,
    verb: &str,
    current: Option<(&ResourceDetails, Option<&str>)>,
    content: &Content,
) -> CoreResult<String> {
    let id = urls.activity();
    let community_id = url(&community.ap_id);
    let (object_id, version, message) = match current {
        Some((d, message)) => (
            url(&d.item.ap_id),
            i64::from(d.resource.current_version) + 1,
            message.map(str::to_string),
        ),
        // A proposal has no id of its own yet: the community names the resource.
        None => (url(&format!("{id}#resource")), 1, None),
    };
    let object = ResourceObject {
        kind: "Document".into(),
        id: object_id.clone(),
        actor: Some(url(&actor.ap_id)),
        attributed_to: Some(community_id.clone()),
        addressing: weft_protocol::Addressing::new(
            vec![community.ap_id.clone()],
            vec![],
            Some(community_id),
        ),
        name: content.title.clone(),
        summary: Some(wire::summary_of(&content.kind, &content.description_html)),
        content: content.description_html.clone(),
        media_type: Some("text/html".into()),
        source: Some(weft_protocol::Source::markdown(
            content.description_source.clone(),
        )),
        url: content.link.as_deref().map(url),
        context: None,
        published: None,
        updated: None,
        tag: content
            .tags
            .iter()
            .map(|t| weft_protocol::Tag {
                kind: "Hashtag".into(),
                href: None,
                name: Some(format!("#{t}")),
            })
            .collect(),
        attachment: content
            .attachments
            .iter()
            .map(|a| weft_protocol::AttachmentJson {
                kind: "Document".into(),
                url: url(&a.url),
                media_type: Some(a.media_type.clone()),
                name: Some(a.name.clone()),
                size: a.size,
            })
            .collect(),
        weft: weft_protocol::ResourceTerms {
            kind: Some(content.kind.clone()),
            version: Some(version),
            edited_by: Some(url(&actor.ap_id)),
            message,
            link: content.link.as_deref().map(url),
            versions: None,
        },
    };
    let activity: Activity<Value> = Activity::new(
        verb,
        id.clone(),
        url(&actor.ap_id),
        serde_json::to_value(&object).expect("json"),
    )
    .to([community.ap_id.clone()])
    .audience(Some(url(&community.ap_id)));
    queue_to_community(conn, urls, actor, community, &activity, object_id.as_str())?;
    Ok(id.to_string())
}

fn queue_to_community(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    community: &ActorRow,
    activity: &Activity<Value>,
    object_id: &str,
) -> CoreResult<()> {
    queue(
        conn,
        urls,
        Outgoing {
            sender: actor,
            activity,
            kind: &activity.kind,
            activity_id: &activity.id,
            object_id: Some(object_id),
            public: false,
            inboxes: vec![community.delivery_inbox().to_string()],
        },
    )?;
    Ok(())
}

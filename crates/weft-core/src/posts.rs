//! Threads and replies (FEP-1b12): local members posting, remote actors posting into
//! local communities, and what communities announce. Edits and deletes go the same way.

use crate::outbox::{Outgoing, queue, queue_in_forms};
use crate::software::Form;
use crate::wire::{PostPlace, item_into_json};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{Activity, POST_TYPES, PUBLIC, PostObject, same_id};

fn url(s: &str) -> Url {
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
fn current(conn: &mut AnyConnection, item_id: i64) -> CoreResult<ItemRow> {
    weft_db::items::by_id(conn, item_id)?
        .ok_or_else(|| CoreError::NotFound(format!("no post {item_id}")))
}

/// A local member starts a thread (`title` given) or replies (`in_reply_to` given).
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

/// Sends an author's `Create`/`Update`/`Delete`: into a local community it is stored in
/// the author's outbox and announced by the community ([`send_local`]); into a remote
/// one it goes to the community (and to the author of the post replied to).
fn send_from_author(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    verb: &str,
    object: &PostObject,
    object_value: Value,
) -> CoreResult<()> {
    let id = urls.activity();
    let mut activity: Activity<Value> =
        Activity::new(verb, id.clone(), url(&author.ap_id), object_value)
            .to(object.addressing.to.clone())
            .cc(object.addressing.cc.clone())
            .audience(Some(url(&community.ap_id)));
    if verb == "Delete" {
        activity = activity.to([community.ap_id.clone(), PUBLIC.to_string()]);
    }
    if community.is_local {
        let bare = (verb == "Create").then(|| serde_json::to_value(object).expect("json"));
        return send_local(
            conn,
            urls,
            LocalActivity {
                author,
                community,
                verb,
                activity: &activity,
                object_id: object.id.as_str(),
                bare,
            },
        );
    }
    let mut inboxes = vec![community.delivery_inbox().to_string()];
    for cc in &object.addressing.cc {
        if let Some(actor) = weft_db::actors::by_ap_id(conn, cc)? {
            inboxes.push(actor.delivery_inbox().to_string());
        }
    }
    queue(
        conn,
        urls,
        Outgoing {
            sender: author,
            activity: &activity,
            kind: verb,
            activity_id: &id,
            object_id: Some(object.id.as_str()),
            public: true,
            inboxes,
        },
    )?;
    Ok(())
}

/// A local author's activity on an item of a local community (a post, an event).
pub(crate) struct LocalActivity<'a> {
    pub author: &'a ActorRow,
    pub community: &'a ActorRow,
    /// `Create`, `Update` or `Delete`.
    pub verb: &'a str,
    pub activity: &'a Activity<Value>,
    pub object_id: &'a str,
    /// The bare object, announced beside the activity (for a `Create`).
    pub bare: Option<Value>,
}

/// Sends a local author's activity on an item of a local community: kept in the author's
/// outbox and announced by the community (the `Announce` of the activity to group-aware
/// instances, of the bare object of a `Create` to microblog ones). An `Update`/`Delete`
/// also goes from the author to the instances that received the item (its community's
/// remote followers') and do not read the community's `Announce` of it (microblog and
/// unknown software): Mastodon updates and removes a post only that way. See
/// [`crate::software`].
pub(crate) fn send_local(
    conn: &mut AnyConnection,
    urls: &Urls,
    sent: LocalActivity<'_>,
) -> CoreResult<()> {
    let followers = weft_db::follows::remote_follower_inboxes(conn, sent.community.id)?;
    let inboxes = if sent.verb == "Create" {
        vec![]
    } else {
        followers.clone()
    };
    queue_in_forms(
        conn,
        urls,
        vec![(
            Outgoing {
                sender: sent.author,
                activity: sent.activity,
                kind: sent.verb,
                activity_id: &sent.activity.id,
                object_id: Some(sent.object_id),
                public: true,
                inboxes,
            },
            Some(Form::Object),
        )],
    )?;
    let list = announcements(
        urls,
        sent.community,
        serde_json::to_value(sent.activity).expect("json"),
        sent.bare,
    );
    queue_in_forms(conn, urls, outgoing(sent.community, &list, &followers))?;
    Ok(())
}

/// The community announces an activity to its followers (FEP-1b12), and for a new post
/// a second `Announce` of the bare object, which Mastodon and Pleroma show. Each
/// follower instance gets the forms its software reads ([`crate::software`]).
pub fn announce(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    inner: Value,
    bare_object: Option<Value>,
) -> CoreResult<()> {
    let inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    let list = announcements(urls, community, inner, bare_object);
    queue_in_forms(conn, urls, outgoing(community, &list, &inboxes))?;
    Ok(())
}

/// One `Announce` by a community, not yet queued.
pub(crate) struct Announcement {
    id: Url,
    object_id: Option<String>,
    activity: Activity<Value>,
    form: Form,
}

/// The `Announce`s of `inner` (and of the bare object of a new post) by `community`:
/// the first for group-aware instances, the second for microblog ones.
pub(crate) fn announcements(
    urls: &Urls,
    community: &ActorRow,
    inner: Value,
    bare_object: Option<Value>,
) -> Vec<Announcement> {
    let object_id = inner
        .get("object")
        .and_then(|o| weft_protocol::ids_of(Some(o)).into_iter().next());
    let followers = community.followers_url.clone().unwrap_or_default();
    let announce = |object: Value, form: Form| {
        let id = urls.activity();
        Announcement {
            activity: Activity::new("Announce", id.clone(), url(&community.ap_id), object)
                .to([PUBLIC.to_string()])
                .cc([followers.clone()])
                .audience(Some(url(&community.ap_id))),
            id,
            object_id: object_id.clone(),
            form,
        }
    };
    let mut list = vec![announce(inner, Form::Activity)];
    if let Some(object) = bare_object {
        list.push(announce(object, Form::Object));
    }
    list
}

/// The announcements as activities to queue for the community's remote followers, each
/// with its form.
pub(crate) fn outgoing<'a>(
    community: &'a ActorRow,
    list: &'a [Announcement],
    inboxes: &[String],
) -> Vec<(Outgoing<'a, Activity<Value>>, Option<Form>)> {
    list.iter()
        .map(|a| {
            (
                Outgoing {
                    sender: community,
                    activity: &a.activity,
                    kind: "Announce",
                    activity_id: &a.id,
                    object_id: a.object_id.as_deref(),
                    public: true,
                    inboxes: inboxes.to_vec(),
                },
                Some(a.form),
            )
        })
        .collect()
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
    rules::may_edit_item(item, author)?;
    if item.deleted_at.is_some() {
        return Err(CoreError::NotFound("the post was deleted".into()));
    }
    let body = content.trim();
    if body.is_empty() {
        return Err(CoreError::Invalid("a post needs some content".into()));
    }
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

fn community_of(conn: &mut AnyConnection, item: &ItemRow) -> CoreResult<ActorRow> {
    let id = item
        .origin_community_id
        .ok_or_else(|| CoreError::Invalid("the post is in no community".into()))?;
    Ok(weft_db::actors::by_id(conn, id)?)
}

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

fn store_remote(
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
        source: object.source.as_ref().map(|s| s.content.clone()),
        url: object.url.as_ref().map(Url::to_string),
        in_reply_to_id: parent.map(|p| p.id),
        in_reply_to_ap_id: object.in_reply_to.as_ref().map(Url::to_string),
        thread_root_id: parent.map(|p| p.thread_root_id.unwrap_or(p.id)),
        is_local: false,
        published_at: object.published.map(|p| p.naive_utc()).unwrap_or(now),
        updated_at: object.updated.map(|p| p.naive_utc()),
    }
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
        object.source.as_ref().map(|s| s.content.as_str()),
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

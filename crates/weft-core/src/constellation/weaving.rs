//! Weaving: a weaver (or lead) of a community here carries an item from any community,
//! here or elsewhere, into it, with a note on why it matters there.
//!
//! What goes out, in the transaction that places the item: the community's `Announce`
//! of the original object (its author, id and community intact), to the community's
//! followers and to the item's own community, naming the weaver and the note
//! (`weft:wovenBy`, `weft:weaveNote`); and the weaver's `Note`, linking the original (a
//! FEP-e232 `Link` tag, and an `<a href>` a Mastodon user can click), a post of the
//! weaver in the community, which announces it as it announces any post made there.
//! Unweaving sends `Undo(Announce)` and the note's `Delete` (announced likewise). The item's community records where its item
//! travelled ("bridges out"); a follower's instance places it in its copy of the weaving
//! community, as woven.

use crate::outbox::{Outgoing, queue};
use crate::posts::Received;
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_db::weaves::{NewTravel, NewWeave, WovenIn};
use weft_protocol::weaving::{ObjectLink, WeaveNote, WovenAnnounce};
use weft_protocol::{Activity, Addressing, EventObject, PUBLIC, PostObject, Source};

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// The item to weave, as the caller found it.
pub enum Item {
    /// Stored here already (a local item, or this instance's copy of a remote one).
    Known(Box<ItemRow>),
    /// Fetched from its own server (signed), not stored here yet.
    Fetched(Box<Fetched>),
}

/// An item fetched from elsewhere, with its author and community (fetched too).
pub struct Fetched {
    pub object: FetchedObject,
    /// The object as its server served it: what the `Announce` carries.
    pub served: Value,
    pub author: ActorRow,
    pub community: ActorRow,
}

/// The kinds of fetched object Weft weaves.
pub enum FetchedObject {
    Post(Box<PostObject>),
    Event(Box<EventObject>),
}

impl FetchedObject {
    fn id(&self) -> &Url {
        match self {
            FetchedObject::Post(p) => &p.id,
            FetchedObject::Event(e) => &e.id,
        }
    }
}

/// `weaver` weaves `item` into the local `community` with `note`. Refused unless the
/// weaver holds the role ([`rules::may_weave`]); an item already in the community (woven,
/// bridged or created there) is a conflict.
pub fn weave(
    conn: &mut AnyConnection,
    urls: &Urls,
    weaver: &ActorRow,
    community: &ActorRow,
    item: Item,
    note: &str,
) -> CoreResult<WovenIn> {
    rules::may_weave(conn, community, weaver)?;
    let note = checked_note(note)?;
    let (item, served) = match item {
        Item::Known(item) => (*item, None),
        Item::Fetched(fetched) => {
            let served = fetched.served.clone();
            (store_fetched(conn, &fetched)?, Some(served))
        }
    };
    weavable(&item)?;
    let origin = item
        .origin_community_id
        .map(|id| weft_db::actors::by_id(conn, id))
        .transpose()?
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "{} is in no community: weaving carries items between communities",
                item.ap_id
            ))
        })?;
    let now = weft_db::now();
    let placement = weft_db::weaves::place(
        conn,
        &NewPlacement {
            community_id: community.id,
            item_id: item.id,
            how: placement_how::WOVEN.into(),
            by_actor_id: Some(weaver.id),
            note: Some(note.clone()),
            hops: 0,
            placed_at: now,
        },
    )?
    .ok_or_else(|| {
        CoreError::Conflict(format!(
            "{} is already in {}: an item is placed in a community once",
            item.ap_id, community.username
        ))
    })?;
    // Communities here bridged to this one take it as from any announce of it.
    super::bridges::carry(conn, urls, community, &item, 0)?;
    let original = match served {
        Some(served) => served,
        None => original_json(conn, urls, &item)?,
    };
    let followers = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    let announce_id = urls.activity();
    let announce = WovenAnnounce {
        activity: Activity::new(
            "Announce",
            announce_id.clone(),
            url(&community.ap_id),
            original,
        )
        .to([PUBLIC.to_string()])
        .cc([followers_of(community), origin.ap_id.clone()])
        .audience(Some(url(&community.ap_id))),
        woven_by: Some(url(&weaver.ap_id)),
        weave_note: Some(note.clone()),
    };
    let mut to_announce = followers;
    if !origin.is_local {
        to_announce.push(origin.delivery_inbox().to_string());
    }
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &announce,
            kind: "Announce",
            activity_id: &announce_id,
            object_id: Some(&item.ap_id),
            public: true,
            inboxes: to_announce,
        },
    )?;
    let note_id = note_url(urls, placement.id);
    let create_id = urls.activity();
    let weave_note = note_into_json(weaver, community, &item, &note_id, &note, now);
    let bare = serde_json::to_value(&weave_note).expect("json");
    let create = Activity::new("Create", create_id, url(&weaver.ap_id), bare.clone())
        .to([PUBLIC.to_string()])
        .cc([followers_of(community)])
        .audience(Some(url(&community.ap_id)));
    // The note is a post of the weaver in the community: the community announces it, as
    // any post made there (Mastodon shows a followed group's boost, not a stranger's post).
    crate::posts::send_local(
        conn,
        urls,
        crate::posts::LocalActivity {
            author: weaver,
            community,
            verb: "Create",
            activity: &create,
            object_id: note_id.as_str(),
            bare: Some(bare),
        },
    )?;
    weft_db::weaves::insert(
        conn,
        &NewWeave {
            placement_id: placement.id,
            community_id: community.id,
            origin_community_id: Some(origin.id),
            announce_ap_id: announce_id.to_string(),
            note_ap_id: note_id.to_string(),
            created_at: now,
        },
    )?;
    if origin.is_local {
        rules::may_tell_weave(community, &origin)?;
        weft_db::weaves::record_travel(
            conn,
            &NewTravel {
                origin_community_id: origin.id,
                item_id: item.id,
                woven_into_id: community.id,
                weaver_id: Some(weaver.id),
                note: Some(note),
                announce_ap_id: announce_id.to_string(),
                woven_at: now,
            },
        )?;
    }
    woven(conn, community, placement.id)
}

/// `actor` unweaves the woven placement `placement_id` from the local `community`: the
/// placement goes, and `Undo(Announce)` and the note's `Delete` go out.
pub fn unweave(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    community: &ActorRow,
    placement_id: i64,
) -> CoreResult<()> {
    let woven = woven(conn, community, placement_id)?;
    rules::may_unweave(conn, community, &woven.placement, actor)?;
    weft_db::weaves::unplace(conn, placement_id)?;
    let Some(weave) = woven.weave else {
        return Ok(());
    };
    let origin = weave
        .origin_community_id
        .map(|id| weft_db::actors::by_id(conn, id))
        .transpose()?;
    let followers = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    let announce = Activity::new(
        "Announce",
        url(&weave.announce_ap_id),
        url(&community.ap_id),
        Value::String(woven.item.ap_id.clone()),
    )
    .to([PUBLIC.to_string()])
    .cc([followers_of(community)]);
    let undo_id = urls.activity();
    let undo = Activity::new("Undo", undo_id.clone(), url(&community.ap_id), announce)
        .to([PUBLIC.to_string()])
        .cc([followers_of(community)])
        .audience(Some(url(&community.ap_id)));
    let mut to_undo = followers;
    if let Some(origin) = origin.as_ref().filter(|o| !o.is_local) {
        to_undo.push(origin.delivery_inbox().to_string());
    }
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &undo,
            kind: "Undo",
            activity_id: &undo_id,
            object_id: Some(&woven.item.ap_id),
            public: true,
            inboxes: to_undo,
        },
    )?;
    if let Some(weaver) = woven.weaver.as_ref().filter(|w| w.is_local) {
        let delete = Activity::new(
            "Delete",
            urls.activity(),
            url(&weaver.ap_id),
            Value::String(weave.note_ap_id.clone()),
        )
        .to([PUBLIC.to_string()])
        .cc([followers_of(community)])
        .audience(Some(url(&community.ap_id)));
        crate::posts::send_local(
            conn,
            urls,
            crate::posts::LocalActivity {
                author: weaver,
                community,
                verb: "Delete",
                activity: &delete,
                object_id: &weave.note_ap_id,
                bare: None,
            },
        )?;
    }
    if origin.is_some_and(|o| o.is_local) {
        weft_db::weaves::forget_travel(conn, community.id, woven.item.id)?;
    }
    Ok(())
}

/// The woven placement `placement_id` of `community`, or 404.
pub fn woven(
    conn: &mut AnyConnection,
    community: &ActorRow,
    placement_id: i64,
) -> CoreResult<WovenIn> {
    weft_db::weaves::woven_in(conn, community.id, placement_id)?.ok_or_else(|| {
        CoreError::NotFound(format!(
            "nothing woven into {} as {placement_id}",
            community.username
        ))
    })
}

/// A community elsewhere wove `item_id`, an item of a community here (its `Announce`,
/// naming the weaver): recorded where the item travelled.
pub fn receive_woven_out(
    conn: &mut AnyConnection,
    group: &ActorRow,
    announce: &WovenAnnounce,
    item_id: &str,
    weaver: Option<&ActorRow>,
) -> CoreResult<Received> {
    let Some(item) = weft_db::items::by_ap_id(conn, item_id)? else {
        return Ok(Received::Ignored(format!("{item_id} is not known here")));
    };
    let Some(origin) = item
        .origin_community_id
        .map(|id| weft_db::actors::by_id(conn, id))
        .transpose()?
        .filter(|o| o.is_local)
    else {
        return Ok(Received::Ignored(format!(
            "{item_id} is not of a community here"
        )));
    };
    rules::may_tell_weave(group, &origin)?;
    let recorded = weft_db::weaves::record_travel(
        conn,
        &NewTravel {
            origin_community_id: origin.id,
            item_id: item.id,
            woven_into_id: group.id,
            weaver_id: weaver.map(|w| w.id),
            note: announce.weave_note.as_deref().map(plain_note),
            announce_ap_id: announce.activity.id.to_string(),
            woven_at: weft_db::now(),
        },
    )?;
    Ok(if recorded {
        Received::Stored(item)
    } else {
        Received::Known(item)
    })
}

/// A community elsewhere that this instance follows wove an item into itself: placed in
/// its copy here, as woven (stored first if it is new here).
pub fn receive_woven_in(
    conn: &mut AnyConnection,
    group: &ActorRow,
    item: Item,
    weaver: Option<&ActorRow>,
    note: Option<&str>,
) -> CoreResult<Received> {
    if let Some(reason) = rules::not_taken_from(conn, group)? {
        return Ok(Received::Ignored(reason));
    }
    let item = match item {
        Item::Known(item) => *item,
        Item::Fetched(fetched) => store_fetched(conn, &fetched)?,
    };
    let placed = weft_db::weaves::place(
        conn,
        &NewPlacement {
            community_id: group.id,
            item_id: item.id,
            how: placement_how::WOVEN.into(),
            by_actor_id: weaver.map(|w| w.id),
            note: note.map(plain_note),
            hops: 0,
            placed_at: weft_db::now(),
        },
    )?;
    Ok(match placed {
        Some(_) => Received::Stored(item),
        None => Received::Known(item),
    })
}

/// A community elsewhere undid its weave of `item_id` (`Undo(Announce)`): the record of
/// where an item of a community here travelled goes, or the placement in its copy here.
pub fn receive_unwoven(
    conn: &mut AnyConnection,
    group: &ActorRow,
    announce_id: &str,
    item_id: &str,
) -> CoreResult<Received> {
    if let Some(travel) = weft_db::weaves::travel_by_announce(conn, announce_id)? {
        rules::may_undo_weave(group, &travel)?;
        weft_db::weaves::forget_travel(conn, group.id, travel.item_id)?;
        let item = weft_db::items::by_id(conn, travel.item_id)?
            .ok_or_else(|| CoreError::NotFound(format!("no item {}", travel.item_id)))?;
        return Ok(Received::Stored(item));
    }
    let Some(item) = weft_db::items::by_ap_id(conn, item_id)? else {
        return Ok(Received::Ignored(format!("{item_id} is not known here")));
    };
    if weft_db::weaves::unplace_item(conn, group.id, item.id)? {
        Ok(Received::Stored(item))
    } else {
        Ok(Received::Ignored(format!(
            "{item_id} is not woven into {} here",
            group.ap_id
        )))
    }
}

/// The note, trimmed; refused when empty or too long.
fn checked_note(note: &str) -> CoreResult<String> {
    let note = note.trim();
    if note.is_empty() {
        return Err(CoreError::Invalid(
            "say in the note why the item matters here".into(),
        ));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(CoreError::Invalid(format!(
            "the note is longer than {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(note.to_string())
}

/// A note received from elsewhere, as plain text of bounded length.
fn plain_note(note: &str) -> String {
    note.trim().chars().take(MAX_NOTE_CHARS).collect()
}

/// Threads, events and resources are woven; a reply is woven with its thread, and a
/// deleted item not at all.
fn weavable(item: &ItemRow) -> CoreResult<()> {
    if item.deleted_at.is_some() {
        return Err(CoreError::Invalid(format!("{} was deleted", item.ap_id)));
    }
    if item.in_reply_to_id.is_some() || item.in_reply_to_ap_id.is_some() {
        return Err(CoreError::Invalid(format!(
            "{} is a reply: weave the thread it belongs to",
            item.ap_id
        )));
    }
    Ok(())
}

/// Stores a fetched item with its own community (as a followed community's item is
/// stored), unless it is known here already.
fn store_fetched(conn: &mut AnyConnection, fetched: &Fetched) -> CoreResult<ItemRow> {
    if let Some(known) = weft_db::items::by_ap_id(conn, fetched.object.id().as_str())? {
        return Ok(known);
    }
    let (author, community) = (&fetched.author, &fetched.community);
    match &fetched.object {
        FetchedObject::Post(post) => {
            crate::posts::check_authorship(post, author)?;
            if post.in_reply_to.is_some() {
                return Err(CoreError::Invalid(format!(
                    "{} is a reply: weave the thread it belongs to",
                    post.id
                )));
            }
            let now = weft_db::now();
            let item = weft_db::items::insert(
                conn,
                &crate::posts::new_remote_item(author, post, community, None, now),
            )?;
            weft_db::items::place(
                conn,
                &crate::posts::created_placement(&item, author, community, now),
            )?;
            Ok(item)
        }
        FetchedObject::Event(event) => {
            crate::posts::check_event_authorship(event, author)?;
            crate::events::received::store_remote_event(conn, community, author, event)
        }
    }
}

/// The original object as this instance serves (a local item) or knows (a copy) it.
fn original_json(conn: &mut AnyConnection, urls: &Urls, item: &ItemRow) -> CoreResult<Value> {
    Ok(match item.kind {
        ItemKind::Resource if item.is_local => {
            let details = crate::resources::details(conn, item.clone())?;
            serde_json::to_value(crate::resources::wire::resource_into_json(urls, &details))
                .expect("json")
        }
        ItemKind::Resource => Value::String(item.ap_id.clone()),
        ItemKind::Event => {
            let details = crate::events::details(conn, item.clone(), None)?;
            serde_json::to_value(crate::events::wire::event_into_json(&details.parts()))
                .expect("json")
        }
        ItemKind::Post => {
            serde_json::to_value(crate::posts::object_json(conn, item)?).expect("json")
        }
    })
}

/// The id of the weaver's note of the weave `placement_id`.
pub fn note_url(urls: &Urls, placement_id: i64) -> Url {
    urls.base()
        .join(&format!("weaves/{placement_id}/note"))
        .expect("url")
}

/// The weaver's `Note`: their words, then `RE:` and a link to the original, which the
/// `Link` tag names too (FEP-e232).
pub fn note_into_json(
    weaver: &ActorRow,
    community: &ActorRow,
    item: &ItemRow,
    id: &Url,
    note: &str,
    at: chrono::NaiveDateTime,
) -> WeaveNote {
    let original = url(&item.ap_id);
    // The original's id (its `url` may be a link it carries, on Lemmy).
    let shown = item.ap_id.clone();
    let title = item
        .title
        .as_deref()
        .filter(|t| !t.is_empty())
        .unwrap_or(&shown);
    let content = format!(
        "{}<p class=\"quote-inline\">RE: <a href=\"{}\">{}</a></p>",
        sanitize::text_to_html(note),
        sanitize::escape(&shown),
        sanitize::escape(title)
    );
    WeaveNote {
        kind: "Note".into(),
        id: id.clone(),
        attributed_to: url(&weaver.ap_id),
        addressing: Addressing::new(
            vec![PUBLIC.to_string()],
            vec![followers_of(community)],
            Some(url(&community.ap_id)),
        ),
        content,
        source: Source::markdown(note),
        tag: vec![ObjectLink::quoting(original)],
        published: crate::wire::utc(at),
    }
}

fn followers_of(community: &ActorRow) -> String {
    community.followers_url.clone().unwrap_or_default()
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// How much a community wove in and how often its items were woven elsewhere: counts
/// for its profile (and the vitality dashboard).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Items woven into it ("bridges in").
    pub woven_in: i64,
    /// Times its items were woven into other communities ("bridges out").
    pub woven_out: i64,
}

pub fn counts(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<Counts> {
    Ok(Counts {
        woven_in: weft_db::weaves::count_in(conn, community.id)?,
        woven_out: weft_db::weaves::count_out(conn, community.id)?,
    })
}

/// The items woven into `community` (here, or its copy here), newest first.
pub fn woven_in(
    conn: &mut AnyConnection,
    community: &ActorRow,
    before: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<WovenIn>> {
    Ok(weft_db::weaves::list_in(conn, community.id, before, limit)?)
}

/// Where the items of `community` (a community here) were woven, newest first.
pub fn woven_out(
    conn: &mut AnyConnection,
    community: &ActorRow,
    before: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<weft_db::weaves::Travel>> {
    if !community.is_local {
        return Err(CoreError::Invalid(format!(
            "where the items of {} travelled is known on its own instance",
            community.ap_id
        )));
    }
    Ok(weft_db::weaves::list_out(
        conn,
        community.id,
        before,
        limit,
    )?)
}

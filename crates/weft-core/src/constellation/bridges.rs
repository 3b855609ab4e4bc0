//! Bridges: a community follows another community (a `Group` follows a `Group`), here or
//! on another instance, and what that community announces is placed in it as *bridged*,
//! "from" the community it came through. Its lead chooses the kinds placed (threads,
//! events, resources) and, separately, the kinds passed on: announced onward to its own
//! followers with the hop count (`weft:hops`) one higher.
//!
//! Never twice: a placement is unique per community and item (a second arrival does
//! nothing, and is not passed on again); an item is never placed in, or passed on to,
//! its origin community; and a hop limit (`bridge_hop_limit`, default 3) ends chains.
//! A bridge between two communities of this instance goes through [`carry`] too, without
//! HTTP: the same rules, the same outcome.

use crate::outbox::{Outgoing, queue};
use crate::posts::Received;
use crate::{CoreError, CoreResult, Urls, rules};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::bridges::{BridgeRow, NewBridge, bridge_state};
use weft_db::models::*;
use weft_protocol::{Activity, EventObject, PUBLIC, PostObject};

/// The kinds of item a bridge may place and pass on.
pub const KINDS: [&str; 3] = [THREADS, EVENTS, RESOURCES];
pub const THREADS: &str = "threads";
pub const EVENTS: &str = "events";
pub const RESOURCES: &str = "resources";

/// The instance setting holding the hop limit (written at start from the configuration).
pub const HOP_LIMIT_SETTING: &str = "bridge_hop_limit";
/// How many bridges an item may cross when nothing is configured.
pub const DEFAULT_HOP_LIMIT: i32 = 3;

/// A bridge's state as its lead sees it.
pub mod state {
    /// The `Follow` waits for the other community's answer (or its lead's approval).
    pub const PENDING: &str = "pending";
    /// Followed: what it announces is placed.
    pub const ACTIVE: &str = "active";
    /// The other community refused the follow, or removed it later.
    pub const REJECTED: &str = "rejected";
    /// Unlinked here (`Undo(Follow)` sent); what it placed stays.
    pub const UNLINKED: &str = "unlinked";
}

/// One bridge out of a community: the row, the community followed, and its state.
#[derive(Debug, Clone)]
pub struct Bridge {
    pub row: BridgeRow,
    pub target: ActorRow,
    pub state: &'static str,
}

impl Bridge {
    pub fn place_kinds(&self) -> Vec<String> {
        kinds_of(&self.row.place_kinds)
    }
    pub fn pass_kinds(&self) -> Vec<String> {
        kinds_of(&self.row.pass_kinds)
    }
}

/// The kinds stored as a comma-separated list.
pub fn kinds_of(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// The kinds asked for, checked and in their canonical order, as stored.
fn stored_kinds(asked: &[String]) -> CoreResult<String> {
    if let Some(bad) = asked.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(CoreError::Invalid(format!(
            "{bad:?} is not a kind a bridge carries: threads, events or resources"
        )));
    }
    Ok(KINDS
        .iter()
        .filter(|k| asked.iter().any(|a| a == *k))
        .copied()
        .collect::<Vec<_>>()
        .join(","))
}

/// The kinds a bridge may pass on: threads and events (a resource is placed, but its
/// library entry lives in its origin's library and is not announced onward).
fn stored_pass_kinds(asked: &[String]) -> CoreResult<String> {
    if asked.iter().any(|k| k == RESOURCES) {
        return Err(CoreError::Invalid(
            "resources are placed through a bridge but not passed on: pass on threads or events"
                .into(),
        ));
    }
    stored_kinds(asked)
}

fn has(stored: &str, kind: &str) -> bool {
    stored.split(',').any(|k| k == kind)
}

/// The bridge kind of an item: a thread (not a reply), an event or a resource.
fn kind_of(item: &ItemRow) -> Option<&'static str> {
    match item.kind {
        ItemKind::Post if item.in_reply_to_ap_id.is_none() => Some(THREADS),
        ItemKind::Post => None,
        ItemKind::Event => Some(EVENTS),
        ItemKind::Resource => Some(RESOURCES),
    }
}

/// How many bridges an item may cross here.
pub fn hop_limit(conn: &mut AnyConnection) -> CoreResult<i32> {
    Ok(weft_db::accounts::setting(conn, HOP_LIMIT_SETTING)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_HOP_LIMIT))
}

/// Keeps the configured hop limit where every service reads it.
pub fn set_hop_limit(conn: &mut AnyConnection, limit: i32) -> CoreResult<()> {
    weft_db::accounts::set_setting(conn, HOP_LIMIT_SETTING, &limit.to_string())?;
    Ok(())
}

fn bridge_of(row: BridgeRow, target: ActorRow, follow: Option<&FollowRow>) -> Bridge {
    let state = if row.state == bridge_state::UNLINKED {
        state::UNLINKED
    } else {
        match follow.map(|f| f.state.as_str()) {
            Some(follow_state::ACCEPTED) => state::ACTIVE,
            Some(_) => state::PENDING,
            None => state::REJECTED,
        }
    };
    Bridge { row, target, state }
}

fn load(conn: &mut AnyConnection, row: BridgeRow) -> CoreResult<Bridge> {
    let target = weft_db::actors::by_id(conn, row.target_id)?;
    let follow = weft_db::follows::find(conn, row.community_id, row.target_id)?;
    Ok(bridge_of(row, target, follow.as_ref()))
}

/// The bridge `id` of `community`, or 404.
fn bridge_in(conn: &mut AnyConnection, community: &ActorRow, id: i64) -> CoreResult<BridgeRow> {
    weft_db::bridges::by_id(conn, id)?
        .filter(|b| b.community_id == community.id)
        .ok_or_else(|| CoreError::NotFound(format!("{} has no bridge {id}", community.username)))
}

/// What a lead asks a bridge to carry.
pub struct Chosen<'a> {
    pub place: &'a [String],
    pub pass_on: &'a [String],
}

/// A lead of `community` links it to `target`: `community` follows `target` (a `Follow`
/// from Group to Group when `target` is elsewhere, answered under its join policy), and
/// what `target` announces of the chosen kinds will be placed here. Linking again
/// changes the kinds (and asks again after an unlink or a refusal).
pub fn link(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    target: &ActorRow,
    chosen: Chosen<'_>,
) -> CoreResult<Bridge> {
    rules::may_manage_bridges(conn, community, by)?;
    rules::may_bridge_to(community, target)?;
    let (place, pass) = (
        stored_kinds(chosen.place)?,
        stored_pass_kinds(chosen.pass_on)?,
    );
    let now = weft_db::now();
    let row = weft_db::bridges::upsert(
        conn,
        &NewBridge {
            community_id: community.id,
            target_id: target.id,
            place_kinds: place,
            pass_kinds: pass,
            state: bridge_state::LINKED.into(),
            created_by: Some(by.id),
            created_at: now,
            updated_at: now,
        },
    )?;
    crate::following::follow(conn, urls, community, target)?;
    load(conn, row)
}

/// What a lead changes of a bridge; `None` keeps what it is.
pub struct Changes<'a> {
    pub place: Option<&'a [String]>,
    pub pass_on: Option<&'a [String]>,
}

/// A lead changes what the bridge `id` places and passes on (from now on).
pub fn change(
    conn: &mut AnyConnection,
    by: &ActorRow,
    community: &ActorRow,
    id: i64,
    changes: Changes<'_>,
) -> CoreResult<Bridge> {
    rules::may_manage_bridges(conn, community, by)?;
    let row = bridge_in(conn, community, id)?;
    let place = match changes.place {
        Some(kinds) => stored_kinds(kinds)?,
        None => row.place_kinds.clone(),
    };
    let pass = match changes.pass_on {
        Some(kinds) => stored_pass_kinds(kinds)?,
        None => row.pass_kinds.clone(),
    };
    weft_db::bridges::set_kinds(conn, row.id, &place, &pass, weft_db::now())?;
    let row = bridge_in(conn, community, id)?;
    load(conn, row)
}

/// A lead unlinks the bridge `id`: `Undo(Follow)` goes to the community followed, and
/// nothing more is placed through it. What it placed stays, marked bridged.
pub fn unlink(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    id: i64,
) -> CoreResult<Bridge> {
    rules::may_manage_bridges(conn, community, by)?;
    let row = bridge_in(conn, community, id)?;
    let target = weft_db::actors::by_id(conn, row.target_id)?;
    match crate::following::unfollow(conn, urls, community, &target) {
        // A refused follow has nothing left to undo.
        Ok(()) | Err(CoreError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    weft_db::bridges::set_state(conn, row.id, bridge_state::UNLINKED, weft_db::now())?;
    let row = bridge_in(conn, community, id)?;
    load(conn, row)
}

/// The bridges out of `community` (the communities it follows as bridges), oldest first.
pub fn list(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<Vec<Bridge>> {
    Ok(weft_db::bridges::of_community(conn, community.id)?
        .into_iter()
        .map(|(row, target, follow)| bridge_of(row, target, follow.as_ref()))
        .collect())
}

/// The communities bridged into `community` (Groups following it, here or elsewhere),
/// each with its follow (`accepted`, or `pending` a lead's approval).
pub fn bridged_in(
    conn: &mut AnyConnection,
    community: &ActorRow,
) -> CoreResult<Vec<(FollowRow, ActorRow)>> {
    Ok(weft_db::bridges::followers_into(conn, community.id)?)
}

/// `item` reached this instance from community `from` (announced by it, or created in
/// it here) having crossed `hops` bridges: placed in each community here bridged to
/// `from` that takes its kind (hops + 1, "from" `from`), unless already placed there,
/// or that community is its origin, or the hop limit is passed. Where the bridge passes
/// the kind on, the community announces it onward. Returns how many placements it made.
pub fn carry(
    conn: &mut AnyConnection,
    urls: &Urls,
    from: &ActorRow,
    item: &ItemRow,
    hops: i32,
) -> CoreResult<usize> {
    let Some(kind) = kind_of(item) else {
        return Ok(0);
    };
    if item.deleted_at.is_some() {
        return Ok(0);
    }
    // One query when nothing is bridged to `from` (most communities, most items).
    let bridges = weft_db::bridges::active_into(conn, from.id)?;
    if bridges.is_empty() {
        return Ok(0);
    }
    let limit = hop_limit(conn)?;
    let next = hops.saturating_add(1);
    if next > limit {
        return Ok(0);
    }
    let mut placed = 0;
    for (bridge, community) in bridges {
        if !has(&bridge.place_kinds, kind) || item.origin_community_id == Some(community.id) {
            continue;
        }
        let new = NewPlacement {
            community_id: community.id,
            item_id: item.id,
            how: placement_how::BRIDGED.into(),
            by_actor_id: Some(from.id),
            note: None,
            hops: next,
            placed_at: weft_db::now(),
        };
        if !weft_db::items::place(conn, &new)? {
            continue;
        }
        placed += 1;
        if has(&bridge.pass_kinds, kind) && next < limit {
            placed += pass_on(conn, urls, &community, item, next)?;
        }
    }
    Ok(placed)
}

/// `community` announces `item` (placed in it through a bridge, `hops` bridges from its
/// origin) to its remote followers, the origin community left out, with `weft:hops`;
/// communities here bridged to it take it through [`carry`].
fn pass_on(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    item: &ItemRow,
    hops: i32,
) -> CoreResult<usize> {
    let except: Vec<i64> = item.origin_community_id.into_iter().collect();
    let inboxes = weft_db::bridges::follower_inboxes_except(conn, community.id, &except)?;
    if !inboxes.is_empty() {
        let activity = passed_on(urls, community, &item.ap_id, hops);
        queue(
            conn,
            urls,
            Outgoing {
                sender: community,
                activity: &activity,
                kind: "Announce",
                activity_id: &activity.id,
                object_id: Some(&item.ap_id),
                public: true,
                inboxes,
            },
        )?;
    }
    carry(conn, urls, community, item, hops)
}

/// The `Announce` of an item `community` passes on: the item by id (its origin serves
/// it), with the bridges it has crossed as `weft:hops`.
pub fn passed_on(
    urls: &Urls,
    community: &ActorRow,
    item_ap_id: &str,
    hops: i32,
) -> Activity<Value> {
    let followers = community.followers_url.clone().unwrap_or_default();
    Activity::new(
        "Announce",
        urls.activity(),
        Url::parse(&community.ap_id).expect("stored ids are URLs"),
        Value::String(item_ap_id.to_string()),
    )
    .to([PUBLIC.to_string()])
    .cc([followers])
    .audience(Url::parse(&community.ap_id).ok())
    .hops(u32::try_from(hops).ok())
}

/// After a community's announced item was taken in (`received`), carries it on through
/// the bridges from that community.
pub fn after_received(
    conn: &mut AnyConnection,
    urls: &Urls,
    via: &ActorRow,
    received: Received,
    hops: i32,
) -> CoreResult<Received> {
    if let Received::Stored(item) | Received::Known(item) = &received {
        carry(conn, urls, via, item, hops)?;
    }
    Ok(received)
}

/// Is any community here bridged (linked and followed) to `via`?
fn bridged_from(conn: &mut AnyConnection, via: &ActorRow) -> CoreResult<bool> {
    Ok(!weft_db::bridges::active_into(conn, via.id)?.is_empty())
}

/// A thread community `via` announced, `hops` bridges from its origin community
/// `origin` (`None`: `via` is its origin). From its origin it is taken as any announced
/// post; passed on, it is stored under its origin only when a community here is bridged
/// to `via`. Either way it is then carried through the bridges from `via`.
#[allow(clippy::too_many_arguments)]
pub fn receive_post(
    conn: &mut AnyConnection,
    urls: &Urls,
    via: &ActorRow,
    origin: Option<&ActorRow>,
    author: &ActorRow,
    object: &PostObject,
    hops: i32,
) -> CoreResult<Received> {
    let Some(origin) = origin.filter(|o| o.id != via.id) else {
        let received = crate::posts::receive_announced(conn, urls, via, author, object)?;
        return after_received(conn, urls, via, received, hops);
    };
    crate::posts::check_authorship(object, author)?;
    if let Some(existing) = weft_db::items::by_ap_id(conn, object.id.as_str())? {
        return after_received(conn, urls, via, Received::Known(existing), hops);
    }
    if let Some(why) = not_passed_on(
        conn,
        urls,
        via,
        origin,
        object,
        object.in_reply_to.is_some(),
    )? {
        return Ok(Received::Ignored(why));
    }
    let item = crate::posts::store_remote(conn, author, object, origin, None)?;
    after_received(conn, urls, via, Received::Stored(item), hops)
}

/// An event community `via` announced, as [`receive_post`].
#[allow(clippy::too_many_arguments)]
pub fn receive_event(
    conn: &mut AnyConnection,
    urls: &Urls,
    via: &ActorRow,
    origin: Option<&ActorRow>,
    author: &ActorRow,
    object: &EventObject,
    hops: i32,
) -> CoreResult<Received> {
    let Some(origin) = origin.filter(|o| o.id != via.id) else {
        let received = crate::events::received::receive_announced_event(conn, via, author, object)?;
        return after_received(conn, urls, via, received, hops);
    };
    crate::posts::check_event_authorship(object, author)?;
    if let Some(existing) = weft_db::items::by_ap_id(conn, object.id.as_str())? {
        return after_received(conn, urls, via, Received::Known(existing), hops);
    }
    if !bridged_from(conn, via)? {
        return Ok(Received::Ignored(format!(
            "no community here is bridged to {}",
            via.ap_id
        )));
    }
    if !object
        .addresses()
        .any(|a| weft_protocol::same_id(a, &origin.ap_id))
    {
        return Ok(Received::Ignored(format!(
            "{} is not an event of {}",
            object.id, origin.ap_id
        )));
    }
    let item = crate::events::received::store_remote_event(conn, origin, author, object)?;
    after_received(conn, urls, via, Received::Stored(item), hops)
}

/// Why a post passed on by `via` from `origin` is not taken, if it is not: no community
/// here is bridged to `via`, it is a reply (replies travel with their thread, to its
/// origin), or it is not a post of `origin`.
fn not_passed_on(
    conn: &mut AnyConnection,
    urls: &Urls,
    via: &ActorRow,
    origin: &ActorRow,
    object: &PostObject,
    is_reply: bool,
) -> CoreResult<Option<String>> {
    if !bridged_from(conn, via)? {
        return Ok(Some(format!(
            "no community here is bridged to {}",
            via.ap_id
        )));
    }
    if is_reply {
        return Ok(Some(format!(
            "{} passed on a reply: replies travel with their thread",
            via.ap_id
        )));
    }
    let belongs = crate::posts::community_for(conn, urls, object, None)?;
    if belongs.as_ref().map(|c| c.id) != Some(origin.id) {
        return Ok(Some(format!(
            "{} is not a post of {}",
            object.id, origin.ap_id
        )));
    }
    Ok(None)
}

/// A remote community `via` passed on an item of this instance (`item_ap_id`): carried
/// through the bridges from `via` (never back into its origin).
pub fn receive_own_passed_on(
    conn: &mut AnyConnection,
    urls: &Urls,
    via: &ActorRow,
    item_ap_id: &str,
    hops: i32,
) -> CoreResult<Received> {
    let Some(item) = weft_db::items::by_ap_id(conn, item_ap_id)?.filter(|i| i.is_local) else {
        return Ok(Received::Ignored(format!("{item_ap_id} is not known here")));
    };
    after_received(conn, urls, via, Received::Known(item), hops)
}

/// A local community's new item (created in it here): carried through the bridges from
/// it, as if announced (0 hops).
pub fn created_here(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    item_ap_id: &str,
) -> CoreResult<()> {
    if let Some(item) = weft_db::items::by_ap_id(conn, item_ap_id)? {
        carry(conn, urls, community, &item, 0)?;
    }
    Ok(())
}

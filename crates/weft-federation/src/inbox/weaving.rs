//! Weaving, received: a community's `Announce` of an item woven into it (one that names
//! its weaver, `weft:wovenBy`), and its `Undo`. An item of a community here is recorded
//! as travelled there; an item woven into a community followed from here is placed in
//! this instance's copy of it, as woven.

use super::{Outcome, content::acted};
use crate::{Ctx, FedError, fetch_actor, fetch_as};
use serde_json::Value;
use url::Url;
use weft_core::constellation::weaving::{self, Fetched, FetchedObject, Item};
use weft_db::models::ActorRow;
use weft_protocol::weaving::WovenAnnounce;
use weft_protocol::{Envelope, POST_TYPES, PUBLIC, is_public_iri};

/// The `Announce` as a weave, if it is one (it names its weaver). Read from the body as
/// received: the envelope keeps no extension properties.
pub fn woven(activity: &Envelope, body: &[u8]) -> Option<WovenAnnounce> {
    if activity.kind != "Announce" {
        return None;
    }
    const MARK: &[u8] = b"weft:wovenBy";
    if !body.windows(MARK.len()).any(|w| w == MARK) {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    WovenAnnounce::from_value(&value)
}

/// An `Undo` of an `Announce` (a weave undone, perhaps).
pub fn is_undo_of_announce(activity: &Envelope) -> bool {
    activity.kind == "Undo" && activity.object_kind() == Some("Announce")
}

/// A community's `Announce` of an item woven into it.
pub async fn announce(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
    woven: WovenAnnounce,
) -> Result<Outcome, FedError> {
    if !group.is_group() {
        return Ok(Outcome::Ignored("only a community weaves".into()));
    }
    let object_id = activity
        .object_id()
        .ok_or_else(|| FedError::bad_request("Announce has no object"))?;
    // The weaver is a person of the weaving community's instance: nothing else is fetched.
    let group_host = weft_core::urls::host_port(&Url::parse(&group.ap_id).expect("stored"));
    let weaver = match &woven.woven_by {
        Some(id) if weft_core::urls::host_port(id) == group_host => fetch_actor(id, ctx).await.ok(),
        _ => None,
    };
    if ctx.urls.is_local(object_id.as_str()) {
        let group = group.clone();
        return acted(ctx, activity, move |c| {
            weaving::receive_woven_out(c, &group, &woven, object_id.as_str(), weaver.as_ref())
        })
        .await;
    }
    let followed = {
        let group = group.clone();
        ctx.db
            .read(move |c| weft_core::rules::not_taken_from(c, &group))
            .await?
    };
    if let Some(reason) = followed {
        return Ok(Outcome::Ignored(reason));
    }
    let known = {
        let id = object_id.to_string();
        ctx.db
            .read(move |c| weft_db::items::by_ap_id(c, &id))
            .await?
    };
    let item = match known {
        Some(item) => Item::Known(Box::new(item)),
        None => match fetched(ctx, &object_id).await? {
            Some(fetched) => Item::Fetched(Box::new(fetched)),
            None => {
                return Ok(Outcome::Ignored(format!(
                    "{object_id} is not a post or event of a community"
                )));
            }
        },
    };
    let group = group.clone();
    let note = woven.weave_note.clone();
    let urls = ctx.urls.clone();
    acted(ctx, activity, move |c| {
        let received =
            weaving::receive_woven_in(c, &group, item, weaver.as_ref(), note.as_deref())?;
        // Communities here bridged to the weaving community take it through the bridge.
        weft_core::constellation::bridges::after_received(c, &urls, &group, received, 0)
    })
    .await
}

/// A community's `Undo` of its `Announce` of a woven item.
pub async fn undo(ctx: &Ctx, group: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    let announce_id = weft_protocol::ids_of(Some(&activity.object))
        .into_iter()
        .next()
        .ok_or_else(|| FedError::bad_request("the undone Announce has no id"))?;
    let item_id = weft_protocol::ids_of(activity.object.get("object"))
        .into_iter()
        .next()
        .unwrap_or_default();
    let group = group.clone();
    acted(ctx, activity, move |c| {
        weaving::receive_unwoven(c, &group, &announce_id, &item_id)
    })
    .await
}

/// Fetches the woven item from its own server, with its author and community; `None`
/// when it is not a post or event, or belongs to no community.
pub async fn fetched(ctx: &Ctx, id: &Url) -> Result<Option<Fetched>, FedError> {
    let mut served: Value = fetch_as(id, ctx).await?;
    // Embedded in an Announce, the object goes without its own context.
    if let Some(map) = served.as_object_mut() {
        map.remove("@context");
    }
    let kind = served.get("type").and_then(Value::as_str).unwrap_or("");
    let object = if kind == "Event" {
        FetchedObject::Event(Box::new(
            serde_json::from_value(served.clone())
                .map_err(|e| FedError::bad_request(format!("the woven event: {e}")))?,
        ))
    } else if POST_TYPES.contains(&kind) {
        FetchedObject::Post(Box::new(
            serde_json::from_value(served.clone())
                .map_err(|e| FedError::bad_request(format!("the woven post: {e}")))?,
        ))
    } else {
        return Ok(None);
    };
    let (author_id, candidates) = match &object {
        FetchedObject::Post(p) => (p.attributed_to.clone(), addresses(&p.addressing)),
        FetchedObject::Event(e) => (e.attributed_to.clone(), addresses(&e.addressing)),
    };
    let author_id =
        author_id.ok_or_else(|| FedError::bad_request(format!("{id} has no attributedTo")))?;
    let author = fetch_actor(&author_id, ctx).await?;
    let mut community = None;
    for candidate in candidates {
        if let Ok(actor) = fetch_actor(&candidate, ctx).await
            && actor.is_group()
        {
            community = Some(actor);
            break;
        }
    }
    let Some(community) = community else {
        return Ok(None);
    };
    Ok(Some(Fetched {
        object,
        served,
        author,
        community,
    }))
}

/// The addresses that may name an object's community: its `audience` first, then `to`
/// and `cc` (without Public).
fn addresses(addressing: &weft_protocol::Addressing) -> Vec<Url> {
    addressing
        .audience
        .iter()
        .cloned()
        .chain(
            addressing
                .to
                .iter()
                .chain(addressing.cc.iter())
                .filter(|a| !is_public_iri(a) && a.as_str() != PUBLIC)
                .filter_map(|a| Url::parse(a).ok()),
        )
        .collect()
}

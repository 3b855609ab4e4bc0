//! Create, Update, Delete of posts, and a community's Announce of them (and of events,
//! handed to `events`, and resources, handed to `resources`).

use super::{Outcome, bridges, events, once, resources};
use crate::{Ctx, FedError, fetch_actor, fetch_object};
use serde_json::Value;
use url::Url;
use weft_core::posts::Received;
use weft_core::urls::host_port;
use weft_db::models::ActorRow;
use weft_protocol::{Envelope, POST_TYPES, PostObject};

/// Runs a post service once for this activity (see `once`) and says what it did.
pub(super) async fn acted<F>(ctx: &Ctx, activity: &Envelope, f: F) -> Result<Outcome, FedError>
where
    F: FnOnce(&mut weft_db::AnyConnection) -> Result<Received, weft_core::CoreError>
        + Send
        + 'static,
{
    Ok(answer(once(ctx, activity, f).await?, activity))
}

/// What a post service did with the activity; `None` when it had been received before.
fn answer(received: Option<Received>, activity: &Envelope) -> Outcome {
    match received {
        Some(received) => outcome(received),
        None => Outcome::repeat(activity),
    }
}

fn outcome(received: Received) -> Outcome {
    match received {
        Received::Stored(item) => Outcome::Done(format!("stored {}", item.ap_id)),
        Received::Known(item) => Outcome::Ignored(format!("{} is already here", item.ap_id)),
        Received::Ignored(why) => Outcome::Ignored(why),
    }
}

/// The post an activity carries: embedded, or fetched when only its id is given.
async fn post_of(ctx: &Ctx, activity: &Envelope) -> Result<Option<PostObject>, FedError> {
    match &activity.object {
        Value::String(id) => {
            let id =
                Url::parse(id).map_err(|e| FedError::bad_request(format!("object id: {e}")))?;
            Ok(Some(fetch_object(&id, ctx).await?))
        }
        Value::Object(_) => {
            if !activity
                .object_kind()
                .is_some_and(|k| POST_TYPES.contains(&k))
            {
                return Ok(None);
            }
            serde_json::from_value(activity.object.clone())
                .map(Some)
                .map_err(|e| FedError::bad_request(format!("the {} object: {e}", activity.kind)))
        }
        _ => Err(FedError::bad_request("object must be an object or an id")),
    }
}

pub async fn create(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    if resources::is_resource(&activity.object) {
        return resources::member_change(ctx, actor, activity).await;
    }
    if let Some(item_id) = events::vote_target(ctx, activity) {
        return events::vote(ctx, actor, activity, item_id).await;
    }
    if activity.object.get("rsvpFor").is_some() {
        return events::poll(ctx, actor, activity).await;
    }
    if activity.object_kind() == Some("Event") {
        return Ok(Outcome::Ignored(
            "Weft takes events from the community they belong to (its Announce); \
             a community's events are scheduled by its leads on its own instance"
                .into(),
        ));
    }
    let Some(object) = post_of(ctx, activity).await? else {
        return Ok(Outcome::Ignored(format!(
            "Weft does not store {:?} objects",
            activity.object_kind()
        )));
    };
    let create = weft_core::received::IncomingCreate {
        create_id: activity.id.clone(),
        author: actor.clone(),
        object,
    };
    let kept = (create.create_id.clone(), create.object.clone());
    match ctx.creates.receive(create).await? {
        Ok(received) => Ok(answer(received, activity)),
        Err(refused) => {
            let create = weft_core::received::IncomingCreate {
                create_id: kept.0,
                author: actor.clone(),
                object: kept.1,
            };
            let urls = ctx.urls.clone();
            // A refusal by a community's rule is also told to the author, as a Reject.
            let sent = ctx
                .db
                .write(move |c| weft_core::refusals::reject_refused_create(c, &urls, &create))
                .await;
            match sent {
                Ok(Some(_)) => ctx.delivery.wake(),
                Ok(None) => {}
                Err(e) => tracing::warn!("cannot send the Reject of {}: {e}", activity.id),
            }
            Err(refused.into())
        }
    }
}

/// The local post a `Reject` refuses (its `Create`, embedded or by id, or the post's
/// id), if that is what it is about; `None` for a Reject of a follow or an RSVP.
pub async fn rejected_post(
    ctx: &Ctx,
    activity: &Envelope,
) -> Result<Option<weft_db::models::ItemRow>, FedError> {
    if activity.kind != "Reject" {
        return Ok(None);
    }
    let mut ids = weft_protocol::ids_of(Some(&activity.object));
    if activity.object_kind() == Some("Create") {
        ids.extend(weft_protocol::ids_of(activity.object.get("object")));
    } else if activity.object_kind().is_some() {
        return Ok(None);
    }
    Ok(ctx
        .db
        .read(move |c| weft_core::refusals::rejected_post(c, &ids))
        .await?)
}

/// A remote community's `Reject` of a local member's post: its reason is `summary` (or
/// `content`) of the Reject, read from the body as received.
pub async fn reject(
    ctx: &Ctx,
    community: &ActorRow,
    activity: &Envelope,
    item: weft_db::models::ItemRow,
    body: &[u8],
) -> Result<Outcome, FedError> {
    #[derive(serde::Deserialize)]
    struct Reason {
        summary: Option<Value>,
        content: Option<Value>,
    }
    let reason = serde_json::from_slice::<Reason>(body).ok().and_then(|r| {
        [r.summary, r.content]
            .into_iter()
            .flatten()
            .find_map(|v| v.as_str().map(str::to_string))
    });
    let community = community.clone();
    acted(ctx, activity, move |c| {
        weft_core::refusals::receive_reject(c, &community, &item, reason.as_deref())
    })
    .await
}

pub async fn update(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    if let Some(kind) = activity.object_kind()
        && matches!(
            kind,
            "Person" | "Group" | "Service" | "Application" | "Organization"
        )
    {
        if activity.object_id().as_ref().map(Url::as_str) != Some(actor.ap_id.as_str()) {
            return Err(FedError::forbidden("an actor may only update itself"));
        }
        let id = Url::parse(&actor.ap_id).expect("stored");
        if kind == "Group" {
            return crate::actor::receive_group_update(ctx, &id, activity).await;
        }
        let fresh = crate::refetch_actor(&id, ctx).await?;
        ctx.keys.remember(&fresh);
        return Ok(Outcome::Done(format!("refreshed {}", actor.ap_id)));
    }
    if activity.object.get("rsvpFor").is_some() {
        return events::poll(ctx, actor, activity).await;
    }
    if resources::is_resource(&activity.object) {
        return resources::member_change(ctx, actor, activity).await;
    }
    if activity.object_kind() == Some("Event") {
        let event: weft_protocol::EventObject = serde_json::from_value(activity.object.clone())
            .map_err(|e| FedError::bad_request(format!("the updated event: {e}")))?;
        let author = actor.clone();
        return acted(ctx, activity, move |c| {
            weft_core::events::received::receive_event_update(c, &author, &event)
        })
        .await;
    }
    let Some(object) = post_of(ctx, activity).await? else {
        return Ok(Outcome::Ignored(
            "Update of an object Weft does not store".into(),
        ));
    };
    let (urls, author, id) = (ctx.urls.clone(), actor.clone(), activity.id.clone());
    acted(ctx, activity, move |c| {
        weft_core::posts::receive_update(c, &urls, &author, &id, &object)
    })
    .await
}

pub async fn delete(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    let object_id = activity
        .object_id()
        .ok_or_else(|| FedError::bad_request("Delete has no object id"))?;
    if object_id.as_str() == actor.ap_id {
        return Ok(Outcome::Ignored(
            "account deletions are not acted on yet".into(),
        ));
    }
    let (urls, by, id) = (ctx.urls.clone(), actor.clone(), activity.id.clone());
    acted(ctx, activity, move |c| {
        weft_core::posts::receive_delete(c, &urls, &by, &id, object_id.as_str())
    })
    .await
}

/// A community's `Announce`. Content it carries is trusted only when it is on the
/// community's own host; anything else is fetched from its origin first. A `Delete` is
/// taken from the community for posts in that community: the community is the authority
/// on what it holds (FEP-1b12), which also covers a Lemmy moderator's removal.
pub async fn announce(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
) -> Result<Outcome, FedError> {
    if !group.is_group() {
        return Ok(Outcome::Ignored(
            "boosts by people are not acted on yet".into(),
        ));
    }
    let group_host = host_port(&Url::parse(&group.ap_id).expect("stored"));
    let inner = &activity.object;
    let inner_kind = activity.object_kind().unwrap_or("");
    if resources::is_resource(inner) {
        return resources::announced(ctx, group, activity, inner).await;
    }
    if inner_kind == "Event" {
        let trusted = activity.object_id().and_then(|id| host_port(&id)) == group_host;
        let event = events::announced_event(ctx, inner, trusted).await?;
        return events::store_announced(ctx, group, activity, event, false).await;
    }
    if inner.is_string() || POST_TYPES.contains(&inner_kind) {
        let id = activity
            .object_id()
            .ok_or_else(|| FedError::bad_request("Announce has no object"))?;
        if ctx.urls.is_local(id.as_str()) {
            return own_post_announced(ctx, group, activity, id).await;
        }
        let value: Value = if inner.is_object() && host_port(&id) == group_host {
            inner.clone()
        } else {
            crate::fetch_as(&id, ctx).await?
        };
        if value.get("type").and_then(Value::as_str) == Some("Event") {
            let event = events::announced_event(ctx, &value, true).await?;
            return events::store_announced(ctx, group, activity, event, false).await;
        }
        let object = serde_json::from_value(value)
            .map_err(|e| FedError::bad_request(format!("announced object: {e}")))?;
        return store_announced(ctx, group, activity, object).await;
    }
    let inner: Envelope = serde_json::from_value(inner.clone())
        .map_err(|e| FedError::bad_request(format!("the announced activity: {e}")))?;
    let object_id = inner
        .object_id()
        .ok_or_else(|| FedError::bad_request("announced activity has no object"))?;
    match inner.kind.as_str() {
        "Create" | "Update" if resources::is_resource(&inner.object) => {
            resources::announced(ctx, group, activity, &inner.object).await
        }
        "Create" | "Update" if inner.object_kind() == Some("Event") => {
            let trusted =
                host_port(&object_id) == group_host && host_port(&inner.actor) == group_host;
            let event = events::announced_event(ctx, &inner.object, trusted).await?;
            events::store_announced(ctx, group, activity, event, inner.kind == "Update").await
        }
        "Create" if ctx.urls.is_local(object_id.as_str()) => {
            own_post_announced(ctx, group, activity, object_id).await
        }
        "Update" if ctx.urls.is_local(object_id.as_str()) => Ok(Outcome::Ignored(
            "the community passed on an edit made here".into(),
        )),
        "Create" | "Update" => {
            let trusted =
                host_port(&object_id) == group_host && host_port(&inner.actor) == group_host;
            let object: PostObject = if trusted && inner.object.is_object() {
                serde_json::from_value(inner.object.clone())
                    .map_err(|e| FedError::bad_request(format!("announced object: {e}")))?
            } else {
                fetch_object(&object_id, ctx).await?
            };
            if inner.kind == "Create" {
                return store_announced(ctx, group, activity, object).await;
            }
            let author = fetch_actor(&inner.actor, ctx).await?;
            let (urls, id) = (ctx.urls.clone(), inner.id.clone());
            acted(ctx, activity, move |c| {
                weft_core::posts::receive_update(c, &urls, &author, &id, &object)
            })
            .await
        }
        "Delete" => {
            let group = group.clone();
            acted(ctx, activity, move |c| {
                weft_core::posts::receive_community_delete(c, &group, object_id.as_str())
            })
            .await
        }
        other => Ok(Outcome::Ignored(format!(
            "announced {other} needs no action"
        ))),
    }
}

/// A community announced a post of ours: nothing to fetch; a pending post is published.
async fn own_post_announced(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
    id: Url,
) -> Result<Outcome, FedError> {
    let (urls, group, hops) = (ctx.urls.clone(), group.clone(), bridges::hops_of(activity));
    acted(ctx, activity, move |c| {
        match weft_core::refusals::announced_own_post(c, &group, id.as_str())? {
            // Not the community's own: passed on through a bridge.
            weft_core::posts::Received::Ignored(_) => {
                weft_core::constellation::bridges::receive_own_passed_on(
                    c,
                    &urls,
                    &group,
                    id.as_str(),
                    hops,
                )
            }
            received => Ok(received),
        }
    })
    .await
}

async fn store_announced(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
    object: PostObject,
) -> Result<Outcome, FedError> {
    let author_id = object
        .attributed_to
        .clone()
        .ok_or_else(|| FedError::bad_request("the announced post has no author"))?;
    let author = fetch_actor(&author_id, ctx).await?;
    let origin = bridges::origin_of(ctx, group, &object.addressing).await?;
    let (urls, group, hops) = (ctx.urls.clone(), group.clone(), bridges::hops_of(activity));
    acted(ctx, activity, move |c| {
        weft_core::constellation::bridges::receive_post(
            c,
            &urls,
            &group,
            origin.as_ref(),
            &author,
            &object,
            hops,
        )
    })
    .await
}

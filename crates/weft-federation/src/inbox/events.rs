//! Events: RSVPs (`Join`, `TentativeAccept`, `Leave`, a Mastodon poll vote), a
//! community's `Accept`/`Reject` of a member's `Join`, announced events, and the RSVP
//! polls that carry a remote event's counts.

use super::{Outcome, once};
use crate::{Ctx, FedError, fetch_actor};
use serde_json::Value;
use url::Url;
use weft_core::events::received::RsvpOutcome;
use weft_db::models::ActorRow;
use weft_protocol::{Envelope, EventObject, PostObject, QuestionObject};

fn outcome(result: Option<RsvpOutcome>, activity: &Envelope) -> Outcome {
    match result {
        None => Outcome::repeat(activity),
        Some(RsvpOutcome::Recorded(d)) => Outcome::Done(d),
        Some(RsvpOutcome::Refused(why)) => Outcome::Done(format!("refused: {why}")),
        Some(RsvpOutcome::Ignored(why)) => Outcome::Ignored(why),
    }
}

/// `Join` (going), `TentativeAccept` (maybe) or `Leave` (can't go) of an event here.
/// Of anything else (a group, an invitation) it needs no action.
pub async fn rsvp(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    if activity.object_kind().is_some_and(|k| k != "Event") {
        return Ok(Outcome::Ignored(format!(
            "{} of a {} needs no action",
            activity.kind,
            activity.object_kind().unwrap_or("?")
        )));
    }
    let event_id = activity
        .object_id()
        .ok_or_else(|| FedError::bad_request(format!("{} has no object id", activity.kind)))?;
    let (urls, person, act) = (ctx.urls.clone(), actor.clone(), activity.clone());
    let result = once(ctx, activity, move |c| {
        weft_core::events::received::receive_rsvp(c, &urls, &person, &act, event_id.as_str())
    })
    .await?;
    Ok(outcome(result, activity))
}

/// Is this `Accept`/`Reject` the answer to a `Join`? The object is the embedded `Join`,
/// or the id of one a member here sent.
pub async fn answers_join(ctx: &Ctx, activity: &Envelope) -> Result<bool, FedError> {
    Ok(match activity.object_kind() {
        Some(kind) => kind == "Join",
        None => match activity.object_id() {
            Some(id) => {
                let id = id.to_string();
                ctx.db
                    .read(move |c| weft_db::events::rsvp_by_activity(c, &id))
                    .await?
                    .is_some()
            }
            None => false,
        },
    })
}

/// A remote community's `Accept` or `Reject` of a member's `Join`.
pub async fn join_answer(
    ctx: &Ctx,
    community: &ActorRow,
    activity: &Envelope,
) -> Result<Outcome, FedError> {
    let join_id = activity
        .object_id()
        .ok_or_else(|| FedError::bad_request("the answer names no Join"))?;
    let accepted = activity.kind == "Accept";
    let community = community.clone();
    let result = once(ctx, activity, move |c| {
        weft_core::events::received::receive_join_answer(c, &community, join_id.as_str(), accepted)
    })
    .await?;
    Ok(outcome(result, activity))
}

/// The local RSVP poll a `Create(Note)` votes on, if it is a Mastodon vote: a `Note` with
/// a `name` (the option) and no text, in reply to one of this instance's polls.
pub fn vote_target(ctx: &Ctx, activity: &Envelope) -> Option<i64> {
    let object = activity.object.as_object()?;
    if object.get("type").and_then(Value::as_str) != Some("Note")
        || object.get("name").and_then(Value::as_str).is_none()
    {
        return None;
    }
    let parent = weft_protocol::ids_of(object.get("inReplyTo"))
        .into_iter()
        .next()?;
    ctx.urls.rsvp_poll_item(&parent)
}

/// A Mastodon user's vote on an event's RSVP poll.
pub async fn vote(
    ctx: &Ctx,
    voter: &ActorRow,
    activity: &Envelope,
    item_id: i64,
) -> Result<Outcome, FedError> {
    let vote: PostObject = serde_json::from_value(activity.object.clone())
        .map_err(|e| FedError::bad_request(format!("the vote: {e}")))?;
    let attributed = vote.attributed_to.as_ref().map(Url::as_str);
    if attributed != Some(voter.ap_id.as_str()) {
        return Err(FedError::forbidden(
            "a vote must be attributed to its sender",
        ));
    }
    if weft_core::urls::host_port(&vote.id).as_deref() != Some(voter.domain.as_str()) {
        return Err(FedError::forbidden(
            "a vote must live on its sender's instance",
        ));
    }
    let option = vote.name.clone().unwrap_or_default();
    let voter = voter.clone();
    let result = once(ctx, activity, move |c| {
        weft_core::events::received::receive_vote(c, &voter, item_id, &vote.id, &option)
    })
    .await?;
    Ok(outcome(result, activity))
}

/// The `Event` an announced activity carries: embedded (trusted on the community's own
/// host, as for posts) or fetched from its origin.
pub async fn announced_event(
    ctx: &Ctx,
    object: &Value,
    trusted: bool,
) -> Result<EventObject, FedError> {
    if trusted && object.is_object() {
        return serde_json::from_value(object.clone())
            .map_err(|e| FedError::bad_request(format!("the announced event: {e}")));
    }
    let id = weft_protocol::ids_of(Some(object))
        .into_iter()
        .next()
        .and_then(|s| Url::parse(&s).ok())
        .ok_or_else(|| FedError::bad_request("the announced event has no id"))?;
    crate::fetch_as(&id, ctx).await
}

/// Stores (`update` false) or updates an event a followed community announced.
pub async fn store_announced(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
    event: EventObject,
    update: bool,
) -> Result<Outcome, FedError> {
    let author_id = event
        .attributed_to
        .clone()
        .ok_or_else(|| FedError::bad_request("the announced event has no organiser"))?;
    let author = fetch_actor(&author_id, ctx).await?;
    let origin = match update {
        true => None,
        false => super::bridges::origin_of(ctx, group, &event.addressing).await?,
    };
    let (urls, group) = (ctx.urls.clone(), group.clone());
    let hops = super::bridges::hops_of(activity);
    super::content::acted(ctx, activity, move |c| {
        if update {
            weft_core::events::received::receive_event_update(c, &author, &event)
        } else {
            weft_core::constellation::bridges::receive_event(
                c,
                &urls,
                &group,
                origin.as_ref(),
                &author,
                &event,
                hops,
            )
        }
    })
    .await
}

/// A `Create`/`Update` of a Weft community's RSVP poll (a `Question` with `rsvpFor`): the
/// counts its event has on the hosting instance.
pub async fn poll(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    let poll: QuestionObject = serde_json::from_value(activity.object.clone())
        .map_err(|e| FedError::bad_request(format!("the RSVP poll: {e}")))?;
    let community = actor.clone();
    let result = once(ctx, activity, move |c| {
        weft_core::events::received::receive_poll(c, &community, &poll)
    })
    .await?;
    Ok(outcome(result, activity))
}

//! Follow, Undo(Follow), Accept and Reject.

use super::{Outcome, once};
use crate::{Ctx, FedError};
use weft_db::models::ActorRow;
use weft_protocol::{Envelope, Follow};

async fn local_actor(ctx: &Ctx, id: &url::Url) -> Result<ActorRow, FedError> {
    let key = id.to_string();
    ctx.db
        .read(move |c| weft_db::actors::by_ap_id(c, &key))
        .await?
        .filter(|a| a.is_local)
        .ok_or_else(|| FedError::not_found(format!("{id} is not an actor of this instance")))
}

pub async fn follow(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    let follow: Follow = activity.parse_as().map_err(FedError::bad_request)?;
    let target = local_actor(ctx, &follow.object).await?;
    let (urls, follower, target2) = (ctx.urls.clone(), actor.clone(), target.clone());
    // The service decides by the community's join policy (membership::receive_follow):
    // Accept, a request that waits, or Reject(Follow). (Hook for the lifecycle: a Follow
    // of a *proposed* community counting as interest belongs in this closure.)
    if once(ctx, activity, move |c| {
        weft_core::following::receive_follow(c, &urls, &follower, &target2, &follow)
    })
    .await?
    .is_none()
    {
        return Ok(Outcome::repeat(activity));
    }
    Ok(Outcome::Done(format!(
        "{} follows {}",
        actor.ap_id, target.ap_id
    )))
}

pub async fn undo(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    match activity.object_kind() {
        Some("Follow") => {}
        Some(other) => return Ok(Outcome::Ignored(format!("Undo of {other} needs no action"))),
        None => {
            return Ok(Outcome::Ignored(
                "Undo of an activity by link is not acted on".into(),
            ));
        }
    }
    let undo: weft_protocol::UndoFollow = activity.parse_as().map_err(FedError::bad_request)?;
    weft_core::rules::may_undo_follow(undo.object.actor.as_str(), actor)?;
    let target = local_actor(ctx, &undo.object.object).await?;
    let (urls, follower, target2) = (ctx.urls.clone(), actor.clone(), target.clone());
    if once(ctx, activity, move |c| {
        weft_core::following::receive_undo_follow(c, &urls, &follower, &target2)
    })
    .await?
    .is_none()
    {
        return Ok(Outcome::repeat(activity));
    }
    Ok(Outcome::Done(format!(
        "{} no longer follows {}",
        actor.ap_id, target.ap_id
    )))
}

pub async fn answer(ctx: &Ctx, actor: &ActorRow, activity: &Envelope) -> Result<Outcome, FedError> {
    let accepted = activity.kind == "Accept";
    // The object is the embedded Follow, or its id (then found by the follow's activity id).
    let follower = match activity.object_kind() {
        Some("Follow") => {
            let answer: weft_protocol::AcceptFollow =
                activity.parse_as().map_err(FedError::bad_request)?;
            weft_core::rules::may_answer_follow(answer.object.object.as_str(), actor)?;
            local_actor(ctx, &answer.object.actor).await?
        }
        Some(other) => {
            return Ok(Outcome::Ignored(format!(
                "{} of {other} needs no action",
                activity.kind
            )));
        }
        None => {
            let follow_id = activity
                .object_id()
                .ok_or_else(|| FedError::bad_request("Accept has no object"))?
                .to_string();
            let found = ctx
                .db
                .read(move |c| weft_db::follows::by_activity(c, &follow_id))
                .await?
                .ok_or_else(|| FedError::not_found("no follow with that id awaits an answer"))?;
            let followed = ctx
                .db
                .read({
                    let id = found.target_id;
                    move |c| weft_db::actors::by_id(c, id)
                })
                .await?;
            weft_core::rules::may_answer_follow(&followed.ap_id, actor)?;
            let id = found.follower_id;
            ctx.db.read(move |c| weft_db::actors::by_id(c, id)).await?
        }
    };
    let (answering, follower2) = (actor.clone(), follower.clone());
    if once(ctx, activity, move |c| {
        weft_core::following::receive_follow_answer(c, &answering, &follower2, accepted)
    })
    .await?
    .is_none()
    {
        return Ok(Outcome::repeat(activity));
    }
    Ok(Outcome::Done(format!(
        "{} {} the follow of {}",
        actor.ap_id,
        if accepted { "accepted" } else { "rejected" },
        follower.ap_id
    )))
}

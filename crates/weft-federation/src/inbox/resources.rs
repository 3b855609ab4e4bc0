//! Resources (`Document`): a remote member's `Create`/`Update` sent to a community here
//! (refused by its rules with a `Reject`), and the versions a followed community
//! announces.

use super::content::acted;
use super::{Outcome, once};
use crate::{Ctx, FedError, fetch_actor};
use axum::http::StatusCode;
use serde_json::Value;
use url::Url;
use weft_core::posts::Received;
use weft_core::urls::host_port;
use weft_db::models::ActorRow;
use weft_protocol::{Envelope, ResourceObject};

/// Is this the object of a resource activity?
pub fn is_resource(object: &Value) -> bool {
    object.get("type").and_then(Value::as_str) == Some("Document")
}

fn parse(object: &Value) -> Result<ResourceObject, FedError> {
    serde_json::from_value(object.clone())
        .map_err(|e| FedError::bad_request(format!("the Document: {e}")))
}

/// A person's `Create` or `Update` of a resource, sent to a community here. A refusal by
/// one of the community's rules is also told to them, as a `Reject`.
pub async fn member_change(
    ctx: &Ctx,
    actor: &ActorRow,
    activity: &Envelope,
) -> Result<Outcome, FedError> {
    let object = parse(&activity.object)?;
    let (urls, person, id, verb) = (
        ctx.urls.clone(),
        actor.clone(),
        activity.id.clone(),
        activity.kind.clone(),
    );
    let kept = object.clone();
    let result = once(ctx, activity, move |c| {
        weft_core::resources::received::receive_member_change(
            c, &urls, &person, &id, &verb, &object,
        )
    })
    .await;
    match result {
        Ok(received) => Ok(answer(received, activity)),
        Err(refused) if refused.status == StatusCode::FORBIDDEN => {
            let (urls, person, id, verb) = (
                ctx.urls.clone(),
                actor.clone(),
                activity.id.clone(),
                activity.kind.clone(),
            );
            let reason = refused.message.clone();
            let sent = ctx
                .db
                .write(move |c| {
                    weft_core::resources::received::reject_change(
                        c, &urls, &person, &id, &verb, &kept, &reason,
                    )
                })
                .await;
            match sent {
                Ok(true) => ctx.delivery.wake(),
                Ok(false) => {}
                Err(e) => tracing::warn!("cannot send the Reject of {}: {e}", activity.id),
            }
            Err(refused)
        }
        Err(refused) => Err(refused),
    }
}

fn answer(received: Option<Received>, activity: &Envelope) -> Outcome {
    match received {
        None => Outcome::repeat(activity),
        Some(Received::Stored(item)) => Outcome::Done(format!("stored {}", item.ap_id)),
        Some(Received::Known(item)) => Outcome::Ignored(format!("{} says nothing new", item.ap_id)),
        Some(Received::Ignored(why)) => Outcome::Ignored(why),
    }
}

/// A version of a resource a community announced (`Create`/`Update` of a `Document`, or
/// the bare `Document`): taken as embedded when it is on the community's own host (the
/// community holds its library), else fetched from its origin.
pub async fn announced(
    ctx: &Ctx,
    group: &ActorRow,
    activity: &Envelope,
    object: &Value,
) -> Result<Outcome, FedError> {
    let group_host = host_port(&Url::parse(&group.ap_id).expect("stored"));
    let id = weft_protocol::ids_of(Some(object))
        .into_iter()
        .next()
        .and_then(|s| Url::parse(&s).ok())
        .ok_or_else(|| FedError::bad_request("the announced Document has no id"))?;
    let object: ResourceObject = if object.is_object() && host_port(&id) == group_host {
        parse(object)?
    } else {
        crate::fetch_as(&id, ctx).await?
    };
    let author_id = object
        .actor
        .clone()
        .ok_or_else(|| FedError::bad_request("the announced Document names no actor"))?;
    let author = fetch_actor(&author_id, ctx).await?;
    let editor = match &object.weft.edited_by {
        Some(e) if *e != author_id => fetch_actor(e, ctx).await?,
        _ => author.clone(),
    };
    let (urls, group) = (ctx.urls.clone(), group.clone());
    let hops = super::bridges::hops_of(activity);
    acted(ctx, activity, move |c| {
        let received = weft_core::resources::received::receive_announced(
            c, &group, &author, &editor, &object,
        )?;
        weft_core::constellation::bridges::after_received(c, &urls, &group, received, hops)
    })
    .await
}

//! The inbox: every POST to `/inbox`, `/u/{name}/inbox` or `/c/{name}/inbox` is verified
//! (`verify`), de-duplicated by activity id, and routed by verb to the services.

mod content;
mod following;
pub mod verify;

use crate::{Ctx, FedError};
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// Bodies larger than this are refused with 413 before they are read.
pub const MAX_BODY: usize = 256 * 1024;

/// What an accepted activity did, for the 202 body and the logs.
pub enum Outcome {
    Done(String),
    Ignored(String),
}

pub async fn receive(
    ctx: Ctx,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    match receive_inner(&ctx, method.as_str(), path, &headers, &body).await {
        Ok(outcome) => {
            let (kind, detail) = match outcome {
                Outcome::Done(d) => ("accepted", d),
                Outcome::Ignored(d) => ("ignored", d),
            };
            tracing::debug!("inbox {path}: {kind}: {detail}");
            (
                StatusCode::ACCEPTED,
                axum::Json(serde_json::json!({ "status": kind, "detail": detail })),
            )
                .into_response()
        }
        Err(e) => {
            tracing::info!("inbox {path}: refused: {e}");
            e.into_response()
        }
    }
}

async fn receive_inner(
    ctx: &Ctx,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Outcome, FedError> {
    let verified = verify::verify_request(ctx, method, path, headers, body).await?;
    let id = verified.activity.id.to_string();
    let actor_id = verified.actor.ap_id.clone();
    let (id2, actor2) = (id.clone(), actor_id.clone());
    let fresh = ctx
        .db
        .write(move |c| weft_db::outbox::mark_received(c, &id2, &actor2, weft_db::now()))
        .await?;
    if !fresh {
        return Ok(Outcome::Ignored(format!("{id} was received before")));
    }
    let result = dispatch(ctx, verified).await;
    match &result {
        // Only what was acted on counts as received: after a refusal or a failure the
        // same id may come again (corrected, or when the failure has passed).
        Err(_) => {
            let _ = ctx
                .db
                .write(move |c| weft_db::outbox::unmark_received(c, &id))
                .await;
        }
        Ok(_) => ctx.delivery.wake(),
    }
    result
}

async fn dispatch(ctx: &Ctx, verified: verify::Verified) -> Result<Outcome, FedError> {
    let verify::Verified { actor, activity } = verified;
    match activity.kind.as_str() {
        "Follow" => following::follow(ctx, &actor, &activity).await,
        "Undo" => following::undo(ctx, &actor, &activity).await,
        "Accept" | "Reject" => following::answer(ctx, &actor, &activity).await,
        "Create" => content::create(ctx, &actor, &activity).await,
        "Update" => content::update(ctx, &actor, &activity).await,
        "Delete" => content::delete(ctx, &actor, &activity).await,
        "Announce" => content::announce(ctx, &actor, &activity).await,
        other => Ok(Outcome::Ignored(format!(
            "Weft does not act on {other} yet"
        ))),
    }
}

//! The inbox: every POST to `/inbox`, `/u/{name}/inbox` or `/c/{name}/inbox` is verified
//! (`verify`), de-duplicated by activity id, and routed by verb to the services.

pub mod batch;
mod bridges;
mod content;
mod events;
mod following;
mod members;
mod resources;
pub mod verify;
pub mod weaving;

use crate::{Ctx, FedError};
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use weft_core::CoreError;
use weft_db::AnyConnection;
use weft_protocol::Envelope;

/// Bodies larger than this are refused with 413 before they are read.
pub const MAX_BODY: usize = 256 * 1024;

/// What an accepted activity did, for the 202 body and the logs.
pub enum Outcome {
    Done(String),
    Ignored(String),
}

impl Outcome {
    fn repeat(activity: &Envelope) -> Outcome {
        Outcome::Ignored(format!("{} was received before", activity.id))
    }
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
            ctx.meter.count(
                "weft_inbox_activities_total",
                &[("outcome", kind), ("reason", "")],
            );
            (
                StatusCode::ACCEPTED,
                axum::Json(serde_json::json!({ "status": kind, "detail": detail })),
            )
                .into_response()
        }
        Err(e) => {
            tracing::info!("inbox {path}: refused: {e}");
            ctx.meter.count(
                "weft_inbox_activities_total",
                &[("outcome", "refused"), ("reason", e.reason())],
            );
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
    // A replayed Announce would cost fetches before `once` (which is what guarantees
    // exactly-once) turns it away: look first. Other verbs carry what they need.
    if verified.activity.kind == "Announce" {
        let id = verified.activity.id.to_string();
        if ctx
            .db
            .read(move |c| weft_db::outbox::was_received(c, &id))
            .await?
        {
            return Ok(Outcome::repeat(&verified.activity));
        }
    }
    if let Some(item) = content::rejected_post(ctx, &verified.activity).await? {
        return content::reject(ctx, &verified.actor, &verified.activity, item, body).await;
    }
    let result = match weaving::woven(&verified.activity, body) {
        Some(woven) => weaving::announce(ctx, &verified.actor, &verified.activity, woven).await,
        None => dispatch(ctx, verified).await,
    };
    if result.is_ok() {
        ctx.delivery.wake();
    }
    result
}

/// Runs a service in one transaction with recording the activity's id (on SQLite grouped
/// with other inbox writes, see `Db::write_grouped`): what is acted on is recorded in the
/// same commit, a repeat (even a concurrent one) does nothing and
/// yields `None`, and a refusal or failure records nothing, so a corrected or retried
/// delivery is processed.
pub(crate) async fn once<T, F>(ctx: &Ctx, activity: &Envelope, f: F) -> Result<Option<T>, FedError>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, CoreError> + Send + 'static,
{
    let (id, actor) = (activity.id.to_string(), activity.actor.to_string());
    Ok(ctx
        .db
        .write_grouped(move |c| -> Result<Option<T>, CoreError> {
            if !weft_db::outbox::mark_received(c, &id, &actor, weft_db::now())? {
                return Ok(None);
            }
            f(c).map(Some)
        })
        .await?)
}

async fn dispatch(ctx: &Ctx, verified: verify::Verified) -> Result<Outcome, FedError> {
    let verify::Verified { actor, activity } = verified;
    match activity.kind.as_str() {
        _ if crate::directory::is_member_change(&actor, &activity) => {
            crate::directory::receive_member_change(ctx, &actor, &activity).await
        }
        _ if members::is_role_change(&activity) => members::receive(ctx, &actor, &activity).await,
        "Follow" => following::follow(ctx, &actor, &activity).await,
        "Undo" if weaving::is_undo_of_announce(&activity) => {
            weaving::undo(ctx, &actor, &activity).await
        }
        "Undo" => following::undo(ctx, &actor, &activity).await,
        "Accept" | "Reject" if events::answers_join(ctx, &activity).await? => {
            events::join_answer(ctx, &actor, &activity).await
        }
        "Accept" | "Reject" => following::answer(ctx, &actor, &activity).await,
        "Join" | "TentativeAccept" | "Leave" => events::rsvp(ctx, &actor, &activity).await,
        "Create" => content::create(ctx, &actor, &activity).await,
        "Update" => content::update(ctx, &actor, &activity).await,
        "Delete" => content::delete(ctx, &actor, &activity).await,
        "Announce" => content::announce(ctx, &actor, &activity).await,
        other => Ok(Outcome::Ignored(format!(
            "Weft does not act on {other} yet"
        ))),
    }
}

//! `/api/v1` routes for events: scheduling, listing, RSVPs, cancelling.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::views::{EventView, NewEventRequest, RsvpRequest};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use weft_core::events::EventFields;
use weft_federation::{Ctx, resolve_actor};

pub fn router() -> Router {
    Router::new()
        .route(
            "/api/v1/communities/{handle}/events",
            get(upcoming).post(schedule),
        )
        .route("/api/v1/events/{id}", get(event).put(edit))
        .route("/api/v1/events/{id}/rsvp", post(rsvp))
        .route("/api/v1/events/{id}/cancel", post(cancel))
}

async fn schedule(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<NewEventRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<EventView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = resolve_actor(&handle, &ctx).await?;
    let urls = ctx.urls.clone();
    let details = ctx
        .db
        .write(move |c| weft_core::events::schedule(c, &urls, &me, &community, fields(&body)))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((StatusCode::CREATED, Json(EventView::from_details(&details))))
}

/// The request as the service's fields.
fn fields(body: &NewEventRequest) -> EventFields<'_> {
    let place = body.place.as_ref();
    EventFields {
        title: &body.title,
        description: &body.description,
        starts_at: body.starts_at,
        ends_at: body.ends_at,
        timezone: body.timezone.as_deref(),
        online_url: body.online_url.as_deref(),
        place_name: place.and_then(|p| p.name.as_deref()),
        place_address: place.and_then(|p| p.address.as_deref()),
        capacity: body.capacity,
    }
}

/// Replaces what an event says (the same body as scheduling it).
async fn edit(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<NewEventRequest>, JsonRejection>,
) -> Result<Json<EventView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let details = ctx
        .db
        .write(move |c| weft_core::events::edit(c, &urls, &me, id, fields(&body)))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(EventView::from_details(&details)))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
}

/// A community's events that are not over, soonest first (local, or followed remote).
async fn upcoming(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let limit = weft_federation::paging::limit(q.limit.as_deref(), 20, 100)?;
    let community = resolve_actor(&handle, &ctx).await?;
    let list = ctx
        .db
        .read(move |c| weft_core::events::upcoming(c, &community, &me, limit))
        .await
        .map_err(core)?;
    Ok(Json(list.iter().map(EventView::from_details).collect()))
}

async fn event(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<Json<EventView>, ApiError> {
    let details = ctx
        .db
        .read(move |c| -> Result<_, weft_core::CoreError> {
            let item = weft_db::items::by_id(c, id)?
                .ok_or_else(|| weft_core::CoreError::NotFound(format!("no event {id}")))?;
            weft_core::events::details(c, item, Some(&me))
        })
        .await
        .map_err(core)?;
    Ok(Json(EventView::from_details(&details)))
}

async fn rsvp(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<RsvpRequest>, JsonRejection>,
) -> Result<Json<EventView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let details = ctx
        .db
        .write(move |c| weft_core::events::rsvp(c, &urls, &me, id, body.answer.trim()))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(EventView::from_details(&details)))
}

async fn cancel(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<Json<EventView>, ApiError> {
    let urls = ctx.urls.clone();
    let details = ctx
        .db
        .write(move |c| weft_core::events::cancel(c, &urls, &me, id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(EventView::from_details(&details)))
}

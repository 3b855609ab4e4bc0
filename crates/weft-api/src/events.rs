//! `/api/v1` routes for events: scheduling, listing, editing (PATCH), RSVPs, the attendee
//! list, cancelling.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::views::{AttendeeView, EditEventRequest, EventView, NewEventRequest, RsvpRequest};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use weft_federation::{Ctx, resolve_actor};

pub fn router() -> Router {
    Router::new()
        .route(
            "/api/v1/communities/{handle}/events",
            get(upcoming).post(schedule),
        )
        // PUT is kept as an alias of PATCH: both change only the fields the body names.
        .route("/api/v1/events/{id}", get(event).patch(edit).put(edit))
        .route("/api/v1/events/{id}/attendees", get(attendees))
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
        .write(move |c| weft_core::events::schedule(c, &urls, &me, &community, body.fields()))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((StatusCode::CREATED, Json(EventView::from_details(&details))))
}

/// Changes what the body names (PATCH semantics; `null` clears an optional field).
async fn edit(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<EditEventRequest>, JsonRejection>,
) -> Result<Json<EventView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    body.changes()
        .map_err(|why| ApiError::new(StatusCode::BAD_REQUEST, why))?;
    let urls = ctx.urls.clone();
    let details = ctx
        .db
        .write(move |c| {
            let changes = body.changes().expect("checked above");
            weft_core::events::edit(c, &urls, &me, id, changes)
        })
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(EventView::from_details(&details)))
}

/// Who answered, with each answer (the organiser and the community's moderators only).
async fn attendees(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<Json<Vec<AttendeeView>>, ApiError> {
    let list = ctx
        .db
        .read(move |c| weft_core::events::attendees(c, &me, id))
        .await
        .map_err(core)?;
    Ok(Json(
        list.iter()
            .map(|(rsvp, person)| AttendeeView::from_row(rsvp, person))
            .collect(),
    ))
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
        .read(move |c| weft_core::events::shown(c, id, Some(&me)))
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

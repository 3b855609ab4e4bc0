//! `/api/v1` routes for events: scheduling, listing, editing (PATCH), RSVPs, the attendee
//! list, cancelling.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use crate::views::{AttendeeView, EditEventRequest, EventView, NewEventRequest, RsvpRequest};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_federation::{Ctx, resolve_actor};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(upcoming, schedule))
        .routes(routes!(event, edit, edit_put))
        .routes(routes!(attendees))
        .routes(routes!(rsvp))
        .routes(routes!(cancel))
}

/// Schedules an event in a community (here, or remote: sent to it).
#[utoipa::path(post, path = "/api/v1/communities/{handle}/events", tag = "events", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, or name@host")),
    request_body = NewEventRequest,
    responses((status = 201, description = "The event", body = EventView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
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

#[utoipa::path(patch, path = "/api/v1/events/{id}", operation_id = "edit_event", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    request_body = EditEventRequest,
    responses((status = 200, description = "The event as edited", body = EventView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
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

/// `PUT`, kept as an alias of `PATCH`: changes only the fields the body names.
#[utoipa::path(put, path = "/api/v1/events/{id}", tag = "events", operation_id = "edit_event_put", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    request_body = EditEventRequest,
    responses((status = 200, description = "The event as edited", body = EventView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn edit_put(
    ctx: Ctx,
    member: Member,
    id: Path<i64>,
    body: Result<Json<EditEventRequest>, JsonRejection>,
) -> Result<Json<EventView>, ApiError> {
    edit(ctx, member, id, body).await
}

#[utoipa::path(get, path = "/api/v1/events/{id}/attendees", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    responses((status = 200, description = "Every answer", body = Vec<AttendeeView>),
        BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// The id of the last event of the page before: the list goes on after it.
    #[param(value_type = Option<i64>, minimum = 1)]
    after: Option<String>,
    /// How many events (default 20, at most 100).
    #[param(value_type = Option<i64>, minimum = 1)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/events", tag = "events", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, or name@host"), ListQuery),
    responses((status = 200, description = "Upcoming events, soonest first", body = Vec<EventView>),
        BadRequest, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// A community's events that are not over, soonest first (local, or followed remote).
async fn upcoming(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let limit = weft_federation::paging::limit(q.limit.as_deref(), 20, 100)?;
    let after = weft_federation::paging::cursor("after", q.after.as_deref())?;
    let community = resolve_actor(&handle, &ctx).await?;
    let list = ctx
        .db
        .read(move |c| weft_core::events::upcoming(c, &community, &me, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(list.iter().map(EventView::from_details).collect()))
}

/// An event, with its counts and the member's own answer.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    responses((status = 200, description = "The event", body = EventView),
        BadRequest, Unauthorized, NotFound, ServerError))]
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

/// Answers an event (`going`, `maybe`, `declined`); again to change the answer.
#[utoipa::path(post, path = "/api/v1/events/{id}/rsvp", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    request_body = RsvpRequest,
    responses((status = 200, description = "The event with the member's answer", body = EventView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
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

/// Cancels an event (its organiser, or the community's moderators).
#[utoipa::path(post, path = "/api/v1/events/{id}/cancel", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's id here")),
    responses((status = 200, description = "The cancelled event", body = EventView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
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

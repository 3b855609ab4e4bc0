//! `/api/v1/calendar`: a member's private calendar address (the events they go or may go
//! to, here and on other instances), made, replaced and revoked here; the calendar itself
//! is served at that address (`/feeds/calendars/SECRET.ics`, no token needed).

use crate::error::{ApiError, core};
use crate::handlers::Member;
use crate::openapi::*;
use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_federation::Ctx;

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(status, make, revoke))
}

fn time(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// Whether the member has a calendar address, and since when (never the address: only
/// its hash is kept).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CalendarStatusView {
    pub active: bool,
    pub created_at: Option<String>,
}

/// A calendar address just made: shown this once. Subscribe to it in a calendar
/// application; anyone holding it can read the calendar, so revoke or replace it when
/// it leaks.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct CalendarAddressView {
    pub url: String,
    pub created_at: String,
}

#[utoipa::path(get, path = "/api/v1/calendar", tag = "events", security(("bearer" = [])),
    responses((status = 200, description = "Whether the member has a calendar address", body = CalendarStatusView),
        Unauthorized, Forbidden, ServerError))]
/// Whether the member has a private calendar address, and when it was made.
async fn status(ctx: Ctx, Member(me): Member) -> Result<Json<CalendarStatusView>, ApiError> {
    let made = ctx
        .db
        .read(move |c| weft_core::feeds::calendar_address_made(c, &me))
        .await
        .map_err(core)?;
    Ok(Json(CalendarStatusView {
        active: made.is_some(),
        created_at: made.map(time),
    }))
}

#[utoipa::path(post, path = "/api/v1/calendar", tag = "events", security(("bearer" = [])),
    responses((status = 201, description = "The new address (the old one, if any, stops working)", body = CalendarAddressView),
        Unauthorized, Forbidden, ServerError))]
/// Makes the member's private calendar address, or replaces it (the old one answers 404).
async fn make(
    ctx: Ctx,
    Member(me): Member,
) -> Result<(StatusCode, Json<CalendarAddressView>), ApiError> {
    let urls = ctx.urls.clone();
    let (url, made) = ctx
        .db
        .write(move |c| weft_core::feeds::make_calendar_address(c, &urls, &me))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarAddressView {
            url: url.to_string(),
            created_at: time(made),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/calendar", tag = "events", security(("bearer" = [])),
    responses((status = 204, description = "Revoked: the address answers 404"),
        Unauthorized, Forbidden, NotFound, ServerError))]
/// Revokes the member's private calendar address.
async fn revoke(ctx: Ctx, Member(me): Member) -> Result<StatusCode, ApiError> {
    ctx.db
        .write(move |c| weft_core::feeds::revoke_calendar_address(c, &me))
        .await
        .map_err(core)?;
    Ok(StatusCode::NO_CONTENT)
}

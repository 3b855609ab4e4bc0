//! Feeds for readers and calendar applications, beside the ActivityPub surface:
//! - `GET /feeds/communities/{name}.atom`: a local community's latest threads and events;
//! - `GET /feeds/communities/{name}.ics`: its calendar (recent and upcoming events);
//! - `GET /feeds/threads/{id}.atom`: a thread and its replies;
//! - `GET /feeds/calendars/{secret}.ics`: a person's private calendar.
//!
//! Each answer has an `ETag` and a `Last-Modified`; a conditional GET whose
//! `If-None-Match` names the `ETag` is answered 304 without a body. These routes stay outside the response cache (which
//! keeps only the content type of what it serves). Errors are problem bodies: an unknown
//! community, thread or calendar address is 404.

use crate::{AppState, Ctx, FedError};
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDateTime;
use std::time::SystemTime;
use weft_core::feeds::{self, atom, ical};
use weft_db::models::actor_kind;

/// The feed routes, with the library's middleware (which hands handlers `Ctx`).
pub fn router(config: FederationConfig<AppState>) -> Router {
    Router::new()
        .route("/feeds/communities/{file}", get(community))
        .route("/feeds/threads/{file}", get(thread))
        .route("/feeds/calendars/{file}", get(member_calendar))
        .layer(FederationMiddleware::new(config))
}

/// `name.ext` → `name`, for one of the extensions a route serves.
fn split<'a>(file: &'a str, what: &str) -> Result<(&'a str, &'a str), FedError> {
    file.rsplit_once('.')
        .filter(|(name, ext)| !name.is_empty() && matches!(*ext, "atom" | "ics"))
        .ok_or_else(|| FedError::not_found(format!("no {what} {file:?} here")))
}

/// A community's Atom feed (`.atom`) or calendar (`.ics`).
async fn community(ctx: Ctx, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let answer = async {
        let (name, ext) = split(&file, "community feed")?;
        let owned = name.to_string();
        let community = ctx
            .db
            .read(move |c| weft_db::actors::local_by_username(c, &owned))
            .await?
            .filter(|a| a.kind == actor_kind::GROUP)
            .ok_or_else(|| FedError::not_found(format!("no community named {name} here")))?;
        if ext == "ics" {
            let calendar = ctx
                .db
                .read(move |c| feeds::community_calendar(c, &community))
                .await?;
            let body = ical::calendar_into_ics(&calendar);
            return Ok(respond(
                &headers,
                ical::CONTENT_TYPE,
                body,
                calendar.modified,
                true,
            ));
        }
        let urls = ctx.urls.clone();
        let (body, modified) = ctx
            .db
            .read(move |c| -> Result<_, FedError> {
                let entries = feeds::community_entries(c, &community)?;
                let modified = entries
                    .iter()
                    .map(|e| e.entry.last_activity_at)
                    .fold(community.published_at, NaiveDateTime::max);
                Ok((
                    atom::community_into_atom(&urls, &community, &entries),
                    modified,
                ))
            })
            .await?;
        Ok::<_, FedError>(respond(&headers, atom::CONTENT_TYPE, body, modified, true))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// A thread's Atom feed.
async fn thread(ctx: Ctx, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let answer = async {
        let missing = || FedError::not_found(format!("no thread feed {file:?} here"));
        let id: i64 = match split(&file, "thread feed")? {
            (id, "atom") => id.parse().ok().filter(|n| *n > 0).ok_or_else(missing)?,
            _ => return Err(missing()),
        };
        let urls = ctx.urls.clone();
        let (body, modified) = ctx
            .db
            .read(move |c| -> Result<_, FedError> {
                let thread = feeds::thread_feed(c, id)?;
                let modified = thread
                    .replies
                    .iter()
                    .map(|(r, _)| r.updated_at.unwrap_or(r.published_at))
                    .fold(
                        thread.root.updated_at.unwrap_or(thread.root.published_at),
                        NaiveDateTime::max,
                    );
                Ok((atom::thread_into_atom(&urls, &thread), modified))
            })
            .await?;
        Ok::<_, FedError>(respond(&headers, atom::CONTENT_TYPE, body, modified, true))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// A person's private calendar, at the address holding its secret.
async fn member_calendar(ctx: Ctx, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let answer = async {
        let secret = match file.strip_suffix(".ics") {
            Some(secret) => secret.to_string(),
            None => return Err(FedError::not_found("no calendar at this address")),
        };
        let (_, calendar) = ctx
            .db
            .read(move |c| feeds::member_calendar(c, &secret))
            .await?;
        let body = ical::calendar_into_ics(&calendar);
        Ok::<_, FedError>(respond(
            &headers,
            ical::CONTENT_TYPE,
            body,
            calendar.modified,
            false,
        ))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The feed with its validators, or 304 when `If-None-Match` names its `ETag`.
/// `If-Modified-Since` is not honoured: `Last-Modified` is the newest change among what
/// the feed holds, and a removal (an event deleted, an answer withdrawn) does not move
/// it, so only the entity tag can tell a client its copy is current.
fn respond(
    headers: &HeaderMap,
    content_type: &'static str,
    body: String,
    modified: NaiveDateTime,
    public: bool,
) -> Response {
    let etag = feeds::etag(body.as_bytes());
    let modified = SystemTime::from(weft_core::wire::utc(modified));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        });
    let cache = if public {
        "public, max-age=300"
    } else {
        "private, max-age=300"
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

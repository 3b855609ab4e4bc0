//! The directory and constellations on the wire (see `docs/federation/directory.md`):
//! - `GET /directory`: this instance's discoverable communities, an `OrderedCollection`
//!   paged with `?page=N` (100 a page), with `ETag` and `Last-Modified`; a conditional
//!   GET (`If-None-Match`, or `If-Modified-Since` without it) is answered 304;
//! - `GET /constellations/{name}`: a constellation convened here (a `Service` actor) with
//!   its member list in `weft:members`;
//! - `GET /constellations/{name}/members`: the member instances' actors, inline;
//! - in the inbox, a constellation's `Add`/`Remove` of a member;
//! - the crawler of the other members' directories (`crawler`).
//!
//! These routes stay outside the response cache (their answers carry validators).

pub mod crawler;

use crate::inbox::Outcome;
use crate::{AppState, Ctx, FedError};
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;
use std::time::SystemTime;
use url::Url;
use weft_db::models::{ActorRow, actor_kind};
use weft_protocol::{Envelope, OrderedCollection, OrderedCollectionPage, WithContext};

/// Entries on a page of the directory.
pub const DIRECTORY_PAGE: i64 = 100;

/// The directory and constellation routes, with the library's middleware.
pub fn router(config: FederationConfig<AppState>) -> Router {
    Router::new()
        .route("/directory", get(directory))
        .route("/constellations/{name}", get(constellation))
        .route("/constellations/{name}/members", get(members))
        .layer(FederationMiddleware::new(config))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
}

/// A JSON-LD document with its validators; 304 when the request's validators match.
fn conditional(headers: &HeaderMap, value: Value, modified: Option<NaiveDateTime>) -> Response {
    let body = serde_json::to_string(&WithContext::new(value)).expect("json");
    let etag = weft_core::feeds::etag(body.as_bytes());
    let modified = modified.map(|m| SystemTime::from(weft_core::wire::utc(m)));
    let fresh = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .zip(modified)
            .is_some_and(|(since, modified)| modified <= since),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, weft_protocol::ACTIVITY_JSON)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(modified) = modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
    {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

/// The directory: the collection (its `ETag` covers every entry, so a 304 on it means
/// no page changed), or one page of it.
async fn directory(ctx: Ctx, Query(q): Query<PageQuery>, headers: HeaderMap) -> Response {
    let answer = async {
        let (rows, changed) = ctx
            .db
            .read(move |c| -> Result<_, FedError> {
                let rows = weft_db::directory::local_entry_rows(c)?;
                let changed = weft_core::directory::entries::local_changed_at(c)?;
                Ok((rows, changed))
            })
            .await?;
        let newest = rows.iter().filter_map(|r| r.last_activity_at).max();
        let modified = changed.max(newest);
        let id = ctx.urls.directory();
        let entries: Vec<Value> = rows
            .iter()
            .map(|r| serde_json::to_value(weft_core::directory::entry_into_json(r)).expect("json"))
            .collect();
        let total = entries.len() as i64;
        let Some(page) = q.page else {
            let first = Url::parse(&format!("{id}?page=1")).expect("url");
            let mut value =
                serde_json::to_value(OrderedCollection::paged(id, total, first)).expect("json");
            // The validators of the collection stand for every page: hash them all.
            value["weft:entriesDigest"] = Value::String(
                weft_core::feeds::etag(serde_json::to_string(&entries).expect("json").as_bytes())
                    .trim_matches('"')
                    .to_string(),
            );
            return Ok::<_, FedError>(conditional(&headers, value, modified));
        };
        let number = match page.trim().parse::<i64>() {
            Ok(n) if (1..=crate::paging::MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(FedError::bad_request(format!(
                    "page must be a whole number from 1, not {:?}",
                    page.chars().take(40).collect::<String>()
                )));
            }
        };
        let offset = ((number - 1) * DIRECTORY_PAGE) as usize;
        let items: Vec<Value> = entries
            .into_iter()
            .skip(offset)
            .take(DIRECTORY_PAGE as usize)
            .collect();
        let next = ((offset as i64) + DIRECTORY_PAGE < total)
            .then(|| Url::parse(&format!("{id}?page={}", number + 1)).expect("url"));
        let page_id = Url::parse(&format!("{id}?page={number}")).expect("url");
        let value = serde_json::to_value(OrderedCollectionPage::new(page_id, id, next, items))
            .expect("json");
        Ok(conditional(&headers, value, modified))
    };
    match answer.await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn local_constellation(
    ctx: &Ctx,
    name: &str,
) -> Result<weft_core::directory::constellation::Constellation, FedError> {
    let (urls, owned) = (ctx.urls.clone(), name.to_string());
    Ok(ctx
        .db
        .read(move |c| weft_core::directory::constellation::local(c, &urls, &owned))
        .await?)
}

/// The constellation's actor (`Service`), with its member list.
async fn constellation(ctx: Ctx, Path(name): Path<String>) -> Result<Response, FedError> {
    let c = local_constellation(&ctx, &name).await?;
    Ok(crate::routes::json(constellation_into_json(&ctx, &c)))
}

/// The `Service` actor of a constellation convened here.
pub fn constellation_into_json(
    ctx: &Ctx,
    c: &weft_core::directory::constellation::Constellation,
) -> Value {
    let mut value =
        serde_json::to_value(weft_core::wire::actor_into_json(&ctx.urls, &c.actor)).expect("json");
    if let Some(o) = value.as_object_mut() {
        o.remove("following");
        o.insert(
            "weft:members".into(),
            Value::String(c.row.members_url.clone()),
        );
    }
    value
}

/// The member instances (their actors), inline: a constellation has few.
async fn members(ctx: Ctx, Path(name): Path<String>) -> Result<Response, FedError> {
    let c = local_constellation(&ctx, &name).await?;
    let id = Url::parse(&c.row.members_url).expect("stored ids are URLs");
    let items = c
        .members
        .iter()
        .map(|m| Value::String(m.member.clone()))
        .collect();
    Ok(crate::routes::json(OrderedCollection::inline(id, items)))
}

/// The instance actor, with where its directory is (`weft:directory`).
pub fn instance_actor_json(ctx: &Ctx, actor: &ActorRow) -> Value {
    let mut value =
        serde_json::to_value(weft_core::wire::actor_into_json(&ctx.urls, actor)).expect("json");
    value["weft:directory"] = Value::String(ctx.urls.directory().to_string());
    value
}

/// Is `activity` a constellation's `Add`/`Remove` of a member (sent by a `Service`)?
pub fn is_member_change(actor: &ActorRow, activity: &Envelope) -> bool {
    actor.kind == actor_kind::SERVICE && (activity.kind == "Add" || activity.kind == "Remove")
}

/// A constellation this instance joined adds or removes a member.
pub async fn receive_member_change(
    ctx: &Ctx,
    actor: &ActorRow,
    activity: &Envelope,
) -> Result<Outcome, FedError> {
    let member = activity
        .object_id()
        .ok_or_else(|| FedError::bad_request("the Add or Remove names no member"))?;
    let (constellation, kind) = (actor.clone(), activity.kind.clone());
    match crate::inbox::once(ctx, activity, move |c| {
        weft_core::directory::constellation::receive_member_change(
            c,
            &constellation,
            &kind,
            &member,
        )
    })
    .await?
    {
        Some(done) => Ok(Outcome::Done(done)),
        None => Ok(Outcome::Ignored(format!(
            "{} was received before",
            activity.id
        ))),
    }
}

/// Does a `Follow` ask to join a constellation convened here (let through a
/// members-only policy, for the admin to answer)?
pub fn asks_to_join(ctx: &Ctx, activity: &Envelope) -> bool {
    activity.kind == "Follow"
        && activity
            .object_id()
            .is_some_and(|o| ctx.urls.constellation_name(o.as_str()).is_some())
}

//! `/api/v1` routes of the directory and the constellations: searching every community
//! this instance knows (its own and its constellations' members'), listing a community in
//! the directory or not, and the admin's side (convening, asking to join, accepting
//! members, the federation policy, the crawl's state).

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::directory::constellation::{self, Constellation};
use weft_core::directory::{FederationPolicy, Search, policy};
use weft_db::directory::{DirectoryEntryRow, DirectorySourceRow};
use weft_db::models::ActorRow;
use weft_federation::Ctx;

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(set_listed))
        .routes(routes!(constellations, convene))
        .routes(routes!(join))
        .routes(routes!(requests))
        .routes(routes!(accept))
        .routes(routes!(get_policy, set_policy))
        .routes(routes!(sources))
}

/// A community in the directory: where it lives, and how to join it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct DirectoryEntryView {
    /// The community's URL (its `Group` actor).
    pub ap_id: String,
    pub username: String,
    /// The instance it lives on (host[:port]).
    pub domain: String,
    /// `name@domain`: follow it (`POST /api/v1/follows`) to join it or ask to.
    pub handle: String,
    pub title: String,
    /// The domain statement (markdown).
    pub about: String,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub lifecycle: String,
    pub member_count: i64,
    pub last_activity_at: Option<String>,
    /// On this instance.
    pub local: bool,
    /// The instance whose directory listed it.
    pub listed_by: String,
    /// When this instance last read that directory.
    pub fetched_at: String,
}

impl DirectoryEntryView {
    pub fn from_row(e: &DirectoryEntryRow) -> Self {
        let domain = url::Url::parse(&e.ap_id)
            .ok()
            .as_ref()
            .and_then(weft_core::urls::host_port)
            .unwrap_or_else(|| e.source_domain.clone());
        DirectoryEntryView {
            ap_id: e.ap_id.clone(),
            username: e.name.clone(),
            handle: format!("{}@{domain}", e.name),
            domain,
            title: e.title.clone(),
            about: e.about.clone(),
            tags: e.tags.split_whitespace().map(str::to_string).collect(),
            language: e.language.clone(),
            lifecycle: e.lifecycle.clone(),
            member_count: e.member_count,
            last_activity_at: e
                .last_activity_at
                .map(|t| weft_core::wire::utc(t).to_rfc3339()),
            local: e.is_local,
            listed_by: e.source_domain.clone(),
            fetched_at: weft_core::wire::utc(e.fetched_at).to_rfc3339(),
        }
    }
}

/// A page of the directory.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct DirectoryPageView {
    /// How many communities match in all.
    pub total: i64,
    pub page: i64,
    pub limit: i64,
    pub communities: Vec<DirectoryEntryView>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DirectoryQuery {
    /// Words, each of which must be in the title, domain statement or tags.
    q: Option<String>,
    /// A BCP 47 language tag: `en` finds `en` and `en-GB`.
    language: Option<String>,
    /// `proposal`, `active` or `archived`.
    lifecycle: Option<String>,
    /// From 1.
    page: Option<i64>,
    /// 1 to 100; default 20.
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/directory", tag = "directory",
    params(DirectoryQuery),
    responses((status = 200, description = "The matching communities, here and on every member of this instance's constellations, best first", body = DirectoryPageView), BadRequest, ServerError))]
/// Searches the directory: this instance's communities and those of every other member of
/// its constellations, by words of their title, domain statement and tags, by language
/// and by lifecycle (the database's full-text search). Without `q`: all, largest first.
async fn search(
    ctx: Ctx,
    Query(q): Query<DirectoryQuery>,
) -> Result<Json<DirectoryPageView>, ApiError> {
    let asked = Search {
        q: q.q.unwrap_or_default(),
        language: q.language.filter(|l| !l.is_empty()),
        lifecycle: q.lifecycle.filter(|l| !l.is_empty()),
        page: q.page.unwrap_or(1),
        per_page: q.limit.unwrap_or(0),
    };
    let found = ctx
        .db
        .read(move |c| weft_core::directory::search(c, &asked))
        .await
        .map_err(core)?;
    Ok(Json(DirectoryPageView {
        total: found.total,
        page: found.page,
        limit: found.per_page,
        communities: found
            .entries
            .iter()
            .map(DirectoryEntryView::from_row)
            .collect(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ListingView {
    /// Listed in the directory (served to the constellation, found by search).
    pub discoverable: bool,
}

#[utoipa::path(put, path = "/api/v1/communities/{name}/directory", tag = "directory", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance")),
    request_body = ListingView,
    responses((status = 200, description = "As set", body = ListingView), BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
/// Lists a community in the directory, or takes it out (its leads, admins).
async fn set_listed(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: Result<Json<ListingView>, JsonRejection>,
) -> Result<Json<ListingView>, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let discoverable = ctx
        .db
        .write(move |c| {
            let community = weft_core::accounts::local_community(c, &name)?;
            weft_core::directory::entries::set_discoverable(
                c,
                &urls,
                &me,
                &community,
                b.discoverable,
            )
        })
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(ListingView { discoverable }))
}

/// A member instance of a constellation.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ConstellationMemberView {
    /// Its instance actor.
    pub actor: String,
    pub domain: String,
}

/// A constellation this instance convened or asked to join.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ConstellationView {
    pub name: String,
    pub title: Option<String>,
    /// The constellation's actor (give it to other instances' admins to join).
    pub ap_id: String,
    pub members_url: String,
    /// `convened` (here), `pending` (asked to join), `member`, or `none`.
    pub standing: String,
    pub members: Vec<ConstellationMemberView>,
}

impl ConstellationView {
    pub fn from_constellation(c: &Constellation) -> Self {
        ConstellationView {
            name: c.name.clone(),
            title: c.actor.display_name.clone(),
            ap_id: c.actor.ap_id.clone(),
            members_url: c.row.members_url.clone(),
            standing: c.standing.to_string(),
            members: c
                .members
                .iter()
                .map(|m| ConstellationMemberView {
                    actor: m.member.clone(),
                    domain: m.domain.clone(),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/admin/constellations", tag = "directory", security(("bearer" = [])),
    responses((status = 200, description = "The constellations convened here or asked to join", body = Vec<ConstellationView>), Unauthorized, Forbidden, ServerError))]
/// The constellations this instance convened or asked to join, with their members (admins).
async fn constellations(
    ctx: Ctx,
    Member(me): Member,
) -> Result<Json<Vec<ConstellationView>>, ApiError> {
    let urls = ctx.urls.clone();
    let list = ctx
        .db
        .read(move |c| constellation::list(c, &urls, Some(&me)))
        .await
        .map_err(core)?;
    Ok(Json(
        list.iter()
            .map(ConstellationView::from_constellation)
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConveneRequest {
    /// 1 to 64 of a-z, 0-9 and _: its address is `/constellations/{name}`.
    name: String,
    title: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/admin/constellations", tag = "directory", security(("bearer" = [])),
    request_body = ConveneRequest,
    responses((status = 201, description = "The constellation, with this instance its first member", body = ConstellationView), BadBody, Unauthorized, Forbidden, Conflict, ServerError))]
/// Convenes a constellation here (admins).
async fn convene(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<ConveneRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let keys = tokio::task::spawn_blocking(weft_core::keys::generate)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let urls = ctx.urls.clone();
    let c = ctx
        .db
        .write(move |c| {
            constellation::convene(c, &urls, Some(&me), &b.name, b.title.as_deref(), keys)
        })
        .await
        .map_err(core)?;
    ctx.blocks.forget();
    Ok((
        StatusCode::CREATED,
        Json(ConstellationView::from_constellation(&c)),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct JoinRequest {
    /// The constellation's actor URL (`https://host/constellations/name`).
    constellation: String,
}

#[utoipa::path(post, path = "/api/v1/admin/constellations/join", tag = "directory", security(("bearer" = [])),
    request_body = JoinRequest,
    responses((status = 202, description = "Asked: `pending` until the convenor's admin accepts", body = ConstellationView), BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// Asks to join another instance's constellation: this instance's actor follows it (admins).
async fn join(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<JoinRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let me2 = me.clone();
    ctx.db
        .read(move |c| weft_core::rules::may_join_constellation(c, &me2))
        .await
        .map_err(core)?;
    let id = url::Url::parse(b.constellation.trim()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{:?} is not a constellation's URL: {e}", b.constellation),
        )
    })?;
    let document: serde_json::Value = weft_federation::fetch_as(&id, &ctx).await?;
    let members_url = document
        .get("weft:members")
        .and_then(|v| v.as_str())
        .filter(|m| {
            url::Url::parse(m)
                .ok()
                .as_ref()
                .and_then(weft_core::urls::host_port)
                == weft_core::urls::host_port(&id)
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{id} is not a constellation (it names no member list on its host)"),
            )
        })?
        .to_string();
    let actor: ActorRow = weft_federation::fetch_actor(&id, &ctx).await?;
    let urls = ctx.urls.clone();
    let c = ctx
        .db
        .write(move |c| constellation::ask_to_join(c, &urls, Some(&me), &actor, &members_url))
        .await
        .map_err(core)?;
    ctx.blocks.forget();
    ctx.delivery.wake();
    Ok((
        StatusCode::ACCEPTED,
        Json(ConstellationView::from_constellation(&c)),
    )
        .into_response())
}

/// An instance asking to join.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct JoinAskView {
    /// Its instance actor.
    pub actor: String,
    pub domain: String,
}

#[utoipa::path(get, path = "/api/v1/admin/constellations/{name}/requests", tag = "directory", security(("bearer" = [])),
    params(("name" = String, Path, description = "A constellation convened here")),
    responses((status = 200, description = "The instances asking to join, oldest first", body = Vec<JoinAskView>), Unauthorized, Forbidden, NotFound, ServerError))]
/// The instances asking to join a constellation convened here (admins).
async fn requests(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
) -> Result<Json<Vec<JoinAskView>>, ApiError> {
    let urls = ctx.urls.clone();
    let asking = ctx
        .db
        .read(move |c| constellation::requests(c, &urls, Some(&me), &name))
        .await
        .map_err(core)?;
    Ok(Json(
        asking
            .iter()
            .map(|a| JoinAskView {
                actor: a.ap_id.clone(),
                domain: a.domain.clone(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptRequest {
    /// The asking instance: its actor's URL, or its domain.
    member: String,
}

#[utoipa::path(post, path = "/api/v1/admin/constellations/{name}/accept", tag = "directory", security(("bearer" = [])),
    params(("name" = String, Path, description = "A constellation convened here")),
    request_body = AcceptRequest,
    responses((status = 200, description = "The constellation with its new member", body = ConstellationView), BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
/// Accepts an instance into a constellation convened here: `Accept` to it, `Add` to the
/// other members (admins).
async fn accept(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: Result<Json<AcceptRequest>, JsonRejection>,
) -> Result<Json<ConstellationView>, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let c = ctx
        .db
        .write(move |c| constellation::accept(c, &urls, Some(&me), &name, &b.member))
        .await
        .map_err(core)?;
    ctx.blocks.forget();
    ctx.delivery.wake();
    Ok(Json(ConstellationView::from_constellation(&c)))
}

/// This instance's federation policy.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct PolicyView {
    /// `open` (every instance not blocked) or `constellation_members` (only the members
    /// and convenors of this instance's constellations).
    pub policy: String,
    /// Under `constellation_members`: the instances let in.
    pub allowed: Vec<String>,
}

async fn policy_view(ctx: &Ctx) -> Result<PolicyView, ApiError> {
    let loaded = ctx
        .db
        .read(weft_core::directory::Policy::load)
        .await
        .map_err(core)?;
    let mut allowed: Vec<String> = loaded.allowed.into_iter().collect();
    allowed.sort();
    Ok(PolicyView {
        policy: loaded.mode.as_str().to_string(),
        allowed,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/federation-policy", tag = "directory", security(("bearer" = [])),
    responses((status = 200, description = "The policy", body = PolicyView), Unauthorized, Forbidden, ServerError))]
/// This instance's federation policy (admins).
async fn get_policy(ctx: Ctx, Member(me): Member) -> Result<Json<PolicyView>, ApiError> {
    ctx.db
        .read(move |c| weft_core::rules::may_administer(c, &me))
        .await
        .map_err(core)?;
    Ok(Json(policy_view(&ctx).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PolicyRequest {
    /// `open` or `constellation_members`.
    policy: String,
}

#[utoipa::path(put, path = "/api/v1/admin/federation-policy", tag = "directory", security(("bearer" = [])),
    request_body = PolicyRequest,
    responses((status = 200, description = "The policy as set: it holds for the next activity that arrives", body = PolicyView), BadBody, Unauthorized, Forbidden, ServerError))]
/// Sets the federation policy (admins): under `constellation_members`, activities from
/// other instances are refused with 403 and nothing of them is stored.
async fn set_policy(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<PolicyRequest>, JsonRejection>,
) -> Result<Json<PolicyView>, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let wanted = FederationPolicy::parse(&b.policy).map_err(core)?;
    ctx.db
        .write(move |c| policy::set(c, Some(&me), wanted))
        .await
        .map_err(core)?;
    ctx.blocks.forget();
    Ok(Json(policy_view(&ctx).await?))
}

/// The crawl of one member's directory.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct SourceView {
    pub domain: String,
    pub directory_url: Option<String>,
    /// Communities it lists here.
    pub entries: i64,
    /// Failures in a row (0 after a success).
    pub failures: i32,
    pub last_error: Option<String>,
    pub fetched_at: Option<String>,
    pub next_attempt_at: String,
}

/// Each source's crawl state, and how many entries each lists.
type SourcesAndCounts = (Vec<DirectorySourceRow>, Vec<(String, i64)>);

#[utoipa::path(get, path = "/api/v1/admin/directory/sources", tag = "directory", security(("bearer" = [])),
    responses((status = 200, description = "Each member's directory as last crawled", body = Vec<SourceView>), Unauthorized, Forbidden, ServerError))]
/// The crawl of the other members' directories: when, how many, what failed (admins).
async fn sources(ctx: Ctx, Member(me): Member) -> Result<Json<Vec<SourceView>>, ApiError> {
    let (rows, counts) = ctx
        .db
        .read(move |c| -> Result<SourcesAndCounts, weft_core::CoreError> {
            weft_core::rules::may_administer(c, &me)?;
            Ok((
                weft_db::directory::all_sources(c)?,
                weft_db::directory::count_by_source(c)?,
            ))
        })
        .await
        .map_err(core)?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SourceView {
                entries: counts
                    .iter()
                    .find(|(d, _)| *d == s.domain)
                    .map_or(0, |(_, n)| *n),
                domain: s.domain,
                directory_url: s.directory_url,
                failures: s.failures,
                last_error: s.last_error,
                fetched_at: s.fetched_at.map(|t| weft_core::wire::utc(t).to_rfc3339()),
                next_attempt_at: weft_core::wire::utc(s.next_attempt_at).to_rfc3339(),
            })
            .collect(),
    ))
}

//! `/api/v1/communities/{name}/bridges`: a local community's bridges to other
//! communities (it follows them, and takes what they announce), which its leads link,
//! change and unlink; and the communities bridged into it.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use crate::views::ActorView;
use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::constellation::bridges::{self, Bridge, Changes, Chosen};
use weft_db::models::{ActorRow, FollowRow};
use weft_federation::{Ctx, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, link))
        .routes(routes!(change, unlink))
        .routes(routes!(bridged_in))
}

/// A bridge out of a community, as its leads see it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BridgeView {
    pub id: i64,
    /// The community followed.
    pub target: ActorView,
    /// `name@host` of the community followed.
    pub handle: String,
    /// `pending` (its answer or its lead's approval awaited), `active`, `rejected` (it
    /// refused, or removed the follow later) or `unlinked`.
    pub state: String,
    /// The kinds placed here: `threads`, `events`, `resources`.
    pub place: Vec<String>,
    /// The kinds announced onward to this community's own followers.
    pub pass_on: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl BridgeView {
    pub fn from_bridge(b: &Bridge) -> Self {
        BridgeView {
            id: b.row.id,
            target: ActorView::from_row(&b.target),
            handle: format!("{}@{}", b.target.username, b.target.domain),
            state: b.state.to_string(),
            place: b.place_kinds(),
            pass_on: b.pass_kinds(),
            created_at: b.row.created_at.and_utc().to_rfc3339(),
            updated_at: b.row.updated_at.and_utc().to_rfc3339(),
        }
    }
}

/// A community bridged into this one (a community following it).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct BridgedInView {
    pub community: ActorView,
    /// `name@host`.
    pub handle: String,
    /// `accepted`, or `pending` a lead's approval (see the join requests).
    pub state: String,
    /// RFC 3339.
    pub since: String,
}

impl BridgedInView {
    fn from_rows(follow: &FollowRow, community: &ActorRow) -> Self {
        BridgedInView {
            community: ActorView::from_row(community),
            handle: format!("{}@{}", community.username, community.domain),
            state: follow.state.clone(),
            since: follow.created_at.and_utc().to_rfc3339(),
        }
    }
}

fn all_kinds() -> Vec<String> {
    bridges::KINDS.iter().map(|k| k.to_string()).collect()
}

/// A new bridge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LinkRequest {
    /// The community to follow: `@name@host`, `name@host`, a URL, or a name here.
    target: String,
    /// The kinds to place here (default: all of `threads`, `events`, `resources`).
    #[serde(default = "all_kinds")]
    place: Vec<String>,
    /// The kinds to announce onward to this community's followers (default none;
    /// `threads`, `events`).
    #[serde(default)]
    pass_on: Vec<String>,
}

/// What a bridge carries from now on; an absent list stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeRequest {
    place: Option<Vec<String>>,
    pass_on: Option<Vec<String>>,
}

/// A community of this instance, by name (or `name@this-host`).
async fn local(ctx: &Ctx, name: &str) -> Result<ActorRow, ApiError> {
    let name = match name.trim_start_matches('@').split_once('@') {
        Some((name, host)) if host == ctx.urls.domain() => name.to_string(),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{name} is not a community of this instance"),
            ));
        }
        None => name.to_string(),
    };
    ctx.db
        .read(move |c| weft_core::accounts::local_community(c, &name))
        .await
        .map_err(core)
}

/// The community a bridge is to: a name here, `@name@host`, `name@host` or a URL.
async fn target(ctx: &Ctx, given: &str) -> Result<ActorRow, ApiError> {
    let given = given.trim();
    if !given.contains('@') && !given.contains('/') {
        return local(ctx, given).await;
    }
    Ok(resolve_community(given, ctx).await?)
}

#[utoipa::path(get, path = "/api/v1/communities/{name}/bridges", operation_id = "list_bridges", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance")),
    responses((status = 200, description = "The community's bridges out, oldest first", body = Vec<BridgeView>),
        BadRequest, Unauthorized, NotFound, ServerError))]
/// The communities this one follows as bridges, with their state and kinds.
async fn list(
    ctx: Ctx,
    Member(_me): Member,
    Path(name): Path<String>,
) -> Result<Json<Vec<BridgeView>>, ApiError> {
    let community = local(&ctx, &name).await?;
    let list = ctx
        .db
        .read(move |c| bridges::list(c, &community))
        .await
        .map_err(core)?;
    Ok(Json(list.iter().map(BridgeView::from_bridge).collect()))
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/bridges", operation_id = "link_bridge", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance")), request_body = LinkRequest,
    responses((status = 201, description = "The bridge: `pending` until the community followed accepts", body = BridgeView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// A lead links this community to another (here or elsewhere): it follows it, and what
/// that community announces of the chosen kinds is placed here, "from" it.
async fn link(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: Result<Json<LinkRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<BridgeView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = local(&ctx, &name).await?;
    // Refused before anything is fetched or stored.
    let (c2, me2) = (community.clone(), me.clone());
    ctx.db
        .read(move |c| weft_core::rules::may_manage_bridges(c, &c2, &me2))
        .await
        .map_err(core)?;
    let target = target(&ctx, &body.target).await?;
    let urls = ctx.urls.clone();
    let bridge = ctx
        .db
        .write(move |c| {
            bridges::link(
                c,
                &urls,
                &me,
                &community,
                &target,
                Chosen {
                    place: &body.place,
                    pass_on: &body.pass_on,
                },
            )
        })
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((StatusCode::CREATED, Json(BridgeView::from_bridge(&bridge))))
}

#[utoipa::path(patch, path = "/api/v1/communities/{name}/bridges/{id}", operation_id = "change_bridge", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance"), ("id" = i64, Path, description = "The bridge")),
    request_body = ChangeRequest,
    responses((status = 200, description = "The bridge as changed", body = BridgeView),
        BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
/// A lead changes the kinds a bridge places and passes on (for what arrives from now on).
async fn change(
    ctx: Ctx,
    Member(me): Member,
    Path((name, id)): Path<(String, i64)>,
    body: Result<Json<ChangeRequest>, JsonRejection>,
) -> Result<Json<BridgeView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = local(&ctx, &name).await?;
    let bridge = ctx
        .db
        .write(move |c| {
            bridges::change(
                c,
                &me,
                &community,
                id,
                Changes {
                    place: body.place.as_deref(),
                    pass_on: body.pass_on.as_deref(),
                },
            )
        })
        .await
        .map_err(core)?;
    Ok(Json(BridgeView::from_bridge(&bridge)))
}

#[utoipa::path(delete, path = "/api/v1/communities/{name}/bridges/{id}", operation_id = "unlink_bridge", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance"), ("id" = i64, Path, description = "The bridge")),
    responses((status = 200, description = "The bridge, now `unlinked`: `Undo(Follow)` is sent, and what it placed stays", body = BridgeView),
        BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
/// A lead unlinks a bridge: nothing more is placed through it.
async fn unlink(
    ctx: Ctx,
    Member(me): Member,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<BridgeView>, ApiError> {
    let community = local(&ctx, &name).await?;
    let urls = ctx.urls.clone();
    let bridge = ctx
        .db
        .write(move |c| bridges::unlink(c, &urls, &me, &community, id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(BridgeView::from_bridge(&bridge)))
}

#[utoipa::path(get, path = "/api/v1/communities/{name}/bridges/in", operation_id = "list_bridged_in", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance")),
    responses((status = 200, description = "The communities following this one, oldest first", body = Vec<BridgedInView>),
        BadRequest, Unauthorized, NotFound, ServerError))]
/// The communities bridged into this one: communities (here or elsewhere) that follow it.
async fn bridged_in(
    ctx: Ctx,
    Member(_me): Member,
    Path(name): Path<String>,
) -> Result<Json<Vec<BridgedInView>>, ApiError> {
    let community = local(&ctx, &name).await?;
    let rows = ctx
        .db
        .read(move |c| bridges::bridged_in(c, &community))
        .await
        .map_err(core)?;
    Ok(Json(
        rows.iter()
            .map(|(f, a)| BridgedInView::from_rows(f, a))
            .collect(),
    ))
}

/// The community each bridged entry of a feed came from, by placement id.
pub(crate) fn placed_from(
    conn: &mut weft_db::AnyConnection,
    entries: &[weft_db::items::FeedEntry],
) -> Result<std::collections::HashMap<i64, ActorRow>, ApiError> {
    let bridged =
        |e: &&weft_db::items::FeedEntry| e.placement.how == weft_db::models::placement_how::BRIDGED;
    let mut ids: Vec<i64> = entries
        .iter()
        .filter(bridged)
        .filter_map(|e| e.placement.by_actor_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let actors: std::collections::HashMap<i64, ActorRow> = weft_db::actors::by_ids(conn, &ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(entries
        .iter()
        .filter(bridged)
        .filter_map(|e| {
            let from = actors.get(&e.placement.by_actor_id?)?;
            Some((e.placement.id, from.clone()))
        })
        .collect())
}

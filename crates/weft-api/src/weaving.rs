//! `/api/v1` routes for weaving: a weaver (or lead) carries an item from anywhere into a
//! community here with a note; the items woven in ("bridges in"), and where a community's
//! own items were woven ("bridges out").

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use crate::views::ActorView;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::constellation::weaving::{self, Item};
use weft_db::models::{ActorRow, ItemRow};
use weft_db::weaves::{Travel, WovenIn};
use weft_federation::{Ctx, paging, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, weave))
        .routes(routes!(unweave))
        .routes(routes!(travels))
}

#[derive(Deserialize, ToSchema)]
pub struct WeaveRequest {
    /// The item: its URL (a post, event or resource of any community, here or on any
    /// instance), or the id of an item stored here.
    pub object: String,
    /// Why it matters here, in a few lines (markdown).
    pub note: String,
}

/// The item a weave carries, as known here.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct WovenItemView {
    pub id: i64,
    pub ap_id: String,
    /// `post`, `event` or `resource`.
    pub kind: String,
    pub title: Option<String>,
    pub author: Option<ActorView>,
    /// The community it was created in.
    pub community: Option<ActorView>,
    pub local: bool,
}

impl WovenItemView {
    fn from_row(item: &ItemRow, author: Option<&ActorRow>, community: Option<&ActorRow>) -> Self {
        WovenItemView {
            id: item.id,
            ap_id: item.ap_id.clone(),
            kind: item.kind.as_str().to_string(),
            title: item.title.clone(),
            author: author.map(ActorView::from_row),
            community: community.map(ActorView::from_row),
            local: item.is_local,
        }
    }
}

/// An item woven into a community.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct WeaveView {
    /// The weave's id in this community (what `DELETE …/weaves/{id}` takes).
    pub id: i64,
    pub item: WovenItemView,
    pub weaver: Option<ActorView>,
    /// Why it matters here, as the weaver wrote it.
    pub note: Option<String>,
    pub woven_at: String,
    /// The community's `Announce` of the item (weaves made here).
    pub announce: Option<String>,
    /// The weaver's `Note` (weaves made here).
    pub note_id: Option<String>,
}

impl WeaveView {
    pub fn from_core(w: &WovenIn) -> Self {
        WeaveView {
            id: w.placement.id,
            item: WovenItemView::from_row(&w.item, w.author.as_ref(), w.origin.as_ref()),
            weaver: w.weaver.as_ref().map(ActorView::from_row),
            note: w.placement.note.clone(),
            woven_at: w.placement.placed_at.and_utc().to_rfc3339(),
            announce: w.weave.as_ref().map(|x| x.announce_ap_id.clone()),
            note_id: w.weave.as_ref().map(|x| x.note_ap_id.clone()),
        }
    }
}

/// A community an item of this community was woven into.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct TravelView {
    pub id: i64,
    pub item: WovenItemView,
    /// The community it was woven into.
    pub woven_into: ActorView,
    pub weaver: Option<ActorView>,
    pub note: Option<String>,
    pub woven_at: String,
}

impl TravelView {
    fn from_core(t: &Travel, origin: &ActorRow) -> Self {
        TravelView {
            id: t.travel.id,
            item: WovenItemView::from_row(&t.item, None, Some(origin)),
            woven_into: ActorView::from_row(&t.woven_into),
            weaver: t.weaver.as_ref().map(ActorView::from_row),
            note: t.travel.note.clone(),
            woven_at: t.travel.woven_at.and_utc().to_rfc3339(),
        }
    }
}

/// How much a community wove in, and how often its items were woven elsewhere.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, Default, PartialEq)]
pub struct WeavingCountsView {
    /// Items woven into the community ("bridges in").
    pub woven_in: i64,
    /// Times its items were woven into other communities ("bridges out"; known on the
    /// community's own instance).
    pub woven_out: i64,
}

impl WeavingCountsView {
    pub fn from_core(c: &weaving::Counts) -> Self {
        WeavingCountsView {
            woven_in: c.woven_in,
            woven_out: c.woven_out,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// The id of the last entry of the page before: the list goes on after it.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// How many (default 50, at most 100).
    #[param(value_type = Option<i64>, minimum = 1)]
    limit: Option<String>,
}

/// A community by URL, name@host, or (one of this instance's) its name.
async fn community(ctx: &Ctx, handle: &str) -> Result<ActorRow, ApiError> {
    let handle = if handle.contains('@') || handle.contains("://") {
        handle.to_string()
    } else {
        format!("{handle}@{}", ctx.urls.domain())
    };
    Ok(resolve_community(&handle, ctx).await?)
}

/// The item named by `object`: an id here, a URL known here, or fetched from its server.
async fn item(ctx: &Ctx, object: &str) -> Result<Item, ApiError> {
    let object = object.trim();
    if let Ok(id) = object.parse::<i64>() {
        let found = ctx
            .db
            .read(move |c| weft_db::items::by_id(c, id))
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no item {id}")))?;
        return Ok(Item::Known(Box::new(found)));
    }
    let url = url::Url::parse(object)
        .ok()
        .filter(|u| u.scheme() == "http" || u.scheme() == "https")
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("{object:?} is not an item: give its URL or its id here"),
            )
        })?;
    let id = url.to_string();
    if let Some(known) = ctx
        .db
        .read(move |c| weft_db::items::by_ap_id(c, &id))
        .await?
    {
        return Ok(Item::Known(Box::new(known)));
    }
    if ctx.urls.is_local(url.as_str()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no item {url} here"),
        ));
    }
    match weft_federation::inbox::weaving::fetched(ctx, &url).await? {
        Some(fetched) => Ok(Item::Fetched(Box::new(fetched))),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "{url} is not a post or event of a community: Weft weaves those from other \
                 instances (and resources its instance already knows)"
            ),
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/weaves", operation_id = "weave_item", tag = "weaving", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community of this instance: a URL, name@host, or its name")),
    request_body = WeaveRequest,
    responses((status = 201, description = "Woven: placed in the community and announced", body = WeaveView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
/// Weaves an item from any community, here or elsewhere, into a community here, with a
/// note on why it matters there (its weavers and leads may). The community announces
/// the original to its followers and to the item's community; the note goes out as the
/// weaver's `Note`, linking the original.
async fn weave(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<WeaveRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<WeaveView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = community(&ctx, &handle).await?;
    // Refused before anything is fetched.
    {
        let (community, me) = (community.clone(), me.clone());
        ctx.db
            .read(move |c| weft_core::rules::may_weave(c, &community, &me))
            .await
            .map_err(core)?;
    }
    let item = item(&ctx, &body.object).await?;
    let urls = ctx.urls.clone();
    let woven = ctx
        .db
        .write(move |c| weaving::weave(c, &urls, &me, &community, item, &body.note))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((StatusCode::CREATED, Json(WeaveView::from_core(&woven))))
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/weaves", operation_id = "list_weaves", tag = "weaving", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: a URL, name@host, or the name of one of this instance's"), PageQuery),
    responses((status = 200, description = "The items woven into the community, newest first", body = Vec<WeaveView>),
        BadRequest, Unauthorized, NotFound, BadGateway, ServerError))]
/// The items woven into a community ("bridges in"): here, or a followed remote one as
/// known here.
async fn list(
    ctx: Ctx,
    Member(_me): Member,
    Path(handle): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<WeaveView>>, ApiError> {
    let before = paging::cursor("before", q.before.as_deref())?;
    let limit = paging::limit(q.limit.as_deref(), 50, 100)?;
    let community = community(&ctx, &handle).await?;
    let list = ctx
        .db
        .read(move |c| weaving::woven_in(c, &community, before, limit))
        .await
        .map_err(core)?;
    Ok(Json(list.iter().map(WeaveView::from_core).collect()))
}

#[utoipa::path(delete, path = "/api/v1/communities/{handle}/weaves/{id}", operation_id = "unweave_item", tag = "weaving", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community of this instance: a URL, name@host, or its name"),
        ("id" = i64, Path, description = "The weave's id")),
    responses((status = 204, description = "Unwoven: the placement is gone, `Undo(Announce)` and the note's `Delete` are sent"),
        BadRequest, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// Unweaves an item (its weaver may, and the community's leads).
async fn unweave(
    ctx: Ctx,
    Member(me): Member,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let community = community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| weaving::unweave(c, &urls, &me, &community, id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/travels", operation_id = "list_travels", tag = "weaving", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community of this instance: a URL, name@host, or its name"), PageQuery),
    responses((status = 200, description = "Where its items were woven, newest first", body = Vec<TravelView>),
        BadRequest, Unauthorized, NotFound, BadGateway, ServerError))]
/// Where a community's items were woven, on any instance ("bridges out"): which item,
/// into which community, by whom, with what note, when.
async fn travels(
    ctx: Ctx,
    Member(_me): Member,
    Path(handle): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Vec<TravelView>>, ApiError> {
    let before = paging::cursor("before", q.before.as_deref())?;
    let limit = paging::limit(q.limit.as_deref(), 50, 100)?;
    let community = community(&ctx, &handle).await?;
    let origin = community.clone();
    let list = ctx
        .db
        .read(move |c| weaving::woven_out(c, &community, before, limit))
        .await
        .map_err(core)?;
    Ok(Json(
        list.iter()
            .map(|t| TravelView::from_core(t, &origin))
            .collect(),
    ))
}

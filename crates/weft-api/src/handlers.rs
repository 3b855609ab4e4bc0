//! Routes and handlers of `/api/v1`.

pub use crate::accounts::Member;
use crate::error::{ApiError, core, json_rejection};
use crate::openapi::*;
use crate::views::*;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::posts::NewPost;
use weft_db::models::ActorRow;
use weft_federation::{Ctx, paging, resolve_actor, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(follow))
        .routes(routes!(unfollow))
        .routes(routes!(create_post))
        .routes(routes!(thread, edit_post, delete_post))
        .routes(routes!(lookup))
        .routes(routes!(feed))
        .merge(crate::events::router())
        .merge(crate::calendar::router())
        .merge(crate::accounts::router())
        .merge(crate::members::router())
        .merge(crate::communities::router())
        .merge(crate::files::router())
        .merge(crate::mail::router())
        .merge(crate::resources::router())
        .merge(crate::directory::router())
        .merge(crate::weaving::router())
        .merge(crate::bridges::router())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "The member behind the token", body = ActorView),
        Unauthorized, ServerError))]
async fn me(Member(me): Member) -> Json<ActorView> {
    Json(ActorView::from_row(&me))
}

/// Follows a community or person (a URL, or name@host); a remote one is asked, and the
/// follow is `pending` until it accepts.
#[utoipa::path(post, path = "/api/v1/follows", tag = "follows", security(("bearer" = [])),
    request_body = FollowRequest,
    responses((status = 200, description = "The follow and its state", body = FollowView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn follow(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<FollowRequest>, JsonRejection>,
) -> Result<Json<FollowView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let target = resolve_actor(&body.actor, &ctx).await?;
    let (urls, t) = (ctx.urls.clone(), target.clone());
    let state = ctx
        .db
        .write(move |c| weft_core::following::follow(c, &urls, &me, &t))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(FollowView {
        actor: ActorView::from_row(&target),
        state,
    }))
}

/// Stops following a community or person.
#[utoipa::path(post, path = "/api/v1/unfollow", tag = "follows", security(("bearer" = [])),
    request_body = FollowRequest,
    responses((status = 204, description = "No longer following"),
        BadBody, Unauthorized, NotFound, BadGateway, ServerError))]
async fn unfollow(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<FollowRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let target = resolve_actor(&body.actor, &ctx).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| weft_core::following::unfollow(c, &urls, &me, &target))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

async fn item_by_ap_id(ctx: &Ctx, ap_id: &str) -> Result<weft_db::models::ItemRow, ApiError> {
    let key = ap_id.to_string();
    ctx.db
        .read(move |c| weft_db::items::by_ap_id(c, &key))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no post {ap_id} is known here"),
            )
        })
}

/// Starts a thread in a community, or replies to a post (`in_reply_to`).
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])),
    request_body = NewPostRequest,
    responses((status = 201, description = "The post (`pending` while a remote community has not announced it)", body = PostView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
async fn create_post(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<NewPostRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let parent = match &body.in_reply_to {
        Some(ap_id) => Some(item_by_ap_id(&ctx, ap_id).await?),
        None => None,
    };
    let community = match (&body.community, &parent) {
        (Some(handle), _) => resolve_community(handle, &ctx).await?,
        (None, Some(p)) => {
            let id = p.origin_community_id.ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "the post replied to is in no community",
                )
            })?;
            ctx.db.read(move |c| weft_db::actors::by_id(c, id)).await?
        }
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "name a community, or a post to reply to",
            ));
        }
    };
    let urls = ctx.urls.clone();
    let author = me.clone();
    let (item, state) = ctx
        .db
        .write(move |c| -> weft_core::CoreResult<_> {
            let item = weft_core::posts::create(
                c,
                &urls,
                &author,
                NewPost {
                    community: &community,
                    title: body.title.as_deref(),
                    content: &body.content,
                    in_reply_to: parent.as_ref(),
                },
            )?;
            let state = weft_db::post_states::of(c, item.id)?;
            Ok((item, state))
        })
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((
        StatusCode::CREATED,
        Json(PostView::from_row(&item, &me).with_state(state.as_ref())),
    ))
}

async fn local_item(ctx: &Ctx, id: i64) -> Result<weft_db::models::ItemRow, ApiError> {
    ctx.db
        .read(move |c| weft_db::items::by_id(c, id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no post {id}")))
}

/// Edits one's own post.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id here")),
    request_body = EditPostRequest,
    responses((status = 200, description = "The post as edited", body = PostView),
        BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
async fn edit_post(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<EditPostRequest>, JsonRejection>,
) -> Result<Json<PostView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let item = local_item(&ctx, id).await?;
    let (urls, author) = (ctx.urls.clone(), me.clone());
    let item = ctx
        .db
        .write(move |c| {
            weft_core::posts::edit(
                c,
                &urls,
                &author,
                item.id,
                body.title.as_deref(),
                &body.content,
            )
        })
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    let id = item.id;
    let state = ctx
        .db
        .read(move |c| weft_db::post_states::of(c, id))
        .await?;
    Ok(Json(
        PostView::from_row(&item, &me).with_state(state.as_ref()),
    ))
}

/// Deletes a post: one's own, or (a moderator) one in a community one moderates.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id here")),
    responses((status = 204, description = "Deleted"),
        BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
async fn delete_post(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let item = local_item(&ctx, id).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| weft_core::posts::delete(c, &urls, &me, item.id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

/// A post and its thread's replies as `me` may see them: a reply in a deleted thread,
/// or someone else's pending or refused post, is not found.
async fn thread_view(
    ctx: &Ctx,
    item: weft_db::models::ItemRow,
    me: ActorRow,
) -> Result<ThreadView, ApiError> {
    ctx.db
        .read(move |c| -> Result<ThreadView, ApiError> {
            if !weft_core::feed::visible(c, &item, &me).map_err(core)? {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no post {} is known here", item.id),
                ));
            }
            let author = weft_db::actors::by_id(c, item.author_id)?;
            let replies = weft_core::feed::thread(c, &item, &me).map_err(core)?;
            let mut ids: Vec<i64> = replies.iter().map(|(i, _)| i.id).collect();
            ids.push(item.id);
            let states = weft_db::post_states::of_items(c, &ids)?;
            Ok(ThreadView {
                post: PostView::from_row(&item, &author).with_state(states.get(&item.id)),
                replies: replies
                    .iter()
                    .map(|(i, a)| PostView::from_row(i, a).with_state(states.get(&i.id)))
                    .collect(),
            })
        })
        .await
}

/// A post and its thread's replies.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id here")),
    responses((status = 200, description = "The post and its replies", body = ThreadView),
        BadRequest, Unauthorized, NotFound, ServerError))]
async fn thread(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<Json<ThreadView>, ApiError> {
    let item = local_item(&ctx, id).await?;
    Ok(Json(thread_view(&ctx, item, me).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LookupQuery {
    /// The post's ActivityPub id.
    ap_id: String,
}

#[utoipa::path(get, path = "/api/v1/lookup", tag = "posts", security(("bearer" = [])),
    params(LookupQuery),
    responses((status = 200, description = "The post and its replies", body = ThreadView),
        BadRequest, Unauthorized, NotFound, ServerError))]
/// A post known here, by its ActivityPub id, with its thread.
async fn lookup(
    ctx: Ctx,
    Member(me): Member,
    Query(q): Query<LookupQuery>,
) -> Result<Json<ThreadView>, ApiError> {
    let item = item_by_ap_id(&ctx, &q.ap_id).await?;
    Ok(Json(thread_view(&ctx, item, me).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// The cursor: the last entry's `placement_id` of the page before.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// How many entries (default 20; more than a page holds is clamped).
    #[param(value_type = Option<i64>, minimum = 1)]
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/feed", tag = "posts", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, or name@host"), FeedQuery),
    responses((status = 200, description = "One page of the feed, newest first", body = Vec<FeedEntryView>),
        BadRequest, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// A community's threads and events as this instance knows them (local or followed
/// remote community), newest first, with reply counts and last activity; `before` (the
/// last entry's `placement_id`) pages on.
async fn feed(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Json<Vec<FeedEntryView>>, ApiError> {
    let before = paging::cursor("before", q.before.as_deref())?;
    let limit = paging::limit(q.limit.as_deref(), 20, weft_core::feed::MAX_PAGE)?;
    let community = resolve_community(&handle, &ctx).await?;
    let views = ctx
        .db
        .read(move |c| -> Result<_, ApiError> {
            let entries =
                weft_core::feed::community_feed(c, &community, &me, before, limit).map_err(core)?;
            let ids: Vec<i64> = entries.iter().map(|e| e.item.id).collect();
            let states = weft_db::post_states::of_items(c, &ids)?;
            let from = crate::bridges::placed_from(c, &entries)?;
            Ok(entries
                .iter()
                .map(|e| {
                    FeedEntryView::from_entry(e, states.get(&e.item.id))
                        .placed_from(from.get(&e.placement.id))
                })
                .collect())
        })
        .await?;
    Ok(Json(views))
}

//! Routes and handlers of `/api/v1`.

pub use crate::accounts::Member;
use crate::error::{ApiError, core, json_rejection};
use crate::views::*;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use weft_core::posts::NewPost;
use weft_db::models::ActorRow;
use weft_federation::{Ctx, paging, resolve_actor, resolve_community};

pub fn router() -> Router {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/follows", post(follow))
        .route("/api/v1/unfollow", post(unfollow))
        .route("/api/v1/posts", post(create_post))
        .route(
            "/api/v1/posts/{id}",
            get(thread).patch(edit_post).delete(delete_post),
        )
        .route("/api/v1/lookup", get(lookup))
        .route("/api/v1/communities/{handle}/feed", get(feed))
        .merge(crate::events::router())
        .merge(crate::accounts::router())
        .merge(crate::communities::router())
}

async fn me(Member(me): Member) -> Json<ActorView> {
    Json(ActorView::from_row(&me))
}

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

async fn thread(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<Json<ThreadView>, ApiError> {
    let item = local_item(&ctx, id).await?;
    Ok(Json(thread_view(&ctx, item, me).await?))
}

#[derive(Deserialize)]
struct LookupQuery {
    ap_id: String,
}

/// A post known here, by its ActivityPub id, with its thread.
async fn lookup(
    ctx: Ctx,
    Member(me): Member,
    Query(q): Query<LookupQuery>,
) -> Result<Json<ThreadView>, ApiError> {
    let item = item_by_ap_id(&ctx, &q.ap_id).await?;
    Ok(Json(thread_view(&ctx, item, me).await?))
}

#[derive(Deserialize)]
struct FeedQuery {
    before: Option<String>,
    limit: Option<String>,
}

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
            Ok(entries
                .iter()
                .map(|e| FeedEntryView::from_entry(e, states.get(&e.item.id)))
                .collect())
        })
        .await?;
    Ok(Json(views))
}

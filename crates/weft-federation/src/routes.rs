//! The ActivityPub routes: actors, their collections, objects, activities, inboxes.

use crate::paging::{self, PAGE_SIZE};
use crate::{AppState, Ctx, FedError, inbox, wellknown};
use activitypub_federation::axum::json::FederationJson;
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;
use url::Url;
use weft_db::models::{ActorRow, ItemKind, actor_kind, role};
use weft_protocol::{OrderedCollection, OrderedCollectionPage, Tombstone, WithContext};

/// Every federation route, with the library's middleware (which hands handlers `Ctx`).
pub fn router(config: FederationConfig<AppState>) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(wellknown::webfinger))
        .route("/.well-known/nodeinfo", get(wellknown::nodeinfo_links))
        .route("/.well-known/host-meta", get(wellknown::host_meta))
        .route("/nodeinfo/2.1", get(wellknown::nodeinfo))
        .route("/actor", get(instance_actor))
        .route("/inbox", post(inbox::receive))
        .route("/{prefix}/{name}", get(actor))
        .route("/{prefix}/{name}/inbox", post(inbox::receive))
        .route("/{prefix}/{name}/outbox", get(outbox))
        .route("/{prefix}/{name}/followers", get(followers))
        .route("/{prefix}/{name}/following", get(following))
        .route("/{prefix}/{name}/moderators", get(moderators))
        .route("/{prefix}/{name}/featured", get(featured))
        .route("/{prefix}/{name}/upcoming-events", get(upcoming_events))
        .route("/items/{id}", get(item))
        .route("/items/{id}/rsvp", get(rsvp_poll))
        .route("/{prefix}/{name}/resources", get(crate::library::resources))
        .route("/items/{id}/versions", get(crate::library::versions))
        .route(
            "/items/{id}/versions/{number}",
            get(crate::library::version),
        )
        .route("/folders/{id}", get(crate::library::folder))
        .route("/activities/{id}", get(activity))
        .route("/weaves/{id}/note", get(crate::weaving::note))
        .layer(DefaultBodyLimit::max(inbox::MAX_BODY))
        .layer(FederationMiddleware::new(config.clone()))
        .layer(axum::middleware::from_fn_with_state(
            crate::cache::ResponseCache::new(config.db.clone()),
            crate::cache::serve_cached,
        ))
        .merge(crate::feeds::router(config.clone()))
        .merge(crate::directory::router(config.clone()))
        .merge(crate::actor::root_router(config))
}

pub(crate) fn json<T: serde::Serialize>(value: T) -> Response {
    FederationJson(WithContext::new(value)).into_response()
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

async fn instance_actor(ctx: Ctx) -> Result<Response, FedError> {
    let id = ctx.urls.instance_actor().to_string();
    let actor = ctx
        .db
        .read(move |c| weft_db::actors::by_ap_id(c, &id))
        .await?
        .ok_or_else(|| FedError::not_found("no instance actor"))?;
    Ok(json(crate::directory::instance_actor_json(&ctx, &actor)))
}

/// The local actor at `/u/{name}` (a person) or `/c/{name}` (a community).
pub(crate) async fn local_actor(ctx: &Ctx, prefix: &str, name: &str) -> Result<ActorRow, FedError> {
    let kind = match prefix {
        "u" => actor_kind::PERSON,
        "c" => actor_kind::GROUP,
        _ => return Err(FedError::not_found("no such page")),
    };
    let owned = name.to_string();
    ctx.db
        .read(move |c| weft_db::actors::local_by_username(c, &owned))
        .await?
        .filter(|a| a.kind == kind)
        .ok_or_else(|| {
            FedError::not_found(format!(
                "no {} named {name} here",
                if kind == actor_kind::GROUP {
                    "community"
                } else {
                    "person"
                }
            ))
        })
}

async fn actor(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    let urls = ctx.urls.clone();
    let doc = ctx
        .db
        .read(move |c| weft_core::communities::actor_json(c, &urls, &actor))
        .await?;
    Ok(json(doc))
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    pub(crate) page: Option<String>,
}

/// The outbox: public activities, newest first; `?page=true` is the first page and
/// `?page=<id>` the page of activities older than that outbox id.
async fn outbox(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    let id = url(actor.outbox_url.as_deref().unwrap_or_default());
    let actor_id = actor.id;
    let Some(page) = q.page else {
        let total = ctx
            .db
            .read(move |c| weft_db::outbox::count_public(c, actor_id))
            .await?;
        let first = Url::parse(&format!("{id}?page=true")).expect("url");
        return Ok(json(OrderedCollection::paged(id, total, first)));
    };
    let before = match page.as_str() {
        "true" => None,
        other => paging::cursor("page", Some(other))?,
    };
    let rows = ctx
        .db
        .read(move |c| weft_db::outbox::public_page(c, actor_id, before, PAGE_SIZE))
        .await?;
    let next = (rows.len() as i64 == PAGE_SIZE)
        .then(|| {
            rows.last()
                .map(|r| Url::parse(&format!("{id}?page={}", r.id)).expect("url"))
        })
        .flatten();
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(&r.body).ok())
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("@context");
            }
            v
        })
        .collect();
    let page_id = Url::parse(&format!(
        "{id}?page={}",
        before.map_or("true".to_string(), |b| b.to_string())
    ))
    .expect("url");
    Ok(json(OrderedCollectionPage::new(page_id, id, next, items)))
}

/// A collection of actor ids: the count always, the ids on numbered pages (`?page=1`, …;
/// a page past the end is empty).
async fn id_collection<C, P>(
    ctx: &Ctx,
    id: Url,
    page: Option<String>,
    count: C,
    read_page: P,
) -> Result<Response, FedError>
where
    C: FnOnce(&mut weft_db::AnyConnection) -> weft_db::DbResult<i64> + Send + 'static,
    P: FnOnce(&mut weft_db::AnyConnection, i64, i64) -> weft_db::DbResult<Vec<String>>
        + Send
        + 'static,
{
    let Some(page) = page else {
        let total = ctx.db.read(count).await?;
        let first = Url::parse(&format!("{id}?page=1")).expect("url");
        return Ok(json(OrderedCollection::paged(id, total, first)));
    };
    let (number, offset) = paging::page_number(&page)?;
    let (total, ids) = ctx
        .db
        .read(move |c| -> weft_db::DbResult<_> {
            let total = count(c)?;
            let ids = if offset < total {
                read_page(c, PAGE_SIZE, offset)?
            } else {
                vec![]
            };
            Ok((total, ids))
        })
        .await?;
    let next = (offset + PAGE_SIZE < total)
        .then(|| Url::parse(&format!("{id}?page={}", number + 1)).expect("url"));
    let page_id = Url::parse(&format!("{id}?page={number}")).expect("url");
    Ok(json(OrderedCollectionPage::new(
        page_id,
        id,
        next,
        ids.into_iter().map(Value::String).collect(),
    )))
}

/// Followers: the count always; the ids on pages (`?page=1`, …).
async fn followers(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    let id = url(actor.followers_url.as_deref().unwrap_or_default());
    let actor_id = actor.id;
    id_collection(
        &ctx,
        id,
        q.page,
        move |c| weft_db::follows::count_followers(c, actor_id),
        move |c, limit, offset| weft_db::follows::followers_page(c, actor_id, limit, offset),
    )
    .await
}

/// Whom the actor follows, paged like followers.
async fn following(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    let id = ctx.urls.actor_part(&url(&actor.ap_id), "following");
    let actor_id = actor.id;
    id_collection(
        &ctx,
        id,
        q.page,
        move |c| weft_db::follows::count_following(c, actor_id),
        move |c, limit, offset| weft_db::follows::following_page(c, actor_id, limit, offset),
    )
    .await
}

/// A community's leads and facilitators (Lemmy reads this as its moderators): a short
/// list, served inline, and on pages like the other collections when asked.
async fn moderators(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    if !actor.is_group() {
        return Err(FedError::not_found("people have no moderators"));
    }
    let id = ctx.urls.actor_part(&url(&actor.ap_id), "moderators");
    let actor_id = actor.id;
    let mods = move |c: &mut weft_db::AnyConnection| -> weft_db::DbResult<Vec<String>> {
        Ok(
            weft_db::actors::members_with_roles(c, actor_id, &[role::LEAD, role::FACILITATOR])?
                .into_iter()
                .map(|a| a.ap_id)
                .collect(),
        )
    };
    let Some(page) = q.page else {
        let all = ctx.db.read(mods).await?;
        return Ok(json(OrderedCollection::inline(
            id,
            all.into_iter().map(Value::String).collect(),
        )));
    };
    id_collection(
        &ctx,
        id,
        Some(page),
        move |c| Ok(mods(c)?.len() as i64),
        move |c, limit, offset| {
            Ok(mods(c)?
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect())
        },
    )
    .await
}

async fn featured(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    let id = ctx.urls.actor_part(&url(&actor.ap_id), "featured");
    Ok(json(OrderedCollection::inline(id, vec![])))
}

/// A community's events that are not over (FEP-8a8e's `upcomingEvents`), soonest first,
/// cancelled ones included (their `eventStatus` says so): the count always, the `Event`
/// objects on numbered pages (`?page=1`, …; a page past the end is empty).
async fn upcoming_events(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let actor = local_actor(&ctx, &prefix, &name).await?;
    if !actor.is_group() {
        return Err(FedError::not_found("people have no upcoming events here"));
    }
    let id = ctx.urls.actor_part(&url(&actor.ap_id), "upcoming-events");
    let actor_id = actor.id;
    let now = weft_db::now();
    let Some(page) = q.page else {
        let total = ctx
            .db
            .read(move |c| weft_db::calendars::count_upcoming(c, actor_id, now))
            .await?;
        let first = Url::parse(&format!("{id}?page=1")).expect("url");
        return Ok(json(OrderedCollection::paged(id, total, first)));
    };
    let (number, offset) = paging::page_number(&page)?;
    let (total, events) = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let total = weft_db::calendars::count_upcoming(c, actor_id, now)?;
            let items = if offset < total {
                weft_db::calendars::upcoming_page(c, actor_id, now, PAGE_SIZE, offset)?
            } else {
                vec![]
            };
            let mut events = Vec::with_capacity(items.len());
            for item in items {
                let details = weft_core::events::details(c, item, None)?;
                let event = weft_core::events::wire::event_into_json(&details.parts());
                events.push(serde_json::to_value(event).expect("json"));
            }
            Ok((total, events))
        })
        .await?;
    let next = (offset + PAGE_SIZE < total)
        .then(|| Url::parse(&format!("{id}?page={}", number + 1)).expect("url"));
    let page_id = Url::parse(&format!("{id}?page={number}")).expect("url");
    Ok(json(OrderedCollectionPage::new(page_id, id, next, events)))
}

/// A local post, event or resource; a deleted one answers 410 with a Tombstone.
async fn item(ctx: Ctx, Path(id): Path<i64>) -> Result<Response, FedError> {
    let urls = ctx.urls.clone();
    let found = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let Some(item) = weft_db::items::by_id(c, id)?.filter(|i| i.is_local) else {
                return Ok(None);
            };
            if item.deleted_at.is_some() {
                return Ok(Some(Err(item)));
            }
            if item.kind == ItemKind::Resource {
                let details = weft_core::resources::details(c, item)?;
                let object = weft_core::resources::wire::resource_into_json(&urls, &details);
                return Ok(Some(Ok(serde_json::to_value(object).expect("json"))));
            }
            if item.kind == ItemKind::Event {
                let details = weft_core::events::details(c, item, None)?;
                let event = weft_core::events::wire::event_into_json(&details.parts());
                return Ok(Some(Ok(serde_json::to_value(event).expect("json"))));
            }
            let post = weft_core::posts::object_json(c, &item)?;
            Ok(Some(Ok(serde_json::to_value(post).expect("json"))))
        })
        .await?
        .ok_or_else(|| FedError::not_found("no such post"))?;
    Ok(match found {
        Ok(object) => json(object),
        Err(deleted) => {
            let tombstone = Tombstone::new(
                url(&deleted.ap_id),
                Some(deleted.object_type.clone()),
                deleted.deleted_at.map(weft_core::wire::utc),
            );
            let mut response = json(tombstone);
            *response.status_mut() = StatusCode::GONE;
            response
        }
    })
}

/// A local event's RSVP poll (`Question`), with its current counts.
async fn rsvp_poll(ctx: Ctx, Path(id): Path<i64>) -> Result<Response, FedError> {
    let urls = ctx.urls.clone();
    let poll = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let Some(item) = weft_db::items::by_id(c, id)?
                .filter(|i| i.is_local && i.kind == ItemKind::Event && i.deleted_at.is_none())
            else {
                return Ok(None);
            };
            let details = weft_core::events::details(c, item, None)?;
            Ok(Some(weft_core::events::wire::poll_into_json(
                &urls,
                &details.parts(),
                weft_db::now(),
            )))
        })
        .await?
        .ok_or_else(|| FedError::not_found("no such event"))?;
    Ok(json(poll))
}

/// A public activity this instance sent.
async fn activity(ctx: Ctx, Path(id): Path<String>) -> Result<Response, FedError> {
    let ap_id = format!("{}activities/{id}", ctx.urls.base());
    let row = ctx
        .db
        .read(move |c| weft_db::outbox::by_ap_id(c, &ap_id))
        .await?
        .filter(|r| r.is_public)
        .ok_or_else(|| FedError::not_found("no such public activity"))?;
    let value: Value = serde_json::from_str(&row.body)
        .map_err(|e| FedError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(FederationJson(value).into_response())
}

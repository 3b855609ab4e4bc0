//! Remote actors and objects, fetched through the federation library (signed by the
//! instance actor) and cached in the database.

use crate::{Ctx, FedError};
use activitypub_federation::axum::json::FederationJson;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use activitypub_federation::traits::{Actor, Object};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use url::Url;
use weft_core::urls::host_port;
use weft_db::models::ActorRow;
use weft_protocol::WithContext;
use weft_protocol::{ActorJson, PostObject};

/// An actor row as the federation library sees it.
#[derive(Debug, Clone)]
pub struct DbActor {
    pub row: ActorRow,
    id: Url,
}

impl DbActor {
    pub fn new(row: ActorRow) -> Self {
        let id = Url::parse(&row.ap_id).expect("stored ids are URLs");
        DbActor { row, id }
    }
}

#[async_trait::async_trait]
impl Object for DbActor {
    type DataType = crate::AppState;
    type Kind = ActorJson;
    type Error = FedError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(weft_core::wire::utc(self.row.last_refreshed_at))
    }

    async fn read_from_id(object_id: Url, data: &Ctx) -> Result<Option<Self>, FedError> {
        let id = object_id.to_string();
        Ok(data
            .db
            .read(move |c| weft_db::actors::by_ap_id(c, &id))
            .await?
            .map(DbActor::new))
    }

    async fn into_json(self, data: &Ctx) -> Result<ActorJson, FedError> {
        Ok(weft_core::wire::actor_into_json(&data.urls, &self.row))
    }

    async fn verify(json: &ActorJson, expected_domain: &Url, _data: &Ctx) -> Result<(), FedError> {
        if host_port(&json.id) != host_port(expected_domain) {
            return Err(FedError::forbidden(format!(
                "actor {} was served from another host {expected_domain}",
                json.id
            )));
        }
        if !same_host(&json.inbox, &json.id) {
            return Err(FedError::forbidden(format!(
                "actor {} names an inbox on another host",
                json.id
            )));
        }
        if !same_host(&json.public_key.owner, &json.id) {
            return Err(FedError::forbidden(format!(
                "actor {} has a key owned by another host",
                json.id
            )));
        }
        if weft_protocol::httpsig::VerifyingKey::from_pem(&json.public_key.public_key_pem).is_err()
        {
            return Err(FedError::bad_request(format!(
                "actor {} has no readable RSA public key",
                json.id
            )));
        }
        Ok(())
    }

    async fn from_json(json: ActorJson, data: &Ctx) -> Result<Self, FedError> {
        let domain =
            host_port(&json.id).ok_or_else(|| FedError::bad_request("actor id has no host"))?;
        if data.urls.is_local(json.id.as_str()) {
            return Err(FedError::forbidden(
                "a remote document cannot replace a local actor",
            ));
        }
        let row = weft_core::wire::actor_from_json(&json, &domain);
        let stored = data
            .db
            .write(move |c| weft_db::actors::upsert(c, &row))
            .await?;
        Ok(DbActor::new(stored))
    }
}

fn same_host(a: &Url, b: &Url) -> bool {
    host_port(a) == host_port(b)
}

impl Actor for DbActor {
    fn public_key_pem(&self) -> &str {
        &self.row.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.row.inbox_url).expect("stored inboxes are URLs")
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox_url
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
    }
}

/// An actor by id: from the database, or fetched (and refreshed when stale).
pub async fn fetch_actor(id: &Url, data: &Ctx) -> Result<ActorRow, FedError> {
    Ok(ObjectId::<DbActor>::from(id.clone())
        .dereference(data)
        .await?
        .row)
}

/// Fetches an actor again, ignoring the cache (after a key rotation).
pub async fn refetch_actor(id: &Url, data: &Ctx) -> Result<ActorRow, FedError> {
    Ok(ObjectId::<DbActor>::from(id.clone())
        .dereference_forced(data)
        .await?
        .row)
}

/// An actor named by URL, `acct:name@host`, `@name@host` or `name@host`.
pub async fn resolve_actor(query: &str, data: &Ctx) -> Result<ActorRow, FedError> {
    let query = query.trim();
    if let Ok(url) = Url::parse(query)
        && (url.scheme() == "http" || url.scheme() == "https")
    {
        if data.urls.is_local(url.as_str()) {
            let id = url.to_string();
            return data
                .db
                .read(move |c| weft_db::actors::by_ap_id(c, &id))
                .await?
                .ok_or_else(|| FedError::not_found(format!("no actor {query} here")));
        }
        return fetch_actor(&url, data).await;
    }
    let handle = query.trim_start_matches("acct:").trim_start_matches('@');
    let Some((name, host)) = handle.split_once('@') else {
        return Err(FedError::bad_request(format!(
            "{query:?} is not an actor: give a URL or name@host"
        )));
    };
    if host == data.urls.domain() {
        let name = name.to_string();
        return data
            .db
            .read(move |c| weft_db::actors::local_by_username(c, &name))
            .await?
            .ok_or_else(|| FedError::not_found(format!("no actor {query} here")));
    }
    Ok(
        webfinger_resolve_actor::<crate::AppState, DbActor>(handle, data)
            .await?
            .row,
    )
}

/// Fetches an object from its own server (signed), so its content is authentic
/// whoever forwarded it. The library checks that the served id is the URL asked for.
pub async fn fetch_object(id: &Url, data: &Ctx) -> Result<PostObject, FedError> {
    fetch_as(id, data).await
}

/// [`fetch_object`], read as any object shape (an `Event`, …).
pub async fn fetch_as<T>(id: &Url, data: &Ctx) -> Result<T, FedError>
where
    T: Clone + serde::de::DeserializeOwned,
{
    let response = activitypub_federation::fetch::fetch_object_http::<_, T>(id, data).await?;
    Ok(response.object)
}

/// The routes served beside the cached read path: `GET /`, whose answer depends on
/// `Accept` (the response cache keys by URL alone).
pub fn root_router(
    config: activitypub_federation::config::FederationConfig<crate::AppState>,
) -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(root))
        .layer(activitypub_federation::config::FederationMiddleware::new(
            config,
        ))
}

/// `GET /`: the instance actor for ActivityPub clients (Lemmy looks for a site's actor
/// at its root), one line of text for anyone else (the web interface comes later).
async fn root(ctx: Ctx, headers: HeaderMap) -> Result<Response, FedError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let vary = [(header::VARY, "Accept")];
    if !wants_activity_json(accept) {
        let text = format!(
            "Weft instance {}; see /api/v1 for the API, /actor for the instance actor.\n",
            ctx.urls.domain()
        );
        return Ok((vary, text).into_response());
    }
    let id = ctx.urls.instance_actor().to_string();
    let actor = ctx
        .db
        .read(move |c| weft_db::actors::by_ap_id(c, &id))
        .await?
        .ok_or_else(|| FedError::not_found("no instance actor"))?;
    let json = weft_core::wire::actor_into_json(&ctx.urls, &actor);
    Ok((vary, FederationJson(WithContext::new(json))).into_response())
}

/// An `Accept` naming ActivityPub's JSON (`application/activity+json`, or JSON-LD).
fn wants_activity_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/activity+json")
            || media.eq_ignore_ascii_case("application/ld+json")
    })
}

//! Remote actors and objects, fetched through the federation library (signed by the
//! instance actor) and cached in the database.

use crate::{Ctx, FedError};
use activitypub_federation::axum::json::FederationJson;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Actor, Object};
use axum::http::{HeaderMap, StatusCode, header};
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

    async fn verify(json: &ActorJson, expected_domain: &Url, data: &Ctx) -> Result<(), FedError> {
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
        check_stored_urls(json, !data.dev)?;
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
            .write(move |c| -> Result<_, weft_core::CoreError> {
                let stored = weft_db::actors::upsert(c, &row)?;
                weft_core::communities::store_remote(c, &stored, &json)?;
                Ok(stored)
            })
            .await?;
        Ok(DbActor::new(stored))
    }
}

fn same_host(a: &Url, b: &Url) -> bool {
    host_port(a) == host_port(b)
}

/// Every URL of an actor that Weft will later send to or fetch from (inbox, shared
/// inbox, outbox, followers, key) is on the actor's own host and passes the address
/// rules: a peer cannot point Weft's deliveries at another server or an internal address.
fn check_stored_urls(json: &ActorJson, production: bool) -> Result<(), FedError> {
    let key_id = Url::parse(&json.public_key.id).map_err(|_| {
        FedError::bad_request(format!("actor {} has a key id that is not a URL", json.id))
    })?;
    let named = [
        ("inbox", Some(&json.inbox)),
        ("shared inbox", json.shared_inbox()),
        ("outbox", json.outbox.as_ref()),
        ("followers collection", json.followers.as_ref()),
        ("key", Some(&key_id)),
    ];
    for (what, url) in named {
        let Some(url) = url else { continue };
        if !same_host(url, &json.id) {
            return Err(FedError::forbidden(format!(
                "actor {} names a {what} on another host ({url})",
                json.id
            )));
        }
        weft_core::addresses::outgoing_allowed(url, production)
            .map_err(|e| FedError::forbidden(format!("actor {}'s {what}: {e}", json.id)))?;
    }
    weft_core::addresses::outgoing_allowed(&json.id, production)
        .map_err(|e| FedError::forbidden(format!("actor {}: {e}", json.id)))
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
    resolve(query, data, "community or person").await
}

/// A community named by URL or handle; 404 "no community X is known at Y" when its
/// server says so.
pub async fn resolve_community(query: &str, data: &Ctx) -> Result<ActorRow, FedError> {
    let actor = resolve(query, data, "community").await?;
    if !actor.is_group() {
        return Err(FedError::bad_request(format!(
            "{} is not a community",
            actor.ap_id
        )));
    }
    Ok(actor)
}

async fn resolve(query: &str, data: &Ctx, what: &str) -> Result<ActorRow, FedError> {
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
                .ok_or_else(|| FedError::not_found(format!("no {what} {query} here")));
        }
        let host = host_port(&url).unwrap_or_default();
        return fetch_actor(&url, data)
            .await
            .map_err(|e| from_server(e, &host));
    }
    let handle = query.trim_start_matches("acct:").trim_start_matches('@');
    let Some((name, host)) = handle.split_once('@') else {
        return Err(FedError::bad_request(format!(
            "{query:?} is not an actor: give a URL or name@host"
        )));
    };
    if host == data.urls.domain() {
        let owned = name.to_string();
        return data
            .db
            .read(move |c| weft_db::actors::local_by_username(c, &owned))
            .await?
            .ok_or_else(|| FedError::not_found(format!("no {what} {name} is known here")));
    }
    let id = webfinger(name, host, data, what).await?;
    fetch_actor(&id, data)
        .await
        .map_err(|e| from_server(e, host))
}

/// A failure to fetch from `host`, said so: its own 404 stays a 404; anything else is
/// the remote server's doing (502). The fetched document is never part of the message.
fn from_server(e: FedError, host: &str) -> FedError {
    if e.status == StatusCode::NOT_FOUND {
        return FedError::not_found(format!("{host}: {}", e.message));
    }
    FedError::new(
        StatusCode::BAD_GATEWAY,
        format!("{host} did not serve a usable actor: {}", e.message),
    )
}

/// The most of a WebFinger answer read.
const MAX_WEBFINGER: usize = 64 * 1024;

/// Asks `host` for `name`'s actor id by WebFinger (RFC 7033), with our own request so the
/// status is known: 404/410 → 404 "no {what} name is known at host"; a failure to
/// connect, another status or a document that is not WebFinger → 502 naming the server
/// and what it answered (never echoing it).
async fn webfinger(name: &str, host: &str, data: &Ctx, what: &str) -> Result<Url, FedError> {
    let scheme = if data.dev { "http" } else { "https" };
    let base = Url::parse(&format!("{scheme}://{host}/"))
        .ok()
        .filter(|u| host_port(u).as_deref() == Some(host) && !name.is_empty())
        .ok_or_else(|| FedError::bad_request(format!("{name}@{host} is not a handle")))?;
    weft_core::addresses::outgoing_allowed(&base, !data.dev).map_err(FedError::forbidden)?;
    let mut url = base.join(".well-known/webfinger").expect("url");
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{name}@{host}"));
    let gateway = |m: String| FedError::new(StatusCode::BAD_GATEWAY, m);
    let mut response = data
        .http
        .get(url)
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|e| {
            let why = if e.is_timeout() {
                "it did not answer in time"
            } else if e.is_connect() {
                "the connection failed"
            } else {
                "the request failed"
            };
            gateway(format!("{host} could not be reached for WebFinger: {why}"))
        })?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Err(FedError::not_found(format!(
            "no {what} {name} is known at {host}"
        )));
    }
    if !status.is_success() {
        return Err(gateway(format!("{host} answered WebFinger with {status}")));
    }
    let mut body = vec![];
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| gateway(format!("{host} broke off its WebFinger answer")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_WEBFINGER {
            return Err(gateway(format!(
                "{host} answered WebFinger with more than {MAX_WEBFINGER} bytes"
            )));
        }
    }
    let jrd: weft_protocol::wellknown::Webfinger = serde_json::from_slice(&body).map_err(|_| {
        gateway(format!(
            "{host} answered WebFinger with {status} but not a WebFinger document"
        ))
    })?;
    jrd.actor_id()
        .and_then(|id| Url::parse(id).ok())
        .ok_or_else(|| {
            FedError::not_found(format!(
                "{host} knows {name} but names no ActivityPub actor for it"
            ))
        })
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
    weft_core::addresses::outgoing_allowed(id, !data.dev).map_err(FedError::forbidden)?;
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
/// at its root), one line of text for anyone else (a browser, asking for HTML, gets the
/// web interface's directory instead: `weft_web::negotiate`).
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
    let json = crate::directory::instance_actor_json(&ctx, &actor);
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

/// A remote community's `Update(Group)` of itself (signed by it, checked by the caller):
/// the embedded Group is checked like a fetched one and stored with its profile.
pub(crate) async fn receive_group_update(
    ctx: &Ctx,
    id: &Url,
    activity: &weft_protocol::Envelope,
) -> Result<crate::inbox::Outcome, FedError> {
    let json: ActorJson = serde_json::from_value(activity.object.clone())
        .map_err(|e| FedError::bad_request(format!("the updated Group: {e}")))?;
    if json.id != *id {
        return Err(FedError::forbidden("an actor may only update itself"));
    }
    <DbActor as Object>::verify(&json, id, ctx).await?;
    let domain =
        host_port(&json.id).ok_or_else(|| FedError::bad_request("actor id has no host"))?;
    let row = weft_core::wire::actor_from_json(&json, &domain);
    let stored = crate::inbox::once(ctx, activity, move |c| {
        let stored = weft_db::actors::upsert(c, &row)?;
        weft_core::communities::store_remote(c, &stored, &json)?;
        Ok(stored)
    })
    .await?;
    let Some(stored) = stored else {
        return Ok(crate::inbox::Outcome::Ignored(format!(
            "{} was received before",
            activity.id
        )));
    };
    ctx.keys.remember(&stored);
    Ok(crate::inbox::Outcome::Done(format!(
        "stored the profile of {}",
        stored.ap_id
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real Mastodon actor (fixture), with one field changed per case.
    fn mastodon(change: impl FnOnce(&mut serde_json::Value)) -> ActorJson {
        let mut json: serde_json::Value = serde_json::from_str(include_str!(
            "../../weft-protocol/tests/fixtures/mastodon/person.json"
        ))
        .unwrap();
        change(&mut json);
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn an_actors_urls_must_be_its_own_and_public() {
        assert!(check_stored_urls(&mastodon(|_| {}), true).is_ok());
        type Change = fn(&mut serde_json::Value);
        let cases: [(&str, Change); 5] = [
            ("shared inbox elsewhere", |j| {
                j["endpoints"]["sharedInbox"] = "https://elsewhere.example/inbox".into()
            }),
            ("shared inbox at the metadata address", |j| {
                j["endpoints"]["sharedInbox"] = "https://169.254.169.254/inbox".into()
            }),
            ("outbox elsewhere", |j| {
                j["outbox"] = "https://elsewhere.example/outbox".into()
            }),
            ("key elsewhere", |j| {
                j["publicKey"]["id"] = "https://elsewhere.example/key".into()
            }),
            ("plain http", |j| {
                j["endpoints"]["sharedInbox"] = "http://masto.qa.urbanwildlife.biz/inbox".into()
            }),
        ];
        for (case, change) in cases {
            assert!(
                check_stored_urls(&mastodon(change), true).is_err(),
                "{case}"
            );
        }
    }
}

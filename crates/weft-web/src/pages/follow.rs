//! Following from one's own server: the visitor gives their handle, Weft asks their
//! server by WebFinger for its `http://ostatus.org/schema/1.0/subscribe` template and
//! sends them there with this actor's address; and the page this instance's own template
//! points at (`/authorize_interaction?uri=…`), which opens what was asked for here.

use crate::forms;
use crate::render::{PageError, see};
use crate::session::Viewer;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use url::Url;
use weft_protocol::wellknown::Webfinger;

/// The most of a WebFinger answer read.
const MAX_WEBFINGER: usize = 64 * 1024;

/// `name@host` (with or without the leading `@`), checked as a handle.
fn parse_handle(text: &str) -> Option<(String, String)> {
    let handle = text
        .trim()
        .trim_start_matches("acct:")
        .trim_start_matches('@');
    let (name, host) = handle.split_once('@')?;
    if name.is_empty() || host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    Some((name.to_string(), host.to_lowercase()))
}

fn refused(status: StatusCode, message: String, viewer: &Viewer) -> PageError {
    PageError::new(status, message).within(&viewer.chrome("Follow from your server"))
}

/// `POST /follow`: `handle` (the visitor's own) and `target` (what to follow here).
pub async fn remote_follow(
    viewer: Viewer,
    Form(form): Form<forms::RemoteFollow>,
) -> Result<Response, PageError> {
    let Some((name, host)) = parse_handle(&form.handle) else {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{:?} is not a handle: write yours as name@your.server (for example alex@mastodon.social)",
                form.handle.trim()
            ),
            &viewer,
        ));
    };
    let Some((target_name, target_host)) = parse_handle(&form.target) else {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to follow was named".into(),
            &viewer,
        ));
    };
    let target = target_name.clone();
    let actor = viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::local_by_username(c, &target))
        .await?
        .filter(|_| target_host == viewer.ctx.urls.domain())
        .ok_or_else(|| {
            refused(
                StatusCode::NOT_FOUND,
                format!("nothing named {target_name} is here"),
                &viewer,
            )
        })?;
    if host == viewer.ctx.urls.domain() {
        // An account here: the page itself has the buttons.
        let page = if actor.is_group() { "c" } else { "u" };
        return Ok(see(&format!("/{page}/{}", actor.username)));
    }
    let template = subscribe_template(&viewer, &name, &host).await?;
    let encoded = utf8_percent_encode(&actor.ap_id, NON_ALPHANUMERIC).to_string();
    let to = template.replace("{uri}", &encoded);
    match Url::parse(&to) {
        Ok(u) if u.scheme() == "https" || (viewer.ctx.dev && u.scheme() == "http") => {
            Ok(see(u.as_str()))
        }
        _ => Err(refused(
            StatusCode::BAD_GATEWAY,
            format!("{host} names a follow page that is not a web address"),
            &viewer,
        )),
    }
}

/// Asks `host` by WebFinger where its people follow from.
async fn subscribe_template(viewer: &Viewer, name: &str, host: &str) -> Result<String, PageError> {
    let scheme = if viewer.ctx.dev { "http" } else { "https" };
    let mut url =
        Url::parse(&format!("{scheme}://{host}/.well-known/webfinger")).map_err(|_| {
            refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{host} is not a server name"),
                viewer,
            )
        })?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{name}@{host}"));
    let unreachable = || {
        refused(
            StatusCode::BAD_GATEWAY,
            format!(
                "Your server {host} could not be reached to ask where you follow from. Check the handle, or search for this page's handle in your own app."
            ),
            viewer,
        )
    };
    let mut response = viewer
        .ctx
        .http
        .get(url)
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|_| unreachable())?;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(refused(
            StatusCode::NOT_FOUND,
            format!("{host} knows no account {name}: check your handle."),
            viewer,
        ));
    }
    if !response.status().is_success() {
        return Err(unreachable());
    }
    let mut body = vec![];
    while let Some(chunk) = response.chunk().await.map_err(|_| unreachable())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_WEBFINGER {
            return Err(unreachable());
        }
    }
    let jrd: Webfinger = serde_json::from_slice(&body).map_err(|_| unreachable())?;
    jrd.subscribe_template().map(str::to_string).ok_or_else(|| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Your server {host} does not offer following from another site. Copy this \
                 page's handle and search for it in your own app instead."
            ),
            viewer,
        )
    })
}

#[derive(Deserialize)]
pub struct InteractionQuery {
    uri: String,
}

/// `GET /authorize_interaction?uri=…`: where this instance's subscribe template sends
/// someone from another site: the page of the actor named (found, or fetched, by
/// `weft-federation`), where the buttons are.
pub async fn authorize_interaction(
    viewer: Viewer,
    Query(q): Query<InteractionQuery>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Follow");
    if viewer.me.is_none() {
        let back = format!(
            "/authorize_interaction?uri={}",
            utf8_percent_encode(&q.uri, NON_ALPHANUMERIC)
        );
        return Ok(see(&format!(
            "/login?next={}",
            utf8_percent_encode(&back, NON_ALPHANUMERIC)
        )));
    }
    let actor = weft_federation::resolve_actor(q.uri.trim(), &viewer.ctx)
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let page = super::ActorLink::from_row(&actor).href;
    Ok(see(&page))
}

//! WebFinger, NodeInfo 2.1 and host-meta.

use crate::{Ctx, FedError};
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use weft_db::models::actor_kind;
use weft_protocol::wellknown::*;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// `acct:name@domain` (or an actor URL) → the actor, with Lemmy's `properties.type`
/// telling a Group from a Person.
pub async fn webfinger(ctx: Ctx, Query(q): Query<WebfingerQuery>) -> Result<Response, FedError> {
    let resource = q
        .resource
        .ok_or_else(|| FedError::bad_request("add ?resource=acct:name@host"))?;
    let urls = ctx.urls.clone();
    let lookup = resource.clone();
    let actor = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            if let Some(handle) = lookup.strip_prefix("acct:") {
                let handle = handle.trim_start_matches('@');
                let (name, host) = handle
                    .split_once('@')
                    .ok_or_else(|| FedError::bad_request("resource must be acct:name@host"))?;
                if host != urls.domain() {
                    return Err(FedError::not_found(format!("{host} is not this instance")));
                }
                Ok(weft_db::actors::local_by_username(c, name)?)
            } else {
                Ok(weft_db::actors::by_ap_id(c, &lookup)?.filter(|a| a.is_local))
            }
        })
        .await?
        .ok_or_else(|| FedError::not_found(format!("no actor {resource} here")))?;
    let subject = format!("acct:{}@{}", actor.username, ctx.urls.domain());
    let mut properties = serde_json::Map::new();
    properties.insert(
        "https://www.w3.org/ns/activitystreams#type".into(),
        actor.kind.clone().into(),
    );
    let body = Webfinger {
        subject,
        aliases: vec![actor.ap_id.clone()],
        links: vec![
            WebfingerLink {
                rel: "self".into(),
                kind: Some(weft_protocol::ACTIVITY_JSON.into()),
                href: Some(actor.ap_id.clone()),
                properties: Some(properties),
                template: None,
            },
            // The actor's page in the web interface (the same address, asked for HTML).
            WebfingerLink {
                rel: weft_protocol::wellknown::PROFILE_PAGE_REL.into(),
                kind: Some("text/html".into()),
                href: Some(actor.ap_id.clone()),
                properties: None,
                template: None,
            },
            // Where someone with an account here follows `{uri}` from (remote follow).
            WebfingerLink {
                rel: weft_protocol::wellknown::SUBSCRIBE_REL.into(),
                kind: None,
                href: None,
                properties: None,
                template: Some(format!(
                    "{}authorize_interaction?uri={{uri}}",
                    ctx.urls.base()
                )),
            },
        ],
    };
    Ok((
        [(header::CONTENT_TYPE, "application/jrd+json")],
        axum::Json(body),
    )
        .into_response())
}

pub async fn nodeinfo_links(ctx: Ctx) -> Response {
    axum::Json(serde_json::json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}nodeinfo/2.1", ctx.urls.base()),
        }]
    }))
    .into_response()
}

pub async fn nodeinfo(ctx: Ctx) -> Result<Response, FedError> {
    let (users, communities, posts) = ctx
        .db
        .read(|c| -> Result<_, FedError> {
            Ok((
                weft_db::actors::count_local(c, actor_kind::PERSON)?,
                weft_db::actors::count_local(c, actor_kind::GROUP)?,
                weft_db::items::count_local(c)?,
            ))
        })
        .await?;
    let body = NodeInfo {
        version: "2.1".into(),
        software: NodeInfoSoftware {
            name: "weft".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            repository: None,
        },
        protocols: vec!["activitypub".into()],
        services: NodeInfoServices {
            inbound: vec![],
            outbound: vec![],
        },
        open_registrations: false,
        usage: NodeInfoUsage {
            users: NodeInfoUsers { total: users },
            local_posts: posts,
        },
        metadata: serde_json::json!({
            "communities": communities,
            "directory": ctx.urls.directory(),
        }),
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        )],
        axum::Json(body),
    )
        .into_response())
}

pub async fn host_meta(ctx: Ctx) -> Response {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="{}.well-known/webfinger?resource={{uri}}"/>
</XRD>
"#,
        ctx.urls.base()
    );
    ([(header::CONTENT_TYPE, "application/xrd+xml")], xml).into_response()
}

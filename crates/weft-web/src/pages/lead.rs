//! What leads and facilitators do: answer requests to join, schedule and cancel events,
//! activate or archive the community. The services decide who may; a refusal shows why.

use super::ActorLink;
use crate::forms::{self, given};
use crate::render::{Chrome, PageError, ok, see, when};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDateTime, TimeZone};
use weft_core::CoreError;
use weft_core::events::{EventFields, Place};
use weft_db::models::{ActorRow, actor_kind};

async fn community(viewer: &Viewer, name: &str) -> Result<ActorRow, PageError> {
    let owned = name.to_string();
    viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::local_by_username(c, &owned))
        .await?
        .filter(|a| a.kind == actor_kind::GROUP)
        .ok_or_else(|| PageError::not_found(format!("There is no community named {name} here.")))
}

pub struct RequestLine {
    pub id: i64,
    pub who: ActorLink,
    pub since: String,
}

#[derive(Template)]
#[template(path = "manage.html")]
struct ManagePage {
    c: Chrome,
    name: String,
    link: ActorLink,
    lifecycle: &'static str,
    requests: Vec<RequestLine>,
    timezone: String,
    join_policy: String,
}

/// `GET /c/{name}/manage`: requests waiting, scheduling, the lifecycle (for those the
/// services let see and do them).
pub async fn manage(viewer: Viewer, Path(name): Path<String>) -> Result<Response, PageError> {
    let chrome = viewer.chrome(format!("Manage {name}"));
    let me = viewer.member()?;
    let group = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let g = group.clone();
    let (requests, profile, details) = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let requests = weft_core::membership::requests(c, &me, &g, None, 100)?;
            let details = weft_core::membership::details(c, &g)?;
            Ok((requests, weft_core::communities::load(c, &g)?, details))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(ok(&ManagePage {
        c: chrome,
        link: ActorLink::from_row(&group),
        name,
        lifecycle: profile.lifecycle().as_str(),
        requests: requests
            .iter()
            .map(|(f, who)| RequestLine {
                id: f.id,
                who: ActorLink::from_row(who),
                since: when(&f.created_at),
            })
            .collect(),
        timezone: "Europe/London".into(),
        join_policy: details.join_policy,
    }))
}

/// `POST /c/{name}/requests/{id}/{accept|reject}`.
pub async fn answer_request(
    viewer: Viewer,
    Path((name, id, decision)): Path<(String, i64, String)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Requests to join");
    let me = viewer.member()?;
    let accept = match decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => return Err(PageError::not_found("say accept or reject").within(&chrome)),
    };
    let group = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| weft_core::membership::answer_request(c, &urls, &me, &group, id, accept))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("/c/{name}/manage")))
}

/// `POST /c/{name}/lifecycle/{activate|archive|reopen}`.
pub async fn lifecycle(
    viewer: Viewer,
    Path((name, step)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Lifecycle");
    let me = viewer.member()?;
    let group = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    let done = match step.as_str() {
        "activate" => "activated",
        "archive" => "archived",
        "reopen" => "activated",
        _ => return Err(PageError::not_found("no such step").within(&chrome)),
    };
    viewer
        .ctx
        .db
        .write(move |c| {
            use weft_core::communities::lifecycle as l;
            match step.as_str() {
                "activate" => l::activate(c, &urls, &me, &group),
                "archive" => l::archive(c, &urls, &me, &group),
                _ => l::reopen(c, &urls, &me, &group),
            }
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("/c/{name}?done={done}")))
}

/// A `datetime-local` value in a time zone, as RFC 3339 with its offset (the service
/// reads times only with their offset).
fn with_offset(local: &str, zone: &str) -> Result<String, CoreError> {
    let tz = weft_core::events::fields::zone(zone)?;
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(local.trim(), f).ok())
        .ok_or_else(|| CoreError::Invalid(format!("{local:?} is not a date and time")))?;
    let at = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| CoreError::Invalid(format!("{local} does not exist in {zone}")))?;
    Ok(at.to_rfc3339())
}

/// `POST /c/{name}/schedule`: a new event.
pub async fn schedule(
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<forms::Schedule>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Schedule an event");
    let me = viewer.member()?;
    let group = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let zone = given(&form.timezone).unwrap_or("UTC").to_string();
    let starts =
        with_offset(&form.starts_at, &zone).map_err(|e| PageError::from(e).within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    let details = viewer
        .ctx
        .db
        .write(move |c| {
            weft_core::events::schedule(
                c,
                &urls,
                &me,
                &group,
                EventFields {
                    title: &form.title,
                    description: &form.description,
                    starts_at: &starts,
                    ends_at: None,
                    timezone: Some(&zone),
                    online_url: given(&form.online_url),
                    place: given(&form.place).map(|p| Place {
                        name: Some(p),
                        address: None,
                    }),
                    capacity: None,
                },
            )
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!(
        "/c/{name}/events/{}?done=scheduled",
        details.item.id
    )))
}

/// `POST /c/{name}/events/{id}/cancel`.
pub async fn cancel_event(
    viewer: Viewer,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Cancel the event");
    let me = viewer.member()?;
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| weft_core::events::cancel(c, &urls, &me, id))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    if name.is_empty() {
        return Err(PageError::new(StatusCode::BAD_REQUEST, "no community"));
    }
    Ok(see(&format!("/c/{name}/events/{id}?done=cancelled")))
}

/// `POST /c/{name}/join-policy`: open, approval or invite.
pub async fn set_join_policy(
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<forms::JoinPolicy>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("How people join");
    let me = viewer.member()?;
    let group = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| {
            weft_core::membership::set_join_policy(c, &urls, &me, &group, form.join_policy.trim())
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("/c/{name}/manage")))
}

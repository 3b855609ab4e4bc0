//! What admins do here: the registration policy and the registrations waiting for it.

use crate::forms;
use crate::render::{Chrome, PageError, ok, see, when};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use weft_core::CoreError;
use weft_core::registration::{self, RegistrationPolicy};

pub struct PendingLine {
    pub username: String,
    pub email: String,
    pub application: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Chrome,
    policy: &'static str,
    pending: Vec<PendingLine>,
    people: i64,
    communities: i64,
}

/// `GET /admin`: the registration policy and pending registrations (admins only: the
/// service refuses anyone else).
pub async fn settings(viewer: Viewer) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Administration");
    let me = viewer.member()?;
    let (policy, pending, people, communities) = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let pending = registration::pending(c, &me, None, 200)?;
            Ok((
                registration::policy(c)?,
                pending,
                weft_db::actors::count_local(c, weft_db::models::actor_kind::PERSON)?,
                weft_db::actors::count_local(c, weft_db::models::actor_kind::GROUP)?,
            ))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(ok(&AdminPage {
        c: chrome,
        policy: policy.as_str(),
        pending: pending
            .iter()
            .map(|(a, u)| PendingLine {
                username: a.username.clone(),
                email: u.email.clone().unwrap_or_default(),
                application: u.application.clone().unwrap_or_default(),
                since: when(&u.created_at),
            })
            .collect(),
        people,
        communities,
    }))
}

/// `POST /admin/policy`.
pub async fn set_policy(
    viewer: Viewer,
    Form(form): Form<forms::Policy>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Administration");
    let me = viewer.member()?;
    let policy = RegistrationPolicy::parse(&form.registration_policy)
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer
        .ctx
        .db
        .write(move |c| registration::set_policy(c, &me, policy))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(see("/admin"))
}

/// `POST /admin/registrations/{username}/{approve|reject}`.
pub async fn decide(
    viewer: Viewer,
    Path((username, decision)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Administration");
    let me = viewer.member()?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(PageError::not_found("say approve or reject").within(&chrome)),
    };
    viewer
        .ctx
        .db
        .write(move |c| registration::decide(c, &me, &username, approve))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(see("/admin"))
}

//! Accounts: log in and out (a session cookie), sign up under the registration policy,
//! and one's API tokens.

use crate::forms::{self, given};
use crate::render::{Chrome, PageError, ok, see, when};
use crate::session::{SESSION_COOKIE, Viewer, set_cookie};
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use weft_core::registration::{self, RegistrationPolicy};
use weft_core::{CoreError, auth};
use weft_db::models::account_status;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Only a path on this site (`/c/x`), never another site, is a place to go after.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/home".into(),
    }
}

pub async fn login_form(viewer: Viewer, Query(q): Query<NextQuery>) -> Response {
    ok(&LoginPage {
        c: viewer.chrome("Log in"),
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
    })
}

/// The client's address for the log-in limits: the peer, or behind a local proxy the
/// last `X-Forwarded-For` entry (as the API reads it).
fn client_address(peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<String> {
    let peer = peer?.ip();
    if peer.is_loopback()
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return Some(forwarded.to_string());
    }
    Some(peer.to_string())
}

/// `POST /login`: checks the password (with the service's limits on failures) and
/// starts a session.
pub async fn log_in(
    viewer: Viewer,
    headers: HeaderMap,
    connection: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<forms::LogIn>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Log in");
    let address = client_address(connection.map(|c| (c.0).0), &headers);
    let next = safe_next(form.next.as_deref());
    let db = viewer.ctx.db.clone();
    let person = match auth::log_in(&db, &form.username, &form.password, address.as_deref()).await {
        Ok((person, _)) => person,
        Err(e @ (CoreError::Unauthorized(_) | CoreError::TooMany(_) | CoreError::Forbidden(_))) => {
            let status = match &e {
                CoreError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
                CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            return Ok(crate::render::page(
                status,
                &LoginPage {
                    c: chrome,
                    username: form.username,
                    next,
                    error: Some(e.to_string()),
                },
            ));
        }
        Err(e) => return Err(PageError::from(e).within(&chrome)),
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>());
    let (_, secret) = db
        .write(move |c| auth::start_session(c, &person, agent.as_deref()))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let mut response = see(&next);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, Some(&secret), viewer.dev),
    );
    Ok(response)
}

/// `POST /logout`: ends the session here and in the database.
pub async fn log_out(viewer: Viewer) -> Result<Response, PageError> {
    if let Some(secret) = viewer.secret.clone() {
        viewer
            .ctx
            .db
            .write(move |c| auth::end_session(c, &secret))
            .await?;
    }
    let mut response = see("/");
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, viewer.dev),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    c: Chrome,
    policy: &'static str,
    username: String,
    email: String,
    application: String,
    invitation: String,
    error: Option<String>,
    /// Registered, waiting for an admin.
    waiting: bool,
}

async fn policy(viewer: &Viewer) -> Result<RegistrationPolicy, PageError> {
    Ok(viewer.ctx.db.read(registration::policy).await?)
}

pub async fn signup_form(viewer: Viewer) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Sign up");
    let policy = policy(&viewer).await.map_err(|e| e.within(&chrome))?;
    Ok(ok(&SignupPage {
        c: chrome,
        policy: policy.as_str(),
        username: String::new(),
        email: String::new(),
        application: String::new(),
        invitation: String::new(),
        error: None,
        waiting: false,
    }))
}

/// `POST /signup`: registers under the instance's policy (the service decides); an
/// active account is signed in at once.
pub async fn sign_up(
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<forms::SignUp>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Sign up");
    let policy = policy(&viewer).await.map_err(|e| e.within(&chrome))?;
    let username = form.username.trim().to_string();
    let again = |error: String, waiting: bool| SignupPage {
        c: chrome.clone(),
        policy: policy.as_str(),
        username: username.clone(),
        email: form.email.clone(),
        application: form.application.clone().unwrap_or_default(),
        invitation: form.invitation.clone().unwrap_or_default(),
        error: (!error.is_empty()).then_some(error),
        waiting,
    };
    let checked = auth::check_password(&form.password, &username)
        .and_then(|_| registration::normalise_email(&form.email).map(|_| ()));
    if let Err(e) = checked {
        return Ok(crate::render::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &again(e.to_string(), false),
        ));
    }
    let password = form.password.clone();
    let (hash, keys) = tokio::task::spawn_blocking(move || {
        (auth::hash_password(&password), weft_core::keys::generate())
    })
    .await
    .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let urls = viewer.ctx.urls.clone();
    let (u, email) = (username.clone(), form.email.clone());
    let application = given(&form.application).map(str::to_string);
    let invitation = given(&form.invitation).map(str::to_string);
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|a| a.chars().take(200).collect::<String>());
    let registered = viewer
        .ctx
        .db
        .write(move |c| -> Result<_, CoreError> {
            let (actor, account) = registration::register(
                c,
                &urls,
                &registration::Registration {
                    username: &u,
                    email: &email,
                    password_hash: hash,
                    application: application.as_deref(),
                    invitation: invitation.as_deref(),
                },
                keys,
            )?;
            if account.status != account_status::ACTIVE {
                return Ok(None);
            }
            Ok(Some(auth::start_session(c, &actor, agent.as_deref())?.1))
        })
        .await;
    match registered {
        Ok(Some(secret)) => {
            let mut response = see("/home");
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, Some(&secret), viewer.dev),
            );
            Ok(response)
        }
        Ok(None) => Ok(ok(&again(String::new(), true))),
        Err(
            e @ (CoreError::Invalid(_)
            | CoreError::Conflict(_)
            | CoreError::Forbidden(_)
            | CoreError::NotFound(_)),
        ) => {
            let message = e.to_string();
            let status = PageError::from(e).status;
            Ok(crate::render::page(status, &again(message, false)))
        }
        Err(e) => Err(PageError::from(e).within(&chrome)),
    }
}

pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: Option<String>,
    pub last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<TokenLine>,
    /// A token just made: its secret, shown this once.
    new_token: Option<String>,
}

async fn tokens_page(viewer: &Viewer, new_token: Option<String>) -> Result<Response, PageError> {
    let chrome = viewer.chrome("API tokens");
    let me = viewer.member()?;
    let rows = viewer
        .ctx
        .db
        .read(move |c| auth::tokens(c, &me, None, 200))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(ok(&TokensPage {
        c: chrome,
        tokens: rows
            .iter()
            .map(|t| TokenLine {
                id: t.id,
                name: t.name.clone(),
                created: when(&t.created_at),
                expires: t.expires_at.as_ref().map(when),
                last_used: t.last_used_at.as_ref().map(when),
            })
            .collect(),
        new_token,
    }))
}

/// `GET /settings/tokens`: the member's API tokens (never their secrets).
pub async fn tokens(viewer: Viewer) -> Result<Response, PageError> {
    tokens_page(&viewer, None).await
}

/// `POST /settings/tokens`: a new token, shown once.
pub async fn create_token(
    viewer: Viewer,
    Form(form): Form<forms::NewToken>,
) -> Result<Response, PageError> {
    let me = viewer.member()?;
    let chrome = viewer.chrome("API tokens");
    let (_, secret) = viewer
        .ctx
        .db
        .write(move |c| auth::create_token(c, &me, &form.name, None))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    tokens_page(&viewer, Some(secret)).await
}

pub async fn revoke_token(viewer: Viewer, Path(id): Path<i64>) -> Result<Response, PageError> {
    let me = viewer.member()?;
    let chrome = viewer.chrome("API tokens");
    viewer
        .ctx
        .db
        .write(move |c| auth::revoke_token(c, &me, id))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(see("/settings/tokens").into_response())
}

//! Who is asking: the session cookie (`weft_session`, from `weft_core::auth` sessions),
//! and the form token every state-changing form carries ([`csrf`] refuses a `POST`
//! without the right one). A signed-in person's token is derived from their session
//! secret; a visitor's (log-in, sign-up) is the random `weft_csrf` cookie's value.

use crate::render::{Chrome, PageError};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use weft_core::auth;
use weft_db::models::ActorRow;
use weft_federation::Ctx;

pub const SESSION_COOKIE: &str = "weft_session";
pub const CSRF_COOKIE: &str = "weft_csrf";
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "csrf";
/// The largest form read (posts are far smaller).
const MAX_FORM: usize = 256 * 1024;

/// The interface's settings, put in every request by the router.
#[derive(Clone, Copy, Debug)]
pub struct WebConfig {
    /// Development mode: cookies without `Secure` (plain http on localhost).
    pub dev: bool,
}

/// A visitor's form token made for this request (no cookie was sent yet).
#[derive(Clone, Debug)]
struct FreshToken(String);

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for one of the interface's cookies: `HttpOnly`, `SameSite=Lax`, and
/// `Secure` outside development mode. `None` clears it.
pub fn set_cookie(name: &str, value: Option<&str>, dev: bool) -> HeaderValue {
    let secure = if dev { "" } else { "; Secure" };
    let text = match value {
        Some(v) => format!(
            "{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            auth::SESSION_LIFETIME.num_seconds()
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).expect("cookie values are base64")
}

/// The form token of a session: not the secret, but only its holder can know it.
fn session_token(secret: &str) -> String {
    let digest = Sha256::digest(format!("weft-form-token:{secret}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..24])
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The token a form from this browser must carry.
fn expected_token(parts: &Parts) -> Option<String> {
    if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) {
        return Some(session_token(secret));
    }
    if let Some(fresh) = parts.extensions.get::<FreshToken>() {
        return Some(fresh.0.clone());
    }
    cookie(&parts.headers, CSRF_COOKIE).map(str::to_string)
}

/// Middleware: gives a visitor without one a form-token cookie, and refuses (403) a
/// `POST` whose `csrf` field is missing or wrong, before any handler runs.
pub async fn csrf(request: Request, next: Next) -> Response {
    let dev = request
        .extensions()
        .get::<WebConfig>()
        .is_none_or(|c| c.dev);
    let (mut parts, body) = request.into_parts();
    if parts.method == Method::POST {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
            return PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large")
                .into_response();
        };
        let sent = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        let expected = expected_token(&parts);
        let fine = match (sent, expected) {
            (Some(sent), Some(expected)) => same(sent.as_bytes(), expected.as_bytes()),
            _ => false,
        };
        if !fine {
            return PageError::new(
                StatusCode::FORBIDDEN,
                "This form could not be checked as coming from this site (its security \
                 token is missing or out of date). Go back, reload the page and try again.",
            )
            .into_response();
        }
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let fresh = (cookie(&parts.headers, SESSION_COOKIE).is_none()
        && cookie(&parts.headers, CSRF_COOKIE).is_none())
    .then(random_token);
    if let Some(token) = &fresh {
        parts.extensions.insert(FreshToken(token.clone()));
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(token) = fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, Some(&token), dev),
        );
    }
    response
}

/// Compares in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who is asking (signed in or not), with the page chrome that follows from it.
pub struct Viewer {
    pub ctx: Ctx,
    pub me: Option<ActorRow>,
    pub is_admin: bool,
    pub csrf: String,
    pub dev: bool,
    /// The session cookie's secret, when signed in.
    pub secret: Option<String>,
}

impl Viewer {
    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            domain: self.ctx.urls.domain().to_string(),
            me: self.me.as_ref().map(|m| m.username.clone()),
            is_admin: self.is_admin,
            csrf: self.csrf.clone(),
            notice: None,
        }
    }

    /// The signed-in person, or "log in to do this".
    pub fn member(&self) -> Result<ActorRow, PageError> {
        self.me
            .clone()
            .ok_or_else(|| PageError::login().within(&self.chrome("Please log in")))
    }

    /// Who reads: the signed-in person, or for a visitor the instance actor (who sees
    /// what anyone may: published posts only).
    pub async fn reader(&self) -> Result<ActorRow, PageError> {
        if let Some(me) = &self.me {
            return Ok(me.clone());
        }
        let id = self.ctx.urls.instance_actor().to_string();
        self.ctx
            .db
            .read(move |c| weft_db::actors::by_ap_id(c, &id))
            .await?
            .ok_or_else(|| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "no instance actor"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(|(s, m)| PageError::new(s, m))?;
        let dev = parts.extensions.get::<WebConfig>().is_none_or(|c| c.dev);
        let csrf = expected_token(parts).unwrap_or_default();
        let secret = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string);
        let (me, is_admin) = match secret.clone() {
            Some(secret) => {
                ctx.db
                    .write(move |c| -> Result<_, weft_core::CoreError> {
                        let me = match auth::session(c, &secret) {
                            Ok(me) => me,
                            Err(weft_core::CoreError::Unauthorized(_))
                            | Err(weft_core::CoreError::Forbidden(_)) => return Ok((None, false)),
                            Err(e) => return Err(e),
                        };
                        let admin = weft_core::rules::may_administer(c, &me).is_ok();
                        Ok((Some(me), admin))
                    })
                    .await?
            }
            None => (None, false),
        };
        Ok(Viewer {
            ctx,
            secret: if me.is_some() { secret } else { None },
            me,
            is_admin,
            csrf,
            dev,
        })
    }
}

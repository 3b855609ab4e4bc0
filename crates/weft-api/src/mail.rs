//! Mail, as a person uses it: confirming their address (the link in the confirmation
//! mail), resetting a forgotten password, their mail settings (the weekly digest), and
//! stopping the digest from its link without logging in (RFC 8058 one-click).

use crate::accounts::{Member, client_address};
use crate::error::{ApiError, core, json_rejection};
use crate::openapi::*;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::mail::account;
use weft_core::{CoreError, auth, sanitize};
use weft_federation::Ctx;

pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(confirm_link, confirm))
        .routes(routes!(resend_confirmation))
        .routes(routes!(request_reset))
        .routes(routes!(reset_password))
        .routes(routes!(settings, set_settings))
        .routes(routes!(unsubscribe_page, unsubscribe))
}

fn time(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// A confirmed address.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ConfirmedView {
    pub username: String,
    pub email: String,
    pub confirmed_at: String,
}

/// A person's address and mail settings.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MailSettingsView {
    pub email: Option<String>,
    /// When the address was confirmed; none: not yet (only confirmation and password
    /// reset mails are sent to it).
    pub email_confirmed_at: Option<String>,
    /// The weekly digest of what happened in their communities.
    pub digest: bool,
    /// When the last digest was made.
    pub digest_last_at: Option<String>,
}

/// An answer that says what was done, for a person to read.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct DoneView {
    pub detail: String,
}

/// Whose digest an unsubscribe link stops, and whether it is on.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct UnsubscribeView {
    pub username: String,
    pub digest: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// The secret from the mail's link.
    token: String,
}

#[derive(Deserialize, ToSchema)]
struct TokenRequest {
    /// The secret from the mail's link.
    token: String,
}

async fn do_confirm(ctx: &Ctx, token: String) -> Result<Json<ConfirmedView>, ApiError> {
    let (person, email, at) = ctx
        .db
        .write(move |c| account::confirm(c, &token))
        .await
        .map_err(core)?;
    Ok(Json(ConfirmedView {
        username: person.username,
        email,
        confirmed_at: time(at),
    }))
}

/// Confirms an address: the link in the confirmation mail (single use, 48 hours).
#[utoipa::path(get, path = "/api/v1/accounts/confirm", tag = "mail", params(TokenQuery),
    responses((status = 200, description = "The address is confirmed", body = ConfirmedView),
        BadRequest, Forbidden, ServerError))]
async fn confirm_link(
    ctx: Ctx,
    Query(query): Query<TokenQuery>,
) -> Result<Json<ConfirmedView>, ApiError> {
    do_confirm(&ctx, query.token).await
}

/// Confirms an address with the token from the confirmation mail (single use, 48 hours).
#[utoipa::path(post, path = "/api/v1/accounts/confirm", tag = "mail",
    request_body = TokenRequest,
    responses((status = 200, description = "The address is confirmed", body = ConfirmedView),
        BadBody, Forbidden, ServerError))]
async fn confirm(
    ctx: Ctx,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<ConfirmedView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    do_confirm(&ctx, body.token).await
}

/// Sends a new confirmation link to the member's address.
#[utoipa::path(post, path = "/api/v1/accounts/me/confirmation", tag = "mail",
    security(("bearer" = [])),
    responses((status = 202, description = "A confirmation mail is queued", body = DoneView),
        BadRequest, Unauthorized, Conflict, ServerError))]
async fn resend_confirmation(
    ctx: Ctx,
    Member(me): Member,
) -> Result<(StatusCode, Json<DoneView>), ApiError> {
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| account::resend_confirmation(c, &urls, &me))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DoneView {
            detail: "a new confirmation link is on its way".into(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
struct ResetRequest {
    /// The account's email address.
    email: String,
}

/// Asks for a password reset code by mail. The answer is the same whether or not an
/// account has the address; asking is limited per address and per client like log-ins.
#[utoipa::path(post, path = "/api/v1/password/reset-request", tag = "mail",
    request_body = ResetRequest,
    responses((status = 202, description = "If an account has the address, a code is on its way", body = DoneView),
        BadBody, TooMany, ServerError))]
async fn request_reset(
    ctx: Ctx,
    headers: HeaderMap,
    connection: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<ResetRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<DoneView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let address = client_address(connection.map(|c| (c.0).0), &headers);
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| account::request_reset(c, &urls, &body.email, address.as_deref()))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DoneView {
            detail: "if an account here has that address, a reset code is on its way to it \
                     (it works for one hour)"
                .into(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
struct NewPasswordRequest {
    /// The code from the reset mail.
    token: String,
    password: String,
}

/// Sets a new password with the code from a reset mail (single use, one hour); ends every
/// session of the account.
#[utoipa::path(post, path = "/api/v1/password/reset", tag = "mail",
    request_body = NewPasswordRequest,
    responses((status = 200, description = "The password is set: log in with it", body = DoneView),
        BadBody, Forbidden, ServerError))]
async fn reset_password(
    ctx: Ctx,
    body: Result<Json<NewPasswordRequest>, JsonRejection>,
) -> Result<Json<DoneView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let token = body.token.clone();
    let person = ctx
        .db
        .read(move |c| account::reset_holder(c, &token))
        .await
        .map_err(core)?;
    auth::check_password(&body.password, &person.username).map_err(core)?;
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let token = body.token;
    let person = ctx
        .db
        .write(move |c| account::reset_password(c, &token, &hash))
        .await
        .map_err(core)?;
    Ok(Json(DoneView {
        detail: format!("the password of {} is set: log in with it", person.username),
    }))
}

fn settings_view(email: Option<String>, row: weft_db::mail::AccountMailRow) -> MailSettingsView {
    MailSettingsView {
        email,
        email_confirmed_at: row.email_confirmed_at.map(time),
        digest: row.digest,
        digest_last_at: row.digest_last_at.map(time),
    }
}

/// The member's address and mail settings.
#[utoipa::path(get, path = "/api/v1/accounts/me/mail", tag = "mail", security(("bearer" = [])),
    responses((status = 200, description = "The member's mail settings", body = MailSettingsView),
        Unauthorized, NotFound, ServerError))]
async fn settings(ctx: Ctx, Member(me): Member) -> Result<Json<MailSettingsView>, ApiError> {
    let (email, row) = ctx
        .db
        .read(move |c| account::settings(c, &me))
        .await
        .map_err(core)?;
    Ok(Json(settings_view(email, row)))
}

#[derive(Deserialize, ToSchema)]
struct SettingsRequest {
    /// The weekly digest on (needs a confirmed address) or off.
    digest: bool,
}

/// Turns the member's weekly digest on or off.
#[utoipa::path(put, path = "/api/v1/accounts/me/mail", tag = "mail", security(("bearer" = [])),
    request_body = SettingsRequest,
    responses((status = 200, description = "The member's mail settings", body = MailSettingsView),
        BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
async fn set_settings(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<SettingsRequest>, JsonRejection>,
) -> Result<Json<MailSettingsView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let (email, row) = ctx
        .db
        .write(move |c| account::set_digest(c, &me, body.digest))
        .await
        .map_err(core)?;
    Ok(Json(settings_view(email, row)))
}

/// True when the client (a browser) prefers HTML to JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 2em auto;\">\
         <h1 style=\"font-size: 1.3em;\">{title}</h1>{body}</body></html>"
    ))
    .into_response()
}

/// Shows whose weekly digest the link stops (a browser gets a page with the button that
/// stops it); changes nothing, so mail scanners that open links stop nothing.
#[utoipa::path(get, path = "/api/v1/unsubscribe", tag = "mail", params(TokenQuery),
    responses((status = 200, description = "Whose digest the link stops (JSON, or an HTML page for a browser)",
        content((UnsubscribeView = "application/json"), (String = "text/html"))),
        BadRequest, Forbidden, ServerError))]
async fn unsubscribe_page(
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, ApiError> {
    let token = query.token.clone();
    let (person, settings) = ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let person = account::unsubscribe_holder(c, &token)?;
            let settings = weft_db::mail::settings(c, person.id)?;
            Ok((person, settings))
        })
        .await
        .map_err(core)?;
    if !wants_html(&headers) {
        return Ok(Json(UnsubscribeView {
            username: person.username,
            digest: settings.digest,
        })
        .into_response());
    }
    let name = sanitize::escape(&person.username);
    let body = if settings.digest {
        let action = sanitize::escape(ctx.urls.unsubscribe(&query.token).as_str());
        format!(
            "<p>Stop the weekly digest of {name} at {domain}?</p>\
             <form method=\"post\" action=\"{action}\"><input type=\"hidden\" \
             name=\"List-Unsubscribe\" value=\"One-Click\"><button>Stop the digest</button></form>",
            domain = sanitize::escape(ctx.urls.domain())
        )
    } else {
        format!("<p>The weekly digest of {name} is off already.</p>")
    };
    Ok(page("Weekly digest", &body))
}

/// Stops the weekly digest of the link's holder without logging in: the RFC 8058
/// one-click address of the digest's `List-Unsubscribe` header (any body is ignored).
#[utoipa::path(post, path = "/api/v1/unsubscribe", tag = "mail", params(TokenQuery),
    responses((status = 200, description = "The digest is off (JSON, or an HTML page for a browser)",
        content((UnsubscribeView = "application/json"), (String = "text/html"))),
        BadRequest, Forbidden, ServerError))]
async fn unsubscribe(
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, ApiError> {
    let person = ctx
        .db
        .write(move |c| account::unsubscribe(c, &query.token))
        .await
        .map_err(core)?;
    if wants_html(&headers) {
        let name = sanitize::escape(&person.username);
        return Ok(page(
            "Weekly digest",
            &format!(
                "<p>The weekly digest of {name} is off. You can turn it on again in your settings.</p>"
            ),
        ));
    }
    Ok(Json(UnsubscribeView {
        username: person.username,
        digest: false,
    })
    .into_response())
}

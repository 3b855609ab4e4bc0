//! Accounts: registering, logging in for an API token, managing one's tokens, and the
//! admin's side (registration policy, waiting registrations, invitations). Also the
//! `Member` extractor every authenticated route uses.

pub mod views;

use crate::error::{ApiError, core, json_rejection};
use crate::openapi::*;
use crate::query::{AfterQuery, parse_time};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use views::*;
use weft_core::registration::{self, RegistrationPolicy};
use weft_core::{CoreError, auth};
use weft_db::models::{ActorRow, account_status};
use weft_federation::Ctx;

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(instance))
        .routes(routes!(register))
        .routes(routes!(log_in))
        .routes(routes!(tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(set_instance))
        .routes(routes!(pending))
        .routes(routes!(decide))
        .routes(routes!(invite))
}

/// The local person behind `Authorization: Bearer <token>`.
pub struct Member(pub ActorRow);

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(|(s, m)| ApiError::new(s, m))?;
        let token = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "send Authorization: Bearer <token> (from POST /api/v1/login or `weft user create`)",
                )
            })?
            .trim()
            .to_string();
        let (actor, row) = ctx
            .db
            .read(move |c| auth::authenticate(c, &token))
            .await
            .map_err(core)?;
        if row
            .last_used_at
            .is_none_or(|at| weft_db::now() - at > chrono::TimeDelta::minutes(10))
        {
            ctx.db
                .write(move |c| auth::token_used(c, &row))
                .await
                .map_err(core)?;
        }
        Ok(Member(actor))
    }
}

/// The client's address: the connecting peer, or, when that is this machine (a reverse
/// proxy in front, as `deploy/nginx.conf` sets up), the last `X-Forwarded-For` entry.
pub(crate) fn client_address(parts_ip: Option<SocketAddr>, headers: &HeaderMap) -> Option<String> {
    let peer = parts_ip?.ip();
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

/// What anyone may know before registering: the domain and the registration policy.
#[utoipa::path(get, path = "/api/v1/instance", tag = "accounts",
    responses((status = 200, description = "The instance", body = InstanceView), ServerError))]
async fn instance(ctx: Ctx) -> Result<Json<InstanceView>, ApiError> {
    let policy = ctx.db.read(registration::policy).await.map_err(core)?;
    Ok(Json(InstanceView {
        domain: ctx.urls.domain().to_string(),
        registration_policy: policy,
    }))
}

#[derive(Deserialize, ToSchema)]
struct RegisterRequest {
    username: String,
    email: String,
    password: String,
    application: Option<String>,
    invitation: Option<String>,
}

/// Registers an account: active at once (with a first token) when registration is open
/// or an invitation is given, else pending an admin's approval.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts",
    request_body = RegisterRequest,
    responses((status = 201, description = "The account, `active` or `pending`", body = RegisteredView),
        BadBody, Forbidden, NotFound, Conflict, ServerError))]
async fn register(
    ctx: Ctx,
    body: Result<Json<RegisterRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RegisteredView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    auth::check_password(&body.password, &body.username).map_err(core)?;
    registration::normalise_email(&body.email).map_err(core)?;
    let password = body.password.clone();
    let (hash, keys) = tokio::task::spawn_blocking(move || {
        (auth::hash_password(&password), weft_core::keys::generate())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let urls = ctx.urls.clone();
    let (actor, status, token) = ctx
        .db
        .write(move |c| -> Result<_, CoreError> {
            let (actor, account) = registration::register(
                c,
                &urls,
                &registration::Registration {
                    username: &body.username,
                    email: &body.email,
                    password_hash: hash,
                    application: body.application.as_deref(),
                    invitation: body.invitation.as_deref(),
                },
                keys,
            )?;
            let token = if account.status == account_status::ACTIVE {
                Some(auth::create_token(c, &actor, "registration", None)?.1)
            } else {
                None
            };
            Ok((actor, account.status, token))
        })
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredView {
            username: actor.username,
            ap_id: actor.ap_id,
            status,
            token,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
struct LogInRequest {
    /// A username or an email address.
    username: String,
    password: String,
    /// The new token's name (default "log-in").
    token_name: Option<String>,
    /// When the token stops working (RFC 3339); none: never.
    expires_at: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/login", tag = "accounts",
    request_body = LogInRequest,
    responses((status = 201, description = "A new token (its secret shown this once)", body = NewTokenView),
        BadBody, Unauthorized, Forbidden, TooMany, ServerError))]
/// Logs in with a password and answers a new API token.
async fn log_in(
    ctx: Ctx,
    headers: HeaderMap,
    connection: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<LogInRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<NewTokenView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let expires_at = parse_time("expires_at", body.expires_at.as_deref())?;
    let address = client_address(connection.map(|c| (c.0).0), &headers);
    let (actor, _) = auth::log_in(&ctx.db, &body.username, &body.password, address.as_deref())
        .await
        .map_err(core)?;
    let name = body.token_name.unwrap_or_else(|| "log-in".into());
    let (row, token) = ctx
        .db
        .write(move |c| auth::create_token(c, &actor, &name, expires_at))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token,
            about: TokenView::from_row(&row),
        }),
    ))
}

/// The member's tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", security(("bearer" = [])),
    params(AfterQuery),
    responses((status = 200, description = "The member's tokens, oldest first (page on with `after` = the last `id`; default 50, at most 200)", body = Vec<TokenView>),
        BadRequest, Unauthorized, ServerError))]
async fn tokens(
    ctx: Ctx,
    Member(me): Member,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let (after, limit) = q.read(50, 200)?;
    let rows = ctx
        .db
        .read(move |c| auth::tokens(c, &me, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(rows.iter().map(TokenView::from_row).collect()))
}

#[derive(Deserialize, ToSchema)]
struct NewTokenRequest {
    name: String,
    expires_at: Option<String>,
}

/// A new token for the member (e.g. one per application).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses((status = 201, description = "A new token (its secret shown this once)", body = NewTokenView),
        BadBody, Unauthorized, ServerError))]
async fn create_token(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<NewTokenRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<NewTokenView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let expires_at = parse_time("expires_at", body.expires_at.as_deref())?;
    let (row, token) = ctx
        .db
        .write(move |c| auth::create_token(c, &me, &body.name, expires_at))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token,
            about: TokenView::from_row(&row),
        }),
    ))
}

/// Revokes one of the member's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), BadRequest, Unauthorized, NotFound, ServerError))]
async fn revoke_token(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    ctx.db
        .write(move |c| auth::revoke_token(c, &me, id))
        .await
        .map_err(core)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
struct InstanceSettings {
    #[schema(schema_with = views::policy_schema)]
    registration_policy: RegistrationPolicy,
}

/// Sets the registration policy (admins).
#[utoipa::path(put, path = "/api/v1/admin/instance", tag = "admin", security(("bearer" = [])),
    request_body = InstanceSettings,
    responses((status = 200, description = "The instance as set", body = InstanceView),
        BadBody, Unauthorized, Forbidden, ServerError))]
async fn set_instance(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<InstanceSettings>, JsonRejection>,
) -> Result<Json<InstanceView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let policy = body.registration_policy;
    ctx.db
        .write(move |c| registration::set_policy(c, &me, policy))
        .await
        .map_err(core)?;
    Ok(Json(InstanceView {
        domain: ctx.urls.domain().to_string(),
        registration_policy: policy,
    }))
}

/// Registrations waiting for an admin's decision (admins).
#[utoipa::path(get, path = "/api/v1/admin/registrations", tag = "admin", security(("bearer" = [])),
    params(AfterQuery),
    responses((status = 200, description = "Pending accounts, oldest first (page on with `after` = the last `id`; default 50, at most 200)", body = Vec<AccountView>),
        BadRequest, Unauthorized, Forbidden, ServerError))]
async fn pending(
    ctx: Ctx,
    Member(me): Member,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let (after, limit) = q.read(50, 200)?;
    let rows = ctx
        .db
        .read(move |c| registration::pending(c, &me, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(
        rows.iter()
            .map(|(a, u)| AccountView::from_row(a, u))
            .collect(),
    ))
}

/// Approves or rejects a pending registration (admins).
#[utoipa::path(post, path = "/api/v1/admin/registrations/{username}/{decision}", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username"),
        ("decision" = String, Path, description = "`approve` or `reject`")),
    responses((status = 204, description = "Decided"),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn decide(
    ctx: Ctx,
    Member(me): Member,
    Path((username, decision)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("{other:?} is not a decision: POST …/approve or …/reject"),
            ));
        }
    };
    ctx.db
        .write(move |c| registration::decide(c, &me, &username, approve))
        .await
        .map_err(core)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, ToSchema)]
struct InviteRequest {
    expires_at: Option<String>,
    max_uses: Option<i32>,
}

/// An invitation to register, with its code (admins).
#[utoipa::path(post, path = "/api/v1/admin/invitations", tag = "admin", security(("bearer" = [])),
    request_body = InviteRequest,
    responses((status = 201, description = "The invitation (its code shown this once)", body = InvitationView),
        BadBody, Unauthorized, Forbidden, ServerError))]
async fn invite(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<InvitationView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let expires_at = parse_time("expires_at", body.expires_at.as_deref())?;
    let (row, code) = ctx
        .db
        .write(move |c| registration::invite(c, &me, expires_at, body.max_uses))
        .await
        .map_err(core)?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationView::from_row(&row, code)),
    ))
}

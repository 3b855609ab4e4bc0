//! `/api/v1/communities/{name}/…` routes for memberships: the public summary (join
//! policy, member count), joining and leaving, the members list, roles, the join
//! policy, requests to join and invitations. `{name}` is a local community's name or a
//! `name@host` handle.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use crate::query::{AfterQuery, parse_time};
use crate::views::ActorView;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::membership::{self, NewCommunityInvitation};
use weft_core::rules::JoinAnswer;
use weft_db::models::{ActorRow, MembershipRow};
use weft_federation::{Ctx, resolve_actor, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(set_policy))
        .routes(routes!(members))
        .routes(routes!(set_role, remove))
        .routes(routes!(moderators))
        .routes(routes!(requests))
        .routes(routes!(accept))
        .routes(routes!(reject))
        .routes(routes!(invite))
}

/// A bare name is a community of this instance; anything else is resolved as a handle.
fn handle(ctx: &Ctx, name: &str) -> String {
    if name.contains('@') || name.contains("://") {
        name.to_string()
    } else {
        format!("{name}@{}", ctx.urls.domain())
    }
}

async fn community(ctx: &Ctx, name: &str) -> Result<ActorRow, ApiError> {
    Ok(resolve_community(&handle(ctx, name), ctx).await?)
}

async fn person(ctx: &Ctx, name: &str) -> Result<ActorRow, ApiError> {
    Ok(resolve_actor(&handle(ctx, name), ctx).await?)
}

/// A member with their role.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct MemberView {
    pub actor: ActorView,
    /// lead, facilitator, weaver or member.
    pub role: String,
    #[schema(value_type = String, format = DateTime)]
    pub since: NaiveDateTime,
}

impl MemberView {
    pub fn from_row(m: &MembershipRow, a: &ActorRow) -> Self {
        MemberView {
            actor: ActorView::from_row(a),
            role: m.role.clone(),
            since: m.created_at,
        }
    }
}

/// What anyone may know of a community's membership, and where the caller stands.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct MembershipSummaryView {
    pub community: ActorView,
    /// `open`, `approval` or `invite`; absent for a remote community.
    pub join_policy: Option<String>,
    /// Members of a local community; known moderators of a remote one.
    pub member_count: i64,
    pub role: Option<String>,
    /// `pending` while the caller's request waits, `accepted` when they follow.
    pub follow: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communities/{name}/membership", operation_id = "membership_summary", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    responses((status = 200, description = "The join policy, the member count and where you stand", body = MembershipSummaryView),
        Unauthorized, NotFound, BadGateway, ServerError))]
async fn summary(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
) -> Result<Json<MembershipSummaryView>, ApiError> {
    let community = community(&ctx, &name).await?;
    let c = community.clone();
    let s = ctx
        .db
        .read(move |conn| membership::summary(conn, &me, &c))
        .await
        .map_err(core)?;
    Ok(Json(MembershipSummaryView {
        community: ActorView::from_row(&community),
        join_policy: s.join_policy,
        member_count: s.member_count,
        role: s.role,
        follow: s.follow,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct JoinRequest {
    invitation: Option<String>,
}

/// The answer to a join: `member`, or `pending` while a lead or facilitator decides.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct JoinView {
    pub state: String,
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/join", operation_id = "join_community", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    request_body = Option<JoinRequest>,
    responses((status = 200, description = "A member now, or a request waiting", body = JoinView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn join(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<JoinView>, ApiError> {
    // The body is optional: empty, or `{"invitation": CODE}`.
    let body: JoinRequest = if body.iter().all(u8::is_ascii_whitespace) {
        JoinRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("the request body: {e}")))?
    };
    let community = community(&ctx, &name).await?;
    let urls = ctx.urls.clone();
    let answer = ctx
        .db
        .write(move |c| membership::join(c, &urls, &me, &community, body.invitation.as_deref()))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(JoinView {
        state: match answer {
            JoinAnswer::Member => "member",
            JoinAnswer::Pending => "pending",
        }
        .into(),
    }))
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/leave", operation_id = "leave_community", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    responses((status = 204, description = "No longer a member"),
        Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn leave(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let community = community(&ctx, &name).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| membership::leave(c, &urls, &me, &community))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PolicyRequest {
    /// open, approval or invite.
    policy: String,
}

#[utoipa::path(put, path = "/api/v1/communities/{name}/join-policy", operation_id = "set_join_policy", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    request_body = PolicyRequest,
    responses((status = 200, description = "The community's membership with its new policy", body = MembershipSummaryView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
async fn set_policy(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: Result<Json<PolicyRequest>, JsonRejection>,
) -> Result<Json<MembershipSummaryView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = community(&ctx, &name).await?;
    let c = community.clone();
    let viewer = me.clone();
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |conn| membership::set_join_policy(conn, &urls, &me, &c, &body.policy))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    summary(ctx, Member(viewer), Path(name)).await
}

/// Members with their roles, by `after` (the last entry's `actor.id`), for members and
/// admins.
#[utoipa::path(get, path = "/api/v1/communities/{name}/members", operation_id = "list_members", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), AfterQuery),
    responses((status = 200, description = "Members with their roles, a page", body = Vec<MemberView>),
        BadRequest, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
async fn members(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let (after, limit) = q.read(50, 200)?;
    let community = community(&ctx, &name).await?;
    let rows = ctx
        .db
        .read(move |c| membership::members(c, &me, &community, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(
        rows.iter()
            .map(|(m, a)| MemberView::from_row(m, a))
            .collect(),
    ))
}

/// The leads and facilitators of a community, local or remote (a remote community's as
/// its `Add`/`Remove` announced them): public, like the moderators collection.
#[utoipa::path(get, path = "/api/v1/communities/{name}/moderators", operation_id = "list_moderators", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    responses((status = 200, description = "Its leads and facilitators", body = Vec<MemberView>),
        Unauthorized, NotFound, BadGateway, ServerError))]
async fn moderators(
    ctx: Ctx,
    Member(_me): Member,
    Path(name): Path<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let community = community(&ctx, &name).await?;
    let rows = ctx
        .db
        .read(move |c| weft_db::memberships::moderators(c, community.id))
        .await?;
    Ok(Json(
        rows.iter()
            .map(|(m, a)| MemberView::from_row(m, a))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    /// lead, facilitator, weaver or member.
    role: String,
}

#[utoipa::path(put, path = "/api/v1/communities/{name}/members/{handle}", operation_id = "set_member_role", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), ("handle" = String, Path, description = "The person: name (here) or name@host")),
    request_body = RoleRequest,
    responses((status = 200, description = "The member with the new role", body = MemberView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn set_role(
    ctx: Ctx,
    Member(me): Member,
    Path((name, who)): Path<(String, String)>,
    body: Result<Json<RoleRequest>, JsonRejection>,
) -> Result<Json<MemberView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    membership::roles::parse_role(&body.role).map_err(core)?;
    let community = community(&ctx, &name).await?;
    let person = person(&ctx, &who).await?;
    let (urls, p) = (ctx.urls.clone(), person.clone());
    let row = ctx
        .db
        .write(move |c| membership::change_role(c, &urls, &me, &community, &p, &body.role))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(MemberView::from_row(&row, &person)))
}

#[utoipa::path(delete, path = "/api/v1/communities/{name}/members/{handle}", operation_id = "remove_member", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), ("handle" = String, Path, description = "The person: name (here) or name@host")),
    responses((status = 204, description = "No longer a member"),
        Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn remove(
    ctx: Ctx,
    Member(me): Member,
    Path((name, who)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let community = community(&ctx, &name).await?;
    let person = person(&ctx, &who).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| membership::remove_member(c, &urls, &me, &community, &person))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

/// A request to join, waiting.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct JoinRequestView {
    pub id: i64,
    pub actor: ActorView,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: NaiveDateTime,
}

#[utoipa::path(get, path = "/api/v1/communities/{name}/requests", operation_id = "join_requests", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), AfterQuery),
    responses((status = 200, description = "Requests to join, waiting, oldest first (page on with `after` = the last `id`; default 50, at most 200)", body = Vec<JoinRequestView>),
        BadRequest, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
async fn requests(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<JoinRequestView>>, ApiError> {
    let (after, limit) = q.read(50, 200)?;
    let community = community(&ctx, &name).await?;
    let rows = ctx
        .db
        .read(move |c| membership::requests(c, &me, &community, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(
        rows.iter()
            .map(|(f, a)| JoinRequestView {
                id: f.id,
                actor: ActorView::from_row(a),
                requested_at: f.created_at,
            })
            .collect(),
    ))
}

async fn answer(
    ctx: Ctx,
    me: ActorRow,
    name: String,
    id: i64,
    accept: bool,
) -> Result<Json<JoinView>, ApiError> {
    let community = community(&ctx, &name).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| membership::answer_request(c, &urls, &me, &community, id, accept))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(JoinView {
        state: if accept { "member" } else { "rejected" }.into(),
    }))
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/requests/{id}/accept", operation_id = "accept_join_request", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), ("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The requester is a member", body = JoinView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn accept(
    ctx: Ctx,
    Member(me): Member,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<JoinView>, ApiError> {
    answer(ctx, me, name, id, true).await
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/requests/{id}/reject", operation_id = "reject_join_request", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host"), ("id" = i64, Path, description = "The request's id")),
    responses((status = 200, description = "The request is refused", body = JoinView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
async fn reject(
    ctx: Ctx,
    Member(me): Member,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<JoinView>, ApiError> {
    answer(ctx, me, name, id, false).await
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    /// RFC 3339.
    expires_at: Option<String>,
    max_uses: Option<i32>,
    /// The person it is for (`name@host`): their join or `Follow` is pre-approved.
    handle: Option<String>,
}

/// A new invitation into a community: the code is shown once.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct CommunityInvitationView {
    pub id: i64,
    pub code: String,
    /// `https://domain/c/name?invite=CODE`, for the web interface.
    pub link: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    pub invitee: Option<ActorView>,
}

#[utoipa::path(post, path = "/api/v1/communities/{name}/invitations", operation_id = "invite_to_community", tag = "members", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance by name, or any community as name@host")),
    request_body = InviteRequest,
    responses((status = 201, description = "The invitation, with its code (shown once)", body = CommunityInvitationView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
async fn invite(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<CommunityInvitationView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let expires_at = parse_time("expires_at", body.expires_at.as_deref())?;
    let community = community(&ctx, &name).await?;
    let invitee = match &body.handle {
        Some(h) => Some(person(&ctx, h).await?),
        None => None,
    };
    let (c, i) = (community.clone(), invitee.clone());
    let (row, code) = ctx
        .db
        .write(move |conn| {
            membership::invite(
                conn,
                &me,
                &c,
                NewCommunityInvitation {
                    expires_at,
                    max_uses: body.max_uses,
                    invitee: i.as_ref(),
                },
            )
        })
        .await
        .map_err(core)?;
    let link = format!("{}?invite={code}", community.ap_id);
    Ok((
        StatusCode::CREATED,
        Json(CommunityInvitationView {
            id: row.id,
            code,
            link,
            expires_at: row.expires_at,
            max_uses: row.max_uses,
            invitee: invitee.as_ref().map(ActorView::from_row),
        }),
    ))
}

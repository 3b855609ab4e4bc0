//! `/api/v1` routes for a community's profile, objectives, sub-communities and
//! lifecycle: the public profile, edits by its leads, "does it exist already?", proposals,
//! interest, and the transitions activate / archive / reopen.

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use crate::views::ActorView;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::communities::lifecycle::{self, Proposal, Proposed};
use weft_core::communities::objectives::{self, ObjectiveFields};
use weft_core::communities::similar::{self, Similar};
use weft_core::communities::{Profile, ProfileChanges, profile};
use weft_db::models::{ActorRow, ObjectiveRow};
use weft_federation::{Ctx, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(similar_to))
        .routes(routes!(propose))
        .routes(routes!(show, edit))
        .routes(routes!(add_objective))
        .routes(routes!(edit_objective, remove_objective))
        .routes(routes!(interest, withdraw))
        .routes(routes!(activate))
        .routes(routes!(archive))
        .routes(routes!(reopen))
}

/// A community by local name, `name@host` or URL (fetched when remote and unknown).
async fn any_community(ctx: &Ctx, handle: &str) -> Result<ActorRow, ApiError> {
    if !handle.contains('@') && !handle.contains('/') {
        return local_community(ctx, handle).await;
    }
    Ok(resolve_community(handle, ctx).await?)
}

/// A community of this instance, by name (or `name@this-host`).
async fn local_community(ctx: &Ctx, handle: &str) -> Result<ActorRow, ApiError> {
    let name = match handle.split_once('@') {
        Some((name, host)) if host == ctx.urls.domain() => name.to_string(),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "{handle} is not a community of this instance: it is changed where it lives"
                ),
            ));
        }
        None => handle.to_string(),
    };
    ctx.db
        .read(move |c| weft_core::accounts::local_community(c, &name))
        .await
        .map_err(core)
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}", operation_id = "community_profile", tag = "communities",
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "The profile", body = ProfileView), BadRequest, NotFound, BadGateway, ServerError))]
async fn show(ctx: Ctx, Path(handle): Path<String>) -> Result<Json<ProfileView>, ApiError> {
    let community = any_community(&ctx, &handle).await?;
    let (p, weaving) = ctx
        .db
        .read(move |c| {
            let p = weft_core::communities::load(c, &community)?;
            let weaving = weft_core::constellation::weaving::counts(c, &community)?;
            Ok::<_, weft_core::CoreError>((p, weaving))
        })
        .await
        .map_err(core)?;
    let mut view = ProfileView::from_profile(&p);
    view.weaving = crate::weaving::WeavingCountsView::from_core(&weaving);
    Ok(Json(view))
}

/// What a PATCH may name; absent fields stay as they are, `null` clears `language` and
/// `parent`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EditRequest {
    title: Option<String>,
    about: Option<String>,
    terms_of_reference: Option<String>,
    meeting_rhythm: Option<String>,
    meeting_mode: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    language: Option<Option<String>>,
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    parent: Option<Option<String>>,
}

/// Present-but-null as `Some(None)`, absent as `None`.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

#[utoipa::path(patch, path = "/api/v1/communities/{handle}", operation_id = "edit_community_profile", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")), request_body = EditRequest,
    responses((status = 200, description = "The profile as changed", body = ProfileView), BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn edit(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<EditRequest>, JsonRejection>,
) -> Result<Json<ProfileView>, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let community = local_community(&ctx, &handle).await?;
    let changes = ProfileChanges {
        title: b.title,
        about: b.about,
        terms_of_reference: b.terms_of_reference,
        meeting_rhythm: b.meeting_rhythm,
        meeting_mode: b.meeting_mode,
        language: b.language,
        tags: b.tags,
        parent: b.parent,
    };
    let urls = ctx.urls.clone();
    let p = ctx
        .db
        .write(move |c| profile::edit(c, &urls, &me, &community, &changes))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(ProfileView::from_profile(&p)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ObjectiveRequest {
    kind: Option<String>,
    title: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    done_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    note: Option<Option<String>>,
}

impl ObjectiveRequest {
    /// The whole objective: what the body names over `old` (or the defaults).
    fn merged(self, old: Option<&ObjectiveRow>) -> ObjectiveFields {
        ObjectiveFields {
            kind: self
                .kind
                .or_else(|| old.map(|o| o.kind.clone()))
                .unwrap_or_else(|| "other".into()),
            title: self
                .title
                .or_else(|| old.map(|o| o.title.clone()))
                .unwrap_or_default(),
            status: self
                .status
                .or_else(|| old.map(|o| o.status.clone()))
                .unwrap_or_else(|| "planned".into()),
            done_on: match self.done_on {
                Some(d) => d,
                None => old.and_then(|o| o.done_on.clone()),
            },
            note: match self.note {
                Some(n) => n,
                None => old.map(|o| o.note.clone()),
            },
        }
    }
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/objectives", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")), request_body = ObjectiveRequest,
    responses((status = 201, description = "The objective", body = ObjectiveView), BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
async fn add_objective(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<ObjectiveRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<ObjectiveView>), ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let community = local_community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    let row = ctx
        .db
        .write(move |c| objectives::add(c, &urls, &me, &community, &b.merged(None)))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok((StatusCode::CREATED, Json(ObjectiveView::from_row(&row))))
}

#[utoipa::path(patch, path = "/api/v1/communities/{handle}/objectives/{id}", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host"), ("id" = i64, Path, description = "The objective's id")), request_body = ObjectiveRequest,
    responses((status = 200, description = "The objective as changed", body = ObjectiveView), BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
async fn edit_objective(
    ctx: Ctx,
    Member(me): Member,
    Path((handle, id)): Path<(String, i64)>,
    body: Result<Json<ObjectiveRequest>, JsonRejection>,
) -> Result<Json<ObjectiveView>, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let community = local_community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    let row = ctx
        .db
        .write(move |c| objectives::edit(c, &urls, &me, &community, id, |old| b.merged(Some(old))))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(ObjectiveView::from_row(&row)))
}

#[utoipa::path(delete, path = "/api/v1/communities/{handle}/objectives/{id}", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host"), ("id" = i64, Path, description = "The objective's id")),
    responses((status = 204, description = "Removed"), BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
async fn remove_objective(
    ctx: Ctx,
    Member(me): Member,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let community = local_community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| objectives::remove(c, &urls, &me, &community, id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SimilarQuery {
    title: Option<String>,
    about: Option<String>,
    /// Comma-separated.
    tags: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/communities/similar", tag = "communities",
    params(SimilarQuery),
    responses((status = 200, description = "Communities like these, best first", body = Vec<SimilarView>), BadRequest, ServerError))]
/// Communities like the given title, domain and tags, here and on every member of this
/// instance's constellations, best first.
async fn similar_to(
    ctx: Ctx,
    Query(q): Query<SimilarQuery>,
) -> Result<Json<Vec<SimilarView>>, ApiError> {
    let query = similar::Query {
        title: q.title.unwrap_or_default(),
        about: q.about.unwrap_or_default(),
        tags: q
            .tags
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    };
    if query.title.chars().count() > profile::MAX_TITLE
        || query.about.chars().count() > profile::MAX_DOMAIN
        || query.tags.len() > profile::MAX_TAGS
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the title, domain or tags are longer than a community's may be",
        ));
    }
    let found = ctx
        .db
        .read(move |c| similar::similar(c, &query))
        .await
        .map_err(core)?;
    Ok(Json(found.iter().map(SimilarView::from_similar).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProposalRequest {
    name: String,
    title: String,
    about: String,
    why: String,
    #[serde(default)]
    tags: Vec<String>,
    parent: Option<String>,
    #[serde(default)]
    confirmed: bool,
}

#[utoipa::path(post, path = "/api/v1/proposals", tag = "communities", security(("bearer" = [])),
    request_body = ProposalRequest,
    responses((status = 201, description = "The proposal (you are its lead)", body = ProfileView), BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
/// Proposes a community. When similar ones exist and the body is not `confirmed`: 409
/// with them (`similar`), and nothing saved.
async fn propose(
    ctx: Ctx,
    Member(me): Member,
    body: Result<Json<ProposalRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    let keys = tokio::task::spawn_blocking(weft_core::keys::generate)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let urls = ctx.urls.clone();
    let proposal = Proposal {
        name: b.name,
        title: b.title,
        about: b.about,
        why: b.why,
        tags: b.tags,
        parent: b.parent,
        confirmed: b.confirmed,
    };
    let outcome = ctx
        .db
        .write(move |c| lifecycle::propose(c, &urls, &me, &proposal, keys))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(match outcome {
        Proposed::SimilarExist(found) => {
            let body = serde_json::json!({
                "type": "about:blank",
                "title": "Conflict",
                "status": 409,
                "detail": "similar communities exist: show them, then propose again with \"confirmed\": true",
                "similar": found.iter().map(SimilarView::from_similar).collect::<Vec<_>>(),
            });
            let mut response = (StatusCode::CONFLICT, Json(body)).into_response();
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            response
        }
        Proposed::Created(p) => {
            (StatusCode::CREATED, Json(ProfileView::from_profile(&p))).into_response()
        }
    })
}

/// One lifecycle service, run for `me` on the local community `handle`.
async fn transition(
    ctx: Ctx,
    me: ActorRow,
    handle: String,
    service: fn(
        &mut weft_db::AnyConnection,
        &weft_core::Urls,
        &ActorRow,
        &ActorRow,
    ) -> weft_core::CoreResult<Profile>,
) -> Result<Json<ProfileView>, ApiError> {
    let community = local_community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    let p = ctx
        .db
        .write(move |c| service(c, &urls, &me, &community))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(ProfileView::from_profile(&p)))
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/interest", operation_id = "express_interest", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "Interested: the profile", body = ProfileView), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn interest(
    ctx: Ctx,
    Member(me): Member,
    Path(h): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    transition(ctx, me, h, |c, _, me, community| {
        lifecycle::express_interest(c, me, community)
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/communities/{handle}/interest", operation_id = "withdraw_interest", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "No longer interested: the profile", body = ProfileView), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn withdraw(
    ctx: Ctx,
    Member(me): Member,
    Path(h): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    transition(ctx, me, h, |c, _, me, community| {
        lifecycle::withdraw_interest(c, me, community)
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/activate", operation_id = "activate_community", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "Active: the profile", body = ProfileView), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn activate(
    ctx: Ctx,
    Member(me): Member,
    Path(h): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    transition(ctx, me, h, lifecycle::activate).await
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/archive", operation_id = "archive_community", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "Archived: the profile", body = ProfileView), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn archive(
    ctx: Ctx,
    Member(me): Member,
    Path(h): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    transition(ctx, me, h, lifecycle::archive).await
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/reopen", operation_id = "reopen_community", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community: its name here, or name@host")),
    responses((status = 200, description = "Reopened: the profile", body = ProfileView), BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
async fn reopen(
    ctx: Ctx,
    Member(me): Member,
    Path(h): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    transition(ctx, me, h, lifecycle::reopen).await
}

/// A community's profile as the API shows it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ProfileView {
    pub community: ActorView,
    pub title: Option<String>,
    /// The domain statement: HTML, and the markdown it was written in (local ones).
    pub about: Option<String>,
    pub about_source: Option<String>,
    pub terms_of_reference: String,
    pub terms_of_reference_source: String,
    pub meeting_rhythm: String,
    pub meeting_mode: String,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub objectives: Vec<ObjectiveView>,
    pub lifecycle: String,
    pub parent: Option<ActorView>,
    pub children: Vec<ChildView>,
    pub members: i64,
    /// A proposal's: why it is needed, who proposed it, who is interested so far.
    pub why: Option<String>,
    pub proposer: Option<ActorView>,
    pub interested: Vec<ActorView>,
    /// Items woven in, and times its items were woven elsewhere.
    #[serde(default)]
    pub weaving: crate::weaving::WeavingCountsView,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ChildView {
    pub community: ActorView,
    pub lifecycle: String,
}

impl ProfileView {
    pub fn from_profile(p: &Profile) -> Self {
        let extra = p.extra.as_ref();
        let tor = &p.details.terms_of_reference;
        ProfileView {
            community: ActorView::from_row(&p.actor),
            title: p.actor.display_name.clone(),
            about: p.actor.summary.clone(),
            about_source: p.actor.summary_source.clone(),
            terms_of_reference: match extra.map(|e| e.terms_of_reference_html.clone()) {
                Some(html) if !html.is_empty() || tor.is_empty() => html,
                _ => weft_core::sanitize::markdown_to_html(tor),
            },
            terms_of_reference_source: tor.clone(),
            meeting_rhythm: extra.map(|e| e.meeting_rhythm.clone()).unwrap_or_default(),
            meeting_mode: p.details.meeting_mode.clone(),
            language: extra.and_then(|e| e.language.clone()),
            tags: p.tags.clone(),
            objectives: p.objectives.iter().map(ObjectiveView::from_row).collect(),
            lifecycle: p.lifecycle().as_str().into(),
            parent: p.parent.as_ref().map(ActorView::from_row),
            children: p
                .children
                .iter()
                .map(|(a, c)| ChildView {
                    community: ActorView::from_row(a),
                    lifecycle: c.lifecycle.clone(),
                })
                .collect(),
            members: p.members,
            why: extra.map(|e| e.why.clone()).filter(|w| !w.is_empty()),
            proposer: p.proposer.as_ref().map(ActorView::from_row),
            interested: p.interested.iter().map(ActorView::from_row).collect(),
            weaving: Default::default(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct ObjectiveView {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub done_on: Option<String>,
    pub note: String,
}

impl ObjectiveView {
    pub fn from_row(o: &ObjectiveRow) -> Self {
        ObjectiveView {
            id: o.id,
            kind: o.kind.clone(),
            title: o.title.clone(),
            status: o.status.clone(),
            done_on: o.done_on.clone(),
            note: o.note.clone(),
        }
    }
}

/// A community like a proposal, here or on another member of the constellation (its
/// `handle` says where, and is what to follow to join it): its score (0 to 1) and why.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct SimilarView {
    pub community: crate::DirectoryEntryView,
    pub title: Option<String>,
    pub lifecycle: String,
    pub score: f64,
    pub shared_tags: Vec<String>,
    pub shared_words: Vec<String>,
}

impl SimilarView {
    pub fn from_similar(s: &Similar) -> Self {
        SimilarView {
            community: crate::DirectoryEntryView::from_row(&s.community),
            title: Some(s.community.title.clone()),
            lifecycle: s.community.lifecycle.clone(),
            score: s.score,
            shared_tags: s.shared_tags.clone(),
            shared_words: s.shared_words.clone(),
        }
    }
}

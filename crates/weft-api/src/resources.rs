//! `/api/v1` routes for a community's resource library: folders, resources, their
//! version history (any version, a diff of two, a lead's restore).

use crate::error::{ApiError, core, json_rejection};
use crate::handlers::Member;
use crate::openapi::*;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::resources::{
    Attachment, Outcome, ResourceChanges, ResourceDetails, ResourceFields, history::DiffLine,
};
use weft_db::models::{ActorRow, FolderRow, VersionRow};
use weft_federation::{Ctx, paging, resolve_community};

/// This module's routes, each registered with its documentation.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(library, create))
        .routes(routes!(folders, create_folder))
        .routes(routes!(change_folder, delete_folder))
        .routes(routes!(resource, edit, delete))
        .routes(routes!(move_resource))
        .routes(routes!(versions))
        .routes(routes!(version))
        .routes(routes!(diff))
        .routes(routes!(restore))
}

/// A file attached to a resource.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AttachmentView {
    /// An http(s) URL (filled in when `file` is given).
    #[serde(default)]
    pub url: String,
    /// `type/subtype` (filled in when `file` is given).
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub name: String,
    /// In bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// In a request: the id of a file uploaded to the community's library
    /// (`POST /api/v1/communities/{name}/files`), instead of `url`, `media_type` and
    /// `size`, which are taken from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<i64>,
}

impl AttachmentView {
    fn from_core(a: &Attachment) -> Self {
        AttachmentView {
            url: a.url.clone(),
            media_type: a.media_type.clone(),
            name: a.name.clone(),
            size: a.size,
            file: None,
        }
    }
    fn into_core(self) -> Attachment {
        Attachment {
            url: self.url,
            media_type: self.media_type,
            name: self.name,
            size: self.size,
            file: self.file,
        }
    }
}

/// A resource as it stands (its current version).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ResourceView {
    pub id: i64,
    pub ap_id: String,
    pub community: String,
    /// Who added it.
    pub author: String,
    pub title: String,
    /// method, story, case-study, tool, template, guidance, policy, education-material
    /// or other.
    pub kind: String,
    /// The description's markdown.
    pub description: String,
    /// The description rendered and sanitised.
    pub description_html: String,
    pub tags: Vec<String>,
    pub link: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub folder: Option<i64>,
    /// The current version's number (1 for the first).
    pub version: i32,
    /// Who wrote the current version.
    pub edited_by: String,
    pub updated: String,
    pub local: bool,
}

impl ResourceView {
    pub fn from_details(d: &ResourceDetails) -> Self {
        let c = d.content();
        ResourceView {
            id: d.item.id,
            ap_id: d.item.ap_id.clone(),
            community: d.community.ap_id.clone(),
            author: d.author.ap_id.clone(),
            title: c.title,
            kind: c.kind,
            description: c.description_source,
            description_html: c.description_html,
            tags: c.tags,
            link: c.link,
            attachments: c
                .attachments
                .iter()
                .map(AttachmentView::from_core)
                .collect(),
            folder: d.folder.as_ref().map(|f| f.id),
            version: d.resource.current_version,
            edited_by: d.editor.ap_id.clone(),
            updated: d.version.created_at.and_utc().to_rfc3339(),
            local: d.item.is_local,
        }
    }
}

/// One version of a resource, as it was written.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct VersionView {
    pub version: i32,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub description_html: String,
    pub tags: Vec<String>,
    pub link: Option<String>,
    pub attachments: Vec<AttachmentView>,
    /// What changed, in the editor's words.
    pub message: Option<String>,
    pub edited_by: String,
    pub created_at: String,
}

impl VersionView {
    fn from_row(v: &VersionRow, editor: &ActorRow) -> Self {
        let c = weft_core::resources::Content::from_row(v);
        VersionView {
            version: v.version,
            title: c.title,
            kind: c.kind,
            description: c.description_source,
            description_html: c.description_html,
            tags: c.tags,
            link: c.link,
            attachments: c
                .attachments
                .iter()
                .map(AttachmentView::from_core)
                .collect(),
            message: v.message.clone(),
            edited_by: editor.ap_id.clone(),
            created_at: v.created_at.and_utc().to_rfc3339(),
        }
    }
}

/// A folder of a library.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FolderView {
    pub id: i64,
    pub ap_id: String,
    pub name: String,
    /// The folder it is in; none at the top of the library.
    pub parent: Option<i64>,
}

impl FolderView {
    fn from_row(f: &FolderRow) -> Self {
        FolderView {
            id: f.id,
            ap_id: f.ap_id.clone(),
            name: f.name.clone(),
            parent: f.parent_id,
        }
    }
}

/// One page of a library: the folders in the folder asked for (on the first page) and
/// its resources.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct LibraryView {
    pub folders: Vec<FolderView>,
    pub resources: Vec<ResourceView>,
}

/// A change sent to the instance where the community lives, which decides and
/// announces it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct SentView {
    /// The activity sent.
    pub activity: String,
}

/// A line diff of two versions' descriptions.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct DiffView {
    pub from: i32,
    pub to: i32,
    pub lines: Vec<DiffLineView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct DiffLineView {
    /// `same`, `added` or `removed`.
    pub change: String,
    pub text: String,
}

impl DiffLineView {
    fn from_core(l: &DiffLine) -> Self {
        DiffLineView {
            change: l.change.to_string(),
            text: l.text.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewResourceRequest {
    pub title: String,
    pub kind: String,
    /// Markdown.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// An http(s) URL.
    pub link: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentView>,
    /// The folder (of this community) to put it in; the top of the library without one.
    pub folder: Option<i64>,
}

/// An edit: what it names replaces what the current version says; the result is a new
/// version. An empty `link` removes the link.
#[derive(Deserialize, ToSchema)]
pub struct EditResourceRequest {
    pub title: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub link: Option<String>,
    pub attachments: Option<Vec<AttachmentView>>,
    /// What changed, in a line.
    pub message: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct MoveRequest {
    /// The folder to move to; none (or null) for the top of the library.
    pub folder: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewFolderRequest {
    pub name: String,
    /// The folder to make it in; none for the top of the library.
    pub parent: Option<i64>,
}

/// Renames and/or moves a folder. `parent`: a folder id, or `null` for the top; leave
/// it out to keep the folder where it is.
#[derive(Deserialize, ToSchema)]
pub struct ChangeFolderRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent: Option<Option<i64>>,
}

/// A field that may be `null`: present (`Some(None)`) is not absent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Deserialize, ToSchema)]
pub struct RestoreRequest {
    /// The version to restore; its text becomes a new version.
    pub version: i32,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LibraryQuery {
    /// A folder's id: its contents; the top of the library without one.
    #[param(value_type = Option<i64>, minimum = 1)]
    folder: Option<String>,
    /// The id of the last resource of the page before: the list goes on after it.
    #[param(value_type = Option<i64>, minimum = 1)]
    after: Option<String>,
    /// How many resources (default 50, at most 100).
    #[param(value_type = Option<i64>, minimum = 1)]
    limit: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FolderQuery {
    /// A folder's id: the folders in it; the top of the library without one.
    #[param(value_type = Option<i64>, minimum = 1)]
    parent: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// The older version.
    #[param(value_type = i64, minimum = 1)]
    from: Option<String>,
    /// The newer version.
    #[param(value_type = i64, minimum = 1)]
    to: Option<String>,
}

/// A community by URL, name@host, or (one of this instance's) its name.
async fn community(ctx: &Ctx, handle: &str) -> Result<ActorRow, ApiError> {
    let handle = if handle.contains('@') || handle.contains("://") {
        handle.to_string()
    } else {
        format!("{handle}@{}", ctx.urls.domain())
    };
    Ok(resolve_community(&handle, ctx).await?)
}

fn version_number(name: &str, raw: Option<&str>) -> Result<i32, ApiError> {
    let n = paging::cursor(name, raw)?
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, format!("{name} is required")))?;
    i32::try_from(n)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, format!("{name} is too large")))
}

/// A change done here (with `done`'s status), or sent to the community's instance (202).
fn outcome(done: StatusCode, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Done(d) => (done, Json(ResourceView::from_details(&d))).into_response(),
        Outcome::Sent { activity_id } => (
            StatusCode::ACCEPTED,
            Json(SentView {
                activity: activity_id,
            }),
        )
            .into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/resources", tag = "resources", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, name@host, or the name of one of this instance's"), LibraryQuery),
    responses((status = 200, description = "Folders and resources in the folder asked for", body = LibraryView),
        BadRequest, Unauthorized, NotFound, BadGateway, ServerError))]
/// A community's library (here, or a followed remote one as known here), one folder at
/// a time.
async fn library(
    ctx: Ctx,
    Member(_me): Member,
    Path(handle): Path<String>,
    Query(q): Query<LibraryQuery>,
) -> Result<Json<LibraryView>, ApiError> {
    let folder = paging::cursor("folder", q.folder.as_deref())?;
    let after = paging::cursor("after", q.after.as_deref())?;
    let limit = paging::limit(q.limit.as_deref(), 50, 100)?;
    let community = community(&ctx, &handle).await?;
    let page = ctx
        .db
        .read(move |c| weft_core::resources::library(c, &community, folder, after, limit))
        .await
        .map_err(core)?;
    Ok(Json(LibraryView {
        folders: page.folders.iter().map(FolderView::from_row).collect(),
        resources: page
            .resources
            .iter()
            .map(ResourceView::from_details)
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/resources", tag = "resources", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, name@host, or the name of one of this instance's")),
    request_body = NewResourceRequest,
    responses((status = 201, description = "The resource, version 1", body = ResourceView),
        (status = 202, description = "Sent to the community's instance, which decides", body = SentView),
        BadBody, Unauthorized, Forbidden, NotFound, BadGateway, ServerError))]
/// Adds a resource to a community's library (members may).
async fn create(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<NewResourceRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    let fields = ResourceFields {
        title: body.title,
        kind: body.kind,
        description: body.description,
        tags: body.tags,
        link: body.link,
        attachments: body
            .attachments
            .into_iter()
            .map(AttachmentView::into_core)
            .collect(),
    };
    let folder = body.folder;
    let done = ctx
        .db
        .write(move |c| weft_core::resources::create(c, &urls, &me, &community, fields, folder))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(outcome(StatusCode::CREATED, done))
}

#[utoipa::path(get, path = "/api/v1/communities/{handle}/folders", tag = "resources", security(("bearer" = [])),
    params(("handle" = String, Path, description = "The community: a URL, name@host, or the name of one of this instance's"), FolderQuery),
    responses((status = 200, description = "The folders in the folder asked for, by name", body = Vec<FolderView>),
        BadRequest, Unauthorized, NotFound, BadGateway, ServerError))]
async fn folders(
    ctx: Ctx,
    Member(_me): Member,
    Path(handle): Path<String>,
    Query(q): Query<FolderQuery>,
) -> Result<Json<Vec<FolderView>>, ApiError> {
    let parent = paging::cursor("parent", q.parent.as_deref())?;
    let community = community(&ctx, &handle).await?;
    let list = ctx
        .db
        .read(move |c| weft_core::resources::folders::list(c, &community, parent))
        .await
        .map_err(core)?;
    Ok(Json(list.iter().map(FolderView::from_row).collect()))
}

#[utoipa::path(post, path = "/api/v1/communities/{handle}/folders", tag = "resources", security(("bearer" = [])),
    params(("handle" = String, Path, description = "A community of this instance: a URL, name@host, or its name")),
    request_body = NewFolderRequest,
    responses((status = 201, description = "The folder", body = FolderView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, BadGateway, ServerError))]
/// Makes a folder in a local community's library (members may).
async fn create_folder(
    ctx: Ctx,
    Member(me): Member,
    Path(handle): Path<String>,
    body: Result<Json<NewFolderRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<FolderView>), ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let community = community(&ctx, &handle).await?;
    let urls = ctx.urls.clone();
    let folder = ctx
        .db
        .write(move |c| {
            weft_core::resources::folders::create(
                c,
                &urls,
                &me,
                &community,
                &body.name,
                body.parent,
            )
        })
        .await
        .map_err(core)?;
    Ok((StatusCode::CREATED, Json(FolderView::from_row(&folder))))
}

#[utoipa::path(patch, path = "/api/v1/folders/{id}", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The folder's id")),
    request_body = ChangeFolderRequest,
    responses((status = 200, description = "The folder as changed", body = FolderView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
/// Renames and/or moves a folder (leads and facilitators).
async fn change_folder(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<ChangeFolderRequest>, JsonRejection>,
) -> Result<Json<FolderView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let folder = ctx
        .db
        .write(move |c| {
            weft_core::resources::folders::change(c, &me, id, body.name.as_deref(), body.parent)
        })
        .await
        .map_err(core)?;
    Ok(Json(FolderView::from_row(&folder)))
}

#[utoipa::path(delete, path = "/api/v1/folders/{id}", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The folder's id")),
    responses((status = 204, description = "Deleted; its resources are at the top of the library"),
        BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
/// Deletes a folder and the folders in it (leads and facilitators); their resources move
/// to the top of the library.
async fn delete_folder(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    ctx.db
        .write(move |c| weft_core::resources::folders::delete(c, &me, id))
        .await
        .map_err(core)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    responses((status = 200, description = "The resource at its current version", body = ResourceView),
        BadRequest, Unauthorized, NotFound, ServerError))]
async fn resource(
    ctx: Ctx,
    Member(_me): Member,
    Path(id): Path<i64>,
) -> Result<Json<ResourceView>, ApiError> {
    let d = ctx
        .db
        .read(move |c| weft_core::resources::shown(c, id))
        .await
        .map_err(core)?;
    Ok(Json(ResourceView::from_details(&d)))
}

#[utoipa::path(patch, path = "/api/v1/resources/{id}", operation_id = "edit_resource", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    request_body = EditResourceRequest,
    responses((status = 200, description = "The new version", body = ResourceView),
        (status = 202, description = "Sent to the community's instance, which decides", body = SentView),
        BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
/// Edits a resource (its author, leads, facilitators): a new version; the previous one
/// is kept.
async fn edit(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<EditResourceRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let changes = ResourceChanges {
        title: body.title,
        kind: body.kind,
        description: body.description,
        tags: body.tags,
        link: body.link,
        attachments: body
            .attachments
            .map(|l| l.into_iter().map(AttachmentView::into_core).collect()),
        message: body.message,
    };
    let urls = ctx.urls.clone();
    let done = ctx
        .db
        .write(move |c| weft_core::resources::edit(c, &urls, &me, id, changes))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(outcome(StatusCode::OK, done))
}

#[utoipa::path(delete, path = "/api/v1/resources/{id}", operation_id = "delete_resource", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    responses((status = 204, description = "Deleted"),
        (status = 202, description = "Sent to the community's instance, which decides", body = SentView),
        BadRequest, Unauthorized, Forbidden, NotFound, ServerError))]
/// Deletes a resource (its author, leads, facilitators).
async fn delete(ctx: Ctx, Member(me): Member, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let urls = ctx.urls.clone();
    let done = ctx
        .db
        .write(move |c| weft_core::resources::delete(c, &urls, &me, id))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(match done {
        Outcome::Done(_) => StatusCode::NO_CONTENT.into_response(),
        sent => outcome(StatusCode::ACCEPTED, sent),
    })
}

#[utoipa::path(post, path = "/api/v1/resources/{id}/move", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    request_body = MoveRequest,
    responses((status = 200, description = "The resource in its new folder", body = ResourceView),
        BadBody, Unauthorized, Forbidden, NotFound, ServerError))]
/// Moves a resource to another folder of its library (its author, leads, facilitators).
async fn move_resource(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<MoveRequest>, JsonRejection>,
) -> Result<Json<ResourceView>, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let d = ctx
        .db
        .write(move |c| weft_core::resources::move_to(c, &urls, &me, id, body.folder))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(Json(ResourceView::from_details(&d)))
}

#[utoipa::path(get, path = "/api/v1/resources/{id}/versions", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    responses((status = 200, description = "Every version, the first first", body = Vec<VersionView>),
        BadRequest, Unauthorized, NotFound, ServerError))]
async fn versions(
    ctx: Ctx,
    Member(_me): Member,
    Path(id): Path<i64>,
) -> Result<Json<Vec<VersionView>>, ApiError> {
    let list = ctx
        .db
        .read(move |c| weft_core::resources::history::versions(c, id))
        .await
        .map_err(core)?;
    Ok(Json(
        list.iter()
            .map(|(v, editor)| VersionView::from_row(v, editor))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/resources/{id}/versions/{number}", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here"),
        ("number" = i32, Path, description = "The version's number, from 1")),
    responses((status = 200, description = "The version", body = VersionView),
        BadRequest, Unauthorized, NotFound, ServerError))]
async fn version(
    ctx: Ctx,
    Member(_me): Member,
    Path((id, number)): Path<(i64, i32)>,
) -> Result<Json<VersionView>, ApiError> {
    let (v, editor) = ctx
        .db
        .read(move |c| weft_core::resources::history::version(c, id, number))
        .await
        .map_err(core)?;
    Ok(Json(VersionView::from_row(&v, &editor)))
}

#[utoipa::path(get, path = "/api/v1/resources/{id}/diff", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here"), DiffQuery),
    responses((status = 200, description = "The line diff of the two versions' descriptions", body = DiffView),
        BadRequest, Unauthorized, NotFound, ServerError))]
async fn diff(
    ctx: Ctx,
    Member(_me): Member,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffView>, ApiError> {
    let from = version_number("from", q.from.as_deref())?;
    let to = version_number("to", q.to.as_deref())?;
    let lines = ctx
        .db
        .read(move |c| weft_core::resources::history::diff(c, id, from, to))
        .await
        .map_err(core)?;
    Ok(Json(DiffView {
        from,
        to,
        lines: lines.iter().map(DiffLineView::from_core).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/resources/{id}/restore", tag = "resources", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The resource's id here")),
    request_body = RestoreRequest,
    responses((status = 200, description = "The restored text, as a new version", body = ResourceView),
        BadBody, Unauthorized, Forbidden, NotFound, Conflict, ServerError))]
/// Restores an old version (leads): its text becomes a new version.
async fn restore(
    ctx: Ctx,
    Member(me): Member,
    Path(id): Path<i64>,
    body: Result<Json<RestoreRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(json_rejection)?;
    let urls = ctx.urls.clone();
    let done = ctx
        .db
        .write(move |c| weft_core::resources::history::restore(c, &urls, &me, id, body.version))
        .await
        .map_err(core)?;
    ctx.delivery.wake();
    Ok(outcome(StatusCode::OK, done))
}

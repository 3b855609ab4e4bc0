//! `/api/v1/communities/{name}/files`: uploading a file to a community's library
//! (multipart) and listing its files. The bytes are served at `/files/{sha256}`.

use crate::error::{ApiError, core};
use crate::handlers::Member;
use crate::openapi::*;
use crate::query::AfterQuery;
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request};
use axum::http::{StatusCode, header};
use bytes::BytesMut;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use weft_core::Urls;
use weft_core::files::FORM_OVERHEAD;
use weft_db::files::FileRow;
use weft_db::models::ActorRow;
use weft_federation::{Ctx, resolve_community};

/// This module's routes. The upload reads a body as large as the file size limit (plus
/// room for the form), instead of the 256 KiB every other route takes.
pub fn router() -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        .layer(DefaultBodyLimit::disable())
}

/// A file in a community's library.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FileView {
    pub id: i64,
    /// Where it is served (public): `https://domain/files/{sha256}`.
    pub url: String,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
    /// Read from its bytes.
    pub media_type: String,
    /// In bytes.
    pub size: i64,
    /// The name it was uploaded with, sanitised (used when it is downloaded).
    pub name: String,
    /// The actor id of who uploaded it (first, when the same bytes came again).
    pub uploader_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl FileView {
    pub fn from_row(urls: &Urls, row: &FileRow) -> Self {
        FileView {
            id: row.id,
            url: urls.file(&row.sha256).to_string(),
            sha256: row.sha256.clone(),
            media_type: row.media_type.clone(),
            size: row.size,
            name: row.name.clone(),
            uploader_id: row.uploader_id,
            created_at: row.created_at,
        }
    }
}

/// The upload form: one part, `file`, with the file's name in its `filename`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A bare name is a community of this instance; anything else is resolved as a handle.
async fn community(ctx: &Ctx, name: &str) -> Result<ActorRow, ApiError> {
    let handle = if name.contains('@') || name.contains("://") {
        name.to_string()
    } else {
        format!("{name}@{}", ctx.urls.domain())
    };
    Ok(resolve_community(&handle, ctx).await?)
}

/// Uploads a file to a community's library (its members; not while archived). The
/// type is read from the bytes; the same bytes again answer the file the library has.
#[utoipa::path(post, path = "/api/v1/communities/{name}/files", tag = "files", security(("bearer" = [])),
    params(("name" = String, Path, description = "A community of this instance")),
    request_body(content = UploadForm, content_type = "multipart/form-data",
        description = "One part named `file`, with its `filename`; the largest file taken is configured (25 MiB by default)"),
    responses((status = 201, description = "The file, new in the library", body = FileView),
        (status = 200, description = "The library had these bytes already: its file", body = FileView),
        BadBody, Unauthorized, Forbidden, NotFound, UnsupportedType, BadGateway, ServerError))]
async fn upload(
    ctx: Ctx,
    Member(me): Member,
    Path(name): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let community = community(&ctx, &name).await?;
    let (c, m) = (community.clone(), me.clone());
    ctx.db
        .read(move |conn| weft_core::rules::may_upload_file(conn, &c, &m))
        .await
        .map_err(core)?;
    let max = ctx.files.max_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the file is larger than {max} bytes, the most this instance takes"),
        )
    };
    let most = max + FORM_OVERHEAD;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > most) {
        return Err(too_large());
    }
    let request = request.map(|body| {
        Body::new(http_body_util::Limited::new(
            body,
            usize::try_from(most).unwrap_or(usize::MAX),
        ))
    });
    let mut form = Multipart::from_request(request, &())
        .await
        .map_err(|e| bad_form(e.body_text()))?;
    let mut file: Option<(String, BytesMut)> = None;
    while let Some(mut field) = form.next_field().await.map_err(form_error)? {
        if field.name() != Some("file") {
            return Err(bad_form(format!(
                "a part named {:?}: send the file alone, in a part named file",
                field.name().unwrap_or_default()
            )));
        }
        if file.is_some() {
            return Err(bad_form("send one file at a time".into()));
        }
        let raw_name = field.file_name().unwrap_or_default().to_string();
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(form_error)? {
            if (bytes.len() + chunk.len()) as u64 > max {
                // Read to the end (at most the body limit) so that the client, still
                // sending, gets this answer rather than a closed connection.
                while let Ok(Some(_)) = field.chunk().await {}
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((raw_name, bytes));
    }
    let Some((raw_name, bytes)) = file else {
        return Err(bad_form("no part named file".into()));
    };
    let (row, new) = weft_core::files::upload(
        &ctx.db,
        &ctx.files,
        me,
        community,
        &raw_name,
        bytes.freeze(),
    )
    .await
    .map_err(|e| ApiError(e.into()))?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(FileView::from_row(&ctx.urls, &row))))
}

fn bad_form(why: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        format!("the upload form (multipart/form-data): {why}"),
    )
}

/// A form that does not parse: 400; or 413 when the body is over the limit.
fn form_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.body_text())
    } else {
        bad_form(e.body_text())
    }
}

/// A community's files, in upload order; page on with `after` = the last `id`.
#[utoipa::path(get, path = "/api/v1/communities/{name}/files", tag = "files", security(("bearer" = [])),
    params(("name" = String, Path, description = "The community: a local name, or name@host"), AfterQuery),
    responses((status = 200, description = "Its files (default 50, at most 200)", body = Vec<FileView>),
        BadRequest, Unauthorized, NotFound, BadGateway, ServerError))]
async fn list(
    ctx: Ctx,
    Member(_me): Member,
    Path(name): Path<String>,
    Query(q): Query<AfterQuery>,
) -> Result<Json<Vec<FileView>>, ApiError> {
    let (after, limit) = q.read(50, 200)?;
    let community = community(&ctx, &name).await?;
    let rows = weft_core::files::of_community(&ctx.db, community, after, limit)
        .await
        .map_err(|e| ApiError(e.into()))?;
    Ok(Json(
        rows.iter()
            .map(|r| FileView::from_row(&ctx.urls, r))
            .collect(),
    ))
}

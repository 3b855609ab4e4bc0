//! `GET /files/{sha256}`: uploaded files, public (other instances link to them), streamed
//! from the store with headers that keep a browser from treating them as anything but
//! what their bytes were found to be.

use crate::FedError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use weft_core::files::{FileError, Files, kinds, name};
use weft_db::Db;

/// The file route, with what it reads.
pub fn router(db: Db, files: Files) -> Router {
    Router::new()
        .route("/files/{sha256}", get(serve))
        .with_state((db, files))
}

/// No script, no plugin, no form: a file is never a page of this site. PDFs are left
/// out of the sandbox, which keeps Chromium's viewer from showing them.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
const CSP_PDF: &str = "default-src 'none'; style-src 'unsafe-inline'; object-src 'self'";

/// The bytes never change under a digest: cached for a year by anyone.
const CACHE: &str = "public, max-age=31536000, immutable";

async fn serve(
    State((db, files)): State<(Db, Files)>,
    Path(sha256): Path<String>,
    request: HeaderMap,
) -> Result<Response, FedError> {
    let Some((row, stored)) = weft_core::files::open(&db, &files, &sha256).await? else {
        return Err(FedError::not_found(format!("no file {sha256} here")));
    };
    let etag = format!("\"{}\"", row.sha256);
    let mut headers = HeaderMap::new();
    let mut set = |name, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, CACHE);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let is_pdf = row.media_type == "application/pdf";
    set(
        header::CONTENT_SECURITY_POLICY,
        if is_pdf { CSP_PDF } else { CSP },
    );
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "*" || v.split(',').any(|t| t.trim() == etag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    set(header::CONTENT_TYPE, &kinds::content_type(&row.media_type));
    set(
        header::CONTENT_DISPOSITION,
        &name::content_disposition(&row.name, kinds::shown_inline(&row.media_type)),
    );
    set(header::CONTENT_LENGTH, &stored.size.to_string());
    Ok((headers, Body::from_stream(stored.body)).into_response())
}

impl From<FileError> for FedError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::TooLarge { .. } => {
                FedError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            FileError::Refused(why) => FedError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, why),
            FileError::Core(e) => e.into(),
            FileError::Storage(e) => {
                tracing::error!("{e}");
                FedError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the file store failed; try again later",
                )
            }
        }
    }
}

//! The stylesheet and the one small script, compiled into the binary.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../assets/weft.css");
const JS: &str = include_str!("../assets/copy.js");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "weft.css" => (CSS, "text/css; charset=utf-8"),
        "copy.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return crate::render::PageError::not_found("no such file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use weft_core::CoreError;
use weft_federation::FedError;

/// The RFC 9457 problem body every error is answered with (`application/problem+json`),
/// as `FedError` writes it: the schema of the OpenAPI document's error responses.
#[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema, Debug, Clone, PartialEq)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
    /// The status's reason phrase.
    #[schema(example = "Not Found")]
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person to read.
    #[schema(example = "no post 42")]
    pub detail: String,
}

/// An API error: HTTP status with an RFC 9457 problem body.
#[derive(Debug)]
pub struct ApiError(pub FedError);

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError(FedError::new(status, message))
    }
}

impl<E: Into<FedError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

pub fn core(e: CoreError) -> ApiError {
    ApiError(e.into())
}

/// A body that is not the JSON asked for: 400, or 413 when it is over the size limit.
pub fn json_rejection(e: axum::extract::rejection::JsonRejection) -> ApiError {
    let status = match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, format!("the request body: {}", e.body_text()))
}

/// Makes an error answered without a problem body (axum's own refusal of a path or query
/// that does not parse, e.g. `/api/v1/posts/abc`) a problem document with the same
/// status, its text as the detail, as every other error of the API is.
pub async fn problem_for_rejections(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    // The 405 of a method not routed stays as axum answers it (with its `Allow`).
    if !(status.is_client_error() || status.is_server_error())
        || is_problem
        || status == StatusCode::METHOD_NOT_ALLOWED
    {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    ApiError::new(status, detail).into_response()
}

#[allow(dead_code)]
pub fn ok<T: serde::Serialize>(value: T) -> Response {
    Json(value).into_response()
}

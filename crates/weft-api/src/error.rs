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

#[allow(dead_code)]
pub fn ok<T: serde::Serialize>(value: T) -> Response {
    Json(value).into_response()
}

//! Errors of the federation surface, answered as HTTP status + JSON problem body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use weft_core::CoreError;

#[derive(Debug)]
pub struct FedError {
    pub status: StatusCode,
    pub message: String,
    /// Why, for the refusal counters of `/metrics`, when the status alone does not say.
    pub reason: Option<&'static str>,
}

impl FedError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        FedError {
            status,
            message: message.into(),
            reason: None,
        }
    }

    /// The same error, counted under `reason`.
    pub fn because(self, reason: &'static str) -> Self {
        FedError {
            reason: Some(reason),
            ..self
        }
    }

    /// Why it was refused, in a word (a metrics label): the reason given, else one
    /// that follows from the status.
    pub fn reason(&self) -> &'static str {
        self.reason.unwrap_or(match self.status.as_u16() {
            400 => "invalid",
            401 => "signature",
            403 => "forbidden",
            404 => "not_found",
            409 => "conflict",
            413 => "too_large",
            422 => "unprocessable",
            429 => "too_many",
            500..=599 => "error",
            _ => "other",
        })
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl std::fmt::Display for FedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for FedError {}

impl From<CoreError> for FedError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::NotFound(_) => StatusCode::NOT_FOUND,
            CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            CoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            CoreError::Conflict(_) => StatusCode::CONFLICT,
            CoreError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            CoreError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            CoreError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        FedError::new(status, e.to_string())
    }
}

impl From<weft_db::DbError> for FedError {
    fn from(e: weft_db::DbError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<weft_db::QueryError> for FedError {
    fn from(e: weft_db::QueryError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<activitypub_federation::error::Error> for FedError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as E;
        if let E::ParseFetchedObject(_, url, _) = &e {
            // Its message holds the fetched document: never answered to anyone.
            return FedError::new(
                StatusCode::BAD_GATEWAY,
                format!("{url} is not an ActivityPub document Weft can read"),
            );
        }
        let status = match &e {
            E::NotFound | E::ObjectDeleted(_) => StatusCode::NOT_FOUND,
            E::ActivitySignatureInvalid | E::ActivityBodyDigestInvalid => StatusCode::UNAUTHORIZED,
            E::UrlVerificationError(_) => StatusCode::FORBIDDEN,
            E::RequestLimit => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_GATEWAY,
        };
        FedError::new(status, e.to_string())
    }
}

/// What a 500 answer says: the error itself (a database's text, a path) is logged, never
/// answered; the log line carries the request id the answer's `X-Request-Id` names.
pub const INTERNAL_DETAIL: &str = "Weft could not answer this request; the error is logged under the request id in the X-Request-Id header";

impl IntoResponse for FedError {
    fn into_response(self) -> Response {
        let detail = if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{}", self.message);
            INTERNAL_DETAIL.to_string()
        } else {
            self.message
        };
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("error"),
            "status": self.status.as_u16(),
            "detail": detail,
        });
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_error_is_logged_not_answered() {
        let e: FedError = CoreError::Db(weft_db::DbError::Migration(
            "no such column local_users.email in /var/lib/weft/weft.db".into(),
        ))
        .into();
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("local_users"), "{text}");
        assert!(text.contains(INTERNAL_DETAIL), "{text}");
    }
}

//! Query parameters lists share.

use crate::ApiError;
use axum::http::StatusCode;
use chrono::NaiveDateTime;
use serde::Deserialize;
use utoipa::IntoParams;

/// Cursor paging of a list in id order: the entries after `after`, at most `limit`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// The id the previous page ended with (its last entry's id, as the list names it).
    pub after: Option<String>,
    /// At most this many (each list says its default and its maximum).
    pub limit: Option<String>,
}

impl AfterQuery {
    /// The cursor and the limit, checked (400 for nonsense).
    pub fn read(&self, default: i64, max: i64) -> Result<(Option<i64>, i64), crate::ApiError> {
        let after = weft_federation::paging::cursor("after", self.after.as_deref())?;
        let limit = weft_federation::paging::limit(self.limit.as_deref(), default, max)?;
        Ok((after, limit))
    }
}

/// An RFC 3339 time in a request, as stored (UTC).
pub fn parse_time(field: &str, value: Option<&str>) -> Result<Option<NaiveDateTime>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| t.naive_utc())
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("{field} {v:?} is not an RFC 3339 time (2027-01-31T17:00:00Z)"),
                    )
                })
        })
        .transpose()
}

use weft_db::{DbError, QueryError};

/// What a service refuses, and why. Callers map these to HTTP statuses or CLI messages.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// Not who they say: no credentials, or wrong ones.
    #[error("{0}")]
    Unauthorized(String),
    /// Asked too often (failed log-ins); try again later.
    #[error("{0}")]
    TooMany(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<QueryError> for CoreError {
    fn from(e: QueryError) -> Self {
        CoreError::Db(DbError::Query(e))
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

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
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<QueryError> for CoreError {
    fn from(e: QueryError) -> Self {
        CoreError::Db(DbError::Query(e))
    }
}

pub type CoreResult<T> = Result<T, CoreError>;

//! The REST API under `/api/v1`, for local members (bearer token from `weft user create`).
//! Handlers parse and authenticate, then call `weft-core` services; remote actors named
//! in a request are resolved through `weft-federation` first.

mod accounts;
pub mod communities;
mod error;
mod events;
mod handlers;
mod views;

pub use accounts::views::*;
pub use error::ApiError;
pub use handlers::router;
pub use views::*;

//! Weft's ActivityPub surface: what it serves (actors, collections, objects, WebFinger,
//! NodeInfo), its inbox (verified, de-duplicated, then handed to `weft-core` services),
//! and how it fetches remote actors and objects (signed, through the federation library).

mod actor;
pub mod blocks;
mod cache;
pub mod directory;
mod error;
mod feeds;
pub mod files;
pub mod inbox;
mod library;
pub mod nodeinfo;
pub mod paging;
mod routes;
mod state;
mod weaving;
mod wellknown;

pub use actor::{
    DbActor, fetch_actor, fetch_as, fetch_object, refetch_actor, resolve_actor, resolve_community,
};
pub use error::FedError;
pub use routes::router;
pub use state::{AppState, Ctx, federation_config};

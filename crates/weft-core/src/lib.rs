//! Weft's services. Web pages, the REST API and the federation inbox all call these, so a
//! rule (who may post, what a follow does) lives in exactly one place. A service that
//! changes something writes the change and its outgoing activities (outbox rows plus one
//! delivery row per remote inbox) in the same database transaction.

pub mod accounts;
pub mod addresses;
pub mod auth;
pub mod communities;
pub mod constellation;
pub mod directory;
mod error;
pub mod events;
pub mod feed;
pub mod feeds;
pub mod files;
pub mod following;
pub mod keys;
pub mod mail;
pub mod membership;
pub mod meter;
pub mod operations;
pub mod outbox;
pub mod posts;
pub mod received;
pub mod refusals;
pub mod registration;
pub mod resources;
pub mod rules;
pub mod sanitize;
pub mod software;
pub mod transfer;
pub mod urls;
pub mod wire;

pub use error::{CoreError, CoreResult};
pub use meter::Meter;
pub use urls::Urls;

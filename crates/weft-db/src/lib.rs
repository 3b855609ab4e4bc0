//! Weft's database: one schema on two backends (SQLite bundled, PostgreSQL), the rows,
//! and the queries. Services in `weft-core` call these inside one transaction.

mod connection;
mod grouped;
pub mod models;
pub mod notify;
pub mod schema;
mod text_enum;

pub mod accounts;
pub mod actors;
pub mod bridges;
pub mod calendars;
pub mod communities;
pub mod directory;
pub mod events;
pub mod files;
pub mod follows;
pub mod instances;
pub mod items;
pub mod lease_slots;
pub mod mail;
pub mod memberships;
pub mod operations;
pub mod outbox;
mod pg_batch;
pub mod post_batch;
pub mod post_states;
pub mod queue;
pub mod resources;
pub mod transfer;
pub mod weaves;

pub use connection::{
    AnyConnection, Backend, Db, DbError, DbResult, PoolState, establish, parse_database_url,
    pending_migrations, prefer_indexes, redact_url, run_migrations,
};
pub use diesel::connection::SimpleConnection;
pub use diesel::result::Error as QueryError;
pub use models::now;

//! The directory of communities and the constellation (issue 12): every instance lists
//! its discoverable communities (`entries`), a constellation convened by one instance
//! names its member instances (`constellation`), each member crawls the others'
//! directories into its own table (`crawl`; the HTTP side is the crawler in
//! `weft-federation`), one search service finds communities on every member (`search`,
//! the database's own full-text search), and an instance may federate with the members
//! only (`policy`).

pub mod constellation;
pub mod crawl;
pub mod entries;
pub mod policy;
pub mod search;

pub use entries::{entry_from_json, entry_into_json, refresh_local};
pub use policy::{FederationPolicy, Policy};
pub use search::{Found, Search, search};

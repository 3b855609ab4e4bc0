//! The JSON shapes Weft speaks on the wire. Plain serde structs, lenient where real peers
//! disagree (one-or-many fields, embedded-or-linked objects, three spellings of Public),
//! strict where safety needs it (ids are URLs). No I/O and no database here.

pub mod activities;
pub mod actor;
pub mod addressing;
pub mod collection;
pub mod context;
pub mod directory;
pub mod event;
pub mod httpsig;
pub mod incoming;
pub mod membership;
pub mod object;
pub mod resource;
pub mod weaving;
pub mod wellknown;

pub use activities::*;
pub use actor::*;
pub use addressing::*;
pub use collection::*;
pub use context::*;
pub use directory::*;
pub use event::*;
pub use membership::*;
pub use object::*;
pub use resource::*;

/// `application/activity+json`, the type Weft serves and sends.
pub const ACTIVITY_JSON: &str = "application/activity+json";

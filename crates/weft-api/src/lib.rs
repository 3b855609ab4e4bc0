//! The REST API under `/api/v1`, for local members (bearer token from `weft user create`).
//! Handlers parse and authenticate, then call `weft-core` services; remote actors named
//! in a request are resolved through `weft-federation` first.
//!
//! Its OpenAPI 3.1 document (`GET /api/openapi.json`) is generated from the code, and a
//! route cannot be added without it (`crates/weft-api/clippy.toml` forbids a plain
//! `Router` and `.route(`). To add a route, or convert a module written the older way
//! (`.route("/p", get(a).post(b))` becomes `.routes(routes!(a, b))`):
//! - the handler gets `#[utoipa::path(METHOD, path = "/api/v1/…", tag = "…",
//!   security(("bearer" = [])), params(…), request_body = T, responses((status = 200,
//!   body = View), Unauthorized, NotFound, ServerError))]`: its 2xx with the view, then the
//!   problem responses it can give, by name (`openapi.rs`: `BadBody`, `BadRequest`,
//!   `Unauthorized`, `Forbidden`, `NotFound`, `Conflict`, `TooMany`, `BadGateway`,
//!   `ServerError`);
//! - the module's `router()` returns an `OpenApiRouter` built with `.routes(routes!(a, b))`
//!   (handlers of one path in one `routes!`), merged in `handlers::router()`;
//! - its request and view types derive `ToSchema`, its query structs `IntoParams`
//!   (`#[into_params(parameter_in = Query)]`);
//! - add the operation to the list in `tests/tests/openapi.rs`.

mod accounts;
mod bridges;
mod calendar;
pub mod communities;
mod directory;
mod error;
mod events;
mod files;
mod handlers;
mod mail;
mod members;
mod openapi;
mod query;
mod resources;
mod views;
mod weaving;

pub use accounts::views::*;
pub use bridges::{BridgeView, BridgedInView};
pub use calendar::{CalendarAddressView, CalendarStatusView};
pub use directory::{
    ConstellationMemberView, ConstellationView, DirectoryEntryView, DirectoryPageView, JoinAskView,
    ListingView, PolicyView, SourceView,
};
pub use error::{ApiError, Problem};
pub use files::FileView;
pub use mail::{ConfirmedView, DoneView, MailSettingsView, UnsubscribeView};
pub use members::{
    CommunityInvitationView, JoinRequestView, JoinView, MemberView, MembershipSummaryView,
};
pub use openapi::{openapi, router};
pub use views::*;
pub use weaving::{TravelView, WeaveView, WeavingCountsView, WovenItemView};

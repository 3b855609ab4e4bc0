//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations as their routes are registered (`routes!`), and served at
//! `GET /api/openapi.json`. Also the problem responses every annotation names.

use crate::error::Problem;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, LicenseBuilder, OpenApi as Document, Ref, RefOr, Response,
    ResponseBuilder, Server,
};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use weft_federation::Ctx;

/// The name of the bearer security scheme the annotations name in `security(...)`.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    modifiers(&About),
    components(schemas(Problem)),
    tags(
        (name = "posts", description = "Threads, replies, edits, deletions, feeds, lookups"),
        (name = "follows", description = "Following communities and people, here or elsewhere"),
        (name = "events", description = "Scheduling events, RSVPs, attendees"),
        (name = "resources", description = "A community's resource library: folders, resources, versions, diffs, restores"),
        (name = "accounts", description = "Registering, logging in, API tokens"),
        (name = "admin", description = "The instance's registration policy, registrations, invitations"),
        (name = "mail", description = "Confirming an address, resetting a password, the weekly digest and unsubscribing"),
        (name = "meta", description = "This document"),
        (name = "files", description = "Uploading files to a community's library, listing them"),
        (name = "directory", description = "The directory of communities across the constellation, its search, and the admin's constellations and federation policy"),
        (name = "weaving", description = "Weaving items from any community into one here, with a note; what was woven in, and where a community's items travelled")
    )
)]
struct ApiDoc;

/// Weft's name, version, licence, and the bearer scheme.
struct About;

impl Modify for About {
    fn modify(&self, doc: &mut Document) {
        doc.info = InfoBuilder::new()
            .title("Weft")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "The REST API of a Weft instance, for its local members: communities of \
                 practice federated over ActivityPub. Authenticate with \
                 `Authorization: Bearer <token>` (from `POST /api/v1/login`, \
                 `POST /api/v1/accounts` or `weft user create`). Errors are RFC 9457 problem \
                 documents (`application/problem+json`). Lists page with a cursor (`before`) \
                 or a `limit`.",
            ))
            .license(Some(
                LicenseBuilder::new()
                    .name("AGPL-3.0-or-later")
                    .identifier(Some("AGPL-3.0-or-later"))
                    .build(),
            ))
            .build();
        doc.components.get_or_insert_default().add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from POST /api/v1/login or `weft user create`",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every route of the API with its documentation: each module's router, merged.
fn api() -> OpenApiRouter {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(document))
        .merge(crate::handlers::router())
}

/// The API's axum router (its documentation split off); every error it answers is a
/// problem document.
pub fn router() -> axum::Router {
    api()
        .split_for_parts()
        .0
        .layer(axum::middleware::map_response(
            crate::error::problem_for_rejections,
        ))
}

/// The API's OpenAPI document, without `servers` (the served copy names the instance).
pub fn openapi() -> Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(|| api().split_for_parts().1).clone()
}

/// This document, with this instance as its server.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object))
)]
async fn document(ctx: Ctx) -> axum::Json<Document> {
    let mut doc = openapi();
    let base = ctx.urls.base().as_str().trim_end_matches('/').to_string();
    doc.servers = Some(vec![Server::new(base)]);
    axum::Json(doc)
}

/// A problem response with `description`.
fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// Problem responses an annotation lists by name in its `responses(...)`, each for the
/// status(es) it says: e.g. `responses((status = 200, body = PostView), Unauthorized,
/// NotFound, ServerError)`.
macro_rules! problems {
    ($($(#[$doc:meta])* $name:ident: $($status:literal => $description:literal),+;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([$(($status.to_string(), problem($description))),+])
                }
            }
        )*
    };
}

problems! {
    /// A request body that is not the JSON asked for, or too large.
    BadBody: "400" => "The request is not valid (a body that is not the JSON asked for, a bad field or parameter)",
        "413" => "The request body is over the size limit";
    /// A parameter or field that is not valid.
    BadRequest: "400" => "A parameter or field is not valid";
    /// No bearer token, or one that is not valid.
    Unauthorized: "401" => "No `Authorization: Bearer <token>`, or a token that is not valid (wrong, expired, revoked)";
    /// The member may not do this here.
    Forbidden: "403" => "The member may not do this here";
    /// Something named is not known here.
    NotFound: "404" => "Something named in the path, query or body is not known here";
    /// The request conflicts with what is stored.
    Conflict: "409" => "The request conflicts with what is stored (a name taken, an answer already given)";
    /// Too many failed attempts.
    TooMany: "429" => "Too many failed attempts: try again later";
    /// A remote instance did not answer as it should.
    BadGateway: "502" => "A remote actor or community named could not be fetched";
    /// A file of a type not taken (read from its bytes).
    UnsupportedType: "415" => "The file's type, read from its bytes, is not one this instance takes";
    /// The database failed.
    ServerError: "500" => "The server failed (the database)";
}

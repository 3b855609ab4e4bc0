//! Weft's web interface: server-rendered pages for visitors, members, leads and admins,
//! over the same `weft-core` services as the REST API (no rule is decided here: a
//! refusal shows the service's own reason). Templates (askama) and the stylesheet and
//! the one small script are compiled into the binary; every form works without script.
//!
//! The pages share their addresses with the ActivityPub documents (`/c/{name}`,
//! `/u/{name}`): [`negotiate`] hands a browser's `GET` (one that asks for `text/html`,
//! not ActivityPub's JSON) to these pages, and everything else goes on to the federation
//! routes as before. Paths only the interface has (`/login`, `/c/{name}/t/{id}`, …) are
//! the application's fallback.

mod assets;
mod forms;
mod pages;
mod render;
mod session;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use render::NotAPage;
use tower_service_shim::oneshot;

/// Every page and form of the interface. Handlers take `Ctx` (`weft-federation`), so the
/// caller adds the federation library's middleware.
pub fn router(dev: bool) -> Router {
    use pages::*;
    Router::new()
        .route("/", get(public::directory))
        .route("/assets/{file}", get(assets::serve))
        .route("/c/{name}", get(public::community))
        .route("/c/{name}/t/{id}", get(public::thread))
        .route("/c/{name}/events/{id}", get(public::event))
        .route("/u/{name}", get(public::profile))
        .route("/remote/{id}", get(public::remote_community))
        .route("/remote/{id}/join", post(member::join_remote))
        .route("/remote/{id}/leave", post(member::leave_remote))
        .route("/remote/{id}/t/{tid}", get(public::thread))
        .route("/remote/{id}/t/{tid}/reply", post(member::reply))
        .route(
            "/remote/{id}/t/{tid}/edit",
            get(member::edit_form).post(member::edit),
        )
        .route("/remote/{id}/t/{tid}/delete", post(member::delete))
        .route("/remote/{id}/events/{eid}", get(public::event))
        .route("/remote/{id}/events/{eid}/rsvp", post(member::rsvp))
        .route("/authorize_interaction", get(follow::authorize_interaction))
        .route("/follow", post(follow::remote_follow))
        .route("/login", get(account::login_form).post(account::log_in))
        .route("/logout", post(account::log_out))
        .route("/signup", get(account::signup_form).post(account::sign_up))
        .route("/home", get(member::home))
        .route(
            "/settings/tokens",
            get(account::tokens).post(account::create_token),
        )
        .route("/settings/tokens/{id}/revoke", post(account::revoke_token))
        .route("/propose", get(member::propose_form).post(member::propose))
        .route("/c/{name}/join", post(member::join))
        .route("/c/{name}/leave", post(member::leave))
        .route("/c/{name}/interest", post(member::interest))
        .route("/c/{name}/post", post(member::start_thread))
        .route("/c/{name}/t/{id}/reply", post(member::reply))
        .route(
            "/c/{name}/t/{id}/edit",
            get(member::edit_form).post(member::edit),
        )
        .route("/c/{name}/t/{id}/delete", post(member::delete))
        .route("/c/{name}/events/{id}/rsvp", post(member::rsvp))
        .route("/c/{name}/manage", get(lead::manage))
        .route(
            "/c/{name}/requests/{id}/{decision}",
            post(lead::answer_request),
        )
        .route("/c/{name}/lifecycle/{step}", post(lead::lifecycle))
        .route("/c/{name}/schedule", post(lead::schedule))
        .route("/c/{name}/join-policy", post(lead::set_join_policy))
        .route("/c/{name}/events/{id}/cancel", post(lead::cancel_event))
        .route("/admin", get(admin::settings))
        .route("/admin/policy", post(admin::set_policy))
        .route(
            "/admin/registrations/{username}/{decision}",
            post(admin::decide),
        )
        // Every form's token is checked before its handler runs (not on the fallback:
        // a POST to no page stays a plain 404).
        .route_layer(axum::middleware::from_fn(session::csrf))
        .fallback(render::not_found)
        .layer(axum::middleware::from_fn(render::security_headers))
        .layer(axum::Extension(session::WebConfig { dev }))
}

/// Does this `Accept` ask for a page (HTML) rather than ActivityPub's JSON?
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut html = false;
    for part in accept.split(',') {
        let media = part.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/activity+json")
            || media.eq_ignore_ascii_case("application/ld+json")
        {
            return false;
        }
        if media.eq_ignore_ascii_case("text/html") {
            html = true;
        }
    }
    html
}

/// Middleware: a browser's `GET`/`HEAD` goes to the page of the same address when the
/// interface has one; anything else (ActivityPub clients, feeds, the API, files) goes on.
pub async fn negotiate(State(web): State<Router>, request: Request, next: Next) -> Response {
    // A form: the interface's, whatever federation route the address also matches. The
    // API's few form routes (the mail clients' one-click unsubscribe) stay the API's.
    let is_form = request.method() == Method::POST
        && !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let (parts, body) = request.into_parts();
        return oneshot(web, fresh(&parts, body)).await;
    }
    // The stylesheet and script: the interface's own (`/{prefix}/{name}` is an actor's).
    let is_asset = request.uri().path().starts_with("/assets/");
    if !is_asset
        && (!(request.method() == Method::GET || request.method() == Method::HEAD)
            || !wants_html(request.headers()))
    {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let page = oneshot(web, fresh(&parts, Body::empty())).await;
    if is_asset {
        return page;
    }
    if page.extensions().get::<NotAPage>().is_some() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let mut page = page;
    page.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    page.into_response()
}

/// A request for the interface's router: the same method, address and headers, and of
/// the extensions only the connection's address (this middleware runs on the outer
/// router's matched route, whose path parameters must not reach the pages').
fn fresh(parts: &axum::http::request::Parts, body: Body) -> Request {
    let mut copy = Request::new(body);
    *copy.method_mut() = parts.method.clone();
    *copy.uri_mut() = parts.uri.clone();
    *copy.version_mut() = parts.version;
    *copy.headers_mut() = parts.headers.clone();
    if let Some(connection) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        copy.extensions_mut().insert(*connection);
    }
    copy
}

mod tower_service_shim {
    use axum::Router;
    use axum::extract::Request;
    use axum::response::Response;
    use tower_service::Service;

    pub async fn oneshot(mut router: Router, request: Request) -> Response {
        match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

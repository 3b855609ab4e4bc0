//! Every request gets an id (the caller's `X-Request-Id` when well-formed, else a new
//! one), echoed in the response and carried by each log line written while it is
//! answered (a `request` span); its time is recorded in a latency histogram by the route
//! pattern that matched (`/c/{name}/inbox`, never the raw path, whose variety would
//! swamp Prometheus), and a line is logged when it is answered.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;
use weft_core::Meter;

pub const REQUEST_ID: &str = "x-request-id";

/// The route pattern a request matched, left in the response by [`note_route`].
#[derive(Clone)]
struct Route(String);

/// A caller's request id is taken when it is 1 to 128 characters from A-Z a-z 0-9 and
/// `-_.:`; anything else could forge log lines or swamp them.
fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Inner layer (`route_layer`, where the matched route is known): notes the route
/// pattern in the response for [`track`].
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Outer layer: the request id, the span, the latency and the log line.
pub async fn track(
    axum::extract::State(meter): axum::extract::State<Meter>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let header = HeaderValue::from_str(&id).expect("well-formed ids are header values");
    request.headers_mut().insert(REQUEST_ID, header.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = response
        .extensions()
        .get::<Route>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".into());
    meter.observe(
        "weft_http_request_duration_seconds",
        &[
            ("route", &route),
            ("method", method.as_str()),
            ("status", weft_core::meter::status_class(status)),
        ],
        elapsed.as_secs_f64(),
    );
    response.headers_mut().insert(REQUEST_ID, header);
    let _entered = span.enter();
    let ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(target: "weft::request", status, route, "{method} {path} answered {status} in {ms:.1} ms");
    } else if matches!(route.as_str(), "/health" | "/ready" | "/metrics") {
        tracing::debug!(target: "weft::request", status, route, "{method} {path} answered {status} in {ms:.1} ms");
    } else {
        tracing::info!(target: "weft::request", status, route, "{method} {path} answered {status} in {ms:.1} ms");
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_ids_are_taken() {
        assert!(super::well_formed("abc-123_x.y:z"));
        assert!(super::well_formed(&"a".repeat(128)));
        for bad in ["", "a b", "a\nb", "é", "a\"b", &"a".repeat(129)] {
            assert!(!super::well_formed(bad), "{bad:?}");
        }
    }
}

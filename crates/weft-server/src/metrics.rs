//! `/metrics` in Prometheus' text format: the counters and histograms Weft keeps as it
//! works (deliveries, inbox outcomes, request latency by route), and gauges read from
//! the database at scrape time (the delivery queue per instance, paused instances) and
//! from the connection pool. Off by default; behind a bearer token on the public
//! listener, or on a listener of its own (`[metrics]` in the configuration).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{Recorder, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::fmt::Write;
use std::sync::Arc;
use weft_core::Meter;
use weft_db::Db;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// One instance's metrics: where its parts count, and how to render them.
#[derive(Clone)]
pub struct Metrics {
    pub meter: Meter,
    handle: PrometheusHandle,
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("weft_http_request_duration_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .expect("buckets are not empty")
            .build_recorder();
        recorder.describe_counter(
            "weft_deliveries_total".into(),
            None,
            "Delivery attempts by result (sent, refused, failed, blocked) and HTTP status class \
             (network: no answer)"
                .into(),
        );
        recorder.describe_counter(
            "weft_inbox_activities_total".into(),
            None,
            "Activities posted to the inboxes by outcome (accepted, ignored, refused) and, \
             when refused, why"
                .into(),
        );
        recorder.describe_histogram(
            "weft_http_request_duration_seconds".into(),
            Some(Unit::Seconds),
            "Time to answer a request, by route pattern, method and status class".into(),
        );
        let handle = recorder.handle();
        Metrics {
            meter: Meter::new(Arc::new(recorder)),
            handle,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    db: Db,
    token: Option<Arc<str>>,
}

/// The `/metrics` route; answers only requests with `token` when one is given.
pub fn router(metrics: Metrics, db: Db, token: Option<String>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape {
            metrics,
            db,
            token: token.map(Arc::from),
        })
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn scrape(State(s): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &s.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.trim().as_bytes(), token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
                axum::Json(serde_json::json!({
                    "type": "about:blank",
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": "/metrics needs Authorization: Bearer with the token of [metrics] in the configuration",
                })),
            )
                .into_response();
        }
    }
    let pool = s.db.pool_state();
    let now = weft_db::now();
    let from_db =
        s.db.read(move |c| -> Result<_, weft_db::DbError> {
            Ok((
                weft_db::operations::queue_by_instance(c)?,
                weft_db::operations::paused_count(c, now)?,
            ))
        })
        .await;
    let mut text = s.metrics.handle.render();
    gauge(
        &mut text,
        "weft_db_pool_connections",
        "Database connections open, by state (idle, in_use), and the most the pool opens (max)",
    );
    for (state, value) in [
        ("idle", pool.idle),
        ("in_use", pool.open.saturating_sub(pool.idle)),
        ("max", pool.max),
    ] {
        let _ = writeln!(
            text,
            "weft_db_pool_connections{{state=\"{state}\"}} {value}"
        );
    }
    match from_db {
        Ok((queue, paused)) => {
            gauge(
                &mut text,
                "weft_delivery_queue_depth",
                "Deliveries waiting, per remote instance",
            );
            for q in &queue {
                let _ = writeln!(
                    text,
                    "weft_delivery_queue_depth{{instance=\"{}\"}} {}",
                    label(&q.instance.domain),
                    q.depth
                );
            }
            gauge(
                &mut text,
                "weft_delivery_queue_oldest_seconds",
                "Age of the oldest activity waiting, per remote instance",
            );
            for q in &queue {
                let age = q
                    .oldest_at
                    .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
                    .unwrap_or(0.0);
                let _ = writeln!(
                    text,
                    "weft_delivery_queue_oldest_seconds{{instance=\"{}\"}} {age}",
                    label(&q.instance.domain),
                );
            }
            gauge(
                &mut text,
                "weft_delivery_instances_paused",
                "Remote instances delivery is paused for after failing again and again",
            );
            let _ = writeln!(text, "weft_delivery_instances_paused {paused}");
            gauge(&mut text, "weft_up", "1 while the database answers");
            let _ = writeln!(text, "weft_up 1");
        }
        Err(e) => {
            tracing::warn!("metrics: cannot read the queue: {e}");
            gauge(&mut text, "weft_up", "1 while the database answers");
            let _ = writeln!(text, "weft_up 0");
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

fn gauge(text: &mut String, name: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
}

/// A label value escaped for the text format.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_escaped() {
        assert_eq!(super::label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(super::same(b"abc", b"abc"));
        assert!(!super::same(b"abc", b"abd"));
        assert!(!super::same(b"abc", b"abcd"));
    }
}

//! `/metrics` after real traffic: a post delivered from A to B, deliveries failing to a
//! dead peer until it is paused, a refused inbox post. The series are read back from the
//! scrape and checked against what happened and what the database holds; without the
//! token the answer is 401, and where no metrics are configured 404.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;
use weft_db::models::{NewActor, NewFollow, follow_state};
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);
const TOKEN: &str = "metrics-token-0123456789abcdef";

/// One sample of the text format: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_string(), v.trim_matches('"').to_string())
                })
                .collect();
            Sample {
                name: name.to_string(),
                labels,
                value: value.parse().expect("a number"),
            }
        })
        .collect()
}

/// The value of the one series `name` with (at least) these labels.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {found:?}");
    found.first().map(|s| s.value)
}

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn with_token(config: &mut weft_server::Config) {
    config.metrics.token = Some(TOKEN.into());
}

/// A follower of `community` on `host` (shared inbox `http://host/inbox`).
fn follower_on(instance: &Instance, community: &weft_db::models::ActorRow, host: &str) {
    let now = weft_db::now();
    let (community_id, pem, host) = (
        community.id,
        community.public_key_pem.clone(),
        host.to_string(),
    );
    instance
        .db
        .write_blocking(move |c| -> Result<(), weft_db::DbError> {
            let ap_id = format!("http://{host}/users/gone");
            let follower = weft_db::actors::upsert(
                c,
                &NewActor::remote_person(&ap_id, &host, &format!("http://{host}/inbox"), &pem, now),
            )?;
            weft_db::follows::upsert(
                c,
                &NewFollow {
                    follower_id: follower.id,
                    target_id: community_id,
                    state: follow_state::ACCEPTED.into(),
                    activity_ap_id: None,
                    created_at: now,
                },
            )?;
            Ok(())
        })
        .unwrap();
}

/// A port nothing listens on.
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Deliveries queued at `instance` for `domain`, straight from the database.
fn queued_for(instance: &Instance, domain: &str) -> i64 {
    let domain = domain.to_string();
    instance
        .db
        .read_blocking(move |c| -> Result<i64, weft_db::DbError> {
            Ok(weft_db::operations::queue_by_instance(c)?
                .into_iter()
                .find(|q| q.instance.domain == domain)
                .map(|q| q.depth)
                .unwrap_or(0))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_real_traffic_sqlite() {
    metrics_after_real_traffic(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_real_traffic_postgres() {
    if let Some(backend) = Backend::postgres() {
        metrics_after_real_traffic(backend).await;
    }
}

async fn metrics_after_real_traffic(backend: Backend) {
    let a = Instance::start_with("a", &backend, with_token);
    let b = Instance::start_with("b", &backend, with_token);
    let plain = Instance::start("plain", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let bob = b.user("bob");
    bob.follow_accepted(&a.handle("cop")).await;
    let dead = format!("localhost:{}", dead_port());
    follower_on(&a, &cop, &dead);

    let post = lead
        .post(
            &a.handle("cop"),
            "Handover notes",
            "What we learnt this week",
        )
        .await;
    eventually("the post reaches B", WAIT, || async {
        bob.lookup(&post.ap_id).await.map(|_| ())
    })
    .await;
    // Unsigned: refused for its signature.
    let (status, _) = deliver(&format!("{}/inbox", a.base), "{\"type\":\"Create\",\"id\":\"http://localhost:1/x\",\"actor\":\"http://localhost:1/u\",\"object\":{}}", vec![]).await;
    assert_eq!(status, 401);
    // The dead peer fails until delivery to it is paused.
    let dead_domain = dead.clone();
    eventually("delivery to the dead peer is paused", WAIT, || {
        let d = dead_domain.clone();
        let db = a.db.clone();
        async move {
            let row = db
                .read(move |c| weft_db::outbox::instance_by_domain(c, &d))
                .await
                .unwrap()?;
            row.paused_until.map(|_| ())
        }
    })
    .await;

    // Without the token, or with another: 401 and a problem body.
    let url = format!("{}/metrics", a.base);
    let (status, body) = scrape(&url, None).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Bearer"), "{body}");
    let (status, _) = scrape(&url, Some("metrics-token-0123456789abcdeX")).await;
    assert_eq!(status, 401);
    // Not configured: not there at all.
    let (status, _) = scrape(&format!("{}/metrics", plain.base), Some(TOKEN)).await;
    assert_eq!(status, 404);

    let (status, text) = scrape(&url, Some(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    let samples = parse(&text);
    let sent = value(
        &samples,
        "weft_deliveries_total",
        &[("result", "sent"), ("status", "2xx")],
    )
    .expect("deliveries sent are counted");
    assert!(sent >= 2.0, "the Accept and the post went to B: {sent}");
    let failed = value(
        &samples,
        "weft_deliveries_total",
        &[("result", "failed"), ("status", "network")],
    )
    .expect("failed deliveries are counted");
    assert!(
        failed >= 8.0,
        "eight failed rounds pause an instance: {failed}"
    );
    assert_eq!(
        value(
            &samples,
            "weft_inbox_activities_total",
            &[("outcome", "refused"), ("reason", "signature")]
        ),
        Some(1.0),
        "{text}"
    );
    let depth = value(
        &samples,
        "weft_delivery_queue_depth",
        &[("instance", dead.as_str())],
    )
    .expect("the dead peer's queue");
    assert!(depth >= 1.0);
    assert_eq!(depth as i64, queued_for(&a, &dead), "as the database says");
    assert_eq!(
        value(
            &samples,
            "weft_delivery_queue_depth",
            &[("instance", b.domain.as_str())]
        ),
        None,
        "nothing waits for B"
    );
    let age = value(
        &samples,
        "weft_delivery_queue_oldest_seconds",
        &[("instance", dead.as_str())],
    )
    .unwrap();
    assert!(age > 0.0 && age < WAIT.as_secs_f64() * 2.0, "{age}");
    assert_eq!(
        value(&samples, "weft_delivery_instances_paused", &[]),
        Some(1.0)
    );
    let max = match backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres(_) => 16.0,
    };
    assert_eq!(
        value(&samples, "weft_db_pool_connections", &[("state", "max")]),
        Some(max)
    );
    assert!(value(&samples, "weft_db_pool_connections", &[("state", "idle")]).is_some());
    assert_eq!(value(&samples, "weft_up", &[]), Some(1.0));
    // Latency by route pattern, never by raw path.
    assert_eq!(
        value(
            &samples,
            "weft_http_request_duration_seconds_count",
            &[("route", "/inbox"), ("method", "POST"), ("status", "4xx")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        samples
            .iter()
            .any(|s| s.name == "weft_http_request_duration_seconds_bucket"
                && s.labels
                    .get("route")
                    .is_some_and(|r| r.starts_with("/api/v1/"))),
        "API calls are timed by route: {text}"
    );
    for s in &samples {
        if let Some(route) = s.labels.get("route") {
            assert!(
                !route
                    .split('/')
                    .any(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()))
                    && !route.contains("/cop"),
                "a raw path leaked into a label: {route}"
            );
        }
    }

    // B took A's activities.
    let (status, text) = scrape(&format!("{}/metrics", b.base), Some(TOKEN)).await;
    assert_eq!(status, 200);
    let accepted = value(
        &parse(&text),
        "weft_inbox_activities_total",
        &[("outcome", "accepted")],
    )
    .unwrap_or(0.0);
    assert!(accepted >= 2.0, "the Accept and the post: {text}");
}

static METRICS_PORT: AtomicU16 = AtomicU16::new(0);

fn own_listener(config: &mut weft_server::Config) {
    config.metrics.listen = Some(format!("127.0.0.1:{}", METRICS_PORT.load(Ordering::SeqCst)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_have_a_listener_of_their_own() {
    METRICS_PORT.store(dead_port(), Ordering::SeqCst);
    let a = Instance::start_with("a", &Backend::Sqlite, own_listener);
    let (status, _) = scrape(&format!("{}/metrics", a.base), None).await;
    assert_eq!(status, 404, "not on the public listener");
    let port = METRICS_PORT.load(Ordering::SeqCst);
    let (status, text) = scrape(&format!("http://127.0.0.1:{port}/metrics"), None).await;
    assert_eq!(status, 200, "{text}");
    let samples = parse(&text);
    assert_eq!(value(&samples, "weft_up", &[]), Some(1.0));
    assert_eq!(
        value(&samples, "weft_delivery_instances_paused", &[]),
        Some(0.0)
    );
}

//! One request per peer in the form it reads: sinks that serve NodeInfo as Mastodon, as
//! Lemmy, and not at all follow a community. Each verifies every request's signature
//! (with the community's key or the author's) and logs what it got. Mastodon gets only
//! the bare-object `Announce`s and the author's own `Update`/`Delete`; Lemmy only the
//! community's `Announce`s of the activities; the unknown instance everything.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weft_db::models::{NewActor, NewFollow, follow_state};
use weft_protocol::httpsig;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(60);

/// What one sink accepted, in arrival order: (signer, activity label, activity JSON).
type Log = Arc<Mutex<Vec<(String, String, Value)>>>;

/// Which key signed the request (`"community"`, `"author"`), if either did.
fn signer(headers: &HeaderMap, body: &[u8], host: &str, keys: &[(&str, String)]) -> Option<String> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let signature = httpsig::parse_signature_header(&get("signature")?).ok()?;
    if !httpsig::digest_matches(&get("digest")?, body) {
        return None;
    }
    let string = httpsig::signing_string(&signature.headers, "post", "/inbox", None, None, |n| {
        if n == "host" {
            Some(host.to_string())
        } else {
            get(n)
        }
    })
    .ok()?;
    keys.iter()
        .find(|(_, pem)| {
            httpsig::VerifyingKey::from_pem(pem)
                .is_ok_and(|k| k.verify(&string, &signature.signature))
        })
        .map(|(who, _)| who.to_string())
}

/// `Announce(Create)`, `Announce(Page)`, `Update(Page)`, `Delete(link)`, …
fn label(activity: &Value) -> String {
    let kind = activity["type"].as_str().unwrap_or("?");
    match activity["object"]["type"].as_str() {
        Some(inner) => format!("{kind}({inner})"),
        None => format!("{kind}(link)"),
    }
}

/// A sink at a fresh port that says it runs `software` (or serves no NodeInfo).
async fn sink(software: Option<&'static str>, keys: Vec<(&'static str, String)>) -> (String, Log) {
    sink_serving(keys, move |base| match software {
        Some(name) => nodeinfo_routes(&base, json!({ "name": name, "version": "4.3.0" })),
        None => axum::Router::new(),
    })
    .await
}

/// NodeInfo links to `BASE/nodeinfo/2.0`, which names `software`.
fn nodeinfo_routes(base: &str, software: Value) -> axum::Router {
    let href = format!("{base}/nodeinfo/2.0");
    axum::Router::new()
        .route(
            "/.well-known/nodeinfo",
            get(move || {
                let href = href.clone();
                async move {
                    axum::Json(json!({ "links": [{
                        "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                        "href": href,
                    }]}))
                }
            }),
        )
        .route(
            "/nodeinfo/2.0",
            get(move || {
                let software = software.clone();
                async move {
                    axum::Json(json!({
                        "version": "2.0",
                        "software": software,
                        "protocols": ["activitypub"],
                        "usage": { "users": {} },
                        "openRegistrations": false,
                    }))
                }
            }),
        )
}

/// A sink whose inbox logs what it accepts, and which serves what `extra` makes of its
/// base URL besides.
async fn sink_serving(
    keys: Vec<(&'static str, String)>,
    extra: impl FnOnce(String) -> axum::Router,
) -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("localhost:{}", listener.local_addr().unwrap().port());
    let log: Log = Arc::default();
    let (l, h) = (log.clone(), host.clone());
    let app = axum::Router::new()
        .route(
            "/inbox",
            post(move |headers: HeaderMap, body: Bytes| {
                let (log, host, keys) = (l.clone(), h.clone(), keys.clone());
                async move {
                    let Some(who) = signer(&headers, &body, &host, &keys) else {
                        return StatusCode::UNAUTHORIZED;
                    };
                    let json: Value = serde_json::from_slice(&body).unwrap();
                    log.lock().unwrap().push((who, label(&json), json));
                    StatusCode::ACCEPTED
                }
            }),
        )
        .merge(extra(format!("http://{host}")));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (host, log)
}

/// A remote follower of `community` on `host`, with the shared inbox `http://HOST/inbox`.
fn follow_from(instance: &Instance, community: &weft_db::models::ActorRow, host: &str) {
    let now = weft_db::now();
    let (community_id, pem, host) = (
        community.id,
        community.public_key_pem.clone(),
        host.to_string(),
    );
    instance
        .db
        .write_blocking(move |c| -> Result<(), weft_db::DbError> {
            let ap_id = format!("http://{host}/users/sink");
            let inbox = format!("http://{host}/inbox");
            let follower = weft_db::actors::upsert(
                c,
                &NewActor::remote_person(&ap_id, &host, &inbox, &pem, now),
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

/// The software recorded for `host`, once it has been checked.
fn checked_software(instance: &Instance, host: &str) -> Option<Option<String>> {
    let host = host.to_string();
    instance
        .db
        .read_blocking(|c| weft_db::outbox::instance_by_domain(c, &host))
        .unwrap()
        .filter(|i| i.software_checked_at.is_some())
        .map(|i| i.software)
}

async fn each_instance_gets_the_form_it_reads(backend: Backend) {
    let a = Instance::start("a", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let keys = vec![
        ("community", cop.public_key_pem.clone()),
        ("author", lead.actor.public_key_pem.clone()),
    ];
    let (mastodon, to_mastodon) = sink(Some("mastodon"), keys.clone()).await;
    let (lemmy, to_lemmy) = sink(Some("Lemmy"), keys.clone()).await;
    let (unknown, to_unknown) = sink(None, keys).await;
    for host in [&mastodon, &lemmy, &unknown] {
        follow_from(&a, &cop, host);
    }
    // A follower from a new instance is enough for its NodeInfo to be fetched.
    for (host, expected) in [
        (&mastodon, Some("mastodon")),
        (&lemmy, Some("lemmy")),
        (&unknown, None),
    ] {
        let found = eventually(&format!("{host}'s software checked"), WAIT, || async {
            checked_software(&a, host)
        })
        .await;
        assert_eq!(found.as_deref(), expected, "{host}");
    }
    let failed =
        a.db.read_blocking(|c| weft_db::outbox::instance_by_domain(c, &unknown))
            .unwrap()
            .unwrap();
    assert!(
        failed
            .software_error
            .as_deref()
            .unwrap_or("")
            .contains("404"),
        "the failure is recorded: {:?}",
        failed.software_error
    );

    // A thread, an edit and a delete.
    let thread = lead.post(&a.handle("cop"), "Rota", "First draft").await;
    lead.edit(thread.id, None, "Second draft").await;
    lead.delete(thread.id).await;
    let expected_counts = [(&to_mastodon, 3), (&to_lemmy, 3), (&to_unknown, 6)];
    eventually("every sink to have what it reads", WAIT, || async {
        (a.queued() == 0
            && expected_counts
                .iter()
                .all(|(log, n)| log.lock().unwrap().len() >= *n))
        .then_some(())
    })
    .await;

    let seen = |log: &Log| -> Vec<String> {
        log.lock()
            .unwrap()
            .iter()
            .map(|(who, label, _)| format!("{label} by {who}"))
            .collect()
    };
    assert_eq!(
        seen(&to_mastodon),
        [
            "Announce(Page) by community",
            "Update(Page) by author",
            "Delete(link) by author"
        ],
        "Mastodon gets the bare object and the author's own Update/Delete"
    );
    assert_eq!(
        seen(&to_lemmy),
        [
            "Announce(Create) by community",
            "Announce(Update) by community",
            "Announce(Delete) by community"
        ],
        "Lemmy gets the community's Announce of each activity"
    );
    assert_eq!(
        seen(&to_unknown),
        [
            "Announce(Create) by community",
            "Announce(Page) by community",
            "Update(Page) by author",
            "Announce(Update) by community",
            "Delete(link) by author",
            "Announce(Delete) by community"
        ],
        "an instance that does not say what it runs gets both"
    );
    // The author's own activities are the author's, about the post, and say what changed.
    let (update, delete) = {
        let log = to_mastodon.lock().unwrap();
        (log[1].2.clone(), log[2].2.clone())
    };
    assert_eq!(update["actor"], lead.actor.ap_id.as_str());
    assert_eq!(update["object"]["id"], thread.ap_id.as_str());
    assert_eq!(update["object"]["source"]["content"], "Second draft");
    assert_eq!(delete["actor"], lead.actor.ap_id.as_str());
    assert_eq!(delete["object"], thread.ap_id.as_str());

    // An event goes the same way: its Announce(Create(Event)) to Lemmy only, the
    // Announce(Event) to Mastodon only (the RSVP poll to both).
    let starts = chrono::Utc::now() + chrono::Duration::days(7);
    let (status, created) = lead
        .schedule(
            &a.handle("cop"),
            json!({
                "title": "Quarterly meeting",
                "description": "Plans for the spring",
                "starts_at": starts.to_rfc3339(),
                "timezone": "Europe/London",
                "online_url": "https://meet.example/cop",
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    eventually("the event's announces", WAIT, || async {
        (a.queued() == 0
            && to_mastodon.lock().unwrap().len() >= 5
            && to_lemmy.lock().unwrap().len() >= 5
            && to_unknown.lock().unwrap().len() >= 9)
            .then_some(())
    })
    .await;
    let event_labels = |log: &Log, from: usize| -> Vec<String> {
        let mut labels: Vec<String> = seen(log)[from..].to_vec();
        labels.sort();
        labels
    };
    assert_eq!(
        event_labels(&to_mastodon, 3),
        [
            "Announce(Event) by community",
            "Create(Question) by community"
        ]
    );
    assert_eq!(
        event_labels(&to_lemmy, 3),
        [
            "Announce(Create) by community",
            "Create(Question) by community"
        ]
    );
    assert_eq!(
        event_labels(&to_unknown, 6),
        [
            "Announce(Create) by community",
            "Announce(Event) by community",
            "Create(Question) by community"
        ]
    );
    assert_eq!(a.queued(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_gets_the_form_it_reads_sqlite() {
    each_instance_gets_the_form_it_reads(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_gets_the_form_it_reads_postgres() {
    if let Some(backend) = Backend::postgres() {
        each_instance_gets_the_form_it_reads(backend).await;
    }
}

/// What a sink serves besides its inbox, made from its base URL.
type Routes = Box<dyn FnOnce(String) -> axum::Router>;

/// NodeInfo that cannot be trusted or read leaves the instance unknown, with the reason
/// recorded, and it gets both forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_nodeinfo_leaves_an_instance_unknown() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let keys = vec![("community", cop.public_key_pem.clone())];
    let cases: Vec<(&str, Routes)> = vec![
        (
            "not on",
            // A link to another host is not followed.
            Box::new(|_| nodeinfo_routes("http://127.0.0.1:9", json!({ "name": "lemmy" }))),
        ),
        (
            "is not a NodeInfo links document",
            Box::new(|_| {
                axum::Router::new().route("/.well-known/nodeinfo", get(|| async { "<html>" }))
            }),
        ),
        (
            "names no usable software",
            Box::new(|base| nodeinfo_routes(&base, json!({ "name": "<b>mastodon</b>" }))),
        ),
        (
            "is over",
            Box::new(|base| {
                let padding = "x".repeat(100_000);
                nodeinfo_routes(&base, json!({ "name": "mastodon", "padding": padding }))
            }),
        ),
        (
            "answered 500",
            Box::new(|_| {
                axum::Router::new().route(
                    "/.well-known/nodeinfo",
                    get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
                )
            }),
        ),
    ];
    let mut sinks = vec![];
    for (says, extra) in cases {
        let (host, log) = sink_serving(keys.clone(), extra).await;
        follow_from(&a, &cop, &host);
        sinks.push((says, host, log));
    }
    for (says, host, _) in &sinks {
        let found = eventually(&format!("{host}'s software checked"), WAIT, || async {
            checked_software(&a, host)
        })
        .await;
        assert_eq!(found, None, "{host} is unknown");
        let row =
            a.db.read_blocking(|c| weft_db::outbox::instance_by_domain(c, host))
                .unwrap()
                .unwrap();
        let error = row.software_error.unwrap_or_default();
        assert!(
            error.contains(says),
            "{host}: {error:?} should say {says:?}"
        );
    }
    lead.post(&a.handle("cop"), "Rota", "First draft").await;
    eventually("both forms everywhere", WAIT, || async {
        (a.queued() == 0
            && sinks
                .iter()
                .all(|(_, _, log)| log.lock().unwrap().len() >= 2))
        .then_some(())
    })
    .await;
    for (_, host, log) in &sinks {
        let labels: Vec<String> = log.lock().unwrap().iter().map(|e| e.1.clone()).collect();
        assert_eq!(labels, ["Announce(Create)", "Announce(Page)"], "{host}");
    }
}

//! The delivery queue against a peer that fails: a sink on localhost verifies each
//! request's signature and answers 503 to the first few. Everything arrives, each
//! activity once, and the activities about one post arrive in the order they happened.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weft_db::models::{NewActor, NewFollow, follow_state};
use weft_protocol::httpsig;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Sink {
    /// (status answered, activity JSON) in arrival order.
    log: Vec<(u16, serde_json::Value)>,
    fail_first: usize,
}

/// Checks the draft-cavage signature the way a peer would, with the sender's public key.
fn verified(headers: &HeaderMap, body: &[u8], public_pem: &str, path: &str, host: &str) -> bool {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (Some(signature), Some(digest)) = (get("signature"), get("digest")) else {
        return false;
    };
    let Ok(signature) = httpsig::parse_signature_header(&signature) else {
        return false;
    };
    if !httpsig::digest_matches(&digest, body) {
        return false;
    }
    let string = httpsig::signing_string(&signature.headers, "post", path, None, None, |name| {
        if name == "host" {
            Some(host.to_string())
        } else {
            get(name)
        }
    });
    let key = httpsig::VerifyingKey::from_pem(public_pem).unwrap();
    string.is_ok_and(|s| key.verify(&s, &signature.signature))
}

/// One remote follower of `community` on each of `hosts`, with the shared inbox
/// `http://HOST/inbox` (as if it had followed and been accepted).
fn follow_from(instance: &Instance, community: &weft_db::models::ActorRow, hosts: &[String]) {
    let now = weft_db::now();
    let (community_id, pem) = (community.id, community.public_key_pem.clone());
    let hosts = hosts.to_vec();
    instance
        .db
        .write_blocking(move |c| -> Result<(), weft_db::DbError> {
            for host in hosts {
                let ap_id = format!("http://{host}/users/sink");
                let shared_inbox = format!("http://{host}/inbox");
                let follower = weft_db::actors::upsert(
                    c,
                    &NewActor::remote_person(&ap_id, &host, &shared_inbox, &pem, now),
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
            }
            Ok(())
        })
        .unwrap();
}

/// Inboxes on `count` ports that check each signature with `public_pem`, answer 202
/// after `delay`, and log (host, activity id, when) of what they accepted.
type Arrivals = Arc<Mutex<Vec<(String, String, std::time::Instant)>>>;

async fn inboxes(count: usize, public_pem: &str, delay: Duration) -> (Vec<String>, Arrivals) {
    let log: Arrivals = Arc::default();
    let mut hosts = vec![];
    for _ in 0..count {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("localhost:{}", listener.local_addr().unwrap().port());
        let (log, key, h) = (log.clone(), public_pem.to_string(), host.clone());
        let app = axum::Router::new().route(
            "/inbox",
            post(move |headers: HeaderMap, body: Bytes| {
                let (log, key, host) = (log.clone(), key.clone(), h.clone());
                async move {
                    tokio::time::sleep(delay).await;
                    if !verified(&headers, &body, &key, "/inbox", &host) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let id = json["id"].as_str().unwrap().to_string();
                    log.lock()
                        .unwrap()
                        .push((host, id, std::time::Instant::now()));
                    StatusCode::ACCEPTED
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        hosts.push(host);
    }
    (hosts, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_to_more_instances_than_one_claim_takes_reaches_each_once() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    // More than the dispatcher claims at once (512 instances).
    let (hosts, log) = inboxes(700, &cop.public_key_pem, Duration::ZERO).await;
    follow_from(&a, &cop, &hosts);

    lead.post(&a.handle("cop"), "To everyone", "Hello").await;
    eventually("every instance to have both announces", WAIT, || async {
        (log.lock().unwrap().len() >= 2 * hosts.len()).then_some(())
    })
    .await;
    // Once the queue is empty nothing more can be sent: any repeat has arrived by then.
    eventually("the queue to drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
    let log = log.lock().unwrap();
    let mut pairs: Vec<(&str, &str)> = log
        .iter()
        .map(|(h, id, _)| (h.as_str(), id.as_str()))
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(
        pairs.len(),
        log.len(),
        "no activity reached an instance twice"
    );
    assert_eq!(log.len(), 2 * hosts.len());
    assert_eq!(a.queued(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_queued_while_its_instance_is_being_sent_to_follows_at_once() {
    // The dispatcher's idle poll is longer than the test waits: the second post arrives
    // only if recording the first round wakes the dispatcher (no clock involved).
    let a = Instance::start_with("a", &Backend::Sqlite, |c| {
        c.delivery.idle_poll = Duration::from_secs(600);
    });
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    // A peer that takes 100 ms to answer: the first post's announces keep its queue busy,
    // and the second post is queued meanwhile.
    let (hosts, log) = inboxes(1, &cop.public_key_pem, Duration::from_millis(100)).await;
    follow_from(&a, &cop, &hosts);

    lead.post(&a.handle("cop"), "First", "One").await;
    lead.post(&a.handle("cop"), "Second", "Two").await;
    eventually(
        "all four announces, without waiting for the idle poll",
        WAIT,
        || async { (log.lock().unwrap().len() >= 4).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_on_one_post_arrive_once_and_in_order_despite_failures() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("localhost:{}", listener.local_addr().unwrap().port());
    let sink = Arc::new(Mutex::new(Sink {
        fail_first: 3,
        ..Default::default()
    }));
    // Signed by the community (its Announces) or the author (their own Update/Delete,
    // which an instance of unknown software gets too).
    let (state, keys, h) = (
        sink.clone(),
        [
            cop.public_key_pem.clone(),
            lead.actor.public_key_pem.clone(),
        ],
        host.clone(),
    );
    let app = axum::Router::new().route(
        "/inbox",
        post(move |headers: HeaderMap, body: Bytes| {
            let (state, keys, host) = (state.clone(), keys.clone(), h.clone());
            async move {
                if !keys
                    .iter()
                    .any(|key| verified(&headers, &body, key, "/inbox", &host))
                {
                    return StatusCode::UNAUTHORIZED;
                }
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let mut sink = state.lock().unwrap();
                let status = if sink.log.len() < sink.fail_first {
                    503
                } else {
                    202
                };
                sink.log.push((status, json));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A remote follower of the community, living at the sink.
    follow_from(&a, &cop, std::slice::from_ref(&host));

    // A thread, two edits and a delete, written faster than the sink recovers.
    let thread = lead.post(&a.handle("cop"), "Rota", "First draft").await;
    lead.edit(thread.id, None, "Second draft").await;
    lead.edit(thread.id, None, "Third draft").await;
    lead.delete(thread.id).await;

    eventually("the queue to drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
    let sink = sink.lock().unwrap();
    let accepted: Vec<&serde_json::Value> = sink
        .log
        .iter()
        .filter(|(s, _)| *s == 202)
        .map(|(_, j)| j)
        .collect();
    let ids: std::collections::HashSet<&str> =
        accepted.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), accepted.len(), "no activity was accepted twice");
    let sequence: Vec<String> = accepted
        .iter()
        .map(|j| {
            let object = &j["object"];
            match object["type"].as_str() {
                Some(kind) if object.get("object").is_some() => {
                    format!("{}({kind})", j["type"].as_str().unwrap())
                }
                Some(kind) => format!("{}({kind})", j["type"].as_str().unwrap()),
                None => format!("{}(link)", j["type"].as_str().unwrap()),
            }
        })
        .collect();
    assert_eq!(
        sequence,
        [
            "Announce(Create)",
            "Announce(Page)",
            "Update(Page)",
            "Announce(Update)",
            "Update(Page)",
            "Announce(Update)",
            "Delete(link)",
            "Announce(Delete)"
        ],
        "in the order they happened"
    );
    let edits: Vec<&str> = accepted
        .iter()
        .filter(|j| j["object"]["type"] == "Update")
        .map(|j| j["object"]["object"]["source"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(edits, ["Second draft", "Third draft"]);
    assert!(
        sink.log.len() > accepted.len(),
        "the first attempts failed and were retried"
    );
}

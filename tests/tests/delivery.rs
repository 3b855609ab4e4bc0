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
    let (state, key, h) = (sink.clone(), cop.public_key_pem.clone(), host.clone());
    let app = axum::Router::new().route(
        "/inbox",
        post(move |headers: HeaderMap, body: Bytes| {
            let (state, key, host) = (state.clone(), key.clone(), h.clone());
            async move {
                if !verified(&headers, &body, &key, "/inbox", &host) {
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
    let follower_id = format!("http://{host}/users/sink");
    let now = weft_db::now();
    let new_actor = NewActor {
        ap_id: follower_id.clone(),
        kind: "Person".into(),
        username: "sink".into(),
        domain: host.clone(),
        display_name: None,
        summary: None,
        summary_source: None,
        inbox_url: format!("http://{host}/users/sink/inbox"),
        shared_inbox_url: Some(format!("http://{host}/inbox")),
        outbox_url: None,
        followers_url: None,
        public_key_id: format!("{follower_id}#main-key"),
        public_key_pem: cop.public_key_pem.clone(),
        private_key_pem: None,
        is_local: false,
        manually_approves_followers: false,
        discoverable: true,
        posting_restricted_to_mods: false,
        published_at: now,
        last_refreshed_at: now,
    };
    let community_id = cop.id;
    a.db.write_blocking(|c| -> Result<(), weft_db::DbError> {
        let follower = weft_db::actors::upsert(c, &new_actor)?;
        weft_db::follows::upsert(
            c,
            &NewFollow {
                follower_id: follower.id,
                target_id: community_id,
                state: follow_state::ACCEPTED.into(),
                activity_ap_id: None,
                created_at: now,
            },
        )
    })
    .unwrap();

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
            "Announce(Update)",
            "Announce(Update)",
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

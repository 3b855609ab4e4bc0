//! Sinks: stand-ins for remote instances on localhost ports. Each checks every request's
//! draft-cavage signature with the sender's public key (as a peer would), may wait
//! before answering (a distant peer), and records what it received.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_protocol::httpsig::{self, VerifyingKey};

/// One received activity.
#[derive(Clone, Debug)]
pub struct Received {
    pub port: u16,
    pub id: String,
    /// `Announce(Create)`, `Announce(Page)`, …
    pub label: String,
    /// The post the activity is about.
    pub object: String,
    pub at: Instant,
}

pub struct SinkState {
    key: VerifyingKey,
    delay: Duration,
    pub log: Mutex<Vec<Received>>,
    pub bad_signatures: AtomicU64,
}

pub struct Sinks {
    pub ports: Vec<u16>,
    pub state: Arc<SinkState>,
}

fn label_and_object(json: &serde_json::Value) -> (String, String) {
    let kind = json["type"].as_str().unwrap_or("?");
    let object = &json["object"];
    match object["type"].as_str() {
        Some(inner) => {
            let post = object["object"]["id"]
                .as_str()
                .or(object["object"].as_str())
                .or(object["id"].as_str())
                .unwrap_or_default();
            (format!("{kind}({inner})"), post.to_string())
        }
        None => (
            format!("{kind}(link)"),
            object.as_str().unwrap_or_default().to_string(),
        ),
    }
}

async fn receive(
    State(state): State<Arc<SinkState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let verified = (|| {
        let signature = httpsig::parse_signature_header(&get("signature")?).ok()?;
        if !httpsig::digest_matches(&get("digest")?, &body) {
            return None;
        }
        let string =
            httpsig::signing_string(&signature.headers, "post", "/inbox", None, None, |name| {
                if name == "host" {
                    Some(host.clone())
                } else {
                    get(name)
                }
            })
            .ok()?;
        state
            .key
            .verify(&string, &signature.signature)
            .then_some(())
    })();
    if verified.is_none() {
        state.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let (label, object) = label_and_object(&json);
    let port = host
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    state.log.lock().unwrap().push(Received {
        port,
        id: json["id"].as_str().unwrap_or_default().to_string(),
        label,
        object,
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

impl Sinks {
    /// `count` sinks verifying with `public_pem`, each answering after `delay`.
    pub async fn start(count: usize, public_pem: &str, delay: Duration) -> Result<Sinks, String> {
        let state = Arc::new(SinkState {
            key: VerifyingKey::from_pem(public_pem)?,
            delay,
            log: Mutex::default(),
            bad_signatures: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .route("/inbox", post(receive))
            .with_state(state.clone());
        let mut ports = Vec::with_capacity(count);
        for _ in 0..count {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("sink: {e}"))?;
            ports.push(listener.local_addr().unwrap().port());
            let app = app.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Ok(Sinks { ports, state })
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.state.log.lock().unwrap().len()
    }

    /// Activities received per sink port, by id (to find missing or repeated ones).
    pub fn per_port(&self) -> HashMap<u16, HashMap<String, u32>> {
        let mut map: HashMap<u16, HashMap<String, u32>> = HashMap::new();
        for r in self.received() {
            *map.entry(r.port).or_default().entry(r.id).or_default() += 1;
        }
        map
    }
}

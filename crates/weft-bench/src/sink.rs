//! Sinks: stand-ins for remote instances on localhost ports. Each checks every request's
//! draft-cavage signature with the sender's public key (as a peer would), may wait
//! before answering (a distant peer), records what it received, and may say in its
//! NodeInfo what software it runs (so Weft sends it only the form it reads).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// What each sink's NodeInfo says it runs, by port (none: no NodeInfo, a 404).
    software: HashMap<u16, &'static str>,
    fault: Option<crate::Fault>,
    /// The fault was injected (once per set of sinks).
    faulted: AtomicBool,
    pub log: Mutex<Vec<Received>>,
    pub bad_signatures: AtomicU64,
}

/// How the sinks behave.
pub struct Behaviour {
    /// How long each waits before answering.
    pub delay: Duration,
    /// What the sink with this index says it runs (`None`: it serves no NodeInfo).
    pub software: fn(usize) -> Option<&'static str>,
    pub fault: Option<crate::Fault>,
}

pub struct Sinks {
    pub ports: Vec<u16>,
    pub state: Arc<SinkState>,
}

/// The parts of an activity a sink looks at, read without building the whole document
/// (a `serde_json::Value` per request was the sinks' largest cost after the signature).
#[derive(serde::Deserialize)]
struct Seen {
    #[serde(default)]
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    object: Option<SeenObject>,
}

/// An `object`: a link, or an object with a type, an id and maybe an object of its own.
enum SeenObject {
    Link(String),
    Object {
        kind: Option<String>,
        id: Option<String>,
        object: Option<Box<SeenObject>>,
    },
}

impl SeenObject {
    fn id(&self) -> Option<&str> {
        match self {
            SeenObject::Link(id) => Some(id),
            SeenObject::Object { id, .. } => id.as_deref(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for SeenObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = SeenObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a link or an object")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SeenObject, E> {
                Ok(SeenObject::Link(v.to_string()))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<SeenObject, M::Error> {
                let (mut kind, mut id, mut object) = (None, None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "type" => kind = map.next_value::<Option<String>>()?,
                        "id" => id = map.next_value::<Option<String>>()?,
                        "object" => object = Some(Box::new(map.next_value::<SeenObject>()?)),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(SeenObject::Object { kind, id, object })
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<SeenObject, S::Error> {
                // A list of objects: the first one.
                let first = seq.next_element::<SeenObject>()?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(first.unwrap_or(SeenObject::Object {
                    kind: None,
                    id: None,
                    object: None,
                }))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// `Announce(Create)` and the post it is about, `Announce(Page)`, `Announce(link)`, …
fn label_and_object(seen: &Seen) -> (String, String) {
    match &seen.object {
        Some(SeenObject::Object {
            kind: Some(inner),
            id,
            object,
        }) => {
            let post = object
                .as_ref()
                .and_then(|o| o.id())
                .or(id.as_deref())
                .unwrap_or_default();
            (format!("{}({inner})", seen.kind), post.to_string())
        }
        other => (
            format!("{}(link)", seen.kind),
            other
                .as_ref()
                .and_then(|o| o.id())
                .unwrap_or_default()
                .to_string(),
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
    let Ok(seen) = serde_json::from_slice::<Seen>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let (label, object) = label_and_object(&seen);
    let received = Received {
        port: port_of(&host),
        id: seen.id.clone(),
        label,
        object,
        at: Instant::now(),
    };
    let mut log = state.log.lock().unwrap();
    if state.fault == Some(crate::Fault::Repeat) && !state.faulted.swap(true, Ordering::Relaxed) {
        log.push(received.clone());
    }
    log.push(received);
    StatusCode::ACCEPTED
}

fn port_of(host: &str) -> u16 {
    host.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// The software a sink runs, if it says, from the `Host` it was asked as.
fn software_of<'a>(state: &'a SinkState, headers: &HeaderMap) -> Option<(&'a str, String)> {
    let host = headers.get("host")?.to_str().ok()?.to_string();
    let name = state.software.get(&port_of(&host))?;
    Some((name, host))
}

async fn nodeinfo_links(State(state): State<Arc<SinkState>>, headers: HeaderMap) -> Response {
    match software_of(&state, &headers) {
        Some((_, host)) => axum::Json(serde_json::json!({ "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
            "href": format!("http://{host}/nodeinfo/2.0"),
        }]}))
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn nodeinfo(State(state): State<Arc<SinkState>>, headers: HeaderMap) -> Response {
    match software_of(&state, &headers) {
        Some((name, _)) => axum::Json(serde_json::json!({
            "version": "2.0",
            "software": { "name": name, "version": "1.0" },
            "protocols": ["activitypub"],
            "usage": { "users": {} },
            "openRegistrations": false,
        }))
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Sinks {
    /// `count` sinks verifying with `public_pem`, behaving as `behaviour` says.
    pub async fn start(
        count: usize,
        public_pem: &str,
        behaviour: Behaviour,
    ) -> Result<Sinks, String> {
        let mut listeners = Vec::with_capacity(count);
        let mut software = HashMap::new();
        for i in 0..count {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("sink: {e}"))?;
            let port = listener.local_addr().unwrap().port();
            if let Some(name) = (behaviour.software)(i) {
                software.insert(port, name);
            }
            listeners.push((port, listener));
        }
        let state = Arc::new(SinkState {
            key: VerifyingKey::from_pem(public_pem)?,
            delay: behaviour.delay,
            software,
            fault: behaviour.fault,
            faulted: AtomicBool::new(false),
            log: Mutex::default(),
            bad_signatures: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .route("/inbox", post(receive))
            .route("/.well-known/nodeinfo", get(nodeinfo_links))
            .route("/nodeinfo/2.0", get(nodeinfo))
            .with_state(state.clone());
        let mut ports = Vec::with_capacity(count);
        for (port, listener) in listeners {
            ports.push(port);
            let app = app.clone();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        Ok(Sinks { ports, state })
    }

    /// What the sink on `port` says it runs.
    pub fn software(&self, port: u16) -> Option<&'static str> {
        self.state.software.get(&port).copied()
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.state.log.lock().unwrap().len()
    }

    /// The labels of what each sink received, sorted, by port.
    pub fn labels_per_port(&self) -> HashMap<u16, Vec<String>> {
        let mut map: HashMap<u16, Vec<String>> = HashMap::new();
        for r in self.received() {
            map.entry(r.port).or_default().push(r.label);
        }
        map.values_mut().for_each(|l| l.sort());
        map
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

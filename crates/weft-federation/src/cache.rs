//! A cache of what the read path served (actors, WebFinger, collections, objects), as
//! bytes. An entry is used only while the database's generation has not moved since it
//! was made (this process wrote nothing, and on PostgreSQL no other Weft process said
//! it wrote: `weft_db::notify`), and for at most `TTL`, the bound on staleness when that
//! word does not come (the listener's connection is down, or a writer does not notify).
//! Busy read paths then cost a lookup, not a query.

use axum::body::HttpBody;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use weft_db::Db;

const TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 10_000;
const MAX_BODY: usize = 256 * 1024;

struct Entry {
    generation: u64,
    made: Instant,
    content_type: HeaderValue,
    body: Bytes,
}

pub struct ResponseCache {
    db: Db,
    entries: RwLock<HashMap<String, Entry>>,
}

impl ResponseCache {
    pub fn new(db: Db) -> Arc<ResponseCache> {
        Arc::new(ResponseCache {
            db,
            entries: RwLock::default(),
        })
    }
}

/// Says how an answer was served (`hit`, `miss`, or `uncached` for one too large to keep).
pub const CACHE_HEADER: &str = "x-weft-cache";

/// The query parameters that change an answer on the read path; any others are ignored
/// by the handlers, so they are left out of the key (junk cannot fill the cache).
const KNOWN_PARAMS: &[&str] = &["page", "resource", "rel"];

/// The key of a request: its path, the known parameters (sorted, numbers without leading
/// zeros), and whether the caller asked for HTML (content negotiation serves it another
/// answer on the shared paths).
fn cache_key(request: &Request) -> String {
    let uri = request.uri();
    let mut params: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .filter(|(k, _)| KNOWN_PARAMS.contains(&k.as_ref()))
            .map(|(k, v)| {
                let v = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    let trimmed = v.trim_start_matches('0');
                    if trimmed.is_empty() { "0" } else { trimmed }.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
    params.sort();
    let html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html") && !a.contains("json"));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!(
        "{}?{query}#{}",
        uri.path(),
        if html { "html" } else { "json" }
    )
}

fn mark(mut response: Response, how: &'static str) -> Response {
    response
        .headers_mut()
        .insert(CACHE_HEADER, HeaderValue::from_static(how));
    response
}

/// Axum middleware: answers a GET from the cache, or runs the handler and keeps a 200
/// of at most `MAX_BODY` bytes; a larger answer is served as it is, uncached.
pub async fn serve_cached(
    State(cache): State<Arc<ResponseCache>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = cache_key(&request);
    let generation = cache.db.generation();
    if let Some(entry) = cache.entries.read().expect("cache").get(&key)
        && entry.generation == generation
        && entry.made.elapsed() < TTL
    {
        let response = (
            [(header::CONTENT_TYPE, entry.content_type.clone())],
            entry.body.clone(),
        )
            .into_response();
        return mark(response, "hit");
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    if response
        .body()
        .size_hint()
        .exact()
        .is_none_or(|n| n > MAX_BODY as u64)
    {
        return mark(response, "uncached");
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Some(content_type) = parts.headers.get(header::CONTENT_TYPE) {
        let mut entries = cache.entries.write().expect("cache");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                made: Instant::now(),
                content_type: content_type.clone(),
                body: bytes.clone(),
            },
        );
    }
    mark(Response::from_parts(parts, Body::from(bytes)), "miss")
}

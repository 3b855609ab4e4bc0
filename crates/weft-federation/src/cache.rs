//! A cache of what the read path served (actors, WebFinger, collections, objects), as
//! bytes. An entry is used only while this process has written nothing since it was
//! made, and for at most a few seconds (other processes sharing PostgreSQL cannot tell
//! this one that they wrote). Busy read paths then cost a lookup, not a query.

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

/// Axum middleware: answers a GET from the cache, or runs the handler and keeps a 200.
pub async fn serve_cached(
    State(cache): State<Arc<ResponseCache>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    let generation = cache.db.generation();
    if let Some(entry) = cache.entries.read().expect("cache").get(&key)
        && entry.generation == generation
        && entry.made.elapsed() < TTL
    {
        return (
            [(header::CONTENT_TYPE, entry.content_type.clone())],
            entry.body.clone(),
        )
            .into_response();
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
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
    Response::from_parts(parts, Body::from(bytes))
}

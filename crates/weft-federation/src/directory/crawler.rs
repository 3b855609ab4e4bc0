//! The crawler: a task started with the server that keeps the directory table filled
//! with the communities of every other member of this instance's constellations. Each
//! tick it refreshes this instance's own entries, re-reads the member lists of the
//! constellations it joined (from their convenors), and starts a crawl of each member
//! that is due, at most `at_once` at a time. Each crawl runs as a task of its own, so a
//! member that is down or slow (up to the client's timeout) holds up no other; a failed
//! crawl is tried again after a backoff that doubles up to `max_backoff`. A crawl sends
//! the `ETag` and `Last-Modified` of the last one (`If-None-Match`, `If-Modified-Since`):
//! a 304 costs one request and changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use url::Url;
use weft_core::Urls;
use weft_core::directory::crawl::{self, Fetched, Target};
use weft_db::Db;
use weft_protocol::DirectoryEntryJson;

/// The largest document read (a directory page, a member list, an actor).
const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most pages of one directory read (100 entries each).
const MAX_PAGES: usize = 200;

/// How the crawler runs (`[directory]` in the configuration).
#[derive(Debug, Clone)]
pub struct CrawlSettings {
    /// How often the crawler looks for work.
    pub every: Duration,
    /// How long a successful crawl holds before the member is crawled again.
    pub recrawl: Duration,
    /// The wait after a first failure (doubled after each further one).
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Crawls running at once.
    pub at_once: usize,
    /// Production: only https addresses are followed.
    pub https: bool,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        CrawlSettings {
            every: Duration::from_secs(30),
            recrawl: Duration::from_secs(15 * 60),
            first_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(6 * 60 * 60),
            at_once: 4,
            https: true,
        }
    }
}

/// The crawler's state between ticks.
struct Crawler {
    db: Db,
    urls: Urls,
    client: reqwest::Client,
    settings: CrawlSettings,
    in_flight: Arc<Mutex<HashSet<String>>>,
    permits: Arc<Semaphore>,
    lists_read: HashMap<i64, Instant>,
}

/// Runs the crawler for ever.
pub async fn run(db: Db, urls: Urls, client: reqwest::Client, settings: CrawlSettings) {
    let mut tick = tokio::time::interval(settings.every.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut crawler = Crawler {
        permits: Arc::new(Semaphore::new(settings.at_once.max(1))),
        db,
        urls,
        client,
        settings,
        in_flight: Default::default(),
        lists_read: HashMap::new(),
    };
    loop {
        tick.tick().await;
        if let Err(e) = crawler.tick().await {
            tracing::warn!("directory crawl: {e}");
        }
    }
}

impl Crawler {
    async fn tick(&mut self) -> Result<(), String> {
        let urls = self.urls.clone();
        self.db
            .write(move |c| weft_core::directory::refresh_local(c, &urls))
            .await
            .map_err(|e| e.to_string())?;
        self.read_member_lists().await?;
        let urls = self.urls.clone();
        let targets = self
            .db
            .write(move |c| crawl::targets(c, &urls))
            .await
            .map_err(|e| e.to_string())?;
        let now = weft_db::now();
        for target in targets {
            if target.source.next_attempt_at > now {
                continue;
            }
            if !self
                .in_flight
                .lock()
                .expect("in flight")
                .insert(target.domain.clone())
            {
                continue;
            }
            let (db, client, settings) =
                (self.db.clone(), self.client.clone(), self.settings.clone());
            let (in_flight, permits) = (self.in_flight.clone(), self.permits.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                let domain = target.domain.clone();
                crawl_and_record(&db, &client, &settings, target).await;
                in_flight.lock().expect("in flight").remove(&domain);
            });
        }
        Ok(())
    }

    /// Re-reads the member list of each constellation joined, once per `recrawl` (at once
    /// after joining).
    async fn read_member_lists(&mut self) -> Result<(), String> {
        let urls = self.urls.clone();
        let joined = self
            .db
            .read(move |c| crawl::joined(c, &urls))
            .await
            .map_err(|e| e.to_string())?;
        for (actor, row) in joined {
            if self
                .lists_read
                .get(&actor.id)
                .is_some_and(|at| at.elapsed() < self.settings.recrawl)
            {
                continue;
            }
            match fetch_members(&self.client, &row.members_url).await {
                Ok(members) => {
                    let id = row.actor_id;
                    self.db
                        .write(move |c| crawl::store_members(c, id, &members))
                        .await
                        .map_err(|e| e.to_string())?;
                    self.lists_read.insert(actor.id, Instant::now());
                }
                Err(e) => tracing::info!("the member list of {}: {e}", actor.ap_id),
            }
        }
        Ok(())
    }
}

/// Crawls one member and records the outcome: its entries, or the failure and backoff.
async fn crawl_and_record(
    db: &Db,
    client: &reqwest::Client,
    settings: &CrawlSettings,
    target: Target,
) {
    let domain = target.domain.clone();
    let outcome = crawl_one(client, settings, &target).await;
    let (first, max) = (settings.first_backoff, settings.max_backoff);
    let recrawl =
        chrono::Duration::from_std(settings.recrawl).unwrap_or(chrono::Duration::hours(1));
    let recorded = match outcome {
        Ok((url, fetched)) => {
            let d = domain.clone();
            db.write(move |c| {
                crawl::store_directory(c, &d, &url, fetched, weft_db::now() + recrawl)
            })
            .await
            .map(|n| tracing::debug!("directory of {domain}: {n} entries"))
        }
        Err(e) => {
            tracing::info!("directory of {domain}: {e}");
            let d = domain.clone();
            db.write(move |c| crawl::record_failure(c, &d, &e, first, max))
                .await
                .map(|next| tracing::debug!("directory of {domain}: next try at {next}"))
        }
    };
    if let Err(e) = recorded {
        tracing::warn!("recording the crawl of {domain}: {e}");
    }
}

/// GETs `url` as ActivityStreams JSON (with `extra` headers): the status, the
/// validators, and the body (unless 304), refused past [`MAX_BYTES`].
async fn get(
    client: &reqwest::Client,
    url: &str,
    extra: &[(&str, String)],
) -> Result<(u16, Option<String>, Option<String>, Vec<u8>), String> {
    let mut request = client
        .get(url)
        .header("accept", "application/activity+json, application/ld+json");
    for (name, value) in extra {
        request = request.header(*name, value);
    }
    let mut response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (etag, modified) = (header("etag"), header("last-modified"));
    if status.as_u16() == 304 {
        return Ok((304, etag, modified, vec![]));
    }
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    let mut body = vec![];
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(format!("{url} is over {MAX_BYTES} bytes"));
        }
    }
    Ok((status.as_u16(), etag, modified, body))
}

fn json(url: &str, body: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("{url} is not JSON: {e}"))
}

/// Is `url` on `domain` (host[:port])?
fn on_host(url: &str, domain: &str) -> bool {
    Url::parse(url)
        .ok()
        .as_ref()
        .and_then(weft_core::urls::host_port)
        .is_some_and(|h| h.eq_ignore_ascii_case(domain))
}

/// The items of a collection document (inline, or on its pages), as strings or objects.
async fn collection_items(
    client: &reqwest::Client,
    url: &str,
    first: serde_json::Value,
) -> Result<Vec<serde_json::Value>, String> {
    let mut items = vec![];
    let take = |doc: &serde_json::Value, items: &mut Vec<serde_json::Value>| {
        for key in ["orderedItems", "items"] {
            if let Some(list) = doc.get(key).and_then(|v| v.as_array()) {
                items.extend(list.iter().cloned());
            }
        }
    };
    take(&first, &mut items);
    let mut next = first
        .get("first")
        .and_then(|f| f.as_str().or_else(|| f.get("id").and_then(|i| i.as_str())))
        .map(str::to_string);
    let mut pages = 0;
    while let Some(page_url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(format!("{url} has over {MAX_PAGES} pages"));
        }
        let Some(domain) = Url::parse(url)
            .ok()
            .as_ref()
            .and_then(weft_core::urls::host_port)
        else {
            break;
        };
        if !on_host(&page_url, &domain) {
            return Err(format!("{url} pages to another host: {page_url}"));
        }
        let (_, _, _, body) = get(client, &page_url, &[]).await?;
        let page = json(&page_url, &body)?;
        take(&page, &mut items);
        next = page
            .get("next")
            .and_then(|n| n.as_str())
            .map(str::to_string);
    }
    Ok(items)
}

/// The member instances (their actors' URLs) a convenor lists for a constellation.
async fn fetch_members(client: &reqwest::Client, members_url: &str) -> Result<Vec<Url>, String> {
    let (_, _, _, body) = get(client, members_url, &[]).await?;
    let doc = json(members_url, &body)?;
    Ok(collection_items(client, members_url, doc)
        .await?
        .iter()
        .filter_map(|v| v.as_str().or_else(|| v.get("id").and_then(|i| i.as_str())))
        .filter_map(|s| Url::parse(s).ok())
        .collect())
}

/// Where the member at `actor` publishes its directory (`weft:directory` on its instance
/// actor), which must be on its own host.
async fn discover(client: &reqwest::Client, actor: &str, domain: &str) -> Result<String, String> {
    let (_, _, _, body) = get(client, actor, &[]).await?;
    let doc = json(actor, &body)?;
    let url = doc
        .get("weft:directory")
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("{actor} names no directory (weft:directory)"))?;
    if !on_host(url, domain) {
        return Err(format!("{actor} names a directory on another host: {url}"));
    }
    Ok(url.to_string())
}

/// One crawl of a member's directory: where it is, and what it brought.
async fn crawl_one(
    client: &reqwest::Client,
    settings: &CrawlSettings,
    target: &Target,
) -> Result<(String, Fetched), String> {
    if settings.https && !target.member.starts_with("https://") {
        return Err(format!("{} is not an https address", target.member));
    }
    let url = match &target.source.directory_url {
        Some(url) => url.clone(),
        None => discover(client, &target.member, &target.domain).await?,
    };
    let mut validators = vec![];
    if let Some(etag) = &target.source.etag {
        validators.push(("if-none-match", etag.clone()));
    }
    if let Some(modified) = &target.source.last_modified {
        validators.push(("if-modified-since", modified.clone()));
    }
    let (status, etag, last_modified, body) = get(client, &url, &validators).await?;
    if status == 304 {
        return Ok((url, Fetched::Unchanged));
    }
    let doc = json(&url, &body)?;
    let entries: Vec<DirectoryEntryJson> = collection_items(client, &url, doc)
        .await?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    Ok((
        url,
        Fetched::Directory {
            entries,
            etag,
            last_modified,
        },
    ))
}

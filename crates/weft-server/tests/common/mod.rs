//! What the multi-process tests share: fresh PostgreSQL databases, real `weft serve`
//! processes, remote inboxes that verify every signature, and reading the queue.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use diesel::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_db::{Db, DbError, SimpleConnection};
use weft_protocol::httpsig;

pub const WAIT: Duration = Duration::from_secs(60);

pub fn postgres() -> Option<String> {
    match std::env::var("WEFT_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set WEFT_TEST_POSTGRES_URL so the PostgreSQL tests run"
            );
            eprintln!("WEFT_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run");
            None
        }
    }
}

pub fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A fresh PostgreSQL database, dropped at the end.
pub struct Database {
    pub admin: String,
    pub name: String,
    pub url: String,
}

impl Database {
    pub fn new(admin: &str) -> Database {
        let name = format!("weft_multi_{}", unique());
        weft_db::establish(admin)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&format!("/{name}"));
        Database {
            admin: admin.to_string(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut c) = weft_db::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `weft serve` process; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub base: String,
}

impl Server {
    pub fn spawn(database_url: &str, domain: &str, dir: &std::path::Path) -> Server {
        // A killed process's hold on a remote's queue runs out quickly here.
        Server::spawn_on(free_port(), database_url, domain, dir, Some("2"))
    }

    /// A server on `port`; `lease_seconds` None keeps the default lease (60 s).
    pub fn spawn_on(
        port: u16,
        database_url: &str,
        domain: &str,
        dir: &std::path::Path,
        lease_seconds: Option<&str>,
    ) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_weft"));
        if let Some(seconds) = lease_seconds {
            command.env("WEFT_DELIVERY_LEASE_SECONDS", seconds);
        }
        let child = command
            .arg("serve")
            .env("WEFT_DATABASE_URL", database_url)
            .env("WEFT_DOMAIN", domain)
            .env("WEFT_LISTEN", format!("127.0.0.1:{port}"))
            .env("WEFT_DATA_DIR", dir)
            .env("WEFT_DEV", "1")
            .env("WEFT_LOG", "error")
            .env("WEFT_DELIVERY_RETRY_SECONDS", "0.2")
            .stdout(Stdio::null())
            .spawn()
            .expect("start weft serve");
        Server {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub async fn ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{}/ready", self.base)).await
                && r.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("weft serve on port {} exited: {status}", self.port);
            }
            assert!(start.elapsed() < WAIT, "weft serve did not get ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A round-robin TCP proxy on `listener`: each connection goes to the next process that
/// accepts it. Returns how many connections each backend got.
pub fn proxy(listener: tokio::net::TcpListener, backends: Vec<u16>) -> Arc<Vec<AtomicUsize>> {
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
    let (next, c) = (Arc::new(AtomicUsize::new(0)), counts.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let (backends, next, counts) = (backends.clone(), next.clone(), c.clone());
            tokio::spawn(async move {
                let first = next.fetch_add(1, Ordering::Relaxed);
                for n in 0..backends.len() {
                    let i = (first + n) % backends.len();
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backends[i])).await
                    {
                        counts[i].fetch_add(1, Ordering::Relaxed);
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    counts
}

/// Checks a draft-cavage signature the way a peer would, with the sender's public key.
pub fn verified(headers: &HeaderMap, body: &[u8], public_pem: &str, host: &str) -> bool {
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
    let string = httpsig::signing_string(&signature.headers, "post", "/inbox", None, None, |n| {
        if n == "host" {
            Some(host.to_string())
        } else {
            get(n)
        }
    });
    let key = httpsig::VerifyingKey::from_pem(public_pem).unwrap();
    string.is_ok_and(|s| key.verify(&s, &signature.signature))
}

/// (host, activity id) of every request a sink accepted, in order.
pub type Arrivals = Arc<Mutex<Vec<(String, String)>>>;

/// Remote shared inboxes on `count` ports: each verifies the signature with `pem`, waits
/// `delay_ms` (changeable), then records the activity and answers 202.
pub async fn sinks(count: usize, pem: &str, delay_ms: Arc<AtomicU64>) -> (Vec<String>, Arrivals) {
    let log: Arrivals = Arc::default();
    let mut hosts = vec![];
    for _ in 0..count {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("localhost:{}", listener.local_addr().unwrap().port());
        let (log, pem, h, delay) = (log.clone(), pem.to_string(), host.clone(), delay_ms.clone());
        let app = axum::Router::new().route(
            "/inbox",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (log, pem, host, delay) = (log.clone(), pem.clone(), h.clone(), delay.clone());
                async move {
                    tokio::time::sleep(Duration::from_millis(delay.load(Ordering::Relaxed))).await;
                    if !verified(&headers, &body, &pem, &host) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let id = json["id"].as_str().unwrap().to_string();
                    log.lock().unwrap().push((host, id));
                    StatusCode::ACCEPTED
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        hosts.push(host);
    }
    (hosts, log)
}

/// One remote follower of the community on each host, with the shared inbox
/// `http://HOST/inbox` (as if it had followed and been accepted).
pub fn follow_from(db: &Db, community: &weft_db::models::ActorRow, hosts: &[String]) {
    use weft_db::models::{NewActor, NewFollow, follow_state};
    let now = weft_db::now();
    let (community_id, pem) = (community.id, community.public_key_pem.clone());
    let hosts = hosts.to_vec();
    db.write_blocking(move |c| -> Result<(), DbError> {
        for host in hosts {
            let follower = weft_db::actors::upsert(
                c,
                &NewActor::remote_person(
                    &format!("http://{host}/users/sink"),
                    &host,
                    &format!("http://{host}/inbox"),
                    &pem,
                    now,
                ),
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

/// The community's activities queued so far (what every follower's instance must get).
pub fn community_activities(db: &Db, community_id: i64) -> BTreeSet<String> {
    use weft_db::schema::outbox;
    db.read_blocking(move |c| -> Result<Vec<String>, DbError> {
        Ok(outbox::table
            .filter(outbox::actor_id.eq(community_id))
            .select(outbox::ap_id)
            .load(c)?)
    })
    .unwrap()
    .into_iter()
    .collect()
}

pub fn queued(db: &Db) -> i64 {
    db.read_blocking(weft_db::outbox::pending_count).unwrap()
}

/// Owners of the leases held now on remote instances' queues.
pub fn lease_owners(db: &Db) -> Vec<String> {
    use weft_db::schema::instances;
    let now = weft_db::now();
    db.read_blocking(move |c| -> Result<Vec<Option<String>>, DbError> {
        Ok(instances::table
            .filter(instances::lease_until.gt(now))
            .select(instances::lease_owner)
            .load(c)?)
    })
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "waited {WAIT:?} for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn api(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let value: serde_json::Value = response.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

/// The post as process `base` serves it to a peer, and whether its cache answered.
pub async fn object(http: &reqwest::Client, base: &str, id: i64) -> (String, String) {
    let response = http
        .get(format!("{base}/items/{id}"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cache = response
        .headers()
        .get("x-weft-cache")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let json: serde_json::Value = response.json().await.unwrap();
    (
        json["content"].as_str().unwrap_or_default().to_string(),
        cache,
    )
}

/// Asserts that each host got exactly `expected` (each id once, nothing else).
pub fn each_once(log: &[(String, String)], hosts: &[String], expected: &BTreeSet<String>) {
    let mut by_host: HashMap<&str, Vec<&str>> = HashMap::new();
    for (host, id) in log {
        by_host.entry(host).or_default().push(id);
    }
    for host in hosts {
        let mut got = by_host.remove(host.as_str()).unwrap_or_default();
        got.sort_unstable();
        let distinct: BTreeSet<String> = got.iter().map(|s| s.to_string()).collect();
        assert_eq!(got.len(), distinct.len(), "{host} got an activity twice");
        assert_eq!(
            &distinct, expected,
            "{host} got exactly the community's activities"
        );
    }
}

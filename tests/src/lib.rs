//! A harness for federation tests: real Weft instances, each on its own `localhost` port
//! with its own database (SQLite file, or a fresh PostgreSQL database when
//! `WEFT_TEST_POSTGRES_URL` is set), each in its own runtime so it can be stopped and
//! restarted like a process.

use std::future::Future;
use std::time::{Duration, Instant};
use weft_db::Db;
use weft_db::models::ActorRow;
use weft_server::Config;

pub use weft_api::{FeedEntryView, PostView, ThreadView};

pub mod files;
pub mod lemmy;
pub mod members;
pub mod scenario;

/// Which database backend the instances of a test use.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when `WEFT_TEST_POSTGRES_URL` is set. Under CI its absence is an error,
    /// so a broken CI setup cannot pass by skipping.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("WEFT_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
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

    /// A database URL for one new, empty database (and, on PostgreSQL, how to drop it).
    fn new_database(&self, dir: &std::path::Path) -> (String, Option<(String, String)>) {
        match self {
            Backend::Sqlite => (format!("sqlite://{}", dir.join("weft.db").display()), None),
            Backend::Postgres(admin) => {
                use diesel::connection::SimpleConnection;
                let name = format!("weft_test_{}", rand::random::<u64>());
                let mut conn =
                    weft_db::establish(admin).expect("connect to WEFT_TEST_POSTGRES_URL");
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url = url::Url::parse(admin).expect("postgres URL");
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some((admin.clone(), name)))
            }
        }
    }
}

/// One running (or stopped) Weft instance.
pub struct Instance {
    pub name: &'static str,
    pub port: u16,
    pub domain: String,
    pub base: String,
    pub database_url: String,
    pub db: Db,
    /// PostgreSQL: (admin URL, database name) to drop at the end.
    drop_database: Option<(String, String)>,
    _dir: TempDir,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// A test's change to the configuration, applied at every (re)start.
    tweak: fn(&mut Config),
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Instance {
    pub fn start(name: &'static str, backend: &Backend) -> Instance {
        Self::start_with(name, backend, |_| {})
    }

    /// Starts an instance whose configuration `tweak` changes (after the test defaults).
    pub fn start_with(name: &'static str, backend: &Backend, tweak: fn(&mut Config)) -> Instance {
        let dir = std::env::temp_dir().join(format!("weft-test-{name}-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let (database_url, drop_database) = backend.new_database(&dir);
        let port = free_port();
        let domain = format!("localhost:{port}");
        let db = Db::connect(&database_url).expect("test database");
        let mut instance = Instance {
            name,
            port,
            base: format!("http://{domain}"),
            domain,
            database_url,
            db,
            drop_database,
            _dir: TempDir(dir),
            stop: None,
            thread: None,
            tweak,
        };
        instance.run();
        instance
    }

    fn config(&self) -> Config {
        let mut config = Config::from_parts(Default::default(), |_| None).unwrap();
        config.database_url = self.database_url.clone();
        config.listen = format!("127.0.0.1:{}", self.port);
        config.domain = self.domain.clone();
        config.dev = true;
        // Uploaded files are kept in the instance's own folder.
        config.data_dir = self._dir.0.clone();
        config.files.storage = weft_core::files::StorageSettings::Local {
            dir: self._dir.0.join("files"),
        };
        config.delivery.first_backoff = Duration::from_millis(200);
        config.delivery.max_backoff = Duration::from_secs(2);
        // A "crashed" instance's lease on a queue runs out quickly in tests.
        config.delivery.lease = Duration::from_secs(2);
        // RSVP polls are sent again soon after their counts change.
        config.poll_update_gap = Duration::from_millis(300);
        // Peers' software (NodeInfo) is learnt soon after they are first seen.
        config.software_check_every = Duration::from_millis(100);
        (self.tweak)(&mut config);
        config
    }

    /// Starts the instance in a runtime of its own, and waits until it answers.
    fn run(&mut self) {
        let config = self.config();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let started = runtime.block_on(async {
                // The port was just free; after a stop it may take a moment to be again.
                let mut last = String::new();
                for _ in 0..50 {
                    match weft_server::start(config.clone(), None).await {
                        Ok(running) => return Ok(running),
                        Err(e) => last = e,
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(last)
            });
            match started {
                Ok(_running) => {
                    let _ = ready_tx.send(Ok(()));
                    let _ = stop_rx.recv();
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
            runtime.shutdown_timeout(Duration::from_secs(2));
        });
        ready_rx.recv().unwrap().expect("instance starts");
        self.stop = Some(stop_tx);
        self.thread = Some(thread);
    }

    /// Stops the instance as a crash would: every task and connection is dropped.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }

    /// Starts it again, on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// The instance's data directory (its SQLite database, its uploaded files).
    pub fn data_dir(&self) -> &std::path::Path {
        &self._dir.0
    }

    pub fn urls(&self) -> weft_core::Urls {
        weft_core::Urls::new(&self.domain, false).unwrap()
    }

    /// Creates a local member; returns their API client.
    pub fn user(&self, name: &str) -> Member {
        self.person(name, false)
    }

    /// Creates an administrator of this instance; returns their API client.
    pub fn admin(&self, name: &str) -> Member {
        self.person(name, true)
    }

    fn person(&self, name: &str, admin: bool) -> Member {
        let urls = self.urls();
        let name = name.to_string();
        let keys = weft_core::keys::generate();
        let (actor, token) = self
            .db
            .write_blocking(|c| {
                weft_core::accounts::create_user(c, &urls, &name, None, admin, keys)
            })
            .unwrap();
        Member {
            base: self.base.clone(),
            token,
            actor,
            http: reqwest::Client::new(),
        }
    }

    /// Creates a community led by `lead`.
    pub fn community(&self, name: &str, lead: &Member, mods_only: bool) -> ActorRow {
        let urls = self.urls();
        let keys = weft_core::keys::generate();
        self.db
            .write_blocking(|c| {
                weft_core::accounts::create_community(
                    c,
                    &urls,
                    &weft_core::accounts::NewCommunity {
                        name,
                        title: "Trauma-informed care practitioners",
                        domain_statement: "Sharing practice in trauma-informed care across the region.",
                        terms_of_reference: "",
                        posting_restricted_to_mods: mods_only,
                        lead: Some(&lead.actor),
                    },
                    keys,
                )
            })
            .unwrap()
    }

    /// `name@domain` of a local actor.
    pub fn handle(&self, name: &str) -> String {
        format!("{name}@{}", self.domain)
    }

    /// Deliveries still queued here.
    pub fn queued(&self) -> i64 {
        self.db
            .read_blocking(weft_db::outbox::pending_count)
            .unwrap()
    }

    /// Posts (items) stored here, deleted ones included.
    pub fn item_count(&self) -> i64 {
        use diesel::prelude::*;
        self.db
            .read_blocking(|c| -> Result<i64, weft_db::DbError> {
                Ok(weft_db::schema::items::table.count().get_result(c)?)
            })
            .unwrap()
    }

    pub fn received_count(&self) -> i64 {
        use diesel::prelude::*;
        self.db
            .read_blocking(|c| -> Result<i64, weft_db::DbError> {
                Ok(weft_db::schema::received_activities::table
                    .count()
                    .get_result(c)?)
            })
            .unwrap()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
        if let Some((admin, name)) = self.drop_database.take()
            && let Ok(mut conn) = weft_db::establish(&admin)
        {
            use diesel::connection::SimpleConnection;
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A local member, talking to their instance's REST API.
pub struct Member {
    pub base: String,
    pub token: String,
    pub actor: ActorRow,
    pub http: reqwest::Client,
}

impl Member {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API reachable");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        (status, value)
    }

    pub async fn follow(&self, handle: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/follows",
                Some(serde_json::json!({ "actor": handle })),
            )
            .await;
        assert_eq!(status, 200, "follow {handle}: {body}");
        body["state"].as_str().unwrap().to_string()
    }

    /// Follows `handle` and waits until the follow is accepted.
    pub async fn follow_accepted(&self, handle: &str) {
        self.follow(handle).await;
        eventually(
            "the follow to be accepted",
            Duration::from_secs(30),
            || async { (self.follow(handle).await == "accepted").then_some(()) },
        )
        .await;
    }

    pub async fn unfollow(&self, handle: &str) {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/unfollow",
                Some(serde_json::json!({ "actor": handle })),
            )
            .await;
        assert_eq!(status, 204, "unfollow {handle}: {body}");
    }

    pub async fn post(&self, community: &str, title: &str, content: &str) -> PostView {
        let (status, body) = self
            .call(reqwest::Method::POST, "/api/v1/posts", Some(serde_json::json!({ "community": community, "title": title, "content": content })))
            .await;
        assert_eq!(status, 201, "post: {body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn reply(&self, in_reply_to: &str, content: &str) -> PostView {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/posts",
                Some(serde_json::json!({ "in_reply_to": in_reply_to, "content": content })),
            )
            .await;
        assert_eq!(status, 201, "reply: {body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn edit(&self, id: i64, title: Option<&str>, content: &str) -> PostView {
        let (status, body) = self
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/posts/{id}"),
                Some(serde_json::json!({ "title": title, "content": content })),
            )
            .await;
        assert_eq!(status, 200, "edit: {body}");
        serde_json::from_value(body).unwrap()
    }

    pub async fn delete(&self, id: i64) {
        let (status, body) = self
            .call(
                reqwest::Method::DELETE,
                &format!("/api/v1/posts/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 204, "delete: {body}");
    }

    /// The feed of a community as this member's instance knows it.
    pub async fn feed(&self, community: &str) -> Vec<FeedEntryView> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/communities/{community}/feed"),
                None,
            )
            .await;
        assert_eq!(status, 200, "feed: {body}");
        serde_json::from_value(body).unwrap()
    }

    /// A post and its replies, by ActivityPub id, if this instance knows it.
    pub async fn lookup(&self, ap_id: &str) -> Option<ThreadView> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/lookup?ap_id={}", urlencode(ap_id)),
                None,
            )
            .await;
        match status {
            200 => Some(serde_json::from_value(body).unwrap()),
            404 => None,
            other => panic!("lookup {ap_id}: {other} {body}"),
        }
    }

    /// Schedules an event in `community` (name@host); returns the status and the answer.
    pub async fn schedule(
        &self,
        community: &str,
        event: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/communities/{}/events", urlencode(community)),
            Some(event),
        )
        .await
    }

    /// The events of `community` this member's instance knows, soonest first.
    pub async fn events(&self, community: &str) -> Vec<serde_json::Value> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/api/v1/communities/{}/events", urlencode(community)),
                None,
            )
            .await;
        assert_eq!(status, 200, "events of {community}: {body}");
        body.as_array().cloned().unwrap_or_default()
    }

    /// One event, by its id on this member's instance.
    pub async fn event(&self, id: i64) -> serde_json::Value {
        let (status, body) = self
            .call(reqwest::Method::GET, &format!("/api/v1/events/{id}"), None)
            .await;
        assert_eq!(status, 200, "event {id}: {body}");
        body
    }

    /// Answers an event (`going`, `maybe`, `declined`); returns the status and the answer.
    pub async fn rsvp(&self, id: i64, answer: &str) -> (u16, serde_json::Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/events/{id}/rsvp"),
            Some(serde_json::json!({ "answer": answer })),
        )
        .await
    }

    /// Raw API call, for asserting refusals.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.call(method, path, body).await
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A REST API call as any client makes it: `token` as the bearer, `forwarded_for` as the
/// `X-Forwarded-For` a proxy on the same machine would add. Returns the status and the
/// JSON answer (`Null` when there is none).
pub async fn call_api(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    forwarded_for: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("API reachable");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// Two instances: A with a community `cop` led by `lead`, and B with `bob`, whose follow
/// of `cop` A has accepted.
pub struct Pair {
    pub a: Instance,
    pub b: Instance,
    pub lead: Member,
    pub bob: Member,
    /// `cop@A`.
    pub cop: String,
}

pub async fn pair(backend: &Backend) -> Pair {
    let a = Instance::start("a", backend);
    let b = Instance::start("b", backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let cop = a.handle("cop");
    let bob = b.user("bob");
    bob.follow_accepted(&cop).await;
    Pair {
        a,
        b,
        lead,
        bob,
        cop,
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout` saying what it waited for.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fetches an ActivityPub document as a peer would.
pub async fn get_activity_json(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Every activity this instance has sent or queued, oldest first (for docs checks).
pub fn outbox_bodies(instance: &Instance) -> Vec<serde_json::Value> {
    use diesel::prelude::*;
    use weft_db::schema::outbox;
    instance
        .db
        .read_blocking(|c| -> Result<Vec<String>, weft_db::DbError> {
            Ok(outbox::table
                .order(outbox::id.asc())
                .select(outbox::body)
                .load(c)?)
        })
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect()
}

/// A remote actor's signing key, taken from its instance's database, for hand-made
/// deliveries.
pub struct Signer {
    pub key_id: String,
    pub key: weft_protocol::httpsig::SigningKey,
}

pub fn signer_of(instance: &Instance, actor: &ActorRow) -> Signer {
    let id = actor.id;
    let row = instance
        .db
        .read_blocking(|c| weft_db::actors::by_id(c, id))
        .unwrap();
    Signer {
        key_id: row.public_key_id.clone(),
        key: weft_protocol::httpsig::SigningKey::from_pem(row.private_key_pem.as_deref().unwrap())
            .unwrap(),
    }
}

/// Headers of a POST of `body` to `inbox` signed by `signer` at time `at`.
pub fn signed(
    signer: &Signer,
    inbox: &str,
    body: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    weft_protocol::httpsig::signed_post_headers(
        &signer.key,
        &signer.key_id,
        &url::Url::parse(inbox).unwrap(),
        body.as_bytes(),
        at,
    )
}

/// POSTs a body with the given headers; returns the status and the JSON answer.
pub async fn deliver(
    inbox: &str,
    body: &str,
    headers: Vec<(&'static str, String)>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new().post(inbox).body(body.to_string());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

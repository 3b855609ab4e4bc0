//! A Weft instance under test, in a process of its own (so its memory and CPU are its
//! own), on a fresh database; and the setup a benchmark needs written straight into
//! that database before the instance starts.

use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use weft_core::Urls;
use weft_db::models::{ActorRow, NewActor, NewFollow, follow_state};
use weft_db::{AnyConnection, Db, DbError};

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> String {
        match self {
            Backend::Sqlite => "SQLite".into(),
            Backend::Postgres(_) => "PostgreSQL".into(),
        }
    }
}

/// `weft-bench serve`: runs Weft from the `WEFT_*` environment until killed.
pub fn serve_child() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = match weft_server::Config::load(None) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("weft-bench serve: {e}");
                return ExitCode::from(2);
            }
        };
        match weft_server::start(config, None).await {
            Ok(running) => {
                let _ = running.server.await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("weft-bench serve: {e}");
                ExitCode::from(2)
            }
        }
    })
}

/// A fresh database and the instance's address, before it runs.
pub struct Setup {
    pub database_url: String,
    pub port: u16,
    pub domain: String,
    pub base: String,
    db: std::sync::OnceLock<Db>,
    dir: std::path::PathBuf,
    drop_database: Option<(String, String)>,
}

/// A free port below the ephemeral range (which the sinks' listeners and every outgoing
/// connection draw from), so nothing takes it between now and Weft's start.
fn free_port() -> u16 {
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
    (0..2000u64)
        .map(|i| 15_000 + (seed.wrapping_mul(2_654_435_761).wrapping_add(i * 7919) % 15_000) as u16)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port")
}

impl Setup {
    /// A fresh database with Weft's schema (for setup rows written before start).
    pub fn new(backend: &Backend) -> Result<Setup, String> {
        let setup = Setup::empty(backend)?;
        setup.db();
        Ok(setup)
    }

    /// A database with nothing in it yet, not even the schema: the instance migrates it
    /// when it starts.
    pub fn empty(backend: &Backend) -> Result<Setup, String> {
        let dir =
            std::env::temp_dir().join(format!("weft-bench-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let (database_url, drop_database) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.join("weft.db").display()), None),
            Backend::Postgres(admin) => {
                use diesel_like::SimpleConnection;
                let name = format!("weft_bench_{}", free_port());
                let mut conn = weft_db::establish(admin).map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| e.to_string())?;
                let mut url = url::Url::parse(admin).map_err(|e| e.to_string())?;
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some((admin.clone(), name)))
            }
        };
        let db = std::sync::OnceLock::new();
        let port = free_port();
        let domain = format!("localhost:{port}");
        Ok(Setup {
            base: format!("http://{domain}"),
            database_url,
            port,
            domain,
            db,
            dir,
            drop_database,
        })
    }

    /// The database, connected (and migrated) on first use.
    pub fn db(&self) -> &Db {
        self.db
            .get_or_init(|| Db::connect(&self.database_url).expect("benchmark database"))
    }

    /// Lets PostgreSQL write out what the setup wrote (a checkpoint) before the measured
    /// part begins, so that part does not pay for it. Needs a superuser (as the bench
    /// script's role is); without one it does nothing.
    pub fn settle(&self) {
        if self.db().backend() == weft_db::Backend::Postgres {
            let _ = self
                .db()
                .write_blocking(|c| -> Result<(), weft_db::DbError> {
                    Ok(weft_db::SimpleConnection::batch_execute(c, "CHECKPOINT")?)
                });
        }
    }

    pub fn urls(&self) -> Urls {
        Urls::new(&self.domain, false).unwrap()
    }

    /// A local member; returns the row and API token.
    pub fn user(&self, name: &str) -> (ActorRow, String) {
        let (urls, keys, name) = (self.urls(), weft_core::keys::generate(), name.to_string());
        self.db()
            .write_blocking(|c| {
                weft_core::accounts::create_user(c, &urls, &name, None, false, keys)
            })
            .unwrap()
    }

    pub fn community(&self, name: &str, lead: &ActorRow) -> ActorRow {
        let (urls, keys) = (self.urls(), weft_core::keys::generate());
        self.db()
            .write_blocking(|c| {
                weft_core::accounts::create_community(
                    c,
                    &urls,
                    &weft_core::accounts::NewCommunity {
                        name,
                        title: "Benchmark community",
                        domain_statement: "",
                        terms_of_reference: "",
                        posting_restricted_to_mods: false,
                        lead: Some(lead),
                    },
                    keys,
                )
            })
            .unwrap()
    }

    /// Remote actors (as if fetched before) and, if `follow` is given, their accepted
    /// follows of it. `actors` is (ap_id, host, shared inbox, public key PEM).
    pub fn remote_actors(
        &self,
        actors: Vec<(String, String, String, String)>,
        follow: Option<i64>,
    ) {
        self.db()
            .write_blocking(move |c: &mut AnyConnection| -> Result<(), DbError> {
                let now = weft_db::now();
                // Their instances are known, as a running Weft knows them once it has
                // delivered the `Accept`s of their follows.
                let mut domains: Vec<String> = actors.iter().map(|a| a.1.clone()).collect();
                domains.sort();
                domains.dedup();
                weft_db::outbox::instance_ids(c, &domains)?;
                for (ap_id, host, shared_inbox, pem) in actors {
                    let actor = weft_db::actors::upsert(
                        c,
                        &NewActor::remote_person(&ap_id, &host, &shared_inbox, &pem, now),
                    )?;
                    if let Some(target) = follow {
                        weft_db::follows::upsert(
                            c,
                            &NewFollow {
                                follower_id: actor.id,
                                target_id: target,
                                state: follow_state::ACCEPTED.into(),
                                activity_ap_id: None,
                                created_at: now,
                            },
                        )?;
                    }
                }
                Ok(())
            })
            .unwrap()
    }

    /// Starts Weft on this database in its own process and waits until it answers.
    /// Returns the process and how long start-up took.
    pub async fn start(&self, extra_env: &[(&str, &str)]) -> Result<(Weft, Duration), String> {
        let started = Instant::now();
        let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        command
            .arg("serve")
            .env("WEFT_DATABASE_URL", &self.database_url)
            .env("WEFT_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("WEFT_DOMAIN", &self.domain)
            .env("WEFT_DEV", "true")
            .env("WEFT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command.spawn().map_err(|e| format!("start Weft: {e}"))?;
        let weft = Weft {
            child,
            base: self.base.clone(),
        };
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client
                .get(format!("{}/nodeinfo/2.1", self.base))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok((weft, started.elapsed()));
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("Weft did not start within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.drop_database.take()
            && let Ok(mut conn) = weft_db::establish(&admin)
        {
            use diesel_like::SimpleConnection;
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// `batch_execute` without naming diesel in this crate's dependencies.
mod diesel_like {
    pub use weft_db::SimpleConnection;
}

/// A running Weft process.
pub struct Weft {
    child: Child,
    pub base: String,
}

impl Weft {
    /// CPU seconds (user + system) the process has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        process_cpu_seconds(&self.child.id().to_string())
    }

    /// (resident, peak resident) memory in bytes, from /proc.
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .map(|kb| kb * 1024)
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Weft {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) process `pid` (or `self`) has used so far.
pub fn process_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is 14th, stime 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds all cores of the machine have been busy so far (everything but idle and
/// I/O wait), from /proc/stat.
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return 0.0;
    };
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: f64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).copied().unwrap_or(0.0) + ticks.get(4).copied().unwrap_or(0.0);
    (total - idle) / 100.0
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Posts through the API as a member; returns the post's ActivityPub id.
pub async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    community: &str,
    title: &str,
) -> Result<String, String> {
    let response = client
        .post(format!("{base}/api/v1/posts"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "community": community, "title": title, "content": "Benchmark post." }))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().as_u16() != 201 {
        return Err(format!("post: {}", response.status()));
    }
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    Ok(body["ap_id"].as_str().unwrap_or_default().to_string())
}

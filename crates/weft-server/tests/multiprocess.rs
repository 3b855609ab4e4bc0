//! Two real `weft serve` processes on one PostgreSQL database are one instance: one
//! domain, behind a round-robin TCP proxy written here (as behind nginx), delivering to
//! remote inboxes that verify every signature. Posts made through either process reach
//! each remote once; an edit through one is served fresh by the other within
//! milliseconds (not the cache's 5 s); killing one mid-fan-out loses nothing. And on
//! SQLite a second server on the same file is refused.

mod common;

use common::*;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use weft_db::Db;

/// The tests take turns: each starts servers on ports it found free, which the other's
/// listeners must not take meanwhile.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgresql_are_one_instance() {
    let Some(admin) = postgres() else { return };
    let _turn = SERIAL.lock().await;
    let database = Database::new(&admin);
    let dir = std::env::temp_dir().join(format!("weft-multi-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();

    // The instance's one address is the proxy's; both processes start together on the
    // empty database (migrations and the instance actor are made once between them).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let domain = format!("localhost:{}", listener.local_addr().unwrap().port());
    let mut one = Server::spawn(&database.url, &domain, &dir);
    let mut two = Server::spawn(&database.url, &domain, &dir);
    let counts = proxy(listener, vec![one.port, two.port]);
    one.ready().await;
    two.ready().await;
    let public = format!("http://{domain}");

    // The test's own handle on the database writes the setup (and, having no listener,
    // tells the servers in its transactions).
    let db = Db::connect(&database.url).unwrap();
    let urls = weft_core::Urls::new(&domain, false).unwrap();
    let (lead, token) = {
        let (urls, keys) = (urls.clone(), weft_core::keys::generate());
        db.write_blocking(move |c| {
            weft_core::accounts::create_user(c, &urls, "lead", None, false, keys)
        })
        .unwrap()
    };
    let community = {
        let (urls, keys, lead) = (urls.clone(), weft_core::keys::generate(), lead.clone());
        db.write_blocking(move |c| {
            weft_core::accounts::create_community(
                c,
                &urls,
                &weft_core::accounts::NewCommunity {
                    name: "cop",
                    title: "Practitioners",
                    domain_statement: "Sharing practice.",
                    terms_of_reference: "",
                    posting_restricted_to_mods: false,
                    lead: Some(&lead),
                },
                keys,
            )
        })
        .unwrap()
    };
    let delay = Arc::new(AtomicU64::new(0));
    let (hosts, log) = sinks(12, &community.public_key_pem, delay.clone()).await;
    follow_from(&db, &community, &hosts);
    let fresh_connections = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let handle = format!("cop@{domain}");

    // 1. Posts through either process, and through the proxy (a new connection each,
    //    so both processes take some): each remote gets each activity exactly once.
    for n in 0..9 {
        let (base, client) = match n % 3 {
            0 => (&one.base, &http),
            1 => (&two.base, &http),
            _ => (&public, &fresh_connections),
        };
        api(
            client,
            base,
            &token,
            reqwest::Method::POST,
            "/api/v1/posts",
            serde_json::json!({ "community": handle, "title": format!("Post {n}"), "content": format!("Text {n}") }),
        )
        .await;
    }
    let expected = community_activities(&db, community.id);
    assert_eq!(expected.len(), 18, "two announces per post: {expected:?}");
    until("every remote to get every activity", || {
        log.lock().unwrap().len() >= expected.len() * hosts.len()
    })
    .await;
    until("the queue to drain", || queued(&db) == 0).await;
    // Once the queue is empty nothing more can be sent: any repeat has arrived by now.
    each_once(&log.lock().unwrap(), &hosts, &expected);
    let proxied: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert!(
        proxied.iter().all(|&n| n > 0),
        "the proxy used both: {proxied:?}"
    );

    // 2. An edit through process one is served fresh by process two, whose cache held
    //    the old answer: within milliseconds, far under the cache's 5 s.
    let post = api(
        &http,
        &one.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/posts",
        serde_json::json!({ "community": handle, "title": "Edited", "content": "rev-start-end" }),
    )
    .await;
    let id = post["id"].as_i64().unwrap();
    let mut latencies = vec![];
    let mut stale_hits = 0;
    for r in 0..25 {
        // Process two caches the current version (background writes, such as recorded
        // deliveries, may drop it between two reads: read until it is served cached).
        let mut cached = false;
        for _ in 0..50 {
            if object(&http, &two.base, id).await.1 == "hit" {
                cached = true;
                break;
            }
        }
        assert!(cached, "process two serves the post from its cache");
        api(
            &http,
            &one.base,
            &token,
            reqwest::Method::PATCH,
            &format!("/api/v1/posts/{id}"),
            serde_json::json!({ "title": "Edited", "content": format!("rev-{r}-end") }),
        )
        .await;
        // The edit is committed: how long until process two serves it?
        let committed = Instant::now();
        loop {
            let (content, cache) = object(&http, &two.base, id).await;
            if content.contains(&format!("rev-{r}-end")) {
                latencies.push(committed.elapsed());
                break;
            }
            assert_eq!(cache, "hit", "only a cached answer may be stale");
            stale_hits += 1;
            assert!(
                committed.elapsed() < Duration::from_secs(1),
                "process two still served the old post after {:?}",
                committed.elapsed()
            );
        }
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let max = *latencies.last().unwrap();
    eprintln!(
        "edit committed through process one -> fresh from process two: median {median:?}, \
         max {max:?} over {} runs ({stale_hits} stale cached answers on the way)",
        latencies.len()
    );
    assert!(median < Duration::from_millis(200), "{latencies:?}");
    until("the edits' deliveries to drain", || queued(&db) == 0).await;

    // 3. Process one is killed (SIGKILL) while it sends a fan-out to slow remotes:
    //    process two takes over when the leases run out, and every activity arrives.
    let before = community_activities(&db, community.id);
    log.lock().unwrap().clear();
    delay.store(400, Ordering::Relaxed);
    for n in 0..6 {
        api(
            &http,
            &one.base,
            &token,
            reqwest::Method::POST,
            "/api/v1/posts",
            serde_json::json!({ "community": handle, "title": format!("Late {n}"), "content": "Sent while one dies" }),
        )
        .await;
    }
    let wanted: BTreeSet<String> = community_activities(&db, community.id)
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(wanted.len(), 12);
    until("the fan-out to be under way", || {
        !lease_owners(&db).is_empty() && !log.lock().unwrap().is_empty()
    })
    .await;
    one.kill();
    let left = queued(&db);
    assert!(left > 0, "killed mid-fan-out: deliveries were still queued");
    let killed = Instant::now();
    until("the queue to drain through process two", || {
        queued(&db) == 0
    })
    .await;
    let took_over = killed.elapsed();
    let log = log.lock().unwrap().clone();
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for (host, id) in &log {
        *counts.entry((host, id)).or_default() += 1;
    }
    for host in &hosts {
        for id in &wanted {
            assert!(
                counts.contains_key(&(host.as_str(), id.as_str())),
                "{id} never reached {host}"
            );
        }
    }
    let repeats = log.len() - counts.len();
    eprintln!(
        "killed mid-fan-out with {left} deliveries queued: process two finished in {took_over:?}; \
         {} requests for {} (instance, activity) pairs, {repeats} repeated (allowed: in flight at the kill)",
        log.len(),
        counts.len()
    );
    assert!(
        log.iter().all(|(_, id)| wanted.contains(id)),
        "nothing but the new activities was sent"
    );
    // The instance still answers at its one address, through the survivor.
    for _ in 0..4 {
        let status = fresh_connections
            .get(format!("{public}/ready"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    drop(two);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_second_server_on_one_sqlite_file_is_refused() {
    let _turn = SERIAL.blocking_lock();
    let dir = std::env::temp_dir().join(format!("weft-multi-sqlite-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("weft.db").display());
    let mut first = Server::spawn(&url, "localhost:8080", &dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(first.ready());
    let second = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("serve")
        .env("WEFT_DATABASE_URL", &url)
        .env("WEFT_DOMAIN", "localhost:8080")
        .env("WEFT_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("WEFT_LOG", "error")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another `weft serve`") && err.contains(&first.child.id().to_string()),
        "{err}"
    );
    assert!(err.contains("PostgreSQL"), "{err}");
    // Admin commands still run beside the server.
    let admin = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["user", "create", "alice"])
        .env("WEFT_DATABASE_URL", &url)
        .env("WEFT_DOMAIN", "localhost:8080")
        .env("WEFT_LOG", "error")
        .output()
        .unwrap();
    assert!(admin.status.success(), "{admin:?}");
    // Once the first is gone (however it ended), a server starts again.
    first.kill();
    let mut again = Server::spawn(&url, "localhost:8080", &dir);
    runtime.block_on(again.ready());
    again.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

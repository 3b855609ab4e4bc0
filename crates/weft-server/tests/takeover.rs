//! A `weft serve` process killed with SIGKILL in the middle of a fan-out, on PostgreSQL
//! with the default 60-second delivery lease, and started again: the new process takes
//! its predecessor's lease slot (an advisory lock the dead process's connection no longer
//! holds), owns its leases by name, and resumes sending within seconds, not after the
//! minute the leases had left. Repeated three times; every activity reaches every remote.

mod common;

use common::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use weft_db::Db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_process_takes_over_its_leases_at_once() {
    let Some(admin) = postgres() else { return };
    let database = Database::new(&admin);
    let dir = std::env::temp_dir().join(format!("weft-takeover-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let domain = "weft.test".to_string();
    let mut server = Server::spawn_on(free_port(), &database.url, &domain, &dir, None);
    server.ready().await;

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
        let (urls, keys) = (urls.clone(), weft_core::keys::generate());
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
    // Slow remotes, so a fan-out is still under way when the process is killed.
    let delay = Arc::new(AtomicU64::new(300));
    let (hosts, log) = sinks(16, &community.public_key_pem, delay.clone()).await;
    follow_from(&db, &community, &hosts);
    let http = reqwest::Client::new();

    let mut waits = vec![];
    for round in 0..3 {
        let before = community_activities(&db, community.id);
        for n in 0..4 {
            api(
                &http,
                &server.base,
                &token,
                reqwest::Method::POST,
                "/api/v1/posts",
                serde_json::json!({ "community": format!("cop@{domain}"), "title": format!("Round {round}, post {n}"), "content": "Sent while the server dies" }),
            )
            .await;
        }
        let arrived = log.lock().unwrap().len();
        until("the fan-out to be under way", || {
            !lease_owners(&db).is_empty() && log.lock().unwrap().len() > arrived
        })
        .await;
        let owners: BTreeSet<String> = lease_owners(&db).into_iter().collect();
        server.kill();
        let left = queued(&db);
        assert!(left > 0, "killed mid-fan-out: deliveries were still queued");
        let at_kill = log.lock().unwrap().len();
        server = Server::spawn_on(free_port(), &database.url, &domain, &dir, None);
        server.ready().await;
        let restarted = Instant::now();
        until("the restarted process to send", || {
            log.lock().unwrap().len() > at_kill
        })
        .await;
        let waited = restarted.elapsed();
        assert!(
            lease_owners(&db)
                .into_iter()
                .collect::<BTreeSet<_>>()
                .is_subset(&owners),
            "the restarted process holds the same owner name: {owners:?}"
        );
        assert!(
            waited < Duration::from_secs(10),
            "resumed after {waited:?} (the leases had up to 60 s left)"
        );
        waits.push(waited);
        until("the queue to drain", || queued(&db) == 0).await;
        let wanted: BTreeSet<String> = community_activities(&db, community.id)
            .difference(&before)
            .cloned()
            .collect();
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
        eprintln!(
            "round {round}: killed with {left} deliveries queued; the restarted process sent again {waited:?} after it was ready"
        );
    }
    delay.store(0, Ordering::Relaxed);
    eprintln!("resumption after kill -9 and restart: {waits:?}");
    drop(server);
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

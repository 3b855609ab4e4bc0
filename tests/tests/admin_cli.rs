//! `weft admin …` and `weft backup`, run through the command line's entry function
//! against running instances' real databases: the queue of a dead peer shown, retried
//! and dropped; a blocked instance's signed post refused and nothing sent to it;
//! registrations resolved; a backup taken during writes that holds every committed post.

use chrono::Utc;
use clap::Parser;
use std::time::Duration;
use weft_db::models::{NewActor, NewFollow, follow_state};
use weft_server::cli::{Cli, execute};
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

/// Runs `weft ARGS…` against `instance`'s database; its answer or its error.
async fn weft(instance: &Instance, args: &[&str], input: &str) -> Result<String, String> {
    let cli = Cli::try_parse_from(std::iter::once("weft").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    let mut config = weft_server::Config::from_parts(Default::default(), |_| None).unwrap();
    config.database_url = instance.database_url.clone();
    config.domain = instance.domain.clone();
    config.dev = true;
    let mut out = Vec::new();
    let mut input = std::io::Cursor::new(input.as_bytes().to_vec());
    execute(cli.command, config, &mut out, &mut input).await?;
    Ok(String::from_utf8(out).unwrap())
}

/// A follower of `community` on `host` (shared inbox `http://host/inbox`).
fn follower_on(instance: &Instance, community: &weft_db::models::ActorRow, host: &str) {
    let now = weft_db::now();
    let (community_id, pem, host) = (
        community.id,
        community.public_key_pem.clone(),
        host.to_string(),
    );
    instance
        .db
        .write_blocking(move |c| -> Result<(), weft_db::DbError> {
            let follower = weft_db::actors::upsert(
                c,
                &NewActor::remote_person(
                    &format!("http://{host}/users/gone"),
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
            Ok(())
        })
        .unwrap();
}

fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// (waiting, soonest next attempt ≤ now, paused) for `domain`, from the database.
fn queue_of(instance: &Instance, domain: &str) -> (i64, bool, bool) {
    let domain = domain.to_string();
    instance
        .db
        .read_blocking(move |c| -> Result<_, weft_db::DbError> {
            let now = weft_db::now();
            Ok(weft_db::operations::queue_by_instance(c)?
                .into_iter()
                .find(|q| q.instance.domain == domain)
                .map(|q| {
                    (
                        q.depth,
                        q.next_attempt_at.is_some_and(|at| at <= now),
                        q.instance.paused_until.is_some_and(|p| p > now),
                    )
                })
                .unwrap_or((0, false, false)))
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_blocks_sqlite() {
    queue_and_blocks(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_and_blocks_postgres() {
    if let Some(backend) = Backend::postgres() {
        queue_and_blocks(backend).await;
    }
}

async fn queue_and_blocks(backend: Backend) {
    let Pair {
        a, b, lead, bob, ..
    } = pair(&backend).await;
    let cop =
        a.db.read_blocking(|c| weft_db::actors::local_by_username(c, "cop"))
            .unwrap()
            .unwrap();
    let dead = format!("localhost:{}", dead_port());
    follower_on(&a, &cop, &dead);
    // Once what the follow set off has gone to B, nothing waits.
    eventually("A's queue empties", WAIT, || async {
        let out = weft(&a, &["admin", "queue"], "").await.unwrap();
        (out.trim() == "the delivery queue is empty").then_some(())
    })
    .await;

    // Two posts: B gets them; the dead peer's copies wait and fail.
    for title in ["Shift patterns", "Supervision notes"] {
        let post = lead.post(&a.handle("cop"), title, "text").await;
        eventually("the post reaches B", WAIT, || async {
            bob.lookup(&post.ap_id).await.map(|_| ())
        })
        .await;
    }
    let (depth, ..) = queue_of(&a, &dead);
    assert!(depth >= 2, "{depth}");
    let shown = eventually("the queue shows failures", WAIT, || async {
        let out = weft(&a, &["admin", "queue"], "").await.unwrap();
        out.lines()
            .find(|l| l.starts_with(&format!("{dead}\t")))
            .filter(|l| l.contains("failing") || l.contains("paused"))
            .map(str::to_string)
    })
    .await;
    let columns: Vec<&str> = shown.split('\t').collect();
    assert_eq!(columns[1], depth.to_string(), "{shown}");
    assert!(columns[2].parse::<i64>().unwrap() >= 1, "{shown}");
    assert!(columns[3].parse::<i64>().unwrap() >= 1, "{shown}");
    eventually("nothing waits for B", WAIT, || async {
        let out = weft(&a, &["admin", "queue"], "").await.unwrap();
        (!a_line_for(&out, &b.domain)).then_some(())
    })
    .await;

    // Retry: everything due now, the pause over.
    eventually("the dead peer is paused", WAIT, || async {
        queue_of(&a, &dead).2.then_some(())
    })
    .await;
    let out = weft(&a, &["admin", "queue", "retry", &dead], "")
        .await
        .unwrap();
    assert!(
        out.starts_with(&format!("{depth} deliveries to {dead} are due now")),
        "{out}"
    );
    let (after, due, paused) = queue_of(&a, &dead);
    assert_eq!(after, depth, "a retry keeps every row");
    assert!(!paused, "the pause ended");
    assert!(due || after == 0, "due at once");
    let err = weft(&a, &["admin", "queue", "retry", "nowhere.example"], "")
        .await
        .unwrap_err();
    assert!(err.contains("no instance nowhere.example"), "{err}");

    // Drop: nothing left for it.
    let out = weft(&a, &["admin", "queue", "drop", &dead], "")
        .await
        .unwrap();
    assert_eq!(out.trim(), format!("dropped {depth} deliveries to {dead}"));
    assert_eq!(queue_of(&a, &dead).0, 0);

    // Block B at A: bob's signed post into cop is refused, and nothing stored.
    let err = weft(&a, &["admin", "block", &a.domain], "")
        .await
        .unwrap_err();
    assert!(err.contains("own domain"), "{err}");
    let err = weft(&a, &["admin", "block", "not a domain"], "")
        .await
        .unwrap_err();
    assert!(err.contains("not an instance's domain"), "{err}");
    let out = weft(
        &a,
        &[
            "admin",
            "block",
            &format!("http://{}/", b.domain),
            "--reason",
            "test",
        ],
        "",
    )
    .await
    .unwrap();
    assert!(out.starts_with(&format!("blocked {}", b.domain)), "{out}");
    let listed = weft(&a, &["admin", "blocked"], "").await.unwrap();
    assert!(listed.starts_with(&format!("{}\tsince ", b.domain)) && listed.contains("test"));
    let inbox = format!("{}/inbox", a.base);
    let note = format!("{}/items/blocked-1", b.base);
    let body = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "id": format!("{note}/activity"),
        "actor": bob.actor.ap_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public", cop.ap_id],
        "object": {
            "type": "Page", "id": note, "attributedTo": bob.actor.ap_id,
            "name": "From a blocked place", "content": "<p>hi</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public", cop.ap_id],
            "audience": cop.ap_id
        }
    })
    .to_string();
    let key = signer_of(&b, &bob.actor);
    let (items, received) = (a.item_count(), a.received_count());
    let answer = eventually("the block holds in the inbox", WAIT, || async {
        let (status, answer) =
            deliver(&inbox, &body, signed(&key, &inbox, &body, Utc::now())).await;
        (status == 403).then_some(answer)
    })
    .await;
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("blocked by this instance's admin")),
        "{answer}"
    );
    assert_eq!(a.item_count(), items, "nothing stored");
    assert_eq!(a.received_count(), received, "nothing recorded as received");

    // Nothing is delivered to B: a new post's copy for B is dropped unsent.
    let b_items = b.item_count();
    let post = lead.post(&a.handle("cop"), "Not for B", "text").await;
    eventually("the copy for B is dropped", WAIT, || async {
        (queue_of(&a, &b.domain).0 == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(bob.lookup(&post.ap_id).await.is_none(), "B got nothing");
    assert_eq!(b.item_count(), b_items);

    // Unblocked, bob's post is taken.
    let out = weft(&a, &["admin", "unblock", &b.domain], "")
        .await
        .unwrap();
    assert_eq!(out.trim(), format!("unblocked {}", b.domain));
    let err = weft(&a, &["admin", "unblock", &b.domain], "")
        .await
        .unwrap_err();
    assert!(err.contains("is not blocked"), "{err}");
    eventually("bob's post is taken again", WAIT, || async {
        let (status, _) = deliver(&inbox, &body, signed(&key, &inbox, &body, Utc::now())).await;
        (status == 202).then_some(())
    })
    .await;
    assert_eq!(
        a.item_count(),
        items + 2,
        "bob's post (and lead's last one)"
    );
}

fn a_line_for(out: &str, domain: &str) -> bool {
    out.lines().any(|l| l.starts_with(&format!("{domain}\t")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_and_registrations_sqlite() {
    admins_and_registrations(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_and_registrations_postgres() {
    if let Some(backend) = Backend::postgres() {
        admins_and_registrations(backend).await;
    }
}

async fn admins_and_registrations(backend: Backend) {
    let a = Instance::start("a", &backend);
    let out = weft(
        &a,
        &["admin", "create-admin", "root", "--display-name", "Root"],
        "",
    )
    .await
    .unwrap();
    assert!(
        out.contains("created the admin") && out.contains("API token"),
        "{out}"
    );
    let out = weft(
        &a,
        &["admin", "reset-password", "root"],
        "a long enough passphrase\n",
    )
    .await
    .unwrap();
    assert!(out.starts_with("password set for"), "{out}");
    let (status, login) = call_api(
        &a.base,
        reqwest::Method::POST,
        "/api/v1/login",
        None,
        None,
        Some(serde_json::json!({"username": "root", "password": "a long enough passphrase"})),
    )
    .await;
    assert_eq!(status, 201, "{login}");
    let err = weft(&a, &["admin", "reset-password", "root"], "short\n")
        .await
        .unwrap_err();
    assert!(!err.is_empty());

    weft(&a, &["instance", "registration", "approval"], "")
        .await
        .unwrap();
    assert_eq!(
        weft(&a, &["admin", "registrations", "list"], "")
            .await
            .unwrap()
            .trim(),
        "no registrations waiting"
    );
    let urls = a.urls();
    for (name, why) in [("carer", "I run a\tday centre"), ("spam", "buy")] {
        let hash = weft_core::auth::hash_password("a long enough passphrase");
        let keys = weft_core::keys::generate();
        let u = urls.clone();
        a.db.write_blocking(move |c| {
            weft_core::registration::register(
                c,
                &u,
                &weft_core::registration::Registration {
                    username: name,
                    email: &format!("{name}@example.org"),
                    password_hash: hash,
                    application: Some(why),
                    invitation: None,
                },
                keys,
            )
        })
        .unwrap();
    }
    let listed = weft(&a, &["admin", "registrations", "list"], "")
        .await
        .unwrap();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with("carer\tcarer@example.org\t")
            && lines[0].ends_with("\tI run a day centre"),
        "{listed}"
    );
    weft(&a, &["admin", "registrations", "approve", "carer"], "")
        .await
        .unwrap();
    weft(&a, &["admin", "registrations", "reject", "spam"], "")
        .await
        .unwrap();
    let err = weft(&a, &["admin", "registrations", "approve", "spam"], "")
        .await
        .unwrap_err();
    assert!(err.contains("not waiting for approval"), "{err}");
    let status_of = |name: &'static str| {
        a.db.read_blocking(move |c| -> Result<String, weft_core::CoreError> {
            let person = weft_core::accounts::local_person(c, name)?;
            Ok(weft_db::accounts::local_user(c, person.id)?.unwrap().status)
        })
        .unwrap()
    };
    assert_eq!(status_of("carer"), "active");
    assert_eq!(status_of("spam"), "rejected");
}

/// A backup taken while posts are being written holds every post committed before it
/// began, opens as a Weft database, and is consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_writes_holds_every_committed_post() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let (stop, committed, cop) = (stop.clone(), committed.clone(), a.handle("cop"));
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let post = lead.post(&cop, &format!("Post {n}"), "text").await;
                committed.lock().unwrap().push(post.ap_id);
            }
        })
    };
    eventually("some posts are written", WAIT, || async {
        (committed.lock().unwrap().len() >= 20).then_some(())
    })
    .await;
    let before: Vec<String> = committed.lock().unwrap().clone();
    let dir = std::env::temp_dir().join(format!("weft-backup-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("copy.db");
    let out = weft(&a, &["backup", file.to_str().unwrap()], "")
        .await
        .unwrap();
    let after_count = committed.lock().unwrap().len();
    assert!(out.starts_with("backed up"), "{out}");
    eventually("more posts are written after it", WAIT, || async {
        (committed.lock().unwrap().len() > after_count + 5).then_some(())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();

    // Never over an existing file.
    let err = weft(&a, &["backup", file.to_str().unwrap()], "")
        .await
        .unwrap_err();
    assert!(err.contains("exists already"), "{err}");

    // Restore: open the copy as a Weft database.
    let restored = weft_db::Db::connect(&format!("sqlite://{}", file.display())).unwrap();
    let (ids, check) = restored
        .read_blocking(|c| -> Result<(Vec<String>, String), weft_db::DbError> {
            use diesel::prelude::*;
            let ids = weft_db::schema::items::table
                .select(weft_db::schema::items::ap_id)
                .load::<String>(c)?;
            #[derive(diesel::QueryableByName)]
            struct Check {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let check = diesel::sql_query("PRAGMA integrity_check")
                .load::<Check>(c)?
                .remove(0)
                .integrity_check;
            Ok((ids, check))
        })
        .unwrap();
    assert_eq!(check, "ok");
    for id in &before {
        assert!(ids.contains(id), "{id} was committed before the backup");
    }
    let all = committed.lock().unwrap().clone();
    assert!(
        ids.len() <= after_count + 1,
        "a copy of one moment: {} posts",
        ids.len()
    );
    for id in &ids {
        assert!(all.contains(id), "{id} is one of the posts written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backups_are_pg_dumps() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let a = Instance::start("a", &backend);
    let err = weft(&a, &["backup", "/tmp/never-written.db"], "")
        .await
        .unwrap_err();
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

//! `weft export` and `weft import`: a community on A (profile, objectives, members with
//! roles, a thread with a local and a remote reply, an event with an answer, a library
//! folder with a resource in two versions and an uploaded file) is exported, imported into
//! a fresh instance N, and read back through N's API: everything there, ids of N, the
//! remote reply still the remote person's, the file served by N byte for byte. A second
//! import under the same name is refused (nothing stored); under `--name` it succeeds; a
//! damaged file is refused before anything is written. On SQLite and on PostgreSQL.

use chrono::{Days, Utc};
use clap::Parser;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_server::cli::{Cli, execute};
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_on_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        round_trip(backend).await;
    }
}

/// Runs `weft ARGS…` against `instance`'s database and file store.
async fn weft(instance: &Instance, args: &[&str]) -> Result<String, String> {
    let cli = Cli::try_parse_from(std::iter::once("weft").chain(args.iter().copied()))
        .map_err(|e| e.to_string())?;
    let mut config = weft_server::Config::from_parts(Default::default(), |_| None).unwrap();
    config.database_url = instance.database_url.clone();
    config.domain = instance.domain.clone();
    config.dev = true;
    config.files.storage = weft_core::files::StorageSettings::Local {
        dir: instance.data_dir().join("files"),
    };
    let mut out = Vec::new();
    let mut input = std::io::Cursor::new(Vec::new());
    execute(cli.command, config, &mut out, &mut input).await?;
    Ok(String::from_utf8(out).unwrap())
}

/// A member of `instance` acting with a token the command line gave them.
async fn as_member(instance: &Instance, name: &str) -> Member {
    let answer = weft(instance, &["user", "token", name]).await.unwrap();
    let token = answer
        .split_whitespace()
        .find(|w| w.len() > 30)
        .unwrap_or_else(|| panic!("a token in {answer:?}"))
        .to_string();
    let n = name.to_string();
    let actor = instance
        .db
        .read_blocking(move |c| weft_db::actors::local_by_username(c, &n))
        .unwrap()
        .unwrap();
    Member {
        base: instance.base.clone(),
        token,
        actor,
        http: reqwest::Client::new(),
    }
}

async fn get(member: &Member, path: &str) -> Value {
    let (status, body) = member.raw(Method::GET, path, None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

fn communities(i: &Instance) -> i64 {
    i.db.read_blocking(|c| weft_db::actors::count_local(c, weft_db::models::actor_kind::GROUP))
        .unwrap()
}

async fn round_trip(backend: Backend) {
    let a = Instance::start("a", &backend);
    let r = Instance::start("r", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let cop = a.handle("cop");
    let dana = a.user("dana");
    let (status, body) = dana
        .raw(Method::POST, "/api/v1/communities/cop/join", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/cop/members/dana@{}", a.domain),
            Some(json!({ "role": "weaver" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = lead
        .raw(
            Method::PATCH,
            "/api/v1/communities/cop",
            Some(json!({
                "about": "Trauma-informed care in **schools and clinics**.",
                "terms_of_reference": "## Purpose\nLearn from each other's cases.",
                "meeting_rhythm": "Monthly, first Tuesday",
                "language": "en-gb",
                "tags": ["care", "trauma"]
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/objectives",
            Some(json!({"kind": "seminar", "title": "One seminar a year", "status": "done", "done_on": "2026-05"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // A thread, a local reply, and a reply from rita on R (a remote person).
    let rita = r.user("rita");
    rita.follow_accepted(&cop).await;
    let thread = lead
        .post(&cop, "Supervision that works", "What has helped you?")
        .await;
    dana.reply(&thread.ap_id, "Peer supervision in threes.")
        .await;
    eventually("the thread to reach R", WAIT, || async {
        rita.lookup(&thread.ap_id).await.map(|_| ())
    })
    .await;
    let remote_reply = rita
        .reply(&thread.ap_id, "Protected time, every fortnight.")
        .await;
    eventually("rita's reply to reach A", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        (t.replies.len() == 2).then_some(())
    })
    .await;

    // An event dana is going to.
    let starts = Utc::now() + Days::new(3);
    let (status, event) = lead
        .schedule(
            &cop,
            json!({ "title": "Practice circle", "description": "Bring a case.",
                    "starts_at": starts.to_rfc3339(), "timezone": "Europe/London",
                    "online_url": "https://meet.example.org/circle", "capacity": 10 }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let (status, body) = dana.rsvp(event["id"].as_i64().unwrap(), "going").await;
    assert_eq!(status, 200, "{body}");

    // The library: a folder, a file, a resource in two versions.
    let (status, folder) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/folders",
            Some(json!({ "name": "Methods" })),
        )
        .await;
    assert_eq!(status, 201, "{folder}");
    let handout = weft_tests::files::pdf(20_000, "threes");
    let (status, upload) = weft_tests::files::upload(
        &lead.base,
        Some(&lead.token),
        "cop",
        "threes.pdf",
        "application/pdf",
        &handout,
    )
    .await;
    assert_eq!(status, 201, "{upload}");
    let (status, resource) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/resources",
            Some(json!({ "title": "Supervision in threes", "kind": "method",
                "description": "Sit in threes.", "tags": ["supervision"],
                "attachments": [{ "file": upload["id"], "name": "Handout" }],
                "folder": folder["id"] })),
        )
        .await;
    assert_eq!(status, 201, "{resource}");
    let (status, body) = lead
        .raw(
            Method::PATCH,
            &format!("/api/v1/resources/{}", resource["id"]),
            Some(
                json!({ "description": "Sit in threes. Swap every fifteen minutes.",
                         "message": "timing" }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Export.
    let dir = tempfile_dir();
    let file = dir.join("cop.json");
    let path = file.to_str().unwrap();
    let said = weft(&a, &["export", "cop", path]).await.unwrap();
    assert!(said.contains("exported cop"), "{said}");
    assert!(said.contains("1 files"), "{said}");
    let again = weft(&a, &["export", "cop", path]).await.unwrap_err();
    assert!(again.contains("exists already"), "{again}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["format"], weft_core::transfer::format::FORMAT);
    // lead, dana, and rita (following an open community makes a member).
    assert_eq!(doc["members"].as_array().unwrap().len(), 3);
    assert!(
        doc["people"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("passwordHash").is_none())
    );

    // Import into a fresh instance.
    let n = Instance::start("n", &backend);
    let said = weft(&n, &["import", path]).await.unwrap();
    assert!(said.contains("imported"), "{said}");
    assert!(said.contains("2 new local people"), "{said}");
    let lead_n = as_member(&n, "lead").await;

    let profile = get(&lead_n, "/api/v1/communities/cop").await;
    assert_eq!(profile["tags"], json!(["care", "trauma"]), "{profile}");
    assert_eq!(profile["language"], "en-GB", "{profile}");
    assert_eq!(profile["lifecycle"], "active");
    assert!(
        profile.to_string().contains("schools and clinics"),
        "{profile}"
    );
    assert!(
        profile.to_string().contains("One seminar a year"),
        "{profile}"
    );
    let members = get(&lead_n, "/api/v1/communities/cop/members").await;
    let roles: Vec<(String, String, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let who = &m["actor"];
            (
                who["username"].as_str().unwrap().to_string(),
                who["domain"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        roles.contains(&("dana".into(), n.domain.clone(), "weaver".into())),
        "{members}"
    );
    assert!(
        roles.contains(&("lead".into(), n.domain.clone(), "lead".into())),
        "{members}"
    );
    assert!(
        roles.contains(&("rita".into(), r.domain.clone(), "member".into())),
        "{members}"
    );

    // The thread, with ids of N, and both replies (rita's still hers).
    let n_cop = n.handle("cop");
    let feed = lead_n.feed(&n_cop).await;
    let entry = feed
        .iter()
        .find(|e| e.post.title.as_deref() == Some("Supervision that works"))
        .unwrap_or_else(|| panic!("the thread on N: {feed:?}"));
    assert!(
        entry.post.ap_id.starts_with(&n.base),
        "{}",
        entry.post.ap_id
    );
    let on_n = lead_n.lookup(&entry.post.ap_id).await.unwrap();
    assert_eq!(on_n.replies.len(), 2);
    assert!(
        on_n.replies
            .iter()
            .any(|p| p.ap_id == remote_reply.ap_id && !p.local)
    );
    assert!(
        on_n.replies
            .iter()
            .any(|p| p.ap_id.starts_with(&n.base) && p.content.contains("threes"))
    );

    // The event and dana's answer.
    let events = lead_n.events(&n_cop).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let shown = lead_n.event(events[0]["id"].as_i64().unwrap()).await;
    assert_eq!(shown["title"], "Practice circle");
    assert_eq!(shown["going"], 1, "{shown}");

    // The resource with both versions, its file served by N byte for byte.
    let top = get(&lead_n, "/api/v1/communities/cop/resources").await;
    assert_eq!(top["folders"][0]["name"], "Methods", "{top}");
    let folder_n = top["folders"][0]["id"].as_i64().unwrap();
    let library = get(
        &lead_n,
        &format!("/api/v1/communities/cop/resources?folder={folder_n}"),
    )
    .await;
    let listed = library["resources"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1, "{library}");
    let id = listed[0]["id"].as_i64().unwrap();
    let versions = get(&lead_n, &format!("/api/v1/resources/{id}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2, "{versions}");
    let current = get(&lead_n, &format!("/api/v1/resources/{id}")).await;
    let url = current["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with(&n.base), "{url}");
    let bytes = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(
        bytes.as_ref(),
        handout.as_slice(),
        "the file, byte for byte"
    );

    // The same name again: refused, nothing stored; another name: a second copy.
    let before = communities(&n);
    let taken = weft(&n, &["import", path]).await.unwrap_err();
    assert!(taken.contains("--name"), "{taken}");
    assert_eq!(communities(&n), before);
    let said = weft(&n, &["import", path, "--name", "cop_copy"])
        .await
        .unwrap();
    assert!(said.contains("cop_copy"), "{said}");
    assert!(said.contains("2 matched by username"), "{said}");
    assert_eq!(communities(&n), before + 1);

    // A damaged file (a file's bytes changed): refused before anything is written.
    let mut broken = doc.clone();
    broken["files"][0]["data"] = json!("aGVsbG8=");
    let bad = dir.join("broken.json");
    std::fs::write(&bad, serde_json::to_vec(&broken).unwrap()).unwrap();
    let refused = weft(
        &n,
        &["import", bad.to_str().unwrap(), "--name", "cop_broken"],
    )
    .await
    .unwrap_err();
    assert!(refused.contains("does not match its SHA-256"), "{refused}");
    let not_export = dir.join("other.json");
    std::fs::write(&not_export, br#"{"hello": "world"}"#).unwrap();
    let refused = weft(&n, &["import", not_export.to_str().unwrap()])
        .await
        .unwrap_err();
    assert!(
        refused.contains("is not a Weft community export"),
        "{refused}"
    );
    assert_eq!(communities(&n), before + 1);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "weft-transfer-{}",
        std::process::id() as u128 * 1_000_000 + Utc::now().timestamp_micros() as u128
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

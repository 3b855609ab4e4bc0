//! The resource library across three instances: a lead on A adds a resource and edits it
//! twice; B (following the community) holds all three versions; a facilitator on C
//! edits it by role and B sees version 4; a non-member's edit is refused with a
//! `Reject` and stored nowhere; diff and restore through the API; a delete reaches B and
//! C and A answers 410. Then bad input, each refused with a problem body and nothing
//! stored. Run on SQLite, and on PostgreSQL when `WEFT_TEST_POSTGRES_URL` is set.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::members::refused;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_on_sqlite() {
    library(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        library(backend).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_sqlite() {
    bad_input(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        bad_input(backend).await;
    }
}

/// What a Mastodon user following a community receives for a new resource: the
/// community's `Announce` of the bare `Document`, which Mastodon shows as its `name`, its
/// `summary` (the kind, then the start of the description) and a link to its `url`.
/// Compared whole with `tests/fixtures/mastodon_sees/announce_document.json`
/// (`WEFT_BLESS=1` rewrites it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_mastodon_follower_receives_for_a_resource() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let (status, made) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/resources",
            Some(json!({
                "title": "Supervision in threes",
                "kind": "method",
                "description": "Sit in **threes**: one speaks, one listens, one watches. \
                    Swap every fifteen minutes, and end with five minutes of reflection.",
                "tags": ["supervision"],
                "link": "https://example.org/threes"
            })),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let announce = outbox_bodies(&a)
        .into_iter()
        .find(|s| s["type"] == "Announce" && s["object"]["type"] == "Document")
        .expect("the bare Document was announced");
    let got = normalised(&announce, &a.base);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/mastodon_sees/announce_document.json"
    );
    if std::env::var("WEFT_BLESS").is_ok() {
        std::fs::write(path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).unwrap();
    assert_eq!(
        got,
        expected,
        "what Mastodon receives changed:\n{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
    let object = &got["object"];
    assert_eq!(object["name"], "Supervision in threes");
    assert_eq!(object["url"], "https://example.org/threes");
    let summary = object["summary"].as_str().unwrap();
    assert!(summary.starts_with("Method: Sit in threes:"), "{summary}");
    assert!(
        !summary.contains("**") && !summary.contains('<'),
        "{summary}"
    );
}

/// Stable JSON for a comparison: times as `DATE`, this run's address as
/// `https://a.example`, activity UUIDs as `UUID`.
fn normalised(v: &Value, base: &str) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalised(v, base)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| normalised(i, base)).collect()),
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => json!("DATE"),
        Value::String(s) => {
            let mut s = s.replace(base, "https://a.example");
            if let Some((head, tail)) = s.split_once("/activities/")
                && tail.len() == 36
            {
                s = format!("{head}/activities/UUID");
            }
            Value::String(s)
        }
        other => other.clone(),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The resources of `community` (name@host) in the top folder (or `folder`) as the
/// member's instance knows them.
async fn listed(member: &Member, community: &str, folder: Option<i64>) -> Vec<Value> {
    let query = folder.map(|f| format!("?folder={f}")).unwrap_or_default();
    let (status, body) = member
        .raw(
            Method::GET,
            &format!("/api/v1/communities/{}/resources{query}", encode(community)),
            None,
        )
        .await;
    assert_eq!(status, 200, "library of {community}: {body}");
    body["resources"].as_array().cloned().unwrap_or_default()
}

async fn versions(member: &Member, id: i64) -> Vec<Value> {
    let (status, body) = member
        .raw(
            Method::GET,
            &format!("/api/v1/resources/{id}/versions"),
            None,
        )
        .await;
    assert_eq!(status, 200, "versions of {id}: {body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Every version row an instance holds.
fn version_rows(i: &Instance) -> i64 {
    i.db.read_blocking(weft_db::resources::count_all_versions)
        .unwrap()
}

async fn edit(member: &Member, id: i64, body: Value) -> (u16, Value) {
    member
        .raw(
            Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            Some(body),
        )
        .await
}

/// `member` (on another instance) joins `community` and waits until it is accepted.
async fn join(member: &Member, community: &str) {
    let path = format!("/api/v1/communities/{community}/join");
    let (status, body) = member.raw(Method::POST, &path, None).await;
    assert_eq!(status, 200, "{body}");
    member.follow_accepted(community).await;
}

async fn library(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start("c", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let cop = a.handle("cop");
    let dana = a.user("dana");
    let (status, body) = dana
        .raw(Method::POST, "/api/v1/communities/cop/join", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let bob = b.user("bob");
    bob.follow_accepted(&cop).await;
    let carol = c.user("carol");
    join(&carol, &cop).await;
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/cop/members/carol@{}", c.domain),
            Some(json!({ "role": "facilitator" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mallory = c.user("mallory");

    // A folder, and a resource in it: version 1.
    let (status, folder) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/folders",
            Some(json!({ "name": "Methods" })),
        )
        .await;
    assert_eq!(status, 201, "{folder}");
    let folder_id = folder["id"].as_i64().unwrap();
    // The handout is uploaded to the community's library first, then attached by its id.
    let handout = weft_tests::files::pdf(48_213, "threes");
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
    let first = "Sit in threes.\nOne speaks, one listens, one watches.\nSwap every ten minutes.";
    let (status, created) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/resources",
            Some(json!({
                "title": "Supervision in threes",
                "kind": "method",
                "description": first,
                "tags": ["supervision", "#peer-support"],
                "link": "https://example.org/threes",
                "attachments": [{ "file": upload["id"], "name": "Handout" },
                    { "url": "https://files.example.org/reading.pdf",
                      "media_type": "application/pdf", "name": "Reading", "size": 1200 }],
                "folder": folder_id
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["folder"], folder_id);
    assert_eq!(created["tags"], json!(["supervision", "peer-support"]));
    assert_eq!(
        created["attachments"][0],
        json!({ "url": upload["url"], "media_type": "application/pdf", "name": "Handout",
            "size": handout.len() })
    );
    let id = created["id"].as_i64().unwrap();
    let ap_id = created["ap_id"].as_str().unwrap().to_string();
    assert_eq!(listed(&lead, &cop, Some(folder_id)).await.len(), 1);

    // Two edits: versions 2 and 3, each keeping the one before.
    let second =
        "Sit in threes.\nOne speaks, one listens, one watches.\nSwap every fifteen minutes.";
    let (status, v2) = edit(
        &lead,
        id,
        json!({ "description": second, "message": "Longer turns" }),
    )
    .await;
    assert_eq!((status, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    let third = format!("{second}\nEnd with five minutes of reflection.");
    let (status, v3) = edit(
        &lead,
        id,
        json!({ "description": third, "kind": "guidance" }),
    )
    .await;
    assert_eq!((status, v3["version"].as_i64()), (200, Some(3)), "{v3}");

    // The object A serves, as a Mastodon user's server reads it: name, summary, url.
    let (status, object) = get_activity_json(&ap_id).await;
    assert_eq!(status, 200, "{object}");
    assert_eq!(object["type"], "Document");
    assert_eq!(object["name"], "Supervision in threes");
    assert_eq!(object["url"], "https://example.org/threes");
    assert!(
        object["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Guidance: Sit in threes.")),
        "{object}"
    );
    assert_eq!(object["weft:version"], 3);
    assert_eq!(object["weft:kind"], "guidance");
    let (status, history) = get_activity_json(object["weft:versions"].as_str().unwrap()).await;
    assert_eq!(
        (status, history["totalItems"].as_i64()),
        (200, Some(3)),
        "{history}"
    );

    // B, following the community, holds the three versions, each as written.
    let on_b = eventually("B to hold version 3", WAIT, || async {
        listed(&bob, &cop, None)
            .await
            .into_iter()
            .find(|r| r["ap_id"] == ap_id.as_str() && r["version"] == 3)
    })
    .await;
    let b_id = on_b["id"].as_i64().unwrap();
    let kept = versions(&bob, b_id).await;
    let texts: Vec<&str> = kept
        .iter()
        .map(|v| v["description"].as_str().unwrap())
        .collect();
    assert_eq!(texts, [first, second, third.as_str()]);
    assert_eq!(kept[1]["message"], "Longer turns");
    assert_eq!(kept[2]["kind"], "guidance");
    assert!(
        kept.iter()
            .all(|v| v["edited_by"] == lead.actor.ap_id.as_str())
    );
    assert_eq!(on_b["attachments"][0]["name"], "Handout");
    assert_eq!(on_b["attachments"][1]["name"], "Reading");
    // The file B's copy names is served by A, byte for byte, with its type.
    let file_url = on_b["attachments"][0]["url"].as_str().unwrap();
    assert!(file_url.starts_with(&a.base), "{file_url}");
    let download = reqwest::get(file_url).await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().as_ref(), handout.as_slice());
    assert_eq!(on_b["link"], "https://example.org/threes");

    // Carol, a facilitator of cop on C, edits C's copy: A takes it by her role, and B
    // sees version 4, hers.
    let on_c = eventually("C to hold version 3", WAIT, || async {
        listed(&carol, &cop, None)
            .await
            .into_iter()
            .find(|r| r["ap_id"] == ap_id.as_str() && r["version"] == 3)
    })
    .await;
    let c_id = on_c["id"].as_i64().unwrap();
    let fourth = format!("{third}\nWrite one line each in the shared notes.");
    let (status, sent) = edit(
        &carol,
        c_id,
        json!({ "description": fourth, "message": "Notes at the end" }),
    )
    .await;
    assert_eq!(status, 202, "sent to A, which decides: {sent}");
    let v4 = eventually("B to hold carol's version 4", WAIT, || async {
        versions(&bob, b_id)
            .await
            .into_iter()
            .find(|v| v["version"] == 4)
    })
    .await;
    assert_eq!(v4["edited_by"], carol.actor.ap_id.as_str());
    assert_eq!(v4["description"], fourth.as_str());
    assert_eq!(v4["message"], "Notes at the end");
    eventually("C to hold version 4", WAIT, || async {
        (versions(&carol, c_id).await.len() == 4).then_some(())
    })
    .await;

    // Mallory on C is no member: A refuses her edit with a Reject, and nobody stores it.
    let before = [version_rows(&a), version_rows(&b), version_rows(&c)];
    let (status, _) = edit(&mallory, c_id, json!({ "title": "Mine now" })).await;
    assert_eq!(status, 202);
    eventually("A to send mallory a Reject", WAIT, || async {
        outbox_bodies(&a)
            .into_iter()
            .find(|o| o["type"] == "Reject" && o["to"][0] == mallory.actor.ap_id.as_str())
    })
    .await;
    let reject = outbox_bodies(&a)
        .into_iter()
        .find(|o| o["type"] == "Reject")
        .unwrap();
    assert!(
        reject["summary"]
            .as_str()
            .is_some_and(|s| s.contains("only the resource's author")),
        "{reject}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        [version_rows(&a), version_rows(&b), version_rows(&c)],
        before,
        "the refused edit is stored nowhere"
    );
    let (_, current) = lead
        .raw(Method::GET, &format!("/api/v1/resources/{id}"), None)
        .await;
    assert_eq!(current["title"], "Supervision in threes");

    // Diff and restore through the API.
    let (status, diff) = lead
        .raw(
            Method::GET,
            &format!("/api/v1/resources/{id}/diff?from=1&to=3"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{diff}");
    let lines: Vec<(String, String)> = diff["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["change"].as_str().unwrap().to_string(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("same", "Sit in threes."),
        ("same", "One speaks, one listens, one watches."),
        ("removed", "Swap every ten minutes."),
        ("added", "Swap every fifteen minutes."),
        ("added", "End with five minutes of reflection."),
    ]
    .iter()
    .map(|(c, t)| (c.to_string(), t.to_string()))
    .collect();
    assert_eq!(lines, expected);
    refused(
        "a member restoring",
        403,
        dana.raw(
            Method::POST,
            &format!("/api/v1/resources/{id}/restore"),
            Some(json!({ "version": 1 })),
        )
        .await,
    );
    refused(
        "a diff of a version that does not exist",
        404,
        lead.raw(
            Method::GET,
            &format!("/api/v1/resources/{id}/diff?from=1&to=9"),
            None,
        )
        .await,
    );
    let (status, restored) = lead
        .raw(
            Method::POST,
            &format!("/api/v1/resources/{id}/restore"),
            Some(json!({ "version": 1 })),
        )
        .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(restored["version"], 5);
    assert_eq!(restored["description"], first);
    assert_eq!(restored["kind"], "method");
    let v5 = eventually("B to hold the restored version 5", WAIT, || async {
        versions(&bob, b_id)
            .await
            .into_iter()
            .find(|v| v["version"] == 5)
    })
    .await;
    assert_eq!(v5["description"], first);
    assert_eq!(v5["message"], "Restored version 1");

    // A delete reaches B and C; A answers 410 with a Tombstone.
    let (status, body) = lead
        .raw(Method::DELETE, &format!("/api/v1/resources/{id}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, tombstone) = get_activity_json(&ap_id).await;
    assert_eq!(
        (status, tombstone["type"].as_str()),
        (410, Some("Tombstone"))
    );
    for (member, local_id) in [(&bob, b_id), (&carol, c_id)] {
        eventually("the delete to arrive", WAIT, || async {
            let (status, _) = member
                .raw(Method::GET, &format!("/api/v1/resources/{local_id}"), None)
                .await;
            (status == 404).then_some(())
        })
        .await;
    }
    assert!(listed(&bob, &cop, None).await.is_empty());
}

async fn make_folder(lead: &Member, name: &str, parent: Option<i64>) -> i64 {
    let body = json!({ "name": name, "parent": parent });
    let (status, f) = lead
        .raw(Method::POST, "/api/v1/communities/cop/folders", Some(body))
        .await;
    assert_eq!(status, 201, "{f}");
    f["id"].as_i64().unwrap()
}

async fn bad_input(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    let community = a.community("cop", &lead, false);
    a.community("other", &lead, false);
    let cop = a.handle("cop");
    let bob = b.user("bob");
    bob.follow_accepted(&cop).await;
    let create = |body: Value| {
        lead.raw(
            Method::POST,
            "/api/v1/communities/cop/resources",
            Some(body),
        )
    };
    let good = json!({ "title": "A case", "kind": "case-study", "description": "What happened." });

    // Unknown kind, links that are not http(s), a folder of another community.
    let (_, elsewhere) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/other/folders",
            Some(json!({ "name": "Theirs" })),
        )
        .await;
    let mut bad = vec![];
    for (field, value, says) in [
        ("kind", json!("recipe"), "unknown kind"),
        ("link", json!("javascript:alert(1)"), "http or https"),
        ("link", json!("ftp://files.example.org/a"), "http or https"),
        ("folder", elsewhere["id"].clone(), "another community"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        bad.push((field, says, create(body).await));
    }
    let mut body = good.clone();
    body["attachments"] = json!([{ "url": "file:///etc/passwd", "media_type": "text/plain" }]);
    bad.push(("attachments", "http or https", create(body).await));
    // A file uploaded to another community's library, and a file that does not exist.
    let (status, theirs) = weft_tests::files::upload(
        &lead.base,
        Some(&lead.token),
        "other",
        "theirs.pdf",
        "application/pdf",
        &weft_tests::files::pdf(2000, "theirs"),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    for file in [theirs["id"].clone(), json!(987_654)] {
        let mut body = good.clone();
        body["attachments"] = json!([{ "file": file }]);
        bad.push((
            "attachments",
            "not in this community's library",
            create(body).await,
        ));
    }
    for (field, says, (status, answer)) in bad {
        assert_eq!(status, 400, "{field}: {answer}");
        assert!(
            answer["detail"].as_str().is_some_and(|d| d.contains(says)),
            "{field}: {answer}"
        );
    }
    assert_eq!(version_rows(&a), 0, "nothing refused was stored");

    // A folder cycle is refused; the folders stay as they were.
    let outer = make_folder(&lead, "Outer", None).await;
    let inner = make_folder(&lead, "Inner", Some(outer)).await;
    for target in [inner, outer] {
        let answer = lead
            .raw(
                Method::PATCH,
                &format!("/api/v1/folders/{outer}"),
                Some(json!({ "parent": target })),
            )
            .await;
        assert!(
            answer.1["detail"]
                .as_str()
                .is_some_and(|d| d.contains("inside itself")),
            "{}",
            answer.1
        );
        refused("a folder cycle", 400, answer);
    }
    let (_, top) = lead
        .raw(Method::GET, "/api/v1/communities/cop/folders", None)
        .await;
    assert_eq!(top[0]["id"], outer);
    assert_eq!(top[0]["parent"], Value::Null);
    refused(
        "a second folder of the same name",
        409,
        lead.raw(
            Method::POST,
            "/api/v1/communities/cop/folders",
            Some(json!({ "name": "Outer" })),
        )
        .await,
    );

    // B holds version 2; an Update announced by the community that goes backwards, or
    // repeats version 2 with other content, is refused and changes nothing on B.
    let (status, made) = create(good.clone()).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    let ap_id = made["ap_id"].as_str().unwrap().to_string();
    let (status, v2) = lead
        .raw(
            Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            Some(json!({ "description": "What happened, and why." })),
        )
        .await;
    assert_eq!(status, 200, "{v2}");
    // Through the posts API a resource cannot be edited past its history.
    refused(
        "editing a resource as a post",
        400,
        lead.raw(
            Method::PATCH,
            &format!("/api/v1/posts/{id}"),
            Some(json!({ "content": "No history." })),
        )
        .await,
    );
    let on_b = eventually("B to hold version 2", WAIT, || async {
        listed(&bob, &cop, None)
            .await
            .into_iter()
            .find(|r| r["version"] == 2)
    })
    .await;
    let b_rows = version_rows(&b);
    let (_, object) = get_activity_json(&ap_id).await;
    let signer = signer_of(&a, &community);
    let inbox = format!("{}/inbox", b.base);
    for (n, (version, says)) in [(1, "goes backwards"), (2, "other content")]
        .into_iter()
        .enumerate()
    {
        let mut forged = object.clone();
        forged.as_object_mut().unwrap().remove("@context");
        forged["weft:version"] = json!(version);
        forged["content"] = json!("<p>Rewritten history.</p>");
        forged["source"] = json!({ "content": "Rewritten history.", "mediaType": "text/markdown" });
        let announce = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Announce",
            "id": format!("{}/activities/forged-{n}", a.base),
            "actor": community.ap_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "type": "Update",
                "id": format!("{}/activities/forged-update-{n}", a.base),
                "actor": lead.actor.ap_id,
                "object": forged,
                "to": [community.ap_id]
            }
        })
        .to_string();
        let headers = signed(&signer, &inbox, &announce, Utc::now());
        let (status, answer) = deliver(&inbox, &announce, headers).await;
        assert_eq!(status, 409, "version {version}: {answer}");
        assert!(
            answer["detail"].as_str().is_some_and(|d| d.contains(says)),
            "version {version}: {answer}"
        );
    }
    assert_eq!(version_rows(&b), b_rows, "nothing stored on B");
    let b_id = on_b["id"].as_i64().unwrap();
    let kept = versions(&bob, b_id).await;
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[1]["description"], "What happened, and why.");
}

//! A community's profile over real HTTP on both backends: a lead's edit (domain, terms of
//! reference, rhythm, mode, language, tags, objectives) reaches a follower's instance as
//! `Update(Group)` and shows in its copy; sub-communities link both ways and a parent is
//! not archived over its open children; bad input is refused with a problem body and
//! changes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

/// The public profile of `handle` as `instance` shows it.
async fn profile(instance: &Instance, handle: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}/api/v1/communities/{handle}", instance.base))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Ids of the activities `instance` has received.
fn received(instance: &Instance) -> Vec<String> {
    use diesel::prelude::*;
    use weft_db::schema::received_activities as r;
    instance
        .db
        .read_blocking(|c| -> Result<Vec<String>, weft_db::DbError> {
            Ok(r::table.select(r::ap_id).load(c)?)
        })
        .unwrap()
}

/// The `Update(Group)` activities `instance` has queued, oldest first.
fn group_updates(instance: &Instance) -> Vec<Value> {
    outbox_bodies(instance)
        .into_iter()
        .filter(|a| a["type"] == "Update" && a["object"]["type"] == "Group")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_on_sqlite() {
    profile_edit_reaches_b(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        profile_edit_reaches_b(backend).await;
    }
}

async fn profile_edit_reaches_b(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let bob = b.user("bob");
    let cop = a.handle("cop");
    bob.follow(&cop).await;
    eventually("B's follow to be accepted", WAIT, || async {
        (bob.follow(&cop).await == "accepted").then_some(())
    })
    .await;

    let (status, edited) = lead
        .raw(
            Method::PATCH,
            "/api/v1/communities/cop",
            Some(json!({
                "about": "Trauma-informed care in **schools and clinics**.",
                "terms_of_reference": "## Purpose\nLearn from each other's cases.",
                "meeting_rhythm": "Monthly, first Tuesday, one hour",
                "meeting_mode": "hybrid",
                "language": "en-gb",
                "tags": ["Trauma", "#care", "trauma"]
            })),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["tags"], json!(["care", "trauma"]));
    assert_eq!(edited["language"], "en-GB");
    let (status, seminar) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/objectives",
            Some(json!({"kind": "seminar", "title": "One seminar a year",
                         "status": "done", "done_on": "2026-05"})),
        )
        .await;
    assert_eq!(status, 201, "{seminar}");
    let (status, bid) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/objectives",
            Some(
                json!({"kind": "funding-bid", "title": "A joint funding bid",
                         "status": "in-progress", "note": "with two universities"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{bid}");
    let path = format!("/api/v1/communities/cop/objectives/{}", bid["id"]);
    let (status, bid) = lead
        .raw(
            Method::PATCH,
            &path,
            Some(json!({"status": "done", "done_on": "2026-11-30"})),
        )
        .await;
    assert_eq!(status, 200, "{bid}");
    assert_eq!(
        bid["title"], "A joint funding bid",
        "PATCH keeps what it does not name"
    );

    // The Group document carries the profile, in terms Mastodon and Lemmy ignore safely.
    let (_, group) = get_activity_json(&format!("{}/c/cop", a.base)).await;
    assert_eq!(group["weft:meetingMode"], "hybrid");
    assert_eq!(group["weft:language"], "en-GB");
    assert_eq!(group["weft:lifecycle"], "active");
    assert!(
        group["summary"]
            .as_str()
            .unwrap()
            .contains("<strong>schools and clinics</strong>")
    );
    assert!(
        group["weft:termsOfReference"]
            .as_str()
            .unwrap()
            .contains("<h2>Purpose</h2>")
    );
    assert_eq!(group["tag"][0], json!({"type": "Hashtag", "name": "#care"}));
    assert_eq!(group["weft:objectives"][1]["weft:doneOn"], "2026-11-30");
    let doc: weft_protocol::ActorJson = serde_json::from_value(group.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&doc).unwrap()["weft:objectives"],
        group["weft:objectives"]
    );

    // Each edit went to B as Update(Group), signed by the community; B stores the last.
    let updates = group_updates(&a);
    assert_eq!(updates.len(), 4, "one Update(Group) per edit");
    let last = updates.last().unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(updates[3]["actor"], updates[3]["object"]["id"]);
    eventually("B to receive the last Update(Group)", WAIT, || async {
        received(&b).contains(&last).then_some(())
    })
    .await;
    let (status, on_b) = profile(&b, &cop).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(on_b["community"]["local"], false);
    assert_eq!(on_b["meeting_mode"], "hybrid");
    assert_eq!(on_b["meeting_rhythm"], "Monthly, first Tuesday, one hour");
    assert_eq!(on_b["language"], "en-GB");
    assert_eq!(on_b["tags"], json!(["care", "trauma"]));
    assert_eq!(on_b["lifecycle"], "active");
    assert!(
        on_b["terms_of_reference"]
            .as_str()
            .unwrap()
            .contains("<h2>Purpose</h2>")
    );
    assert!(
        on_b["about"]
            .as_str()
            .unwrap()
            .contains("schools and clinics")
    );
    let objectives = on_b["objectives"].as_array().unwrap();
    assert_eq!(objectives.len(), 2);
    assert_eq!(objectives[0]["title"], "One seminar a year");
    assert_eq!(objectives[0]["done_on"], "2026-05");
    assert_eq!(objectives[1]["status"], "done");
    assert_eq!(objectives[1]["note"], "with two universities");

    // A removed objective is gone on B too.
    let (status, _) = lead.raw(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let last = group_updates(&a).last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    eventually("B to receive the removal", WAIT, || async {
        received(&b).contains(&last).then_some(())
    })
    .await;
    assert_eq!(
        profile(&b, &cop).await.1["objectives"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    sub_communities(&a, &lead).await;
    bad_input_changes_nothing(&a, &lead).await;
}

/// A parent lists its children and a child names its parent; no cycles; a parent is
/// archived only after its children.
async fn sub_communities(a: &Instance, lead: &Member) {
    a.community("cyp", lead, false);
    a.community("cwp", lead, false);
    let other = a.user("other_lead");
    a.community("elsewhere", &other, false);

    let (status, child) = lead
        .raw(
            Method::PATCH,
            "/api/v1/communities/cwp",
            Some(json!({"parent": "cyp"})),
        )
        .await;
    assert_eq!(status, 200, "{child}");
    assert_eq!(child["parent"]["username"], "cyp");
    let (_, parent) = profile(a, "cyp").await;
    assert_eq!(parent["children"][0]["community"]["username"], "cwp");
    let (_, group) = get_activity_json(&format!("{}/c/cwp", a.base)).await;
    assert_eq!(group["weft:parent"], format!("{}/c/cyp", a.base));
    let (_, group) = get_activity_json(&format!("{}/c/cyp", a.base)).await;
    assert_eq!(group["weft:children"], json!([format!("{}/c/cwp", a.base)]));

    let (status, body) = lead
        .raw(
            Method::PATCH,
            "/api/v1/communities/cyp",
            Some(json!({"parent": "cwp"})),
        )
        .await;
    assert_eq!(status, 409, "a cycle: {body}");
    let (status, body) = lead
        .raw(
            Method::PATCH,
            "/api/v1/communities/cwp",
            Some(json!({"parent": "elsewhere"})),
        )
        .await;
    assert_eq!(status, 403, "not a lead of the new parent: {body}");
    assert_eq!(profile(a, "cwp").await.1["parent"]["username"], "cyp");

    let (status, body) = lead
        .raw(Method::POST, "/api/v1/communities/cyp/archive", None)
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("cwp"), "{body}");
    assert_eq!(profile(a, "cyp").await.1["lifecycle"], "active");
    let (status, _) = lead
        .raw(Method::POST, "/api/v1/communities/cwp/archive", None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = lead
        .raw(Method::POST, "/api/v1/communities/cyp/archive", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["children"][0]["lifecycle"], "archived");
}

/// Each refusal: its status, a problem body, and the profile and outbox as they were.
async fn bad_input_changes_nothing(a: &Instance, lead: &Member) {
    let stranger = a.user("stranger");
    let long = |n: usize| "x".repeat(n);
    let many_tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    let cases: Vec<(&str, &Member, Method, &str, Value, u16)> = vec![
        (
            "domain over 5,000",
            lead,
            Method::PATCH,
            "",
            json!({"about": long(5001)}),
            400,
        ),
        (
            "terms over 20,000",
            lead,
            Method::PATCH,
            "",
            json!({"terms_of_reference": long(20_001)}),
            400,
        ),
        (
            "21 tags",
            lead,
            Method::PATCH,
            "",
            json!({"tags": many_tags}),
            400,
        ),
        (
            "a 51-character tag",
            lead,
            Method::PATCH,
            "",
            json!({"tags": [long(51)]}),
            400,
        ),
        (
            "a tag with spaces",
            lead,
            Method::PATCH,
            "",
            json!({"tags": ["two words"]}),
            400,
        ),
        (
            "not a language",
            lead,
            Method::PATCH,
            "",
            json!({"language": "english"}),
            400,
        ),
        (
            "not a mode",
            lead,
            Method::PATCH,
            "",
            json!({"meeting_mode": "zoom"}),
            400,
        ),
        (
            "an empty title",
            lead,
            Method::PATCH,
            "",
            json!({"title": "  "}),
            400,
        ),
        (
            "an unknown field",
            lead,
            Method::PATCH,
            "",
            json!({"lifecycle": "archived"}),
            400,
        ),
        (
            "valid, with one bad field",
            lead,
            Method::PATCH,
            "",
            json!({"about": "fine", "language": "x"}),
            400,
        ),
        (
            "a non-lead",
            &stranger,
            Method::PATCH,
            "",
            json!({"about": "mine now"}),
            403,
        ),
        (
            "an unknown kind",
            lead,
            Method::POST,
            "/objectives",
            json!({"kind": "party", "title": "t"}),
            400,
        ),
        (
            "a bad date",
            lead,
            Method::POST,
            "/objectives",
            json!({"title": "t", "status": "done", "done_on": "2026-13"}),
            400,
        ),
        (
            "a date but not done",
            lead,
            Method::POST,
            "/objectives",
            json!({"title": "t", "done_on": "2026-05"}),
            400,
        ),
        (
            "a non-lead's objective",
            &stranger,
            Method::POST,
            "/objectives",
            json!({"title": "t"}),
            403,
        ),
        (
            "another community's objective",
            lead,
            Method::DELETE,
            "/objectives/999999",
            Value::Null,
            404,
        ),
        (
            "a non-admin reopening",
            lead,
            Method::POST,
            "/reopen",
            Value::Null,
            403,
        ),
    ];
    let before = profile(a, "cop").await.1;
    let sent = outbox_bodies(a).len();
    for (what, who, method, suffix, body, expected) in cases {
        let body = (!body.is_null()).then_some(body);
        let (status, problem) = who
            .raw(method, &format!("/api/v1/communities/cop{suffix}"), body)
            .await;
        assert_eq!(status, expected, "{what}: {problem}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: a problem body says why: {problem}"
        );
        assert_eq!(profile(a, "cop").await.1, before, "{what}: nothing changed");
        assert_eq!(outbox_bodies(a).len(), sent, "{what}: nothing sent");
    }
    let (status, body) = lead
        .raw(Method::POST, "/api/v1/communities/cop/activate", None)
        .await;
    assert_eq!(status, 409, "activating an active community: {body}");
    let (status, body) = lead
        .raw(Method::PATCH, "/api/v1/communities/nobody", Some(json!({})))
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_group_updates_on_sqlite() {
    hostile_group_updates(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_group_updates_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        hostile_group_updates(backend).await;
    }
}

/// A remote community's `Update(Group)`: what it says is cleaned before it is stored
/// (markup, unknown values, too many tags, overlong texts), and an update of another
/// actor is refused and changes nothing.
async fn hostile_group_updates(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead_b = b.user("lead_b");
    let group = b.community("remote", &lead_b, false);
    let other = b.community("other", &lead_b, false);
    let alice = a.user("alice");
    let handle = b.handle("remote");
    alice.follow(&handle).await;
    eventually("A's follow to be accepted", WAIT, || async {
        (alice.follow(&handle).await == "accepted").then_some(())
    })
    .await;
    let (_, mut doc) = get_activity_json(&group.ap_id).await;
    let tags: Vec<Value> = (0..30)
        .map(|i| json!({"type": "Hashtag", "name": format!("#Tag{i}")}))
        .collect();
    doc["tag"] = json!(tags);
    doc["weft:termsOfReference"] = json!("<p>Hi<script>alert(1)</script></p>");
    doc["weft:lifecycle"] = json!("exploding");
    doc["weft:meetingMode"] = json!("telepathy");
    doc["weft:language"] = json!("not a tag!");
    doc["weft:meetingRhythm"] = json!("m".repeat(1000));
    doc["weft:objectives"] = json!([
        {"type": "weft:Objective", "name": "A seminar", "weft:kind": "seminar", "weft:status": "done", "weft:doneOn": "2026-05"},
        {"type": "weft:Objective", "name": "Nonsense", "weft:kind": "seminar", "weft:status": "exploded"}
    ]);
    let signer = signer_of(&b, &group);
    let inbox = format!("{}/inbox", a.base);
    let update = |id: &str, object: &Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Update",
            "id": format!("{}/activities/{id}", b.base),
            "actor": group.ap_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": object
        })
        .to_string()
    };
    let body = update("hostile", &doc);
    let (status, answer) = deliver(
        &inbox,
        &body,
        signed(&signer, &inbox, &body, chrono::Utc::now()),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let (_, stored) = profile(&a, &handle).await;
    assert!(
        !stored["terms_of_reference"]
            .as_str()
            .unwrap()
            .contains("script"),
        "{stored}"
    );
    assert!(
        stored["terms_of_reference"]
            .as_str()
            .unwrap()
            .contains("Hi")
    );
    assert_eq!(
        stored["lifecycle"], "active",
        "an unknown state reads as active"
    );
    assert_eq!(stored["meeting_mode"], "online");
    assert_eq!(stored["language"], Value::Null);
    assert_eq!(stored["tags"].as_array().unwrap().len(), 20);
    assert_eq!(stored["tags"][0], "tag0", "lower-cased");
    assert_eq!(
        stored["meeting_rhythm"].as_str().unwrap().chars().count(),
        200
    );
    let objectives = stored["objectives"].as_array().unwrap();
    assert_eq!(
        objectives.len(),
        1,
        "the one that does not check is dropped"
    );
    assert_eq!(objectives[0]["done_on"], "2026-05");

    // The same activity again: taken once.
    let (status, answer) = deliver(
        &inbox,
        &body,
        signed(&signer, &inbox, &body, chrono::Utc::now()),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(answer["status"], "ignored", "{answer}");

    // The community may not update another actor, not even one on its own instance.
    let (_, mut other_doc) = get_activity_json(&other.ap_id).await;
    other_doc["weft:lifecycle"] = json!("archived");
    let body = update("forged", &other_doc);
    let (status, answer) = deliver(
        &inbox,
        &body,
        signed(&signer, &inbox, &body, chrono::Utc::now()),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let (status, _) = profile(&a, &b.handle("other")).await;
    assert_eq!(status, 200);
    assert_eq!(
        profile(&a, &b.handle("other")).await.1["lifecycle"],
        "active"
    );
    assert_eq!(profile(&a, &handle).await.1, stored, "nothing changed");
}

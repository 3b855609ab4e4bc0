//! Weaving across instances: a weaver of `explorers` on C weaves a thread and an event of
//! `cop` on A into it, with a note; dora on D, who follows `explorers`, receives C's
//! `Announce` of the originals (author and community intact, fetched from A) and the
//! weaver's `Note` (a FEP-e232 `Link` tag and a link a Mastodon user can click); A
//! records where its items travelled; C lists them as woven in. Weaving twice is a 409;
//! a member's weave is refused with 403, storing and sending nothing. Unweaving sends
//! `Undo(Announce)` and the note's `Delete`: D, A and C forget the weave. Run on SQLite,
//! and on PostgreSQL when `WEFT_TEST_POSTGRES_URL` is set.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::members::refused;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);
const LINK_MEDIA_TYPE: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weaving_on_sqlite() {
    weaving(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weaving_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        weaving(backend).await;
    }
}

/// `member` joins the local community `name`.
async fn join(member: &Member, name: &str) {
    let (status, body) = member
        .raw(
            Method::POST,
            &format!("/api/v1/communities/{name}/join"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn weave(member: &Member, community: &str, object: &str, note: &str) -> (u16, Value) {
    member
        .raw(
            Method::POST,
            &format!("/api/v1/communities/{community}/weaves"),
            Some(json!({ "object": object, "note": note })),
        )
        .await
}

async fn list(member: &Member, path: &str) -> Vec<Value> {
    let (status, body) = member.raw(Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Rows of a table, for "nothing stored" checks.
fn placements(i: &Instance) -> i64 {
    use diesel::prelude::*;
    i.db.read_blocking(|c| -> Result<i64, weft_db::DbError> {
        Ok(weft_db::schema::placements::table.count().get_result(c)?)
    })
    .unwrap()
}

/// What Mastodon needs to show the weaver's note as a post: a `Note` by the weaver,
/// public, whose HTML links the original, with the FEP-e232 `Link` tag beside it.
fn mastodon_shows(note: &Value, original: &str, weaver: &str, text: &str) {
    assert_eq!(note["type"], "Note", "{note}");
    assert_eq!(note["attributedTo"], weaver, "{note}");
    assert!(
        note["to"].as_array().unwrap().iter().any(|t| t == PUBLIC),
        "{note}"
    );
    let content = note["content"].as_str().unwrap();
    assert!(content.contains(text), "{content}");
    assert!(
        content.contains(&format!("<a href=\"{original}\">")),
        "a link a Mastodon user can click: {content}"
    );
    assert_eq!(
        note["tag"],
        json!([{ "type": "Link", "mediaType": LINK_MEDIA_TYPE, "href": original,
            "name": format!("RE: {original}") }]),
        "{note}"
    );
}

async fn weaving(backend: Backend) {
    let a = Instance::start("a", &backend);
    let c = Instance::start("c", &backend);
    let d = Instance::start("d", &backend);
    // On A: cop, with a thread and an event.
    let alice = a.user("alice");
    let cop = a.community("cop", &alice, false);
    let thread = alice
        .post(
            &a.handle("cop"),
            "Supervision in threes",
            "One speaks, one listens, one watches.",
        )
        .await;
    let starts = chrono::Utc::now() + chrono::Duration::days(3);
    let (status, event) = alice
        .schedule(
            &a.handle("cop"),
            json!({
                "title": "Threes workshop",
                "description": "Two hours of practice.",
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                "timezone": "Europe/London",
                "online_url": "https://meet.example.org/threes"
            }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let event_id = event["ap_id"].as_str().unwrap().to_string();
    // On C: explorers, led by lead; wendy is its weaver, mo a member.
    let lead = c.user("lead");
    let explorers = c.community("explorers", &lead, false);
    let wendy = c.user("wendy");
    let mo = c.user("mo");
    join(&wendy, "explorers").await;
    join(&mo, "explorers").await;
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/explorers/members/wendy@{}", c.domain),
            Some(json!({ "role": "weaver" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // On D: dora follows explorers.
    let dora = d.user("dora");
    let explorers_handle = c.handle("explorers");
    dora.follow_accepted(&explorers_handle).await;
    // dora also leads `near` on D, bridged to explorers (threads): what explorers weaves
    // reaches near through the bridge.
    d.community("near", &dora, false);
    let (status, body) = dora
        .raw(
            Method::POST,
            "/api/v1/communities/near/bridges",
            Some(json!({ "target": explorers_handle, "place": ["threads"] })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    eventually(
        "near's bridge to explorers to be accepted",
        WAIT,
        || async {
            let (_, list) = dora
                .raw(Method::GET, "/api/v1/communities/near/bridges", None)
                .await;
            (list[0]["state"] == "active").then_some(())
        },
    )
    .await;

    // A member may not weave: 403, nothing stored, nothing sent.
    eventually("C's queue drains", WAIT, || async {
        (c.queued() == 0).then_some(())
    })
    .await;
    // (What a weave sends: the community's Announce and the weaver's Create.)
    let weave_sends = |c: &Instance| {
        outbox_bodies(c)
            .iter()
            .filter(|b| b["type"] == "Announce" || b["type"] == "Create")
            .count()
    };
    let (placed, sent) = (placements(&c), weave_sends(&c));
    refused(
        "a member's weave",
        403,
        weave(&mo, "explorers", &thread.ap_id, "Worth a look").await,
    );
    assert_eq!(placements(&c), placed, "nothing placed");
    assert_eq!(weave_sends(&c), sent, "nothing sent");
    // Without a note, or not an item: 400.
    refused(
        "a weave without a note",
        400,
        weave(&wendy, "explorers", &thread.ap_id, "  ").await,
    );
    refused(
        "a weave of no item",
        400,
        weave(&wendy, "explorers", "not a url", "Why").await,
    );

    // wendy weaves A's thread into explorers.
    let note = "Our explorers asked how to **practise** listening: this is how cop does it.";
    let (status, woven) = weave(&wendy, "explorers", &thread.ap_id, note).await;
    assert_eq!(status, 201, "{woven}");
    assert_eq!(woven["item"]["ap_id"], thread.ap_id.as_str());
    assert_eq!(woven["item"]["author"]["ap_id"], alice.actor.ap_id.as_str());
    assert_eq!(woven["item"]["community"]["ap_id"], cop.ap_id.as_str());
    assert_eq!(woven["weaver"]["ap_id"], wendy.actor.ap_id.as_str());
    assert_eq!(woven["note"], note);
    let weave_id = woven["id"].as_i64().unwrap();
    // Twice: 409.
    refused(
        "weaving twice",
        409,
        weave(&lead, "explorers", &thread.ap_id, "Again").await,
    );
    // The bridged community on D takes the woven thread, "from" explorers.
    let near = d.handle("near");
    eventually(
        "the woven thread to cross the bridge into near",
        WAIT,
        || async {
            dora.feed(&near)
                .await
                .iter()
                .any(|e| e.post.ap_id == thread.ap_id && e.how == "bridged")
                .then_some(())
        },
    )
    .await;

    // What C sent: the Announce of the original (A's author, id and community), to its
    // followers and cop; the weaver's Note.
    let bodies = outbox_bodies(&c);
    let announce = bodies
        .iter()
        .find(|b| b["type"] == "Announce" && b["object"]["id"] == thread.ap_id.as_str())
        .expect("the Announce")
        .clone();
    assert_eq!(announce["actor"], explorers.ap_id.as_str());
    assert_eq!(
        announce["object"]["attributedTo"],
        alice.actor.ap_id.as_str()
    );
    assert_eq!(announce["object"]["audience"], cop.ap_id.as_str());
    assert_eq!(announce["weft:wovenBy"], wendy.actor.ap_id.as_str());
    assert_eq!(announce["weft:weaveNote"], note);
    assert!(
        announce["cc"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == cop.ap_id.as_str()),
        "{announce}"
    );
    let create = bodies
        .iter()
        .find(|b| b["type"] == "Create" && b["object"]["type"] == "Note")
        .expect("the weaver's Note")
        .clone();
    assert_eq!(create["actor"], wendy.actor.ap_id.as_str());
    assert_eq!(create["object"]["audience"], explorers.ap_id.as_str());
    mastodon_shows(
        &create["object"],
        &thread.ap_id,
        &wendy.actor.ap_id,
        "<strong>practise</strong>",
    );
    let note_id = create["object"]["id"].as_str().unwrap().to_string();
    // The community announces the note as any post made in it: the bare `Note` for
    // Mastodon (which shows a followed group's boost), the `Create` for group servers.
    let boosted = bodies
        .iter()
        .find(|b| b["type"] == "Announce" && b["object"]["id"] == note_id.as_str())
        .expect("the community's Announce of the note");
    assert_eq!(boosted["actor"], explorers.ap_id.as_str());
    mastodon_shows(
        &boosted["object"],
        &thread.ap_id,
        &wendy.actor.ap_id,
        "<strong>practise</strong>",
    );
    assert!(
        bodies.iter().any(|b| b["type"] == "Announce"
            && b["object"]["type"] == "Create"
            && b["object"]["object"]["id"] == note_id.as_str()),
        "the Announce of the Create"
    );
    assert_eq!(woven["note_id"], note_id.as_str());

    // D: the thread is in its copy of explorers, woven by wendy with her note, authored
    // by alice on A.
    let path = format!("/api/v1/communities/{explorers_handle}/weaves");
    let on_d = eventually("D places the woven thread", WAIT, || async {
        list(&dora, &path).await.into_iter().next()
    })
    .await;
    assert_eq!(on_d["item"]["ap_id"], thread.ap_id.as_str());
    assert_eq!(on_d["item"]["author"]["ap_id"], alice.actor.ap_id.as_str());
    assert_eq!(on_d["item"]["community"]["ap_id"], cop.ap_id.as_str());
    assert_eq!(on_d["weaver"]["ap_id"], wendy.actor.ap_id.as_str());
    assert_eq!(on_d["note"], note);
    let seen = dora
        .lookup(&thread.ap_id)
        .await
        .expect("D knows the thread");
    assert_eq!(seen.post.author, alice.actor.ap_id);
    assert_eq!(seen.post.title.as_deref(), Some("Supervision in threes"));
    let feed = dora.feed(&explorers_handle).await;
    assert!(
        feed.iter()
            .any(|e| e.post.ap_id == thread.ap_id && e.how == "woven"),
        "{feed:?}"
    );
    // ... and the weaver's note, as a post by wendy, linking the original.
    let note_on_d = eventually("D gets the weaver's note", WAIT, || async {
        dora.lookup(&note_id).await
    })
    .await;
    assert_eq!(note_on_d.post.author, wendy.actor.ap_id);
    assert!(
        note_on_d
            .post
            .content
            .contains(&format!("href=\"{}\"", thread.ap_id)),
        "{}",
        note_on_d.post.content
    );

    // A records where its thread travelled.
    let travels = eventually("A records the weave", WAIT, || async {
        list(&alice, "/api/v1/communities/cop/travels")
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(travels["item"]["ap_id"], thread.ap_id.as_str());
    assert_eq!(travels["woven_into"]["ap_id"], explorers.ap_id.as_str());
    assert_eq!(travels["weaver"]["ap_id"], wendy.actor.ap_id.as_str());
    assert_eq!(travels["note"], note);
    // The note is served at its id while the weave lasts.
    let (status, served) = get_activity_json(&note_id).await;
    assert_eq!(status, 200, "{served}");
    mastodon_shows(
        &served,
        &thread.ap_id,
        &wendy.actor.ap_id,
        "<strong>practise</strong>",
    );
    // Only the community that wove it may undo the weave: another community's `Undo` is
    // refused, and the record stays.
    let other = c.community("other", &lead, false);
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Undo",
        "id": format!("{}/activities/forged-undo", c.base),
        "actor": other.ap_id,
        "object": { "type": "Announce", "id": announce["id"], "actor": other.ap_id,
            "object": thread.ap_id },
        "to": [PUBLIC], "cc": []
    })
    .to_string();
    let inbox = format!("{}/inbox", a.base);
    let headers = signed(&signer_of(&c, &other), &inbox, &forged, chrono::Utc::now());
    refused(
        "a forged unweave",
        403,
        deliver(&inbox, &forged, headers).await,
    );
    // A person's `Announce` naming a weaver is no weave.
    let boost = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Announce",
        "id": format!("{}/activities/boost", c.base),
        "actor": mo.actor.ap_id,
        "object": thread.ap_id,
        "weft:wovenBy": mo.actor.ap_id,
        "to": [PUBLIC], "cc": []
    })
    .to_string();
    let headers = signed(
        &signer_of(&c, &mo.actor),
        &inbox,
        &boost,
        chrono::Utc::now(),
    );
    let (status, answer) = deliver(&inbox, &boost, headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (202, &json!("ignored")),
        "{answer}"
    );
    assert_eq!(
        list(&alice, "/api/v1/communities/cop/travels").await.len(),
        1
    );
    // C lists it as woven in.
    let on_c = list(&lead, "/api/v1/communities/explorers/weaves").await;
    assert_eq!(on_c.len(), 1);
    assert_eq!(on_c[0]["note"], note);
    assert_eq!(on_c[0]["weaver"]["ap_id"], wendy.actor.ap_id.as_str());

    // The event too, by the lead, given by its URL.
    let (status, woven_event) = weave(
        &lead,
        "explorers",
        &event_id,
        "A workshop our explorers could join online.",
    )
    .await;
    assert_eq!(status, 201, "{woven_event}");
    assert_eq!(woven_event["item"]["kind"], "event");
    eventually("D places the woven event", WAIT, || async {
        (list(&dora, &path).await.len() == 2).then_some(())
    })
    .await;
    let travelled = eventually("A records both weaves", WAIT, || async {
        let l = list(&alice, "/api/v1/communities/cop/travels").await;
        (l.len() == 2).then_some(l)
    })
    .await;
    assert_eq!(travelled[0]["item"]["ap_id"], event_id.as_str());
    // The counts on the profiles.
    let (_, profile) = alice
        .raw(Method::GET, "/api/v1/communities/cop", None)
        .await;
    assert_eq!(profile["weaving"], json!({ "woven_in": 0, "woven_out": 2 }));
    let (_, profile) = lead
        .raw(Method::GET, "/api/v1/communities/explorers", None)
        .await;
    assert_eq!(profile["weaving"], json!({ "woven_in": 2, "woven_out": 0 }));

    // A resource of another community on C, woven by wendy: C records where it went.
    let (status, resource) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/other/resources",
            Some(json!({ "title": "Listening in threes", "kind": "method",
                "description": "One speaks, one listens, one watches." })),
        )
        .await;
    assert_eq!(status, 201, "{resource}");
    let (status, woven_resource) = weave(
        &wendy,
        "explorers",
        &resource["id"].as_i64().unwrap().to_string(),
        "The method, written up.",
    )
    .await;
    assert_eq!(status, 201, "{woven_resource}");
    assert_eq!(woven_resource["item"]["kind"], "resource");
    let went = list(&lead, "/api/v1/communities/other/travels").await;
    assert_eq!(went.len(), 1);
    assert_eq!(went[0]["woven_into"]["ap_id"], explorers.ap_id.as_str());
    assert_eq!(went[0]["weaver"]["ap_id"], wendy.actor.ap_id.as_str());
    let announced = outbox_bodies(&c)
        .into_iter()
        .find(|b| b["type"] == "Announce" && b["object"]["id"] == resource["ap_id"])
        .expect("the Announce of the resource");
    assert_eq!(announced["object"]["type"], "Document");
    let (status, body) = wendy
        .raw(
            Method::DELETE,
            &format!(
                "/api/v1/communities/explorers/weaves/{}",
                woven_resource["id"]
            ),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(
        list(&lead, "/api/v1/communities/other/travels")
            .await
            .is_empty()
    );

    // A member may not unweave; wendy does.
    refused(
        "a member's unweave",
        403,
        mo.raw(
            Method::DELETE,
            &format!("/api/v1/communities/explorers/weaves/{weave_id}"),
            None,
        )
        .await,
    );
    let (status, body) = wendy
        .raw(
            Method::DELETE,
            &format!("/api/v1/communities/explorers/weaves/{weave_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let bodies = outbox_bodies(&c);
    let undo = bodies
        .iter()
        .find(|b| b["type"] == "Undo" && b["object"]["object"] == thread.ap_id.as_str())
        .expect("the Undo(Announce)");
    assert_eq!(undo["object"]["id"], announce["id"]);
    assert_eq!(undo["object"]["object"], thread.ap_id.as_str());
    let delete = bodies
        .iter()
        .find(|b| b["type"] == "Delete" && b["object"] == note_id.as_str())
        .expect("the note's Delete");
    assert_eq!(delete["actor"], wendy.actor.ap_id.as_str());
    assert_eq!(delete["object"], note_id.as_str());
    // C, D and A forget it; the event stays woven.
    let on_c = list(&lead, "/api/v1/communities/explorers/weaves").await;
    assert_eq!(on_c.len(), 1);
    assert_eq!(on_c[0]["item"]["ap_id"], event_id.as_str());
    eventually("D unplaces the thread", WAIT, || async {
        let l = list(&dora, &path).await;
        (l.len() == 1 && l[0]["item"]["ap_id"] == event_id.as_str()).then_some(())
    })
    .await;
    eventually("D deletes the weaver's note", WAIT, || async {
        dora.lookup(&note_id)
            .await
            .filter(|t| t.post.deleted)
            .map(|_| ())
    })
    .await;
    eventually("A forgets the weave", WAIT, || async {
        let l = list(&alice, "/api/v1/communities/cop/travels").await;
        (l.len() == 1 && l[0]["item"]["ap_id"] == event_id.as_str()).then_some(())
    })
    .await;
    let (status, _) = get_activity_json(&note_id).await;
    assert_eq!(status, 404, "the note is gone with the weave");
    // Unweaving again: 404.
    refused(
        "unweaving twice",
        404,
        wendy
            .raw(
                Method::DELETE,
                &format!("/api/v1/communities/explorers/weaves/{weave_id}"),
                None,
            )
            .await,
    );
}

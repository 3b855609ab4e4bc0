//! Events that read the same on every instance. A lead on A schedules a meeting; members
//! on B answer it. B shows the counts A publishes (in the `Event` and its RSVP poll) with
//! its member's own answer beside them; a `Reject` of a `Join` leaves the same state on A
//! and B; the organiser sees who is coming; an edit (PATCH) changes only what it names;
//! times need their UTC offset and zones must be IANA ones; the poll says when in the
//! event's zone and in UTC, with plurals right; a deleted event is gone (404) on A and B.
//! Run on SQLite, and on PostgreSQL when `WEFT_TEST_POSTGRES_URL` is set.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_events_on_sqlite() {
    consistent_events(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_events_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        consistent_events(backend).await;
    }
}

/// The RSVP polls A sent, oldest first.
fn polls_sent(a: &Instance) -> Vec<Value> {
    outbox_bodies(a)
        .into_iter()
        .filter(|b| b["object"]["type"] == "Question")
        .collect()
}

/// The counts a view of an event shows.
fn counts(view: &Value) -> (Value, Value, Value, Value) {
    (
        view["going"].clone(),
        view["maybe"].clone(),
        view["declined"].clone(),
        view["places_left"].clone(),
    )
}

async fn consistent_events(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    let cop_row = a.community("cop", &lead, false);
    let dana = a.user("dana");
    let bob = b.user("bob");
    let bea = b.user("bea");
    let cop = a.handle("cop");
    for member in [&bob, &bea] {
        member.follow(&cop).await;
    }
    for member in [&bob, &bea] {
        eventually("the follow to be accepted", WAIT, || async {
            (member.follow(&cop).await == "accepted").then_some(())
        })
        .await;
    }

    // Times need their UTC offset (the answer says which), zones come from the IANA
    // database; nothing refused is stored.
    let meeting = json!({
        "title": "Summer practice circle",
        "description": "Bring a case.",
        "starts_at": "2027-07-01T10:00:00+01:00",
        "ends_at": "2027-07-01T11:30:00+01:00",
        "timezone": "Europe/London",
        "online_url": "https://meet.example.org/circle",
        "place": { "name": "Room 2", "address": "1 High Street, Leeds" },
        "capacity": 2
    });
    for (field, value, says) in [
        (
            "starts_at",
            json!("2027-07-01T10:00"),
            "starts_at: 2027-07-01T10:00 has no UTC offset: write 2027-07-01T10:00:00+01:00",
        ),
        (
            "ends_at",
            json!("2027-07-01T11:30:00"),
            "2027-07-01T11:30:00+01:00",
        ),
        ("timezone", json!("Europe/Lundon"), "IANA"),
        ("timezone", json!("Mars/Olympus_Mons"), "IANA"),
    ] {
        let mut bad = meeting.clone();
        bad[field] = value;
        let (status, answer) = lead.schedule(&cop, bad).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert!(answer.to_string().contains(says), "{field}: {answer}");
    }
    assert!(
        lead.events(&cop).await.is_empty(),
        "nothing refused was stored"
    );
    let (status, created) = lead.schedule(&cop, meeting.clone()).await;
    assert_eq!(status, 201, "{created}");
    let id_a = created["id"].as_i64().unwrap();
    let ap_id = created["ap_id"].as_str().unwrap().to_string();
    assert_eq!(created["starts_at"], "2027-07-01T09:00:00+00:00");

    // The poll says when in the event's own zone and in UTC, with the places left.
    let first = polls_sent(&a);
    assert_eq!(first.len(), 1, "{first:?}");
    let text = first[0]["object"]["content"].as_str().unwrap();
    assert!(
        text.contains("Thu 1 Jul 2027, 10:00–11:30 BST (Europe/London) · 09:00–10:30 UTC"),
        "{text}"
    );
    assert!(text.contains("2 places left."), "{text}");
    // So does the event's summary, which Mastodon shows under its name.
    let (_, served) = get_activity_json(&ap_id).await;
    assert_eq!(
        served["summary"],
        "Thu 1 Jul 2027, 10:00–11:30 BST (Europe/London) · 09:00–10:30 UTC · Room 2, \
         1 High Street, Leeds · online · 2 places left."
    );

    // B shows the counts A publishes: Bea (B) going, Bob (B) maybe, Dana (A) going.
    let on_b = eventually("B to receive the event", WAIT, || async {
        bob.events(&cop).await.into_iter().next()
    })
    .await;
    let id_b = on_b["id"].as_i64().unwrap();
    assert_eq!(on_b["counts_published"], true, "{on_b}");
    assert_eq!(
        (on_b["going"].clone(), on_b["places_left"].clone()),
        (json!(0), json!(2))
    );
    let (status, answer) = bea.rsvp(id_b, "going").await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = bob.rsvp(id_b, "maybe").await;
    assert_eq!(status, 200, "{answer}");
    eventually("A to accept Bea's Join", WAIT, || async {
        (bea.event(id_b).await["my_rsvp"]["state"] == "accepted").then_some(())
    })
    .await;
    let (_, served) = get_activity_json(&ap_id).await;
    assert!(
        served["summary"]
            .as_str()
            .unwrap()
            .ends_with("· 1 place left."),
        "{served}"
    );
    eventually("the poll to say 1 place is left", WAIT, || async {
        polls_sent(&a)
            .last()
            .is_some_and(|p| {
                p["object"]["content"]
                    .to_string()
                    .contains("<p>1 place left.</p>")
            })
            .then_some(())
    })
    .await;
    let (status, answer) = dana.rsvp(id_a, "going").await;
    assert_eq!(status, 200, "{answer}");
    let on_a = eventually("A to count Bob's maybe", WAIT, || async {
        let e = lead.event(id_a).await;
        (e["maybe"] == 1).then_some(e)
    })
    .await;
    assert_eq!(counts(&on_a), (json!(2), json!(1), json!(0), json!(0)));
    let seen = eventually("B to show A's counts", WAIT, || async {
        let e = bob.event(id_b).await;
        (counts(&e) == counts(&on_a)).then_some(e)
    })
    .await;
    assert_eq!(
        seen["my_rsvp"],
        json!({ "answer": "maybe", "state": "accepted" })
    );
    assert_eq!(seen["counts_published"], true);

    // Counts are taken only from the community that hosts the event: a poll update from
    // anyone else is refused (403) and changes nothing.
    let real = polls_sent(&a).last().cloned().unwrap();
    let inbox = format!("{}/inbox", b.base);
    let signer = signer_of(&a, &dana.actor);
    for (n, attributed_to, says) in [
        (1, real["actor"].clone(), "only from the community"),
        (2, json!(dana.actor.ap_id), "does not host"),
    ] {
        let mut forged = real.clone();
        forged["id"] = json!(format!("{}#forged/{n}", dana.actor.ap_id));
        forged["actor"] = json!(dana.actor.ap_id);
        forged["object"]["attributedTo"] = attributed_to;
        forged["object"]["oneOf"][0]["replies"]["totalItems"] = json!(99);
        let body = forged.to_string();
        let (status, answer) = deliver(
            &inbox,
            &body,
            signed(&signer, &inbox, &body, chrono::Utc::now()),
        )
        .await;
        assert_eq!(status, 403, "forged poll {n}: {answer}");
        assert!(
            answer.to_string().contains(says),
            "forged poll {n}: {answer}"
        );
    }
    assert_eq!(
        counts(&bob.event(id_b).await),
        counts(&on_a),
        "nothing changed"
    );
    eventually("the poll to say no places are left", WAIT, || async {
        polls_sent(&a)
            .last()
            .is_some_and(|p| {
                p["object"]["content"]
                    .to_string()
                    .contains("No places left.")
            })
            .then_some(())
    })
    .await;

    // Bob (B) now wants to go, but the event is full: A rejects his Join. Both sides then
    // hold the same: Bob going, refused, counted nowhere (he is no longer "maybe").
    let (status, answer) = bob.rsvp(id_b, "going").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["my_rsvp"]["state"], "pending");
    eventually("A's Reject to reach B", WAIT, || async {
        (bob.event(id_b).await["my_rsvp"] == json!({ "answer": "going", "state": "refused" }))
            .then_some(())
    })
    .await;
    let on_a = lead.event(id_a).await;
    assert_eq!(
        counts(&on_a),
        (json!(2), json!(0), json!(0), json!(0)),
        "{on_a}"
    );
    eventually("B to show A's counts after the Reject", WAIT, || async {
        (counts(&bob.event(id_b).await) == counts(&on_a)).then_some(())
    })
    .await;

    // The organiser sees who is coming, here and elsewhere; others may not look.
    let (status, list) = lead
        .raw(
            Method::GET,
            &format!("/api/v1/events/{id_a}/attendees"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let mut rows: Vec<(String, String, String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["since"].as_str().is_some_and(|s| s.len() >= 20), "{r}");
            assert!(r["name"].is_string() && r["ap_id"].is_string(), "{r}");
            (
                r["handle"].as_str().unwrap().to_string(),
                r["answer"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
                r["local"].as_bool().unwrap(),
            )
        })
        .collect();
    rows.sort();
    let row = |who: &str, host: &Instance, answer: &str, state: &str, local| {
        (
            host.handle(who),
            answer.to_string(),
            state.to_string(),
            local,
        )
    };
    let mut expected = vec![
        row("bea", &b, "going", "accepted", false),
        row("bob", &b, "going", "refused", false),
        row("dana", &a, "going", "accepted", true),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    let (status, answer) = dana
        .raw(
            Method::GET,
            &format!("/api/v1/events/{id_a}/attendees"),
            None,
        )
        .await;
    assert_eq!(status, 403, "a member does not see the list: {answer}");
    assert!(answer.to_string().contains("organiser"), "{answer}");
    let (status, _) = bob
        .raw(
            Method::GET,
            &format!("/api/v1/events/{id_b}/attendees"),
            None,
        )
        .await;
    assert_eq!(status, 403, "B does not know every answer");
    // A facilitator of the community (a moderator) sees it too; a plain member does not.
    let fran = a.user("fran");
    for (who, role, expected) in [(&fran, "facilitator", 200), (&dana, "member", 403)] {
        let row = weft_db::models::MembershipRow {
            community_id: cop_row.id,
            person_id: who.actor.id,
            role: role.into(),
            created_at: weft_db::now(),
        };
        a.db.write_blocking(move |c| weft_db::actors::set_membership(c, &row))
            .unwrap();
        let (status, list) = who
            .raw(
                Method::GET,
                &format!("/api/v1/events/{id_a}/attendees"),
                None,
            )
            .await;
        assert_eq!(status, expected, "{role}: {list}");
        if expected == 200 {
            assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
        }
    }

    // PATCH changes only what the body names; `null` clears.
    let patch = |body: Value| {
        let lead = &lead;
        async move {
            lead.raw(Method::PATCH, &format!("/api/v1/events/{id_a}"), Some(body))
                .await
        }
    };
    let (status, edited) = patch(json!({ "title": "Summer circle" })).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["title"], "Summer circle");
    assert_eq!(edited["place_name"], "Room 2", "a missing place is kept");
    assert_eq!(edited["online_url"], "https://meet.example.org/circle");
    assert_eq!(edited["starts_at"], "2027-07-01T09:00:00+00:00");
    assert_eq!(edited["description"], "<p>Bring a case.</p>\n");
    for (body, says) in [
        (json!({ "title": null }), "title cannot be cleared"),
        (json!({ "starts_at": null }), "starts_at cannot be cleared"),
        (json!({ "place": null, "online_url": null }), "say where"),
        (
            json!({ "starts_at": "2027-07-01T12:00" }),
            "write 2027-07-01T12:00:00+01:00",
        ),
        (json!({ "timezone": "Mars/Olympus_Mons" }), "IANA"),
        (json!({ "plcae": null }), "plcae"),
        (json!({ "capacity": 0 }), "capacity"),
    ] {
        let (status, answer) = patch(body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let unchanged = lead.event(id_a).await;
    assert_eq!(
        unchanged["place_name"], "Room 2",
        "refused edits changed nothing"
    );
    assert_eq!(unchanged["capacity"], 2);
    let (status, edited) = patch(json!({ "place": null })).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["place_name"], Value::Null);
    assert_eq!(edited["place_address"], Value::Null);
    assert_eq!(edited["online_url"], "https://meet.example.org/circle");
    assert_eq!(edited["title"], "Summer circle");
    // PUT is an alias of PATCH.
    let (status, edited) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/events/{id_a}"),
            Some(json!({ "capacity": null })),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["capacity"], Value::Null);
    assert_eq!(edited["places_left"], Value::Null);
    assert_eq!(edited["online_url"], "https://meet.example.org/circle");
    eventually("B to see the edits", WAIT, || async {
        let e = bob.event(id_b).await;
        (e["title"] == "Summer circle"
            && e["place_name"].is_null()
            && e["capacity"].is_null()
            && e["online_url"] == "https://meet.example.org/circle")
            .then_some(())
    })
    .await;

    // Deleted: gone from every view on A and on B.
    let (status, _) = lead
        .raw(Method::DELETE, &format!("/api/v1/posts/{id_a}"), None)
        .await;
    assert_eq!(status, 204);
    for (who, id) in [(&lead, id_a), (&dana, id_a)] {
        let (status, answer) = who
            .raw(Method::GET, &format!("/api/v1/events/{id}"), None)
            .await;
        assert_eq!(status, 404, "{answer}");
    }
    let (status, _) = lead
        .raw(
            Method::GET,
            &format!("/api/v1/events/{id_a}/attendees"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    eventually("B to lose the deleted event", WAIT, || async {
        let (status, _) = bob
            .raw(Method::GET, &format!("/api/v1/events/{id_b}"), None)
            .await;
        (status == 404).then_some(())
    })
    .await;
    assert!(bob.events(&cop).await.is_empty());
    assert!(lead.events(&cop).await.is_empty());
    let (status, answer) = bea.rsvp(id_b, "maybe").await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(get_activity_json(&ap_id).await.0, 410);
    for instance in [&a, &b] {
        eventually("queues to drain", WAIT, || async {
            (instance.queued() == 0).then_some(())
        })
        .await;
    }
}

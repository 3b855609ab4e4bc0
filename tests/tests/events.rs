//! Events across three instances: a lead on A schedules a meeting with two places; members
//! on B and C see it and RSVP with `Join`/`TentativeAccept`/`Leave`; members on A answer
//! directly; a Mastodon user votes on the community's RSVP poll; the capacity holds; a
//! cancellation reaches the followers. Run on SQLite, and on PostgreSQL when
//! `WEFT_TEST_POSTGRES_URL` is set.

use chrono::{Duration as Days, Utc};
use serde_json::json;
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_on_sqlite() {
    events(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        events(backend).await;
    }
}

/// A vote as Mastodon sends it: `Create(Note)` with the option as `name`, no content,
/// in reply to the poll, addressed to the poll's author only.
fn mastodon_vote(voter: &str, n: u32, poll: &str, poll_author: &str, option: &str) -> String {
    let id = format!("{voter}#votes/{n}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": voter,
        "published": Utc::now().to_rfc3339(),
        "to": poll_author,
        "object": {
            "id": id,
            "type": "Note",
            "name": option,
            "attributedTo": voter,
            "inReplyTo": poll,
            "to": poll_author
        }
    })
    .to_string()
}

async fn events(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start("c", &backend);
    let lead = a.user("lead");
    let community = a.community("cop", &lead, false);
    let dana = a.user("dana");
    let erin = a.user("erin");
    let bob = b.user("bob");
    let carol = c.user("carol");
    let cop = a.handle("cop");
    for member in [&bob, &carol] {
        member.follow(&cop).await;
    }
    for member in [&bob, &carol] {
        eventually("the follow to be accepted", WAIT, || async {
            (member.follow(&cop).await == "accepted").then_some(())
        })
        .await;
    }

    // Only leads and facilitators schedule; what they write is checked.
    let starts = Utc::now() + Days::days(3);
    let meeting = json!({
        "title": "Monthly practice circle",
        "description": "Bring a case you are stuck on.",
        "starts_at": starts.to_rfc3339(),
        "ends_at": (starts + Days::hours(1)).to_rfc3339(),
        "timezone": "Europe/London",
        "online_url": "https://meet.example.org/circle",
        "place": { "name": "Room 2, Civic Centre", "address": "1 High Street, Leeds" },
        "capacity": 2
    });
    let (status, answer) = dana.schedule(&cop, meeting.clone()).await;
    assert_eq!(status, 403, "a member cannot schedule: {answer}");
    for (field, value, says) in [
        (
            "starts_at",
            json!((Utc::now() - Days::days(1)).to_rfc3339()),
            "past",
        ),
        (
            "ends_at",
            json!((starts - Days::hours(1)).to_rfc3339()),
            "end after",
        ),
        ("online_url", json!("javascript:alert(1)"), "http"),
        ("capacity", json!(0), "capacity"),
        ("starts_at", json!("next tuesday"), "starts_at"),
    ] {
        let mut bad = meeting.clone();
        bad[field] = value;
        let (status, answer) = lead.schedule(&cop, bad).await;
        assert!(
            (400..500).contains(&status) && answer.to_string().contains(says),
            "{field}: {status} {answer}"
        );
    }
    assert!(
        lead.events(&cop).await.is_empty(),
        "nothing refused was stored"
    );
    let (status, created) = lead.schedule(&cop, meeting.clone()).await;
    assert_eq!(status, 201, "{created}");
    let event_ap_id = created["ap_id"].as_str().unwrap().to_string();
    let event_id = created["id"].as_i64().unwrap();
    assert_eq!(created["places_left"], 2);

    // B and C receive it from the community, with its details.
    let on_b = eventually("B to receive the event", WAIT, || async {
        bob.events(&cop).await.into_iter().next()
    })
    .await;
    assert_eq!(on_b["ap_id"], event_ap_id.as_str());
    assert_eq!(on_b["title"], "Monthly practice circle");
    assert_eq!(on_b["capacity"], 2);
    assert_eq!(on_b["online_url"], "https://meet.example.org/circle");
    assert_eq!(on_b["place_address"], "1 High Street, Leeds");
    assert_eq!(on_b["timezone"], "Europe/London");
    assert_eq!(on_b["starts_at"], created["starts_at"]);
    let on_c = eventually("C to receive the event", WAIT, || async {
        carol.events(&cop).await.into_iter().next()
    })
    .await;

    // Bob (B) is going: Join, pending until the community accepts.
    let (status, answer) = bob.rsvp(on_b["id"].as_i64().unwrap(), "going").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["my_rsvp"]["state"], "pending");
    eventually("A to accept Bob's Join", WAIT, || async {
        let e = bob.event(on_b["id"].as_i64().unwrap()).await;
        (e["my_rsvp"]["state"] == "accepted").then_some(())
    })
    .await;
    // Carol (C) might come: TentativeAccept.
    let (status, answer) = carol.rsvp(on_c["id"].as_i64().unwrap(), "maybe").await;
    assert_eq!(status, 200, "{answer}");
    eventually("A to count Bob going and Carol maybe", WAIT, || async {
        let e = lead.event(event_id).await;
        (e["going"] == 1 && e["maybe"] == 1).then_some(())
    })
    .await;

    // Dana (A) takes the last place; Erin (A) is told it is full.
    let (status, answer) = dana.rsvp(event_id, "going").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["places_left"], 0);
    let (status, answer) = erin.rsvp(event_id, "going").await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("full"), "{answer}");
    assert_eq!(
        lead.event(event_id).await["going"],
        2,
        "the refusal stored nothing"
    );

    // A Mastodon user votes on the community's poll: "Maybe" counts; "Going" would pass
    // the capacity and is not counted.
    let poll = format!("{event_ap_id}/rsvp");
    let (status, served_poll) = get_activity_json(&poll).await;
    assert_eq!(status, 200);
    assert_eq!(served_poll["type"], "Question");
    assert_eq!(served_poll["rsvpFor"], event_ap_id.as_str());
    assert_eq!(served_poll["attributedTo"], community.ap_id.as_str());
    let inbox = format!("{}/c/cop/inbox", a.base);
    for (who, option) in [("mara", "Maybe"), ("max", "Going")] {
        let voter = c.user(who);
        let signer = signer_of(&c, &voter.actor);
        let body = mastodon_vote(&voter.actor.ap_id, 1, &poll, &community.ap_id, option);
        let (status, answer) =
            deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
        assert_eq!(status, 202, "{who}: {answer}");
    }
    let (_, served_poll) = get_activity_json(&poll).await;
    let votes: Vec<(String, i64)> = served_poll["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["replies"]["totalItems"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        votes,
        [
            ("Going".into(), 2),
            ("Maybe".into(), 2),
            ("Can't go".into(), 0)
        ],
        "{served_poll}"
    );
    // The community sends the poll again with the new counts (Mastodon shows what it was
    // last sent).
    eventually("A to send the poll's new counts", WAIT, || async {
        outbox_bodies(&a)
            .iter()
            .any(|b| {
                b["type"] == "Update"
                    && b["object"]["type"] == "Question"
                    && b["object"]["oneOf"][1]["replies"]["totalItems"] == 2
            })
            .then_some(())
    })
    .await;
    // A vote for an option the poll does not have is refused.
    let stranger = c.user("stranger");
    let body = mastodon_vote(&stranger.actor.ap_id, 1, &poll, &community.ap_id, "Perhaps");
    let (status, _) = deliver(
        &inbox,
        &body,
        signed(&signer_of(&c, &stranger.actor), &inbox, &body, Utc::now()),
    )
    .await;
    assert_eq!(status, 400);

    // Bob can't go after all (Leave): his place is free again.
    let (status, _) = bob.rsvp(on_b["id"].as_i64().unwrap(), "declined").await;
    assert_eq!(status, 200);
    eventually("A to free Bob's place", WAIT, || async {
        let e = lead.event(event_id).await;
        (e["going"] == 1 && e["declined"] == 1 && e["places_left"] == 1).then_some(())
    })
    .await;

    // The event as served: FEP-8a8e fields with the counts as they stand.
    let (status, served) = get_activity_json(&event_ap_id).await;
    assert_eq!(status, 200);
    assert_eq!(served["type"], "Event");
    assert_eq!(served["participantCount"], 1);
    assert_eq!(served["remainingAttendeeCapacity"], 1);
    assert_eq!(served["audience"], community.ap_id.as_str());
    let kinds: Vec<&str> = served["location"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Place", "VirtualLocation"]);

    // Weft followers do not take the poll for a post: B's feed holds the event only.
    let feed_b = bob.feed(&cop).await;
    assert_eq!(feed_b.len(), 1, "{feed_b:?}");
    assert_eq!(feed_b[0].post.ap_id, event_ap_id);

    // The lead moves it an hour later and renames it: followers see the change, and the
    // answers stay.
    let mut moved = meeting.clone();
    moved["title"] = json!("Monthly practice circle (moved)");
    moved["starts_at"] = json!((starts + Days::hours(1)).to_rfc3339());
    moved["ends_at"] = json!((starts + Days::hours(2)).to_rfc3339());
    let (status, edited) = lead
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/events/{event_id}"),
            Some(moved.clone()),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["going"], 1, "answers are kept: {edited}");
    let (status, _) = dana
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/events/{event_id}"),
            Some(moved.clone()),
        )
        .await;
    assert_eq!(status, 403, "only the organiser or a moderator edits");
    eventually("B to see the new time and title", WAIT, || async {
        let e = bob.event(on_b["id"].as_i64().unwrap()).await;
        (e["title"] == "Monthly practice circle (moved)" && e["starts_at"] == edited["starts_at"])
            .then_some(())
    })
    .await;

    // The lead cancels: followers see it, and it takes no more answers.
    let (status, answer) = lead
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/events/{event_id}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["cancelled"], true);
    eventually("B to see the cancellation", WAIT, || async {
        let e = bob.event(on_b["id"].as_i64().unwrap()).await;
        (e["cancelled"] == true).then_some(())
    })
    .await;
    let (status, answer) = bob.rsvp(on_b["id"].as_i64().unwrap(), "going").await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("cancelled"), "{answer}");
    let (_, served_poll) = get_activity_json(&poll).await;
    assert!(
        served_poll["closed"].is_string(),
        "the poll closed: {served_poll}"
    );
    let (status, _) = lead
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/events/{event_id}"),
            Some(moved),
        )
        .await;
    assert_eq!(status, 409, "a cancelled event is not edited");

    // Deleting the event deletes its poll too, so Mastodon stops showing it.
    let (status, _) = lead
        .raw(
            reqwest::Method::DELETE,
            &format!("/api/v1/posts/{event_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(
        outbox_bodies(&a)
            .iter()
            .any(|b| b["type"] == "Delete" && b["object"] == poll.as_str()),
        "the community deleted the poll"
    );
    assert_eq!(get_activity_json(&poll).await.0, 404);
    assert_eq!(get_activity_json(&event_ap_id).await.0, 410);
    eventually("B to drop the deleted event", WAIT, || async {
        bob.events(&cop).await.is_empty().then_some(())
    })
    .await;
    for instance in [&a, &b, &c] {
        eventually("queues to drain", WAIT, || async {
            (instance.queued() == 0).then_some(())
        })
        .await;
    }
}

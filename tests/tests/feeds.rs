//! Calendars (iCalendar) and Atom feeds, on both backends, read back by independent
//! parsers: PyPI's `icalendar` and `feedparser` (`tests/python/feeds.py`, installed by
//! `scripts/test.sh`), given the bytes Weft served and printing what they found as JSON,
//! checked here field by field.
//!
//! Two instances: A hosts `cop` and its events; bob on B answers them (going, maybe,
//! declined) and keeps a private calendar on B with A's events and one of B's.

use reqwest::Method;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

/// What the independent parser (`ical` or `atom`) made of `bytes`.
fn parse(kind: &str, bytes: &[u8]) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/feeds.py");
    let mut child = Command::new("python3")
        .args([script, kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test.sh installs icalendar and feedparser)");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the {kind} parser failed (pip install icalendar feedparser): {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(bytes)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A GET with optional extra headers: status, headers, body.
async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("reachable");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A 404 with a problem body that says why.
async fn assert_not_found(url: &str) {
    let (status, headers, body) = get(url, &[]).await;
    assert_eq!(status, 404, "{url}: {}", String::from_utf8_lossy(&body));
    assert!(
        header(&headers, "content-type").starts_with("application/problem+json"),
        "{url}"
    );
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 404, "{url}");
    assert!(
        problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{url}: {problem}"
    );
}

fn by_summary<'a>(calendar: &'a Value, summary: &str) -> &'a Value {
    calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["summary"] == summary)
        .unwrap_or_else(|| panic!("no {summary:?} in {calendar}"))
}

fn secrets_stored(instance: &Instance) -> i64 {
    use diesel::prelude::*;
    instance
        .db
        .read_blocking(|c| -> Result<i64, weft_db::DbError> {
            Ok(weft_db::schema::calendar_secrets::table
                .count()
                .get_result(c)?)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_on_sqlite() {
    feeds(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        feeds(backend).await;
    }
}

async fn schedule(lead: &Member, community: &str, event: Value) -> Value {
    let (status, body) = lead.schedule(community, event).await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn feeds(backend: Backend) {
    let Pair {
        a,
        b,
        lead,
        bob,
        cop,
        ..
    } = pair(&backend).await;
    // A's events: in London summer time, in New York winter time, in UTC (no zone),
    // and one cancelled.
    let workshop = schedule(
        &lead,
        &cop,
        json!({
            "title": "Supervision skills workshop",
            "description": "Two hours, with practice in threes.",
            "starts_at": "2030-07-10T10:00:00+01:00",
            "ends_at": "2030-07-10T12:00:00+01:00",
            "timezone": "Europe/London",
            "online_url": "https://meet.example.org/workshop",
            "place": { "name": "Room 2", "address": "1 High Street, Leeds" }
        }),
    )
    .await;
    let review = schedule(
        &lead,
        &cop,
        json!({
            "title": "Case review",
            "starts_at": "2030-01-15T14:00:00-05:00",
            "ends_at": "2030-01-15T15:30:00-05:00",
            "timezone": "America/New_York",
            "online_url": "https://meet.example.org/review"
        }),
    )
    .await;
    let declined = schedule(
        &lead,
        &cop,
        json!({
            "title": "Reading group",
            "starts_at": "2030-02-01T09:00:00Z",
            "online_url": "https://meet.example.org/reading"
        }),
    )
    .await;
    let cancelled = schedule(
        &lead,
        &cop,
        json!({
            "title": "Summer social",
            "starts_at": "2030-08-01T18:00:00+01:00",
            "timezone": "Europe/London",
            "place": { "name": "The Park" }
        }),
    )
    .await;
    let (status, _) = lead
        .raw(
            Method::POST,
            &format!("/api/v1/events/{}/cancel", cancelled["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let ap_id = |e: &Value| e["ap_id"].as_str().unwrap().to_string();

    // The community calendar, anonymously.
    let ics_url = format!("{}/feeds/communities/cop.ics", a.base);
    let (status, headers, body) = get(&ics_url, &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        header(&headers, "content-type"),
        "text/calendar; charset=utf-8"
    );
    let calendar = parse("ical", &body);
    assert_eq!(calendar["version"], "2.0");
    assert_eq!(calendar["name"], "Trauma-informed care practitioners");
    assert_eq!(
        calendar["events"].as_array().unwrap().len(),
        4,
        "{calendar}"
    );
    let zones = calendar["timezones"].as_array().unwrap();
    assert!(zones.contains(&json!("Europe/London")), "{calendar}");
    assert!(zones.contains(&json!("America/New_York")), "{calendar}");
    let e = by_summary(&calendar, "Supervision skills workshop");
    assert_eq!(e["uid"], ap_id(&workshop));
    assert_eq!(e["url"], ap_id(&workshop));
    assert_eq!(e["status"], "CONFIRMED");
    assert_eq!(e["start"]["tzid"], "Europe/London");
    assert_eq!(e["start"]["local"], "2030-07-10T10:00:00+01:00");
    assert_eq!(e["start"]["utc"], "2030-07-10T09:00:00+00:00");
    assert_eq!(e["end"]["local"], "2030-07-10T12:00:00+01:00");
    assert_eq!(
        e["location"],
        "Room 2, 1 High Street, Leeds, https://meet.example.org/workshop"
    );
    let description = e["description"].as_str().unwrap();
    assert!(
        description.starts_with("Two hours, with practice in threes."),
        "{description}"
    );
    assert!(
        description.contains("Online: https://meet.example.org/workshop"),
        "{description}"
    );
    let e = by_summary(&calendar, "Case review");
    assert_eq!(e["uid"], ap_id(&review));
    assert_eq!(e["start"]["tzid"], "America/New_York");
    assert_eq!(e["start"]["local"], "2030-01-15T14:00:00-05:00");
    assert_eq!(e["end"]["utc"], "2030-01-15T20:30:00+00:00");
    assert_eq!(e["location"], "https://meet.example.org/review");
    let e = by_summary(&calendar, "Reading group");
    assert_eq!(e["start"]["tzid"], Value::Null, "no zone: UTC");
    assert_eq!(e["start"]["utc"], "2030-02-01T09:00:00+00:00");
    assert_eq!(e["end"], Value::Null);
    let e = by_summary(&calendar, "Summer social");
    assert_eq!(e["status"], "CANCELLED");
    assert_eq!(e["location"], "The Park");
    assert!(e["last_modified"].is_string(), "{e}");

    // Conditional GET: the ETag answers 304, without a body. The date alone does not
    // (a removal does not move it), so the whole calendar comes again.
    let etag = header(&headers, "etag");
    let last_modified = header(&headers, "last-modified");
    assert!(etag.starts_with('"') && !last_modified.is_empty());
    let (status, _, body) = get(&ics_url, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, _, _) = get(&ics_url, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(status, 200);
    // An edit changes the calendar, its ETag and the event's LAST-MODIFIED.
    let (status, body) = lead
        .raw(
            Method::PATCH,
            &format!("/api/v1/events/{}", workshop["id"]),
            Some(json!({ "title": "Supervision skills workshop (in person)" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, headers, body) = get(&ics_url, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 200);
    assert_ne!(header(&headers, "etag"), etag);
    let edited = parse("ical", &body);
    let e = by_summary(&edited, "Supervision skills workshop (in person)");
    assert_eq!(e["uid"], ap_id(&workshop), "the UID stays");

    // The Group actor links its feeds and its upcoming events (FEP-8a8e).
    let (_, group) = get_activity_json(&format!("{}/c/cop", a.base)).await;
    let atom_url = format!("{}/feeds/communities/cop.atom", a.base);
    assert!(
        group["attachment"].as_array().unwrap().contains(&json!({
            "type": "Link", "href": atom_url, "rel": "alternate",
            "mediaType": "application/atom+xml", "name": "Atom feed"
        })),
        "{group}"
    );
    assert!(
        group["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["href"] == ics_url && l["mediaType"] == "text/calendar"),
        "{group}"
    );
    let upcoming_url = format!("{}/c/cop/upcoming-events", a.base);
    assert_eq!(group["upcomingEvents"], upcoming_url);
    let (_, upcoming) = get_activity_json(&upcoming_url).await;
    assert_eq!(upcoming["type"], "OrderedCollection");
    assert_eq!(upcoming["totalItems"], 4);
    let (_, page) = get_activity_json(upcoming["first"].as_str().unwrap()).await;
    let names: Vec<&str> = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Case review",
            "Reading group",
            "Supervision skills workshop (in person)",
            "Summer social"
        ]
    );
    assert_eq!(page["orderedItems"][0]["type"], "Event");
    assert_eq!(page["orderedItems"][3]["eventStatus"], "CANCELLED");

    // Bob's private calendar, on B: A's events he goes or may go to, and one of B's.
    let circle = b.handle("circle");
    b.community("circle", &bob, false);
    let local = schedule(
        &bob,
        &circle,
        json!({
            "title": "Circle check-in",
            "starts_at": "2030-03-03T18:00:00+01:00",
            "timezone": "Europe/Paris",
            "online_url": "https://meet.example.org/circle"
        }),
    )
    .await;
    let (status, _) = bob.rsvp(local["id"].as_i64().unwrap(), "going").await;
    assert_eq!(status, 200);
    let on_b = eventually("B to know A's events", WAIT, || async {
        let events = bob.events(&cop).await;
        (events.len() == 4).then_some(events)
    })
    .await;
    let id_on_b = |title: &str| {
        on_b.iter()
            .find(|e| e["title"].as_str().unwrap().starts_with(title))
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (workshop_b, review_b, declined_b) = (
        id_on_b("Supervision skills workshop"),
        id_on_b("Case review"),
        id_on_b("Reading group"),
    );
    for (id, answer) in [
        (workshop_b, "going"),
        (review_b, "maybe"),
        (declined_b, "declined"),
    ] {
        let (status, body) = bob.rsvp(id, answer).await;
        assert_eq!(status, 200, "{body}");
    }
    eventually("A to accept bob's Join", WAIT, || async {
        (bob.event(workshop_b).await["my_rsvp"]["state"] == "accepted").then_some(())
    })
    .await;
    assert_eq!(secrets_stored(&b), 0);
    let (status, status_view) = bob.raw(Method::GET, "/api/v1/calendar", None).await;
    assert_eq!(status, 200);
    assert_eq!(status_view, json!({"active": false, "created_at": null}));
    let (status, made) = bob.raw(Method::POST, "/api/v1/calendar", None).await;
    assert_eq!(status, 201, "{made}");
    let mine = made["url"].as_str().unwrap().to_string();
    assert!(
        mine.starts_with(&format!("{}/feeds/calendars/", b.base)),
        "{mine}"
    );
    let (status, headers, body) = get(&mine, &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(header(&headers, "cache-control"), "private, max-age=300");
    let calendar = parse("ical", &body);
    assert_eq!(calendar["name"], "bob's events");
    let summaries: Vec<&str> = calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "Case review",
            "Circle check-in",
            "Supervision skills workshop (in person)"
        ],
        "going and maybe, here and on A; not the declined one"
    );
    let e = by_summary(&calendar, "Supervision skills workshop (in person)");
    assert_eq!(e["uid"], ap_id(&workshop), "the UID is the event's own id");
    assert_eq!(e["status"], "CONFIRMED");
    assert_eq!(e["start"]["tzid"], "Europe/London");
    assert_eq!(e["start"]["utc"], "2030-07-10T09:00:00+00:00");
    assert!(e["location"].as_str().unwrap().contains("Room 2"));
    assert_eq!(by_summary(&calendar, "Case review")["status"], "TENTATIVE");
    assert!(
        calendar["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["uid"] != ap_id(&declined)),
        "not the declined one"
    );
    let e = by_summary(&calendar, "Circle check-in");
    assert_eq!(e["start"]["tzid"], "Europe/Paris");
    assert_eq!(e["start"]["local"], "2030-03-03T18:00:00+01:00");

    // Replaced: the old address is gone at once; revoked: so is the new one.
    let (status, again) = bob.raw(Method::POST, "/api/v1/calendar", None).await;
    assert_eq!(status, 201);
    let replacement = again["url"].as_str().unwrap().to_string();
    assert_ne!(replacement, mine);
    assert_eq!(secrets_stored(&b), 1);
    assert_not_found(&mine).await;
    let (status, _, _) = get(&replacement, &[]).await;
    assert_eq!(status, 200);
    let (status, _) = bob.raw(Method::DELETE, "/api/v1/calendar", None).await;
    assert_eq!(status, 204);
    assert_not_found(&replacement).await;
    let (status, problem) = bob.raw(Method::DELETE, "/api/v1/calendar", None).await;
    assert_eq!(status, 404, "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(secrets_stored(&b), 0, "nothing stored by a refusal");
    let (status, _) = call_api(&b.base, Method::POST, "/api/v1/calendar", None, None, None).await;
    assert_eq!(status, 401, "a calendar address needs a token");
    assert_eq!(secrets_stored(&b), 0);

    // Atom: a thread with a reply from B, and the events, in the community's feed.
    let thread = lead
        .post(
            &cop,
            "Peer supervision",
            "How do you run **yours**? We meet monthly.",
        )
        .await;
    let on_b = eventually("B gets the thread", WAIT, || async {
        bob.lookup(&thread.ap_id).await
    })
    .await;
    let reply = bob.reply(&on_b.post.ap_id, "Monthly, in threes.").await;
    eventually("A gets the reply", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        (!t.replies.is_empty()).then_some(())
    })
    .await;
    let (status, headers, body) = get(&atom_url, &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        header(&headers, "content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let feed = parse("atom", &body);
    assert_eq!(feed["bozo"], false, "{feed}");
    assert_eq!(feed["version"], "atom10");
    assert_eq!(feed["title"], "Trauma-informed care practitioners");
    assert_eq!(feed["id"], atom_url);
    assert!(
        feed["links"].as_array().unwrap().contains(&json!({
            "href": atom_url, "rel": "self", "type": "application/atom+xml"
        })),
        "{feed}"
    );
    let entries = feed["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        5,
        "the thread and four events, no reply: {feed}"
    );
    let first = &entries[0];
    assert_eq!(first["title"], "Peer supervision", "newest first");
    assert_eq!(first["id"], thread.ap_id);
    assert_eq!(first["link"], thread.ap_id);
    assert_eq!(first["author_href"], lead.actor.ap_id);
    assert_eq!(first["author"], format!("lead@{}", a.domain));
    assert!(first["published"].as_str().unwrap().starts_with("20"));
    assert!(first["updated"].as_str().unwrap().starts_with("20"));
    assert_eq!(first["content_type"], "text/html");
    assert!(
        first["content"]
            .as_str()
            .unwrap()
            .contains("<strong>yours</strong>"),
        "{first}"
    );
    let event = entries
        .iter()
        .find(|e| e["id"] == ap_id(&cancelled))
        .unwrap();
    assert_eq!(event["title"], "Summer social");
    let content = event["content"].as_str().unwrap();
    assert!(
        content.contains("Cancelled") && content.contains("The Park"),
        "{content}"
    );

    // The thread's own feed: the post, then the reply from B.
    let thread_url = format!("{}/feeds/threads/{}.atom", a.base, thread.id);
    let (status, _, body) = get(&thread_url, &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let feed = parse("atom", &body);
    assert_eq!(feed["bozo"], false, "{feed}");
    let entries = feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{feed}");
    assert_eq!(entries[0]["id"], thread.ap_id);
    assert_eq!(entries[1]["id"], reply.ap_id);
    assert_eq!(entries[1]["title"], "Re: Peer supervision");
    assert_eq!(entries[1]["author_href"], bob.actor.ap_id);
    assert!(
        entries[1]["content"]
            .as_str()
            .unwrap()
            .contains("Monthly, in threes."),
        "{feed}"
    );
    // A deleted thread has no feed.
    lead.delete(thread.id).await;
    assert_not_found(&thread_url).await;

    // Time passes (moved in the database, since events cannot be scheduled in the
    // past): an event that ended 10 days ago stays in the calendar and leaves
    // upcomingEvents; one that ended 120 days ago (past the 90-day window) leaves both.
    let now = chrono::Utc::now().naive_utc();
    for (event, days) in [(&review, 10), (&declined, 120)] {
        let id = event["id"].as_i64().unwrap();
        let start = now - chrono::Duration::days(days) - chrono::Duration::hours(1);
        a.db.write_blocking(move |c| -> Result<(), weft_db::DbError> {
            use diesel::prelude::*;
            use weft_db::schema::events;
            diesel::update(events::table.find(id))
                .set((
                    events::starts_at.eq(start),
                    events::ends_at.eq(Some(start + chrono::Duration::minutes(30))),
                ))
                .execute(c)?;
            Ok(())
        })
        .unwrap();
    }
    let (_, _, body) = get(&ics_url, &[]).await;
    let calendar = parse("ical", &body);
    let summaries: Vec<&str> = calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "Case review",
            "Supervision skills workshop (in person)",
            "Summer social"
        ],
        "the last 90 days and all to come"
    );
    let (_, upcoming) = get_activity_json(&upcoming_url).await;
    assert_eq!(upcoming["totalItems"], 2, "{upcoming}");

    // Bad addresses: each a 404 with a problem body.
    for url in [
        format!("{}/feeds/communities/nobody.ics", a.base),
        format!("{}/feeds/communities/nobody.atom", a.base),
        format!("{}/feeds/communities/cop.txt", a.base),
        format!("{}/feeds/communities/lead.atom", a.base),
        format!("{}/feeds/communities/cop.atom", b.base),
        format!("{}/feeds/threads/abc.atom", a.base),
        format!("{}/feeds/threads/999999.atom", a.base),
        format!("{}/feeds/calendars/wrong.ics", b.base),
        format!("{}/feeds/calendars/.ics", b.base),
        format!("{}/feeds/calendars/{}", b.base, "x".repeat(500)),
    ] {
        assert_not_found(&url).await;
    }
    assert_eq!(secrets_stored(&a) + secrets_stored(&b), 0);
}

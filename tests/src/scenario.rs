//! One small federation that exercises every activity Weft sends (two instances: follow,
//! thread, reply, edits, delete, an event answered three ways and cancelled, a profile
//! edit, the resource library, unfollow),
//! recorded for the wire checks: what each instance sent, and what A serves.

use crate::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// What a run sent and served. The instances stay up until the run is dropped.
pub struct Recorded {
    pub a: Instance,
    pub b: Instance,
    /// Every activity either instance queued, oldest first (A's, then B's).
    pub sent: Vec<Value>,
    /// Documents A serves, by the name docs/federation/ gives them.
    pub served: BTreeMap<String, Value>,
}

/// Runs the federation on `backend`.
pub async fn record(backend: &Backend) -> Recorded {
    let a = Instance::start("a", backend);
    let b = Instance::start("b", backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let bob = b.user("bob");
    let cop = a.handle("cop");
    // An objective, added before anyone follows (so nothing is sent yet).
    let (status, body) = lead
        .raw(
            reqwest::Method::POST,
            "/api/v1/communities/cop/objectives",
            Some(serde_json::json!({
                "kind": "seminar", "title": "One seminar a year",
                "status": "done", "done_on": "2026-05"
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    bob.follow(&cop).await;
    eventually("follow accepted", WAIT, || async {
        (bob.follow(&cop).await == "accepted").then_some(())
    })
    .await;
    let thread = lead
        .post(
            &cop,
            "Peer supervision",
            "How do you run **yours**? We meet monthly, in threes.",
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
    bob.edit(reply.id, None, "Monthly, in threes, with a rota.")
        .await;
    bob.delete(reply.id).await;
    lead.edit(
        thread.id,
        Some("Peer supervision (how)"),
        "How do you run it?",
    )
    .await;
    // An event: scheduled, answered from B (Join, TentativeAccept, Leave), cancelled.
    let starts = chrono::Utc::now() + chrono::Duration::days(2);
    let (status, event) = lead
        .schedule(
            &cop,
            serde_json::json!({
                "title": "Supervision skills workshop",
                "description": "Two hours, with practice in threes.",
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                "timezone": "Europe/London",
                "online_url": "https://meet.example.org/workshop",
                "place": { "name": "Room 2", "address": "1 High Street, Leeds" },
                "capacity": 30
            }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let event_ap_id = event["ap_id"].as_str().unwrap().to_string();
    let event_on_b = eventually("B gets the event", WAIT, || async {
        bob.events(&cop).await.into_iter().next()
    })
    .await;
    let on_b = event_on_b["id"].as_i64().unwrap();
    bob.rsvp(on_b, "going").await;
    eventually("A accepts the Join", WAIT, || async {
        (bob.event(on_b).await["my_rsvp"]["state"] == "accepted").then_some(())
    })
    .await;
    bob.rsvp(on_b, "maybe").await;
    bob.rsvp(on_b, "declined").await;
    eventually("A counts the Leave", WAIT, || async {
        (lead.event(event["id"].as_i64().unwrap()).await["declined"] == 1).then_some(())
    })
    .await;
    // The poll goes out again with the new counts (before the cancellation closes it),
    // so both shapes of `Update(Question)` are sent in every run.
    eventually("A sends the poll's new counts", WAIT, || async {
        outbox_bodies(&a)
            .iter()
            .any(|s| s["type"] == "Update" && s["object"]["type"] == "Question")
            .then_some(())
    })
    .await;
    let (status, _) = lead
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/events/{}/cancel", event["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // A thread refused by a community where only its leads start threads: a Reject.
    a.community("leads", &lead, true);
    let refused = bob
        .post(&a.handle("leads"), "May I?", "A question for the leads.")
        .await;
    eventually("B to hear the Reject", WAIT, || async {
        let t = bob.lookup(&refused.ap_id).await?;
        (t.post.state == "refused").then_some(())
    })
    .await;
    memberships(&a, &lead, &bob).await;
    // A lead edits the community's profile (it has an objective): `Update(Group)`.
    let (status, body) = lead
        .raw(
            reqwest::Method::PATCH,
            "/api/v1/communities/cop",
            Some(serde_json::json!({
                "terms_of_reference": "We meet to **learn from cases**.",
                "meeting_rhythm": "Monthly, first Tuesday",
                "meeting_mode": "hybrid",
                "language": "en-GB",
                "tags": ["trauma", "supervision"]
            })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let document = library(&a, &lead, &bob, &cop).await;
    weaving(&a, &b, &lead, &bob, &thread.ap_id).await;
    bridge(&a, &b, &lead, &bob).await;
    bob.unfollow(&cop).await;
    constellation(&a, &b).await;
    for i in [&a, &b] {
        eventually("queues drain", WAIT, || async {
            (i.queued() == 0).then_some(())
        })
        .await;
    }

    let mut served = BTreeMap::new();
    for (name, url) in [
        ("Group", format!("{}/c/cop", a.base)),
        ("Person", format!("{}/u/lead", a.base)),
        ("Application", format!("{}/actor", a.base)),
        ("Page", thread.ap_id.clone()),
        ("Tombstone", reply.ap_id.clone()),
        ("Event", event_ap_id.clone()),
        ("Document", document.clone()),
        ("Question", format!("{event_ap_id}/rsvp")),
        ("OrderedCollection", format!("{}/c/cop/followers", a.base)),
        (
            "OrderedCollectionPage",
            format!("{}/c/cop/outbox?page=true", a.base),
        ),
        (
            "upcomingEvents",
            format!("{}/c/cop/upcoming-events", a.base),
        ),
        (
            "upcomingEvents page",
            format!("{}/c/cop/upcoming-events?page=1", a.base),
        ),
        ("Service", format!("{}/constellations/north", a.base)),
        (
            "constellation members",
            format!("{}/constellations/north/members", a.base),
        ),
        ("directory", format!("{}/directory", a.base)),
        ("directory page", format!("{}/directory?page=1", a.base)),
    ] {
        let (_, json) = get_activity_json(&url).await;
        served.insert(name.to_string(), json);
    }
    let sent = outbox_bodies(&a)
        .into_iter()
        .chain(outbox_bodies(&b))
        .collect();
    Recorded { a, b, sent, served }
}

/// Roles and joining: bob (a member of cop by following it) is made a facilitator and
/// back (`Announce(Add)`, `Announce(Remove)`); his request to join an approval community
/// is accepted by its lead (`Accept(Follow)`); his Follow of an invite-only community is
/// refused (`Reject(Follow)`).
async fn memberships(a: &Instance, lead: &Member, bob: &Member) {
    use reqwest::Method;
    let bob_handle = format!("bob@{}", bob.actor.domain);
    for role in ["facilitator", "member"] {
        let (status, body) = lead
            .raw(
                Method::PUT,
                &format!("/api/v1/communities/cop/members/{bob_handle}"),
                Some(serde_json::json!({ "role": role })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for (name, policy) in [("circle", "approval"), ("closed", "invite")] {
        a.community(name, lead, false);
        let (status, body) = lead
            .raw(
                Method::PUT,
                &format!("/api/v1/communities/{name}/join-policy"),
                Some(serde_json::json!({ "policy": policy })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(bob.follow(&a.handle(name)).await, "pending");
    }
    let request = eventually("A to hold bob's request", WAIT, || async {
        let (_, list) = lead
            .raw(Method::GET, "/api/v1/communities/circle/requests", None)
            .await;
        list.as_array()?.first()?["id"].as_i64()
    })
    .await;
    let (status, body) = lead
        .raw(
            Method::POST,
            &format!("/api/v1/communities/circle/requests/{request}/accept"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("A to refuse bob's Follow of closed", WAIT, || async {
        outbox_bodies(a)
            .iter()
            .any(|s| s["type"] == "Reject" && s["object"]["type"] == "Follow")
            .then_some(())
    })
    .await;
}

/// The resource library: the lead adds a resource and edits it (`Create`/`Update` of a
/// `Document`, announced); bob, a member, adds one from B (his `Create` goes to the
/// community, which takes it and announces it); the lead deletes the first. Returns the
/// id of bob's resource, which A serves.
async fn library(a: &Instance, lead: &Member, bob: &Member, cop: &str) -> String {
    use reqwest::Method;
    let resource = |title: &str| {
        serde_json::json!({
            "title": title, "kind": "method",
            "description": "Sit in threes: one speaks, one listens, one watches.",
            "tags": ["supervision"], "link": "https://example.org/threes",
            "attachments": [{ "url": "https://files.example.org/threes.pdf",
                "media_type": "application/pdf", "name": "Handout", "size": 48213 }]
        })
    };
    let (status, made) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/cop/resources",
            Some(resource("Supervision in threes")),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    let (status, body) = lead
        .raw(
            Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            Some(
                serde_json::json!({ "description": "Swap every fifteen minutes.",
                "message": "Shorter" }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, sent) = bob
        .raw(
            Method::POST,
            &format!("/api/v1/communities/{cop}/resources"),
            Some(resource("Fishbowl")),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    let theirs = eventually("A to take bob's resource", WAIT, || async {
        let (_, page) = lead
            .raw(Method::GET, "/api/v1/communities/cop/resources", None)
            .await;
        page["resources"]
            .as_array()?
            .iter()
            .find(|r| r["title"] == "Fishbowl")
            .and_then(|r| r["ap_id"].as_str().map(str::to_string))
    })
    .await;
    let (status, body) = lead
        .raw(Method::DELETE, &format!("/api/v1/resources/{id}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    eventually("queues drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
    theirs
}

/// `Announce(Create(Page))`: the types, outside in; `(link)` for an object given by id.
pub fn label(v: &Value) -> String {
    let kind = v["type"].as_str().unwrap_or("?").to_string();
    match v.get("object") {
        Some(o) if o.is_object() && o.get("type").is_some() => format!("{kind}({})", label(o)),
        Some(Value::String(_)) => format!("{kind}(link)"),
        _ => kind,
    }
}

/// The constellation: A's admin convenes `north`, B's admin asks to join (B's instance
/// actor sends `Follow` to the constellation's `Service` actor), A's admin accepts
/// (`Accept(Follow)` from the constellation).
async fn constellation(a: &Instance, b: &Instance) {
    use reqwest::Method;
    let admin_a = a.admin("admin");
    let admin_b = b.admin("admin");
    let (status, north) = admin_a
        .raw(
            Method::POST,
            "/api/v1/admin/constellations",
            Some(
                serde_json::json!({ "name": "north", "title": "Northern communities of practice" }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{north}");
    let (status, asked) = admin_b
        .raw(
            Method::POST,
            "/api/v1/admin/constellations/join",
            Some(serde_json::json!({ "constellation": north["ap_id"] })),
        )
        .await;
    assert_eq!(status, 202, "{asked}");
    eventually("A hears B ask to join", WAIT, || async {
        let (_, asking) = admin_a
            .raw(
                Method::GET,
                "/api/v1/admin/constellations/north/requests",
                None,
            )
            .await;
        asking
            .as_array()
            .is_some_and(|a| !a.is_empty())
            .then_some(())
    })
    .await;
    let (status, accepted) = admin_a
        .raw(
            Method::POST,
            "/api/v1/admin/constellations/north/accept",
            Some(serde_json::json!({ "member": b.domain })),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    eventually("B is a member of north", WAIT, || async {
        let (_, list) = admin_b
            .raw(Method::GET, "/api/v1/admin/constellations", None)
            .await;
        (list[0]["standing"] == "member").then_some(())
    })
    .await;
}

/// Weaving: `bob` leads `explorers` on B and weaves the thread of `cop` into it with a
/// note (B's `Announce` of the original, naming the weaver, reaches A; bob's `Note` links
/// the original), A records where its thread travelled; then bob unweaves it
/// (`Undo(Announce)`, the note's `Delete`) and A forgets it.
async fn weaving(a: &Instance, b: &Instance, lead: &Member, bob: &Member, thread: &str) {
    use reqwest::Method;
    b.community("explorers", bob, false);
    let (status, woven) = bob
        .raw(
            Method::POST,
            "/api/v1/communities/explorers/weaves",
            Some(serde_json::json!({
                "object": thread,
                "note": "How *cop* runs supervision: worth trying in our next session."
            })),
        )
        .await;
    assert_eq!(status, 201, "{woven}");
    let travels = || async {
        let (_, list) = lead
            .raw(Method::GET, "/api/v1/communities/cop/travels", None)
            .await;
        list.as_array().map(Vec::len)
    };
    eventually("A to record the weave", WAIT, || async {
        (travels().await == Some(1)).then_some(())
    })
    .await;
    let (status, body) = bob
        .raw(
            Method::DELETE,
            &format!("/api/v1/communities/explorers/weaves/{}", woven["id"]),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    eventually("A to forget the weave", WAIT, || async {
        (travels().await == Some(0)).then_some(())
    })
    .await;
    for i in [a, b] {
        eventually("queues drain", WAIT, || async {
            (i.queued() == 0).then_some(())
        })
        .await;
    }
}

/// Bridges: bob leads `neighbours` on B and links it to cop (`Follow` from a Group,
/// accepted), passing threads on; circle (on A) links to neighbours. The lead's thread
/// in cop is placed in neighbours and passed on to its followers (`Announce` by id with
/// `weft:hops`), which places it in circle; then bob unlinks (`Undo(Follow)` from the
/// Group).
async fn bridge(a: &Instance, b: &Instance, lead: &Member, bob: &Member) {
    use reqwest::Method;
    b.community("neighbours", bob, false);
    // circle (on A) bridges neighbours: a Follow from a Group the other way.
    let (status, body) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/circle/bridges",
            Some(serde_json::json!({ "target": b.handle("neighbours"), "place": ["threads"] })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, bridge) = bob
        .raw(
            Method::POST,
            "/api/v1/communities/neighbours/bridges",
            Some(
                serde_json::json!({ "target": a.handle("cop"), "place": ["threads"],
                "pass_on": ["threads"] }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{bridge}");
    for (member, name) in [(bob, "neighbours"), (lead, "circle")] {
        eventually("the bridge to be accepted", WAIT, || async {
            let (_, list) = member
                .raw(
                    Method::GET,
                    &format!("/api/v1/communities/{name}/bridges"),
                    None,
                )
                .await;
            (list[0]["state"] == "active").then_some(())
        })
        .await;
    }
    let thread = lead
        .post(
            &a.handle("cop"),
            "Across the bridge",
            "Shared with neighbours.",
        )
        .await;
    eventually("neighbours to pass the thread on", WAIT, || async {
        outbox_bodies(b)
            .iter()
            .any(|s| s["type"] == "Announce" && s["object"] == thread.ap_id.as_str())
            .then_some(())
    })
    .await;
    let (status, body) = bob
        .raw(
            Method::DELETE,
            &format!("/api/v1/communities/neighbours/bridges/{}", bridge["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for i in [a, b] {
        eventually("queues drain", WAIT, || async {
            (i.queued() == 0).then_some(())
        })
        .await;
    }
}

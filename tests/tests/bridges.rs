//! Bridges (a community follows a community): real instances over HTTP, both backends.
//! A bridge places what the followed community announces, "from" it, of the kinds its
//! lead chose; a member may not link; replies go to the thread's origin; unlinking sends
//! `Undo(Follow)` and stops placements; a chain passes items on with the hop count and
//! stops at the configured limit (a same-instance bridge included); a cycle places
//! nothing twice and goes quiet.

use serde_json::{Value, json};
use std::time::Duration;
use weft_api::{BridgeView, FeedEntryView};
use weft_db::models::{ActorRow, PlacementRow};
use weft_tests::members::{self, refused};
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

macro_rules! both_backends {
    ($name:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $name(Backend::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if let Some(backend) = Backend::postgres() {
                $name(backend).await;
            }
        }
    };
}

both_backends!(bridge, bridge_on_sqlite, bridge_on_postgres);
both_backends!(chain, chain_on_sqlite, chain_on_postgres);
both_backends!(cycle, cycle_on_sqlite, cycle_on_postgres);
both_backends!(refusals, refusals_on_sqlite, refusals_on_postgres);

async fn link(
    lead: &Member,
    community: &str,
    target: &str,
    place: &[&str],
    pass_on: &[&str],
) -> (u16, Value) {
    lead.raw(
        reqwest::Method::POST,
        &format!("/api/v1/communities/{community}/bridges"),
        Some(json!({ "target": target, "place": place, "pass_on": pass_on })),
    )
    .await
}

async fn bridges_of(member: &Member, community: &str) -> Vec<BridgeView> {
    let (status, body) = member
        .raw(
            reqwest::Method::GET,
            &format!("/api/v1/communities/{community}/bridges"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Links and waits for the bridge to be active.
async fn linked(lead: &Member, community: &str, target: &str, place: &[&str], pass_on: &[&str]) {
    let (status, body) = link(lead, community, target, place, pass_on).await;
    assert_eq!(status, 201, "link {community} to {target}: {body}");
    eventually(&format!("{community} -> {target} active"), WAIT, || async {
        bridges_of(lead, community)
            .await
            .iter()
            .any(|b| b.state == "active")
            .then_some(())
    })
    .await;
}

/// The feed entry of `ap_id` in `community`, once it is there.
async fn placed(member: &Member, community: &str, ap_id: &str, what: &str) -> FeedEntryView {
    eventually(what, WAIT, || async {
        member
            .feed(community)
            .await
            .into_iter()
            .find(|e| e.post.ap_id == ap_id)
    })
    .await
}

/// Every placement of the item `ap_id` an instance holds, with its community's id.
fn placements(i: &Instance, ap_id: &str) -> Vec<(PlacementRow, ActorRow)> {
    use diesel::prelude::*;
    use weft_db::schema::{actors, items, placements};
    let ap_id = ap_id.to_string();
    i.db.read_blocking(move |c| -> Result<_, weft_db::DbError> {
        Ok(placements::table
            .inner_join(items::table)
            .inner_join(actors::table.on(actors::id.eq(placements::community_id)))
            .filter(items::ap_id.eq(&ap_id))
            .select((PlacementRow::as_select(), ActorRow::as_select()))
            .load(c)?)
    })
    .unwrap()
}

/// Outbox rows and deliveries still queued.
fn activity(i: &Instance) -> (usize, i64) {
    (outbox_bodies(i).len(), i.queued())
}

fn count_rows(i: &Instance, table: &'static str) -> i64 {
    use diesel::prelude::*;
    use weft_db::schema::*;
    i.db.read_blocking(move |c| -> Result<i64, weft_db::DbError> {
        Ok(match table {
            "bridges" => bridges::table.count().get_result(c)?,
            "follows" => follows::table.count().get_result(c)?,
            _ => unreachable!(),
        })
    })
    .unwrap()
}

/// A bridge between two instances: a member is refused; a lead links; A's thread is
/// placed in B "from A", an event only once events are chosen; a reply in B goes to
/// A's thread; unlinking sends `Undo(Follow)` and later threads are not placed.
async fn bridge(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let alice = a.user("alice");
    a.community("alpha", &alice, false);
    let bea = b.user("bea");
    b.community("beta", &bea, false);
    let bob = b.user("bob");
    let (status, body) = bob
        .raw(reqwest::Method::POST, "/api/v1/communities/beta/join", None)
        .await;
    assert_eq!(status, 200, "bob joins beta: {body}");
    let alpha = a.handle("alpha");
    let beta = b.handle("beta");

    // A member who is not a lead may not link: 403 with a problem body, nothing stored
    // and nothing sent.
    let before = (
        activity(&b),
        count_rows(&b, "bridges"),
        count_rows(&b, "follows"),
    );
    refused(
        "a member links beta",
        403,
        link(&bob, "beta", &format!("@{alpha}"), &["threads"], &[]).await,
    );
    assert_eq!(
        before,
        (
            activity(&b),
            count_rows(&b, "bridges"),
            count_rows(&b, "follows")
        ),
        "a refused link stores and sends nothing"
    );
    refused(
        "a bridge to a kind that does not exist",
        400,
        link(&bea, "beta", &alpha, &["gossip"], &[]).await,
    );

    // A approves followers: the bridge waits for alice, through the join requests.
    let (status, body) = alice
        .raw(
            reqwest::Method::PUT,
            "/api/v1/communities/alpha/join-policy",
            Some(json!({ "policy": "approval" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, created) = link(&bea, "beta", &format!("@{alpha}"), &["threads"], &[]).await;
    assert_eq!(status, 201, "{created}");
    let created: BridgeView = serde_json::from_value(created).unwrap();
    assert_eq!(created.state, "pending");
    assert_eq!(created.place, ["threads"]);
    assert_eq!(created.handle, alpha);
    let request = eventually("beta's follow waits at A", WAIT, || async {
        let (_, list) = alice
            .raw(
                reqwest::Method::GET,
                "/api/v1/communities/alpha/requests",
                None,
            )
            .await;
        list.as_array()?.first().cloned()
    })
    .await;
    assert_eq!(request["actor"]["kind"], "Group");
    let (status, body) = alice
        .raw(
            reqwest::Method::POST,
            &format!(
                "/api/v1/communities/alpha/requests/{}/accept",
                request["id"]
            ),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Open again, so that B's members may reply in alpha's threads.
    let (status, body) = alice
        .raw(
            reqwest::Method::PUT,
            "/api/v1/communities/alpha/join-policy",
            Some(json!({ "policy": "open" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("the bridge active", WAIT, || async {
        (bridges_of(&bea, "beta").await[0].state == "active").then_some(())
    })
    .await;
    let (status, into) = alice
        .raw(
            reqwest::Method::GET,
            "/api/v1/communities/alpha/bridges/in",
            None,
        )
        .await;
    assert_eq!(status, 200, "{into}");
    assert_eq!(into[0]["handle"], beta.as_str());
    assert_eq!(into[0]["state"], "accepted");
    // A community let follow is no member.
    let beta_at_a = members::known(&a, &format!("{}/c/beta", b.base)).unwrap();
    let alpha_at_a = members::known(&a, &format!("{}/c/alpha", a.base)).unwrap();
    assert!(members::membership(&a, &alpha_at_a, &beta_at_a).is_none());

    // A's thread is placed in beta, from alpha; its event is not (events not chosen).
    let thread = alice
        .post(&alpha, "Supervision in threes", "How do you rotate?")
        .await;
    let starts = chrono::Utc::now() + chrono::Days::new(3);
    let (status, event) = alice
        .schedule(
            &alpha,
            json!({ "title": "Practice circle", "description": "Bring a case.",
                    "starts_at": starts.to_rfc3339(), "online_url": "https://meet.example.org/c" }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let entry = placed(
        &bea,
        &b.handle("beta"),
        &thread.ap_id,
        "A's thread placed in beta",
    )
    .await;
    assert_eq!(entry.how, "bridged");
    assert_eq!(entry.hops, 1);
    let from = entry
        .from
        .as_ref()
        .expect("a bridged entry says where from");
    assert_eq!(from.handle, alpha);
    assert_eq!(from.ap_id, format!("{}/c/alpha", a.base));
    // B stores the event (beta follows alpha), in alpha only.
    let event_ap_id = event["ap_id"].as_str().unwrap().to_string();
    let placed_at_b = eventually("B to store A's event", WAIT, || async {
        let found = placements(&b, &event_ap_id);
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(placed_at_b.len(), 1, "{placed_at_b:?}");
    assert_eq!(placed_at_b[0].1.username, "alpha");

    // Events chosen from now on: the next event is placed.
    let id = bridges_of(&bea, "beta").await[0].id;
    let (status, changed) = bea
        .raw(
            reqwest::Method::PATCH,
            &format!("/api/v1/communities/beta/bridges/{id}"),
            Some(json!({ "place": ["threads", "events"] })),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["place"], json!(["threads", "events"]));
    assert_eq!(changed["pass_on"], json!([]));
    let (status, event2) = alice
        .schedule(
            &alpha,
            json!({ "title": "Seminar", "description": "Annual.",
                    "starts_at": (starts + chrono::Days::new(7)).to_rfc3339(),
                    "online_url": "https://meet.example.org/s" }),
        )
        .await;
    assert_eq!(status, 201, "{event2}");
    let entry = placed(
        &bea,
        &b.handle("beta"),
        event2["ap_id"].as_str().unwrap(),
        "A's second event placed in beta",
    )
    .await;
    assert_eq!((entry.how.as_str(), entry.hops), ("bridged", 1));

    // A reply in beta to the bridged thread goes to alpha, and shows in A's thread.
    let reply = bob.reply(&thread.ap_id, "We rotate monthly.").await;
    eventually("A to have B's reply in the thread", WAIT, || async {
        let on_a = alice.lookup(&thread.ap_id).await?;
        on_a.replies
            .iter()
            .any(|r| r.ap_id == reply.ap_id)
            .then_some(())
    })
    .await;

    // A community that refuses the follow: the bridge shows it as rejected.
    a.community("closed", &alice, false);
    let (status, body) = alice
        .raw(
            reqwest::Method::PUT,
            "/api/v1/communities/closed/join-policy",
            Some(json!({ "policy": "approval" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = link(&bea, "beta", &a.handle("closed"), &["threads"], &[]).await;
    assert_eq!(status, 201, "{body}");
    let request = eventually("beta's follow of closed waits at A", WAIT, || async {
        let (_, list) = alice
            .raw(
                reqwest::Method::GET,
                "/api/v1/communities/closed/requests",
                None,
            )
            .await;
        list.as_array()?.first()?["id"].as_i64()
    })
    .await;
    let (status, body) = alice
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/communities/closed/requests/{request}/reject"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("the refused bridge to show as rejected", WAIT, || async {
        bridges_of(&bea, "beta")
            .await
            .iter()
            .any(|b| b.handle == a.handle("closed") && b.state == "rejected")
            .then_some(())
    })
    .await;

    // Unlink: Undo(Follow) from beta to alpha; alpha lets beta go; later threads stay out.
    let (status, unlinked) = bea
        .raw(
            reqwest::Method::DELETE,
            &format!("/api/v1/communities/beta/bridges/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{unlinked}");
    assert_eq!(unlinked["state"], "unlinked");
    let undo = outbox_bodies(&b)
        .into_iter()
        .find(|o| o["type"] == "Undo" && o["object"]["object"] == format!("{}/c/alpha", a.base))
        .expect("an Undo was sent");
    assert_eq!(undo["actor"], format!("{}/c/beta", b.base));
    assert_eq!(undo["object"]["type"], "Follow");
    assert_eq!(undo["object"]["object"], format!("{}/c/alpha", a.base));
    eventually("alpha to lose beta as follower", WAIT, || async {
        let (_, into) = alice
            .raw(
                reqwest::Method::GET,
                "/api/v1/communities/alpha/bridges/in",
                None,
            )
            .await;
        into.as_array()?.is_empty().then_some(())
    })
    .await;
    let later = alice
        .post(&alpha, "After the unlink", "Not for beta.")
        .await;
    eventually("A's deliveries to drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let feed = bea.feed(&b.handle("beta")).await;
    assert!(feed.iter().all(|e| e.post.ap_id != later.ap_id), "{feed:?}");
    // What was placed stays, marked bridged.
    assert!(
        feed.iter()
            .any(|e| e.post.ap_id == thread.ap_id && e.how == "bridged")
    );
}

/// A chain alpha@A -> beta@B -> gamma@C -> delta@C, passing threads on at beta and gamma.
/// C's hop limit is lowered to 2 (config): gamma gets alpha's thread at 2 hops, from
/// beta; the same-instance bridge to delta stops at the limit.
async fn chain(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start_with("c", &backend, |config| config.bridge_hop_limit = 2);
    let alice = a.user("alice");
    a.community("alpha", &alice, false);
    let bea = b.user("bea");
    b.community("beta", &bea, false);
    let cy = c.user("cy");
    c.community("gamma", &cy, false);
    c.community("delta", &cy, false);
    linked(
        &bea,
        "beta",
        &a.handle("alpha"),
        &["threads", "events"],
        &["threads", "events"],
    )
    .await;
    linked(
        &cy,
        "gamma",
        &b.handle("beta"),
        &["threads", "events"],
        &["threads"],
    )
    .await;
    linked(&cy, "delta", "gamma", &["threads"], &[]).await;

    let thread = alice
        .post(&a.handle("alpha"), "Handover", "What goes in yours?")
        .await;
    let in_beta = placed(
        &bea,
        &b.handle("beta"),
        &thread.ap_id,
        "beta to take alpha's thread",
    )
    .await;
    assert_eq!(in_beta.hops, 1);
    let in_gamma = placed(
        &cy,
        &c.handle("gamma"),
        &thread.ap_id,
        "gamma to take it from beta",
    )
    .await;
    assert_eq!(in_gamma.how, "bridged");
    assert_eq!(in_gamma.hops, 2);
    assert_eq!(in_gamma.from.as_ref().unwrap().handle, b.handle("beta"));
    // beta's Announce carried the hop count.
    let passed = outbox_bodies(&b)
        .into_iter()
        .find(|o| o["type"] == "Announce" && o["object"] == thread.ap_id.as_str())
        .expect("beta passed the thread on");
    assert_eq!(passed["weft:hops"], 1);
    assert_eq!(passed["actor"], format!("{}/c/beta", b.base));

    // An event travels the same way (fetched from its origin by C).
    let starts = chrono::Utc::now() + chrono::Days::new(5);
    let (status, event) = alice
        .schedule(
            &a.handle("alpha"),
            json!({ "title": "Open day", "description": "All welcome.",
                    "starts_at": starts.to_rfc3339(), "online_url": "https://meet.example.org/o" }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let event_in_gamma = placed(
        &cy,
        &c.handle("gamma"),
        event["ap_id"].as_str().unwrap(),
        "gamma to take alpha's event from beta",
    )
    .await;
    assert_eq!(
        (event_in_gamma.how.as_str(), event_in_gamma.hops),
        ("bridged", 2)
    );

    // The limit (2) stops the chain at gamma: delta, bridged to gamma here, gets nothing,
    // and gamma passes nothing on.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_c = placements(&c, &thread.ap_id);
    let mut where_: Vec<_> = at_c
        .iter()
        .map(|(p, a)| (a.username.clone(), p.hops))
        .collect();
    where_.sort();
    assert_eq!(
        where_,
        [("alpha".to_string(), 0), ("gamma".to_string(), 2)],
        "placed at C"
    );
    assert!(
        !outbox_bodies(&c).iter().any(|o| o["type"] == "Announce"),
        "gamma passes nothing on at the limit"
    );

    // Below the limit the same-instance bridge carries: a thread started in gamma is
    // placed in delta at 1 hop, from gamma, with no HTTP between them.
    let local = cy
        .post(&c.handle("gamma"), "Local news", "For delta too.")
        .await;
    let in_delta = placed(
        &cy,
        &c.handle("delta"),
        &local.ap_id,
        "delta to take gamma's thread",
    )
    .await;
    assert_eq!((in_delta.how.as_str(), in_delta.hops), ("bridged", 1));
    assert_eq!(in_delta.from.unwrap().handle, c.handle("gamma"));
    // So is a thread a member elsewhere starts in gamma (it arrives as a `Create`).
    let remote = bea
        .post(&c.handle("gamma"), "From B", "Into gamma, on to delta.")
        .await;
    let in_delta = placed(
        &cy,
        &c.handle("delta"),
        &remote.ap_id,
        "delta to take B's thread",
    )
    .await;
    assert_eq!((in_delta.how.as_str(), in_delta.hops), ("bridged", 1));
}

/// alpha@A and beta@B bridged both ways, each passing threads on: a thread of either is
/// placed once in the other, never again in its origin, and the instances go quiet.
async fn cycle(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let alice = a.user("alice");
    a.community("alpha", &alice, false);
    let bea = b.user("bea");
    b.community("beta", &bea, false);
    linked(&bea, "beta", &a.handle("alpha"), &["threads"], &["threads"]).await;
    linked(
        &alice,
        "alpha",
        &b.handle("beta"),
        &["threads"],
        &["threads"],
    )
    .await;

    let from_a = alice
        .post(&a.handle("alpha"), "From alpha", "Once in beta.")
        .await;
    let from_b = bea
        .post(&b.handle("beta"), "From beta", "Once in alpha.")
        .await;
    placed(
        &bea,
        &b.handle("beta"),
        &from_a.ap_id,
        "beta to take alpha's thread",
    )
    .await;
    placed(
        &alice,
        &a.handle("alpha"),
        &from_b.ap_id,
        "alpha to take beta's thread",
    )
    .await;
    eventually("both queues to drain", WAIT, || async {
        (a.queued() == 0 && b.queued() == 0).then_some(())
    })
    .await;
    let settled = (activity(&a), activity(&b));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(settled, (activity(&a), activity(&b)), "no more activity");
    // Bounded: each instance sent its Follow, its Accept, the author's Create and the
    // community's two Announces of its own thread, and nothing about the other's.
    eprintln!(
        "cycle: outbox rows A {}, B {} (queued {}, {})",
        settled.0.0, settled.1.0, settled.0.1, settled.1.1
    );
    for (i, (rows, _)) in [(&a, settled.0), (&b, settled.1)] {
        assert!(rows <= 5, "{} sent {rows} activities", i.name);
    }

    // Each thread: in its origin alone on its own instance; on the other, in its origin
    // (as that instance holds the remote community) and bridged once into the other.
    for (i, ap_id, origin, bridged_into) in [
        (&a, &from_a.ap_id, "alpha", None),
        (&b, &from_a.ap_id, "alpha", Some("beta")),
        (&b, &from_b.ap_id, "beta", None),
        (&a, &from_b.ap_id, "beta", Some("alpha")),
    ] {
        let mut found: Vec<_> = placements(i, ap_id)
            .into_iter()
            .map(|(p, c)| (c.username, p.how, p.hops))
            .collect();
        found.sort();
        let mut expected = vec![(origin.to_string(), "created".to_string(), 0)];
        expected.extend(bridged_into.map(|c| (c.to_string(), "bridged".to_string(), 1)));
        expected.sort();
        assert_eq!(found, expected, "{} at {}", ap_id, i.name);
    }
    // Neither community passed the other's thread back to its origin.
    for (i, foreign) in [(&a, &from_b.ap_id), (&b, &from_a.ap_id)] {
        assert!(
            !outbox_bodies(i)
                .iter()
                .any(|o| o["type"] == "Announce" && o["object"] == foreign.as_str()),
            "{} announced {foreign} back",
            i.name
        );
    }
}

/// An API call: method, path, body.
type Call = (reqwest::Method, String, Option<Value>);

/// What the bridges API refuses: each with its status and a problem body, and nothing
/// stored or sent.
async fn refusals(backend: Backend) {
    let a = Instance::start("a", &backend);
    let lia = a.user("lia");
    a.community("one", &lia, false);
    a.community("two", &lia, false);
    let ola = a.user("ola");
    a.community("three", &ola, false);
    a.user("pat");
    let post = |target: Value| {
        (
            reqwest::Method::POST,
            "/api/v1/communities/one/bridges".to_string(),
            Some(target),
        )
    };
    let cases: Vec<(&str, &Member, Call, u16)> = vec![
        ("to itself", &lia, post(json!({"target": "one"})), 400),
        (
            "to a person",
            &lia,
            post(json!({"target": a.handle("pat")})),
            400,
        ),
        (
            "an unknown kind",
            &lia,
            post(json!({"target": "two", "place": ["gossip"]})),
            400,
        ),
        (
            "resources passed on",
            &lia,
            post(json!({"target": "two", "pass_on": ["resources"]})),
            400,
        ),
        (
            "an unknown field",
            &lia,
            post(json!({"target": "two", "colour": "red"})),
            400,
        ),
        ("no target", &lia, post(json!({"place": ["threads"]})), 400),
        (
            "an unknown community",
            &lia,
            post(json!({"target": "nowhere"})),
            404,
        ),
        (
            "by a lead of another community",
            &ola,
            post(json!({"target": "two"})),
            403,
        ),
        (
            "from an unknown community",
            &lia,
            (
                reqwest::Method::POST,
                "/api/v1/communities/nowhere/bridges".into(),
                Some(json!({"target": "two"})),
            ),
            404,
        ),
        (
            "unlinking an unknown bridge",
            &lia,
            (
                reqwest::Method::DELETE,
                "/api/v1/communities/one/bridges/999".into(),
                None,
            ),
            404,
        ),
    ];
    let before = (
        activity(&a),
        count_rows(&a, "bridges"),
        count_rows(&a, "follows"),
    );
    for (what, who, (method, path, body), status) in cases {
        refused(what, status, who.raw(method, &path, body).await);
    }
    assert_eq!(
        before,
        (
            activity(&a),
            count_rows(&a, "bridges"),
            count_rows(&a, "follows")
        ),
        "nothing refused is stored or sent"
    );

    // A bridge is changed and unlinked only by its community's leads, through it.
    let (status, made) = link(&lia, "one", "two", &["threads"], &[]).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["state"], "active", "a bridge here is followed at once");
    let id = made["id"].as_i64().unwrap();
    let change = |community: &str| {
        (
            reqwest::Method::PATCH,
            format!("/api/v1/communities/{community}/bridges/{id}"),
            Some(json!({"place": ["events"]})),
        )
    };
    let (m, p, b) = change("one");
    refused("a change by another lead", 403, ola.raw(m, &p, b).await);
    let (m, p, b) = change("three");
    refused(
        "a bridge through another community",
        404,
        ola.raw(m, &p, b).await,
    );
    let (m, p, _) = change("one");
    refused(
        "a change to an unknown kind",
        400,
        lia.raw(m, &p, Some(json!({"pass_on": ["gossip"]}))).await,
    );
    let path = format!("/api/v1/communities/one/bridges/{id}");
    refused(
        "an unlink by another lead",
        403,
        ola.raw(reqwest::Method::DELETE, &path, None).await,
    );
    let left = &bridges_of(&lia, "one").await[0];
    assert_eq!(
        (left.state.as_str(), left.place.clone()),
        ("active", vec!["threads".to_string()])
    );
}

//! Memberships and joining across instances, both backends: a request to join an
//! approval community from B is accepted by a lead on A, then B's member posts and A
//! announces it; a non-member on C is refused with `Reject(Create)` and nothing is
//! stored; a role change on A reaches B's copy of the moderators collection; leaving by
//! `Undo(Follow)` ends membership. An invite community refuses uninvited joins and
//! Follows, takes the invited, and refuses expired and used-up invitations. Roles, a
//! remote facilitator and bad input are in `member_roles.rs`.

use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use weft_tests::members::*;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_by_approval_across_instances_on_sqlite() {
    approval_across_instances(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_by_approval_across_instances_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        approval_across_instances(backend).await;
    }
}

async fn approval_across_instances(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start("c", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let handle = a.handle("cop");
    let (status, body) = lead
        .raw(
            Method::PUT,
            "/api/v1/communities/cop/join-policy",
            Some(json!({ "policy": "approval" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["join_policy"], "approval");
    let (_, group) = get_activity_json(&cop.ap_id).await;
    assert_eq!(group["manuallyApprovesFollowers"], true, "{group}");

    // Bob on B asks to join: his Follow waits on A as a request.
    let bob = b.user("bob");
    assert_eq!(bob.follow(&handle).await, "pending");
    let requests = eventually("A to hold bob's request", WAIT, || async {
        let (status, list) = lead
            .raw(Method::GET, "/api/v1/communities/cop/requests", None)
            .await;
        assert_eq!(status, 200, "{list}");
        (list.as_array().is_some_and(|l| l.len() == 1)).then_some(list)
    })
    .await;
    assert_eq!(requests[0]["actor"]["ap_id"], bob.actor.ap_id);
    let bob_on_a = known(&a, &bob.actor.ap_id).expect("A knows bob");
    assert!(
        membership(&a, &cop, &bob_on_a).is_none(),
        "not a member yet"
    );

    // A member (not a lead or facilitator) may not answer requests.
    let mo = a.user("mo");
    let (status, _) = mo
        .raw(Method::POST, "/api/v1/communities/cop/join", None)
        .await;
    assert_eq!(status, 200);
    let (_, mine) = mo
        .raw(Method::GET, "/api/v1/communities/cop/membership", None)
        .await;
    assert_eq!(mine["follow"], "pending", "mo's own join waits too: {mine}");
    let id = requests[0]["id"].as_i64().unwrap();
    refused(
        "a non-moderator answering a request",
        403,
        mo.raw(
            Method::POST,
            &format!("/api/v1/communities/cop/requests/{id}/accept"),
            None,
        )
        .await,
    );

    // The lead accepts: bob is a member on A, and B learns of it by Accept(Follow).
    let (status, body) = lead
        .raw(
            Method::POST,
            &format!("/api/v1/communities/cop/requests/{id}/accept"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(membership(&a, &cop, &bob_on_a).unwrap().role, "member");
    eventually("B to see bob's follow accepted", WAIT, || async {
        follow_row(&b, &bob.actor, &cop.ap_id)
            .filter(|f| f.state == "accepted")
            .map(|_| ())
    })
    .await;

    // Bob posts from B: A takes it and announces it.
    let post = bob
        .post(&handle, "Supervision models", "Which do your teams use?")
        .await;
    eventually("A to announce bob's thread", WAIT, || async {
        outbox_bodies(&a)
            .into_iter()
            .any(|o| o["type"] == "Announce" && o["object"]["object"]["id"] == post.ap_id)
            .then_some(())
    })
    .await;
    eventually("B to see the thread published", WAIT, || async {
        bob.lookup(&post.ap_id)
            .await
            .filter(|t| t.post.state == "published")
    })
    .await;

    // Carol on C is no member: her thread is refused with a Reject naming the reason,
    // and stored nowhere on A.
    let carol = c.user("carol");
    let hers = carol.post(&handle, "Hello", "May I join in?").await;
    let seen = eventually("C to mark carol's post refused", WAIT, || async {
        carol
            .lookup(&hers.ap_id)
            .await
            .filter(|t| t.post.state == "refused")
    })
    .await;
    assert_eq!(
        seen.post.refusal.as_deref(),
        Some("only members of cop may post there: it is joined by approval")
    );
    assert!(lead.lookup(&hers.ap_id).await.is_none(), "A stores nothing");
    let reject = outbox_bodies(&a)
        .into_iter()
        .find(|o| o["type"] == "Reject" && o["object"]["type"] == "Create")
        .expect("A sent a Reject(Create)");
    assert_eq!(reject["object"]["object"], hers.ap_id);

    // A role change on A reaches B's copy of the moderators collection.
    let bob_handle = format!("bob@{}", b.domain);
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/cop/members/{bob_handle}"),
            Some(json!({ "role": "facilitator" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "facilitator");
    let (_, mods) = get_activity_json(&format!("{}/moderators", cop.ap_id)).await;
    assert!(
        mods["orderedItems"]
            .as_array()
            .unwrap()
            .contains(&json!(bob.actor.ap_id)),
        "{mods}"
    );
    let mods_on_b = |want: bool| {
        let bob = &bob;
        let handle = handle.clone();
        async move {
            let (status, list) = bob
                .raw(
                    Method::GET,
                    &format!("/api/v1/communities/{handle}/moderators"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{list}");
            let has = list
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["actor"]["ap_id"] == bob.actor.ap_id && m["role"] == "facilitator");
            (has == want).then_some(())
        }
    };
    eventually("B to list bob among cop's moderators", WAIT, || {
        mods_on_b(true)
    })
    .await;
    let add = outbox_bodies(&a)
        .into_iter()
        .find(|o| o["type"] == "Announce" && o["object"]["type"] == "Add")
        .expect("A announced the Add");
    assert_eq!(add["object"]["target"], format!("{}/moderators", cop.ap_id));
    assert_eq!(add["object"]["object"], bob.actor.ap_id);

    // Back to member: Remove, and B's copy drops him.
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/cop/members/{bob_handle}"),
            Some(json!({ "role": "member" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    eventually("B to drop bob from cop's moderators", WAIT, || {
        mods_on_b(false)
    })
    .await;

    // Undo(Follow) ends bob's membership on A.
    bob.unfollow(&handle).await;
    eventually("A to end bob's membership", WAIT, || async {
        membership(&a, &cop, &bob_on_a).is_none().then_some(())
    })
    .await;
    assert!(follow_row(&a, &bob_on_a, &cop.ap_id).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_only_communities_on_sqlite() {
    invite_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_only_communities_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        invite_only(backend).await;
    }
}

async fn invite_only(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    let circle = a.community("circle", &lead, false);
    let handle = a.handle("circle");
    let (status, body) = lead
        .raw(
            Method::PUT,
            "/api/v1/communities/circle/join-policy",
            Some(json!({ "policy": "invite" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Uninvited, a local join is refused and stores nothing.
    let uma = a.user("uma");
    refused(
        "an uninvited join",
        403,
        uma.raw(Method::POST, "/api/v1/communities/circle/join", None)
            .await,
    );
    assert!(membership(&a, &circle, &uma.actor).is_none());
    assert!(follow_row(&a, &uma.actor, &circle.ap_id).is_none());
    // Nor may a non-member post there.
    refused(
        "a non-member's thread",
        403,
        uma.raw(
            Method::POST,
            "/api/v1/posts",
            Some(json!({ "community": handle, "title": "Hi", "content": "Let me in" })),
        )
        .await,
    );
    assert_eq!(a.item_count(), 0, "nothing stored");

    // An invitation for one use admits one person; the second is refused.
    let (status, inv) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/circle/invitations",
            Some(json!({ "max_uses": 1 })),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let code = inv["code"].as_str().unwrap().to_string();
    assert_eq!(inv["link"], format!("{}?invite={code}", circle.ap_id));
    let ann = a.user("ann");
    let (status, body) = ann
        .raw(
            Method::POST,
            "/api/v1/communities/circle/join",
            Some(json!({ "invitation": code })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "member");
    assert_eq!(membership(&a, &circle, &ann.actor).unwrap().role, "member");
    // A member posts; a non-member's reply to it is refused too, and not stored.
    let thread = ann.post(&handle, "Welcome", "Introduce yourselves.").await;
    refused(
        "a non-member's reply",
        403,
        uma.raw(
            Method::POST,
            "/api/v1/posts",
            Some(json!({ "in_reply_to": thread.ap_id, "content": "Me too" })),
        )
        .await,
    );
    assert_eq!(a.item_count(), 1, "only ann's thread is stored");
    let ben = a.user("ben");
    refused(
        "a used-up invitation",
        403,
        ben.raw(
            Method::POST,
            "/api/v1/communities/circle/join",
            Some(json!({ "invitation": code })),
        )
        .await,
    );
    assert!(membership(&a, &circle, &ben.actor).is_none());

    // An expired invitation is refused (its expiry moved into the past in the database).
    let (_, inv) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/circle/invitations",
            Some(json!({ "expires_at": "2099-01-01T00:00:00Z" })),
        )
        .await;
    let expired_id = inv["id"].as_i64().unwrap();
    a.db.write_blocking(move |c| -> Result<(), weft_db::DbError> {
        use diesel::prelude::*;
        use weft_db::schema::invitations;
        diesel::update(invitations::table.find(expired_id))
            .set(invitations::expires_at.eq(weft_db::now() - chrono::Duration::hours(1)))
            .execute(c)?;
        Ok(())
    })
    .unwrap();
    refused(
        "an expired invitation",
        403,
        ben.raw(
            Method::POST,
            "/api/v1/communities/circle/join",
            Some(json!({ "invitation": inv["code"] })),
        )
        .await,
    );
    assert!(membership(&a, &circle, &ben.actor).is_none());

    // A remote Follow without an invitation gets Reject(Follow); nothing stays on A.
    let bob = b.user("bob");
    assert_eq!(bob.follow(&handle).await, "pending");
    eventually("B to learn the follow was refused", WAIT, || async {
        follow_row(&b, &bob.actor, &circle.ap_id)
            .is_none()
            .then_some(())
    })
    .await;
    let bob_on_a = known(&a, &bob.actor.ap_id).expect("A fetched bob");
    assert!(follow_row(&a, &bob_on_a, &circle.ap_id).is_none());
    assert!(membership(&a, &circle, &bob_on_a).is_none());
    assert!(
        outbox_bodies(&a)
            .iter()
            .any(|o| o["type"] == "Reject" && o["object"]["type"] == "Follow"),
        "A sent Reject(Follow)"
    );

    // Invited by handle, his Follow is accepted and he is a member.
    let (status, inv) = lead
        .raw(
            Method::POST,
            "/api/v1/communities/circle/invitations",
            Some(json!({ "handle": format!("bob@{}", b.domain), "max_uses": 1 })),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    assert_eq!(inv["invitee"]["ap_id"], bob.actor.ap_id);
    bob.follow(&handle).await;
    eventually("B to see the follow accepted", WAIT, || async {
        follow_row(&b, &bob.actor, &circle.ap_id)
            .filter(|f| f.state == "accepted")
            .map(|_| ())
    })
    .await;
    assert_eq!(membership(&a, &circle, &bob_on_a).unwrap().role, "member");
}

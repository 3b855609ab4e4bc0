//! Memberships and joining across instances, both backends: a request to join an
//! approval community from B is accepted by a lead on A, then B's member posts and A
//! announces it; a non-member on C is refused with `Reject(Create)` and nothing is
//! stored; a role change on A reaches B's copy of the moderators collection; leaving by
//! `Undo(Follow)` ends membership. An invite community refuses uninvited joins and
//! Follows, takes the invited, and refuses expired and used-up invitations. Bad input
//! changes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_db::models::{ActorRow, FollowRow, MembershipRow};
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

fn membership(i: &Instance, community: &ActorRow, person: &ActorRow) -> Option<MembershipRow> {
    let (c, p) = (community.id, person.id);
    i.db.read_blocking(move |conn| weft_db::memberships::find(conn, c, p))
        .unwrap()
}

fn follow_row(i: &Instance, follower: &ActorRow, target: &str) -> Option<FollowRow> {
    let (f, t) = (follower.id, target.to_string());
    i.db.read_blocking(move |conn| -> Result<_, weft_db::DbError> {
        let Some(target) = weft_db::actors::by_ap_id(conn, &t)? else {
            return Ok(None);
        };
        weft_db::follows::find(conn, f, target.id)
    })
    .unwrap()
}

/// The actor row an instance holds for `ap_id`.
fn known(i: &Instance, ap_id: &str) -> Option<ActorRow> {
    let id = ap_id.to_string();
    i.db.read_blocking(move |c| weft_db::actors::by_ap_id(c, &id))
        .unwrap()
}

fn refused(what: &str, expected: u16, got: (u16, Value)) {
    assert_eq!(got.0, expected, "{what}: {}", got.1);
    assert!(
        got.1["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}: a problem body says why: {}",
        got.1
    );
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_leaving_and_bad_input_on_sqlite() {
    roles_and_bad_input(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_leaving_and_bad_input_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        roles_and_bad_input(backend).await;
    }
}

async fn roles_and_bad_input(backend: Backend) {
    let a = Instance::start("a", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let admin = a.admin("root");
    let mia = a.user("mia");
    let outsider = a.user("outsider");

    // Open: a local join makes a member at once.
    let (status, body) = mia
        .raw(Method::POST, "/api/v1/communities/cop/join", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "member");

    // The last lead can be neither removed, demoted nor leave.
    let lead_path = "/api/v1/communities/cop/members/lead";
    refused(
        "removing the last lead",
        409,
        lead.raw(Method::DELETE, lead_path, None).await,
    );
    refused(
        "demoting the last lead",
        409,
        lead.raw(Method::PUT, lead_path, Some(json!({ "role": "member" })))
            .await,
    );
    refused(
        "the last lead leaving",
        409,
        lead.raw(Method::POST, "/api/v1/communities/cop/leave", None)
            .await,
    );
    assert_eq!(membership(&a, &cop, &lead.actor).unwrap().role, "lead");

    // Bad input changes nothing.
    let mia_path = "/api/v1/communities/cop/members/mia";
    refused(
        "an unknown role",
        400,
        lead.raw(Method::PUT, mia_path, Some(json!({ "role": "boss" })))
            .await,
    );
    refused(
        "an unknown policy",
        400,
        lead.raw(
            Method::PUT,
            "/api/v1/communities/cop/join-policy",
            Some(json!({ "policy": "secret" })),
        )
        .await,
    );
    refused(
        "a member changing roles",
        403,
        mia.raw(Method::PUT, lead_path, Some(json!({ "role": "member" })))
            .await,
    );
    refused(
        "a member setting the join policy",
        403,
        mia.raw(
            Method::PUT,
            "/api/v1/communities/cop/join-policy",
            Some(json!({ "policy": "invite" })),
        )
        .await,
    );
    refused(
        "a member inviting",
        403,
        mia.raw(
            Method::POST,
            "/api/v1/communities/cop/invitations",
            Some(json!({})),
        )
        .await,
    );
    refused(
        "an invitation already expired",
        400,
        lead.raw(
            Method::POST,
            "/api/v1/communities/cop/invitations",
            Some(json!({ "expires_at": "2001-01-01T00:00:00Z" })),
        )
        .await,
    );
    assert_eq!(membership(&a, &cop, &mia.actor).unwrap().role, "member");
    let details =
        a.db.read_blocking({
            let id = cop.id;
            move |c| weft_db::actors::community(c, id)
        })
        .unwrap()
        .unwrap();
    assert_eq!(details.join_policy, "open");

    // The members list: members and admins read it; others are refused.
    refused(
        "a non-member reading the members",
        403,
        outsider
            .raw(Method::GET, "/api/v1/communities/cop/members", None)
            .await,
    );
    for who in [&mia, &admin] {
        let (status, list) = who
            .raw(Method::GET, "/api/v1/communities/cop/members?limit=1", None)
            .await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1, "paged: {list}");
        assert_eq!(list[0]["role"], "lead");
        let after = list[0]["actor"]["id"].as_i64().unwrap();
        let (_, rest) = who
            .raw(
                Method::GET,
                &format!("/api/v1/communities/cop/members?after={after}"),
                None,
            )
            .await;
        assert_eq!(rest[0]["actor"]["username"], "mia", "{rest}");
    }
    // The count is public.
    let (status, summary) = outsider
        .raw(Method::GET, "/api/v1/communities/cop/membership", None)
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["member_count"], 2);
    assert_eq!(summary["join_policy"], "open");

    // An admin may change roles; then the former last lead may step down.
    let (status, body) = admin
        .raw(Method::PUT, mia_path, Some(json!({ "role": "lead" })))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = mia
        .raw(Method::PUT, lead_path, Some(json!({ "role": "weaver" })))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(membership(&a, &cop, &lead.actor).unwrap().role, "weaver");

    // Leaving ends membership.
    let (status, body) = lead
        .raw(Method::POST, "/api/v1/communities/cop/leave", None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(membership(&a, &cop, &lead.actor).is_none());
    refused(
        "leaving twice",
        404,
        lead.raw(Method::POST, "/api/v1/communities/cop/leave", None)
            .await,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_facilitator_acts_by_role_on_sqlite() {
    remote_facilitator(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_facilitator_acts_by_role_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        remote_facilitator(backend).await;
    }
}

/// A person on B made a facilitator of a mods-only community on A starts a thread there
/// from B, and deletes someone else's post there from B: A honours both by that role.
async fn remote_facilitator(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    a.community("leads", &lead, true);
    let handle = a.handle("leads");
    let bob = b.user("bob");
    // Joining another instance's community from B's API is following it.
    let (status, body) = bob
        .raw(
            Method::POST,
            &format!("/api/v1/communities/{handle}/join"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "pending", "until the community answers");
    eventually("bob's follow to be accepted", WAIT, || async {
        let (_, mine) = bob
            .raw(
                Method::GET,
                &format!("/api/v1/communities/{handle}/membership"),
                None,
            )
            .await;
        (mine["follow"] == "accepted").then_some(())
    })
    .await;
    let (status, body) = lead
        .raw(
            Method::PUT,
            &format!("/api/v1/communities/leads/members/bob@{}", b.domain),
            Some(json!({ "role": "facilitator" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let thread = bob
        .post(&handle, "Agenda for the next meeting", "Items, please.")
        .await;
    eventually("A to take bob's thread", WAIT, || async {
        lead.lookup(&thread.ap_id).await
    })
    .await;

    let theirs = lead.post(&handle, "Minutes", "From last month.").await;
    let on_b = eventually("B to get the lead's thread", WAIT, || async {
        bob.lookup(&theirs.ap_id).await
    })
    .await;
    eventually("B to know bob moderates leads", WAIT, || async {
        let (_, list) = bob
            .raw(
                Method::GET,
                &format!("/api/v1/communities/{handle}/moderators"),
                None,
            )
            .await;
        list.as_array()?
            .iter()
            .any(|m| m["actor"]["ap_id"] == bob.actor.ap_id)
            .then_some(())
    })
    .await;
    bob.delete(on_b.post.id).await;
    let ap_id = theirs.ap_id.clone();
    eventually("A to honour bob's Delete", WAIT, || async {
        let id = ap_id.clone();
        a.db.read_blocking(move |c| weft_db::items::by_ap_id(c, &id))
            .unwrap()
            .filter(|i| i.deleted_at.is_some())
    })
    .await;

    // Leaving from B's API is Undo(Follow): A ends the membership and tells B's copy.
    let (status, body) = bob
        .raw(
            Method::POST,
            &format!("/api/v1/communities/{handle}/leave"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let leads = known(&a, &format!("{}/c/leads", a.base)).unwrap();
    let bob_on_a = known(&a, &bob.actor.ap_id).unwrap();
    eventually("A to end bob's membership", WAIT, || async {
        membership(&a, &leads, &bob_on_a).is_none().then_some(())
    })
    .await;
    assert!(
        outbox_bodies(&a)
            .iter()
            .any(|o| o["type"] == "Announce" && o["object"]["type"] == "Remove"),
        "A announced that bob no longer moderates"
    );
}

/// `Add`/`Remove` of moderators from elsewhere: a community may change only its own
/// moderators collection, and only by its own `Announce`; a person's bare `Add` aimed at
/// a community here changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_moderator_changes_are_refused() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let blead = b.user("blead");
    let other = b.community("other", &blead, false);
    let mallory = b.user("mallory");
    let inbox = format!("{}/inbox", a.base);
    let add = |id: &str, actor: &str, target: &str| {
        json!({
            "type": "Add",
            "id": format!("{}/activities/{id}", b.base),
            "actor": actor,
            "object": mallory.actor.ap_id,
            "target": target,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [other.ap_id],
        })
    };
    let announce = |id: &str, inner: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Announce",
            "id": format!("{}/activities/{id}", b.base),
            "actor": other.ap_id,
            "object": inner,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
        .to_string()
    };
    let group_key = signer_of(&b, &other);
    let send = |body: String, signer: &Signer| {
        let headers = signed(signer, &inbox, &body, chrono::Utc::now());
        let inbox = inbox.clone();
        async move { deliver(&inbox, &body, headers).await }
    };

    // B's community announcing a change to A's community's moderators: 403, nothing kept.
    let forged = announce(
        "a1",
        add(
            "x1",
            &blead.actor.ap_id,
            &format!("{}/moderators", cop.ap_id),
        ),
    );
    refused(
        "another community's moderators",
        403,
        send(forged, &group_key).await,
    );
    let mallory_on_a = known(&a, &mallory.actor.ap_id).expect("A fetched mallory");
    assert!(membership(&a, &cop, &mallory_on_a).is_none());

    // A person's bare Add aimed at A's community: read, not acted on.
    let bare = json!({ "@context": "https://www.w3.org/ns/activitystreams" });
    let mut bare_add = add(
        "x2",
        &mallory.actor.ap_id,
        &format!("{}/moderators", cop.ap_id),
    );
    bare_add["@context"] = bare["@context"].clone();
    let (status, body) = send(bare_add.to_string(), &signer_of(&b, &mallory.actor)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "ignored", "{body}");
    assert!(membership(&a, &cop, &mallory_on_a).is_none());

    // B's community announcing a change to its own moderators: A's copy follows it.
    let own = announce(
        "a3",
        add(
            "x3",
            &blead.actor.ap_id,
            &format!("{}/moderators", other.ap_id),
        ),
    );
    let (status, body) = send(own, &group_key).await;
    assert_eq!(status, 202, "{body}");
    let other_on_a = known(&a, &other.ap_id).expect("A knows B's community");
    assert_eq!(
        membership(&a, &other_on_a, &mallory_on_a).unwrap().role,
        "facilitator",
        "no weft:role: a facilitator, as from Lemmy"
    );
}

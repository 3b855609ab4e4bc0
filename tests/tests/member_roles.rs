//! Roles, both backends: a community keeps its last lead; leaving ends membership; bad
//! input (unknown role or policy, a member acting as a lead) changes nothing; the members
//! list is for members and admins; a remote facilitator's thread and `Delete` are
//! honoured by their role; forged changes to moderators are refused.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::members::*;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

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

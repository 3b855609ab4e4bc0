//! A role set by the instance's operator (`weft community set-role`, which calls
//! `weft_core::accounts::set_role`) federates like a lead's change: another instance's
//! copy of the moderators follows it. And a join policy changed by a lead reaches
//! followers as `Update(Group)` (`manuallyApprovesFollowers`).

use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_roles_and_policies_federate_sqlite() {
    operator_roles_and_policies_federate(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_roles_and_policies_federate_postgres() {
    if let Some(backend) = Backend::postgres() {
        operator_roles_and_policies_federate(backend).await;
    }
}

async fn operator_roles_and_policies_federate(backend: Backend) {
    let Pair {
        a,
        b,
        lead,
        bob,
        cop,
    } = pair(&backend).await;
    a.user("fay");
    let urls = a.urls();
    a.db.write_blocking(|c| weft_core::accounts::set_role(c, &urls, "cop", "fay", "facilitator"))
        .unwrap();
    let path = format!("/api/v1/communities/{cop}/moderators");
    eventually("B to learn fay moderates cop", WAIT, || async {
        let (_, mods) = bob.raw(reqwest::Method::GET, &path, None).await;
        mods.as_array()?
            .iter()
            .any(|m| m["actor"]["username"] == "fay" && m["role"] == "facilitator")
            .then_some(())
    })
    .await;
    // And back: no longer a moderator.
    a.db.write_blocking(|c| weft_core::accounts::set_role(c, &urls, "cop", "fay", "member"))
        .unwrap();
    eventually("B to learn fay no longer moderates cop", WAIT, || async {
        let (_, mods) = bob.raw(reqwest::Method::GET, &path, None).await;
        (!mods
            .as_array()?
            .iter()
            .any(|m| m["actor"]["username"] == "fay"))
        .then_some(())
    })
    .await;

    // A lead makes cop approve its members: B's copy of the Group says so.
    let (status, body) = lead
        .raw(
            reqwest::Method::PUT,
            "/api/v1/communities/cop/join-policy",
            Some(serde_json::json!({"policy": "approval"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ap_id =
        a.db.read_blocking(|c| weft_db::actors::local_by_username(c, "cop"))
            .unwrap()
            .unwrap()
            .ap_id;
    eventually("B's copy of cop to approve its followers", WAIT, || async {
        let id = ap_id.clone();
        let copy =
            b.db.read_blocking(move |c| weft_db::actors::by_ap_id(c, &id))
                .unwrap()?;
        copy.manually_approves_followers.then_some(())
    })
    .await;

    // Requests to join are listed oldest first, a page at a time.
    for name in ["ann", "ben"] {
        let person = a.user(name);
        let (status, body) = person
            .raw(reqwest::Method::POST, "/api/v1/communities/cop/join", None)
            .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (200, Some("pending")),
            "{body}"
        );
    }
    let (_, first) = lead
        .raw(
            reqwest::Method::GET,
            "/api/v1/communities/cop/requests?limit=1",
            None,
        )
        .await;
    assert_eq!(first.as_array().unwrap().len(), 1, "{first}");
    assert_eq!(first[0]["actor"]["username"], "ann");
    let (_, next) = lead
        .raw(
            reqwest::Method::GET,
            &format!(
                "/api/v1/communities/cop/requests?limit=1&after={}",
                first[0]["id"]
            ),
            None,
        )
        .await;
    assert_eq!(next[0]["actor"]["username"], "ben");
}

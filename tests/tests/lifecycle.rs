//! A community's life across three instances on both backends: a proposal on A first
//! shows the similar community that exists, is saved once confirmed, gathers interest
//! from people on B and C (who follow the proposed Group), refuses posts, and is
//! activated with those three as members; B's copy shows it active. Transitions out of
//! turn are refused and change nothing.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

async fn profile(instance: &Instance, handle: &str) -> Value {
    reqwest::get(format!("{}/api/v1/communities/{handle}", instance.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// (username@domain, role) of every membership of `community` on `instance`, sorted.
fn memberships(instance: &Instance, community: &str) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use weft_db::schema::{actors, memberships as m};
    let name = community.to_string();
    let mut rows = instance
        .db
        .read_blocking(
            move |c| -> Result<Vec<(String, String, String)>, weft_db::DbError> {
                let community = weft_db::actors::local_by_username(c, &name)?.expect("community");
                Ok(m::table
                    .inner_join(actors::table.on(actors::id.eq(m::person_id)))
                    .filter(m::community_id.eq(community.id))
                    .select((actors::username, actors::domain, m::role))
                    .load(c)?)
            },
        )
        .unwrap()
        .into_iter()
        .map(|(u, d, r)| (format!("{u}@{d}"), r))
        .collect::<Vec<_>>();
    rows.sort();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_on_sqlite() {
    proposal_to_archive(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        proposal_to_archive(backend).await;
    }
}

async fn proposal_to_archive(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start("c", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let ada = a.user("ada");
    let dan = a.user("dan");
    let admin = a.admin("admin");
    let bob = b.user("bob");
    let carol = c.user("carol");

    // "Does this CoP already exist?" — the existing trauma-informed care community does.
    let (status, found) = ada
        .raw(
            Method::GET,
            "/api/v1/communities/similar?title=Trauma-informed%20practice%20in%20schools&tags=trauma",
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found[0]["community"]["username"], "cop");
    assert!(found[0]["score"].as_f64().unwrap() > 0.0);
    assert!(
        found[0]["shared_words"]
            .as_array()
            .unwrap()
            .contains(&json!("trauma"))
    );
    let (_, unrelated) = ada
        .raw(
            Method::GET,
            "/api/v1/communities/similar?title=Beekeeping",
            None,
        )
        .await;
    assert_eq!(unrelated, json!([]));

    let proposal = json!({
        "name": "schools",
        "title": "Trauma-informed practice in schools",
        "about": "Teachers and counsellors bringing trauma-informed care into schools.",
        "why": "School staff have no place to compare what works.",
        "tags": ["trauma", "schools"]
    });
    let (status, refused) = ada
        .raw(Method::POST, "/api/v1/proposals", Some(proposal.clone()))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["similar"][0]["community"]["username"], "cop");
    assert!(refused["detail"].as_str().unwrap().contains("confirmed"));
    let (status, _) = ada
        .raw(Method::GET, "/api/v1/communities/schools", None)
        .await;
    assert_eq!(status, 404, "nothing was saved");

    let mut confirmed = proposal.clone();
    confirmed["confirmed"] = json!(true);
    let (status, proposed) = ada
        .raw(Method::POST, "/api/v1/proposals", Some(confirmed.clone()))
        .await;
    assert_eq!(status, 201, "{proposed}");
    assert_eq!(proposed["lifecycle"], "proposal");
    assert_eq!(proposed["proposer"]["username"], "ada");
    assert_eq!(
        proposed["why"],
        "School staff have no place to compare what works."
    );
    let (status, again) = ada
        .raw(Method::POST, "/api/v1/proposals", Some(confirmed))
        .await;
    assert_eq!(status, 409, "the name is taken: {again}");
    let (_, group) = get_activity_json(&format!("{}/c/schools", a.base)).await;
    assert_eq!(group["type"], "Group");
    assert_eq!(group["weft:lifecycle"], "proposal");

    // A proposal takes no posts.
    let schools = a.handle("schools");
    let (status, body) = ada
        .raw(
            Method::POST,
            "/api/v1/posts",
            Some(json!({"community": schools, "title": "Hello", "content": "Too early"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // Interest: people on B and C follow the proposed Group; dan on A says so, then not.
    bob.follow(&schools).await;
    carol.follow(&schools).await;
    for member in [&bob, &carol] {
        eventually(
            "the follow of the proposal to be accepted",
            WAIT,
            || async { (member.follow(&schools).await == "accepted").then_some(()) },
        )
        .await;
    }
    assert_eq!(
        profile(&b, &schools).await["lifecycle"],
        "proposal",
        "B's copy"
    );
    let (status, body) = dan
        .raw(Method::POST, "/api/v1/communities/schools/interest", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["interested"].as_array().unwrap().len(), 3, "{body}");
    let (status, body) = dan
        .raw(Method::DELETE, "/api/v1/communities/schools/interest", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let mut interested: Vec<&str> = body["interested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    interested.sort();
    assert_eq!(
        interested,
        ["bob", "carol"],
        "their follows arrive in any order"
    );

    // Only a lead or an admin activates.
    let (status, body) = dan
        .raw(Method::POST, "/api/v1/communities/schools/activate", None)
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(profile(&a, "schools").await["lifecycle"], "proposal");
    let (status, active) = ada
        .raw(Method::POST, "/api/v1/communities/schools/activate", None)
        .await;
    assert_eq!(status, 200, "{active}");
    assert_eq!(active["lifecycle"], "active");
    assert_eq!(active["members"], 3);
    assert_eq!(
        memberships(&a, "schools"),
        vec![
            (format!("ada@{}", a.domain), "lead".to_string()),
            (format!("bob@{}", b.domain), "member".to_string()),
            (format!("carol@{}", c.domain), "member".to_string()),
        ]
    );
    let update = outbox_bodies(&a)
        .into_iter()
        .rfind(|x| x["type"] == "Update" && x["object"]["weft:lifecycle"] == "active")
        .expect("an Update(Group) saying active");
    assert_eq!(update["actor"], format!("{}/c/schools", a.base));
    for (instance, name) in [(&b, "B"), (&c, "C")] {
        eventually(
            &format!("{name}'s copy to show the community active"),
            WAIT,
            || async { (profile(instance, &schools).await["lifecycle"] == "active").then_some(()) },
        )
        .await;
    }

    // Out of turn: activating an active or archived community; reopening an active one.
    let (status, body) = ada
        .raw(Method::POST, "/api/v1/communities/schools/activate", None)
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = admin
        .raw(Method::POST, "/api/v1/communities/schools/reopen", None)
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = ada
        .raw(Method::POST, "/api/v1/communities/schools/archive", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = outbox_bodies(&a).len();
    for (who, action, expected) in [
        (&ada, "activate", 409),
        (&ada, "archive", 409),
        (&ada, "reopen", 403),
    ] {
        let (status, body) = who
            .raw(
                Method::POST,
                &format!("/api/v1/communities/schools/{action}"),
                None,
            )
            .await;
        assert_eq!(status, expected, "{action} an archived community: {body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(profile(&a, "schools").await["lifecycle"], "archived");
    }
    assert_eq!(outbox_bodies(&a).len(), sent, "refusals send nothing");
    eventually("B's copy to show the community archived", WAIT, || async {
        (profile(&b, &schools).await["lifecycle"] == "archived").then_some(())
    })
    .await;
    let (status, body) = admin
        .raw(Method::POST, "/api/v1/communities/schools/reopen", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lifecycle"], "active");
    assert_eq!(body["members"], 3, "reopening keeps the members");

    // Bad proposals save nothing.
    let bad = [
        json!({"name": "Bad Name", "title": "t", "about": "a", "why": "w", "confirmed": true}),
        json!({"name": "nowhy", "title": "t", "about": "a", "why": " ", "confirmed": true}),
        json!({"name": "noabout", "title": "t", "about": "", "why": "w", "confirmed": true}),
        json!({"name": "longabout", "title": "t", "about": "x".repeat(5001), "why": "w", "confirmed": true}),
        json!({"name": "undernobody", "title": "t", "about": "a", "why": "w", "parent": "cop", "confirmed": true}),
    ];
    for body in bad {
        let name = body["name"].as_str().unwrap().to_string();
        let (status, problem) = dan.raw(Method::POST, "/api/v1/proposals", Some(body)).await;
        assert!(status == 400 || status == 403, "{name}: {status} {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
        let (status, _) = dan
            .raw(
                Method::GET,
                &format!("/api/v1/communities/{}", name.to_lowercase()),
                None,
            )
            .await;
        assert!(status == 404 || status == 400, "{name} was not saved");
    }
}

//! Weft against an independent ActivityPub implementation: a Fedify peer (Node.js,
//! `tests/fedify-peer`, installed from npm) that verifies Weft's signatures with Fedify's
//! own verifier and records only verified activities.
//!
//! Needs Node.js and `npm ci` in `tests/fedify-peer` (`scripts/test.sh` runs it). Without
//! them this test fails rather than passing silently.

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

struct Peer {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    async fn start() -> Peer {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fedify-peer");
        let version = Command::new("node").arg("--version").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "Node.js is needed for the Fedify interop test: install it (Debian: apt-get install nodejs npm)"
        );
        assert!(
            dir.join("node_modules/@fedify/fedify").exists(),
            "the Fedify peer is not installed: run `npm ci` in {}",
            dir.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("node")
            .arg("peer.mjs")
            .arg(port.to_string())
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Fedify peer");
        let peer = Peer {
            child,
            base: format!("http://localhost:{port}"),
            http: reqwest::Client::new(),
        };
        eventually("the Fedify peer to start", WAIT, || async {
            peer.http
                .get(format!("{}/control/ready", peer.base))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success())
        })
        .await;
        peer
    }

    async fn call(&self, path: &str, body: Option<Value>) -> Value {
        let request = match body {
            Some(body) => self.http.post(format!("{}{path}", self.base)).json(&body),
            None => self.http.get(format!("{}{path}", self.base)),
        };
        let response = request.send().await.expect("peer reachable");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "peer {path}: {status} {value}");
        value
    }

    async fn received(&self) -> Vec<Value> {
        self.call("/control/received", None)
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn actor(&self) -> String {
        format!("{}/users/fedi", self.base)
    }
}

async fn followers(instance: &Instance, community: &str) -> i64 {
    let (_, json) = get_activity_json(&format!("{}/c/{community}/followers", instance.base)).await;
    json["totalItems"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_federates_with_a_fedify_peer() {
    let peer = Peer::start().await;
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let bob = b.user("bob");
    bob.follow(&a.handle("cop")).await;
    eventually("B's follow accepted", WAIT, || async {
        (bob.follow(&a.handle("cop")).await == "accepted").then_some(())
    })
    .await;

    // 1. Fedify reads a Weft community and a Weft member with its own vocabulary.
    let group = peer
        .call("/control/lookup", Some(json!({ "url": cop.ap_id })))
        .await;
    assert_eq!(group["type"], "Group", "{group}");
    assert_eq!(group["preferredUsername"], "cop");
    assert_eq!(group["inbox"], format!("{}/c/cop/inbox", a.base));
    assert_eq!(group["outbox"], format!("{}/c/cop/outbox", a.base));
    assert_eq!(group["followers"], format!("{}/c/cop/followers", a.base));
    assert_eq!(group["sharedInbox"], format!("{}/inbox", a.base));
    assert_eq!(
        group["publicKey"]["id"],
        format!("{}#main-key", cop.ap_id),
        "{group}"
    );
    assert_eq!(group["publicKey"]["owner"], cop.ap_id);
    let person = peer
        .call("/control/lookup", Some(json!({ "url": lead.actor.ap_id })))
        .await;
    assert_eq!(person["type"], "Person", "{person}");
    assert_eq!(person["publicKey"]["owner"], lead.actor.ap_id);
    // (Fedify resolves `acct:` handles over https only, so a handle lookup cannot be tried
    // against plain-http test instances; WebFinger is covered by the Weft-to-Weft tests.)

    // 2. Fedify follows the community and receives Weft's Accept (signature verified by Fedify).
    let follow = peer
        .call("/control/follow", Some(json!({ "target": cop.ap_id })))
        .await;
    let follow_id = follow["id"].as_str().unwrap().to_string();
    eventually("Fedify to receive the Accept", WAIT, || async {
        peer.received()
            .await
            .into_iter()
            .find(|a| a["type"] == "Accept" && a["actor"] == cop.ap_id)
    })
    .await;
    assert_eq!(
        followers(&a, "cop").await,
        2,
        "bob and fedi follow the community"
    );

    // 3. A Weft member posts; Fedify receives both Announces with the text intact.
    let thread = lead
        .post(
            &a.handle("cop"),
            "Reflective practice groups",
            "We meet fortnightly & share one case each.",
        )
        .await;
    let announces = eventually("Fedify to receive both Announces", WAIT, || async {
        let got: Vec<Value> = peer
            .received()
            .await
            .into_iter()
            .filter(|a| a["type"] == "Announce" && a["actor"] == cop.ap_id)
            .collect();
        (got.len() >= 2).then_some(got)
    })
    .await;
    let kinds: Vec<&str> = announces
        .iter()
        .filter_map(|a| a["objectType"].as_str())
        .collect();
    assert!(kinds.contains(&"Create"), "Announce(Create): {kinds:?}");
    assert!(kinds.contains(&"Page"), "Announce(Page): {kinds:?}");
    for announce in &announces {
        let text = announce["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("fortnightly &amp; share one case"),
            "text intact in {announce}"
        );
    }

    // 4. Fedify replies; Weft threads it and announces it to its other followers (B).
    let reply = peer
        .call(
            "/control/reply",
            Some(json!({ "inReplyTo": thread.ap_id, "community": cop.ap_id, "content": "<p>We do monthly, with a rota.</p>" })),
        )
        .await;
    let reply_id = reply["id"].as_str().unwrap().to_string();
    let on_a = eventually("A to thread Fedify's reply", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        (t.replies.len() == 1).then_some(t)
    })
    .await;
    assert_eq!(on_a.replies[0].ap_id, reply_id);
    assert_eq!(on_a.replies[0].author, peer.actor());
    eventually(
        "B to receive Fedify's reply through the community",
        WAIT,
        || async {
            let t = bob.lookup(&thread.ap_id).await?;
            t.replies.iter().any(|r| r.ap_id == reply_id).then_some(())
        },
    )
    .await;

    // 5. Fedify's first knock is an RFC 9421 signature; Weft answers 401 (it verifies
    // draft-cavage only) and Fedify falls back to draft-cavage, which Weft accepts. Each
    // activity is accepted exactly once, and nothing unverified is ever accepted.
    let outgoing = peer.call("/control/outgoing", None).await;
    let to_weft: Vec<&Value> = outgoing
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["url"].as_str().unwrap().starts_with(&a.base))
        .collect();
    for attempt in &to_weft {
        if attempt["rfc9421"] == true {
            assert_eq!(
                attempt["status"], 401,
                "an RFC 9421 attempt is refused, never accepted unverified: {attempt}"
            );
        }
    }
    let accepted: Vec<&&Value> = to_weft.iter().filter(|o| o["status"] == 202).collect();
    assert!(
        accepted.iter().all(|o| o["cavage"] == true),
        "accepted ones are draft-cavage: {to_weft:?}"
    );
    assert!(
        to_weft.iter().any(|o| o["rfc9421"] == true),
        "Fedify knocked with RFC 9421 first: {to_weft:?}"
    );
    assert_eq!(
        accepted.len(),
        2,
        "Follow and Create accepted once each: {to_weft:?}"
    );
    assert_eq!(
        peer.call("/control/unverified", None).await,
        json!([]),
        "Fedify verified all Weft sent"
    );

    // 6. Fedify unfollows; Weft stops delivering to it.
    peer.call(
        "/control/unfollow",
        Some(json!({ "target": cop.ap_id, "follow": follow_id })),
    )
    .await;
    eventually("A to drop Fedify from the followers", WAIT, || async {
        (followers(&a, "cop").await == 1).then_some(())
    })
    .await;
    let before = peer.received().await.len();
    let later = lead
        .post(
            &a.handle("cop"),
            "After the unfollow",
            "Only bob should get this.",
        )
        .await;
    eventually("B to receive the later post", WAIT, || async {
        bob.lookup(&later.ap_id).await
    })
    .await;
    eventually("A's queue to drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
    assert_eq!(
        peer.received().await.len(),
        before,
        "nothing more reached Fedify after it unfollowed"
    );
}

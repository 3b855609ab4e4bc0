//! Hostile and malformed deliveries are refused with a clear status and store nothing.

use chrono::{TimeDelta, Utc};
use std::time::Duration;
use weft_protocol::httpsig;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

fn create_note(author: &str, id: &str, community: &str) -> String {
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "id": format!("{id}/activity"),
        "actor": author,
        "to": ["https://www.w3.org/ns/activitystreams#Public", community],
        "object": {
            "type": "Page",
            "id": id,
            "attributedTo": author,
            "name": "Hello",
            "content": "<p>Hello <script>alert(1)</script></p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public", community],
            "audience": community
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_deliveries_are_refused_and_store_nothing() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    a.community("leads", &lead, true);
    let bob = b.user("bob");
    let mallory = b.user("mallory");
    let bob_key = signer_of(&b, &bob.actor);
    let inbox = format!("{}/inbox", a.base);
    let note_id = format!("{}/items/999", b.base);
    let body = create_note(&bob.actor.ap_id, &note_id, &cop.ap_id);

    let expect_refused = |what: &'static str, expected: u16, got: (u16, serde_json::Value)| {
        assert_eq!(got.0, expected, "{what}: {}", got.1);
        assert!(
            got.1["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: a problem body says why"
        );
    };

    // Unsigned.
    let digest = httpsig::digest_header(body.as_bytes());
    expect_refused(
        "unsigned",
        401,
        deliver(
            &inbox,
            &body,
            vec![
                ("digest", digest.clone()),
                ("content-type", "application/activity+json".into()),
            ],
        )
        .await,
    );
    // Only an RFC 9421 signature: 401, so a Fedify sender falls back to draft-cavage.
    expect_refused(
        "RFC 9421 only",
        401,
        deliver(
            &inbox,
            &body,
            vec![
                ("signature-input", "sig1=();created=1".into()),
                ("signature", String::new()),
            ],
        )
        .await,
    );
    // Signed with someone else's key under bob's key id.
    let forged = Signer {
        key_id: bob_key.key_id.clone(),
        key: signer_of(&b, &mallory.actor).key,
    };
    expect_refused(
        "wrong key",
        401,
        deliver(&inbox, &body, signed(&forged, &inbox, &body, Utc::now())).await,
    );
    // Validly signed by mallory, but claiming to be bob.
    let mallory_key = signer_of(&b, &mallory.actor);
    expect_refused(
        "actor mismatch",
        403,
        deliver(
            &inbox,
            &body,
            signed(&mallory_key, &inbox, &body, Utc::now()),
        )
        .await,
    );
    // Body changed after signing.
    let mut headers = signed(&bob_key, &inbox, &body, Utc::now());
    let tampered = body.replace("Hello", "Goodbye");
    expect_refused(
        "tampered body",
        401,
        deliver(&inbox, &tampered, headers.clone()).await,
    );
    // Dated in the future, or too old.
    expect_refused(
        "future date",
        401,
        deliver(
            &inbox,
            &body,
            signed(&bob_key, &inbox, &body, Utc::now() + TimeDelta::hours(2)),
        )
        .await,
    );
    expect_refused(
        "stale date",
        401,
        deliver(
            &inbox,
            &body,
            signed(&bob_key, &inbox, &body, Utc::now() - TimeDelta::hours(2)),
        )
        .await,
    );
    // Signed for another inbox path.
    let other = format!("{}/c/cop/inbox", a.base);
    expect_refused(
        "wrong target",
        401,
        deliver(&other, &body, signed(&bob_key, &inbox, &body, Utc::now())).await,
    );
    // Malformed JSON and oversize bodies.
    let junk = "{not json";
    expect_refused(
        "malformed",
        400,
        deliver(&inbox, junk, signed(&bob_key, &inbox, junk, Utc::now())).await,
    );
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(300 * 1024));
    let (status, _) = deliver(&inbox, &huge, vec![]).await;
    assert_eq!(status, 413, "oversize body");
    // An object attributed to someone else than the signer.
    let impersonation = create_note(&bob.actor.ap_id, &note_id, &cop.ap_id).replace(
        &format!("\"attributedTo\":\"{}\"", bob.actor.ap_id),
        &format!("\"attributedTo\":\"{}\"", mallory.actor.ap_id),
    );
    expect_refused(
        "attributedTo mismatch",
        403,
        deliver(
            &inbox,
            &impersonation,
            signed(&bob_key, &inbox, &impersonation, Utc::now()),
        )
        .await,
    );
    // Posting into a community where only moderators may post.
    let leads = format!("{}/c/leads", a.base);
    let into_leads = create_note(&bob.actor.ap_id, &format!("{}/items/998", b.base), &leads);
    expect_refused(
        "no right to post",
        403,
        deliver(
            &inbox,
            &into_leads,
            signed(&bob_key, &inbox, &into_leads, Utc::now()),
        )
        .await,
    );

    assert_eq!(a.item_count(), 0, "nothing was stored");
    headers = signed(&bob_key, &inbox, &body, Utc::now());

    // The genuine delivery is accepted once; its HTML is cleaned; a replay is dropped.
    let (status, answer) = deliver(&inbox, &body, headers.clone()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(a.item_count(), 1);
    let stored = eventually("A to store the post", WAIT, || async {
        lead.lookup(&note_id).await
    })
    .await;
    assert!(
        !stored.post.content.contains("script"),
        "remote HTML is sanitised: {}",
        stored.post.content
    );
    let (status, answer) = deliver(&inbox, &body, headers).await;
    assert_eq!(status, 202);
    assert_eq!(answer["status"], "ignored", "{answer}");
    assert_eq!(
        a.item_count(),
        1,
        "a replayed activity stores nothing twice"
    );
}

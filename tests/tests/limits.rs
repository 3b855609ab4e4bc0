//! Local limits agree with what peers take: a post of the most text Weft allows, in
//! four-byte characters with markdown that grows into HTML, reaches a Weft peer (whose
//! inbox takes 256 KiB); one character more is refused with 400 naming the limit, and
//! nothing is stored. An event's description is held to the same limit.

use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use weft_core::posts::MAX_CONTENT;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_post_reaches_a_peer_and_a_longer_one_is_refused() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let cop = a.handle("cop");
    let bob = b.user("bob");
    bob.follow_accepted(&cop).await;

    // "**𝄞**\n" is 6 characters of markdown and 26 bytes of HTML for each 4-byte note.
    let unit = "**𝄞**\n";
    let longest: String = unit.repeat(MAX_CONTENT / unit.chars().count());
    assert!(longest.chars().count() <= MAX_CONTENT);
    let post = lead.post(&cop, "The longest post", &longest).await;
    eventually("the longest post to reach B", WAIT, || async {
        bob.lookup(&post.ap_id).await.map(|_| ())
    })
    .await;

    let items = a.item_count();
    let too_long = "x".repeat(MAX_CONTENT + 1);
    let (status, body) = lead
        .raw(
            Method::POST,
            "/api/v1/posts",
            Some(json!({ "community": cop, "title": "Too long", "content": too_long })),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&MAX_CONTENT.to_string()),
        "{body}"
    );
    let (status, body) = lead
        .raw(
            Method::PATCH,
            &format!("/api/v1/posts/{}", post.id),
            Some(json!({ "content": too_long })),
        )
        .await;
    assert_eq!(status, 400, "an edit too: {body}");
    let starts = Utc::now() + Days::new(3);
    let (status, body) = lead
        .schedule(
            &cop,
            json!({ "title": "Circle", "description": too_long,
                    "starts_at": starts.to_rfc3339(), "online_url": "https://meet.example.org/c" }),
        )
        .await;
    assert_eq!(status, 400, "an event's description: {body}");
    assert_eq!(a.item_count(), items, "nothing refused was stored");
}

//! Three Weft instances federating over HTTP: a member on B follows a community on A, a
//! member on C posts into it, B and C receive the community's Announces, a reply from B is
//! threaded everywhere, and an edit and a delete propagate. Run on SQLite, and on
//! PostgreSQL when `WEFT_TEST_POSTGRES_URL` is set.

use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_sqlite() {
    three_instances(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        three_instances(backend).await;
    }
}

async fn three_instances(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let c = Instance::start("c", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let bob = b.user("bob");
    let carol = c.user("carol");
    let cop = a.handle("cop");

    // B and C follow the community on A; A accepts.
    bob.follow(&cop).await;
    carol.follow(&cop).await;
    eventually("A to count two followers", WAIT, || async {
        let (_, followers) = get_activity_json(&format!("{}/c/cop/followers", a.base)).await;
        (followers["totalItems"] == 2).then_some(())
    })
    .await;
    eventually("B's follow to be accepted", WAIT, || async {
        (bob.follow(&cop).await == "accepted").then_some(())
    })
    .await;

    // A member on C starts a thread in the community on A.
    let thread = carol
        .post(
            &cop,
            "Grounding techniques for group sessions",
            "What works for you when a session gets overwhelming?",
        )
        .await;
    assert!(
        thread.ap_id.starts_with(&c.base),
        "the post lives on C: {}",
        thread.ap_id
    );

    // A accepted it into the community; B sees it in the community's feed.
    let on_a = eventually("A to store the thread", WAIT, || async {
        lead.lookup(&thread.ap_id).await
    })
    .await;
    assert_eq!(
        on_a.post.title.as_deref(),
        Some("Grounding techniques for group sessions")
    );
    let feed_a = lead.feed(&cop).await;
    assert_eq!(feed_a.len(), 1);
    assert_eq!(feed_a[0].how, "created");
    let on_b = eventually("B to receive the Announce", WAIT, || async {
        bob.lookup(&thread.ap_id).await
    })
    .await;
    assert!(on_b.post.content.contains("overwhelming"));
    assert_eq!(
        on_b.post.author, carol.actor.ap_id,
        "the original author is kept"
    );
    let feed_b = bob.feed(&cop).await;
    assert_eq!(
        feed_b.len(),
        1,
        "the two Announces (Create and bare Page) store one post"
    );

    // A served both forms of Announce from the community's outbox.
    let (_, page) = get_activity_json(&format!("{}/c/cop/outbox?page=true", a.base)).await;
    let kinds: Vec<String> = page["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}({})",
                a["type"].as_str().unwrap(),
                a["object"]["type"].as_str().unwrap_or("link")
            )
        })
        .collect();
    assert!(kinds.contains(&"Announce(Create)".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"Announce(Page)".to_string()), "{kinds:?}");

    // A reply from B is threaded on A and reaches C through the community.
    let reply = bob
        .reply(&thread.ap_id, "Box breathing, counted out loud together.")
        .await;
    let thread_on_c = eventually("C to see B's reply in the thread", WAIT, || async {
        let t = carol.lookup(&thread.ap_id).await?;
        (t.replies.len() == 1).then_some(t)
    })
    .await;
    assert_eq!(thread_on_c.replies[0].ap_id, reply.ap_id);
    assert_eq!(
        thread_on_c.replies[0].in_reply_to.as_deref(),
        Some(thread.ap_id.as_str())
    );
    // B also sent the reply straight to C (the thread's author is cc'd), so A may store it
    // a moment after C.
    eventually("A to thread B's reply", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        (t.replies.len() == 1).then_some(())
    })
    .await;

    // The author edits the thread on C: A and B see the new text.
    carol
        .edit(
            thread.id,
            Some("Grounding techniques (updated)"),
            "Edited: what works when a session gets overwhelming?",
        )
        .await;
    eventually("B to see the edit", WAIT, || async {
        let t = bob.lookup(&thread.ap_id).await?;
        (t.post.title.as_deref() == Some("Grounding techniques (updated)")
            && t.post.content.contains("Edited"))
        .then_some(())
    })
    .await;

    // B deletes the reply: it disappears from the thread on A and C.
    // B sends the Delete to A and, as the thread's author is cc'd, straight to C: the two
    // arrive in either order.
    bob.delete(reply.id).await;
    for (instance, member) in [("A", &lead), ("C", &carol)] {
        eventually(
            &format!("{instance} to drop the deleted reply"),
            WAIT,
            || async {
                let t = member.lookup(&thread.ap_id).await?;
                t.replies.is_empty().then_some(())
            },
        )
        .await;
    }
    let (status, tombstone) = get_activity_json(&reply.ap_id).await;
    assert_eq!(status, 410, "a deleted post is served as a Tombstone");
    assert_eq!(tombstone["type"], "Tombstone");

    // Everything queued was delivered.
    for instance in [&a, &b, &c] {
        eventually("queues to drain", WAIT, || async {
            (instance.queued() == 0).then_some(())
        })
        .await;
    }

    // Unfollowing stops delivery to B.
    bob.unfollow(&cop).await;
    eventually("A to drop B from the followers", WAIT, || async {
        let (_, followers) = get_activity_json(&format!("{}/c/cop/followers", a.base)).await;
        (followers["totalItems"] == 1).then_some(())
    })
    .await;
    let later = lead.post(&cop, "Next meeting", "Thursday, online.").await;
    eventually("C to receive the later post", WAIT, || async {
        carol.lookup(&later.ap_id).await
    })
    .await;
    assert!(
        bob.lookup(&later.ap_id).await.is_none(),
        "B unfollowed and gets nothing new"
    );
}

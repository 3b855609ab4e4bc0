//! Feeds are threads: a community feed lists threads (with reply counts and the last
//! activity, paged by cursor), a thread view lists its replies in order, and deleting a
//! thread hides its replies on every instance that stored them. Both backends.

use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_of_threads_on_sqlite() {
    feeds_of_threads(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_of_threads_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        feeds_of_threads(backend).await;
    }
}

async fn feeds_of_threads(backend: Backend) {
    let Pair {
        a: _a,
        b: _b,
        lead,
        bob,
        cop,
    } = pair(&backend).await;

    let first = lead
        .post(&cop, "Handover notes", "What goes in yours?")
        .await;
    let on_b = eventually("B to get the thread", WAIT, || async {
        bob.lookup(&first.ap_id).await
    })
    .await;
    let r1 = bob.reply(&on_b.post.ap_id, "Risks first.").await;
    let r2 = lead.reply(&first.ap_id, "Then what changed today.").await;
    let r3 = bob.reply(&on_b.post.ap_id, "And who to call.").await;
    let second = lead.post(&cop, "Rotas", "Who covers Fridays?").await;
    let third = lead.post(&cop, "Reading list", "Add yours.").await;

    // The feed lists the three threads, newest first, never the replies; the first
    // thread has three replies and its last activity is its last reply.
    for (who, member) in [("A", &lead), ("B", &bob)] {
        let feed = eventually(
            &format!("{who} to see three threads, three replies"),
            WAIT,
            || async {
                let feed = member.feed(&cop).await;
                (feed.len() == 3 && feed.iter().any(|e| e.reply_count == 3)).then_some(feed)
            },
        )
        .await;
        // Newest placement first: on B, in the order the Announces arrived.
        let mut titles: Vec<_> = feed.iter().map(|e| e.post.title.clone().unwrap()).collect();
        if who == "B" {
            titles.sort();
            assert_eq!(titles, ["Handover notes", "Reading list", "Rotas"], "{who}");
        } else {
            assert_eq!(titles, ["Reading list", "Rotas", "Handover notes"], "{who}");
        }
        let handover = feed
            .iter()
            .find(|e| e.post.title.as_deref() == Some("Handover notes"))
            .unwrap();
        assert!(
            feed.iter()
                .filter(|e| e.post.id != handover.post.id)
                .all(|e| e.reply_count == 0),
            "{who}"
        );
        // Its last activity is its latest reply.
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let replies = member.lookup(&handover.post.ap_id).await.unwrap().replies;
        let latest = replies.iter().map(|r| at(&r.published)).max().unwrap();
        assert_eq!(
            at(&handover.last_activity_at),
            latest,
            "{who}: {handover:?}"
        );
        // Cursor paging: two, then the rest.
        let (status, page) = member
            .raw(
                reqwest::Method::GET,
                &format!("/api/v1/communities/{cop}/feed?limit=2"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        let page: Vec<FeedEntryView> = serde_json::from_value(page).unwrap();
        assert_eq!(page.len(), 2);
        let (_, rest) = member
            .raw(
                reqwest::Method::GET,
                &format!(
                    "/api/v1/communities/{cop}/feed?limit=2&before={}",
                    page[1].placement_id
                ),
                None,
            )
            .await;
        let rest: Vec<FeedEntryView> = serde_json::from_value(rest).unwrap();
        assert_eq!(rest.len(), 1, "{who}");
        assert_eq!(rest[0].post.id, feed[2].post.id, "{who}");
    }
    // The thread view lists the replies in order.
    let (status, thread) = lead
        .raw(
            reqwest::Method::GET,
            &format!("/api/v1/posts/{}", first.id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{thread}");
    let thread: ThreadView = serde_json::from_value(thread).unwrap();
    let replies: Vec<_> = thread.replies.iter().map(|r| r.ap_id.clone()).collect();
    assert_eq!(
        replies,
        [r1.ap_id.clone(), r2.ap_id.clone(), r3.ap_id.clone()]
    );
    let on_b = bob.lookup(&first.ap_id).await.unwrap();
    assert_eq!(on_b.replies.len(), 3);

    // The lead deletes the thread: gone from the feed on both instances, and its
    // replies hidden wherever they are looked for.
    lead.delete(first.id).await;
    for (who, member) in [("A", &lead), ("B", &bob)] {
        eventually(
            &format!("{who} to drop the deleted thread"),
            WAIT,
            || async {
                let feed = member.feed(&cop).await;
                (feed.len() == 2).then_some(())
            },
        )
        .await;
        for reply in [&r1, &r2, &r3] {
            assert!(
                member.lookup(&reply.ap_id).await.is_none(),
                "{who} hides {} of a deleted thread",
                reply.ap_id
            );
        }
        let thread = member.lookup(&first.ap_id).await.unwrap();
        assert!(thread.post.deleted);
        assert!(thread.replies.is_empty(), "{who}");
    }
    let titles: Vec<_> = lead.feed(&cop).await.iter().map(|e| e.post.id).collect();
    assert_eq!(titles, [third.id, second.id]);
}

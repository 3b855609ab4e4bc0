//! The delivery queue survives a restart: B is down while A publishes; A's process is
//! stopped with deliveries still queued and started again; when B comes back it receives
//! everything, exactly once.

use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_survive_a_restart_on_sqlite() {
    survives_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_deliveries_survive_a_restart_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        survives_restart(backend).await;
    }
}

async fn survives_restart(backend: Backend) {
    let mut a = Instance::start("a", &backend);
    let mut b = Instance::start("b", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let bob = b.user("bob");
    let cop = a.handle("cop");
    bob.follow(&cop).await;
    eventually("B's follow to be accepted", WAIT, || async {
        (bob.follow(&cop).await == "accepted").then_some(())
    })
    .await;

    b.stop();
    let first = lead
        .post(&cop, "Supervision rota", "Who can cover December?")
        .await;
    let second = lead
        .post(&cop, "Reading list", "Three papers on vicarious trauma.")
        .await;
    lead.edit(first.id, None, "Who can cover December and January?")
        .await;
    let gone = lead.post(&cop, "Draft", "Posted by mistake.").await;
    lead.delete(gone.id).await;

    // A tried, failed, and kept everything queued; then A "crashes" and comes back.
    eventually("A to attempt delivery and fail", WAIT, || async {
        let failures: i32 =
            a.db.read_blocking(|c| weft_db::outbox::instance_by_domain(c, &b.domain))
                .unwrap()
                .map(|i| i.consecutive_failures)
                .unwrap_or(0);
        (failures > 0).then_some(())
    })
    .await;
    let queued = a.queued();
    assert!(
        queued >= 5,
        "creates, edit, delete stay queued while B is down (found {queued})"
    );
    a.restart();
    assert_eq!(a.queued(), queued, "nothing queued is lost in the restart");

    b.restart();
    let lookup = |ap_id: String| {
        let bob = &bob;
        async move { bob.lookup(&ap_id).await }
    };
    eventually("B to receive the edited first post", WAIT, || async {
        let t = lookup(first.ap_id.clone()).await?;
        t.post.content.contains("January").then_some(())
    })
    .await;
    eventually("B to receive the second post", WAIT, || {
        lookup(second.ap_id.clone())
    })
    .await;
    eventually("A's queue to drain", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;

    // Exactly once: B stored each post once, and the deleted one is gone from the feed.
    let feed = bob.feed(&cop).await;
    let mut ids: Vec<&str> = feed.iter().map(|e| e.post.ap_id.as_str()).collect();
    ids.sort();
    let mut expected = vec![first.ap_id.as_str(), second.ap_id.as_str()];
    expected.sort();
    assert_eq!(
        ids, expected,
        "B's feed holds each post once and not the deleted one"
    );
    let deleted_on_b = bob.lookup(&gone.ap_id).await;
    assert!(
        deleted_on_b.is_none_or(|t| t.post.deleted),
        "the deleted post is deleted on B too"
    );
    assert_eq!(b.item_count(), 3, "three posts arrived, none twice");
}

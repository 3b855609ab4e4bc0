//! A community's upcoming events, a page at a time: soonest first, then on after the last
//! event of the page before (by its start, then its id); a cursor that names no event is
//! a 400.

use serde_json::json;
use weft_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_page_on_sqlite() {
    events_page_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_page_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        events_page_on(backend).await;
    }
}

async fn events_page_on(backend: Backend) {
    let a = Instance::start("a", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let cop = a.handle("cop");
    let soon = chrono::Utc::now() + chrono::Duration::days(3);
    // Scheduled out of order; two start at the same time (the id decides between them).
    for (title, days) in [("Third", 5), ("First", 0), ("Second", 0), ("Fourth", 9)] {
        let starts = soon + chrono::Duration::days(days);
        let (status, body) = lead
            .schedule(
                &cop,
                json!({"title": title, "description": "Meet.", "starts_at": starts.to_rfc3339(),
                    "timezone": "Europe/London", "online_url": "https://meet.example.org/x"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let list = |query: String| {
        let lead = &lead;
        let cop = cop.clone();
        async move {
            lead.raw(
                reqwest::Method::GET,
                &format!("/api/v1/communities/{cop}/events?{query}"),
                None,
            )
            .await
        }
    };
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, page) = list("limit=2".into()).await;
    assert_eq!(status, 200, "{page}");
    // "First" and "Second" start together: the one scheduled first (lower id) comes first.
    assert_eq!(titles(&page), ["First", "Second"]);
    let last = page[1]["id"].as_i64().unwrap();
    let (_, next) = list(format!("limit=2&after={last}")).await;
    assert_eq!(titles(&next), ["Third", "Fourth"]);
    let (_, rest) = list(format!("after={}", next[1]["id"])).await;
    assert!(rest.as_array().unwrap().is_empty());
    let (status, problem) = list("after=abc".into()).await;
    assert_eq!(status, 400, "{problem}");
    let (status, problem) = list("after=999999".into()).await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("names no event"),
        "{problem}"
    );
}

//! Answers that hold under any request, and honest answers about posts: paging
//! parameters validated everywhere, large collection pages served whole, a cache that
//! junk parameters cannot fill, pending and refused posts into remote communities, and
//! plain errors for unknown or unreachable communities. Multi-instance, both backends.

use serde_json::Value;
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

async fn get(url: &str) -> (u16, Value, Option<String>, String) {
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-weft-cache")
        .map(|v| v.to_str().unwrap().to_string());
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, cache, content_type)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_cache_on_sqlite() {
    paging_and_cache(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_cache_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        paging_and_cache(backend).await;
    }
}

async fn paging_and_cache(backend: Backend) {
    let Pair {
        a,
        b,
        lead,
        bob,
        cop,
    } = pair(&backend).await;

    // Nonsense page numbers, cursors and limits: 400 with a problem body; a page past
    // the end is an honest empty page.
    let c = format!("{}/c/cop", a.base);
    let u = format!("{}/u/lead", a.base);
    for (url, expected) in [
        (format!("{c}/followers?page=9223372036854775807"), 400),
        (format!("{c}/followers?page=-1"), 400),
        (format!("{c}/followers?page=0"), 400),
        (format!("{c}/followers?page=abc"), 400),
        (format!("{c}/followers?page=1.5"), 400),
        (format!("{u}/following?page=9223372036854775807"), 400),
        (format!("{u}/following?page=x"), 400),
        (format!("{c}/moderators?page=-7"), 400),
        (format!("{c}/outbox?page=-1"), 400),
        (format!("{c}/outbox?page=abc"), 400),
        (format!("{c}/followers?page=999999"), 200),
        (format!("{u}/following?page=999999"), 200),
        (format!("{c}/moderators?page=50"), 200),
        (format!("{c}/outbox?page=9223372036854775807"), 200),
    ] {
        let (status, body, _, content_type) = get(&url).await;
        assert_eq!(status, expected, "{url}: {body}");
        if expected == 400 {
            assert!(
                body["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{url}: a problem body says why: {body}"
            );
            assert_eq!(content_type, "application/problem+json", "{url}");
        } else if !url.contains("outbox") {
            assert_eq!(body["type"], "OrderedCollectionPage", "{url}: {body}");
            assert_eq!(body["orderedItems"], serde_json::json!([]), "{url}: {body}");
        }
    }
    // Pages hold what is there: the follower on page 1, following and moderators paged.
    let (_, page, _, _) = get(&format!("{c}/followers?page=1")).await;
    assert_eq!(page["orderedItems"], serde_json::json!([bob.actor.ap_id]));
    let (_, page, _, _) = get(&format!("{}/u/bob/following?page=1", b.base)).await;
    assert_eq!(page["orderedItems"], serde_json::json!([format!("{c}")]));
    let (_, page, _, _) = get(&format!("{}/u/bob/following", b.base)).await;
    assert_eq!(page["totalItems"], 1, "{page}");
    let (_, page, _, _) = get(&format!("{c}/moderators?page=1")).await;
    assert_eq!(page["orderedItems"], serde_json::json!([lead.actor.ap_id]));

    // API lists: the same rules.
    for (path, expected) in [
        (format!("/api/v1/communities/{cop}/feed?limit=abc"), 400),
        (format!("/api/v1/communities/{cop}/feed?limit=-1"), 400),
        (format!("/api/v1/communities/{cop}/feed?limit=0"), 400),
        (format!("/api/v1/communities/{cop}/feed?before=x"), 400),
        (
            format!("/api/v1/communities/{cop}/feed?before=-9223372036854775808"),
            400,
        ),
        (format!("/api/v1/communities/{cop}/events?limit=lots"), 400),
        (
            format!("/api/v1/communities/{cop}/feed?limit=9223372036854775807"),
            200,
        ),
        (
            format!("/api/v1/communities/{cop}/feed?before=9223372036854775807"),
            200,
        ),
        (
            format!("/api/v1/communities/{cop}/events?limit=100000"),
            200,
        ),
    ] {
        let (status, body) = lead.raw(reqwest::Method::GET, &path, None).await;
        assert_eq!(status, expected, "{path}: {body}");
        if expected == 400 {
            assert!(body["detail"].as_str().is_some(), "{path}: {body}");
        }
    }

    // Twenty long posts: the outbox page that holds them all is larger than the cache
    // keeps; it is served whole, uncached, not as a 500.
    let long = "Notes from the supervision circle. ".repeat(550);
    assert!(long.len() > 19_000 && long.chars().count() <= weft_core::posts::MAX_CONTENT);
    for i in 0..20 {
        lead.post(&cop, &format!("Long thread {i}"), &long).await;
    }
    let (status, page, cache, _) = get(&format!("{u}/outbox?page=true")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(cache.as_deref(), Some("uncached"));
    let size = serde_json::to_string(&page).unwrap().len();
    assert!(
        size > 256 * 1024,
        "larger than the cache keeps: {size} bytes"
    );
    println!("an outbox page of twenty long posts: {size} bytes, served whole");
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    for item in items {
        assert_eq!(item["type"], "Create");
        assert!(item["object"]["content"].as_str().unwrap().len() > 19_000);
    }
    let (status, page, _, _) = get(&format!("{c}/outbox?page=true")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["orderedItems"].as_array().unwrap().len(), 20);

    // The cache is keyed by the known parameters only: a request with a new junk
    // parameter is answered from the entry the previous one made (unless something was
    // written in between, so try a few pairs).
    for i in [&a, &b] {
        eventually("queues drain", WAIT, || async {
            (i.queued() == 0).then_some(())
        })
        .await;
    }
    let mut n = 0;
    eventually("a junk parameter to hit the same cache entry", WAIT, || {
        n += 2;
        let (first, second) = (
            format!("{c}/followers?page=1&junk={n}"),
            format!("{c}/followers?page=0001&junk={}&more=x", n + 1),
        );
        async move {
            let (s1, p1, _, _) = get(&first).await;
            let (s2, p2, cache, _) = get(&second).await;
            assert_eq!((s1, s2), (200, 200));
            assert_eq!(p1, p2);
            (cache.as_deref() == Some("hit")).then_some(())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_and_refused_posts_on_sqlite() {
    pending_and_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_and_refused_posts_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        pending_and_refused(backend).await;
    }
}

async fn pending_and_refused(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    a.community("open", &lead, false);
    a.community("leads", &lead, true);
    let (open, leads) = (a.handle("open"), a.handle("leads"));
    let bob = b.user("bob");
    let carol = b.user("carol");

    // A thread into a community where only moderators start threads: pending at first,
    // then refused with A's reason (A's Reject), and A stores nothing.
    let refused = bob
        .post(&leads, "May I post here?", "A question for the leads.")
        .await;
    assert_eq!(refused.state, "pending", "{refused:?}");
    let seen = eventually("B to mark the post refused", WAIT, || async {
        let t = bob.lookup(&refused.ap_id).await?;
        (t.post.refusal.as_deref()
            == Some("only the leads and facilitators of leads may start threads there"))
        .then_some(t)
    })
    .await;
    assert_eq!(seen.post.state, "refused");
    assert!(
        lead.lookup(&refused.ap_id).await.is_none(),
        "A stores nothing"
    );
    let reject = outbox_bodies(&a)
        .into_iter()
        .find(|body| body["type"] == "Reject")
        .expect("A sent a Reject");
    assert_eq!(reject["actor"], format!("{}/c/leads", a.base));
    assert_eq!(reject["object"]["type"], "Create");
    assert_eq!(reject["object"]["object"], refused.ap_id);
    assert_eq!(reject["to"], serde_json::json!([bob.actor.ap_id]));
    // Its author sees it, with its state; nobody else does.
    let mine = bob.feed(&leads).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].post.state, "refused");
    assert!(carol.feed(&leads).await.is_empty());
    assert!(carol.lookup(&refused.ap_id).await.is_none());

    // A permitted thread: pending until A's Announce reaches B (nobody on B follows the
    // community: A tells the author's instance), then published, and seen by others.
    let taken = bob
        .post(&open, "Reflective practice", "How do you keep a log?")
        .await;
    assert_eq!(taken.state, "pending");
    assert!(
        carol.lookup(&taken.ap_id).await.is_none(),
        "not shown to others while pending"
    );
    eventually("B to see the post published", WAIT, || async {
        let t = bob.lookup(&taken.ap_id).await?;
        (t.post.state == "published").then_some(())
    })
    .await;
    assert!(lead.lookup(&taken.ap_id).await.is_some(), "A took it");
    let theirs = carol.feed(&open).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].post.ap_id, taken.ap_id);
    assert_eq!(theirs[0].post.state, "published");
    assert!(theirs[0].post.refusal.is_none());
}

/// A tiny server that answers every request with `status` and `body`.
async fn junk_server(status: u16, body: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("localhost:{}", addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_unreachable_communities() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let bob = b.user("bob");
    let nobody = a.handle("nobody");

    // A real instance that knows no such community: 404, saying so.
    let feed = format!("/api/v1/communities/{nobody}/feed");
    let (status, body) = bob.raw(reqwest::Method::GET, &feed, None).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["detail"],
        format!("no community nobody is known at {}", a.domain)
    );
    let (status, body) = bob
        .raw(
            reqwest::Method::POST,
            "/api/v1/posts",
            Some(serde_json::json!({"community": nobody, "title": "Hi", "content": "Hello"})),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = bob
        .raw(
            reqwest::Method::POST,
            "/api/v1/follows",
            Some(serde_json::json!({ "actor": nobody })),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("is known at"));

    // Servers that answer junk, fail, or are not there: 502 naming the server and what
    // it answered, never what it sent.
    let secret = r#"{"garbage": "SECRET-DOCUMENT-TEXT"}"#;
    let garbage = junk_server(200, secret).await;
    let failing = junk_server(500, "SECRET-DOCUMENT-TEXT").await;
    // WebFinger that points at an actor document that is not one.
    let pointing = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("localhost:{}", listener.local_addr().unwrap().port());
        let jrd = serde_json::json!({
            "subject": format!("acct:cop@{host}"),
            "links": [{"rel": "self", "type": "application/activity+json",
                       "href": format!("http://{host}/actor/cop")}]
        });
        let app = axum::Router::new()
            .route(
                "/.well-known/webfinger",
                axum::routing::get(move || async move { axum::Json(jrd) }),
            )
            .fallback(|| async {
                (
                    [("content-type", "application/activity+json")],
                    r#"{"id": 1, "SECRET-DOCUMENT-TEXT": true}"#,
                )
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        host
    };
    let closed = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("localhost:{port}")
    };
    for (host, says) in [
        (&garbage, "not a WebFinger document"),
        (&failing, "answered WebFinger with 500"),
        (&pointing, "is not an ActivityPub document"),
        (&closed, "could not be reached"),
    ] {
        let handle = format!("cop@{host}");
        for (method, path, body) in [
            (
                reqwest::Method::GET,
                format!("/api/v1/communities/{handle}/feed"),
                None,
            ),
            (
                reqwest::Method::POST,
                "/api/v1/follows".to_string(),
                Some(serde_json::json!({ "actor": handle })),
            ),
        ] {
            let (status, answer) = bob.raw(method, &path, body).await;
            assert_eq!(status, 502, "{handle}: {answer}");
            let detail = answer["detail"].as_str().unwrap();
            assert!(detail.contains(host.as_str()), "names the server: {detail}");
            assert!(detail.contains(says), "{handle}: {detail}");
            assert!(
                !detail.contains("SECRET"),
                "echoes nothing fetched: {detail}"
            );
            assert!(!detail.contains("missing field"), "{detail}");
        }
    }
    assert_eq!(b.item_count(), 0);
}

/// A community on a server that refuses posts with a 4xx and sends no `Reject` (a peer
/// that is not Weft): the permanent refusal of the delivery marks the post refused, with
/// what the server said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_refused_by_the_community_server_on_sqlite() {
    refused_by_server(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_refused_by_the_community_server_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        refused_by_server(backend).await;
    }
}

async fn refused_by_server(backend: Backend) {
    let b = Instance::start("b", &backend);
    let bob = b.user("bob");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("localhost:{}", listener.local_addr().unwrap().port());
    let id = format!("http://{host}/c/strict");
    let keys = weft_core::keys::generate();
    let group = serde_json::json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "type": "Group",
        "id": id,
        "preferredUsername": "strict",
        "inbox": format!("http://{host}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.public_pem}
    });
    let jrd = serde_json::json!({
        "subject": format!("acct:strict@{host}"),
        "links": [{"rel": "self", "type": "application/activity+json", "href": id}]
    });
    let app = axum::Router::new()
        .route(
            "/.well-known/webfinger",
            axum::routing::get(move || async move { axum::Json(jrd) }),
        )
        .route(
            "/c/strict",
            axum::routing::get(move || async move {
                (
                    [("content-type", "application/activity+json")],
                    group.to_string(),
                )
            }),
        )
        .route(
            "/inbox",
            axum::routing::post(|| async {
                (
                    axum::http::StatusCode::FORBIDDEN,
                    [("content-type", "application/problem+json")],
                    r#"{"status": 403, "detail": "strangers may not post here"}"#,
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let post = bob
        .post(&format!("strict@{host}"), "Hello", "May I join in?")
        .await;
    assert_eq!(post.state, "pending");
    let seen = eventually("B to mark the post refused", WAIT, || async {
        let t = bob.lookup(&post.ap_id).await?;
        (t.post.state == "refused").then_some(t)
    })
    .await;
    assert_eq!(
        seen.post.refusal.as_deref(),
        Some("the community's server answered 403 Forbidden: strangers may not post here")
    );
}

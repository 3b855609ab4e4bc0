//! Text on the wire, and who Weft talks to: titles travel as plain text, markdown is
//! rendered (and cleaned) wherever it comes in, `GET /` answers the instance actor, and
//! an actor without `preferredUsername` can sign requests.

use chrono::Utc;
use serde_json::{Value, json};
use std::time::Duration;
use weft_tests::scenario::label;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_are_plain_text_and_markdown_is_rendered_sqlite() {
    titles_and_markdown(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_are_plain_text_and_markdown_is_rendered_postgres() {
    if let Some(backend) = Backend::postgres() {
        titles_and_markdown(backend).await;
    }
}

async fn titles_and_markdown(backend: Backend) {
    let Pair {
        a,
        b: _b,
        lead,
        bob,
        cop,
    } = pair(&backend).await;

    let title = "Q&A <b>x</b>";
    let markdown = "Meet in **three** groups.\n\n\
                    See [the guide](https://example.org/guide).<script>alert(1)</script>";
    let thread = lead.post(&cop, title, markdown).await;
    assert_eq!(thread.title.as_deref(), Some(title), "the API returns text");
    assert!(
        thread.content.contains("<strong>three</strong>"),
        "{}",
        thread.content
    );

    // On the wire: name is the text as written, content is rendered and cleaned, the
    // markdown rides in `source`, and the summary is the rendered text.
    let sent = outbox_bodies(&a);
    let create = sent
        .iter()
        .find(|s| label(s) == "Announce(Create(Page))")
        .expect("the thread was announced");
    let page = &create["object"]["object"];
    assert_eq!(page["name"], title);
    let content = page["content"].as_str().unwrap();
    assert!(
        content.contains("<p>Meet in <strong>three</strong> groups.</p>"),
        "{content}"
    );
    assert!(
        content.contains(
            r#"<a href="https://example.org/guide" rel="nofollow noopener ugc">the guide</a>"#
        ),
        "{content}"
    );
    assert!(!content.contains("script"), "{content}");
    assert_eq!(page["source"]["content"], markdown);
    assert_eq!(page["summary"], "Meet in three groups. See the guide.");

    // At the peer: a title from another server is made text before it is stored, so no
    // markup is ever stored in a title: `&` stays `&` (no `&amp;`), tags are dropped.
    let on_b = eventually("B gets the thread", WAIT, || async {
        bob.lookup(&thread.ap_id).await
    })
    .await;
    assert_eq!(on_b.post.title.as_deref(), Some("Q&A x"));
    assert!(on_b.post.content.contains("<strong>three</strong>"));

    // A reply's markdown is rendered too, and reaches the thread's instance rendered.
    let reply = bob.reply(&thread.ap_id, "Yes, in **threes**.").await;
    let on_a = eventually("A gets the reply", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        t.replies.into_iter().find(|r| r.ap_id == reply.ap_id)
    })
    .await;
    assert!(
        on_a.content.contains("<strong>threes</strong>"),
        "{}",
        on_a.content
    );

    // An edited title stays text too.
    lead.edit(thread.id, Some("Q&A, again"), "Still **three**.")
        .await;
    eventually("B gets the edit", WAIT, || async {
        let t = bob.lookup(&thread.ap_id).await?;
        (t.post.title.as_deref() == Some("Q&A, again")).then_some(())
    })
    .await;
}

/// A community's domain statement is markdown: its `summary` is rendered, its `source`
/// keeps the markdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_summary_is_rendered_markdown() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    let statement = "We share **practice** in _trauma-informed_ care.";
    let urls = a.urls();
    a.db.write_blocking(|c| {
        weft_core::accounts::create_community(
            c,
            &urls,
            &weft_core::accounts::NewCommunity {
                name: "tic",
                title: "Trauma-informed care & practice",
                domain_statement: statement,
                terms_of_reference: "",
                posting_restricted_to_mods: false,
                lead: Some(&lead.actor),
            },
            weft_core::keys::generate(),
        )
    })
    .unwrap();
    let (status, group) = get_activity_json(&format!("{}/c/tic", a.base)).await;
    assert_eq!(status, 200);
    assert_eq!(
        group["summary"],
        "<p>We share <strong>practice</strong> in <em>trauma-informed</em> care.</p>\n"
    );
    assert_eq!(group["source"]["content"], statement);
    assert_eq!(group["name"], "Trauma-informed care & practice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_answers_the_instance_actor_to_activitypub_clients() {
    let a = Instance::start("a", &Backend::Sqlite);
    let http = reqwest::Client::new();
    let get = |accept: &'static str| {
        let http = http.clone();
        let url = format!("{}/", a.base);
        async move {
            let response = http.get(url).header("accept", accept).send().await.unwrap();
            let status = response.status().as_u16();
            let vary = response
                .headers()
                .get("vary")
                .map(|v| v.to_str().unwrap().to_string());
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, vary, kind, response.text().await.unwrap())
        }
    };
    let (_, actor) = get_activity_json(&format!("{}/actor", a.base)).await;
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        "text/html, application/activity+json;q=0.9",
    ] {
        let (status, vary, kind, body) = get(accept).await;
        assert_eq!(status, 200, "{accept}: {body}");
        assert_eq!(vary.as_deref(), Some("Accept"));
        assert!(kind.starts_with("application/activity+json"), "{kind}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json, actor, "GET / with {accept} is the instance actor");
        assert_eq!(json["type"], "Application");
    }
    // A browser gets the web interface's directory, anyone else a line of text, and the
    // answers never mix (asked in turn).
    for _ in 0..2 {
        let (status, vary, kind, body) = get("text/html").await;
        assert_eq!(status, 200);
        assert_eq!(vary.as_deref(), Some("Accept"));
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(
            body.contains(&format!("Communities on {}", a.domain)),
            "{body}"
        );
        let (status, _, kind, body) = get("text/plain").await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("text/plain"), "{kind}");
        assert!(
            body.starts_with(&format!("Weft instance {}", a.domain)),
            "{body}"
        );
        let (_, _, kind, _) = get("application/activity+json").await;
        assert!(kind.starts_with("application/activity+json"), "{kind}");
    }
}

/// A one-actor server whose actor document has no `preferredUsername`.
async fn serve_unnamed_actor(public_pem: String) -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let id = format!("{base}/people/ada");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "type": "Person",
        "id": id,
        "inbox": format!("{id}/inbox"),
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_pem }
    });
    let app = axum::Router::new().route(
        "/people/ada",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move {
                (
                    [("content-type", "application/activity+json")],
                    doc.to_string(),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_without_preferred_username_can_follow() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let keys = weft_core::keys::generate();
    let (base, id) = serve_unnamed_actor(keys.public_pem.clone()).await;
    let signer = Signer {
        key_id: format!("{id}#main-key"),
        key: weft_protocol::httpsig::SigningKey::from_pem(&keys.private_pem).unwrap(),
    };
    let inbox = format!("{}/c/cop/inbox", a.base);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{base}/follows/1"),
        "type": "Follow",
        "actor": id,
        "object": cop.ap_id,
    })
    .to_string();
    let (status, answer) = deliver(
        &inbox,
        &follow,
        signed(&signer, &inbox, &follow, Utc::now()),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let (_, followers) = get_activity_json(&format!("{}/c/cop/followers?page=1", a.base)).await;
    assert_eq!(followers["orderedItems"], json!([id]), "{followers}");
    let stored =
        a.db.read_blocking(|c| weft_db::actors::by_ap_id(c, &id))
            .unwrap()
            .expect("the actor is stored");
    assert_eq!(stored.username, "ada", "the last path segment stands in");
}

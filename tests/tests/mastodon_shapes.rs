//! Posts shaped the way Mastodon sends them reach a community: a mention of the group
//! starts a thread, a reply finds its thread through `inReplyTo`, and what is not public
//! is not taken in (the community would re-announce it publicly).

use chrono::Utc;
use serde_json::json;
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A `Create(Note)` as Mastodon writes it: to its followers and Public, the group only
/// as a Mention tag (and in cc), no `audience`.
fn mastodon_note(
    author: &str,
    id: &str,
    to: Vec<&str>,
    cc: Vec<&str>,
    mention: &str,
    in_reply_to: Option<&str>,
) -> String {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": author,
        "published": Utc::now().to_rfc3339(),
        "to": to,
        "cc": cc,
        "object": {
            "id": id,
            "type": "Note",
            "summary": null,
            "inReplyTo": in_reply_to,
            "published": Utc::now().to_rfc3339(),
            "url": id,
            "attributedTo": author,
            "to": to,
            "cc": cc,
            "sensitive": false,
            "content": "<p><span class=\"h-card\"><a href=\"#\" class=\"u-url mention\">@<span>cop</span></a></span> Has anyone used the window of tolerance model with teenagers?</p>",
            "contentMap": {"en": "<p>Has anyone used the window of tolerance model with teenagers?</p>"},
            "attachment": [],
            "tag": [{"type": "Mention", "href": mention, "name": "@cop"}],
            "replies": {"id": format!("{id}/replies"), "type": "Collection", "first": {"type": "CollectionPage", "next": format!("{id}/replies?page=true"), "partOf": format!("{id}/replies"), "items": []}}
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_shaped_posts_reach_the_community() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, true);
    let other = a.community("other", &lead, false);
    let maria = b.user("maria");
    let signer = signer_of(&b, &maria.actor);
    let inbox = format!("{}/inbox", a.base);
    let followers = format!("{}/followers", maria.actor.ap_id);
    let author = maria.actor.ap_id.as_str();

    // In a moderators-only community a mention cannot start a thread...
    let id1 = format!("{}/items/1001", b.base);
    let body = mastodon_note(
        author,
        &id1,
        vec![PUBLIC],
        vec![&followers, &cop.ap_id],
        &cop.ap_id,
        None,
    );
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["detail"].as_str().unwrap().contains("start threads"),
        "{answer}"
    );

    // ...but a mention of an open community does.
    let id2 = format!("{}/items/1002", b.base);
    let body = mastodon_note(
        author,
        &id2,
        vec![PUBLIC],
        vec![&followers],
        &other.ap_id,
        None,
    );
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    let feed = lead.feed(&a.handle("other")).await;
    assert_eq!(feed.len(), 1, "the mention started a thread in 'other'");
    assert!(
        !feed[0].post.content.contains("<span class"),
        "content is sanitised but kept: {}",
        feed[0].post.content
    );

    // A lead's thread in the moderators-only community takes replies from anyone,
    // written as Mastodon writes replies: to followers, cc Public and the parent's author.
    let thread = lead
        .post(
            &a.handle("cop"),
            "Window of tolerance",
            "Resources and experiences.",
        )
        .await;
    let id3 = format!("{}/items/1003", b.base);
    let body = mastodon_note(
        author,
        &id3,
        vec![&followers],
        vec![PUBLIC, &lead.actor.ap_id],
        &other.ap_id,
        Some(&thread.ap_id),
    );
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    let t = eventually("the reply to be threaded", WAIT, || async {
        lead.lookup(&thread.ap_id).await
    })
    .await;
    assert_eq!(
        t.replies.len(),
        1,
        "the reply stays in its thread even though it mentions another community"
    );
    assert_eq!(
        lead.feed(&a.handle("other")).await.len(),
        1,
        "and is not placed in the mentioned community"
    );

    // A followers-only post that mentions the community is not taken in.
    let id4 = format!("{}/items/1004", b.base);
    let body = mastodon_note(author, &id4, vec![&followers], vec![], &other.ap_id, None);
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "ignored", "{answer}");
    assert!(
        lead.lookup(&id4).await.is_none(),
        "nothing private is stored"
    );

    // `as:Public` is Public too.
    let id5 = format!("{}/items/1005", b.base);
    let body = mastodon_note(author, &id5, vec!["as:Public"], vec![], &other.ap_id, None);
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    assert!(
        lead.lookup(&id5).await.is_some(),
        "as:Public counts as public"
    );
}

/// A community on another instance follows a community here (a bridge between
/// communities): the Group→Group follow is accepted like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_community_can_follow_a_community() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let weaver = b.user("weaver");
    let bridge = b.community("bridge", &weaver, false);
    let signer = signer_of(&b, &bridge);
    let inbox = format!("{}/c/cop/inbox", a.base);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/follow-1", b.base),
        "type": "Follow",
        "actor": bridge.ap_id,
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
    assert_eq!(
        followers["orderedItems"],
        json!([bridge.ap_id]),
        "{followers}"
    );
    // B's community receives A's Accept (B has no record of sending that Follow, so it
    // refuses it: the Accept is delivered and dropped, and A's queue drains).
    eventually("A's Accept to be delivered", WAIT, || async {
        (a.queued() == 0).then_some(())
    })
    .await;
}

/// A JSON value with the run's hosts written as `a.example`/`b.example`, dates as `DATE`
/// and activity UUIDs as `UUID`, for comparing with a fixture.
fn normalised(v: &serde_json::Value, bases: &[(&str, &str)]) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalised(v, bases)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| normalised(i, bases)).collect()),
        Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => json!("DATE"),
        Value::String(s) => {
            let mut s = s.clone();
            for (from, to) in bases {
                s = s.replace(from, to);
            }
            if let Some((head, tail)) = s.split_once("/activities/")
                && tail.len() == 36
            {
                s = format!("{head}/activities/UUID");
            }
            Value::String(s)
        }
        other => other.clone(),
    }
}

/// What a Mastodon user following a community receives for a new thread: the
/// community's `Announce` of the bare `Page`, which Mastodon shows as the bold `name`,
/// the `summary` (a plain-text excerpt, cut at a word) and a link. Compared whole with
/// `tests/fixtures/mastodon_sees/announce_page.json` (`WEFT_BLESS=1` rewrites it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_mastodon_follower_receives_for_a_thread_sqlite() {
    mastodon_view_of_a_thread(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_mastodon_follower_receives_for_a_thread_postgres() {
    if let Some(backend) = Backend::postgres() {
        mastodon_view_of_a_thread(backend).await;
    }
}

async fn mastodon_view_of_a_thread(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let maria = b.user("maria");
    maria.follow(&a.handle("cop")).await;
    let body = "Supervision in **threes** has worked well for us: one person brings a case, \
                one listens for what is not said, and one keeps time and notes. We rotate \
                the roles every month, so that everyone practises each of them.\n\n\
                What we have not solved is how to keep going when a group shrinks to two \
                over the summer. Do you pause, merge with another group, or carry on as a \
                pair? And how do you write up what you learned so that it is useful to \
                someone who joins later? Links to your templates are welcome.";
    lead.post(&a.handle("cop"), "Q&A: supervision in threes", body)
        .await;
    let announce = outbox_bodies(&a)
        .into_iter()
        .find(|s| s["type"] == "Announce" && s["object"]["type"] == "Page")
        .expect("the bare Page was announced");
    let got = normalised(
        &announce,
        &[
            (&a.base, "https://a.example"),
            (&b.base, "https://b.example"),
        ],
    );
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/mastodon_sees/announce_page.json"
    );
    if std::env::var("WEFT_BLESS").is_ok() {
        std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
        std::fs::write(path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).unwrap();
    assert_eq!(
        got,
        expected,
        "what Mastodon receives changed:\n{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
    let summary = got["object"]["summary"].as_str().unwrap();
    assert!(summary.chars().count() <= 400 && summary.ends_with('…'));
    assert!(
        !summary.contains("**") && !summary.contains('<'),
        "{summary}"
    );
}

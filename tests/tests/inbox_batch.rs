//! Inbox `Create`s are written in batches. A batch must decide each post as if it had
//! arrived alone, in order: a reply to a post earlier in the batch is threaded on it, a
//! repeat is a repeat, a refusal refuses only its own post and records nothing of it,
//! and everything stored is announced. Checked directly on the service (a mixed batch)
//! and over HTTP (many posts and replies at once), on both backends.

use chrono::Utc;
use serde_json::json;
use std::time::Duration;
use weft_core::CoreError;
use weft_core::posts::Received;
use weft_core::received::{IncomingCreate, receive_creates};
use weft_protocol::PostObject;
use weft_tests::*;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const WAIT: Duration = Duration::from_secs(20);

fn create(author: &str, id: &str, to: &[&str], in_reply_to: Option<&str>, name: &str) -> String {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/create"),
        "type": "Create",
        "actor": author,
        "to": to,
        "object": {
            "id": id,
            "type": if in_reply_to.is_some() { "Note" } else { "Page" },
            "attributedTo": author,
            "to": to,
            "name": name,
            "inReplyTo": in_reply_to,
            "content": format!("<p>{name}</p>")
        }
    })
    .to_string()
}

fn incoming(body: &str, author: &weft_db::models::ActorRow) -> IncomingCreate {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    IncomingCreate {
        create_id: url::Url::parse(v["id"].as_str().unwrap()).unwrap(),
        author: author.clone(),
        object: serde_json::from_value::<PostObject>(v["object"].clone()).unwrap(),
    }
}

async fn mixed_batch(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let closed = a.community("closed", &lead, true);
    let maria = b.user("maria");
    let author = maria.actor.ap_id.clone();
    // A first post over HTTP, so that A knows maria's actor.
    let inbox = format!("{}/inbox", a.base);
    let signer = signer_of(&b, &maria.actor);
    let first_id = format!("{}/items/900", b.base);
    let body = create(&author, &first_id, &[PUBLIC, &cop.ap_id], None, "First");
    let (status, answer) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    let maria_on_a =
        a.db.read_blocking({
            let id = author.clone();
            move |c| weft_db::actors::by_ap_id(c, &id)
        })
        .unwrap()
        .expect("A stored the author");

    let thread = format!("{}/items/901", b.base);
    let reply = format!("{}/items/902", b.base);
    let bodies = [
        // 0: a thread, and 1: a reply to it in the same batch.
        create(&author, &thread, &[PUBLIC, &cop.ap_id], None, "Thread"),
        create(
            &author,
            &reply,
            &[PUBLIC, &cop.ap_id],
            Some(&thread),
            "Reply",
        ),
        // 2: the thread's activity again.
        create(&author, &thread, &[PUBLIC, &cop.ap_id], None, "Thread"),
        // 3: a thread in a moderators-only community: refused.
        create(
            &author,
            &format!("{}/items/903", b.base),
            &[PUBLIC, &closed.ap_id],
            None,
            "Closed",
        ),
        // 4: followers-only: ignored.
        create(
            &author,
            &format!("{}/items/904", b.base),
            &[&cop.ap_id],
            None,
            "Private",
        ),
        // 5: the post that came over HTTP, in a new activity: known.
        create(&author, &first_id, &[PUBLIC, &cop.ap_id], None, "First")
            .replace("/items/900/create", "/items/900/create-again"),
    ];
    let mut batch: Vec<IncomingCreate> = bodies.iter().map(|b| incoming(b, &maria_on_a)).collect();
    // 6: attributed to someone else: refused.
    let mut forged = incoming(
        &create(
            &author,
            &format!("{}/items/905", b.base),
            &[PUBLIC, &cop.ap_id],
            None,
            "Forged",
        ),
        &maria_on_a,
    );
    forged.object.attributed_to = Some(url::Url::parse(&lead.actor.ap_id).unwrap());
    batch.push(forged);

    let received_before = a.received_count();
    let outbox_before = outbox_bodies(&a).len();
    let urls = a.urls();
    let outcomes =
        a.db.write_blocking(move |c| receive_creates(c, &urls, &batch))
            .unwrap();
    let stored = |n: usize| match &outcomes[n] {
        Ok(Some(Received::Stored(item))) => item.clone(),
        other => panic!("create {n}: expected stored, got {other:?}"),
    };
    let (t, r) = (stored(0), stored(1));
    assert_eq!(
        r.in_reply_to_id,
        Some(t.id),
        "the reply is threaded on the thread"
    );
    assert_eq!(r.thread_root_id, Some(t.id));
    assert!(
        matches!(outcomes[2], Ok(None)),
        "a repeat: {:?}",
        outcomes[2]
    );
    assert!(
        matches!(&outcomes[3], Err(CoreError::Forbidden(m)) if m.contains("start threads")),
        "{:?}",
        outcomes[3]
    );
    assert!(
        matches!(&outcomes[4], Ok(Some(Received::Ignored(m))) if m.contains("not public")),
        "{:?}",
        outcomes[4]
    );
    assert!(
        matches!(&outcomes[5], Ok(Some(Received::Known(i))) if i.ap_id == first_id),
        "{:?}",
        outcomes[5]
    );
    assert!(
        matches!(&outcomes[6], Err(CoreError::Forbidden(_))),
        "{:?}",
        outcomes[6]
    );
    // Recorded: the two stored, the ignored and the known one; not the refused ones
    // (a corrected delivery of those must be taken).
    assert_eq!(a.received_count(), received_before + 4);
    // Two Announces per stored post; nobody remote follows, so they go only to the
    // author's instance (which learns its posts were taken): two of the first post,
    // four of the batch.
    let outbox = outbox_bodies(&a);
    assert_eq!(outbox.len(), outbox_before + 4);
    eventually("B to hear of each post taken", WAIT, || async {
        (b.received_count() == 6).then_some(())
    })
    .await;
    let announced: Vec<&serde_json::Value> = outbox[outbox_before..].iter().collect();
    assert!(announced.iter().all(|v| v["type"] == "Announce"));
    let reply_create = announced
        .iter()
        .find(|v| v["object"]["type"] == "Create" && v["object"]["object"]["id"] == reply.as_str())
        .expect("the reply's Create is announced");
    assert_eq!(
        reply_create["object"]["object"]["inReplyTo"],
        thread.as_str()
    );

    // Many posts and replies at once over HTTP: every one taken, every reply threaded.
    let threads: Vec<String> = (0..24).map(|n| format!("{}/items/t{n}", b.base)).collect();
    let send_all = |bodies: Vec<String>| {
        let (inbox, signer) = (inbox.clone(), &signer);
        futures_util::future::join_all(bodies.into_iter().map(move |body| {
            let headers = signed(signer, &inbox, &body, Utc::now());
            let inbox = inbox.clone();
            async move { deliver(&inbox, &body, headers).await }
        }))
    };
    let answers = send_all(
        threads
            .iter()
            .map(|id| create(&author, id, &[PUBLIC, &cop.ap_id], None, "Many"))
            .collect(),
    )
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 202), "{answers:?}");
    let answers = send_all(
        threads
            .iter()
            .map(|id| {
                let reply = format!("{id}/r");
                create(&author, &reply, &[PUBLIC, &cop.ap_id], Some(id), "Re")
            })
            .collect(),
    )
    .await;
    assert!(answers.iter().all(|(s, _)| *s == 202), "{answers:?}");
    for id in &threads {
        let thread = eventually("the thread with its reply", WAIT, || async {
            lead.lookup(id).await.filter(|t| !t.replies.is_empty())
        })
        .await;
        assert_eq!(thread.replies.len(), 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_creates_are_decided_one_by_one_sqlite() {
    mixed_batch(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_creates_are_decided_one_by_one_postgres() {
    if let Some(backend) = Backend::postgres() {
        mixed_batch(backend).await;
    }
}

/// Makes the database refuse to store any post whose content mentions "poison", as a
/// failing disk or a constraint would: a stand-in for a database error mid-batch.
fn poison_items(instance: &Instance, on: bool) {
    let sql = match (instance.database_url.starts_with("sqlite"), on) {
        (true, true) => {
            "CREATE TRIGGER poison BEFORE INSERT ON items WHEN NEW.content LIKE '%poison%' \
             BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END;"
        }
        (true, false) => "DROP TRIGGER poison;",
        (false, true) => {
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
               IF NEW.content LIKE '%poison%' THEN RAISE EXCEPTION 'poisoned for the test'; END IF; \
               RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER poison BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION poison();"
        }
        (false, false) => "DROP TRIGGER poison ON items; DROP FUNCTION poison();",
    };
    instance
        .db
        .write_blocking(|c| -> Result<(), weft_db::DbError> {
            Ok(weft_db::SimpleConnection::batch_execute(c, sql)?)
        })
        .unwrap();
}

/// A post the database fails to store fails alone: the posts that came with it (in the
/// same batch, which is then retried one by one) are stored, the failed one is answered
/// with an error and not recorded as received, so its sender's retry is taken.
async fn database_failure_fails_only_its_post(backend: Backend) {
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    let lead = a.user("lead");
    let cop = a.community("cop", &lead, false);
    let maria = b.user("maria");
    let author = maria.actor.ap_id.clone();
    let inbox = format!("{}/inbox", a.base);
    let signer = signer_of(&b, &maria.actor);
    // A first post, so that A knows maria and the posts below arrive together.
    let first = format!("{}/items/first", b.base);
    let body = create(&author, &first, &[PUBLIC, &cop.ap_id], None, "First");
    let (status, _) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202);

    poison_items(&a, true);
    let ids: Vec<String> = (0..32).map(|n| format!("{}/items/p{n}", b.base)).collect();
    let poisoned = &ids[13];
    let body_of = |id: &String| {
        let name = if id == poisoned { "poison" } else { "Fine" };
        create(&author, id, &[PUBLIC, &cop.ap_id], None, name)
    };
    let answers = futures_util::future::join_all(ids.iter().map(|id| {
        let (inbox, body) = (inbox.clone(), body_of(id));
        let headers = signed(&signer, &inbox, &body, Utc::now());
        async move { deliver(&inbox, &body, headers).await }
    }))
    .await;
    for (id, (status, answer)) in ids.iter().zip(&answers) {
        if id == poisoned {
            assert_eq!(*status, 500, "{answer}");
        } else {
            assert_eq!(*status, 202, "{id}: {answer}");
            assert!(lead.lookup(id).await.is_some(), "{id} is stored");
        }
    }
    assert!(lead.lookup(poisoned).await.is_none());

    // Once the database takes it again, the sender's retry is stored.
    poison_items(&a, false);
    let body = body_of(poisoned);
    let (status, _) = deliver(&inbox, &body, signed(&signer, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202);
    assert!(lead.lookup(poisoned).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_fails_only_its_post_sqlite() {
    database_failure_fails_only_its_post(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_fails_only_its_post_postgres() {
    if let Some(backend) = Backend::postgres() {
        database_failure_fails_only_its_post(backend).await;
    }
}

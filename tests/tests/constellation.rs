//! The directory and the constellation, on both backends, between real instances over
//! HTTP: A convenes a constellation, B and C ask to join and A's admin accepts them; all
//! three learn the member list and crawl each other's directories; search on any of
//! them finds the communities of all (by a word of the domain statement, by tag, by
//! language; a community taken out of the directory never); a proposal on C is shown
//! the similar community on A; A's directory answers 304 to a conditional GET; under
//! C's "constellation members only" policy an outside instance D is refused with 403 and
//! nothing of it stored, while member B is admitted. A crawl of a member that is down
//! backs off and retries without holding up the others. And the operators' commands
//! (`weft admin constellation …`, `weft admin federation-policy`) do the same join.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_server::Config;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

/// The crawler looks for work often, and backs off briefly, in these tests.
fn fast_crawl(config: &mut Config) {
    config.directory.every = Duration::from_millis(150);
    config.directory.recrawl = Duration::from_millis(300);
    config.directory.first_backoff = Duration::from_millis(300);
    config.directory.max_backoff = Duration::from_secs(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constellation_on_sqlite() {
    constellation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constellation_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        constellation(backend).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_of_a_down_member_on_sqlite() {
    down_member(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_of_a_down_member_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        down_member(backend).await;
    }
}

/// `GET /api/v1/directory?…` on `instance`, as anyone may ask.
async fn search(instance: &Instance, query: &str) -> Value {
    let (status, body) = call_api(
        &instance.base,
        Method::GET,
        &format!("/api/v1/directory?{query}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The handles a search found.
fn handles(found: &Value) -> Vec<String> {
    let mut out: Vec<String> = found["communities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["handle"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

async fn ok(member: &Member, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = member.raw(method, path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
    answer
}

/// A convenes `north`; B and C ask to join; A's admin accepts both; each instance ends up
/// knowing all three members.
async fn convene(a: &Instance, others: &[&Instance]) -> Vec<Member> {
    let admin_a = a.admin("admin");
    let north = ok(
        &admin_a,
        Method::POST,
        "/api/v1/admin/constellations",
        Some(json!({ "name": "north", "title": "Northern communities of practice" })),
    )
    .await;
    assert_eq!(north["standing"], "convened");
    let ap_id = north["ap_id"].as_str().unwrap().to_string();
    // The constellation actor is a Service with its member list.
    let (_, actor) = get_activity_json(&ap_id).await;
    assert_eq!(actor["type"], "Service");
    assert_eq!(actor["weft:members"], format!("{ap_id}/members"));
    let mut admins = vec![];
    for other in others {
        let admin = other.admin("admin");
        let asked = ok(
            &admin,
            Method::POST,
            "/api/v1/admin/constellations/join",
            Some(json!({ "constellation": ap_id })),
        )
        .await;
        assert_eq!(asked["standing"], "pending");
        admins.push(admin);
    }
    // A member may not accept; the admin sees who asks and accepts them.
    let lead = a.user("not_admin");
    let (status, _) = lead
        .raw(
            Method::GET,
            "/api/v1/admin/constellations/north/requests",
            None,
        )
        .await;
    assert_eq!(status, 403);
    eventually("both requests reach A", WAIT, || async {
        let asking = ok(
            &admin_a,
            Method::GET,
            "/api/v1/admin/constellations/north/requests",
            None,
        )
        .await;
        (asking.as_array().unwrap().len() == others.len()).then_some(())
    })
    .await;
    for other in others {
        let accepted = ok(
            &admin_a,
            Method::POST,
            "/api/v1/admin/constellations/north/accept",
            Some(json!({ "member": other.domain })),
        )
        .await;
        assert_eq!(accepted["standing"], "convened");
    }
    let expected = others.len() + 1;
    let (_, members) = get_activity_json(&format!("{ap_id}/members")).await;
    assert_eq!(members["totalItems"], expected as i64, "{members}");
    for admin in &admins {
        eventually("each member learns the whole list", WAIT, || async {
            let list = ok(admin, Method::GET, "/api/v1/admin/constellations", None).await;
            let c = &list[0];
            (c["standing"] == "member" && c["members"].as_array().unwrap().len() == expected)
                .then_some(())
        })
        .await;
    }
    admins.insert(0, admin_a);
    admins
}

async fn constellation(backend: Backend) {
    let a = Instance::start_with("a", &backend, fast_crawl);
    let b = Instance::start_with("b", &backend, fast_crawl);
    let c = Instance::start_with("c", &backend, fast_crawl);
    let d = Instance::start_with("d", &backend, fast_crawl);
    // A: a community with tags and a language; another taken out of the directory.
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    ok(
        &lead,
        Method::PATCH,
        "/api/v1/communities/cop",
        Some(json!({ "tags": ["trauma", "schools"], "language": "en-GB" })),
    )
    .await;
    a.community("hidden", &lead, false);
    let listed = ok(
        &lead,
        Method::PUT,
        "/api/v1/communities/hidden/directory",
        Some(json!({ "discoverable": false })),
    )
    .await;
    assert_eq!(listed["discoverable"], false);
    // B: a French-speaking community.
    let bea = b.user("bea");
    b.community("abeilles", &bea, false);
    ok(
        &bea,
        Method::PATCH,
        "/api/v1/communities/abeilles",
        Some(json!({
            "title": "Apiculture urbaine",
            "about": "Les ruches sur les toits de la ville.",
            "tags": ["ruches"],
            "language": "fr"
        })),
    )
    .await;

    // A's directory: a paged collection, validators, 304 to a conditional GET.
    directory_validators(&a).await;

    let admins = convene(&a, &[&b, &c]).await;

    // Search on C finds A's community by a word of its domain statement, by tag, by
    // language; B's by its own words and language; the hidden one never.
    let found = eventually("C's search finds A's community", WAIT, || async {
        let found = search(&c, "q=region").await;
        handles(&found).contains(&a.handle("cop")).then_some(found)
    })
    .await;
    let cop = &found["communities"][0];
    assert_eq!(cop["local"], false);
    assert_eq!(cop["listed_by"], a.domain);
    assert_eq!(cop["tags"], json!(["schools", "trauma"]));
    assert_eq!(cop["member_count"], 1);
    assert_eq!(handles(&search(&c, "q=schools").await), [a.handle("cop")]);
    assert_eq!(
        handles(&search(&c, "q=trauma&language=en").await),
        [a.handle("cop")]
    );
    assert!(handles(&search(&c, "q=trauma&language=fr").await).is_empty());
    eventually("C's search finds B's community", WAIT, || async {
        (handles(&search(&c, "language=fr").await) == [b.handle("abeilles")]).then_some(())
    })
    .await;
    assert_eq!(
        handles(&search(&c, "q=ruches%20toits").await),
        [b.handle("abeilles")]
    );
    assert!(handles(&search(&c, "q=ruches%20region").await).is_empty());
    assert_eq!(
        handles(&search(&c, "lifecycle=active&q=trauma").await),
        [a.handle("cop")]
    );
    for instance in [&a, &b, &c] {
        let all = search(instance, "limit=100").await;
        assert!(
            !handles(&all).contains(&a.handle("hidden")),
            "a community out of the directory is never listed: {all}"
        );
    }
    let (status, body) = call_api(
        &c.base,
        Method::GET,
        "/api/v1/directory?language=e%20n",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // A proposal on C is shown the community on A, with where it lives, and nothing is saved.
    let carol = c.user("carol");
    let (status, refused) = carol
        .raw(
            Method::POST,
            "/api/v1/proposals",
            Some(json!({
                "name": "tic",
                "title": "Trauma-informed care in schools",
                "about": "Practitioners of trauma-informed care in the region's schools.",
                "why": "Nothing like it here.",
                "tags": ["trauma"]
            })),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let similar = &refused["similar"][0];
    assert_eq!(similar["community"]["handle"], a.handle("cop"), "{refused}");
    assert_eq!(similar["community"]["local"], false);
    assert_eq!(similar["community"]["ap_id"], format!("{}/c/cop", a.base));
    assert!(
        similar["shared_tags"]
            .as_array()
            .unwrap()
            .contains(&json!("trauma"))
    );
    let saved =
        c.db.read_blocking(|conn| weft_db::actors::local_by_username(conn, "tic"))
            .unwrap();
    assert!(saved.is_none(), "a refused proposal saves nothing");

    // C federates with the constellation's members only.
    members_only(&c, &admins[2], &b, &d).await;
}

/// A's directory: the collection and its page, `ETag`/`Last-Modified`, and 304.
async fn directory_validators(a: &Instance) {
    let url = format!("{}/directory", a.base);
    let client = reqwest::Client::new();
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    let collection: Value = first.json().await.unwrap();
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(
        collection["totalItems"], 1,
        "only cop is listed: {collection}"
    );
    let (_, page) = get_activity_json(collection["first"].as_str().unwrap()).await;
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"][0]["id"], format!("{}/c/cop", a.base));
    assert_eq!(page["orderedItems"][0]["weft:language"], "en-GB");
    let again = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let since = client
        .get(&url)
        .header("if-modified-since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), 304);
    // The instance actor and NodeInfo say where the directory is.
    let (_, actor) = get_activity_json(&format!("{}/actor", a.base)).await;
    assert_eq!(actor["weft:directory"], url);
    let nodeinfo: Value = reqwest::get(format!("{}/nodeinfo/2.1", a.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nodeinfo["metadata"]["directory"], url);
}

/// Rows on `instance` of actors from `domain`.
fn actors_from(instance: &Instance, domain: &str) -> i64 {
    use diesel::prelude::*;
    use weft_db::schema::actors;
    let domain = domain.to_string();
    instance
        .db
        .read_blocking(move |c| -> Result<i64, weft_db::DbError> {
            Ok(actors::table
                .filter(actors::domain.eq(domain))
                .count()
                .get_result(c)?)
        })
        .unwrap()
}

/// Under C's members-only policy, outsider D's `Follow` is refused with 403 and nothing
/// of D is stored; member B's is accepted.
async fn members_only(c: &Instance, admin_c: &Member, b: &Instance, d: &Instance) {
    let lead = c.user("cleo");
    c.community("local", &lead, false);
    let policy = ok(
        admin_c,
        Method::PUT,
        "/api/v1/admin/federation-policy",
        Some(json!({ "policy": "constellation_members" })),
    )
    .await;
    assert_eq!(policy["policy"], "constellation_members");
    assert!(
        policy["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!(b.domain))
    );
    let (status, _) = c
        .user("not_admin")
        .raw(
            Method::PUT,
            "/api/v1/admin/federation-policy",
            Some(json!({ "policy": "open" })),
        )
        .await;
    assert_eq!(status, 403);

    let dave = d.user("dave");
    let received = c.received_count();
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Follow",
        "id": format!("{}/activities/outsider-follow", d.base),
        "actor": dave.actor.ap_id,
        "object": format!("{}/c/local", c.base),
    })
    .to_string();
    let inbox = format!("{}/inbox", c.base);
    let headers = signed(
        &signer_of(d, &dave.actor),
        &inbox,
        &follow,
        chrono::Utc::now(),
    );
    let (status, problem) = deliver(&inbox, &follow, headers).await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("constellation"),
        "{problem}"
    );
    assert_eq!(c.received_count(), received, "nothing of D is recorded");
    assert_eq!(
        actors_from(c, &d.domain),
        0,
        "D's actor is not even fetched"
    );
    // Through D's own API the follow is refused the same way, and stays unanswered.
    dave.follow(&c.handle("local")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(actors_from(c, &d.domain), 0);

    // A member is admitted.
    let bob = b.user("bob");
    bob.follow_accepted(&c.handle("local")).await;
}

/// B's view of its crawl of `domain` (`GET /api/v1/admin/directory/sources`).
async fn source(admin_b: &Member, domain: &str) -> Option<Value> {
    let sources = ok(
        admin_b,
        Method::GET,
        "/api/v1/admin/directory/sources",
        None,
    )
    .await;
    sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["domain"] == domain)
        .cloned()
}

/// B crawls A and C; with C down and another member hung, A's new community still
/// reaches B at once, C's crawl fails and backs off (its entries kept); once C is back
/// its new community arrives too, and the hung member has timed out and backs off.
async fn down_member(backend: Backend) {
    let a = Instance::start_with("a", &backend, fast_crawl);
    let b = Instance::start_with("b", &backend, fast_crawl);
    let mut c = Instance::start_with("c", &backend, fast_crawl);
    let lead_a = a.user("lead");
    a.community("cop", &lead_a, false);
    let lead_c = c.user("lead");
    c.community("ccop", &lead_c, false);
    let admins = convene(&a, &[&b, &c]).await;
    let admin_b = &admins[1];
    eventually("B knows A's and C's communities", WAIT, || async {
        let all = handles(&search(&b, "limit=100").await);
        let mut expected = vec![a.handle("cop"), c.handle("ccop")];
        expected.sort();
        (all == expected).then_some(())
    })
    .await;

    // One more member that takes connections and never answers (a hung server: each
    // request to it waits for the client's 10-second timeout): a fault injected into
    // A's member list, which B reads from A.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_domain = format!("localhost:{}", hole.local_addr().unwrap().port());
    let (d, m) = (hole_domain.clone(), format!("http://{hole_domain}/actor"));
    a.db.write_blocking(move |conn| -> Result<(), weft_db::DbError> {
        let (north, _) = weft_db::directory::constellations(conn)?.remove(0);
        weft_db::directory::add_member(
            conn,
            &weft_db::directory::ConstellationMemberRow {
                constellation_id: north.id,
                member: m,
                domain: d,
                added_at: weft_db::now(),
            },
        )
    })
    .unwrap();
    eventually("B starts crawling the hung member", WAIT, || async {
        source(admin_b, &hole_domain).await.map(|_| ())
    })
    .await;

    c.stop();
    a.community("second", &lead_a, false);
    // Well inside the hung crawl's 10 seconds: it holds up nothing.
    eventually(
        "A's new community reaches B while C is down and another member hangs",
        Duration::from_secs(6),
        || async {
            handles(&search(&b, "limit=100").await)
                .contains(&a.handle("second"))
                .then_some(())
        },
    )
    .await;
    let failing = eventually("B retries C, backing off", WAIT, || async {
        let of_c = source(admin_b, &c.domain).await?;
        (of_c["failures"].as_i64().unwrap() >= 3).then_some(of_c)
    })
    .await;
    assert!(failing["last_error"].as_str().is_some(), "{failing}");
    assert_eq!(
        failing["entries"], 1,
        "C's entries are kept while it is down"
    );
    let of_a = source(admin_b, &a.domain).await.unwrap();
    assert_eq!(of_a["failures"], 0, "{of_a}");

    c.restart();
    c.community("third", &lead_c, false);
    eventually(
        "C's new community reaches B once C is back",
        WAIT,
        || async {
            handles(&search(&b, "limit=100").await)
                .contains(&c.handle("third"))
                .then_some(())
        },
    )
    .await;
    eventually("B has crawled C again", WAIT, || async {
        (source(admin_b, &c.domain).await?["failures"] == 0).then_some(())
    })
    .await;
    let hung = eventually("the hung member's crawl timed out", WAIT, || async {
        let hung = source(admin_b, &hole_domain).await?;
        (hung["failures"].as_i64().unwrap() >= 1).then_some(hung)
    })
    .await;
    assert!(hung["last_error"].as_str().is_some(), "{hung}");
    drop(hole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_cli_on_sqlite() {
    operator_cli(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_cli_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        operator_cli(backend).await;
    }
}

/// Runs `weft ARGS…` against `instance`'s database, as its operator would.
async fn weft(instance: &Instance, args: &[&str]) -> Result<String, String> {
    use clap::Parser;
    let cli =
        weft_server::cli::Cli::try_parse_from(std::iter::once("weft").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
    let mut config = Config::from_parts(Default::default(), |_| None).unwrap();
    config.database_url = instance.database_url.clone();
    config.domain = instance.domain.clone();
    config.dev = true;
    let mut out = Vec::new();
    let mut input = std::io::Cursor::new(Vec::new());
    weft_server::cli::execute(cli.command, config, &mut out, &mut input).await?;
    Ok(String::from_utf8(out).unwrap())
}

/// The same join, by the operators at their shells: A convenes, B asks, A accepts; B's
/// policy then lets A in.
async fn operator_cli(backend: Backend) {
    let a = Instance::start_with("a", &backend, fast_crawl);
    let b = Instance::start_with("b", &backend, fast_crawl);
    let convened = weft(&a, &["admin", "constellation", "convene", "north"])
        .await
        .unwrap();
    let url = format!("{}/constellations/north", a.base);
    assert!(convened.contains(&url), "{convened}");
    let refused = weft(&a, &["admin", "constellation", "convene", "north"]).await;
    assert!(refused.unwrap_err().contains("already"));
    let asked = weft(&b, &["admin", "constellation", "join", &url])
        .await
        .unwrap();
    assert!(asked.contains("pending"), "{asked}");
    eventually("A hears B ask", WAIT, || async {
        let asking = weft(&a, &["admin", "constellation", "requests", "north"])
            .await
            .unwrap();
        asking.contains(&b.domain).then_some(())
    })
    .await;
    let accepted = weft(
        &a,
        &["admin", "constellation", "accept", "north", &b.domain],
    )
    .await
    .unwrap();
    assert!(accepted.contains(&b.domain), "{accepted}");
    eventually("B is a member", WAIT, || async {
        let list = weft(&b, &["admin", "constellation", "list"]).await.unwrap();
        list.contains("member").then_some(())
    })
    .await;
    let policy = weft(&b, &["admin", "federation-policy", "constellation_members"])
        .await
        .unwrap();
    assert!(policy.contains("constellation_members"), "{policy}");
    assert!(
        policy.contains(&format!("allowed: {}", a.domain)),
        "{policy}"
    );
    let wrong = weft(&b, &["admin", "federation-policy", "closed"]).await;
    assert!(wrong.unwrap_err().contains("not a federation policy"));
}

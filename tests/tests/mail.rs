//! Mail over real SMTP, on both backends: a local sink (`tests/smtp_sink.py`, aiosmtpd)
//! receives what Weft sends and Python's `email` package reads it. The confirmation link
//! and the reset code work end to end through the API, a lead hears of a request to join
//! once, the weekly digest lists what happened with RFC 8058 unsubscribe headers and its
//! link works without logging in; used, expired and unknown tokens change nothing; a
//! reset for an unknown address answers alike and sends nothing; mail written while no
//! server is configured, while the server is down, or claimed by a process that died, is
//! sent once it can be, exactly once, with its Message-ID kept.

use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;
use weft_server::Config;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

/// Where one test's mail arrives: an SMTP address and the directory the sink writes.
struct Sink {
    addr: SocketAddr,
    dir: PathBuf,
    process: Option<std::process::Child>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(mut p) = self.process.take() {
            let _ = p.kill();
            let _ = p.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Sink {
    /// The sink the test script started (`WEFT_TEST_SMTP`, `WEFT_TEST_MAIL_DIR`); none
    /// outside CI when it did not (said so), an error under CI.
    fn shared() -> Option<Sink> {
        let (Ok(addr), Ok(dir)) = (
            std::env::var("WEFT_TEST_SMTP"),
            std::env::var("WEFT_TEST_MAIL_DIR"),
        ) else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must start the SMTP sink (scripts/test.sh) so the mail tests run"
            );
            eprintln!("WEFT_TEST_SMTP is not set (run scripts/test.sh): skipping the mail test");
            return None;
        };
        Some(Sink {
            addr: addr.parse().expect("WEFT_TEST_SMTP is host:port"),
            dir: dir.into(),
            process: None,
        })
    }

    /// A sink of this test's own on `port`, started now (as the script starts the shared
    /// one).
    fn spawn(port: u16) -> Sink {
        let dir = std::env::temp_dir().join(format!("weft-mail-{}", rand::random::<u64>()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/smtp_sink.py");
        let process = std::process::Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3 runs the SMTP sink");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(addr).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Sink {
            addr,
            dir,
            process: Some(process),
        }
    }

    /// Every mail that arrived for `to`, oldest first.
    fn mails_to(&self, to: &str) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|f| f.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
            .into_iter()
            .filter_map(|f| serde_json::from_slice::<Value>(&std::fs::read(f).ok()?).ok())
            .filter(|m| {
                m["rcpt"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|a| a == to))
            })
            .collect()
    }

    /// Waits for the `n`-th mail to `to` and returns it.
    async fn nth(&self, to: &str, n: usize, what: &str) -> Value {
        eventually(what, WAIT, || async {
            self.mails_to(to).get(n - 1).cloned()
        })
        .await
    }
}

/// Test instances' SMTP servers by their domain (set before a restart), else the shared
/// sink's.
static SMTP_BY_DOMAIN: Mutex<Option<HashMap<String, SocketAddr>>> = Mutex::new(None);

fn quick(c: &mut Config) {
    c.mail.idle_poll = Duration::from_millis(100);
    c.mail.first_backoff = Duration::from_millis(200);
    c.mail.max_backoff = Duration::from_millis(500);
    c.mail.lease = Duration::from_secs(2);
    c.digest_check_every = Duration::from_millis(200);
}

fn smtp_to(c: &mut Config, addr: SocketAddr) {
    c.smtp = Some(weft_mail::Smtp {
        host: addr.ip().to_string(),
        port: addr.port(),
        tls: weft_mail::TlsMode::None,
        username: None,
        password: None,
        from: format!("Weft <weft@{}>", c.domain.split(':').next().unwrap()),
    });
}

fn shared_smtp(c: &mut Config) {
    quick(c);
    if let Some(sink) = Sink::shared() {
        smtp_to(c, sink.addr);
    }
}

fn mapped_smtp(c: &mut Config) {
    quick(c);
    let addr = SMTP_BY_DOMAIN
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|m| m.get(&c.domain).copied());
    if let Some(addr) = addr {
        smtp_to(c, addr);
    }
}

fn open_registration(instance: &Instance) {
    instance
        .db
        .write_blocking(|c| {
            weft_core::registration::store_policy(
                c,
                weft_core::registration::RegistrationPolicy::Open,
            )
        })
        .unwrap();
}

/// Registers `name` with `email`; returns their API client.
async fn register(instance: &Instance, name: &str, email: &str) -> Member {
    let (status, body) = call_api(
        &instance.base,
        Method::POST,
        "/api/v1/accounts",
        None,
        None,
        Some(json!({"username": name, "email": email, "password": "tea in the garden"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let n = name.to_string();
    let actor = instance
        .db
        .read_blocking(move |c| weft_core::accounts::local_person(c, &n))
        .unwrap();
    Member {
        base: instance.base.clone(),
        token: body["token"].as_str().unwrap().to_string(),
        actor,
        http: reqwest::Client::new(),
    }
}

fn jobs_to(instance: &Instance, to: &str) -> Vec<weft_db::mail::MailJobRow> {
    let to = to.to_string();
    instance
        .db
        .read_blocking(move |c| weft_db::mail::jobs_to(c, &to))
        .unwrap()
}

fn settings(instance: &Instance, id: i64) -> weft_db::mail::AccountMailRow {
    instance
        .db
        .read_blocking(move |c| weft_db::mail::settings(c, id))
        .unwrap()
}

/// The first http(s) URL in `text`.
fn link(text: &str) -> String {
    let start = text.find("http").expect("a link");
    text[start..]
        .split(|c: char| c.is_whitespace() || c == ')')
        .next()
        .unwrap()
        .to_string()
}

/// The line after `marker` in `text`, trimmed.
fn line_after(text: &str, marker: &str) -> String {
    let rest = &text[text.find(marker).expect(marker) + marker.len()..];
    rest.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap()
        .to_string()
}

fn email(name: &str) -> String {
    format!("{name}-{}@example.org", rand::random::<u32>())
}

fn refused(what: &str, got: &(u16, Value), status: u16, says: &str) {
    assert_eq!(got.0, status, "{what}: {}", got.1);
    assert_eq!(got.1["status"], status, "{what}: a problem body {}", got.1);
    let detail = got.1["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(says),
        "{what}: {detail:?} should say {says:?}"
    );
}

async fn get(url: &str, accept: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_on_sqlite() {
    mail_works(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        mail_works(backend).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_and_is_sent_once_on_sqlite() {
    mail_waits_and_is_sent_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_waits_and_is_sent_once_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        mail_waits_and_is_sent_once(backend).await;
    }
}

async fn mail_works(backend: Backend) {
    let Some(sink) = Sink::shared() else { return };
    let mut a = Instance::start_with("a", &backend, shared_smtp);
    open_registration(&a);

    // Registering sends a confirmation mail: text and HTML, the link in both.
    let ana_mail = email("ana");
    let ana = register(&a, "ana", &ana_mail).await;
    let confirm = sink.nth(&ana_mail, 1, "the confirmation mail").await;
    assert_eq!(
        confirm["headers"]["subject"],
        format!("Confirm your address at {}", a.domain)
    );
    assert_eq!(confirm["headers"]["to"], ana_mail);
    assert_eq!(confirm["multipart"], "multipart/alternative");
    let text = confirm["text"].as_str().unwrap();
    let url = link(text);
    assert!(
        url.starts_with(&format!("{}/api/v1/accounts/confirm?token=", a.base)),
        "{url}"
    );
    assert!(
        confirm["html"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{url}\""))
    );
    assert!(
        confirm["headers"]["message-id"]
            .as_str()
            .unwrap()
            .ends_with("@localhost>")
    );

    // Unconfirmed: no digest.
    let (status, body) = call_api(
        &a.base,
        Method::GET,
        "/api/v1/accounts/me/mail",
        Some(&ana.token),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["email_confirmed_at"].clone()),
        (200, Value::Null),
        "{body}"
    );
    let put = call_api(
        &a.base,
        Method::PUT,
        "/api/v1/accounts/me/mail",
        Some(&ana.token),
        None,
        Some(json!({"digest": true})),
    )
    .await;
    refused("a digest before confirming", &put, 403, "confirm");
    assert!(!settings(&a, ana.actor.id).digest);

    // The link confirms, once.
    let (status, body) = get(&url, None).await;
    assert_eq!(status, 200, "{body}");
    let confirmed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (confirmed["username"].as_str(), confirmed["email"].as_str()),
        (Some("ana"), Some(ana_mail.as_str()))
    );
    let at = settings(&a, ana.actor.id)
        .email_confirmed_at
        .expect("confirmed");
    let again = call_api(
        &a.base,
        Method::POST,
        "/api/v1/accounts/confirm",
        None,
        None,
        Some(json!({"token": url.split("token=").nth(1).unwrap()})),
    )
    .await;
    refused("a used confirmation link", &again, 403, "used already");
    assert_eq!(
        settings(&a, ana.actor.id).email_confirmed_at,
        Some(at),
        "unchanged"
    );
    let resend = call_api(
        &a.base,
        Method::POST,
        "/api/v1/accounts/me/confirmation",
        Some(&ana.token),
        None,
        None,
    )
    .await;
    refused(
        "a new link for a confirmed address",
        &resend,
        409,
        "confirmed already",
    );

    // An expired or unknown link changes nothing.
    let ben_mail = email("ben");
    let ben = register(&a, "ben", &ben_mail).await;
    sink.nth(&ben_mail, 1, "ben's confirmation mail").await;
    let past = weft_db::now() - chrono::TimeDelta::hours(1);
    let (ben_id, em) = (ben.actor.id, ben_mail.clone());
    a.db.write_blocking(move |c| {
        weft_db::mail::insert_token(
            c,
            &weft_db::mail::NewMailToken {
                token_hash: weft_core::auth::hash_secret("an-expired-secret"),
                purpose: "confirm".into(),
                actor_id: ben_id,
                email: em,
                created_at: past - chrono::TimeDelta::hours(48),
                expires_at: Some(past),
            },
        )
    })
    .unwrap();
    for (token, says) in [
        ("an-expired-secret", "has expired"),
        ("no-such-secret", "not valid"),
    ] {
        let got = call_api(
            &a.base,
            Method::GET,
            &format!("/api/v1/accounts/confirm?token={token}"),
            None,
            None,
            None,
        )
        .await;
        refused(token, &got, 403, says);
    }
    assert_eq!(
        settings(&a, ben.actor.id).email_confirmed_at,
        None,
        "nothing confirmed"
    );

    // A password reset: the same answer for an unknown address, and no mail to it.
    let session = {
        let ana_actor = ana.actor.clone();
        a.db.write_blocking(move |c| weft_core::auth::start_session(c, &ana_actor, None))
            .unwrap()
            .1
    };
    let unknown = email("nobody");
    let known = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset-request",
        None,
        None,
        Some(json!({"email": ana_mail.to_uppercase()})),
    )
    .await;
    let other = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset-request",
        None,
        None,
        Some(json!({"email": unknown})),
    )
    .await;
    assert_eq!(known.0, 202, "{}", known.1);
    assert_eq!(
        known, other,
        "the same answer whether or not the address is known"
    );
    let reset = sink.nth(&ana_mail, 2, "the reset mail").await;
    assert_eq!(
        reset["headers"]["subject"],
        format!("Reset your password at {}", a.domain)
    );
    let code = line_after(reset["text"].as_str().unwrap(), "Your reset code:");
    assert!(reset["html"].as_str().unwrap().contains(&code));
    assert!(jobs_to(&a, &unknown).is_empty() && sink.mails_to(&unknown).is_empty());
    // A weak password is refused and the code stays usable; then it works, once.
    let weak = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset",
        None,
        None,
        Some(json!({"token": code, "password": "short"})),
    )
    .await;
    refused("a weak new password", &weak, 400, "too short");
    let done = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset",
        None,
        None,
        Some(json!({"token": code, "password": "a new kettle whistles"})),
    )
    .await;
    assert_eq!(done.0, 200, "{}", done.1);
    let reused = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset",
        None,
        None,
        Some(json!({"token": code, "password": "someone else's idea"})),
    )
    .await;
    refused("a used reset code", &reused, 403, "used already");
    let login = |password: &'static str| {
        let base = a.base.clone();
        async move {
            call_api(
                &base,
                Method::POST,
                "/api/v1/login",
                None,
                None,
                Some(json!({"username": "ana", "password": password})),
            )
            .await
            .0
        }
    };
    assert_eq!(login("a new kettle whistles").await, 201);
    assert_eq!(login("tea in the garden").await, 401);
    assert_eq!(login("someone else's idea").await, 401);
    let ended =
        a.db.read_blocking(move |c| weft_core::auth::session(c, &session));
    assert!(ended.is_err(), "the reset ended ana's sessions");

    // The reset limits: a fourth request for one address within the window is refused.
    for _ in 0..2 {
        let got = call_api(
            &a.base,
            Method::POST,
            "/api/v1/password/reset-request",
            None,
            None,
            Some(json!({"email": unknown})),
        )
        .await;
        assert_eq!(got.0, 202);
    }
    let limited = call_api(
        &a.base,
        Method::POST,
        "/api/v1/password/reset-request",
        None,
        None,
        Some(json!({"email": unknown})),
    )
    .await;
    refused("a fourth reset", &limited, 429, "too many");

    // A request to join tells the lead (confirmed) once, however often it is asked.
    let urls = a.urls();
    let (lead, keys) = (ana.actor.clone(), weft_core::keys::generate());
    a.db.write_blocking(move |c| -> Result<_, weft_core::CoreError> {
        let community = weft_core::accounts::create_community(
            c,
            &urls,
            &weft_core::accounts::NewCommunity {
                name: "circle",
                title: "Reflective practice & supervision",
                domain_statement: "",
                terms_of_reference: "",
                posting_restricted_to_mods: false,
                lead: Some(&lead),
            },
            keys,
        )?;
        weft_core::membership::store_join_policy(c, &community, "approval")
    })
    .unwrap();
    for _ in 0..2 {
        let (status, body) = call_api(
            &a.base,
            Method::POST,
            "/api/v1/communities/circle/join",
            Some(&ben.token),
            None,
            Some(json!({})),
        )
        .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (200, Some("pending")),
            "{body}"
        );
    }
    let asked = sink.nth(&ana_mail, 3, "the request to join").await;
    assert_eq!(
        asked["headers"]["subject"],
        format!(
            "ben@{} asks to join Reflective practice & supervision",
            a.domain
        )
    );
    assert!(
        asked["html"]
            .as_str()
            .unwrap()
            .contains("Reflective practice &amp; supervision")
    );
    assert!(
        asked["text"]
            .as_str()
            .unwrap()
            .contains("/api/v1/communities/circle/requests")
    );
    let (_, requests) = call_api(
        &a.base,
        Method::GET,
        "/api/v1/communities/circle/requests",
        Some(&ana.token),
        None,
        None,
    )
    .await;
    let id = requests[0]["id"].as_i64().unwrap();
    let (status, _) = call_api(
        &a.base,
        Method::POST,
        &format!("/api/v1/communities/circle/requests/{id}/accept"),
        Some(&ana.token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        jobs_to(&a, &ana_mail)
            .iter()
            .filter(|j| j.kind == "join_request")
            .count(),
        1
    );

    // The weekly digest: what happened, with one-click unsubscribe headers.
    let circle = a.handle("circle");
    ana.post(
        &circle,
        "Supervision <when> & how",
        "How often do you meet?",
    )
    .await;
    let put = call_api(
        &a.base,
        Method::PUT,
        "/api/v1/accounts/me/mail",
        Some(&ana.token),
        None,
        Some(json!({"digest": true})),
    )
    .await;
    assert_eq!(
        (put.0, put.1["digest"].as_bool()),
        (200, Some(true)),
        "{}",
        put.1
    );
    let digest = sink.nth(&ana_mail, 4, "the weekly digest").await;
    assert_eq!(
        digest["headers"]["subject"],
        format!("Your week in your communities at {}", a.domain)
    );
    let text = digest["text"].as_str().unwrap();
    let html = digest["html"].as_str().unwrap();
    assert!(
        text.contains("Supervision <when> & how") && text.contains("New members: ben"),
        "{text}"
    );
    assert!(
        html.contains("Supervision &lt;when&gt; &amp; how") && !html.contains("<when>"),
        "{html}"
    );
    let header = digest["headers"]["list-unsubscribe"].as_str().unwrap();
    let unsubscribe = header.trim_matches(|c| c == '<' || c == '>').to_string();
    assert!(
        unsubscribe.starts_with(&format!("{}/api/v1/unsubscribe?token=", a.base)),
        "{header}"
    );
    assert_eq!(
        digest["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(text.contains(&unsubscribe) && html.contains(&unsubscribe));

    // Opening the link (a browser, a mail scanner) stops nothing; its button, or the
    // mail client's one-click POST, does, without logging in.
    let (status, page) = get(&unsubscribe, Some("text/html")).await;
    assert!(
        status == 200 && page.contains("<form method=\"post\"") && page.contains("ana"),
        "{page}"
    );
    assert!(settings(&a, ana.actor.id).digest);
    let response = reqwest::Client::new()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"username": "ana", "digest": false}));
    assert!(!settings(&a, ana.actor.id).digest);

    // The schedule survives a restart: turned on again, no second digest within the week.
    let last = settings(&a, ana.actor.id).digest_last_at.expect("recorded");
    a.restart();
    let put = call_api(
        &a.base,
        Method::PUT,
        "/api/v1/accounts/me/mail",
        Some(&ana.token),
        None,
        Some(json!({"digest": true})),
    )
    .await;
    assert_eq!(put.0, 200);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        sink.mails_to(&ana_mail).len(),
        4,
        "no second digest this week"
    );
    assert_eq!(settings(&a, ana.actor.id).digest_last_at, Some(last));
    // Every job was sent, its parts emptied.
    for job in jobs_to(&a, &ana_mail) {
        assert_eq!(
            (job.status.as_str(), job.text_body.as_str()),
            ("sent", ""),
            "{job:?}"
        );
    }
}

async fn mail_waits_and_is_sent_once(backend: Backend) {
    if Sink::shared().is_none() {
        return;
    }
    // No SMTP server configured: the mail waits, untried.
    let mut a = Instance::start_with("a", &backend, mapped_smtp);
    open_registration(&a);
    let cy_mail = email("cy");
    let cy = register(&a, "cy", &cy_mail).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let jobs = jobs_to(&a, &cy_mail);
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].status.as_str(), jobs[0].attempts), ("queued", 0));

    // A server configured but down: tried again and again, still queued.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    SMTP_BY_DOMAIN
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(a.domain.clone(), addr);
    a.restart();
    eventually("retries while the server is down", WAIT, || async {
        let job = jobs_to(&a, &cy_mail).remove(0);
        (job.attempts >= 2 && job.status == "queued" && job.last_error.is_some()).then_some(())
    })
    .await;

    // The server comes up: the mail arrives, once.
    let sink = Sink::spawn(port);
    let arrived = sink
        .nth(&cy_mail, 1, "the confirmation after the outage")
        .await;
    assert_eq!(
        arrived["headers"]["subject"],
        format!("Confirm your address at {}", a.domain)
    );
    eventually("the job marked sent", WAIT, || async {
        (jobs_to(&a, &cy_mail)[0].status == "sent").then_some(())
    })
    .await;

    // A process claimed a job and died before sending it (or before marking it sent):
    // once its lease runs out the mail goes, once, with the job's own Message-ID.
    a.stop();
    let (me, urls) = (cy.actor.clone(), a.urls());
    a.db.write_blocking(move |c| weft_core::mail::account::resend_confirmation(c, &urls, &me))
        .unwrap();
    let claimed =
        a.db.write_blocking(|c| {
            let now = weft_db::now();
            weft_db::mail::claim(
                c,
                now,
                "a process that died",
                now + chrono::TimeDelta::seconds(2),
                10,
            )
        })
        .unwrap();
    assert_eq!(claimed.len(), 1);
    a.restart();
    let second = sink
        .nth(&cy_mail, 2, "the mail a dead process had claimed")
        .await;
    let job = &claimed[0];
    assert_eq!(
        second["headers"]["message-id"],
        weft_mail::message_id(job.id, job.created_at, &a.domain)
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.mails_to(&cy_mail).len(), 2, "each mail exactly once");

    // A mailbox the server refuses for good (550): failed, with the reason, not retried.
    let refused_mail = format!("refuse-{}", email("dee"));
    register(&a, "dee", &refused_mail).await;
    let job = eventually("the refused mail marked failed", WAIT, || async {
        jobs_to(&a, &refused_mail)
            .pop()
            .filter(|j| j.status == "failed")
    })
    .await;
    assert!(
        job.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{job:?}"
    );
    assert_eq!(job.attempts, 1);
    assert!(sink.mails_to(&refused_mail).is_empty());
}

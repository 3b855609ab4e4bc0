//! Accounts over real HTTP on both backends: the registration policies, an admin's
//! approval, log-in and its limits on guessing, named and expiring API tokens, and the
//! browser sessions the web interface will use.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use weft_tests::*;

async fn register(base: &str, body: Value) -> (u16, Value) {
    call_api(
        base,
        Method::POST,
        "/api/v1/accounts",
        None,
        None,
        Some(body),
    )
    .await
}

async fn log_in(base: &str, username: &str, password: &str, from: &str) -> (u16, Value) {
    call_api(
        base,
        Method::POST,
        "/api/v1/login",
        None,
        Some(from),
        Some(json!({"username": username, "password": password})),
    )
    .await
}

fn refused(what: &str, expected: u16, got: &(u16, Value), says: &str) {
    assert_eq!(got.0, expected, "{what}: {}", got.1);
    let detail = got.1["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(says),
        "{what}: {detail:?} should say {says:?}"
    );
}

fn accounts(instance: &Instance) -> i64 {
    use diesel::prelude::*;
    instance
        .db
        .read_blocking(|c| -> Result<i64, weft_db::DbError> {
            Ok(weft_db::schema::local_users::table.count().get_result(c)?)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_on_sqlite() {
    accounts_work(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        accounts_work(backend).await;
    }
}

async fn accounts_work(backend: Backend) {
    let a = Instance::start("a", &backend);
    let admin = a.admin("root");
    let member = a.user("plain");
    let base = a.base.clone();
    let before = accounts(&a);

    // A new instance approves registrations.
    let (status, body) = call_api(&base, Method::GET, "/api/v1/instance", None, None, None).await;
    assert_eq!(
        (status, body["registration_policy"].as_str()),
        (200, Some("approval"))
    );

    // Bad input is refused and stores nothing.
    let good = json!({"username": "carol", "email": "Carol@Example.org",
        "password": "tea in the garden", "application": "I run the hospice's CoP"});
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    refused(
        "short password",
        400,
        &register(&base, with("password", json!("tea"))).await,
        "too short",
    );
    refused(
        "password of the username",
        400,
        &register(&base, with("password", json!("carol-carol-carol"))).await,
        "username",
    );
    refused(
        "not an email",
        400,
        &register(&base, with("email", json!("carol at home"))).await,
        "not an email",
    );
    refused(
        "bad username",
        400,
        &register(&base, with("username", json!("Carol!"))).await,
        "not allowed",
    );
    refused(
        "taken username",
        409,
        &register(&base, with("username", json!("plain"))).await,
        "taken",
    );
    refused(
        "no application",
        400,
        &register(&base, with("application", Value::Null)).await,
        "why you want to join",
    );
    refused(
        "not JSON",
        400,
        &register(&base, json!("carol")).await,
        "request body",
    );
    assert_eq!(
        accounts(&a),
        before,
        "nothing stored by refused registrations"
    );

    // Approval: the registration waits; the person cannot log in until an admin says yes.
    let (status, body) = register(&base, good.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "pending");
    assert!(body.get("token").is_none(), "no token while pending");
    refused(
        "same email, other case",
        409,
        &register(&base, with("username", json!("carol2"))).await,
        "email address exists",
    );
    refused(
        "pending log-in",
        403,
        &log_in(&base, "carol", "tea in the garden", "10.0.0.1").await,
        "approval",
    );
    let pending = (Method::GET, "/api/v1/admin/registrations");
    refused(
        "a member lists registrations",
        403,
        &call_api(
            &base,
            pending.0.clone(),
            pending.1,
            Some(&member.token),
            None,
            None,
        )
        .await,
        "administrator",
    );
    let (status, list) = call_api(
        &base,
        pending.0.clone(),
        pending.1,
        Some(&admin.token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["username"], "carol");
    assert_eq!(
        list[0]["email"], "carol@example.org",
        "emails are stored lower-cased"
    );
    assert_eq!(list[0]["application"], "I run the hospice's CoP");
    let approve = "/api/v1/admin/registrations/carol/approve";
    refused(
        "a member approves",
        403,
        &call_api(
            &base,
            Method::POST,
            approve,
            Some(&member.token),
            None,
            None,
        )
        .await,
        "administrator",
    );
    let (status, _) = call_api(&base, Method::POST, approve, Some(&admin.token), None, None).await;
    assert_eq!(status, 204);
    refused(
        "approved twice",
        409,
        &call_api(&base, Method::POST, approve, Some(&admin.token), None, None).await,
        "not waiting",
    );

    // Log-in by username or email answers a token that works.
    let (status, login) = log_in(&base, "Carol@example.org", "tea in the garden", "10.0.0.1").await;
    assert_eq!(status, 201, "{login}");
    let token = login["token"].as_str().unwrap().to_string();
    let (status, me) = call_api(&base, Method::GET, "/api/v1/me", Some(&token), None, None).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("carol")));

    // Tokens: named, listed without their secret, expiring, revocable.
    let (status, made) = call_api(
        &base,
        Method::POST,
        "/api/v1/tokens",
        Some(&token),
        None,
        Some(json!({"name": "calendar sync", "expires_at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let second = made["token"].as_str().unwrap().to_string();
    refused(
        "token in the past",
        400,
        &call_api(
            &base,
            Method::POST,
            "/api/v1/tokens",
            Some(&token),
            None,
            Some(json!({"name": "old", "expires_at": "2001-01-01T00:00:00Z"})),
        )
        .await,
        "past",
    );
    refused(
        "token time not RFC 3339",
        400,
        &call_api(
            &base,
            Method::POST,
            "/api/v1/tokens",
            Some(&token),
            None,
            Some(json!({"name": "x", "expires_at": "next week"})),
        )
        .await,
        "RFC 3339",
    );
    refused(
        "nameless token",
        400,
        &call_api(
            &base,
            Method::POST,
            "/api/v1/tokens",
            Some(&token),
            None,
            Some(json!({"name": " "})),
        )
        .await,
        "name",
    );
    let (_, list) = call_api(
        &base,
        Method::GET,
        "/api/v1/tokens",
        Some(&second),
        None,
        None,
    )
    .await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["log-in", "calendar sync"]);
    assert!(
        !list.to_string().contains(&second),
        "secrets are never listed"
    );
    // Cursor paging: one at a time, then the next after the first; nonsense is 400.
    let page = |query: String| {
        let token = second.clone();
        let base = base.clone();
        async move {
            call_api(
                &base,
                Method::GET,
                &format!("/api/v1/tokens?{query}"),
                Some(&token),
                None,
                None,
            )
            .await
        }
    };
    let (_, first) = page("limit=1".into()).await;
    assert_eq!(first.as_array().unwrap().len(), 1);
    assert_eq!(first[0]["name"], "log-in");
    let (_, next) = page(format!("limit=1&after={}", first[0]["id"])).await;
    assert_eq!(next[0]["name"], "calendar sync");
    refused(
        "a cursor that is no number",
        400,
        &page("after=abc".into()).await,
        "after",
    );
    let id = made["id"].as_i64().unwrap();
    refused(
        "someone else's token",
        404,
        &call_api(
            &base,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&member.token),
            None,
            None,
        )
        .await,
        "no token",
    );
    let (status, _) = call_api(
        &base,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, 204);
    refused(
        "revoked token",
        401,
        &call_api(&base, Method::GET, "/api/v1/me", Some(&second), None, None).await,
        "not valid",
    );
    let carol =
        a.db.read_blocking(|c| weft_db::actors::local_by_username(c, "carol"))
            .unwrap()
            .unwrap();
    let expired =
        a.db.write_blocking(|c| -> Result<String, weft_core::CoreError> {
            let (row, secret) = weft_core::auth::create_token(
                c,
                &carol,
                "soon",
                Some(weft_db::now() + chrono::TimeDelta::seconds(1)),
            )?;
            diesel::RunQueryDsl::execute(
                diesel::update(diesel::QueryDsl::find(
                    weft_db::schema::api_tokens::table,
                    row.id,
                ))
                .set(diesel::ExpressionMethods::eq(
                    weft_db::schema::api_tokens::expires_at,
                    Some(weft_db::now() - chrono::TimeDelta::hours(1)),
                )),
                c,
            )?;
            Ok(secret)
        })
        .unwrap();
    refused(
        "expired token",
        401,
        &call_api(&base, Method::GET, "/api/v1/me", Some(&expired), None, None).await,
        "expired",
    );

    // Guessing: wrong password and unknown user get the same answer, after the same work;
    // five failures lock the account for a while, even with the right password then.
    let mut wrong = vec![];
    let mut unknown = vec![];
    for i in 0..3 {
        let started = Instant::now();
        let got = log_in(&base, "nobody", "tea in the garden", &format!("10.1.0.{i}")).await;
        unknown.push(started.elapsed());
        refused("unknown user", 401, &got, "wrong");
        let started = Instant::now();
        let got = log_in(
            &base,
            "carol",
            "coffee in the garden",
            &format!("10.1.1.{i}"),
        )
        .await;
        wrong.push(started.elapsed());
        refused("wrong password", 401, &got, "wrong");
    }
    unknown.sort();
    wrong.sort();
    assert!(
        unknown[1] * 3 > wrong[1],
        "an unknown user is refused as slowly as a wrong password: {unknown:?} vs {wrong:?}"
    );
    for i in 0..2 {
        log_in(&base, "carol", "still wrong", &format!("10.1.2.{i}")).await;
    }
    refused(
        "locked account",
        429,
        &log_in(&base, "carol", "tea in the garden", "10.1.3.1").await,
        "try again in",
    );
    // From one address, twenty failures across accounts lock that address out.
    for i in 0..20 {
        log_in(&base, &format!("guess{i}"), "wrong wrong wrong", "10.2.0.1").await;
    }
    refused(
        "locked address",
        429,
        &log_in(&base, "plain", "whatever it is", "10.2.0.1").await,
        "your address",
    );

    // Open: a registration is active at once, with a first token.
    refused(
        "a member sets the policy",
        403,
        &call_api(
            &base,
            Method::PUT,
            "/api/v1/admin/instance",
            Some(&member.token),
            None,
            Some(json!({"registration_policy": "open"})),
        )
        .await,
        "administrator",
    );
    refused(
        "unknown policy",
        400,
        &call_api(
            &base,
            Method::PUT,
            "/api/v1/admin/instance",
            Some(&admin.token),
            None,
            Some(json!({"registration_policy": "anyone"})),
        )
        .await,
        "request body",
    );
    let (status, _) = call_api(
        &base,
        Method::PUT,
        "/api/v1/admin/instance",
        Some(&admin.token),
        None,
        Some(json!({"registration_policy": "open"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = register(
        &base,
        json!({"username": "dan", "email": "dan@example.org",
        "password": "walking the fells"}),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (201, Some("active")),
        "{body}"
    );
    let (status, _) = call_api(
        &base,
        Method::GET,
        "/api/v1/me",
        body["token"].as_str(),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);

    // Closed: only an invitation lets one in, as often as it says.
    call_api(
        &base,
        Method::PUT,
        "/api/v1/admin/instance",
        Some(&admin.token),
        None,
        Some(json!({"registration_policy": "closed"})),
    )
    .await;
    let erin =
        json!({"username": "erin", "email": "erin@example.org", "password": "rain on the roof"});
    refused(
        "closed",
        403,
        &register(&base, erin.clone()).await,
        "invitation only",
    );
    refused(
        "a member invites",
        403,
        &call_api(
            &base,
            Method::POST,
            "/api/v1/admin/invitations",
            Some(&member.token),
            None,
            Some(json!({})),
        )
        .await,
        "administrator",
    );
    let (status, invitation) = call_api(
        &base,
        Method::POST,
        "/api/v1/admin/invitations",
        Some(&admin.token),
        None,
        Some(json!({"max_uses": 1, "expires_at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 201, "{invitation}");
    let code = invitation["code"].as_str().unwrap();
    let mut with_code = erin.clone();
    with_code["invitation"] = json!("not-a-code");
    refused(
        "a wrong code",
        403,
        &register(&base, with_code.clone()).await,
        "not valid",
    );
    with_code["invitation"] = json!(code);
    let (status, body) = register(&base, with_code.clone()).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (201, Some("active")),
        "{body}"
    );
    with_code["username"] = json!("erin2");
    with_code["email"] = json!("erin2@example.org");
    refused(
        "a used-up code",
        403,
        &register(&base, with_code).await,
        "used up",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_end() {
    let a = Instance::start("a", &Backend::Sqlite);
    let alice = a.user("alice");
    let actor = alice.actor.clone();
    let (row, secret) =
        a.db.write_blocking(|c| weft_core::auth::start_session(c, &actor, Some("Firefox")))
            .unwrap();
    let s = secret.clone();
    let who =
        a.db.write_blocking(move |c| weft_core::auth::session(c, &s))
            .unwrap();
    assert_eq!(who.id, alice.actor.id);
    // Stored hashed: the secret is nowhere in the database.
    assert_ne!(row.token_hash, secret);
    assert!(row.expires_at > weft_db::now() + chrono::TimeDelta::days(13));
    let s = secret.clone();
    a.db.write_blocking(move |c| weft_core::auth::end_session(c, &s))
        .unwrap();
    let s = secret.clone();
    let ended =
        a.db.write_blocking(move |c| weft_core::auth::session(c, &s));
    assert!(
        matches!(ended, Err(weft_core::CoreError::Unauthorized(_))),
        "{ended:?}"
    );
}

//! The OpenAPI document over real HTTP, on both backends: it is OpenAPI 3.1 and names
//! this instance; it holds today's operations; every `$ref` resolves; every operation has
//! a 2xx with a schema (or a 204), request bodies have schemas, errors are problem
//! documents; and the router agrees with it: every documented operation answers (with
//! a status the document lists for it, a problem body for errors, and a 2xx body that fits
//! its schema), and every method the document does not list on a path is 405.

use reqwest::Method;
use serde_json::{Value, json};
use weft_tests::*;

/// The operations the API has today: removing one's registration (or its annotation)
/// fails here. A new one is added to this list with its route.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/openapi.json"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/follows"),
    ("post", "/api/v1/unfollow"),
    ("post", "/api/v1/posts"),
    ("get", "/api/v1/posts/{id}"),
    ("patch", "/api/v1/posts/{id}"),
    ("delete", "/api/v1/posts/{id}"),
    ("get", "/api/v1/lookup"),
    ("get", "/api/v1/communities/{handle}/feed"),
    ("get", "/api/v1/communities/{handle}/events"),
    ("post", "/api/v1/communities/{handle}/events"),
    ("get", "/api/v1/events/{id}"),
    ("patch", "/api/v1/events/{id}"),
    ("put", "/api/v1/events/{id}"),
    ("get", "/api/v1/events/{id}/attendees"),
    ("post", "/api/v1/events/{id}/rsvp"),
    ("post", "/api/v1/events/{id}/cancel"),
    ("get", "/api/v1/instance"),
    ("post", "/api/v1/accounts"),
    ("post", "/api/v1/login"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("put", "/api/v1/admin/instance"),
    ("get", "/api/v1/admin/registrations"),
    ("post", "/api/v1/admin/registrations/{username}/{decision}"),
    ("post", "/api/v1/admin/invitations"),
    ("get", "/api/v1/communities/{name}/membership"),
    ("post", "/api/v1/communities/{name}/join"),
    ("post", "/api/v1/communities/{name}/leave"),
    ("put", "/api/v1/communities/{name}/join-policy"),
    ("get", "/api/v1/communities/{name}/members"),
    ("put", "/api/v1/communities/{name}/members/{handle}"),
    ("delete", "/api/v1/communities/{name}/members/{handle}"),
    ("get", "/api/v1/communities/{name}/moderators"),
    ("get", "/api/v1/communities/{name}/requests"),
    ("post", "/api/v1/communities/{name}/requests/{id}/accept"),
    ("post", "/api/v1/communities/{name}/requests/{id}/reject"),
    ("post", "/api/v1/communities/{name}/invitations"),
    ("get", "/api/v1/communities/similar"),
    ("post", "/api/v1/proposals"),
    ("get", "/api/v1/communities/{handle}"),
    ("patch", "/api/v1/communities/{handle}"),
    ("post", "/api/v1/communities/{handle}/objectives"),
    ("patch", "/api/v1/communities/{handle}/objectives/{id}"),
    ("delete", "/api/v1/communities/{handle}/objectives/{id}"),
    ("post", "/api/v1/communities/{handle}/interest"),
    ("delete", "/api/v1/communities/{handle}/interest"),
    ("post", "/api/v1/communities/{handle}/activate"),
    ("post", "/api/v1/communities/{handle}/archive"),
    ("post", "/api/v1/communities/{handle}/reopen"),
    ("get", "/api/v1/calendar"),
    ("post", "/api/v1/calendar"),
    ("delete", "/api/v1/calendar"),
    ("get", "/api/v1/communities/{name}/files"),
    ("post", "/api/v1/communities/{name}/files"),
    ("get", "/api/v1/accounts/confirm"),
    ("post", "/api/v1/accounts/confirm"),
    ("post", "/api/v1/accounts/me/confirmation"),
    ("post", "/api/v1/password/reset-request"),
    ("post", "/api/v1/password/reset"),
    ("get", "/api/v1/accounts/me/mail"),
    ("put", "/api/v1/accounts/me/mail"),
    ("get", "/api/v1/unsubscribe"),
    ("post", "/api/v1/unsubscribe"),
    ("get", "/api/v1/communities/{handle}/resources"),
    ("post", "/api/v1/communities/{handle}/resources"),
    ("get", "/api/v1/communities/{handle}/folders"),
    ("post", "/api/v1/communities/{handle}/folders"),
    ("patch", "/api/v1/folders/{id}"),
    ("delete", "/api/v1/folders/{id}"),
    ("get", "/api/v1/resources/{id}"),
    ("patch", "/api/v1/resources/{id}"),
    ("delete", "/api/v1/resources/{id}"),
    ("post", "/api/v1/resources/{id}/move"),
    ("get", "/api/v1/resources/{id}/versions"),
    ("get", "/api/v1/resources/{id}/versions/{number}"),
    ("get", "/api/v1/resources/{id}/diff"),
    ("post", "/api/v1/resources/{id}/restore"),
    ("get", "/api/v1/directory"),
    ("put", "/api/v1/communities/{name}/directory"),
    ("get", "/api/v1/admin/constellations"),
    ("post", "/api/v1/admin/constellations"),
    ("post", "/api/v1/admin/constellations/join"),
    ("get", "/api/v1/admin/constellations/{name}/requests"),
    ("post", "/api/v1/admin/constellations/{name}/accept"),
    ("get", "/api/v1/admin/federation-policy"),
    ("put", "/api/v1/admin/federation-policy"),
    ("get", "/api/v1/admin/directory/sources"),
    ("get", "/api/v1/communities/{handle}/weaves"),
    ("post", "/api/v1/communities/{handle}/weaves"),
    ("delete", "/api/v1/communities/{handle}/weaves/{id}"),
    ("get", "/api/v1/communities/{handle}/travels"),
    ("get", "/api/v1/communities/{name}/bridges"),
    ("post", "/api/v1/communities/{name}/bridges"),
    ("patch", "/api/v1/communities/{name}/bridges/{id}"),
    ("delete", "/api/v1/communities/{name}/bridges/{id}"),
    ("get", "/api/v1/communities/{name}/bridges/in"),
];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_on_sqlite() {
    document_and_router_agree(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        document_and_router_agree(backend).await;
    }
}

/// One answer: status, content type, body (JSON, `Null` when empty or not JSON).
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("API reachable");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.unwrap();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// `#/components/schemas/X` in `doc`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Every `$ref` anywhere in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Whether `value` fits `schema` as far as types, required properties, items and
/// `allOf`/`oneOf` go (what a client relies on); `Err` says where it does not.
fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let target = resolve(doc, r).ok_or_else(|| format!("{at}: {r} does not resolve"))?;
        return fits(doc, target, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            fits(doc, s, value, at)?;
        }
    }
    if let Some(one) = schema["oneOf"].as_array()
        && !one.iter().any(|s| fits(doc, s, value, at).is_ok())
    {
        return Err(format!("{at}: {value} fits none of {schema}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let typed = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !typed {
        return Err(format!(
            "{at}: {value} is {kind}, the schema says {types:?}"
        ));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Value::Object(map) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !map.contains_key(name) {
                return Err(format!("{at}: no required property {name:?} in {value}"));
            }
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, s) in properties {
                if let Some(v) = map.get(name) {
                    fits(doc, s, v, &format!("{at}.{name}"))?;
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            fits(doc, s, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks one answer against the operation's documented responses.
fn check_answer(doc: &Value, what: &str, operation: &Value, answer: &Answer) {
    let documented = &operation["responses"][answer.status.to_string()];
    assert!(
        documented.is_object(),
        "{what}: answered {} ({}), which the document does not list: {}",
        answer.status,
        answer.body,
        operation["responses"]
    );
    if answer.status >= 400 {
        assert!(
            answer.content_type.starts_with("application/problem+json"),
            "{what}: {} answered as {:?}, not a problem document",
            answer.status,
            answer.content_type
        );
        assert_eq!(
            answer.body["status"], answer.status,
            "{what}: {}",
            answer.body
        );
        let schema = &documented["content"]["application/problem+json"]["schema"];
        fits(doc, schema, &answer.body, what).unwrap();
        assert!(
            !answer.body["detail"].as_str().unwrap().is_empty(),
            "{what}"
        );
    } else if let Some(schema) = documented["content"]["application/json"].get("schema") {
        fits(doc, schema, &answer.body, what).unwrap();
    }
}

/// `path` with its `{parameters}` filled from `values`.
fn fill(path: &str, values: &[(&str, String)]) -> String {
    values.iter().fold(path.to_string(), |p, (name, value)| {
        p.replace(&format!("{{{name}}}"), value)
    })
}

async fn document_and_router_agree(backend: Backend) {
    let a = Instance::start("a", &backend);
    let lead = a.user("lead");
    let mallory = a.user("mallory");
    let cop = a.handle("cop");
    a.community("cop", &lead, false);
    let post = lead
        .post(&cop, "Supervision", "How do you structure it?")
        .await;
    let (status, event) = lead
        .schedule(
            &cop,
            json!({"title": "Case review", "starts_at": "2030-01-10T14:00:00Z", "online_url": "https://meet.example/case-review"}),
        )
        .await;
    assert_eq!(status, 201, "{event}");

    let served = call(&a.base, "get", "/api/openapi.json", None, None).await;
    assert_eq!(served.status, 200);
    assert!(
        served.content_type.starts_with("application/json"),
        "{}",
        served.content_type
    );
    let doc = served.body;

    // OpenAPI 3.1, about Weft, naming this instance; the same document the code builds.
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Weft");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["info"]["license"]["identifier"], "AGPL-3.0-or-later");
    assert!(!doc["info"]["description"].as_str().unwrap().is_empty());
    assert_eq!(doc["servers"], json!([{ "url": a.base }]));
    let mut built = serde_json::to_value(weft_api::openapi()).unwrap();
    built["servers"] = doc["servers"].clone();
    assert_eq!(
        doc, built,
        "the served document is the one generated from the code"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearer"]["description"]})
    );

    // Every $ref resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "{} refs", all.len());
    for r in &all {
        assert!(resolve(&doc, r).is_some(), "{r} does not resolve");
    }

    // Today's operations, and no other.
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .map(|m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);

    let mut operation_ids = Vec::new();
    for (method, path) in OPERATIONS {
        let what = format!("{} {path}", method.to_uppercase());
        let operation = &doc["paths"][path][method];
        operation_ids.push(operation["operationId"].as_str().unwrap().to_string());
        let responses = operation["responses"].as_object().unwrap();
        // A 2xx with a schema, or a 204.
        assert!(
            responses.iter().any(|(status, r)| status == "204"
                || (status.starts_with('2')
                    && r["content"]["application/json"]["schema"].is_object())),
            "{what}: no 2xx with a schema"
        );
        // Every error is a problem document.
        for (status, r) in responses {
            if status.as_str() >= "400" {
                assert_eq!(
                    r["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{what} {status}"
                );
            }
        }
        if let Some(body) = operation.get("requestBody") {
            // JSON, or a form for uploads.
            assert!(
                body["content"]["application/json"]["schema"].is_object()
                    || body["content"]["multipart/form-data"]["schema"].is_object(),
                "{what}: request body without a schema"
            );
        }
        // Every path parameter is documented.
        for part in path.split('/').filter(|p| p.starts_with('{')) {
            let name = part.trim_matches(|c| c == '{' || c == '}');
            assert!(
                operation["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path")),
                "{what}: path parameter {name} not documented"
            );
        }
        let secured = operation["security"] == json!([{ "bearer": [] }]);
        let public = [
            ("get", "/api/openapi.json"),
            ("get", "/api/v1/instance"),
            ("post", "/api/v1/accounts"),
            ("post", "/api/v1/login"),
            ("get", "/api/v1/communities/similar"),
            ("get", "/api/v1/communities/{handle}"),
            ("get", "/api/v1/accounts/confirm"),
            ("post", "/api/v1/accounts/confirm"),
            ("post", "/api/v1/password/reset-request"),
            ("post", "/api/v1/password/reset"),
            ("get", "/api/v1/unsubscribe"),
            ("post", "/api/v1/unsubscribe"),
            ("get", "/api/v1/directory"),
        ];
        assert_eq!(
            secured,
            !public.contains(&(*method, *path)),
            "{what}: security {}",
            operation["security"]
        );
    }
    let mut unique = operation_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        operation_ids.len(),
        "operation ids repeat: {operation_ids:?}"
    );

    // The router agrees: each documented operation answers, without a token and with
    // an empty JSON body, with a status it documents; then as a member who may not do
    // everything, on real ids, with 2xx bodies that fit their schemas.
    let values = [
        (
            "handle",
            url::form_urlencoded::byte_serialize(cop.as_bytes()).collect::<String>(),
        ),
        ("username", "nobody".to_string()),
        ("name", "cop".to_string()),
        ("decision", "approve".to_string()),
    ];
    let lookup = format!(
        "/api/v1/lookup?ap_id={}",
        url::form_urlencoded::byte_serialize(post.ap_id.as_bytes()).collect::<String>()
    );
    let mut successes = 0;
    for (method, path) in OPERATIONS {
        let operation = &doc["paths"][path][method];
        let body = operation.get("requestBody").map(|_| json!({}));
        let id = match *path {
            p if p.starts_with("/api/v1/posts/") => post.id.to_string(),
            p if p.starts_with("/api/v1/events/") => event["id"].to_string(),
            _ => "999999".to_string(),
        };
        let mut values = values.to_vec();
        values.push(("id", id));
        let url = match *path {
            "/api/v1/lookup" => lookup.clone(),
            p => fill(p, &values),
        };
        let what = format!("{} {url}", method.to_uppercase());
        let anonymous = call(&a.base, method, &url, None, body.as_ref()).await;
        check_answer(&doc, &format!("{what} (no token)"), operation, &anonymous);
        if operation.get("security").is_some() {
            assert_eq!(anonymous.status, 401, "{what} without a token");
        }
        let member = call(&a.base, method, &url, Some(&mallory.token), body.as_ref()).await;
        check_answer(&doc, &format!("{what} (mallory)"), operation, &member);
        if (200..300).contains(&member.status) {
            successes += 1;
        }
        // A path or query that does not parse is a documented 400 with a problem body.
        let malformed = match *path {
            "/api/v1/lookup" => Some("/api/v1/lookup".to_string()),
            p if p.contains("{id}") => Some(p.replace("{id}", "abc")),
            _ => None,
        };
        if let Some(url) = malformed {
            let answer = call(&a.base, method, &url, Some(&mallory.token), body.as_ref()).await;
            assert_eq!(answer.status, 400, "{method} {url}: {}", answer.body);
            check_answer(
                &doc,
                &format!("{method} {url} (malformed)"),
                operation,
                &answer,
            );
        }
        // Methods the document does not list on this path are not routed.
        for other in METHODS.iter().filter(|m| paths[*path].get(**m).is_none()) {
            let answer = call(&a.base, other, &url, Some(&mallory.token), None).await;
            assert_eq!(
                answer.status,
                405,
                "{} {url} is routed but not documented",
                other.to_uppercase()
            );
        }
    }
    // me, tokens, instance, the document, feed, events, a post, lookup, an event.
    assert!(successes >= 9, "{successes} operations answered 2xx");

    validate_with_openapi_spec_validator(&doc);
}

/// Validates the document with `openapi-spec-validator` (PyPI) when it is installed
/// (`pip install openapi-spec-validator`); says so when it is not.
fn validate_with_openapi_spec_validator(doc: &Value) {
    let available = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("openapi-spec-validator is not installed: the document was not validated by it");
        return;
    }
    let file = std::env::temp_dir().join(format!("weft-openapi-{}.json", rand::random::<u64>()));
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // It repeats the whole document after the error: its first line says what is wrong.
    assert!(
        output.status.success(),
        "openapi-spec-validator: {}",
        said.chars().take(600).collect::<String>()
    );
}

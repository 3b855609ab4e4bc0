//! File uploads to a community's library, over real HTTP, on SQLite and PostgreSQL and
//! on both stores (a folder on the disk; an S3-compatible server, `moto`, started by
//! `scripts/test.sh`): upload, download byte for byte with the headers that keep a
//! browser safe, the same bytes stored once, paging; and hostile uploads (too large, a
//! disguised type, a path for a name, a non-member, an archived library, broken forms),
//! each refused with a problem body and nothing stored: no row, no object.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};
use weft_server::Config;
use weft_tests::files::{PNG, Store, multipart, pdf, post_form, upload};
use weft_tests::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_sqlite_and_disk() {
    library(Backend::Sqlite, Store::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_sqlite_and_s3() {
    if let Some(store) = Store::s3() {
        library(Backend::Sqlite, store).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_postgres_and_disk() {
    if let Some(backend) = Backend::postgres() {
        library(backend, Store::Local).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_postgres_and_s3() {
    if let (Some(backend), Some(store)) = (Backend::postgres(), Store::s3()) {
        library(backend, store).await;
    }
}

/// The default limit: 25 MiB, on the upload route only (other routes keep 256 KiB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_limit_is_25_mib_for_uploads_only() {
    let a = Instance::start("a", &Backend::Sqlite);
    let lead = a.user("lead");
    a.community("lib", &lead, false);
    let token = Some(lead.token.as_str());
    let (status, body) = upload(
        &a.base,
        token,
        "lib",
        "big.pdf",
        "application/pdf",
        &pdf(25 * MIB, "max"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["size"], 25 * MIB);
    let (status, body) = upload(
        &a.base,
        token,
        "lib",
        "bigger.pdf",
        "application/pdf",
        &pdf(25 * MIB + 1, "over"),
    )
    .await;
    assert_problem(status, &body, 413, "larger than 26214400 bytes");
    assert_eq!(rows(&a), 1);
    assert_eq!(Store::Local.objects(&a).await.len(), 1);
    // A body over the limit and the form's room is refused from its length alone.
    let (status, body) = upload(
        &a.base,
        token,
        "lib",
        "huge.pdf",
        "application/pdf",
        &pdf(27 * MIB, "huge"),
    )
    .await;
    assert_problem(status, &body, 413, "larger than");
    // Elsewhere the 256 KiB limit stands.
    let long = "x".repeat(300 * 1024);
    let (status, body) = call_api(
        &a.base,
        Method::POST,
        "/api/v1/posts",
        token,
        None,
        Some(serde_json::json!({"community": a.handle("lib"), "title": "Long", "content": long})),
    )
    .await;
    assert_eq!(status, 413, "{body}");
}

/// 1 MiB: large enough to show the route takes more than 256 KiB, small enough to test
/// "one byte over" quickly.
fn small_limit(config: &mut Config) {
    config.files.max_bytes = MIB as u64;
}

fn small_limit_s3(config: &mut Config) {
    weft_tests::files::use_s3(config);
    small_limit(config);
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The object key a file's bytes are stored under.
fn key(bytes: &[u8]) -> String {
    let h = sha256(bytes);
    format!("{}/{}/{h}", &h[..2], &h[2..4])
}

/// Every row of the `files` table.
fn rows(a: &Instance) -> i64 {
    a.db.read_blocking(|c| {
        weft_db::schema::files::table
            .count()
            .get_result::<i64>(c)
            .map_err(weft_db::DbError::from)
    })
    .unwrap()
}

#[track_caller]
fn assert_problem(status: u16, body: &Value, expected: u16, says: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["status"], expected, "{body}");
    assert_eq!(body["type"], "about:blank", "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail:?} should say {says:?}");
}

/// What is tried, by whom (token), in which community, with what name and bytes; the
/// status expected and what its problem says.
type Attack<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    &'a [u8],
    u16,
    &'a str,
);

struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(url: &str, if_none_match: Option<&str>) -> Download {
    let mut request = reqwest::Client::new().get(url);
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

async fn library(backend: Backend, store: Store) {
    store.prepare().await;
    let tweak = match store {
        Store::Local => small_limit,
        Store::S3(_) => small_limit_s3,
    };
    let a = Instance::start_with("a", &backend, tweak);
    let lead = a.user("lead");
    let mo = a.user("mo");
    let nora = a.user("nora");
    a.community("lib", &lead, false);
    a.community("other", &lead, false);
    a.community("old", &lead, false);
    for community in ["lib", "old"] {
        a.db.write_blocking(|c| {
            weft_core::accounts::set_role(c, &a.urls(), community, "mo", "member")
        })
        .unwrap();
    }
    let mo_token = Some(mo.token.as_str());

    // A PDF larger than the 256 KiB of other routes, its name with a space and an é.
    let minutes = pdf(600 * 1024, "minutes");
    let (status, file) = upload(
        &a.base,
        mo_token,
        "lib",
        "Minutes 2026 é.pdf",
        "application/octet-stream",
        &minutes,
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let sha = sha256(&minutes);
    assert_eq!(file["sha256"], sha);
    assert_eq!(file["media_type"], "application/pdf");
    assert_eq!(file["size"], minutes.len());
    assert_eq!(file["name"], "Minutes 2026 é.pdf");
    assert_eq!(file["uploader_id"], mo.actor.id);
    assert_eq!(file["url"], format!("{}/files/{sha}", a.base));

    // Downloaded by anyone, byte for byte, with the headers.
    let got = download(file["url"].as_str().unwrap(), None).await;
    assert_eq!(got.status, 200);
    assert!(got.bytes == minutes, "the bytes come back as they went");
    assert_eq!(got.header("content-type"), "application/pdf");
    assert_eq!(got.header("content-length"), minutes.len().to_string());
    assert_eq!(
        got.header("content-disposition"),
        "inline; filename=\"Minutes 2026 _.pdf\"; filename*=UTF-8''Minutes%202026%20%C3%A9.pdf"
    );
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    assert!(
        got.header("content-security-policy")
            .starts_with("default-src 'none'")
    );
    assert_eq!(got.header("etag"), format!("\"{sha}\""));
    assert_eq!(
        got.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let again = download(file["url"].as_str().unwrap(), Some(&format!("\"{sha}\""))).await;
    assert_eq!((again.status, again.bytes.len()), (304, 0));

    // An image (inline, sandboxed) and a CSV (saved, as UTF-8 text), whatever they claim.
    let (status, image) = upload(&a.base, mo_token, "lib", "diagram.png", "text/html", PNG).await;
    assert_eq!(
        (status, image["media_type"].as_str()),
        (201, Some("image/png")),
        "{image}"
    );
    let got = download(image["url"].as_str().unwrap(), None).await;
    assert_eq!(got.bytes, PNG);
    assert_eq!(got.header("content-type"), "image/png");
    assert!(got.header("content-disposition").starts_with("inline; "));
    assert_eq!(
        got.header("content-security-policy"),
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    );
    let csv = "name,role\nAda,lead\nÉmile,member\n".as_bytes();
    let (status, table) = upload(
        &a.base,
        mo_token,
        "lib",
        "people.csv",
        "application/pdf",
        csv,
    )
    .await;
    assert_eq!(
        (status, table["media_type"].as_str()),
        (201, Some("text/csv")),
        "{table}"
    );
    let got = download(table["url"].as_str().unwrap(), None).await;
    assert_eq!(got.bytes, csv);
    assert_eq!(got.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        got.header("content-disposition"),
        "attachment; filename=\"people.csv\"; filename*=UTF-8''people.csv"
    );
    assert_eq!(got.header("x-content-type-options"), "nosniff");

    // The same bytes again: the library's file (200), under its first name; in another
    // community a file of its own. Stored once.
    let lead_token = Some(lead.token.as_str());
    let (status, same) = upload(
        &a.base,
        lead_token,
        "lib",
        "copy.pdf",
        "application/pdf",
        &minutes,
    )
    .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(
        (
            same["id"].clone(),
            same["name"].clone(),
            same["uploader_id"].clone()
        ),
        (
            file["id"].clone(),
            file["name"].clone(),
            file["uploader_id"].clone()
        )
    );
    let (status, elsewhere) = upload(
        &a.base,
        lead_token,
        "other",
        "copy.pdf",
        "application/pdf",
        &minutes,
    )
    .await;
    assert_eq!(status, 201, "{elsewhere}");
    assert_ne!(elsewhere["id"], file["id"]);
    assert_eq!(elsewhere["url"], file["url"]);
    let mut expected = vec![key(&minutes), key(PNG), key(csv)];
    expected.sort();
    assert_eq!(
        store.objects(&a).await,
        expected,
        "each file's bytes stored once"
    );
    assert_eq!(rows(&a), 4);

    // Listed in upload order, page by page.
    let (status, list) = call_api(
        &a.base,
        Method::GET,
        "/api/v1/communities/lib/files",
        lead_token,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Minutes 2026 é.pdf", "diagram.png", "people.csv"]);
    let path = format!("/api/v1/communities/lib/files?limit=1&after={}", file["id"]);
    let (_, page) = call_api(&a.base, Method::GET, &path, lead_token, None, None).await;
    assert_eq!(page, serde_json::json!([image]));
    let (status, body) = call_api(
        &a.base,
        Method::GET,
        "/api/v1/communities/lib/files?after=x",
        lead_token,
        None,
        None,
    )
    .await;
    assert_problem(status, &body, 400, "after");

    // A name that is a path: stored by its hash, named by its last part; nothing written
    // outside the store.
    let sneaky = pdf(2000, "sneaky");
    let (status, body) = upload(
        &a.base,
        mo_token,
        "lib",
        "../../etc/passwd.pdf",
        "application/pdf",
        &sneaky,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["sha256"].as_str()),
        (Some("passwd.pdf"), Some(sha256(&sneaky).as_str()))
    );
    let (status, body) = upload(
        &a.base,
        mo_token,
        "lib",
        "..\\..\\..",
        "application/pdf",
        &pdf(2000, "dots"),
    )
    .await;
    assert_eq!(
        (status, body["name"].as_str()),
        (201, Some("file")),
        "{body}"
    );
    assert!(!std::path::Path::new("/etc/passwd.pdf").exists());
    assert!(
        !a.data_dir().join("../etc").exists()
            && !a.data_dir().join("../../etc/passwd.pdf").exists()
    );
    let mut top: Vec<String> = std::fs::read_dir(a.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("weft.db"))
        .collect();
    top.sort();
    let store_folder: &[&str] = match store {
        Store::Local => &["files"],
        Store::S3(_) => &[],
    };
    assert_eq!(
        top, store_folder,
        "only the store and the database in the data directory"
    );
    let objects = store.objects(&a).await;
    assert_eq!(objects.len(), 5);
    assert!(
        objects
            .iter()
            .all(|k| k.len() == 70 && k.as_bytes()[2] == b'/' && k.as_bytes()[5] == b'/'),
        "{objects:?}"
    );
    for path in [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        &sha[..63],
        &sha.to_uppercase(),
    ] {
        let got = download(&format!("{}/files/{path}", a.base), None).await;
        assert!(matches!(got.status, 400 | 404), "{path}: {}", got.status);
    }
    let unknown = sha256(b"nothing here");
    let got = download(&format!("{}/files/{unknown}", a.base), None).await;
    assert_eq!(got.status, 404);
    assert_eq!(got.header("content-type"), "application/problem+json");

    // Hostile uploads: each refused with a problem body, and nothing stored.
    let (rows_before, objects_before) = (rows(&a), store.objects(&a).await);
    let over = pdf(MIB + 1, "one byte over");
    let html = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/me')</script></body></html>";
    // A real program: this test's own binary.
    let program = std::fs::read(std::env::current_exe().unwrap()).unwrap()[..64 * 1024].to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    let fresh = pdf(3000, "fresh");
    let nora_token = Some(nora.token.as_str());
    let attacks: Vec<Attack> = vec![
        (
            "one byte over the limit",
            mo_token,
            "lib",
            "big.pdf",
            &over,
            413,
            "larger than 1048576 bytes",
        ),
        (
            "HTML named .pdf",
            mo_token,
            "lib",
            "report.pdf",
            html,
            415,
            "text/html",
        ),
        (
            "a program named .pdf",
            mo_token,
            "lib",
            "slides.pdf",
            &program,
            415,
            "application/x-executable",
        ),
        (
            "SVG named .png",
            mo_token,
            "lib",
            "logo.png",
            svg,
            415,
            "not one a library takes",
        ),
        ("empty", mo_token, "lib", "empty.txt", b"", 415, "empty"),
        (
            "a non-member",
            nora_token,
            "lib",
            "mine.pdf",
            &fresh,
            403,
            "only members of lib",
        ),
        (
            "an archived library",
            mo_token,
            "old",
            "late.pdf",
            &fresh,
            403,
            "archived",
        ),
        ("no token", None, "lib", "anon.pdf", &fresh, 401, ""),
        (
            "no such community",
            mo_token,
            "nowhere",
            "x.pdf",
            &fresh,
            404,
            "",
        ),
    ];
    let (status, body) = call_api(
        &a.base,
        Method::POST,
        "/api/v1/communities/old/archive",
        lead_token,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for (what, token, community, name, bytes, expected, says) in attacks {
        let (status, body) =
            upload(&a.base, token, community, name, "application/pdf", bytes).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert_problem(status, &body, expected, says);
        assert_eq!(rows(&a), rows_before, "{what}: no row");
        assert_eq!(store.objects(&a).await, objects_before, "{what}: no object");
    }

    // Forms that are not one file part.
    let forms: Vec<(&str, String, Vec<u8>, &str)> = vec![
        {
            let (t, b) = multipart(&[("document", Some("a.pdf"), "application/pdf", &fresh)]);
            ("a part not named file", t, b, "a part named \"document\"")
        },
        {
            let (t, b) = multipart(&[
                ("file", Some("a.pdf"), "application/pdf", &fresh),
                ("file", Some("b.pdf"), "application/pdf", &fresh),
            ]);
            ("two files", t, b, "one file at a time")
        },
        {
            let (t, b) = multipart(&[]);
            ("no file", t, b, "no part named file")
        },
        (
            "JSON",
            "application/json".into(),
            b"{\"file\": \"a.pdf\"}".to_vec(),
            "multipart",
        ),
        (
            "a broken form",
            "multipart/form-data; boundary=x".into(),
            b"--x\r\nnonsense".to_vec(),
            "upload form",
        ),
    ];
    for (what, content_type, body, says) in forms {
        let (status, answer) = post_form(&a.base, mo_token, "lib", &content_type, body).await;
        assert_problem(status, &answer, 400, says);
        assert_eq!(rows(&a), rows_before, "{what}: no row");
        assert_eq!(store.objects(&a).await, objects_before, "{what}: no object");
    }

    // After a restart the files are still served (from the same store).
    let mut a = a;
    a.restart();
    let got = download(&format!("{}/files/{sha}", a.base), None).await;
    assert!(got.status == 200 && got.bytes == minutes);
}

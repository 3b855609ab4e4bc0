//! Uploads in tests: multipart bodies written by hand (so hostile names and types go out
//! exactly as written), the file stores of an instance (its folder, or a prefix in a
//! bucket of the S3-compatible server `scripts/test.sh` starts: `moto`), and what each
//! holds, read independently of Weft.

use crate::Instance;
use serde_json::Value;
use std::path::{Path, PathBuf};
use weft_server::Config;

/// Where an instance of a test keeps its files.
#[derive(Clone, Debug)]
pub enum Store {
    Local,
    /// The S3-compatible server's URL.
    S3(String),
}

/// The bucket every test instance uses (each under a prefix of its own).
pub const BUCKET: &str = "weft-tests";

impl Store {
    /// S3 when `WEFT_TEST_S3_URL` is set (the test script starts `moto` and sets it).
    /// Under CI its absence is an error, so a broken CI setup cannot pass by skipping.
    pub fn s3() -> Option<Store> {
        match std::env::var("WEFT_TEST_S3_URL") {
            Ok(url) if !url.is_empty() => Some(Store::S3(url.trim_end_matches('/').into())),
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "CI must set WEFT_TEST_S3_URL so the S3 file storage tests run"
                );
                eprintln!("WEFT_TEST_S3_URL is not set: skipping the S3 file storage run");
                None
            }
        }
    }

    /// Makes the bucket (again: no change).
    pub async fn prepare(&self) {
        if let Store::S3(url) = self {
            let response = reqwest::Client::new()
                .put(format!("{url}/{BUCKET}"))
                .send()
                .await
                .expect("the S3 test server answers");
            assert!(
                response.status().is_success() || response.status().as_u16() == 409,
                "making the bucket: {}",
                response.status()
            );
        }
    }

    /// The configuration change that makes an instance use this store.
    pub fn tweak(&self) -> fn(&mut Config) {
        match self {
            Store::Local => |_| {},
            Store::S3(_) => use_s3,
        }
    }

    /// The object keys the instance's store holds (`ab/cd/<sha256>`), sorted.
    pub async fn objects(&self, instance: &Instance) -> Vec<String> {
        let mut keys: Vec<String> = match self {
            Store::Local => {
                let root = instance.data_dir().join("files");
                let mut found = vec![];
                walk(&root, &mut found);
                found
                    .iter()
                    .map(|p| {
                        p.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/")
                    })
                    .collect()
            }
            Store::S3(url) => {
                let prefix = format!("{}/", s3_prefix(&instance.domain));
                let mut list = url::Url::parse(&format!("{url}/{BUCKET}")).unwrap();
                list.query_pairs_mut()
                    .append_pair("list-type", "2")
                    .append_pair("prefix", &prefix);
                let listing = reqwest::get(list).await.unwrap().text().await.unwrap();
                listing
                    .split("<Key>")
                    .skip(1)
                    .map(|k| {
                        let key = k.split("</Key>").next().unwrap();
                        key.strip_prefix(&prefix).unwrap_or(key).to_string()
                    })
                    .collect()
            }
        };
        keys.sort();
        keys
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The prefix an instance's objects go under in the test bucket: this process and port.
fn s3_prefix(domain: &str) -> String {
    format!(
        "p{}-{}",
        std::process::id(),
        domain.rsplit(':').next().unwrap_or(domain)
    )
}

/// Keeps the instance's files in the test bucket (`WEFT_TEST_S3_URL`), under its prefix.
pub fn use_s3(config: &mut Config) {
    let url = std::env::var("WEFT_TEST_S3_URL").expect("WEFT_TEST_S3_URL");
    config.files.storage = weft_core::files::StorageSettings::S3(weft_core::files::S3Settings {
        bucket: BUCKET.into(),
        endpoint: Some(url.trim_end_matches('/').into()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        prefix: Some(s3_prefix(&config.domain)),
        allow_http: true,
    });
}

/// A `multipart/form-data` body of `parts` (field name, file name, content type, bytes):
/// its content type (with the boundary) and its bytes.
pub fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("weft-test-{}", rand::random::<u64>());
    let mut body = Vec::new();
    for (field, file_name, content_type, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => format!("form-data; name=\"{field}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{field}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends a prepared body to the upload route of `community`: status and JSON answer.
pub async fn post_form(
    base: &str,
    token: Option<&str>,
    community: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api/v1/communities/{community}/files"))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("API reachable");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// Uploads one file, named `file_name`, claiming `content_type` (which Weft ignores).
pub async fn upload(
    base: &str,
    token: Option<&str>,
    community: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let (form_type, body) = multipart(&[("file", Some(file_name), content_type, bytes)]);
    post_form(base, token, community, &form_type, body).await
}

/// A valid PDF of about `size` bytes (a comment pads it), different for each `seed`.
pub fn pdf(size: usize, seed: &str) -> Vec<u8> {
    let head = format!(
        "%PDF-1.4\n% {seed}\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    );
    let tail = "trailer << /Root 1 0 R >>\n%%EOF\n";
    let mut bytes = head.into_bytes();
    while bytes.len() + tail.len() < size {
        let line = b"% padding padding padding padding padding padding padding padding\n";
        let room = size - tail.len() - bytes.len();
        bytes.extend_from_slice(&line[..line.len().min(room)]);
    }
    bytes.extend_from_slice(tail.as_bytes());
    bytes
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

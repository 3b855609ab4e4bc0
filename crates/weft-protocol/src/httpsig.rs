//! HTTP signatures (draft-cavage-12, `rsa-sha256`/`hs2019` with RSA keys) and the
//! `Digest` header: building the signing string, signing, parsing and verifying.
//! Pure functions; the inbox decides which headers it requires.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

/// Headers Weft signs on a POST, as Mastodon does.
pub const POST_HEADERS: [&str; 5] = ["(request-target)", "host", "date", "digest", "content-type"];

/// `SHA-256=<base64>` of a body.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// True when some `SHA-256` entry of a `Digest` header matches the body (the label is
/// compared case-insensitively: bovine sends `sha-256=`). Other algorithms are ignored,
/// so a header with no SHA-256 entry fails.
pub fn digest_matches(header: &str, body: &[u8]) -> bool {
    let expected = B64.encode(Sha256::digest(body));
    header.split(',').any(|part| {
        let mut kv = part.trim().splitn(2, '=');
        let (Some(alg), Some(value)) = (kv.next(), kv.next()) else {
            return false;
        };
        alg.eq_ignore_ascii_case("sha-256") && value == expected
    })
}

/// An HTTP date (`Sun, 22 Nov 2026 02:46:33 GMT`).
pub fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub fn parse_http_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|n| n.and_utc())
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureHeader {
    pub key_id: String,
    pub algorithm: Option<String>,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, String> {
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    let mut rest = value.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or("Signature header: expected name=value")?;
        let name = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = &rest[eq + 1..];
        let val;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped
                .find('"')
                .ok_or("Signature header: unterminated quote")?;
            val = stripped[..end].to_string();
            rest = &stripped[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            val = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        match name.as_str() {
            "keyid" => key_id = Some(val),
            "algorithm" => algorithm = Some(val),
            "headers" => {
                headers = Some(
                    val.split_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect(),
                )
            }
            "signature" => {
                signature = Some(
                    B64.decode(val.as_bytes())
                        .map_err(|_| "Signature header: signature is not base64")?,
                )
            }
            "created" => created = val.parse().ok(),
            "expires" => expires = val.parse().ok(),
            _ => {}
        }
    }
    Ok(SignatureHeader {
        key_id: key_id.ok_or("Signature header has no keyId")?,
        algorithm,
        // The draft's default when `headers` is absent.
        headers: headers.unwrap_or_else(|| vec!["date".to_string()]),
        signature: signature.ok_or("Signature header has no signature")?,
        created,
        expires,
    })
}

/// Builds the string that is signed. `header` looks a header up by lower-case name.
pub fn signing_string(
    names: &[String],
    method: &str,
    path_and_query: &str,
    created: Option<i64>,
    expires: Option<i64>,
    header: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut lines = Vec::with_capacity(names.len());
    for name in names {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {}", method.to_ascii_lowercase(), path_and_query),
            "(created)" => created
                .ok_or("(created) is signed but missing")?
                .to_string(),
            "(expires)" => expires
                .ok_or("(expires) is signed but missing")?
                .to_string(),
            other => header(other).ok_or_else(|| format!("signed header {other} is missing"))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

pub fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("private key: {e}"))
}

pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|e| format!("public key: {e}"))
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over the signing string; base64.
pub fn sign(key: &RsaPrivateKey, signing_string: &str) -> String {
    let digest = Sha256::digest(signing_string.as_bytes());
    let signature = key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .expect("RSA signing of a SHA-256 digest cannot fail");
    B64.encode(signature)
}

pub fn verify(key: &RsaPublicKey, signing_string: &str, signature: &[u8]) -> bool {
    let digest = Sha256::digest(signing_string.as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
        .is_ok()
}

/// The headers of a signed POST: `Date`, `Digest`, `Content-Type` and `Signature`
/// (the caller sends `Host` as part of the URL).
pub fn signed_post_headers(
    key: &RsaPrivateKey,
    key_id: &str,
    url: &url::Url,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let date = http_date(now);
    let digest = digest_header(body);
    let content_type = crate::ACTIVITY_JSON.to_string();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let names: Vec<String> = POST_HEADERS.iter().map(|s| s.to_string()).collect();
    let string = signing_string(&names, "post", &path, None, None, |name| match name {
        "host" => Some(host.clone()),
        "date" => Some(date.clone()),
        "digest" => Some(digest.clone()),
        "content-type" => Some(content_type.clone()),
        _ => None,
    })
    .expect("all signed headers are present");
    let signature = sign(key, &string);
    vec![
        ("date", date),
        ("digest", digest),
        ("content-type", content_type),
        (
            "signature",
            format!(
                r#"keyId="{key_id}",algorithm="rsa-sha256",headers="{}",signature="{signature}""#,
                POST_HEADERS.join(" ")
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mastodon_signature_header() {
        let h = parse_signature_header(
            r#"keyId="https://m.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AAAA""#,
        )
        .unwrap();
        assert_eq!(h.key_id, "https://m.example/users/a#main-key");
        assert_eq!(h.headers.len(), 5);
        assert_eq!(h.signature, vec![0, 0, 0]);
    }

    #[test]
    fn digest_labels_are_case_insensitive() {
        let body = b"{}";
        let header = digest_header(body);
        assert!(digest_matches(&header, body));
        assert!(digest_matches(&header.replace("SHA-256", "sha-256"), body));
        assert!(!digest_matches(&header, b"{ }"));
        assert!(!digest_matches("SHA-512=abc", body));
    }

    #[test]
    fn http_dates_round_trip() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(parse_http_date(&http_date(now)), Some(now));
    }
}

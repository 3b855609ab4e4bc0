//! HTTP signatures (draft-cavage-12, `rsa-sha256`/`hs2019` with RSA keys) and the
//! `Digest` header: building the signing string, signing, parsing and verifying.
//! Pure functions; the inbox decides which headers it requires.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

/// An RSA private key for signing (aws-lc-rs: constant-time, unlike the `rsa` crate,
/// which is exposed to the Marvin timing attack, RUSTSEC-2023-0071).
pub struct SigningKey(RsaKeyPair);

/// A parsed RSA public key; parse once per key and keep it.
pub struct VerifyingKey(ParsedPublicKey);

/// The DER inside a PEM block (any label). Keys reach Weft from many servers' PEM
/// writers, so line breaks are normalised first (CRLF, other wrap widths, stray spaces).
fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let not_pem = || "the key is not PEM (base64 between BEGIN/END lines)".to_string();
    let lines: Vec<&str> = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let [begin, body @ .., end] = lines.as_slice() else {
        return Err(not_pem());
    };
    let body: String = body.concat();
    let wrapped: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let normalised = format!("{begin}\n{}\n{end}\n", wrapped.join("\n"));
    pem_rfc7468::decode_vec(normalised.as_bytes())
        .map(|(_, der)| der)
        .map_err(|_| not_pem())
}

fn der_to_pem(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .expect("PEM encoding of a key")
}

/// A new RSA-2048 key pair as (PKCS#8 private PEM, SPKI public PEM).
pub fn generate_key_pair() -> (String, String) {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
    let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key generation");
    let private: Pkcs8V1Der = pair.as_der().expect("encode private key");
    let public: PublicKeyX509Der = pair.public_key().as_der().expect("encode public key");
    (
        der_to_pem("PRIVATE KEY", private.as_ref()),
        der_to_pem("PUBLIC KEY", public.as_ref()),
    )
}

impl SigningKey {
    /// From a PKCS#8 PEM (`BEGIN PRIVATE KEY`), as Weft stores keys.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        let der = pem_to_der(pem)?;
        RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map(SigningKey)
            .map_err(|e| format!("private key: {e}"))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `data`; base64.
    pub fn sign(&self, data: &str) -> String {
        let mut signature = vec![0u8; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                data.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing cannot fail with a valid key");
        B64.encode(signature)
    }
}

impl VerifyingKey {
    /// From a PEM public key: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<VerifyingKey, String> {
        let der = pem_to_der(pem)?;
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            .map(VerifyingKey)
            .map_err(|e| format!("public key: {e}"))
    }

    pub fn verify(&self, data: &str, signature: &[u8]) -> bool {
        self.0.verify_sig(data.as_bytes(), signature).is_ok()
    }
}

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
    httpdate::fmt_http_date(at.into())
}

/// An HTTP date in any of the three forms RFC 9110 allows.
pub fn parse_http_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    httpdate::parse_http_date(s.trim()).ok().map(Into::into)
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

/// The headers of a signed POST: `Date`, `Digest`, `Content-Type` and `Signature`
/// (the caller sends `Host` as part of the URL).
pub fn signed_post_headers(
    key: &SigningKey,
    key_id: &str,
    url: &url::Url,
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    signed_post_headers_with_digest(key, key_id, url, &digest_header(body), now)
}

/// [`signed_post_headers`] for a body whose `Digest` header is already known (one
/// activity sent to many inboxes is digested once).
pub fn signed_post_headers_with_digest(
    key: &SigningKey,
    key_id: &str,
    url: &url::Url,
    digest: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, String)> {
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let date = http_date(now);
    let digest = digest.to_string();
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
    let signature = key.sign(&string);
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
    fn signatures_interoperate_with_the_rsa_crate() {
        use rsa::pkcs1v15::Pkcs1v15Sign;
        use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
        let (private_pem, public_pem) = generate_key_pair();
        let signer = SigningKey::from_pem(&private_pem).unwrap();
        let verifier = VerifyingKey::from_pem(&public_pem).unwrap();
        let text = "(request-target): post /inbox\nhost: a.example";
        let signature = B64.decode(signer.sign(text)).unwrap();
        assert!(verifier.verify(text, &signature));
        assert!(!verifier.verify("tampered", &signature));
        // The `rsa` crate (which the federation library uses) agrees both ways.
        let public = rsa::RsaPublicKey::from_public_key_pem(&public_pem).unwrap();
        let digest = Sha256::digest(text.as_bytes());
        assert!(
            public
                .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
                .is_ok()
        );
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&private_pem).unwrap();
        let theirs = private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .unwrap();
        assert!(verifier.verify(text, &theirs));
    }

    #[test]
    fn pkcs1_public_keys_are_read() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let (_, public_pem) = generate_key_pair();
        let public = rsa::RsaPublicKey::from_public_key_pem(&public_pem).unwrap();
        let pkcs1 = public.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        assert!(VerifyingKey::from_pem(&pkcs1).is_ok());
        assert!(VerifyingKey::from_pem("not a key").is_err());
    }

    #[test]
    fn pem_from_other_writers_is_read() {
        let (_, public_pem) = generate_key_pair();
        let lines: Vec<&str> = public_pem.lines().collect();
        let body = lines[1..lines.len() - 1].concat();
        // CRLF line ends, 76-column lines, and one unwrapped line: all seen in the wild.
        for width in [76, 64, 10_000] {
            let wrapped: Vec<String> = body
                .as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect();
            let pem = format!(
                "{}\r\n{}\r\n{}\r\n",
                lines[0],
                wrapped.join("\r\n"),
                lines[lines.len() - 1]
            );
            assert!(VerifyingKey::from_pem(&pem).is_ok(), "width {width}");
        }
        assert!(
            VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\n@@@\n-----END PUBLIC KEY-----")
                .is_err()
        );
    }

    #[test]
    fn http_dates_round_trip() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(parse_http_date(&http_date(now)), Some(now));
        assert_eq!(http_date(now), "Fri, 15 Jan 2027 08:00:00 GMT");
        assert_eq!(parse_http_date("not a date"), None);
    }
}

//! Addressing: `to`/`cc`/`audience`, and the several spellings of the public collection.

use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// Who an activity or object is addressed to. Flattened into every protocol type.
/// Lenient in: each field may be absent, one address, an array, or objects with an `id`.
/// Complete out: `to` and `cc` are always written, as arrays (Lemmy's activity types
/// require both and refuse an activity without `cc`); `audience` when there is one.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Addressing {
    #[serde(default, deserialize_with = "one_or_many_ids")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many_ids")]
    pub cc: Vec<String>,
    /// The community the object belongs to (FEP-1b12).
    #[serde(
        default,
        deserialize_with = "first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub audience: Option<Url>,
}

impl Addressing {
    pub fn new(to: Vec<String>, cc: Vec<String>, audience: Option<Url>) -> Self {
        Addressing { to, cc, audience }
    }

    /// Every address: to, cc, then audience.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.to
            .iter()
            .chain(self.cc.iter())
            .map(String::as_str)
            .chain(self.audience.as_ref().map(Url::as_str))
    }

    /// True when `to` or `cc` holds Public (in any spelling).
    pub fn is_public(&self) -> bool {
        addresses_public(self.to.iter().chain(self.cc.iter()))
    }
}

/// The public collection, as Weft writes it.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// True for any spelling of Public seen on the wire: the full IRI, `as:Public`, `Public`.
pub fn is_public_iri(s: &str) -> bool {
    s == PUBLIC || s == "as:Public" || s == "Public"
}

/// True when one of the addresses is Public.
pub fn addresses_public<'a>(addresses: impl IntoIterator<Item = &'a String>) -> bool {
    addresses.into_iter().any(|a| is_public_iri(a))
}

/// Two actor ids name the same actor, ignoring an `http`/`https` difference (seen on
/// Lemmy, whose `to` and `audience` disagree on the scheme) and a trailing slash.
pub fn same_id(a: &str, b: &str) -> bool {
    fn strip(s: &str) -> &str {
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.strip_suffix('/').unwrap_or(s)
    }
    strip(a) == strip(b)
}

/// Accepts a string, an array of strings, or objects with an `id` (skipping the rest),
/// and yields the strings. Addresses stay strings so `as:Public` survives.
pub fn one_or_many_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(ids_of(value.as_ref()))
}

/// The ids named by a JSON value: a string, an object with `id`, or an array of those.
pub fn ids_of(value: Option<&serde_json::Value>) -> Vec<String> {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        Some(Value::Array(items)) => items.iter().flat_map(|v| ids_of(Some(v))).collect(),
        Some(_) => vec![],
    }
}

/// The first URL named by a one-or-many field (for `attributedTo`, which PeerTube sends
/// as an array of objects and most servers as a string).
pub fn first_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    let ids = one_or_many_ids(d)?;
    Ok(ids.iter().find_map(|s| Url::parse(s).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_spellings() {
        for s in [PUBLIC, "as:Public", "Public"] {
            assert!(is_public_iri(s));
        }
        assert!(!is_public_iri("https://example.com/followers"));
    }

    #[test]
    fn addressing_is_lenient_in_and_complete_out() {
        #[derive(Serialize, Deserialize)]
        struct Thing {
            id: String,
            #[serde(flatten)]
            addressing: Addressing,
        }
        let read: Thing = serde_json::from_value(serde_json::json!({
            "id": "x",
            "to": "as:Public",
            "cc": [{"id": "https://a.example/c/cop", "type": "Group"}, "https://b.example/u/x"],
            "audience": [{"id": "https://a.example/c/cop"}]
        }))
        .unwrap();
        assert_eq!(read.addressing.to, ["as:Public"]);
        assert_eq!(
            read.addressing.cc,
            ["https://a.example/c/cop", "https://b.example/u/x"]
        );
        assert_eq!(
            read.addressing.audience.as_ref().map(Url::as_str),
            Some("https://a.example/c/cop")
        );
        assert!(read.addressing.is_public());
        let absent: Thing = serde_json::from_value(serde_json::json!({"id": "y"})).unwrap();
        assert_eq!(absent.addressing, Addressing::default());
        let written = serde_json::to_value(&absent).unwrap();
        assert_eq!(written, serde_json::json!({"id": "y", "to": [], "cc": []}));
    }

    #[test]
    fn same_id_ignores_scheme_and_slash() {
        assert!(same_id(
            "http://a.example/c/main",
            "https://a.example/c/main/"
        ));
        assert!(!same_id(
            "https://a.example/c/main",
            "https://a.example/c/other"
        ));
    }
}

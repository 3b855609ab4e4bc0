//! Content objects: threads (`Page` with a `name`), replies (`Note` with `inReplyTo`),
//! and what other servers send in their place (`Article`, `Question`, …).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// `source`: the markdown a post was written in, beside its HTML `content`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub content: String,
    #[serde(default = "markdown")]
    pub media_type: String,
}

fn markdown() -> String {
    "text/markdown".to_string()
}

impl Source {
    pub fn markdown(content: impl Into<String>) -> Self {
        Source {
            content: content.into(),
            media_type: markdown(),
        }
    }
}

/// A `Mention`, `Hashtag` or other tag; only `Mention`s route posts into communities.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Tag {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A post or reply, as sent and as accepted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PostObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, deserialize_with = "crate::addressing::first_url")]
    pub attributed_to: Option<Url>,
    #[serde(flatten)]
    pub addressing: crate::addressing::Addressing,
    /// The thread title, on a `Page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub in_reply_to: Option<Url>,
    /// The thread this belongs to (FEP-7888): the id of the thread's first post.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
}

/// The object types Weft stores as posts.
pub const POST_TYPES: [&str; 4] = ["Note", "Page", "Article", "Question"];

impl PostObject {
    /// Every address (to, cc, audience) on the object.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.addressing.all()
    }

    /// Hrefs of the `Mention` tags.
    pub fn mentions(&self) -> impl Iterator<Item = &str> {
        self.tag
            .iter()
            .filter(|t| t.kind == "Mention")
            .filter_map(|t| t.href.as_deref())
    }
}

/// A field that may be one object, an array, or hold entries of unknown shape (`tag`,
/// `location`): keep the entries that parse.
pub fn lenient_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Option::<serde_json::Value>::deserialize(d)?;
    let items = match value {
        Some(serde_json::Value::Array(items)) => items,
        Some(v @ serde_json::Value::Object(_)) => vec![v],
        _ => vec![],
    };
    Ok(items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// What a deleted object becomes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<DateTime<Utc>>,
}

impl Tombstone {
    pub fn new(id: Url, former_type: Option<String>, deleted: Option<DateTime<Utc>>) -> Self {
        Tombstone {
            kind: "Tombstone".into(),
            id,
            former_type,
            deleted,
        }
    }
}

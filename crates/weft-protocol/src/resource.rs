//! The resource library (Mobilizon-compatible where it fits): a resource is a `Document`
//! and a folder a `ResourceCollection`, each `attributedTo` the community that holds it,
//! with `actor` the person who wrote it and `context` the folder it is in (or the
//! community's `resources` collection at the top). Weft adds, as `weft:` terms, the kind
//! (`weft:kind`), the version number (`weft:version`), who wrote that version and why
//! (`weft:editedBy`, `weft:versionMessage`), the link (`weft:link`) and where every
//! version can be read (`weft:versions`).

use crate::object::{Source, Tag, lenient_list};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// A resource, as sent and as accepted.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceObject {
    /// `Document`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    /// The person who added it (Mobilizon's "creator").
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub actor: Option<Url>,
    /// The community whose library holds it.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(flatten)]
    pub addressing: crate::addressing::Addressing,
    pub name: String,
    /// Plain text that stands alone: the kind and the start of the description (Mastodon
    /// shows a `Document` as its name, this and its `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The description, as sanitised HTML.
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The description's markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Where to open it: its link, or its page.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    /// The folder it is in, or the community's `resources` collection.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// When this version was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Its tags, as `Hashtag`s.
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<AttachmentJson>,
    #[serde(flatten)]
    pub weft: ResourceTerms,
}

/// The `weft:` terms of a resource. Other servers' documents have none of them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct ResourceTerms {
    /// `weft:kind`: `method`, `story`, `case-study`, `tool`, `template`, `guidance`,
    /// `policy`, `education-material` or `other`.
    #[serde(rename = "weft:kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `weft:version`: 1 for the first version, one more for each edit.
    #[serde(
        rename = "weft:version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<i64>,
    /// `weft:editedBy`: who wrote this version.
    #[serde(
        rename = "weft:editedBy",
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub edited_by: Option<Url>,
    /// `weft:versionMessage`: what changed, in the editor's words.
    #[serde(
        rename = "weft:versionMessage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// `weft:link`: the resource's link, when it has one (its `url` then says the same).
    #[serde(
        rename = "weft:link",
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub link: Option<Url>,
    /// `weft:versions`: the collection of every version (each a `Document` as it was).
    #[serde(
        rename = "weft:versions",
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub versions: Option<Url>,
}

/// A file attached to a resource.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentJson {
    /// `Document`.
    #[serde(rename = "type", default = "document")]
    pub kind: String,
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `weft:size`: in bytes, when known.
    #[serde(rename = "weft:size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

fn document() -> String {
    "Document".into()
}

/// A folder of a community's library (Mobilizon's `ResourceCollection`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FolderObject {
    /// `ResourceCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub actor: Option<Url>,
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(flatten)]
    pub addressing: crate::addressing::Addressing,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The folder it is in, or the community's `resources` collection.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<Url>,
}

impl ResourceObject {
    /// The link: `weft:link`, or (from Mobilizon, whose `url` is the link) `url`.
    pub fn link(&self) -> Option<&Url> {
        if self.weft.kind.is_some() {
            self.weft.link.as_ref()
        } else {
            self.url.as_ref()
        }
    }

    /// Every address (to, cc, audience) and `attributedTo`.
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.addressing
            .all()
            .chain(self.attributed_to.as_ref().map(Url::as_str))
    }

    /// The names of its `Hashtag`s, without `#`.
    pub fn hashtags(&self) -> Vec<String> {
        self.tag
            .iter()
            .filter(|t| t.kind == "Hashtag")
            .filter_map(|t| t.name.as_deref())
            .map(|n| n.trim_start_matches('#').to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }
}

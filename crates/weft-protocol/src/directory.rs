//! The directory of an instance's communities, and a constellation's member list (see
//! `docs/federation/directory.md`). A directory entry is a short `Group`: what a search
//! on another instance needs, not the whole profile.

use crate::object::{Source, Tag, lenient_list};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// One community in a directory page.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryEntryJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The domain statement (HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The domain statement as written (markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Its tags, as `Hashtag`s.
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:language")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:lifecycle")]
    pub lifecycle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:memberCount")]
    pub member_count: Option<i64>,
    /// Its newest thread, event or resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:lastActivity")]
    pub last_activity: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// FEP-5feb: may it be indexed for search? (Weft lists only communities that may.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
}

impl DirectoryEntryJson {
    /// Does it ask not to be listed (`discoverable` or `indexable` false)?
    pub fn opted_out(&self) -> bool {
        self.discoverable == Some(false) || self.indexable == Some(false)
    }

    /// Its tags' names, without `#`.
    pub fn tag_names(&self) -> Vec<String> {
        self.tag
            .iter()
            .filter(|t| t.kind == "Hashtag")
            .filter_map(|t| t.name.as_deref())
            .map(|n| n.trim_start_matches('#').to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }
}

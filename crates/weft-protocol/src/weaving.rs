//! Weaving on the wire: a community's `Announce` of an item woven into it (the original
//! object, naming the weaver and the note in Weft's extension properties), and the
//! weaver's `Note`, which links the original with a FEP-e232 `Link` tag.

use crate::{Activity, Addressing};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// The media type of a FEP-e232 object link: an ActivityStreams object.
pub const OBJECT_LINK_MEDIA_TYPE: &str =
    "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// A community's `Announce` of an item woven into it. `object` is the original object
/// (its id, author and community as its origin serves them); `weft:wovenBy` names the
/// weaver and `weft:weaveNote` is their note, as plain text.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WovenAnnounce {
    #[serde(flatten)]
    pub activity: Activity<Value>,
    #[serde(
        rename = "weft:wovenBy",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub woven_by: Option<Url>,
    #[serde(
        rename = "weft:weaveNote",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub weave_note: Option<String>,
}

impl WovenAnnounce {
    /// Reads an `Announce` that names its weaver; `None` for any other `Announce`.
    pub fn from_value(value: &Value) -> Option<WovenAnnounce> {
        value.get("weft:wovenBy")?;
        serde_json::from_value(value.clone()).ok()
    }
}

/// A FEP-e232 object link (a `Link` tag to an ActivityStreams object).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLink {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub href: Url,
    pub name: String,
}

impl ObjectLink {
    /// The link a quoting post carries: `RE: <id>`.
    pub fn quoting(href: Url) -> Self {
        ObjectLink {
            kind: "Link".into(),
            media_type: OBJECT_LINK_MEDIA_TYPE.into(),
            name: format!("RE: {href}"),
            href,
        }
    }
}

/// The weaver's note: a `Note` by the weaver, in the weaving community, that links the
/// original (a `Link` tag, and an `<a href>` in its HTML that Mastodon shows).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WeaveNote {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    #[serde(flatten)]
    pub addressing: Addressing,
    pub content: String,
    pub source: crate::Source,
    pub tag: Vec<ObjectLink>,
    pub published: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_announce_is_a_weave_only_when_it_names_its_weaver() {
        let plain = json!({"type": "Announce", "id": "https://b.example/activities/1",
            "actor": "https://b.example/c/explorers", "object": "https://a.example/items/1"});
        assert!(WovenAnnounce::from_value(&plain).is_none());
        let mut woven = plain.clone();
        woven["weft:wovenBy"] = json!("https://b.example/u/bob");
        woven["weft:weaveNote"] = json!("Worth trying here.");
        let read = WovenAnnounce::from_value(&woven).expect("a weave");
        assert_eq!(read.woven_by.unwrap().as_str(), "https://b.example/u/bob");
        assert_eq!(read.weave_note.as_deref(), Some("Worth trying here."));
        assert_eq!(read.activity.object, json!("https://a.example/items/1"));
    }

    #[test]
    fn the_quote_link_is_fep_e232() {
        let link = ObjectLink::quoting(Url::parse("https://a.example/items/1").unwrap());
        assert_eq!(
            serde_json::to_value(&link).unwrap(),
            json!({"type": "Link",
                "mediaType": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                "href": "https://a.example/items/1", "name": "RE: https://a.example/items/1"})
        );
    }
}

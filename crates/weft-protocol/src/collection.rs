//! Ordered collections and their pages (outbox, followers, moderators, featured).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollection {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub total_items: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordered_items: Option<Vec<Value>>,
}

impl OrderedCollection {
    /// A collection whose items are on pages, starting at `first`.
    pub fn paged(id: Url, total_items: i64, first: Url) -> Self {
        OrderedCollection {
            kind: "OrderedCollection".into(),
            id,
            total_items,
            first: Some(first),
            ordered_items: None,
        }
    }

    /// A small collection listed inline.
    pub fn inline(id: Url, items: Vec<Value>) -> Self {
        OrderedCollection {
            kind: "OrderedCollection".into(),
            id,
            total_items: items.len() as i64,
            first: None,
            ordered_items: Some(items),
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderedCollectionPage {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    pub part_of: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Url>,
    pub ordered_items: Vec<Value>,
}

impl OrderedCollectionPage {
    pub fn new(id: Url, part_of: Url, next: Option<Url>, items: Vec<Value>) -> Self {
        OrderedCollectionPage {
            kind: "OrderedCollectionPage".into(),
            id,
            part_of,
            next,
            ordered_items: items,
        }
    }
}

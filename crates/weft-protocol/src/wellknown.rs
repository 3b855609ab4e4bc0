//! WebFinger (RFC 7033) and NodeInfo 2.1 documents.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Webfinger {
    pub subject: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub links: Vec<WebfingerLink>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct WebfingerLink {
    pub rel: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// Lemmy's way to tell a Group from a Person in WebFinger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
    /// A URI template (RFC 6415), as in the `http://ostatus.org/schema/1.0/subscribe`
    /// link: where to follow `{uri}` from this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

impl Webfinger {
    /// The ActivityPub actor id a WebFinger answer points at.
    pub fn actor_id(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| {
                l.rel == "self"
                    && l.kind.as_deref().is_some_and(|k| {
                        k == crate::ACTIVITY_JSON || k.starts_with("application/ld+json")
                    })
            })
            .and_then(|l| l.href.as_deref())
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub version: String,
    pub software: NodeInfoSoftware,
    pub protocols: Vec<String>,
    pub services: NodeInfoServices,
    pub open_registrations: bool,
    pub usage: NodeInfoUsage,
    pub metadata: serde_json::Value,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NodeInfoSoftware {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NodeInfoServices {
    pub inbound: Vec<String>,
    pub outbound: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsage {
    pub users: NodeInfoUsers,
    pub local_posts: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfoUsers {
    pub total: i64,
}

/// The WebFinger link relation whose `template` says where to follow `{uri}` from the
/// account's own server (OStatus remote follow, still read by Mastodon and others).
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

/// The HTML page of an actor, in WebFinger (`type` `text/html`).
pub const PROFILE_PAGE_REL: &str = "http://webfinger.net/rel/profile-page";

impl Webfinger {
    /// The remote-follow template (`…?uri={uri}`), if the account's server offers one.
    pub fn subscribe_template(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == SUBSCRIBE_REL)
            .and_then(|l| l.template.as_deref())
            .filter(|t| t.contains("{uri}"))
    }
}

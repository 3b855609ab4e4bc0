//! Actors: `Person`, `Group` (a community, FEP-1b12 / Lemmy-compatible), `Application`
//! (the instance actor). One struct serves all: what Weft writes, and what it accepts
//! from Mastodon, Lemmy, Mobilizon and others (unknown fields are ignored).

use crate::object::{Source, Tag, lenient_list};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Url,
    /// Optional in ActivityPub: an actor without a WebFinger handle may have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    pub inbox: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// On a Lemmy-style Group: the moderators collection.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    #[serde(deserialize_with = "one_public_key")]
    pub public_key: PublicKeyJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    /// On a community: its tags as `Hashtag`s (Mastodon shows them on the profile).
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tag: Vec<Tag>,
    /// On a community: its events that are not over, an `OrderedCollection` of `Event`s
    /// (FEP-8a8e's `upcomingEvents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upcoming_events: Option<Url>,
    /// `Link`s to other forms of the actor: on a Weft community its Atom feed and its
    /// iCalendar feed (`rel` `alternate`, with their `mediaType`). Entries of other shapes
    /// (Mastodon's `PropertyValue` fields) are skipped when read.
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<LinkJson>,
    /// On a Weft community: the rest of its profile, in `weft:` extension terms.
    #[serde(flatten)]
    pub profile: GroupProfile,
}

/// An ActivityStreams `Link` (`type` `Link`, `href`, `rel`, `mediaType`, `name`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LinkJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub href: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl LinkJson {
    /// A `Link` with `rel` `alternate`: the same actor in another format.
    pub fn alternate(href: Url, media_type: &str, name: &str) -> LinkJson {
        LinkJson {
            kind: "Link".into(),
            href,
            rel: Some("alternate".into()),
            media_type: Some(media_type.into()),
            name: Some(name.into()),
        }
    }
}

/// A Weft community's profile beyond `name`, `summary` and `tag` (see
/// `docs/federation.md`, "The community profile"). Every field is optional: other
/// servers' Groups have none of them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct GroupProfile {
    /// `weft:language`: a BCP 47 tag (`en`, `en-GB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:language")]
    pub language: Option<String>,
    /// `weft:termsOfReference`: purpose and how the community works (HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:termsOfReference")]
    pub terms_of_reference: Option<String>,
    /// `weft:termsOfReferenceSource`: the markdown it was written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:termsOfReferenceSource")]
    pub terms_of_reference_source: Option<Source>,
    /// `weft:meetingRhythm`: in words ("monthly, first Tuesday").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:meetingRhythm")]
    pub meeting_rhythm: Option<String>,
    /// `weft:meetingMode`: `online`, `face-to-face` or `hybrid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:meetingMode")]
    pub meeting_mode: Option<String>,
    /// `weft:objectives`: what the community means to harvest, with progress.
    #[serde(
        default,
        deserialize_with = "lenient_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[serde(rename = "weft:objectives")]
    pub objectives: Vec<ObjectiveJson>,
    /// `weft:lifecycle`: `proposal`, `active` or `archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "weft:lifecycle")]
    pub lifecycle: Option<String>,
    /// `weft:parent`: the community this one is a sub-community of.
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    #[serde(rename = "weft:parent")]
    pub parent: Option<Url>,
    /// `weft:children`: its sub-communities.
    #[serde(
        default,
        deserialize_with = "crate::addressing::one_or_many_ids",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[serde(rename = "weft:children")]
    pub children: Vec<String>,
    /// `weft:resources`: the community's resource library, a paged collection of its
    /// `Document`s (Mobilizon names its own `resources`).
    #[serde(
        default,
        deserialize_with = "crate::addressing::first_url",
        skip_serializing_if = "Option::is_none"
    )]
    #[serde(rename = "weft:resources")]
    pub resources: Option<Url>,
}

fn objective() -> String {
    "weft:Objective".into()
}

/// One entry of `weft:objectives`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ObjectiveJson {
    /// `weft:Objective`.
    #[serde(rename = "type", default = "objective")]
    pub object_type: String,
    /// `seminar`, `blog`, `newsletter`, `policy-influence`, `funding-bid`, `project`,
    /// `network` or `other`.
    #[serde(rename = "weft:kind", default)]
    pub kind: String,
    pub name: String,
    /// `planned`, `in-progress` or `done`.
    #[serde(rename = "weft:status", default)]
    pub status: String,
    /// `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(
        rename = "weft:doneOn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub done_on: Option<String>,
    #[serde(rename = "weft:note", default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ActorJson {
    /// The name to show and to store: `preferredUsername`, or else the last segment of
    /// the id's path (`https://h.example/users/7` → `7`), or else the host.
    pub fn username(&self) -> String {
        self.preferred_username
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| {
                self.id
                    .path_segments()
                    .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
                    .map(str::to_string)
            })
            .or_else(|| self.id.host_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn shared_inbox(&self) -> Option<&Url> {
        self.endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyJson {
    pub id: String,
    pub owner: Url,
    pub public_key_pem: String,
}

/// `publicKey` as one object or an array of them (the first RSA key wins).
fn one_public_key<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKeyJson, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PublicKeyJson),
        Many(Vec<PublicKeyJson>),
    }
    match OneOrMany::deserialize(d)? {
        OneOrMany::One(k) => Ok(k),
        OneOrMany::Many(keys) => keys
            .into_iter()
            .next()
            .ok_or_else(|| serde::de::Error::custom("publicKey is an empty array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_without_preferred_username_is_read() {
        let json = serde_json::json!({
            "type": "Person",
            "id": "https://h.example/people/ada/",
            "inbox": "https://h.example/people/ada/inbox",
            "publicKey": {
                "id": "https://h.example/people/ada#key",
                "owner": "https://h.example/people/ada/",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----"
            }
        });
        let actor: ActorJson = serde_json::from_value(json).unwrap();
        assert_eq!(actor.preferred_username, None);
        assert_eq!(actor.username(), "ada");
        let named = ActorJson {
            preferred_username: Some("Ada".into()),
            ..actor.clone()
        };
        assert_eq!(named.username(), "Ada");
        let root = ActorJson {
            id: Url::parse("https://h.example/").unwrap(),
            ..actor
        };
        assert_eq!(root.username(), "h.example");
    }

    #[test]
    fn a_weft_group_profile_round_trips_and_is_read_leniently() {
        let json = serde_json::json!({
            "type": "Group",
            "id": "https://a.example/c/cop",
            "inbox": "https://a.example/c/cop/inbox",
            "publicKey": {
                "id": "https://a.example/c/cop#main-key",
                "owner": "https://a.example/c/cop",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----"
            },
            "tag": [{"type": "Hashtag", "name": "#care"}],
            "weft:language": "en-GB",
            "weft:termsOfReference": "<p>Learn from cases.</p>",
            "weft:termsOfReferenceSource": {"content": "Learn from cases.", "mediaType": "text/markdown"},
            "weft:meetingRhythm": "Monthly",
            "weft:meetingMode": "hybrid",
            "weft:objectives": [{"type": "weft:Objective", "weft:kind": "seminar", "name": "One seminar a year",
                                 "weft:status": "done", "weft:doneOn": "2026-05"}],
            "weft:lifecycle": "proposal",
            "weft:parent": "https://a.example/c/cyp",
            "weft:children": ["https://a.example/c/cwp"]
        });
        let actor: ActorJson = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(actor.profile.lifecycle.as_deref(), Some("proposal"));
        assert_eq!(
            actor.profile.objectives[0].done_on.as_deref(),
            Some("2026-05")
        );
        assert_eq!(serde_json::to_value(&actor).unwrap(), json);
        // One object or one id where a list is expected; an objective without a name
        // is skipped, not a reason to refuse the actor.
        let mut lenient = json;
        lenient["weft:children"] = serde_json::json!("https://a.example/c/cwp");
        lenient["weft:objectives"] = serde_json::json!([{"weft:kind": "blog"}, {"name": "A blog"}]);
        let actor: ActorJson = serde_json::from_value(lenient).unwrap();
        assert_eq!(actor.profile.children, ["https://a.example/c/cwp"]);
        assert_eq!(actor.profile.objectives.len(), 1);
        assert_eq!(actor.profile.objectives[0].name, "A blog");
    }

    #[test]
    fn feed_links_are_read_and_profile_fields_skipped() {
        let json = serde_json::json!({
            "type": "Group", "id": "https://a.example/c/cop", "inbox": "https://a.example/c/cop/inbox",
            "publicKey": {"id": "https://a.example/c/cop#main-key", "owner": "https://a.example/c/cop",
                          "publicKeyPem": "-----BEGIN PUBLIC KEY-----"},
            "upcomingEvents": "https://a.example/c/cop/upcoming-events",
            "attachment": [
                {"type": "PropertyValue", "name": "Website", "value": "<a href=\"https://x.example\">x</a>"},
                {"type": "Link", "href": "https://a.example/feeds/communities/cop.atom", "rel": "alternate",
                 "mediaType": "application/atom+xml", "name": "Atom feed"}
            ]
        });
        let actor: ActorJson = serde_json::from_value(json).unwrap();
        assert_eq!(
            actor.upcoming_events.as_ref().map(Url::as_str),
            Some("https://a.example/c/cop/upcoming-events")
        );
        assert_eq!(
            actor.attachment,
            [LinkJson::alternate(
                Url::parse("https://a.example/feeds/communities/cop.atom").unwrap(),
                "application/atom+xml",
                "Atom feed"
            )]
        );
    }
}

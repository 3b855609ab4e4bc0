//! Rows → protocol JSON (`into_json`) for what Weft serves and sends. Incoming JSON →
//! rows lives with the services that store it (`posts::receive`, `following::…`).

use crate::Urls;
use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;
use weft_db::models::{ActorRow, ItemRow, NewActor, actor_kind};
use weft_protocol::{ActorJson, Addressing, Endpoints, PUBLIC, PostObject, PublicKeyJson, Source};

/// Longest summary of a thread, in characters: a paragraph a Mastodon reader can take in.
pub const SUMMARY_CHARS: usize = 400;

/// Longest user name kept from a remote actor.
const MAX_USERNAME: usize = 100;

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// A local actor (person, community or the instance actor) as served.
pub fn actor_into_json(urls: &Urls, actor: &ActorRow) -> ActorJson {
    let id = url(&actor.ap_id);
    let group = actor.is_group();
    let person_like = actor.kind != actor_kind::APPLICATION;
    ActorJson {
        kind: actor.kind.clone(),
        id: id.clone(),
        preferred_username: Some(actor.username.clone()),
        name: actor.display_name.clone(),
        summary: actor.summary.clone(),
        source: actor.summary_source.clone().map(Source::markdown),
        inbox: url(&actor.inbox_url),
        outbox: actor.outbox_url.as_deref().map(url),
        followers: actor.followers_url.as_deref().map(url),
        following: person_like.then(|| urls.actor_part(&id, "following")),
        featured: group.then(|| urls.actor_part(&id, "featured")),
        attributed_to: group.then(|| urls.actor_part(&id, "moderators")),
        endpoints: Some(Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        }),
        public_key: PublicKeyJson {
            id: actor.public_key_id.clone(),
            owner: id.clone(),
            public_key_pem: actor.public_key_pem.clone(),
        },
        manually_approves_followers: Some(actor.manually_approves_followers),
        discoverable: Some(actor.discoverable),
        posting_restricted_to_mods: group.then_some(actor.posting_restricted_to_mods),
        published: Some(utc(actor.published_at)),
        url: Some(id),
        tag: vec![],
        upcoming_events: None,
        attachment: vec![],
        profile: Default::default(),
    }
}

/// A remote actor document → the row that caches it.
pub fn actor_from_json(json: &ActorJson, domain: &str) -> NewActor {
    let now = weft_db::now();
    NewActor {
        ap_id: json.id.to_string(),
        kind: json.kind.clone(),
        username: crate::sanitize::remote_username(&json.username(), MAX_USERNAME),
        domain: domain.to_string(),
        display_name: json.name.as_deref().map(crate::sanitize::remote_title),
        summary: json.summary.as_deref().map(crate::sanitize::html),
        summary_source: json.source.as_ref().map(crate::sanitize::remote_source),
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: json.shared_inbox().map(Url::to_string),
        outbox_url: json.outbox.as_ref().map(Url::to_string),
        followers_url: json.followers.as_ref().map(Url::to_string),
        public_key_id: json.public_key.id.clone(),
        public_key_pem: json.public_key.public_key_pem.clone(),
        private_key_pem: None,
        is_local: false,
        manually_approves_followers: json.manually_approves_followers.unwrap_or(false),
        discoverable: json.discoverable.unwrap_or(true),
        posting_restricted_to_mods: json.posting_restricted_to_mods.unwrap_or(false),
        published_at: json.published.map(|p| p.naive_utc()).unwrap_or(now),
        last_refreshed_at: now,
    }
}

/// Where a post sits: its community, the post it answers and its thread's first post.
pub struct PostPlace<'a> {
    pub community: Option<&'a ActorRow>,
    pub parent: Option<(&'a ItemRow, &'a ActorRow)>,
    pub root: Option<&'a ItemRow>,
}

/// A post as served and sent: a thread is a `Page` with a `name` and a plain-text
/// `summary` (Mastodon shows a `Page` as name + summary + link); a reply a `Note`.
/// Addressed to its community and Public, with `audience` for servers that read that.
pub fn item_into_json(item: &ItemRow, author: &ActorRow, place: &PostPlace) -> PostObject {
    let community_id = place.community.map(|c| url(&c.ap_id));
    let mut to: Vec<String> = community_id.iter().map(Url::to_string).collect();
    to.push(PUBLIC.to_string());
    let cc: Vec<String> = place
        .parent
        .map(|(_, parent_author)| parent_author.ap_id.clone())
        .filter(|a| *a != author.ap_id)
        .into_iter()
        .collect();
    PostObject {
        kind: item.object_type.clone(),
        id: url(&item.ap_id),
        attributed_to: Some(url(&author.ap_id)),
        addressing: Addressing::new(to, cc, community_id),
        name: item.title.clone(),
        content: item.content.clone(),
        media_type: Some("text/html".into()),
        source: item.source.clone().map(Source::markdown),
        summary: item
            .title
            .as_ref()
            .and_then(|_| crate::sanitize::excerpt(&item.content, SUMMARY_CHARS)),
        in_reply_to: place.parent.map(|(p, _)| url(&p.ap_id)),
        context: Some(url(&place.root.unwrap_or(item).ap_id)),
        published: Some(utc(item.published_at)),
        updated: item.updated_at.map(utc),
        url: item.url.as_deref().map(url),
        tag: vec![],
        sensitive: Some(false),
    }
}

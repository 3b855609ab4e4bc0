//! Atom feeds (RFC 4287), written with `atom_syndication`: a community's latest threads
//! and events, and a thread with its replies. Each entry's `id` is the object's
//! ActivityPub id, its `link` (`alternate`) the object, its author the post's author
//! (name and actor URL), `published` and `updated` its dates, its `content` the post's
//! HTML sanitised again on the way out (remote HTML was sanitised when stored).

use super::{AtomEntry, ThreadFeed};
use crate::sanitize;
use crate::{Urls, wire::utc};
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::NaiveDateTime;
use url::Url;
use weft_db::models::{ActorRow, EventRow, ItemRow, event_status};

/// The `Content-Type` of what this module writes.
pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn date(at: NaiveDateTime) -> FixedDateTime {
    utc(at).fixed_offset()
}

fn link(href: &str, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime_type.map(str::to_string),
        ..Default::default()
    }
}

fn person(actor: &ActorRow) -> Person {
    Person {
        name: actor
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("{}@{}", actor.username, actor.domain)),
        uri: Some(actor.ap_id.clone()),
        ..Default::default()
    }
}

fn updated(item: &ItemRow) -> NaiveDateTime {
    item.updated_at
        .unwrap_or(item.published_at)
        .max(item.published_at)
}

/// When and where an event is, as a paragraph of HTML before its description.
fn event_html(event: &EventRow) -> String {
    let mut when = format!("{} UTC", event.starts_at.format("%Y-%m-%d %H:%M"));
    if let Some(tz) = &event.timezone {
        when.push_str(&format!(" ({})", sanitize::escape(tz)));
    }
    let mut parts = vec![format!("When: {when}")];
    let place: Vec<&str> = [&event.place_name, &event.place_address]
        .into_iter()
        .filter_map(|p| p.as_deref().filter(|p| !p.trim().is_empty()))
        .collect();
    if !place.is_empty() {
        parts.push(format!("Where: {}", sanitize::escape(&place.join(", "))));
    }
    if let Some(online) = &event.online_url {
        let online = sanitize::escape(online);
        parts.push(format!("Online: <a href=\"{online}\">{online}</a>"));
    }
    if event.status == event_status::CANCELLED {
        parts.insert(0, "<strong>Cancelled</strong>".into());
    }
    format!("<p>{}</p>", parts.join("<br>"))
}

fn entry(item: &ItemRow, author: &ActorRow, title: String, event: Option<&EventRow>) -> Entry {
    let href = item.url.as_deref().unwrap_or(&item.ap_id);
    let mut html = event.map(event_html).unwrap_or_default();
    html.push_str(&item.content);
    Entry {
        title: Text::plain(title),
        id: item.ap_id.clone(),
        updated: date(updated(item)),
        published: Some(date(item.published_at)),
        authors: vec![person(author)],
        links: vec![link(href, "alternate", None)],
        summary: sanitize::excerpt(&item.content, crate::wire::SUMMARY_CHARS).map(Text::plain),
        content: Some(Content {
            value: Some(sanitize::html(&html)),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn write(feed: Feed) -> String {
    feed.to_string()
}

/// A local community's Atom feed: its latest threads and events, newest first.
pub fn community_into_atom(urls: &Urls, community: &ActorRow, entries: &[AtomEntry]) -> String {
    let title = community
        .display_name
        .clone()
        .unwrap_or_else(|| community.username.clone());
    let items: Vec<Entry> = entries
        .iter()
        .map(|e| {
            let item = &e.entry.item;
            let title = item.title.clone().unwrap_or_else(|| "Untitled".into());
            entry(item, &e.entry.author, title, e.event.as_ref())
        })
        .collect();
    let newest = entries
        .iter()
        .map(|e| e.entry.last_activity_at.max(updated(&e.entry.item)))
        .fold(community.published_at, NaiveDateTime::max);
    let self_url = urls.community_atom(&community.username);
    write(Feed {
        title: Text::plain(title),
        id: self_url.to_string(),
        updated: date(newest),
        subtitle: community
            .summary
            .as_deref()
            .map(sanitize::html_to_text)
            .filter(|s| !s.is_empty())
            .map(Text::plain),
        links: vec![
            link(self_url.as_str(), "self", Some(CONTENT_TYPE_BARE)),
            link(&community.ap_id, "alternate", None),
        ],
        entries: items,
        ..Default::default()
    })
}

/// A thread's Atom feed: its first post, then its replies (oldest first).
pub fn thread_into_atom(urls: &Urls, thread: &ThreadFeed) -> String {
    let root = &thread.root;
    let title = root.title.clone().unwrap_or_else(|| "Untitled".into());
    let mut entries = vec![entry(root, &thread.author, title.clone(), None)];
    entries.extend(
        thread
            .replies
            .iter()
            .map(|(reply, author)| entry(reply, author, format!("Re: {title}"), None)),
    );
    let newest = thread
        .replies
        .iter()
        .map(|(r, _)| updated(r))
        .fold(updated(root), NaiveDateTime::max);
    let self_url = urls.thread_atom(root.id);
    let community = Url::parse(&thread.community.ap_id).ok();
    let mut links = vec![
        link(self_url.as_str(), "self", Some(CONTENT_TYPE_BARE)),
        link(
            root.url.as_deref().unwrap_or(&root.ap_id),
            "alternate",
            None,
        ),
    ];
    if let Some(c) = community {
        links.push(link(c.as_str(), "related", None));
    }
    write(Feed {
        title: Text::plain(title),
        id: self_url.to_string(),
        updated: date(newest),
        authors: vec![person(&thread.author)],
        links,
        entries,
        ..Default::default()
    })
}

/// The media type of an Atom document, as a link's `type`.
pub const CONTENT_TYPE_BARE: &str = "application/atom+xml";

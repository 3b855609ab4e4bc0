//! The pages, by who uses them: anyone ([`public`]), members ([`member`], [`account`]),
//! leads ([`lead`]), admins ([`admin`]); and following from another server ([`follow`]).
//! The view types here are what templates read, made from rows by `from_row`.

pub mod account;
pub mod admin;
pub mod follow;
pub mod lead;
pub mod member;
pub mod public;

use crate::render::{clean, when};
use weft_db::items::FeedEntry;
use weft_db::models::{ActorRow, ItemRow};

/// A person or community as a link: its name, where it lives, and its page.
#[derive(Clone, Debug)]
pub struct ActorLink {
    pub name: String,
    pub handle: String,
    pub href: String,
    pub is_local: bool,
    pub domain: String,
}

impl ActorLink {
    pub fn from_row(row: &ActorRow) -> Self {
        let name = row
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| row.username.clone());
        let href = match (row.is_local, row.is_group()) {
            (true, true) => format!("/c/{}", row.username),
            (true, false) => format!("/u/{}", row.username),
            (false, true) => format!("/remote/{}", row.id),
            // A remote person's own page, on their server.
            (false, false) => row.ap_id.clone(),
        };
        ActorLink {
            name,
            handle: format!("@{}@{}", row.username, row.domain),
            href,
            is_local: row.is_local,
            domain: row.domain.clone(),
        }
    }

    /// A community as the directory lists it (here, or on another member instance, whose
    /// own page it links to).
    pub fn from_directory_entry(entry: &weft_db::directory::DirectoryEntryRow) -> Self {
        let domain = url::Url::parse(&entry.ap_id)
            .ok()
            .as_ref()
            .and_then(weft_core::urls::host_port)
            .unwrap_or_else(|| entry.source_domain.clone());
        ActorLink {
            name: if entry.title.trim().is_empty() {
                entry.name.clone()
            } else {
                entry.title.clone()
            },
            handle: format!("@{}@{}", entry.name, domain),
            href: if entry.is_local {
                format!("/c/{}", entry.name)
            } else {
                entry.ap_id.clone()
            },
            is_local: entry.is_local,
            domain,
        }
    }
}

/// A post (thread or reply) as a page shows it.
#[derive(Clone, Debug)]
pub struct PostView {
    pub id: i64,
    pub title: Option<String>,
    /// Sanitised HTML.
    pub html: String,
    pub author: ActorLink,
    pub when: String,
    pub edited: bool,
    pub is_local: bool,
    /// Where a remote post lives (its own page there).
    pub origin: Option<String>,
    pub mine: bool,
}

impl PostView {
    pub fn from_row(item: &ItemRow, author: &ActorRow, viewer: Option<&ActorRow>) -> Self {
        PostView {
            id: item.id,
            title: item.title.clone(),
            html: clean(&item.content),
            author: ActorLink::from_row(author),
            when: when(&item.published_at),
            edited: item.updated_at.is_some(),
            is_local: item.is_local,
            origin: (!item.is_local).then(|| item.url.clone().unwrap_or(item.ap_id.clone())),
            mine: viewer.is_some_and(|v| v.id == author.id),
        }
    }
}

/// A line of a community's list of threads.
#[derive(Clone, Debug)]
pub struct ThreadLine {
    pub href: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub author: ActorLink,
    pub replies: i64,
    pub last: String,
    pub is_event: bool,
    pub is_local: bool,
    pub domain: String,
}

impl ThreadLine {
    /// `community` is the name in the page's address (`/c/{name}`, or for a remote
    /// community its `/remote/{id}` page's).
    pub fn from_entry(e: &FeedEntry, base: &str) -> Self {
        let is_event = e.item.kind == weft_db::models::ItemKind::Event;
        let href = if is_event {
            format!("{base}/events/{}", e.item.id)
        } else {
            format!("{base}/t/{}", e.item.id)
        };
        ThreadLine {
            href,
            title: e
                .item
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| "(untitled)".into()),
            excerpt: weft_core::sanitize::excerpt(&e.item.content, 180),
            author: ActorLink::from_row(&e.author),
            replies: e.reply_count,
            last: when(&e.last_activity_at),
            is_event,
            is_local: e.item.is_local,
            domain: e.author.domain.clone(),
        }
    }
}

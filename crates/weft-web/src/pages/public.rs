//! Pages anyone may read: the directory of this instance's communities, a community, a
//! thread, an event, a person's profile, and a remote community this instance knows.

use super::{ActorLink, PostView, ThreadLine};
use crate::render::{Chrome, PageError, clean, day, ok, when_in};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::Response;
use serde::Deserialize;
use weft_core::CoreError;
use weft_core::communities::Lifecycle;
use weft_db::models::{ActorRow, ItemKind, actor_kind, role};

/// Threads on one page of a community.
pub const THREADS_PER_PAGE: i64 = 20;
/// Replies on one page of a thread.
pub const REPLIES_PER_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lifecycle: String,
}

/// A community in the directory.
pub struct DirectoryEntry {
    pub link: ActorLink,
    pub about: String,
    pub lifecycle: &'static str,
    pub members: i64,
    pub tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    q: String,
    lifecycle: String,
    entries: Vec<DirectoryEntry>,
    total: usize,
}

/// `GET /`: this instance's communities, searched by words (title, name, domain
/// statement, tags) and filtered by lifecycle.
pub async fn directory(
    viewer: Viewer,
    Query(query): Query<DirectoryQuery>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome(format!("Communities on {}", viewer.ctx.urls.domain()));
    let rows = viewer
        .ctx
        .db
        .read(|c| -> Result<_, CoreError> {
            let rows = weft_db::actors::local_communities(c)?;
            let ids: Vec<i64> = rows.iter().map(|(a, _, _)| a.id).collect();
            let tags = weft_db::communities::tags_of(c, &ids)?;
            Ok((rows, tags))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let (rows, tags) = rows;
    let total = rows.len();
    let words: Vec<String> = query
        .q
        .split_whitespace()
        .map(|w| w.trim_start_matches('#').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let entries = rows
        .into_iter()
        .filter_map(|(actor, details, members)| {
            let lifecycle = Lifecycle::parse(&details.lifecycle).unwrap_or(Lifecycle::Active);
            if !query.lifecycle.is_empty() && query.lifecycle != lifecycle.as_str() {
                return None;
            }
            let own_tags: Vec<String> = tags
                .iter()
                .filter(|(id, _)| *id == actor.id)
                .map(|(_, t)| t.clone())
                .collect();
            let about = weft_core::sanitize::html_to_text(actor.summary.as_deref().unwrap_or(""));
            let haystack = format!(
                "{} {} {} {}",
                actor.username,
                actor.display_name.as_deref().unwrap_or(""),
                about,
                own_tags.join(" ")
            )
            .to_lowercase();
            if !words.iter().all(|w| haystack.contains(w.as_str())) {
                return None;
            }
            Some(DirectoryEntry {
                link: ActorLink::from_row(&actor),
                about,
                lifecycle: lifecycle.as_str(),
                members,
                tags: own_tags,
            })
        })
        .collect();
    Ok(ok(&DirectoryPage {
        c: chrome,
        q: query.q,
        lifecycle: query.lifecycle,
        entries,
        total,
    }))
}

/// An objective with how far it got.
pub struct ObjectiveView {
    pub title: String,
    pub kind: String,
    pub status: String,
    pub done_on: Option<String>,
    pub note: String,
}

/// An upcoming event, as a line.
pub struct EventLine {
    pub href: String,
    pub title: String,
    pub when: String,
    pub going: i64,
    pub cancelled: bool,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    c: Chrome,
    link: ActorLink,
    /// Where forms and pages of this community live (`/c/name`, `/remote/id`).
    base: String,
    about_html: String,
    terms_html: String,
    rhythm: String,
    lifecycle: &'static str,
    members: i64,
    tags: Vec<String>,
    objectives: Vec<ObjectiveView>,
    objectives_done: usize,
    moderators: Vec<(ActorLink, String)>,
    threads: Vec<ThreadLine>,
    older: Option<String>,
    events: Vec<EventLine>,
    interested: Vec<ActorLink>,
    why: String,
    join_policy: String,
    my_role: Option<String>,
    my_follow: Option<String>,
    is_moderator: bool,
    may_post: bool,
    calendar: String,
    atom: String,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    before: Option<i64>,
    page: Option<usize>,
    done: Option<String>,
}

async fn local_group(viewer: &Viewer, name: &str, chrome: &Chrome) -> Result<ActorRow, PageError> {
    let owned = name.to_string();
    viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::local_by_username(c, &owned))
        .await
        .map_err(|e| PageError::from(e).within(chrome))?
        .filter(|a| a.kind == actor_kind::GROUP)
        .ok_or_else(|| {
            PageError::not_found(format!("There is no community named {name} here.")).within(chrome)
        })
}

/// Words for a `?done=` after a form.
fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "joined" => "Welcome: you are a member now.",
            "requested" => "Your request to join was sent; a lead or facilitator will answer it.",
            "left" => "You have left the community.",
            "posted" => "Your thread is up.",
            "replied" => "Your reply is posted.",
            "edited" => "Your changes are saved.",
            "deleted" => "The post was deleted.",
            "interested" => "Thank you: your interest is counted.",
            "proposed" => {
                "Your proposal is up. Leads can activate it once enough people are interested."
            }
            "activated" => "The community is active now.",
            "archived" => "The community is archived (read-only).",
            "answered" => "Your answer is recorded.",
            "scheduled" => "The event is scheduled.",
            "cancelled" => "The event is cancelled.",
            "decided" => "Done.",
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /c/{name}`: a community of this instance.
pub async fn community(
    viewer: Viewer,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut chrome = viewer.chrome(&name);
    let actor = local_group(&viewer, &name, &chrome).await?;
    chrome.notice = notice(q.done.as_deref());
    show_community(viewer, actor, chrome, q.before).await
}

/// `GET /remote/{id}`: a community on another server, as this instance knows it.
pub async fn remote_community(
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut chrome = viewer.chrome("Community");
    let actor = viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::by_id(c, id))
        .await
        .ok()
        .filter(|a| a.is_group() && !a.is_local)
        .ok_or_else(|| {
            PageError::not_found("This instance knows no such community.").within(&chrome)
        })?;
    chrome.notice = notice(q.done.as_deref());
    show_community(viewer, actor, chrome, q.before).await
}

async fn show_community(
    viewer: Viewer,
    actor: ActorRow,
    mut chrome: Chrome,
    before: Option<i64>,
) -> Result<Response, PageError> {
    let reader = viewer.reader().await.map_err(|e| e.within(&chrome))?;
    let me = viewer.me.clone();
    let a = actor.clone();
    let loaded = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let profile = weft_core::communities::load(c, &a).ok();
            let summary = match &me {
                Some(me) => Some(weft_core::membership::summary(c, me, &a)?),
                None => None,
            };
            let feed = weft_core::feed::community_feed(c, &a, &reader, before, THREADS_PER_PAGE)?;
            let events = weft_core::events::upcoming(c, &a, &reader, None, 5)?;
            let moderators =
                weft_db::actors::members_with_roles(c, a.id, &[role::LEAD, role::FACILITATOR])?
                    .into_iter()
                    .map(|p| {
                        let r = weft_db::actors::role_of(c, a.id, p.id)?.unwrap_or_default();
                        Ok((p, r))
                    })
                    .collect::<Result<Vec<_>, CoreError>>()?;
            let members = weft_db::memberships::count(c, a.id)?;
            Ok((profile, summary, feed, events, moderators, members))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let (profile, summary, feed, events, moderators, members) = loaded;
    let link = ActorLink::from_row(&actor);
    chrome.title = link.name.clone();
    let base = if actor.is_local {
        format!("/c/{}", actor.username)
    } else {
        format!("/remote/{}", actor.id)
    };
    let my_role = summary.as_ref().and_then(|s| s.role.clone());
    let is_moderator = my_role.as_deref().is_some_and(role::is_moderator) || viewer.is_admin;
    let lifecycle = profile
        .as_ref()
        .map(|p| p.lifecycle())
        .unwrap_or(Lifecycle::Active);
    let older = (feed.len() as i64 == THREADS_PER_PAGE)
        .then(|| {
            feed.last()
                .map(|e| format!("{base}?before={}", e.placement.id))
        })
        .flatten();
    let objectives: Vec<ObjectiveView> = profile
        .as_ref()
        .map(|p| {
            p.objectives
                .iter()
                .map(|o| ObjectiveView {
                    title: o.title.clone(),
                    kind: o.kind.replace('_', " "),
                    status: o.status.replace('_', " "),
                    done_on: o.done_on.clone(),
                    note: o.note.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let objectives_done = objectives.iter().filter(|o| o.status == "done").count();
    let urls = &viewer.ctx.urls;
    let page = CommunityPage {
        about_html: clean(actor.summary.as_deref().unwrap_or("")),
        terms_html: profile
            .as_ref()
            .and_then(|p| p.extra.as_ref())
            .map(|e| clean(&e.terms_of_reference_html))
            .unwrap_or_default(),
        rhythm: profile
            .as_ref()
            .and_then(|p| p.extra.as_ref())
            .map(|e| e.meeting_rhythm.clone())
            .unwrap_or_default(),
        why: profile
            .as_ref()
            .and_then(|p| p.extra.as_ref())
            .map(|e| e.why.clone())
            .unwrap_or_default(),
        lifecycle: lifecycle.as_str(),
        members: profile.as_ref().map(|p| p.members).unwrap_or(members),
        tags: profile.as_ref().map(|p| p.tags.clone()).unwrap_or_default(),
        objectives_done,
        objectives,
        moderators: moderators
            .iter()
            .map(|(p, r)| (ActorLink::from_row(p), r.clone()))
            .collect(),
        threads: feed
            .iter()
            .map(|e| ThreadLine::from_entry(e, &base))
            .collect(),
        older,
        events: events
            .iter()
            .map(|e| EventLine {
                href: format!("{base}/events/{}", e.item.id),
                title: e.item.title.clone().unwrap_or_default(),
                when: when_in(&e.event.starts_at, e.event.timezone.as_deref()),
                going: e.counts.going,
                cancelled: e.event.status == weft_db::models::event_status::CANCELLED,
            })
            .collect(),
        interested: profile
            .as_ref()
            .map(|p| p.interested.iter().map(ActorLink::from_row).collect())
            .unwrap_or_default(),
        join_policy: summary
            .as_ref()
            .and_then(|s| s.join_policy.clone())
            .unwrap_or_default(),
        my_follow: summary.as_ref().and_then(|s| s.follow.clone()),
        may_post: my_role.is_some() && lifecycle == Lifecycle::Active,
        my_role,
        is_moderator,
        calendar: if actor.is_local {
            urls.community_calendar(&actor.username).to_string()
        } else {
            String::new()
        },
        atom: if actor.is_local {
            urls.community_atom(&actor.username).to_string()
        } else {
            String::new()
        },
        link,
        base,
        c: chrome,
    };
    Ok(ok(&page))
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    c: Chrome,
    community: ActorLink,
    base: String,
    post: PostView,
    replies: Vec<PostView>,
    page: usize,
    pages: usize,
    may_reply: bool,
}

/// The page address of a community (`/c/name` here, `/remote/id` elsewhere).
fn base_of(community: &ActorRow) -> String {
    if community.is_local {
        format!("/c/{}", community.username)
    } else {
        format!("/remote/{}", community.id)
    }
}

/// `GET /c/{name}/t/{id}`: a thread and its replies (paginated).
pub async fn thread(
    viewer: Viewer,
    Path((_name, id)): Path<(String, i64)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut chrome = viewer.chrome("Thread");
    chrome.notice = notice(q.done.as_deref());
    let reader = viewer.reader().await.map_err(|e| e.within(&chrome))?;
    let me = viewer.me.clone();
    let loaded = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let item = weft_db::items::by_id(c, id)?
                .filter(|i| i.deleted_at.is_none() && i.kind != ItemKind::Event)
                .ok_or_else(|| CoreError::NotFound(format!("There is no post {id} here.")))?;
            if !weft_core::feed::visible(c, &item, &reader)? {
                return Err(CoreError::NotFound(format!("There is no post {id} here.")));
            }
            // A reply's page is its thread's.
            let root = match item.thread_root_id {
                Some(root) if root != item.id => weft_db::items::by_id(c, root)?
                    .ok_or_else(|| CoreError::NotFound("the thread is gone".into()))?,
                _ => item,
            };
            let author = weft_db::actors::by_id(c, root.author_id)?;
            let community = match root.origin_community_id {
                Some(cid) => weft_db::actors::by_id(c, cid)?,
                None => return Err(CoreError::NotFound("the post is in no community".into())),
            };
            let replies = weft_core::feed::thread(c, &root, &reader)?;
            let role = match &me {
                Some(me) => weft_db::actors::role_of(c, community.id, me.id)?,
                None => None,
            };
            Ok((root, author, community, replies, role))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let (root, author, community, replies, role) = loaded;
    let me = viewer.me.as_ref();
    let post = PostView::from_row(&root, &author, me);
    chrome.title = post.title.clone().unwrap_or_else(|| "Thread".into());
    let pages = replies.len().div_ceil(REPLIES_PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let replies = replies
        .iter()
        .skip((page - 1) * REPLIES_PER_PAGE)
        .take(REPLIES_PER_PAGE)
        .map(|(i, a)| PostView::from_row(i, a, me))
        .collect();
    Ok(ok(&ThreadPage {
        c: chrome,
        base: base_of(&community),
        community: ActorLink::from_row(&community),
        post,
        replies,
        page,
        pages,
        may_reply: role.is_some() || (me.is_some() && !community.is_local),
    }))
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    c: Chrome,
    community: ActorLink,
    base: String,
    id: i64,
    title: String,
    description: String,
    starts: String,
    ends: Option<String>,
    timezone: Option<String>,
    place: Option<String>,
    online_url: Option<String>,
    going: i64,
    maybe: i64,
    declined: i64,
    places_left: Option<i64>,
    cancelled: bool,
    mine: Option<String>,
    calendar: Option<String>,
    organiser: ActorLink,
    may_cancel: bool,
}

/// `GET /c/{name}/events/{id}`: an event, its RSVP counts, and a calendar to add it from.
pub async fn event(
    viewer: Viewer,
    Path((_name, id)): Path<(String, i64)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let mut chrome = viewer.chrome("Event");
    chrome.notice = notice(q.done.as_deref());
    let me = viewer.me.clone();
    let (details, role) = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let d = weft_core::events::shown(c, id, me.as_ref())?;
            let role = match &me {
                Some(me) => weft_db::actors::role_of(c, d.community.id, me.id)?,
                None => None,
            };
            Ok((d, role))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    let e = &details.event;
    chrome.title = details.item.title.clone().unwrap_or_else(|| "Event".into());
    let place = match (&e.place_name, &e.place_address) {
        (Some(n), Some(a)) => Some(format!("{n}, {a}")),
        (Some(n), None) => Some(n.clone()),
        (None, Some(a)) => Some(a.clone()),
        (None, None) => None,
    };
    let mine = viewer.me.as_ref().map(|m| m.id) == Some(details.author.id);
    Ok(ok(&EventPage {
        base: base_of(&details.community),
        community: ActorLink::from_row(&details.community),
        id,
        title: chrome.title.clone(),
        description: clean(&details.item.content),
        starts: when_in(&e.starts_at, e.timezone.as_deref()),
        ends: e
            .ends_at
            .as_ref()
            .map(|at| when_in(at, e.timezone.as_deref())),
        timezone: e.timezone.clone(),
        place,
        online_url: e.online_url.clone(),
        going: details.counts.going,
        maybe: details.counts.maybe,
        declined: details.counts.declined,
        places_left: details.places_left,
        cancelled: e.status == weft_db::models::event_status::CANCELLED,
        mine: details.mine.as_ref().map(|r| r.answer.clone()),
        calendar: details.community.is_local.then(|| {
            viewer
                .ctx
                .urls
                .community_calendar(&details.community.username)
                .to_string()
        }),
        organiser: ActorLink::from_row(&details.author),
        may_cancel: mine || role.as_deref().is_some_and(role::is_moderator),
        c: chrome,
    }))
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    link: ActorLink,
    about_html: String,
    since: String,
}

/// `GET /u/{name}`: a person of this instance.
pub async fn profile(viewer: Viewer, Path(name): Path<String>) -> Result<Response, PageError> {
    let mut chrome = viewer.chrome(&name);
    let owned = name.clone();
    let person = viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::local_by_username(c, &owned))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?
        .filter(|a| a.kind == actor_kind::PERSON)
        .ok_or_else(|| {
            PageError::not_found(format!("There is no one named {name} here.")).within(&chrome)
        })?;
    let link = ActorLink::from_row(&person);
    chrome.title = link.name.clone();
    Ok(ok(&ProfilePage {
        c: chrome,
        about_html: clean(person.summary.as_deref().unwrap_or("")),
        since: day(&person.published_at),
        link,
    }))
}

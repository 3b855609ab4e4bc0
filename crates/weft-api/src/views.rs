//! API shapes (`from_row` conversions live here).

use serde::{Deserialize, Serialize};
use weft_db::items::FeedEntry;
use weft_db::models::{ActorRow, ItemRow};
use weft_db::post_states::PostStateRow;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ActorView {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub local: bool,
}

impl ActorView {
    pub fn from_row(a: &ActorRow) -> Self {
        ActorView {
            id: a.id,
            ap_id: a.ap_id.clone(),
            kind: a.kind.clone(),
            username: a.username.clone(),
            domain: a.domain.clone(),
            display_name: a.display_name.clone(),
            local: a.is_local,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PostView {
    pub id: i64,
    pub ap_id: String,
    pub title: Option<String>,
    pub content: String,
    pub author: String,
    pub in_reply_to: Option<String>,
    pub thread_root_id: Option<i64>,
    pub local: bool,
    pub published: String,
    pub updated: Option<String>,
    pub deleted: bool,
    /// `published`; or, for a post into a remote community, `pending` until the community
    /// announces it, `refused` when it refuses it (shown only to the author).
    #[serde(default = "published")]
    pub state: String,
    /// Why the community refused the post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

fn published() -> String {
    weft_db::post_states::PUBLISHED.into()
}

impl PostView {
    /// The view with the post's state (none stored: published).
    pub fn with_state(mut self, state: Option<&PostStateRow>) -> Self {
        if let Some(s) = state {
            self.state = s.state.clone();
            self.refusal = s.reason.clone();
        }
        self
    }

    pub fn from_row(item: &ItemRow, author: &ActorRow) -> Self {
        PostView {
            id: item.id,
            ap_id: item.ap_id.clone(),
            title: item.title.clone(),
            content: item.content.clone(),
            author: author.ap_id.clone(),
            in_reply_to: item.in_reply_to_ap_id.clone(),
            thread_root_id: item.thread_root_id,
            local: item.is_local,
            published: item.published_at.and_utc().to_rfc3339(),
            updated: item.updated_at.map(|u| u.and_utc().to_rfc3339()),
            deleted: item.deleted_at.is_some(),
            state: published(),
            refusal: None,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FeedEntryView {
    /// The cursor: pass it as `before` for the next page.
    pub placement_id: i64,
    pub how: String,
    /// The thread (or event); its replies are in `GET /api/v1/posts/{id}`.
    pub post: PostView,
    pub reply_count: i64,
    /// When the thread or its latest reply was posted (RFC 3339).
    pub last_activity_at: String,
}

impl FeedEntryView {
    pub fn from_entry(e: &FeedEntry, state: Option<&PostStateRow>) -> Self {
        FeedEntryView {
            placement_id: e.placement.id,
            how: e.placement.how.clone(),
            post: PostView::from_row(&e.item, &e.author).with_state(state),
            reply_count: e.reply_count,
            last_activity_at: e.last_activity_at.and_utc().to_rfc3339(),
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ThreadView {
    pub post: PostView,
    pub replies: Vec<PostView>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct FollowRequest {
    /// A URL, or name@host.
    pub actor: String,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct FollowView {
    pub actor: ActorView,
    pub state: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct NewPostRequest {
    /// The community (URL or name@host); not needed for a reply.
    pub community: Option<String>,
    pub title: Option<String>,
    pub content: String,
    /// The ap_id of the post replied to.
    pub in_reply_to: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct EditPostRequest {
    pub title: Option<String>,
    pub content: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct PlaceRequest {
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct NewEventRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339, e.g. `2026-12-10T14:00:00Z`.
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// An IANA zone name such as `Europe/London`.
    pub timezone: Option<String>,
    pub online_url: Option<String>,
    pub place: Option<PlaceRequest>,
    pub capacity: Option<i64>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct RsvpRequest {
    /// `going`, `maybe` or `declined`.
    pub answer: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RsvpView {
    pub answer: String,
    /// `accepted`; `pending` while a remote community has not answered; `refused`.
    pub state: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EventView {
    pub id: i64,
    pub ap_id: String,
    pub community: String,
    pub organiser: String,
    pub title: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub timezone: Option<String>,
    pub online_url: Option<String>,
    pub place_name: Option<String>,
    pub place_address: Option<String>,
    pub capacity: Option<i32>,
    pub cancelled: bool,
    /// Settled answers known to this instance (all of them where the event is hosted).
    pub going: i64,
    pub maybe: i64,
    pub declined: i64,
    pub places_left: Option<i64>,
    pub local: bool,
    /// The viewer's own answer.
    pub my_rsvp: Option<RsvpView>,
}

impl EventView {
    pub fn from_details(d: &weft_core::events::EventDetails) -> Self {
        let e = &d.event;
        EventView {
            id: d.item.id,
            ap_id: d.item.ap_id.clone(),
            community: d.community.ap_id.clone(),
            organiser: d.author.ap_id.clone(),
            title: d.item.title.clone().unwrap_or_default(),
            description: d.item.content.clone(),
            starts_at: e.starts_at.and_utc().to_rfc3339(),
            ends_at: e.ends_at.map(|t| t.and_utc().to_rfc3339()),
            timezone: e.timezone.clone(),
            online_url: e.online_url.clone(),
            place_name: e.place_name.clone(),
            place_address: e.place_address.clone(),
            capacity: e.capacity,
            cancelled: e.status == weft_db::models::event_status::CANCELLED,
            going: d.counts.going,
            maybe: d.counts.maybe,
            declined: d.counts.declined,
            places_left: d.parts().remaining(),
            local: d.item.is_local,
            my_rsvp: d.mine.as_ref().map(|r| RsvpView {
                answer: r.answer.clone(),
                state: r.state.clone(),
            }),
        }
    }
}

//! API shapes (`from_row` conversions live here).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_db::items::FeedEntry;
use weft_db::models::{ActorRow, ItemRow};
use weft_db::post_states::PostStateRow;

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
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

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
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

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct FeedEntryView {
    /// The cursor: pass it as `before` for the next page.
    pub placement_id: i64,
    pub how: String,
    /// The thread (or event); its replies are in `GET /api/v1/posts/{id}`.
    pub post: PostView,
    pub reply_count: i64,
    /// When the thread or its latest reply was posted (RFC 3339).
    pub last_activity_at: String,
    /// Bridges the item crossed to be placed here (0 for one created here).
    #[serde(default)]
    pub hops: i32,
    /// For a `bridged` item: the community it came from ("from A").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<PlacedFromView>,
}

impl FeedEntryView {
    pub fn from_entry(e: &FeedEntry, state: Option<&PostStateRow>) -> Self {
        FeedEntryView {
            placement_id: e.placement.id,
            how: e.placement.how.clone(),
            post: PostView::from_row(&e.item, &e.author).with_state(state),
            reply_count: e.reply_count,
            last_activity_at: e.last_activity_at.and_utc().to_rfc3339(),
            hops: e.placement.hops,
            from: None,
        }
    }

    /// Names the community a bridged item came from.
    pub fn placed_from(mut self, from: Option<&ActorRow>) -> Self {
        self.from = from.map(PlacedFromView::from_row);
        self
    }
}

/// The community an item was bridged from.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct PlacedFromView {
    pub ap_id: String,
    /// `name@host`.
    pub handle: String,
    pub display_name: Option<String>,
}

impl PlacedFromView {
    pub fn from_row(a: &ActorRow) -> Self {
        PlacedFromView {
            ap_id: a.ap_id.clone(),
            handle: format!("{}@{}", a.username, a.domain),
            display_name: a.display_name.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ThreadView {
    pub post: PostView,
    pub replies: Vec<PostView>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct FollowRequest {
    /// A URL, or name@host.
    pub actor: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct FollowView {
    pub actor: ActorView,
    pub state: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Default)]
pub struct NewPostRequest {
    /// The community (URL or name@host); not needed for a reply.
    pub community: Option<String>,
    pub title: Option<String>,
    pub content: String,
    /// The ap_id of the post replied to.
    pub in_reply_to: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Default)]
pub struct EditPostRequest {
    pub title: Option<String>,
    pub content: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Default)]
pub struct PlaceRequest {
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct NewEventRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339 with the UTC offset, e.g. `2026-12-10T14:00:00Z`, `2026-05-01T10:00:00+01:00`.
    pub starts_at: String,
    pub ends_at: Option<String>,
    /// An IANA zone name such as `Europe/London`.
    pub timezone: Option<String>,
    pub online_url: Option<String>,
    pub place: Option<PlaceRequest>,
    pub capacity: Option<i64>,
}

impl NewEventRequest {
    pub fn fields(&self) -> weft_core::events::EventFields<'_> {
        weft_core::events::EventFields {
            title: &self.title,
            description: &self.description,
            starts_at: &self.starts_at,
            ends_at: self.ends_at.as_deref(),
            timezone: self.timezone.as_deref(),
            online_url: self.online_url.as_deref(),
            place: self.place.as_ref().map(PlaceRequest::place),
            capacity: self.capacity,
        }
    }
}

impl PlaceRequest {
    fn place(&self) -> weft_core::events::Place<'_> {
        weft_core::events::Place {
            name: self.name.as_deref(),
            address: self.address.as_deref(),
        }
    }
}

/// Reads a field that is present (`null` included) as `Some`, so an absent field (left as
/// `None` by `default`) and an explicit `null` (`Some(None)`) differ.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An edit of an event (PATCH): a field left out stays as it is; a field given replaces
/// it; `null` clears an optional one (`ends_at`, `timezone`, `online_url`, `place`,
/// `capacity`, `description`). `place` is replaced as a whole (name and address).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct EditEventRequest {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub starts_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ends_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub timezone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub online_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub place: Option<Option<PlaceRequest>>,
    #[serde(default, deserialize_with = "present")]
    pub capacity: Option<Option<i64>>,
}

/// `Some(None)` (clear) or `Some(Some(text))` (set), borrowed.
fn inner(value: &Option<Option<String>>) -> Option<Option<&str>> {
    value.as_ref().map(|v| v.as_deref())
}

impl EditEventRequest {
    /// The changes it names; `Err` names a required field sent as `null`.
    pub fn changes(&self) -> Result<weft_core::events::EventChanges<'_>, String> {
        let required = |field: &str, value: &Option<Option<String>>| match value {
            Some(None) => Err(format!("{field} cannot be cleared: an event needs one")),
            _ => Ok(()),
        };
        required("title", &self.title)?;
        required("starts_at", &self.starts_at)?;
        Ok(weft_core::events::EventChanges {
            title: self.title.as_ref().and_then(|t| t.as_deref()),
            description: self
                .description
                .as_ref()
                .map(|d| d.as_deref().unwrap_or("")),
            starts_at: self.starts_at.as_ref().and_then(|t| t.as_deref()),
            ends_at: inner(&self.ends_at),
            timezone: inner(&self.timezone),
            online_url: inner(&self.online_url),
            place: self
                .place
                .as_ref()
                .map(|p| p.as_ref().map(PlaceRequest::place)),
            capacity: self.capacity,
        })
    }
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone)]
pub struct RsvpRequest {
    /// `going`, `maybe` or `declined`.
    pub answer: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct RsvpView {
    pub answer: String,
    /// `accepted`; `pending` while a remote community has not answered; `refused`.
    pub state: String,
}

#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
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
    /// All settled answers where the event is hosted; elsewhere the counts the hosting
    /// instance published (`counts_published`), or, until it has, the answers known here.
    pub going: i64,
    pub maybe: i64,
    pub declined: i64,
    pub places_left: Option<i64>,
    pub counts_published: bool,
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
            places_left: d.places_left,
            counts_published: d.counts_published,
            local: d.item.is_local,
            my_rsvp: d.mine.as_ref().map(|r| RsvpView {
                answer: r.answer.clone(),
                state: r.state.clone(),
            }),
        }
    }
}

/// One person's answer to an event, as its organiser sees it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AttendeeView {
    pub ap_id: String,
    /// `name@host`.
    pub handle: String,
    pub name: String,
    pub local: bool,
    /// `going`, `maybe` or `declined`.
    pub answer: String,
    /// `accepted`, or `refused` (a `Join` turned away: the event was full or closed).
    pub state: String,
    /// When the answer was given (RFC 3339).
    pub since: String,
}

impl AttendeeView {
    pub fn from_row(rsvp: &weft_db::models::RsvpRow, person: &ActorRow) -> Self {
        AttendeeView {
            ap_id: person.ap_id.clone(),
            handle: format!("{}@{}", person.username, person.domain),
            name: person
                .display_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| person.username.clone()),
            local: person.is_local,
            answer: rsvp.answer.clone(),
            state: rsvp.state.clone(),
            since: rsvp.updated_at.and_utc().to_rfc3339(),
        }
    }
}

//! Database rows. Protocol JSON and API types are elsewhere; conversions live beside them.

use crate::schema::*;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The kinds of actor Weft stores.
pub mod actor_kind {
    pub const PERSON: &str = "Person";
    pub const GROUP: &str = "Group";
    pub const APPLICATION: &str = "Application";
    pub const SERVICE: &str = "Service";
}

/// Roles in a community, strongest first.
pub mod role {
    pub const LEAD: &str = "lead";
    pub const FACILITATOR: &str = "facilitator";
    pub const WEAVER: &str = "weaver";
    pub const MEMBER: &str = "member";
    pub const ALL: [&str; 4] = [LEAD, FACILITATOR, WEAVER, MEMBER];
    /// Roles listed in the community's moderators collection.
    pub fn is_moderator(role: &str) -> bool {
        role == LEAD || role == FACILITATOR
    }
}

/// How people join a community.
pub mod join_policy {
    pub const OPEN: &str = "open";
    pub const APPROVAL: &str = "approval";
    pub const INVITE: &str = "invite";
    pub const ALL: [&str; 3] = [OPEN, APPROVAL, INVITE];
}

pub mod follow_state {
    pub const PENDING: &str = "pending";
    pub const ACCEPTED: &str = "accepted";
}

/// How an item came to be in a community.
pub mod placement_how {
    pub const CREATED: &str = "created";
    pub const WOVEN: &str = "woven";
    pub const BRIDGED: &str = "bridged";
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = actors)]
pub struct ActorRow {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub summary_source: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub is_local: bool,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub posting_restricted_to_mods: bool,
    pub published_at: NaiveDateTime,
    pub last_refreshed_at: NaiveDateTime,
}

impl ActorRow {
    /// Where to deliver: the shared inbox when the actor has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox_url.as_deref().unwrap_or(&self.inbox_url)
    }
    pub fn is_group(&self) -> bool {
        self.kind == actor_kind::GROUP
    }
}

#[derive(Insertable, AsChangeset, Debug, Clone)]
#[diesel(table_name = actors)]
pub struct NewActor {
    pub ap_id: String,
    pub kind: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub summary_source: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub is_local: bool,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub posting_restricted_to_mods: bool,
    pub published_at: NaiveDateTime,
    pub last_refreshed_at: NaiveDateTime,
}

impl NewActor {
    /// A remote `Person` known only by its id, host, shared inbox and key, laid out as
    /// Mastodon does (`{id}/inbox`, `{id}#main-key`, the last path segment as its name):
    /// the followers that tests and benchmarks write straight into a database.
    pub fn remote_person(
        ap_id: &str,
        domain: &str,
        shared_inbox: &str,
        public_key_pem: &str,
        at: NaiveDateTime,
    ) -> NewActor {
        NewActor {
            ap_id: ap_id.to_string(),
            kind: "Person".into(),
            username: ap_id.rsplit('/').next().unwrap_or("x").to_string(),
            domain: domain.to_string(),
            display_name: None,
            summary: None,
            summary_source: None,
            inbox_url: format!("{ap_id}/inbox"),
            shared_inbox_url: Some(shared_inbox.to_string()),
            outbox_url: None,
            followers_url: None,
            public_key_id: format!("{ap_id}#main-key"),
            public_key_pem: public_key_pem.to_string(),
            private_key_pem: None,
            is_local: false,
            manually_approves_followers: false,
            discoverable: true,
            posting_restricted_to_mods: false,
            published_at: at,
            last_refreshed_at: at,
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = communities)]
pub struct CommunityRow {
    pub actor_id: i64,
    pub terms_of_reference: String,
    pub lifecycle: String,
    pub meeting_mode: String,
    pub parent_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Who may join: `open`, `approval` or `invite` (see [`join_policy`]).
    pub join_policy: String,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = local_users)]
pub struct LocalUserRow {
    pub actor_id: i64,
    /// Lower-cased; unique when present.
    pub email: Option<String>,
    /// An argon2id PHC string; none for accounts made by the command line until set.
    pub password_hash: Option<String>,
    pub is_admin: bool,
    /// One of [`account_status`].
    pub status: String,
    /// "Why I want to join", on instances that approve registrations.
    pub application: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Where a local account stands.
pub mod account_status {
    pub const ACTIVE: &str = "active";
    /// Registered on an instance that approves registrations; waiting for an admin.
    pub const PENDING: &str = "pending";
    pub const REJECTED: &str = "rejected";
    pub const SUSPENDED: &str = "suspended";
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: i64,
    pub actor_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken {
    pub actor_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub actor_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: Option<String>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct NewSession {
    pub actor_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user_agent: Option<String>,
}

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: i64,
    pub code_hash: String,
    /// None: an invitation to register on this instance.
    pub community_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    pub uses: i32,
    /// The person a community invitation is for (their follow or join is pre-approved).
    pub invitee_id: Option<i64>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub code_hash: String,
    pub community_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub max_uses: Option<i32>,
    pub invitee_id: Option<i64>,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub community_id: i64,
    pub person_id: i64,
    pub role: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = follows)]
pub struct FollowRow {
    pub id: i64,
    pub follower_id: i64,
    pub target_id: i64,
    pub state: String,
    pub activity_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = follows)]
pub struct NewFollow {
    pub follower_id: i64,
    pub target_id: i64,
    pub state: String,
    pub activity_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// What an item is (stored as text).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ItemKind {
    /// A thread or a reply.
    Post,
    Event,
    /// An entry of a community's resource library (see `resources`).
    Resource,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Post => "post",
            ItemKind::Event => "event",
            ItemKind::Resource => "resource",
        }
    }
}

impl TryFrom<&str> for ItemKind {
    type Error = String;
    fn try_from(s: &str) -> Result<Self, String> {
        match s {
            "post" => Ok(ItemKind::Post),
            "event" => Ok(ItemKind::Event),
            "resource" => Ok(ItemKind::Resource),
            other => Err(format!("unknown item kind {other:?} in the database")),
        }
    }
}

crate::text_enum!(ItemKind);

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub id: i64,
    pub ap_id: String,
    pub kind: ItemKind,
    pub object_type: String,
    pub author_id: i64,
    pub origin_community_id: Option<i64>,
    pub title: Option<String>,
    pub content: String,
    pub source: Option<String>,
    pub url: Option<String>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_ap_id: Option<String>,
    pub thread_root_id: Option<i64>,
    pub is_local: bool,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = items)]
pub struct NewItem {
    pub ap_id: String,
    pub kind: ItemKind,
    pub object_type: String,
    pub author_id: i64,
    pub origin_community_id: Option<i64>,
    pub title: Option<String>,
    pub content: String,
    pub source: Option<String>,
    pub url: Option<String>,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_ap_id: Option<String>,
    pub thread_root_id: Option<i64>,
    pub is_local: bool,
    pub published_at: NaiveDateTime,
    pub updated_at: Option<NaiveDateTime>,
}

/// An event's answer, and where it stands.
pub mod rsvp {
    pub const GOING: &str = "going";
    pub const MAYBE: &str = "maybe";
    pub const DECLINED: &str = "declined";
    pub const ANSWERS: [&str; 3] = [GOING, MAYBE, DECLINED];
    /// Settled: recorded by the hosting community (or needing no answer from it).
    pub const ACCEPTED: &str = "accepted";
    /// Sent to a remote community, not yet answered.
    pub const PENDING: &str = "pending";
    /// The remote community refused it (the event was full, or over).
    pub const REFUSED: &str = "refused";
}

pub mod event_status {
    pub const CONFIRMED: &str = "confirmed";
    pub const CANCELLED: &str = "cancelled";
}

/// When and where an event item happens.
#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub item_id: i64,
    pub starts_at: NaiveDateTime,
    pub ends_at: Option<NaiveDateTime>,
    pub timezone: Option<String>,
    pub online_url: Option<String>,
    pub place_name: Option<String>,
    pub place_address: Option<String>,
    pub capacity: Option<i32>,
    pub status: String,
}

impl EventRow {
    /// The end, or (with none given) the start: after it the event takes no RSVPs.
    pub fn over_at(&self) -> NaiveDateTime {
        self.ends_at.unwrap_or(self.starts_at)
    }
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = rsvps)]
pub struct RsvpRow {
    pub id: i64,
    pub event_id: i64,
    pub person_id: i64,
    pub answer: String,
    pub state: String,
    pub activity_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = rsvps)]
pub struct NewRsvp {
    pub event_id: i64,
    pub person_id: i64,
    pub answer: String,
    pub state: String,
    pub activity_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = placements)]
pub struct PlacementRow {
    pub id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub how: String,
    pub by_actor_id: Option<i64>,
    pub note: Option<String>,
    pub hops: i32,
    pub placed_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = placements)]
pub struct NewPlacement {
    pub community_id: i64,
    pub item_id: i64,
    pub how: String,
    pub by_actor_id: Option<i64>,
    pub note: Option<String>,
    pub hops: i32,
    pub placed_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub ap_id: String,
    pub actor_id: i64,
    pub kind: String,
    pub object_ap_id: Option<String>,
    pub body: String,
    pub is_public: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct NewOutbox {
    pub ap_id: String,
    pub actor_id: i64,
    pub kind: String,
    pub object_ap_id: Option<String>,
    pub body: String,
    pub is_public: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = instances)]
pub struct InstanceRow {
    pub id: i64,
    pub domain: String,
    pub consecutive_failures: i32,
    pub paused_until: Option<NaiveDateTime>,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_failure_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    /// NodeInfo's `software.name` (lower case); `None` when unknown or not yet checked.
    pub software: Option<String>,
    pub software_checked_at: Option<NaiveDateTime>,
    pub software_error: Option<String>,
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub outbox_id: i64,
    pub instance_id: i64,
    pub inbox_url: String,
    pub ordering_key: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery {
    pub outbox_id: i64,
    pub instance_id: i64,
    pub inbox_url: String,
    pub ordering_key: String,
    pub next_attempt_at: NaiveDateTime,
}

/// The current time as stored (UTC, microsecond precision on both backends).
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    // PostgreSQL keeps microseconds; truncate so a value reads back equal on both backends.
    now.with_nanosecond((now.nanosecond() / 1000) * 1000)
        .unwrap_or(now)
}

use chrono::Timelike;

/// The rest of a community's profile (see the `community_profile` migration).
#[derive(Queryable, Selectable, Insertable, AsChangeset, Debug, Clone, PartialEq)]
#[diesel(table_name = community_profiles, treat_none_as_null = true)]
pub struct CommunityProfileRow {
    pub actor_id: i64,
    pub terms_of_reference_html: String,
    pub meeting_rhythm: String,
    /// A BCP 47 language tag (`en`, `en-GB`).
    pub language: Option<String>,
    /// For a proposal: why the community is needed.
    pub why: String,
    pub proposer_id: Option<i64>,
    pub updated_at: NaiveDateTime,
}

/// One objective of a community: what it means to harvest, and how far it got.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = community_objectives)]
pub struct ObjectiveRow {
    pub id: i64,
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    pub status: String,
    /// `YYYY-MM` or `YYYY-MM-DD`.
    pub done_on: Option<String>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, AsChangeset, Debug, Clone)]
#[diesel(table_name = community_objectives, treat_none_as_null = true)]
pub struct NewObjective {
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub done_on: Option<String>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// A folder of a community's resource library.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = resource_folders)]
pub struct FolderRow {
    pub id: i64,
    pub community_id: i64,
    /// None: at the top of the library.
    pub parent_id: Option<i64>,
    pub name: String,
    pub ap_id: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = resource_folders)]
pub struct NewFolder {
    pub community_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub ap_id: String,
    pub created_at: NaiveDateTime,
}

/// What makes an item a resource: its folder, kind and the version it is at.
#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = resources)]
pub struct ResourceRow {
    pub item_id: i64,
    pub folder_id: Option<i64>,
    pub current_version: i32,
    pub kind: String,
}

/// One version of a resource, as it was written. `tags` and `attachments` are JSON arrays.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = resource_versions)]
pub struct VersionRow {
    pub id: i64,
    pub resource_id: i64,
    pub version: i32,
    pub title: String,
    pub kind: String,
    pub description_source: String,
    pub description_html: String,
    pub tags: String,
    pub link: Option<String>,
    pub attachments: String,
    pub message: Option<String>,
    pub edited_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = resource_versions)]
pub struct NewVersion {
    pub resource_id: i64,
    pub version: i32,
    pub title: String,
    pub kind: String,
    pub description_source: String,
    pub description_html: String,
    pub tags: String,
    pub link: Option<String>,
    pub attachments: String,
    pub message: Option<String>,
    pub edited_by: i64,
    pub created_at: NaiveDateTime,
}

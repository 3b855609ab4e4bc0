//! A community of practice beyond its Group actor: its profile (domain, terms of
//! reference, rhythm, mode, language, tags, objectives), its place among sub-communities,
//! and its lifecycle from proposal to archive. Every change federates as `Update(Group)`
//! to the community's followers' instances, signed by the community.

pub mod lifecycle;
pub mod objectives;
pub mod profile;
pub mod similar;
pub mod subcommunities;

use crate::outbox::{Outgoing, queue};
use crate::{CoreError, CoreResult, Urls, sanitize};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{
    Activity, ActorJson, GroupProfile, LinkJson, ObjectiveJson, PUBLIC, Source, Tag,
};

pub use lifecycle::Lifecycle;
pub use profile::{MeetingMode, ProfileChanges};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// A community with everything its profile shows.
#[derive(Debug, Clone)]
pub struct Profile {
    pub actor: ActorRow,
    pub details: Details,
    pub extra: Option<CommunityProfileRow>,
    pub tags: Vec<String>,
    pub objectives: Vec<ObjectiveRow>,
    pub parent: Option<ActorRow>,
    pub children: Vec<(ActorRow, CommunityRow)>,
    pub members: i64,
    /// People interested so far (a proposal only).
    pub interested: Vec<ActorRow>,
    pub proposer: Option<ActorRow>,
}

impl Profile {
    pub fn lifecycle(&self) -> Lifecycle {
        self.details.lifecycle
    }
}

/// What a profile shows of the `communities` row (defaults for a remote Group this
/// instance has no details of, such as a Lemmy community).
#[derive(Debug, Clone)]
pub struct Details {
    /// Markdown.
    pub terms_of_reference: String,
    pub lifecycle: Lifecycle,
    pub meeting_mode: String,
    pub parent_id: Option<i64>,
}

impl Details {
    pub fn from_row(row: Option<&CommunityRow>) -> Self {
        match row {
            Some(r) => Details {
                terms_of_reference: r.terms_of_reference.clone(),
                lifecycle: Lifecycle::parse(&r.lifecycle).unwrap_or(Lifecycle::Active),
                meeting_mode: r.meeting_mode.clone(),
                parent_id: r.parent_id,
            },
            None => Details {
                terms_of_reference: String::new(),
                lifecycle: Lifecycle::Active,
                meeting_mode: MeetingMode::Online.as_str().into(),
                parent_id: None,
            },
        }
    }
}

/// The community `actor`'s profile; `NotFound` when this instance has no details of it
/// (a remote Group that is not a Weft community, say).
pub fn load(conn: &mut AnyConnection, actor: &ActorRow) -> CoreResult<Profile> {
    if !actor.is_group() {
        return Err(CoreError::Invalid(format!(
            "{} is not a community",
            actor.ap_id
        )));
    }
    let details = Details::from_row(weft_db::actors::community(conn, actor.id)?.as_ref());
    let extra = weft_db::communities::profile(conn, actor.id)?;
    let parent = match details.parent_id {
        Some(id) => Some(weft_db::actors::by_id(conn, id)?),
        None => None,
    };
    let interested = if details.lifecycle == Lifecycle::Proposal {
        weft_db::communities::interested(conn, actor.id)?
    } else {
        vec![]
    };
    let proposer = match extra.as_ref().and_then(|e| e.proposer_id) {
        Some(id) => Some(weft_db::actors::by_id(conn, id)?),
        None => None,
    };
    Ok(Profile {
        actor: actor.clone(),
        tags: weft_db::communities::tags(conn, actor.id)?,
        objectives: weft_db::communities::objectives(conn, actor.id)?,
        children: weft_db::communities::children(conn, actor.id)?,
        members: weft_db::communities::member_count(conn, actor.id)?,
        details,
        extra,
        parent,
        interested,
        proposer,
    })
}

/// The actor document of any local actor: a community's carries its profile.
pub fn actor_json(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
) -> CoreResult<ActorJson> {
    if actor.is_group() && actor.is_local {
        return Ok(group_into_json(urls, &load(conn, actor)?));
    }
    Ok(crate::wire::actor_into_json(urls, actor))
}

/// A community's Group actor with its profile: tags as `Hashtag`s, the rest in `weft:`
/// terms (see `docs/federation.md`).
pub fn group_into_json(urls: &Urls, p: &Profile) -> ActorJson {
    let mut json = crate::wire::actor_into_json(urls, &p.actor);
    json.tag = p
        .tags
        .iter()
        .map(|t| Tag {
            kind: "Hashtag".into(),
            href: None,
            name: Some(format!("#{t}")),
        })
        .collect();
    let name = &p.actor.username;
    json.upcoming_events = Some(urls.actor_part(&json.id, "upcoming-events"));
    json.attachment = vec![
        LinkJson::alternate(
            urls.community_atom(name),
            "application/atom+xml",
            "Atom feed",
        ),
        LinkJson::alternate(
            urls.community_calendar(name),
            "text/calendar",
            "Calendar (iCalendar)",
        ),
    ];
    let tor = &p.details.terms_of_reference;
    let extra = p.extra.as_ref();
    json.profile = GroupProfile {
        language: extra.and_then(|e| e.language.clone()),
        terms_of_reference: (!tor.is_empty()).then(|| sanitize::markdown_to_html(tor)),
        terms_of_reference_source: (!tor.is_empty()).then(|| Source::markdown(tor.clone())),
        meeting_rhythm: extra
            .map(|e| e.meeting_rhythm.clone())
            .filter(|r| !r.is_empty()),
        meeting_mode: Some(p.details.meeting_mode.clone()),
        objectives: p.objectives.iter().map(objective_into_json).collect(),
        lifecycle: Some(p.lifecycle().as_str().into()),
        parent: p.parent.as_ref().map(|a| url(&a.ap_id)),
        children: p.children.iter().map(|(a, _)| a.ap_id.clone()).collect(),
        resources: Some(urls.actor_part(&url(&p.actor.ap_id), "resources")),
    };
    json
}

fn objective_into_json(o: &ObjectiveRow) -> ObjectiveJson {
    ObjectiveJson {
        object_type: "weft:Objective".into(),
        kind: o.kind.clone(),
        name: o.title.clone(),
        status: o.status.clone(),
        done_on: o.done_on.clone(),
        note: (!o.note.is_empty()).then(|| o.note.clone()),
    }
}

/// Queues `Update(Group)` with the community's current profile to its remote
/// followers' instances, signed by the community (in the caller's transaction).
pub fn send_update(conn: &mut AnyConnection, urls: &Urls, community: &ActorRow) -> CoreResult<()> {
    // Every change to a profile passes here: the directory follows it at once.
    crate::directory::refresh_local(conn, urls)?;
    let inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    if inboxes.is_empty() {
        return Ok(());
    }
    let json = group_into_json(urls, &load(conn, community)?);
    let id = urls.activity();
    let mut cc = vec![];
    cc.extend(community.followers_url.clone());
    let update: Activity<ActorJson> =
        Activity::new("Update", id.clone(), url(&community.ap_id), json)
            .to([PUBLIC.to_string()])
            .cc(cc);
    queue(
        conn,
        urls,
        Outgoing {
            sender: community,
            activity: &update,
            kind: "Update",
            activity_id: &id,
            object_id: Some(&community.ap_id),
            public: true,
            inboxes,
        },
    )?;
    Ok(())
}

/// Longest texts kept from a remote community's profile, in characters.
const REMOTE_TEXT: usize = 20_000;

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Stores what a remote community's Group document says of its profile (on fetch, and
/// on its `Update(Group)`): texts sanitised and clipped, unknown values dropped.
pub fn store_remote(
    conn: &mut AnyConnection,
    actor: &ActorRow,
    json: &ActorJson,
) -> CoreResult<()> {
    if actor.is_local || !actor.is_group() {
        return Ok(());
    }
    let p = &json.profile;
    let lifecycle = p
        .lifecycle
        .as_deref()
        .and_then(|l| Lifecycle::parse(l).ok())
        .unwrap_or(Lifecycle::Active);
    let mode = p
        .meeting_mode
        .as_deref()
        .and_then(|m| MeetingMode::parse(m).ok())
        .unwrap_or(MeetingMode::Online);
    let parent_id = match &p.parent {
        Some(parent) => weft_db::actors::by_ap_id(conn, parent.as_str())?
            .filter(|a| a.is_group() && a.domain == actor.domain)
            .map(|a| a.id),
        None => None,
    };
    let tor_source = p
        .terms_of_reference_source
        .as_ref()
        .map(|s| clip(&s.content, REMOTE_TEXT))
        .unwrap_or_default();
    let now = weft_db::now();
    weft_db::communities::upsert_remote_community(
        conn,
        actor.id,
        &tor_source,
        lifecycle.as_str(),
        mode.as_str(),
        parent_id,
        now,
    )?;
    weft_db::communities::upsert_profile(
        conn,
        &CommunityProfileRow {
            actor_id: actor.id,
            terms_of_reference_html: p
                .terms_of_reference
                .as_deref()
                .map(|h| sanitize::html(&clip(h, REMOTE_TEXT)))
                .unwrap_or_default(),
            meeting_rhythm: p
                .meeting_rhythm
                .as_deref()
                .map(|r| sanitize::remote_title(&clip(r, profile::MAX_RHYTHM)))
                .unwrap_or_default(),
            language: p
                .language
                .as_deref()
                .and_then(|l| profile::normalise_language(l).ok()),
            why: String::new(),
            proposer_id: None,
            updated_at: now,
        },
    )?;
    let tags: Vec<String> = json
        .tag
        .iter()
        .filter(|t| t.kind == "Hashtag")
        .filter_map(|t| t.name.as_deref())
        .filter_map(|n| profile::normalise_tag(n).ok())
        .take(profile::MAX_TAGS)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    weft_db::communities::set_tags(conn, actor.id, &tags)?;
    let objectives: Vec<NewObjective> = p
        .objectives
        .iter()
        .take(objectives::MAX_OBJECTIVES)
        .filter_map(|o| objectives::from_json(actor.id, o, now))
        .collect();
    weft_db::communities::replace_objectives(conn, actor.id, &objectives)?;
    Ok(())
}

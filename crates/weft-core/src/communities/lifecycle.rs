//! A community's life (seed 000, "How to create a CoP"): a member proposes it, with its
//! domain and why it is needed, after seeing the similar ones that exist; people here
//! and elsewhere express interest (elsewhere: by following the proposed Group); a lead or
//! an admin activates it, and the interested become its first members; it may be
//! archived (read-only, still served) and reopened by an admin. Each transition is one
//! function here, checked in `rules`, and federates as `Update(Group)`.

use super::{Profile, load, profile, send_update, similar, subcommunities};
use crate::accounts::{self, NewCommunity};
use crate::keys::KeyPair;
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use weft_db::AnyConnection;
use weft_db::models::*;

/// Where a community is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Proposed: gathering interest; takes no posts yet.
    Proposal,
    Active,
    /// Read-only, still served and federated.
    Archived,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Proposal => "proposal",
            Lifecycle::Active => "active",
            Lifecycle::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "proposal" => Ok(Lifecycle::Proposal),
            "active" => Ok(Lifecycle::Active),
            "archived" => Ok(Lifecycle::Archived),
            other => Err(CoreError::Invalid(format!(
                "{other:?} is not a lifecycle state: proposal, active or archived"
            ))),
        }
    }
}

/// Longest "why it is needed", in characters.
pub const MAX_WHY: usize = 5_000;

/// A proposal as a member makes it.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub name: String,
    pub title: String,
    /// The domain statement (markdown).
    pub about: String,
    pub why: String,
    pub tags: Vec<String>,
    /// A local community to propose this one under.
    pub parent: Option<String>,
    /// The proposer has seen the similar communities and proposes anyway.
    pub confirmed: bool,
}

/// What proposing did.
pub enum Proposed {
    /// Nothing was saved: these communities are like it; propose again with
    /// `confirmed` after showing them.
    SimilarExist(Vec<similar::Similar>),
    Created(Box<Profile>),
}

/// `by` proposes a community. Unless `confirmed`, the similar communities that exist
/// come back first and nothing is saved. `keys` come from [`crate::keys::generate`],
/// called outside the transaction.
pub fn propose(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    new: &Proposal,
    keys: KeyPair,
) -> CoreResult<Proposed> {
    rules::may_propose(conn, by)?;
    profile::check(&profile::ProfileChanges {
        title: Some(new.title.clone()),
        about: Some(new.about.clone()),
        tags: Some(new.tags.clone()),
        ..Default::default()
    })?;
    if new.about.trim().is_empty() {
        return Err(CoreError::Invalid(
            "say what the community is about (its domain)".into(),
        ));
    }
    if new.why.trim().is_empty() || new.why.chars().count() > MAX_WHY {
        return Err(CoreError::Invalid(format!(
            "say in 1 to {MAX_WHY} characters why the community is needed"
        )));
    }
    let parent = match &new.parent {
        Some(name) => {
            let parent = accounts::local_community(conn, name)?;
            rules::may_propose_under(conn, by, &parent)?;
            subcommunities::check_parent(conn, None, &parent)?;
            Some(parent)
        }
        None => None,
    };
    if !new.confirmed {
        crate::directory::refresh_local(conn, urls)?;
        let found = similar::similar(
            conn,
            &similar::Query {
                title: new.title.clone(),
                about: new.about.clone(),
                tags: new.tags.clone(),
            },
        )?;
        if !found.is_empty() {
            return Ok(Proposed::SimilarExist(found));
        }
    }
    let actor = accounts::create_community(
        conn,
        urls,
        &NewCommunity {
            name: &new.name,
            title: &new.title,
            domain_statement: &new.about,
            terms_of_reference: "",
            posting_restricted_to_mods: false,
            lead: Some(by),
        },
        keys,
    )?;
    weft_db::communities::set_lifecycle(conn, actor.id, Lifecycle::Proposal.as_str())?;
    weft_db::communities::set_tags(conn, actor.id, &profile::normalise_tags(&new.tags)?)?;
    weft_db::communities::set_parent(conn, actor.id, parent.as_ref().map(|p| p.id))?;
    weft_db::communities::upsert_profile(
        conn,
        &CommunityProfileRow {
            actor_id: actor.id,
            terms_of_reference_html: String::new(),
            meeting_rhythm: String::new(),
            language: None,
            why: sanitize::title(&new.why),
            proposer_id: Some(by.id),
            updated_at: weft_db::now(),
        },
    )?;
    if let Some(parent) = &parent {
        send_update(conn, urls, parent)?;
    }
    crate::directory::refresh_local(conn, urls)?;
    Ok(Proposed::Created(Box::new(load(conn, &actor)?)))
}

fn lifecycle_of(conn: &mut AnyConnection, community: &ActorRow) -> CoreResult<Lifecycle> {
    let details = weft_db::actors::community(conn, community.id)?
        .ok_or_else(|| CoreError::NotFound(format!("no local community {}", community.username)))?;
    Lifecycle::parse(&details.lifecycle)
}

/// A local person says they are interested in a proposed community.
pub fn express_interest(
    conn: &mut AnyConnection,
    person: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Profile> {
    rules::may_express_interest(community, person, lifecycle_of(conn, community)?)?;
    weft_db::communities::add_interest(conn, community.id, person.id)?;
    load(conn, community)
}

/// A local person withdraws their interest.
pub fn withdraw_interest(
    conn: &mut AnyConnection,
    person: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Profile> {
    if weft_db::communities::remove_interest(conn, community.id, person.id)? == 0 {
        return Err(CoreError::NotFound(format!(
            "you have not said you are interested in {}",
            community.username
        )));
    }
    load(conn, community)
}

fn become_(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    to: Lifecycle,
) -> CoreResult<Profile> {
    weft_db::communities::set_lifecycle(conn, community.id, to.as_str())?;
    send_update(conn, urls, community)?;
    load(conn, community)
}

/// A lead or an admin activates a proposal: everyone interested (here, or following it
/// from anywhere) becomes a member, the proposer its lead.
pub fn activate(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Profile> {
    let now_in = lifecycle_of(conn, community)?;
    rules::may_activate(conn, community, by, now_in)?;
    let now = weft_db::now();
    for person in weft_db::communities::interested(conn, community.id)? {
        if weft_db::actors::role_of(conn, community.id, person.id)?.is_none() {
            weft_db::actors::set_membership(
                conn,
                &MembershipRow {
                    community_id: community.id,
                    person_id: person.id,
                    role: role::MEMBER.into(),
                    created_at: now,
                },
            )?;
        }
    }
    if let Some(proposer) =
        weft_db::communities::profile(conn, community.id)?.and_then(|p| p.proposer_id)
    {
        weft_db::actors::set_membership(
            conn,
            &MembershipRow {
                community_id: community.id,
                person_id: proposer,
                role: role::LEAD.into(),
                created_at: now,
            },
        )?;
    }
    become_(conn, urls, community, Lifecycle::Active)
}

/// A lead or an admin archives a community (a proposal that gathered no interest, or a
/// community whose work is done). Its sub-communities must be archived or moved first.
pub fn archive(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Profile> {
    let now_in = lifecycle_of(conn, community)?;
    rules::may_archive(conn, community, by, now_in)?;
    let open: Vec<String> = weft_db::communities::children(conn, community.id)?
        .into_iter()
        .filter(|(_, c)| c.lifecycle != Lifecycle::Archived.as_str())
        .map(|(a, _)| a.username)
        .collect();
    if !open.is_empty() {
        return Err(CoreError::Conflict(format!(
            "{} has sub-communities that are not archived ({}): archive them or move them first",
            community.username,
            open.join(", ")
        )));
    }
    become_(conn, urls, community, Lifecycle::Archived)
}

/// An admin reopens an archived community.
pub fn reopen(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
) -> CoreResult<Profile> {
    let now_in = lifecycle_of(conn, community)?;
    rules::may_reopen(conn, by, now_in)?;
    become_(conn, urls, community, Lifecycle::Active)
}

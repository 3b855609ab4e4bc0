//! A community's profile: what a lead may change, how each field is checked, and the
//! edit itself (one transaction, then `Update(Group)`).

use super::{load, send_update, subcommunities};
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use weft_db::AnyConnection;
use weft_db::models::*;

/// Longest domain statement (markdown), in characters.
pub const MAX_DOMAIN: usize = 5_000;
/// Longest terms of reference (markdown), in characters.
pub const MAX_TERMS: usize = 20_000;
/// Most tags a community has, and the longest tag.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 50;
/// Longest meeting rhythm ("monthly, first Tuesday, 1 hour").
pub const MAX_RHYTHM: usize = 200;
/// Longest title.
pub const MAX_TITLE: usize = 200;

/// How a community meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingMode {
    Online,
    FaceToFace,
    Hybrid,
}

impl MeetingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingMode::Online => "online",
            MeetingMode::FaceToFace => "face-to-face",
            MeetingMode::Hybrid => "hybrid",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "online" => Ok(MeetingMode::Online),
            "face-to-face" => Ok(MeetingMode::FaceToFace),
            "hybrid" => Ok(MeetingMode::Hybrid),
            other => Err(CoreError::Invalid(format!(
                "{other:?} is not a meeting mode: use online, face-to-face or hybrid"
            ))),
        }
    }
}

/// What an edit changes: `None` leaves a field as it is; `Some(None)` clears one that
/// may be empty.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub title: Option<String>,
    /// The domain statement (markdown).
    pub about: Option<String>,
    pub terms_of_reference: Option<String>,
    pub meeting_rhythm: Option<String>,
    pub meeting_mode: Option<String>,
    pub language: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    /// A local community's name, or `None` to make it a top-level community.
    pub parent: Option<Option<String>>,
}

fn too_long(what: &str, text: &str, max: usize) -> CoreResult<()> {
    let n = text.chars().count();
    if n > max {
        return Err(CoreError::Invalid(format!(
            "the {what} is {n} characters long: at most {max} are kept"
        )));
    }
    Ok(())
}

/// A tag as stored: trimmed, without a leading `#`, lower-cased; letters, digits, `-`
/// and `_`, at most [`MAX_TAG`] characters.
pub fn normalise_tag(tag: &str) -> CoreResult<String> {
    let tag = tag.trim().trim_start_matches('#').to_lowercase();
    if tag.is_empty()
        || tag.chars().count() > MAX_TAG
        || !tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CoreError::Invalid(format!(
            "{tag:?} is not a tag: use 1 to {MAX_TAG} letters, digits, - or _"
        )));
    }
    Ok(tag)
}

/// Tags as stored: each normalised, duplicates dropped, at most [`MAX_TAGS`].
pub fn normalise_tags(tags: &[String]) -> CoreResult<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(CoreError::Invalid(format!(
            "{} tags given: a community has at most {MAX_TAGS}",
            tags.len()
        )));
    }
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| normalise_tag(t))
        .collect::<CoreResult<_>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// A BCP 47-ish language tag: a 2–3 letter language, then subtags of 2–8 letters or
/// digits (`en`, `en-GB`, `pt-BR`, `zh-Hant`), normalised as `ll-RR`.
pub fn normalise_language(tag: &str) -> CoreResult<String> {
    let mut parts = tag.trim().split(['-', '_']);
    let language = parts.next().unwrap_or_default();
    let ok_language =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic());
    let rest: Vec<&str> = parts.collect();
    let ok_rest = rest.len() <= 3
        && rest
            .iter()
            .all(|s| (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok_language || !ok_rest {
        return Err(CoreError::Invalid(format!(
            "{tag:?} is not a language tag: use one like en or en-GB"
        )));
    }
    let mut out = language.to_ascii_lowercase();
    for s in rest {
        out.push('-');
        out.push_str(&match s.len() {
            2 => s.to_ascii_uppercase(),
            4 => {
                let mut t = s[..1].to_ascii_uppercase();
                t.push_str(&s[1..].to_ascii_lowercase());
                t
            }
            _ => s.to_ascii_lowercase(),
        });
    }
    Ok(out)
}

/// Checks every field of `changes`; nothing is stored unless all are valid.
pub fn check(changes: &ProfileChanges) -> CoreResult<()> {
    if let Some(title) = &changes.title {
        if title.trim().is_empty() {
            return Err(CoreError::Invalid("a community needs a title".into()));
        }
        too_long("title", title, MAX_TITLE)?;
    }
    if let Some(about) = &changes.about {
        too_long("domain statement", about, MAX_DOMAIN)?;
    }
    if let Some(terms) = &changes.terms_of_reference {
        too_long("terms of reference", terms, MAX_TERMS)?;
    }
    if let Some(rhythm) = &changes.meeting_rhythm {
        too_long("meeting rhythm", rhythm, MAX_RHYTHM)?;
    }
    if let Some(mode) = &changes.meeting_mode {
        MeetingMode::parse(mode)?;
    }
    if let Some(Some(language)) = &changes.language {
        normalise_language(language)?;
    }
    if let Some(tags) = &changes.tags {
        normalise_tags(tags)?;
    }
    Ok(())
}

/// Writes the profile fields of `changes` (already checked) for a local community.
pub(crate) fn apply(
    conn: &mut AnyConnection,
    community: &ActorRow,
    changes: &ProfileChanges,
) -> CoreResult<()> {
    let details = weft_db::actors::community(conn, community.id)?
        .ok_or_else(|| CoreError::NotFound(format!("no local community {}", community.username)))?;
    if changes.title.is_some() || changes.about.is_some() {
        let title = changes
            .title
            .as_deref()
            .map(sanitize::title)
            .or_else(|| community.display_name.clone())
            .unwrap_or_else(|| community.username.clone());
        let about = changes
            .about
            .clone()
            .or_else(|| community.summary_source.clone())
            .unwrap_or_default();
        weft_db::communities::set_title_and_domain(
            conn,
            community.id,
            &title,
            &sanitize::markdown_to_html(&about),
            &about,
        )?;
    }
    if changes.terms_of_reference.is_some() || changes.meeting_mode.is_some() {
        weft_db::communities::set_details(
            conn,
            community.id,
            changes
                .terms_of_reference
                .as_deref()
                .unwrap_or(&details.terms_of_reference),
            changes
                .meeting_mode
                .as_deref()
                .unwrap_or(&details.meeting_mode),
        )?;
    }
    let mut extra =
        weft_db::communities::profile(conn, community.id)?.unwrap_or(CommunityProfileRow {
            actor_id: community.id,
            terms_of_reference_html: String::new(),
            meeting_rhythm: String::new(),
            language: None,
            why: String::new(),
            proposer_id: None,
            updated_at: weft_db::now(),
        });
    if let Some(terms) = &changes.terms_of_reference {
        extra.terms_of_reference_html = sanitize::markdown_to_html(terms);
    }
    if let Some(rhythm) = &changes.meeting_rhythm {
        extra.meeting_rhythm = sanitize::title(rhythm);
    }
    if let Some(language) = &changes.language {
        extra.language = language.as_deref().map(normalise_language).transpose()?;
    }
    extra.updated_at = weft_db::now();
    weft_db::communities::upsert_profile(conn, &extra)?;
    if let Some(tags) = &changes.tags {
        weft_db::communities::set_tags(conn, community.id, &normalise_tags(tags)?)?;
    }
    Ok(())
}

/// A lead of `community` (or an admin) changes what `changes` names; the new profile
/// goes to its followers as `Update(Group)`. A refusal changes nothing.
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    changes: &ProfileChanges,
) -> CoreResult<super::Profile> {
    rules::may_edit_profile(conn, community, by)?;
    check(changes)?;
    apply(conn, community, changes)?;
    let parents = match &changes.parent {
        Some(parent) => subcommunities::set_parent(conn, by, community, parent.as_deref())?,
        None => vec![],
    };
    let community = weft_db::actors::by_id(conn, community.id)?;
    send_update(conn, urls, &community)?;
    for parent in parents {
        send_update(conn, urls, &parent)?;
    }
    load(conn, &community)
}

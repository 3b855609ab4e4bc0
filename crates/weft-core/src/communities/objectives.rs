//! A community's objectives: what it means to harvest (seed 000's list: a seminar, a
//! blog, a newsletter, policy influence, a funding bid, a project; seed 002 adds starting
//! and keeping up a network), with progress.

use super::send_update;
use crate::{CoreError, CoreResult, Urls, rules, sanitize};
use chrono::NaiveDateTime;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::ObjectiveJson;

/// The suggested kinds of objective, and `other`.
pub const KINDS: [&str; 8] = [
    "seminar",
    "blog",
    "newsletter",
    "policy-influence",
    "funding-bid",
    "project",
    "network",
    "other",
];
/// How far an objective got.
pub const STATUSES: [&str; 3] = ["planned", "in-progress", "done"];
/// Most objectives a community lists.
pub const MAX_OBJECTIVES: usize = 50;
const MAX_TITLE: usize = 200;
const MAX_NOTE: usize = 2_000;

/// An objective as given (a new one, or the whole of an edited one).
#[derive(Debug, Clone)]
pub struct ObjectiveFields {
    pub kind: String,
    pub title: String,
    pub status: String,
    /// `YYYY-MM` or `YYYY-MM-DD`; only for a done objective.
    pub done_on: Option<String>,
    pub note: Option<String>,
}

/// `YYYY-MM` or `YYYY-MM-DD`, a real month or day.
fn check_done_on(done_on: &str) -> bool {
    match done_on.len() {
        7 => chrono::NaiveDate::parse_from_str(&format!("{done_on}-01"), "%Y-%m-%d").is_ok(),
        10 => chrono::NaiveDate::parse_from_str(done_on, "%Y-%m-%d").is_ok(),
        _ => false,
    }
}

/// Checks an objective; returns the row to store.
pub fn check(
    community_id: i64,
    f: &ObjectiveFields,
    at: NaiveDateTime,
) -> CoreResult<NewObjective> {
    let kind = f.kind.trim().to_lowercase().replace([' ', '_'], "-");
    if !KINDS.contains(&kind.as_str()) {
        return Err(CoreError::Invalid(format!(
            "{:?} is not a kind of objective: use one of {}",
            f.kind,
            KINDS.join(", ")
        )));
    }
    let status = f.status.trim().to_lowercase().replace([' ', '_'], "-");
    if !STATUSES.contains(&status.as_str()) {
        return Err(CoreError::Invalid(format!(
            "{:?} is not a status: use planned, in-progress or done",
            f.status
        )));
    }
    let title = sanitize::title(&f.title);
    if title.is_empty() || f.title.chars().count() > MAX_TITLE {
        return Err(CoreError::Invalid(format!(
            "an objective needs a title of 1 to {MAX_TITLE} characters"
        )));
    }
    let note = f.note.as_deref().map(str::trim).unwrap_or_default();
    if note.chars().count() > MAX_NOTE {
        return Err(CoreError::Invalid(format!(
            "the note is longer than {MAX_NOTE} characters"
        )));
    }
    let done_on = f
        .done_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if let Some(d) = done_on {
        if !check_done_on(d) {
            return Err(CoreError::Invalid(format!(
                "{d:?} is not a date: use YYYY-MM or YYYY-MM-DD"
            )));
        }
        if status != "done" {
            return Err(CoreError::Invalid(
                "only a done objective has a done date".into(),
            ));
        }
    }
    Ok(NewObjective {
        community_id,
        kind,
        title,
        status,
        done_on: done_on.map(str::to_string),
        note: note.to_string(),
        created_at: at,
    })
}

/// A remote community's objective as stored, or `None` if it does not check.
pub(crate) fn from_json(
    community_id: i64,
    o: &ObjectiveJson,
    at: NaiveDateTime,
) -> Option<NewObjective> {
    let kind = if KINDS.contains(&o.kind.as_str()) {
        o.kind.clone()
    } else {
        "other".into()
    };
    check(
        community_id,
        &ObjectiveFields {
            kind,
            title: sanitize::remote_title(&o.name),
            status: o.status.clone(),
            done_on: o.done_on.clone(),
            note: o.note.as_deref().map(sanitize::html_to_text),
        },
        at,
    )
    .ok()
}

/// A lead adds an objective to `community`.
pub fn add(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    fields: &ObjectiveFields,
) -> CoreResult<ObjectiveRow> {
    rules::may_edit_profile(conn, community, by)?;
    let row = check(community.id, fields, weft_db::now())?;
    if weft_db::communities::objectives(conn, community.id)?.len() >= MAX_OBJECTIVES {
        return Err(CoreError::Invalid(format!(
            "{} already lists {MAX_OBJECTIVES} objectives",
            community.username
        )));
    }
    let stored = weft_db::communities::insert_objective(conn, &row)?;
    send_update(conn, urls, community)?;
    Ok(stored)
}

fn objective_of(
    conn: &mut AnyConnection,
    community: &ActorRow,
    id: i64,
) -> CoreResult<ObjectiveRow> {
    weft_db::communities::objective(conn, id)?
        .filter(|o| o.community_id == community.id)
        .ok_or_else(|| CoreError::NotFound(format!("{} has no objective {id}", community.username)))
}

/// A lead changes an objective (`fields` is the whole of it, as the API merged it).
pub fn edit(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    id: i64,
    fields: impl FnOnce(&ObjectiveRow) -> ObjectiveFields,
) -> CoreResult<ObjectiveRow> {
    rules::may_edit_profile(conn, community, by)?;
    let old = objective_of(conn, community, id)?;
    let row = check(community.id, &fields(&old), old.created_at)?;
    weft_db::communities::update_objective(conn, id, &row)?;
    send_update(conn, urls, community)?;
    objective_of(conn, community, id)
}

/// A lead removes an objective.
pub fn remove(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &ActorRow,
    community: &ActorRow,
    id: i64,
) -> CoreResult<()> {
    rules::may_edit_profile(conn, community, by)?;
    objective_of(conn, community, id)?;
    weft_db::communities::delete_objective(conn, id)?;
    send_update(conn, urls, community)?;
    Ok(())
}

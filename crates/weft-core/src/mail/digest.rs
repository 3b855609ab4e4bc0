//! The weekly digest: for each person who asked for it (with a confirmed address), what
//! happened in their communities since their last one: new threads, threads answered for
//! the first time, events coming up, new members. When a digest was last made is stored
//! per person, so the schedule survives restarts; a week with nothing to say sends nothing.

use super::{Outgoing, UNSUBSCRIBE_LIFETIME, new_token, queue, render};
use crate::{CoreResult, Urls, sanitize};
use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;
use weft_db::AnyConnection;
use weft_db::mail::{mail_kind, token_purpose};
use weft_db::models::*;

/// The most entries of each kind a digest lists per community.
const PER_KIND: i64 = 10;

#[derive(Serialize)]
struct Entry {
    title: String,
    url: String,
    starts: Option<String>,
}

#[derive(Serialize)]
struct CommunityDigest {
    title: String,
    threads: Vec<Entry>,
    answered: Vec<Entry>,
    events: Vec<Entry>,
    members: Vec<String>,
}

impl CommunityDigest {
    fn is_empty(&self) -> bool {
        self.threads.is_empty()
            && self.answered.is_empty()
            && self.events.is_empty()
            && self.members.is_empty()
    }
}

fn entry(item: &ItemRow, starts: Option<NaiveDateTime>) -> Entry {
    let title = item
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| sanitize::excerpt(&item.content, 80))
        .unwrap_or_else(|| "(untitled)".into());
    Entry {
        title,
        url: item.url.clone().unwrap_or_else(|| item.ap_id.clone()),
        starts: starts.map(|s| s.format("%a %-d %b %Y, %H:%M UTC").to_string()),
    }
}

/// Makes the digests due at `now` (none made within `every`), at most `limit` people's;
/// returns how many people were looked at (0: none was due).
pub fn make_due(
    conn: &mut AnyConnection,
    urls: &Urls,
    every: TimeDelta,
    now: NaiveDateTime,
    limit: i64,
) -> CoreResult<usize> {
    let due = weft_db::mail::digests_due(conn, now - every, limit)?;
    for (person, account, settings) in &due {
        // Another process sharing the database may have made it since the query.
        if !weft_db::mail::take_digest(conn, person.id, now - every, now)? {
            continue;
        }
        let since = settings.digest_last_at.unwrap_or(now - every);
        let mut communities = vec![];
        for community in weft_db::mail::communities_of(conn, person.id)? {
            let c = community.id;
            let digest = CommunityDigest {
                title: community
                    .display_name
                    .clone()
                    .unwrap_or_else(|| community.username.clone()),
                threads: weft_db::mail::new_threads(conn, c, since, now, PER_KIND)?
                    .iter()
                    .map(|i| entry(i, None))
                    .collect(),
                answered: weft_db::mail::newly_answered(conn, c, since, now, PER_KIND)?
                    .iter()
                    .map(|i| entry(i, None))
                    .collect(),
                events: weft_db::mail::upcoming_events(conn, c, now, now + every, PER_KIND)?
                    .iter()
                    .map(|(i, starts)| entry(i, Some(*starts)))
                    .collect(),
                members: weft_db::mail::new_members(conn, c, person.id, since, now, 2 * PER_KIND)?
                    .into_iter()
                    .map(|m| m.display_name.unwrap_or(m.username))
                    .collect(),
            };
            if !digest.is_empty() {
                communities.push(digest);
            }
        }
        let Some(to) = account.email.clone() else {
            continue;
        };
        if communities.is_empty() {
            continue;
        }
        let token = new_token(
            conn,
            token_purpose::UNSUBSCRIBE,
            person.id,
            &to,
            UNSUBSCRIBE_LIFETIME,
        )?;
        let unsubscribe = urls.unsubscribe(&token).to_string();
        let context = minijinja::context! {
            username => person.username,
            instance => urls.domain(),
            since => since.format("%-d %B %Y").to_string(),
            communities => communities,
            unsubscribe => unsubscribe,
        };
        let (text, html) = render("digest", &context)?;
        queue(
            conn,
            Outgoing {
                kind: mail_kind::DIGEST,
                to,
                actor_id: Some(person.id),
                subject: format!("Your week in your communities at {}", urls.domain()),
                text,
                html,
                unsubscribe: Some(unsubscribe),
            },
        )?;
    }
    Ok(due.len())
}

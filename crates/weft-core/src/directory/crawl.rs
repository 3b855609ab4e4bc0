//! The crawl of the other members' directories, as far as the database goes: whom to
//! crawl (every member instance of every constellation this instance convened or was
//! accepted into, but itself), storing a member list fetched from a convenor, storing a
//! fetched directory in place of that member's previous one, and the backoff after a
//! failure. The HTTP side is `weft_federation::directory::crawler`.

use crate::{CoreResult, Urls};
use chrono::NaiveDateTime;
use std::time::Duration;
use url::Url;
use weft_db::AnyConnection;
use weft_db::directory::{ConstellationMemberRow, ConstellationRow, DirectorySourceRow};
use weft_db::models::ActorRow;
use weft_protocol::DirectoryEntryJson;

/// A member instance to crawl: its domain, and its instance actor (where its directory's
/// address is found).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub domain: String,
    pub member: String,
    pub source: DirectorySourceRow,
}

/// The remote constellations this instance was accepted into (their member lists are
/// fetched from their convenors).
pub fn joined(
    conn: &mut AnyConnection,
    urls: &Urls,
) -> CoreResult<Vec<(ActorRow, ConstellationRow)>> {
    let mut out = vec![];
    let me = super::constellation::instance_actor(conn, urls)?;
    for (actor, row) in weft_db::directory::constellations(conn)? {
        if actor.is_local {
            continue;
        }
        if weft_db::follows::find(conn, me.id, actor.id)?
            .is_some_and(|f| f.state == weft_db::models::follow_state::ACCEPTED)
        {
            out.push((actor, row));
        }
    }
    Ok(out)
}

/// Every other member instance of the constellations this instance convened or belongs
/// to, with its crawl state (rows made where missing).
pub fn targets(conn: &mut AnyConnection, urls: &Urls) -> CoreResult<Vec<Target>> {
    let mut members: Vec<(String, String)> = vec![];
    let joined_ids: Vec<i64> = joined(conn, urls)?.iter().map(|(a, _)| a.id).collect();
    for (actor, row) in weft_db::directory::constellations(conn)? {
        if !actor.is_local && !joined_ids.contains(&actor.id) {
            continue;
        }
        for m in weft_db::directory::members(conn, row.actor_id)? {
            if m.domain != urls.domain() && !members.iter().any(|(d, _)| *d == m.domain) {
                members.push((m.domain, m.member));
            }
        }
    }
    let domains: Vec<String> = members.iter().map(|(d, _)| d.clone()).collect();
    let sources = weft_db::directory::sources(conn, &domains, weft_db::now())?;
    Ok(members
        .into_iter()
        .filter_map(|(domain, member)| {
            let source = sources.iter().find(|s| s.domain == domain)?.clone();
            Some(Target {
                domain,
                member,
                source,
            })
        })
        .collect())
}

/// Stores the member list of a joined constellation as fetched from its convenor: the
/// instance actors' URLs (entries that are not URLs are skipped).
pub fn store_members(
    conn: &mut AnyConnection,
    constellation_id: i64,
    members: &[Url],
) -> CoreResult<()> {
    let now = weft_db::now();
    let rows: Vec<ConstellationMemberRow> = members
        .iter()
        .filter_map(|m| {
            Some(ConstellationMemberRow {
                constellation_id,
                member: m.to_string(),
                domain: crate::urls::host_port(m)?.to_ascii_lowercase(),
                added_at: now,
            })
        })
        .collect();
    weft_db::directory::replace_members(conn, constellation_id, &rows)?;
    Ok(())
}

/// What a crawl of one member brought.
pub enum Fetched {
    /// The directory, whole, with the validators of its first document.
    Directory {
        entries: Vec<DirectoryEntryJson>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 304: unchanged since the last crawl.
    Unchanged,
}

/// Stores a successful crawl of `domain`'s directory at `directory_url`: its entries
/// replace what it listed before (entries that opt out, or name a community on another
/// host, are left out). Returns how many entries it lists.
pub fn store_directory(
    conn: &mut AnyConnection,
    domain: &str,
    directory_url: &str,
    fetched: Fetched,
    next: NaiveDateTime,
) -> CoreResult<usize> {
    let now = weft_db::now();
    match fetched {
        Fetched::Unchanged => {
            let source = weft_db::directory::sources(conn, &[domain.to_string()], now)?
                .into_iter()
                .next();
            let (etag, modified) = source
                .map(|s| (s.etag, s.last_modified))
                .unwrap_or_default();
            weft_db::directory::record_fetched(
                conn,
                domain,
                directory_url,
                etag.as_deref(),
                modified.as_deref(),
                now,
                next,
            )?;
            Ok(0)
        }
        Fetched::Directory {
            entries,
            etag,
            last_modified,
        } => {
            let mut rows: Vec<_> = entries
                .iter()
                .filter_map(|e| super::entry_from_json(e, domain, now))
                .collect();
            rows.sort_by(|a, b| a.ap_id.cmp(&b.ap_id));
            rows.dedup_by(|a, b| a.ap_id == b.ap_id);
            weft_db::directory::replace_entries(conn, Some(domain), &rows)?;
            weft_db::directory::record_fetched(
                conn,
                domain,
                directory_url,
                etag.as_deref(),
                last_modified.as_deref(),
                now,
                next,
            )?;
            Ok(rows.len())
        }
    }
}

/// How long to wait after the `failures`-th failure in a row: `first`, doubled each time,
/// at most `max`.
pub fn backoff(failures: i32, first: Duration, max: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).clamp(0, 30) as u32;
    first
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(max)
}

/// Records a failed crawl of `domain`; returns when it is tried again.
pub fn record_failure(
    conn: &mut AnyConnection,
    domain: &str,
    error: &str,
    first: Duration,
    max: Duration,
) -> CoreResult<NaiveDateTime> {
    let now = weft_db::now();
    let failures = weft_db::directory::sources(conn, &[domain.to_string()], now)?
        .into_iter()
        .next()
        .map_or(0, |s| s.failures)
        + 1;
    let wait = backoff(failures, first, max);
    let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    let error: String = error.chars().take(500).collect();
    weft_db::directory::record_failed(conn, domain, failures, &error, next)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_most() {
        let (first, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(backoff(1, first, max), Duration::from_secs(1));
        assert_eq!(backoff(2, first, max), Duration::from_secs(2));
        assert_eq!(backoff(4, first, max), Duration::from_secs(8));
        assert_eq!(backoff(40, first, max), max);
    }
}

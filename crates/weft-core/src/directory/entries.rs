//! Directory entries: this instance's discoverable communities as the directory lists
//! them (refreshed into `directory_entries` with the other instances' entries, so one
//! search covers both), and the conversions to and from the wire (`into_json`,
//! `from_json`).

use crate::communities::profile::{MAX_DOMAIN, MAX_TAG, MAX_TAGS, MAX_TITLE};
use crate::{CoreResult, Urls, sanitize};
use chrono::NaiveDateTime;
use url::Url;
use weft_db::AnyConnection;
use weft_db::directory::{DirectoryEntryRow, NewDirectoryEntry};
use weft_protocol::{DirectoryEntryJson, Source, Tag};

/// The `instance_settings` row holding when this instance's listing last changed.
pub const CHANGED_AT: &str = "directory_changed_at";

/// This instance's discoverable communities, as entries.
pub fn local_entries(conn: &mut AnyConnection, urls: &Urls) -> CoreResult<Vec<NewDirectoryEntry>> {
    let now = weft_db::now();
    Ok(weft_db::directory::local_communities(conn)?
        .into_iter()
        .map(|c| NewDirectoryEntry {
            ap_id: c.actor.ap_id.clone(),
            source_domain: urls.domain().to_string(),
            is_local: true,
            name: c.actor.username.clone(),
            title: c
                .actor
                .display_name
                .clone()
                .unwrap_or_else(|| c.actor.username.clone()),
            about: c
                .actor
                .summary_source
                .clone()
                .or_else(|| c.actor.summary.as_deref().map(sanitize::html_to_text))
                .unwrap_or_default(),
            tags: c.tags.join(" "),
            language: c.language,
            lifecycle: c.lifecycle,
            member_count: c.member_count,
            last_activity_at: c.last_activity_at,
            fetched_at: now,
        })
        .collect())
}

/// Brings this instance's own entries up to date (what search finds, and what the
/// directory serves); notes when they changed. Cheap when nothing did.
pub fn refresh_local(conn: &mut AnyConnection, urls: &Urls) -> CoreResult<()> {
    let entries = local_entries(conn, urls)?;
    if weft_db::directory::replace_entries(conn, None, &entries)? > 0 {
        let now = weft_db::now().and_utc().timestamp().to_string();
        weft_db::accounts::set_setting(conn, CHANGED_AT, &now)?;
    }
    Ok(())
}

/// When this instance's listing last changed (whole seconds), if ever.
pub fn local_changed_at(conn: &mut AnyConnection) -> CoreResult<Option<NaiveDateTime>> {
    Ok(weft_db::accounts::setting(conn, CHANGED_AT)?
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map(|d| d.naive_utc()))
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// An entry as a directory page lists it.
pub fn entry_into_json(entry: &DirectoryEntryRow) -> DirectoryEntryJson {
    DirectoryEntryJson {
        kind: "Group".into(),
        id: url(&entry.ap_id),
        preferred_username: Some(entry.name.clone()),
        name: Some(entry.title.clone()),
        summary: Some(sanitize::markdown_to_html(&entry.about)),
        source: Some(Source::markdown(entry.about.clone())),
        tag: entry
            .tags
            .split_whitespace()
            .map(|t| Tag {
                kind: "Hashtag".into(),
                href: None,
                name: Some(format!("#{t}")),
            })
            .collect(),
        language: entry.language.clone(),
        lifecycle: Some(entry.lifecycle.clone()),
        member_count: Some(entry.member_count),
        last_activity: entry.last_activity_at.map(crate::wire::utc),
        discoverable: Some(true),
        indexable: Some(true),
    }
}

/// An entry read from the directory of the instance at `source` (host[:port]): None when
/// it asks not to be listed, or names a community on another host (an instance lists
/// only its own). Texts are made plain and clipped to what a local profile may hold.
pub fn entry_from_json(
    json: &DirectoryEntryJson,
    source: &str,
    now: NaiveDateTime,
) -> Option<NewDirectoryEntry> {
    if json.opted_out() {
        return None;
    }
    if !crate::urls::host_port(&json.id)?.eq_ignore_ascii_case(source) {
        return None;
    }
    let clip = |s: String, max: usize| -> String { s.chars().take(max).collect() };
    let name = clip(
        json.preferred_username
            .clone()
            .unwrap_or_else(|| json.id.path().rsplit('/').next().unwrap_or("").to_string()),
        100,
    );
    let title = json
        .name
        .as_deref()
        .map(sanitize::remote_title)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| name.clone());
    let about = match (&json.source, &json.summary) {
        (Some(source), _) => sanitize::html_to_text(&sanitize::markdown_to_html(&source.content)),
        (None, Some(summary)) => sanitize::html_to_text(summary),
        (None, None) => String::new(),
    };
    let mut tags: Vec<String> = json
        .tag_names()
        .iter()
        .filter_map(|t| crate::communities::profile::normalise_tag(t).ok())
        .filter(|t| t.chars().count() <= MAX_TAG)
        .collect();
    tags.sort();
    tags.dedup();
    tags.truncate(MAX_TAGS);
    let language = json
        .language
        .clone()
        .filter(|l| l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let lifecycle = json
        .lifecycle
        .as_deref()
        .and_then(|l| crate::communities::Lifecycle::parse(l).ok())
        .unwrap_or(crate::communities::Lifecycle::Active)
        .as_str()
        .to_string();
    Some(NewDirectoryEntry {
        ap_id: json.id.to_string(),
        source_domain: source.to_ascii_lowercase(),
        is_local: false,
        name,
        title: clip(title, MAX_TITLE),
        about: clip(about, MAX_DOMAIN),
        tags: tags.join(" "),
        language,
        lifecycle,
        member_count: json.member_count.unwrap_or(0).max(0),
        last_activity_at: json.last_activity.map(|d| d.naive_utc()),
        fetched_at: now,
    })
}

/// A lead or admin lists the local `community` in the directory, or takes it out
/// (`discoverable`): the directory, search here and the Group's `discoverable` follow at
/// once, and the community's followers get the `Update(Group)`.
pub fn set_discoverable(
    conn: &mut AnyConnection,
    urls: &Urls,
    by: &weft_db::models::ActorRow,
    community: &weft_db::models::ActorRow,
    discoverable: bool,
) -> CoreResult<bool> {
    crate::rules::may_list_in_directory(conn, community, by)?;
    weft_db::directory::set_discoverable(conn, community.id, discoverable)?;
    let community = weft_db::actors::by_id(conn, community.id)?;
    crate::communities::send_update(conn, urls, &community)?;
    refresh_local(conn, urls)?;
    Ok(discoverable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(id: &str) -> DirectoryEntryJson {
        serde_json::from_value(serde_json::json!({
            "type": "Group",
            "id": id,
            "preferredUsername": "cop",
            "name": "Care <b>homes</b>",
            "summary": "<p>Dementia care</p>",
            "tag": [{"type": "Hashtag", "name": "#Dementia"}, {"type": "Mention", "href": "https://x.example/u/a"}],
            "weft:language": "en-GB",
            "weft:lifecycle": "proposal",
            "weft:memberCount": 4
        }))
        .unwrap()
    }

    #[test]
    fn an_entry_is_read_plain_and_only_from_its_own_host() {
        let now = weft_db::now();
        let e = entry_from_json(&json("https://a.example/c/cop"), "a.example", now).unwrap();
        assert_eq!(e.title, "Care homes");
        assert_eq!(e.about, "Dementia care");
        assert_eq!(e.tags, "dementia");
        assert_eq!(e.lifecycle, "proposal");
        assert_eq!(e.language.as_deref(), Some("en-GB"));
        assert!(entry_from_json(&json("https://b.example/c/cop"), "a.example", now).is_none());
        let mut hidden = json("https://a.example/c/cop");
        hidden.indexable = Some(false);
        assert!(entry_from_json(&hidden, "a.example", now).is_none());
    }
}

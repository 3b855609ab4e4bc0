//! What software each remote instance runs, from its NodeInfo (`/.well-known/nodeinfo`,
//! then the 2.x document it links to, then `software.name`), so a fan-out sends each
//! instance the form it reads (`weft_core::software`). Off the request path: a task looks
//! for instances never checked (a follower from a new instance was stored) or checked
//! more than a day ago, and records what it found with the instance's row. A failure is
//! recorded too, and the instance treated as unknown (sent both forms) until the next
//! check a day later.

use serde::Deserialize;
use std::time::Duration;
use weft_db::Db;

/// How long a check holds.
pub const REFRESH_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// The most instances checked at once.
const AT_ONCE: i64 = 64;
/// The largest NodeInfo document read.
const MAX_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    #[serde(default)]
    rel: String,
    #[serde(default)]
    href: String,
}

#[derive(Deserialize)]
struct NodeInfo {
    software: Software,
}

#[derive(Deserialize)]
struct Software {
    name: String,
}

/// The body of a GET, refused unless 2xx and at most [`MAX_BYTES`].
/// Held to the address rules (`weft_core::addresses`) when `production`.
async fn get(client: &reqwest::Client, url: &str, production: bool) -> Result<Vec<u8>, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    weft_core::addresses::outgoing_allowed(&parsed, production)?;
    let mut response = client
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    let mut body = vec![];
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(format!("{url} is over {MAX_BYTES} bytes"));
        }
    }
    Ok(body)
}

/// NodeInfo's `software.name` for the instance at `domain` (host[:port]), lower case.
/// The 2.x document must be on the same host: a link elsewhere is not followed.
pub async fn fetch_software(
    client: &reqwest::Client,
    domain: &str,
    https: bool,
) -> Result<String, String> {
    let scheme = if https { "https" } else { "http" };
    let well_known = format!("{scheme}://{domain}/.well-known/nodeinfo");
    let links: Links = serde_json::from_slice(&get(client, &well_known, https).await?)
        .map_err(|e| format!("{well_known} is not a NodeInfo links document: {e}"))?;
    let href = links
        .links
        .iter()
        .filter(|l| {
            l.rel
                .starts_with("http://nodeinfo.diaspora.software/ns/schema/2.")
        })
        .max_by(|a, b| a.rel.cmp(&b.rel))
        .map(|l| l.href.clone())
        .ok_or_else(|| format!("{well_known} links no NodeInfo 2.x document"))?;
    let same_host = url::Url::parse(&href)
        .ok()
        .as_ref()
        .and_then(weft_core::urls::host_port)
        .is_some_and(|h| h.eq_ignore_ascii_case(domain));
    if !same_host {
        return Err(format!("{well_known} links {href}, not on {domain}"));
    }
    let info: NodeInfo = serde_json::from_slice(&get(client, &href, https).await?)
        .map_err(|e| format!("{href} is not a NodeInfo 2.x document: {e}"))?;
    let name = info.software.name.trim().to_ascii_lowercase();
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!("{href} names no usable software ({name:?})"));
    }
    Ok(name)
}

/// Checks every instance that is due ([`REFRESH_AFTER`]), `AT_ONCE` at a time, and
/// records what it found; returns how many were checked.
pub async fn check_due(db: &Db, client: &reqwest::Client, https: bool) -> Result<usize, String> {
    let unrecorded = db
        .read(weft_db::instances::unrecorded_follower_domains)
        .await
        .map_err(|e| e.to_string())?;
    if !unrecorded.is_empty() {
        db.write(move |c| weft_db::instances::record_domains(c, &unrecorded))
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut checked = 0;
    loop {
        let stale_before =
            weft_db::now() - chrono::Duration::from_std(REFRESH_AFTER).expect("a day fits");
        let due = db
            .read(move |c| weft_db::instances::software_checks_due(c, stale_before, AT_ONCE))
            .await
            .map_err(|e| e.to_string())?;
        if due.is_empty() {
            return Ok(checked);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for instance in due {
            let client = client.clone();
            tasks.spawn(async move {
                let found = fetch_software(&client, &instance.domain, https).await;
                (instance.id, instance.domain, found)
            });
        }
        let mut found = vec![];
        while let Some(result) = tasks.join_next().await {
            found.push(result.map_err(|e| e.to_string())?);
        }
        checked += found.len();
        db.write(move |c| -> Result<(), weft_db::DbError> {
            let at = weft_db::now();
            for (id, domain, result) in &found {
                match result {
                    Ok(name) => {
                        tracing::debug!("{domain} runs {name}");
                        weft_db::instances::record_software(c, *id, Some(name), None, at)?;
                    }
                    Err(e) => {
                        tracing::debug!("{domain}: no software known: {e}");
                        weft_db::instances::record_software(c, *id, None, Some(e), at)?;
                    }
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?;
    }
}

/// Keeps every instance's software known: checks what is due every `every` (a cheap read
/// when nothing is).
pub async fn keep_fresh(db: Db, client: reqwest::Client, https: bool, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = check_due(&db, &client, https).await {
            tracing::warn!("checking instances' software: {e}");
        }
    }
}

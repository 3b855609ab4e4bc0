//! An admin's work on the instance's relations with others: blocking an instance, and
//! looking at, retrying or dropping what is queued for one (`weft admin …`).

use crate::{CoreError, CoreResult, Urls, rules};
use std::collections::HashSet;
use weft_db::AnyConnection;
use weft_db::operations::{BlockedRow, QueuedFor};

/// The blocked domains, loaded at once (the list is short) and asked per activity.
#[derive(Debug, Clone, Default)]
pub struct Blocklist(HashSet<String>);

impl Blocklist {
    pub fn load(conn: &mut AnyConnection) -> CoreResult<Blocklist> {
        Ok(Blocklist(
            weft_db::operations::blocked(conn)?
                .into_iter()
                .map(|b| b.domain)
                .collect(),
        ))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The block that covers `domain` (host[:port]), if any: a block of the domain
    /// itself, of its host on any port, or of a domain it is under (`example.org`
    /// covers `social.example.org`).
    pub fn covering(&self, domain: &str) -> Option<&str> {
        let domain = domain.to_ascii_lowercase();
        if let Some(hit) = self.0.get(&domain) {
            return Some(hit);
        }
        let mut host = domain.split(':').next().unwrap_or(&domain);
        loop {
            if let Some(hit) = self.0.get(host) {
                return Some(hit);
            }
            match host.split_once('.') {
                Some((_, parent)) if parent.contains('.') => host = parent,
                _ => return None,
            }
        }
    }
}

/// `domain` as instances are kept: lower case host[:port], without a scheme or path.
pub fn normalise_domain(domain: &str) -> CoreResult<String> {
    let trimmed = domain.trim().trim_end_matches('/');
    let bare = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed);
    let parsed = url::Url::parse(&format!("https://{bare}/"))
        .ok()
        .filter(|u| u.path() == "/" && u.username().is_empty() && u.query().is_none());
    match parsed.as_ref().and_then(crate::urls::host_port) {
        Some(host) if !bare.is_empty() && !bare.contains('/') => Ok(host),
        _ => Err(CoreError::Invalid(format!(
            "{domain:?} is not an instance's domain: give its host name, e.g. social.example.org"
        ))),
    }
}

/// What blocking did.
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    pub domain: String,
    /// False when it was blocked already.
    pub newly: bool,
    /// Deliveries to it that were queued and are now dropped.
    pub dropped: usize,
}

/// Blocks an instance: from now on its inbox posts are refused and nothing is delivered
/// to it ([`rules::may_federate_with`]); what was queued for it is dropped at once.
pub fn block(
    conn: &mut AnyConnection,
    urls: &Urls,
    domain: &str,
    reason: Option<&str>,
) -> CoreResult<Blocked> {
    let domain = normalise_domain(domain)?;
    if domain == urls.domain() {
        return Err(CoreError::Invalid(format!(
            "{domain} is this instance's own domain"
        )));
    }
    let newly = weft_db::operations::block(conn, &domain, reason, weft_db::now())?;
    let mut dropped = 0;
    let blocklist = Blocklist::load(conn)?;
    for queued in weft_db::operations::queue_by_instance(conn)? {
        if rules::may_federate_with(&blocklist, &queued.instance.domain).is_err() {
            dropped += weft_db::operations::drop_queue(conn, queued.instance.id)?;
        }
    }
    Ok(Blocked {
        domain,
        newly,
        dropped,
    })
}

/// Lifts a block.
pub fn unblock(conn: &mut AnyConnection, domain: &str) -> CoreResult<String> {
    let domain = normalise_domain(domain)?;
    if weft_db::operations::unblock(conn, &domain)? {
        Ok(domain)
    } else {
        Err(CoreError::NotFound(format!(
            "{domain} is not blocked (`weft admin blocked` lists the blocks)"
        )))
    }
}

pub fn blocked(conn: &mut AnyConnection) -> CoreResult<Vec<BlockedRow>> {
    Ok(weft_db::operations::blocked(conn)?)
}

/// The delivery queue per instance, deepest first.
pub fn queue(conn: &mut AnyConnection) -> CoreResult<Vec<QueuedFor>> {
    Ok(weft_db::operations::queue_by_instance(conn)?)
}

fn known_instance(conn: &mut AnyConnection, domain: &str) -> CoreResult<(String, i64)> {
    let domain = normalise_domain(domain)?;
    match weft_db::outbox::instance_by_domain(conn, &domain)? {
        Some(instance) => Ok((domain, instance.id)),
        None => Err(CoreError::NotFound(format!(
            "no instance {domain} is known here (`weft admin queue` lists those with deliveries waiting)"
        ))),
    }
}

/// Tries everything queued for an instance now, ending its pause (after the admin
/// learnt it is back). Returns how many deliveries were made due.
pub fn retry(conn: &mut AnyConnection, domain: &str) -> CoreResult<usize> {
    let (_, id) = known_instance(conn, domain)?;
    Ok(weft_db::operations::retry_now(conn, id, weft_db::now())?)
}

/// Drops everything queued for an instance (gone for good). Returns how many deliveries.
pub fn drop_queue(conn: &mut AnyConnection, domain: &str) -> CoreResult<usize> {
    let (_, id) = known_instance(conn, domain)?;
    Ok(weft_db::operations::drop_queue(conn, id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(
            normalise_domain("https://Social.Example.org/").unwrap(),
            "social.example.org"
        );
        assert_eq!(
            normalise_domain("localhost:8080").unwrap(),
            "localhost:8080"
        );
        for bad in [
            "",
            "exa mple.org",
            "example.org/path",
            "user@example.org",
            "?q",
        ] {
            assert!(normalise_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_block_covers_subdomains_and_ports() {
        let list = Blocklist(["example.org".to_string(), "localhost:9000".to_string()].into());
        assert_eq!(list.covering("example.org"), Some("example.org"));
        assert_eq!(list.covering("social.example.org"), Some("example.org"));
        assert_eq!(list.covering("example.org:8443"), Some("example.org"));
        assert_eq!(list.covering("localhost:9000"), Some("localhost:9000"));
        assert_eq!(list.covering("localhost:9001"), None);
        assert_eq!(list.covering("notexample.org"), None);
        assert_eq!(list.covering("org"), None);
    }
}

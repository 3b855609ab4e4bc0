//! Where local things live. Every local URL is built here and nowhere else.

use url::Url;

/// This instance's public address (`https://domain`, or `http://` in development).
#[derive(Clone, Debug)]
pub struct Urls {
    base: Url,
    domain: String,
}

impl Urls {
    /// `domain` is host[:port]; `https` is false only in development mode.
    pub fn new(domain: &str, https: bool) -> Result<Urls, String> {
        let scheme = if https { "https" } else { "http" };
        let base = Url::parse(&format!("{scheme}://{domain}/"))
            .map_err(|e| format!("WEFT_DOMAIN {domain:?} is not a host name: {e}"))?;
        if base.path() != "/" || base.query().is_some() || !base.username().is_empty() {
            return Err(format!("WEFT_DOMAIN {domain:?} must be a host[:port] only"));
        }
        // As URLs spell it (lower case, no default port), so ids compare equal.
        let domain =
            host_port(&base).ok_or_else(|| format!("WEFT_DOMAIN {domain:?} has no host"))?;
        Ok(Urls { base, domain })
    }

    /// host[:port], as used in `acct:` addresses and by the federation library.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn join(&self, path: &str) -> Url {
        self.base.join(path).expect("local paths are valid URLs")
    }

    pub fn instance_actor(&self) -> Url {
        self.join("actor")
    }
    pub fn shared_inbox(&self) -> Url {
        self.join("inbox")
    }
    /// A local person (`/u/name`) or community (`/c/name`).
    pub fn actor(&self, is_group: bool, name: &str) -> Url {
        self.join(&format!("{}/{name}", if is_group { "c" } else { "u" }))
    }
    pub fn actor_part(&self, actor: &Url, part: &str) -> Url {
        Url::parse(&format!("{}/{part}", actor.as_str().trim_end_matches('/')))
            .expect("actor URLs extend")
    }
    pub fn item(&self, id: i64) -> Url {
        self.join(&format!("items/{id}"))
    }
    /// The link in a confirmation mail: opening it confirms the address.
    pub fn confirm_email(&self, token: &str) -> Url {
        let mut url = self.join("api/v1/accounts/confirm");
        url.query_pairs_mut().append_pair("token", token);
        url
    }
    /// The link (and RFC 8058 one-click address) that stops a person's weekly digest.
    pub fn unsubscribe(&self, token: &str) -> Url {
        let mut url = self.join("api/v1/unsubscribe");
        url.query_pairs_mut().append_pair("token", token);
        url
    }
    /// The RSVP poll (`Question`) a community sends beside a local event.
    pub fn rsvp_poll(&self, item_id: i64) -> Url {
        self.join(&format!("items/{item_id}/rsvp"))
    }
    /// The event item whose RSVP poll `url` is, when it is one of this instance's.
    pub fn rsvp_poll_item(&self, url: &str) -> Option<i64> {
        let url = Url::parse(url).ok()?;
        if host_port(&url).as_deref() != Some(self.domain.as_str()) {
            return None;
        }
        url.path()
            .strip_prefix("/items/")?
            .strip_suffix("/rsvp")?
            .parse()
            .ok()
    }
    /// A local community's Atom feed (its latest threads and events).
    pub fn community_atom(&self, name: &str) -> Url {
        self.join(&format!("feeds/communities/{name}.atom"))
    }
    /// A local community's iCalendar feed (its recent and upcoming events).
    pub fn community_calendar(&self, name: &str) -> Url {
        self.join(&format!("feeds/communities/{name}.ics"))
    }
    /// A thread's Atom feed (the thread and its replies).
    pub fn thread_atom(&self, item_id: i64) -> Url {
        self.join(&format!("feeds/threads/{item_id}.atom"))
    }
    /// A person's private calendar: the events they go or may go to, at an address
    /// holding its secret.
    pub fn member_calendar(&self, secret: &str) -> Url {
        self.join(&format!("feeds/calendars/{secret}.ics"))
    }
    /// Where an uploaded file is served: named by its SHA-256, never by a client's name.
    pub fn file(&self, sha256: &str) -> Url {
        self.join(&format!("files/{sha256}"))
    }
    /// A folder of a community's resource library.
    pub fn folder(&self, id: i64) -> Url {
        self.join(&format!("folders/{id}"))
    }
    /// Every version of a local resource (`weft:versions`), and one of them.
    pub fn versions(&self, item_id: i64) -> Url {
        self.join(&format!("items/{item_id}/versions"))
    }
    pub fn version(&self, item_id: i64, number: i32) -> Url {
        self.join(&format!("items/{item_id}/versions/{number}"))
    }
    /// A community's resource library, as a collection (`resources`).
    pub fn resources(&self, community: &str) -> Url {
        self.actor_part(
            &Url::parse(community).expect("stored ids are URLs"),
            "resources",
        )
    }
    pub fn activity(&self) -> Url {
        self.join(&format!("activities/{}", uuid::Uuid::new_v4()))
    }

    /// True when a URL is on this instance.
    pub fn is_local(&self, url: &str) -> bool {
        Url::parse(url)
            .ok()
            .is_some_and(|u| host_port(&u).as_deref() == Some(self.domain.as_str()))
    }
}

/// The directory and the constellations (`directory`).
impl Urls {
    /// This instance's directory of discoverable communities.
    pub fn directory(&self) -> Url {
        self.join("directory")
    }
    /// A constellation convened here (its `Service` actor).
    pub fn constellation(&self, name: &str) -> Url {
        self.join(&format!("constellations/{name}"))
    }
    /// A constellation's member list.
    pub fn constellation_members(&self, name: &str) -> Url {
        self.join(&format!("constellations/{name}/members"))
    }
    /// The name of the constellation convened here at `url`, if it is one's address.
    pub fn constellation_name(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(self.join("constellations/").as_str())?;
        (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
    }
}

/// host[:port] of a URL: what names an instance.
pub fn host_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_normalised() {
        assert_eq!(
            Urls::new("Cop.Example.org:443", true).unwrap().domain(),
            "cop.example.org"
        );
        assert_eq!(
            Urls::new("localhost:8080", false).unwrap().domain(),
            "localhost:8080"
        );
        assert!(Urls::new("cop.example.org/path", true).is_err());
        assert!(Urls::new("", true).is_err());
    }

    #[test]
    fn local_urls_are_recognised() {
        let urls = Urls::new("cop.example.org", true).unwrap();
        assert!(urls.is_local("https://cop.example.org/c/x"));
        assert!(urls.is_local("https://COP.example.org:443/c/x"));
        assert!(!urls.is_local("https://other.example/c/x"));
    }

    #[test]
    fn rsvp_polls_name_their_event() {
        let urls = Urls::new("cop.example.org", true).unwrap();
        assert_eq!(urls.rsvp_poll_item(urls.rsvp_poll(42).as_str()), Some(42));
        assert_eq!(
            urls.rsvp_poll_item("https://cop.example.org/items/42"),
            None
        );
        assert_eq!(
            urls.rsvp_poll_item("https://other.example/items/42/rsvp"),
            None
        );
    }
}

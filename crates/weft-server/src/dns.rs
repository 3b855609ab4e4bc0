//! Name resolution for outgoing requests: the federation library's validating resolver
//! (which refuses names that resolve to internal addresses, at the moment of connecting),
//! with its answers kept for a minute. A fan-out opens a connection to every follower
//! instance; without the cache each one costs a `getaddrinfo` on a blocking thread.
//! Only validated answers are kept, so the cache cannot widen what is reachable.

use activitypub_federation::resolver::ValidatingDnsResolver;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer is used.
const KEEP: Duration = Duration::from_secs(60);
/// The most names kept; beyond it the cache is emptied (cheap, and rare).
const MAX_NAMES: usize = 10_000;

/// Validated answers by host name, with when they were had.
type Answers = HashMap<String, (Instant, Vec<SocketAddr>)>;

#[derive(Clone)]
pub struct CachingResolver {
    inner: Arc<ValidatingDnsResolver>,
    answers: Arc<Mutex<Answers>>,
}

impl CachingResolver {
    pub fn new(validate: bool) -> Self {
        CachingResolver {
            inner: Arc::new(ValidatingDnsResolver::new(vec![], validate)),
            answers: Arc::default(),
        }
    }
}

impl Resolve for CachingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        if let Some((at, addrs)) = self.answers.lock().expect("dns cache").get(&host)
            && at.elapsed() < KEEP
        {
            let addrs: Addrs = Box::new(addrs.clone().into_iter());
            return Box::pin(std::future::ready(Ok(addrs)));
        }
        let (inner, answers) = (self.inner.clone(), self.answers.clone());
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = inner.resolve(name).await?.collect();
            let mut answers = answers.lock().expect("dns cache");
            if answers.len() >= MAX_NAMES {
                answers.clear();
            }
            answers.insert(host, (Instant::now(), addrs.clone()));
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    async fn resolve(r: &CachingResolver, host: &str) -> Result<Vec<SocketAddr>, String> {
        r.resolve(Name::from_str(host).unwrap())
            .await
            .map(|a| a.collect())
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn internal_addresses_stay_refused_and_refusals_are_not_kept() {
        let strict = CachingResolver::new(true);
        assert!(resolve(&strict, "localhost").await.is_err());
        assert!(resolve(&strict, "localhost").await.is_err());
        assert!(strict.answers.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn answers_are_kept_and_reused() {
        let dev = CachingResolver::new(false);
        let first = resolve(&dev, "LOCALHOST").await.unwrap();
        assert!(first.iter().all(|a| a.ip().is_loopback()));
        assert!(dev.answers.lock().unwrap().contains_key("localhost"));
        assert_eq!(resolve(&dev, "localhost").await.unwrap(), first);
    }
}

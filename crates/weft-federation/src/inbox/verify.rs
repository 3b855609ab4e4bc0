//! Checking an incoming POST before anything is stored: the body's digest, a
//! draft-cavage signature over the headers that matter, its freshness, and that the key
//! belongs to the activity's actor. Failures answer 401 (so a Fedify sender falls back
//! from RFC 9421 to draft-cavage) or 403 (signed, but by someone else).

use crate::{Ctx, FedError, fetch_actor, refetch_actor};
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_core::urls::host_port;
use weft_db::models::ActorRow;
use weft_protocol::Envelope;
use weft_protocol::httpsig;

/// Headers a POST's signature must cover. Freshness comes from `date` or `(created)`.
const REQUIRED: [&str; 3] = ["(request-target)", "host", "digest"];
const MAX_AGE: Duration = Duration::from_secs(3600);
const MAX_SKEW: Duration = Duration::from_secs(300);
const REFETCH_EVERY: Duration = Duration::from_secs(60);
/// The re-fetch times are pruned when this many are kept, and cleared at `REFETCHED_MAX`.
const REFETCHED_PRUNE_AT: usize = 1024;
const REFETCHED_MAX: usize = 48 * REFETCHED_PRUNE_AT;

/// Parsed public keys by PEM, so a busy peer's key is parsed once; and when each actor
/// was last re-fetched after a failed verification.
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, Arc<httpsig::VerifyingKey>>>,
    refetched: Mutex<HashMap<String, Instant>>,
    /// Signers seen lately, so a busy peer's actor is not read from the database per
    /// request. Kept for `ACTOR_TTL`; replaced when the actor is fetched again.
    actors: Mutex<HashMap<String, (Instant, ActorRow)>>,
}

const ACTOR_TTL: Duration = Duration::from_secs(60);

impl KeyCache {
    fn key(&self, pem: &str) -> Result<Arc<httpsig::VerifyingKey>, FedError> {
        if let Some(key) = self.keys.lock().expect("key cache").get(pem) {
            return Ok(key.clone());
        }
        let key = Arc::new(httpsig::VerifyingKey::from_pem(pem).map_err(FedError::unauthorized)?);
        let mut keys = self.keys.lock().expect("key cache");
        if keys.len() > 50_000 {
            keys.clear();
        }
        keys.insert(pem.to_string(), key.clone());
        Ok(key)
    }

    fn actor(&self, id: &str) -> Option<ActorRow> {
        let actors = self.actors.lock().expect("actor cache");
        actors
            .get(id)
            .filter(|(at, _)| at.elapsed() < ACTOR_TTL)
            .map(|(_, actor)| actor.clone())
    }

    pub(crate) fn remember(&self, actor: &ActorRow) {
        let mut actors = self.actors.lock().expect("actor cache");
        if actors.len() > 50_000 {
            actors.clear();
        }
        actors.insert(actor.ap_id.clone(), (Instant::now(), actor.clone()));
    }

    fn may_refetch(&self, actor: &str) -> bool {
        let mut refetched = self.refetched.lock().expect("refetch times");
        let now = Instant::now();
        // Only the last minute's re-fetches matter: older ones are dropped every
        // `REFETCHED_PRUNE_AT` entries (amortised: a flood does not pay a scan per
        // request), and a flood of new signers within a minute cannot pass a bound.
        if !refetched.is_empty() && refetched.len().is_multiple_of(REFETCHED_PRUNE_AT) {
            refetched.retain(|_, at| now.duration_since(*at) < REFETCH_EVERY);
            if refetched.len() >= REFETCHED_MAX {
                refetched.clear();
            }
        }
        match refetched.get(actor) {
            Some(at) if now.duration_since(*at) < REFETCH_EVERY => false,
            _ => {
                refetched.insert(actor.to_string(), now);
                true
            }
        }
    }
}

/// A request that passed every check, with its signer.
pub struct Verified {
    pub actor: ActorRow,
    pub activity: Envelope,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn verify_request(
    ctx: &Ctx,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Verified, FedError> {
    let activity: Envelope = serde_json::from_slice(body).map_err(|e| {
        FedError::bad_request(format!("the body is not an activity Weft can read: {e}"))
    })?;
    if host_port(&activity.id) != host_port(&activity.actor) {
        return Err(FedError::forbidden(format!(
            "activity {} is not on its actor's host {}",
            activity.id, activity.actor
        )));
    }
    if ctx.urls.is_local(activity.actor.as_str()) {
        return Err(FedError::forbidden(
            "activities of local actors are not accepted from outside",
        ));
    }
    // A blocked instance is refused before anything is fetched from it.
    let blocklist = ctx.blocks.current().await?;
    if let Some(domain) = host_port(&activity.actor) {
        weft_core::rules::may_federate_with(&blocklist, &domain)
            .map_err(|e| FedError::from(e).because("blocked"))?;
        // Under "constellation members only", an outsider is refused here too.
        let policy = ctx.blocks.policy().await?;
        let asks_to_join = crate::directory::asks_to_join(ctx, &activity);
        weft_core::rules::may_federate_under(&policy, &domain, asks_to_join)
            .map_err(|e| FedError::from(e).because("policy"))?;
    }
    let Some(signature) = header(headers, "signature") else {
        let message = if headers.contains_key("signature-input") {
            "RFC 9421 signatures are not verified yet: sign with draft-cavage HTTP signatures"
        } else {
            "the request is not signed (no Signature header)"
        };
        return Err(FedError::unauthorized(message));
    };
    let digest =
        header(headers, "digest").ok_or_else(|| FedError::unauthorized("no Digest header"))?;
    if !httpsig::digest_matches(digest, body) {
        return Err(FedError::unauthorized(
            "the Digest header does not match the body",
        ));
    }
    let signature = httpsig::parse_signature_header(signature).map_err(FedError::unauthorized)?;
    for required in REQUIRED {
        if !signature.headers.iter().any(|h| h == required) {
            return Err(FedError::unauthorized(format!(
                "the signature must cover {required}"
            )));
        }
    }
    check_freshness(headers, &signature)?;

    let actor = match ctx.keys.actor(activity.actor.as_str()) {
        Some(actor) => actor,
        None => {
            let actor = fetch_actor(&activity.actor, ctx).await.map_err(|e| {
                FedError::unauthorized(format!(
                    "cannot fetch the actor {} to check its key: {e}",
                    activity.actor
                ))
            })?;
            ctx.keys.remember(&actor);
            actor
        }
    };
    let host = header(headers, "host")
        .map(str::to_string)
        .unwrap_or_else(|| ctx.urls.domain().to_string());
    let signing_string = httpsig::signing_string(
        &signature.headers,
        method,
        path_and_query,
        signature.created,
        signature.expires,
        |name| {
            if name == "host" {
                Some(host.clone())
            } else {
                headers
                    .get_all(name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .reduce(|a, _| a)
                    .map(str::to_string)
            }
        },
    )
    .map_err(FedError::unauthorized)?;

    let check = |actor: &ActorRow| -> Result<bool, FedError> {
        if actor.public_key_id != signature.key_id {
            return Ok(false);
        }
        let key = ctx.keys.key(&actor.public_key_pem)?;
        Ok(key.verify(&signing_string, &signature.signature))
    };
    if check(&actor)? {
        return Ok(Verified { actor, activity });
    }
    // The peer may have rotated its key: fetch the actor once more, at most once a minute.
    let mut actor = actor;
    if ctx.keys.may_refetch(&actor.ap_id) {
        actor = refetch_actor(&activity.actor, ctx).await.map_err(|e| {
            FedError::unauthorized(format!(
                "cannot fetch the actor {} again to check its key: {e}",
                activity.actor
            ))
        })?;
        ctx.keys.remember(&actor);
        if check(&actor)? {
            return Ok(Verified { actor, activity });
        }
    }
    if actor.public_key_id != signature.key_id {
        return Err(FedError::forbidden(format!(
            "signed with the key {}, which is not the key of the actor {}",
            signature.key_id, activity.actor
        )));
    }
    Err(FedError::unauthorized("the HTTP signature does not verify"))
}

fn check_freshness(
    headers: &HeaderMap,
    signature: &httpsig::SignatureHeader,
) -> Result<(), FedError> {
    let now = chrono::Utc::now();
    let signed_at = if signature.headers.iter().any(|h| h == "date") {
        let date =
            header(headers, "date").ok_or_else(|| FedError::unauthorized("no Date header"))?;
        httpsig::parse_http_date(date)
            .ok_or_else(|| FedError::unauthorized("the Date header is not an HTTP date"))?
    } else if signature.headers.iter().any(|h| h == "(created)") {
        let created = signature
            .created
            .ok_or_else(|| FedError::unauthorized("(created) is signed but missing"))?;
        chrono::DateTime::from_timestamp(created, 0)
            .ok_or_else(|| FedError::unauthorized("bad (created)"))?
    } else {
        return Err(FedError::unauthorized(
            "the signature must cover date or (created)",
        ));
    };
    let age = now - signed_at;
    if age > chrono::TimeDelta::from_std(MAX_AGE).expect("constant") {
        return Err(FedError::unauthorized(
            "the signature is more than an hour old",
        ));
    }
    if -age > chrono::TimeDelta::from_std(MAX_SKEW).expect("constant") {
        return Err(FedError::unauthorized(
            "the signature is dated in the future",
        ));
    }
    if let Some(expires) = signature.expires
        && expires < now.timestamp()
    {
        return Err(FedError::unauthorized("the signature has expired"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refetch_times_stay_bounded() {
        let cache = KeyCache::default();
        for n in 0..(REFETCHED_MAX + 10) {
            assert!(cache.may_refetch(&format!("https://flood.example/users/{n}")));
        }
        assert!(cache.refetched.lock().unwrap().len() <= REFETCHED_MAX);
        // Old entries are dropped at the next prune; recent ones still hold.
        let recent = "https://peer.example/users/recent";
        let cache = KeyCache::default();
        assert!(cache.may_refetch(recent));
        assert!(!cache.may_refetch(recent), "within a minute: not again");
        {
            let mut times = cache.refetched.lock().unwrap();
            let long_ago = Instant::now() - Duration::from_secs(120);
            for n in 1..REFETCHED_PRUNE_AT {
                times.insert(format!("https://old.example/users/{n}"), long_ago);
            }
        }
        assert!(cache.may_refetch("https://peer.example/users/new"));
        assert_eq!(
            cache.refetched.lock().unwrap().len(),
            2,
            "the old ones pruned"
        );
        assert!(!cache.may_refetch(recent));
    }
}

//! The blocked instances as the inbox asks for them: read from the database at most once
//! a second, so a block made by `weft admin block` (another process) holds within a
//! second, and a busy inbox costs no query per request.

use crate::FedError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_core::directory::Policy;
use weft_core::operations::Blocklist;
use weft_db::Db;

const FRESH_FOR: Duration = Duration::from_secs(1);

pub struct Blocks {
    db: Db,
    cached: Mutex<Option<(Instant, Arc<Blocklist>)>>,
    /// The federation policy and its allow-list, cached the same way.
    policy: Mutex<Option<(Instant, Arc<Policy>)>>,
}

impl Blocks {
    pub fn new(db: Db) -> Blocks {
        Blocks {
            db,
            cached: Mutex::new(None),
            policy: Mutex::new(None),
        }
    }

    /// The blocklist, at most a second old.
    pub async fn current(&self) -> Result<Arc<Blocklist>, FedError> {
        if let Some((at, list)) = &*self.cached.lock().expect("blocklist")
            && at.elapsed() < FRESH_FOR
        {
            return Ok(list.clone());
        }
        let list = Arc::new(self.db.read(Blocklist::load).await?);
        *self.cached.lock().expect("blocklist") = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    /// The federation policy with its allow-list (the constellations' members), at most
    /// a second old.
    pub async fn policy(&self) -> Result<Arc<Policy>, FedError> {
        if let Some((at, policy)) = &*self.policy.lock().expect("policy")
            && at.elapsed() < FRESH_FOR
        {
            return Ok(policy.clone());
        }
        let policy = Arc::new(self.db.read(Policy::load).await?);
        *self.policy.lock().expect("policy") = Some((Instant::now(), policy.clone()));
        Ok(policy)
    }

    /// Forgets what is cached: a change made in this process holds for the next request.
    pub fn forget(&self) {
        *self.cached.lock().expect("blocklist") = None;
        *self.policy.lock().expect("policy") = None;
    }
}

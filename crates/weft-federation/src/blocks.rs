//! The blocked instances as the inbox asks for them: read from the database at most once
//! a second, so a block made by `weft admin block` (another process) holds within a
//! second, and a busy inbox costs no query per request.

use crate::FedError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft_core::operations::Blocklist;
use weft_db::Db;

const FRESH_FOR: Duration = Duration::from_secs(1);

pub struct Blocks {
    db: Db,
    cached: Mutex<Option<(Instant, Arc<Blocklist>)>>,
}

impl Blocks {
    pub fn new(db: Db) -> Blocks {
        Blocks {
            db,
            cached: Mutex::new(None),
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
}

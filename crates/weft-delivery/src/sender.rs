//! Signing and sending one activity to one inbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;
use weft_protocol::httpsig::SigningKey;

#[derive(Debug)]
pub enum SendError {
    /// The peer refused it for good (4xx other than 408/429): don't retry.
    Refused(String),
    /// Worth retrying later (network error, timeout, 5xx, 408, 429).
    Retry(String),
    /// Our side cannot send it (an unreadable key): kept queued, not held against the peer.
    Local(String),
}

/// The most of a successful answer read before the connection is given up.
const MAX_ANSWER: usize = 64 * 1024;

/// Signs with the sending actor's key (parsed once, then cached) and posts.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    keys: Arc<Mutex<HashMap<String, Arc<SigningKey>>>>,
}

impl Sender {
    pub fn new(client: reqwest::Client) -> Self {
        Sender {
            client,
            keys: Arc::default(),
        }
    }

    fn key(&self, key_id: &str, pem: &str) -> Result<Arc<SigningKey>, SendError> {
        if let Some(key) = self.keys.lock().expect("key cache").get(key_id) {
            return Ok(key.clone());
        }
        let key = Arc::new(
            SigningKey::from_pem(pem).map_err(|e| SendError::Local(format!("{key_id}: {e}")))?,
        );
        self.keys
            .lock()
            .expect("key cache")
            .insert(key_id.to_string(), key.clone());
        Ok(key)
    }

    /// Posts `body` to `inbox`, signed as `key_id`.
    pub async fn send(
        &self,
        inbox: &str,
        body: String,
        key_id: &str,
        private_key_pem: &str,
    ) -> Result<(), SendError> {
        let url =
            Url::parse(inbox).map_err(|e| SendError::Refused(format!("inbox {inbox}: {e}")))?;
        let key = self.key(key_id, private_key_pem)?;
        // Signing takes a few hundred microseconds of CPU: done in place, since handing it
        // to a blocking thread costs two thread switches per request, which measured more.
        let headers = weft_protocol::httpsig::signed_post_headers(
            &key,
            key_id,
            &url,
            body.as_bytes(),
            chrono::Utc::now(),
        );
        let mut request = self.client.post(url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = request
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("{inbox}: {e}")))?;
        let status = response.status();
        if status.is_success() {
            // Read the answer (up to a bound) so the connection goes back to the pool: one
            // whose body was not all read with the headers is closed, and the next
            // activity to this instance would pay for a new connection.
            let mut read = 0;
            while let Ok(Some(chunk)) = response.chunk().await {
                read += chunk.len();
                if read > MAX_ANSWER {
                    break;
                }
            }
            return Ok(());
        }
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        let message = format!("{inbox} answered {status}: {text}");
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(SendError::Refused(message))
        } else {
            Err(SendError::Retry(message))
        }
    }
}

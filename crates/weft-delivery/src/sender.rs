//! Signing and sending one activity to one inbox.

use bytes::Bytes;
use url::Url;
use weft_protocol::httpsig::SigningKey;

#[derive(Debug)]
pub enum SendError {
    /// The peer refused it for good (4xx other than 408/429): don't retry.
    Refused(String),
    /// Worth retrying later (network error, timeout, 5xx, 408, 429).
    Retry(String),
}

/// How much of a refusal's body is read (its first 300 characters are kept).
const ERROR_ANSWER: usize = 4 * 1024;

/// The most of a successful answer read before the connection is given up.
const MAX_ANSWER: usize = 64 * 1024;

/// An activity's body as sent, shared by every inbox it goes to, with its `Digest`
/// header worked out once.
pub struct Payload {
    body: Bytes,
    digest: String,
}

impl Payload {
    pub fn new(body: String) -> Payload {
        let digest = weft_protocol::httpsig::digest_header(body.as_bytes());
        Payload {
            body: Bytes::from(body),
            digest,
        }
    }
}

/// A sending actor's key, parsed once, and its id.
pub struct Signer {
    key_id: String,
    key: SigningKey,
}

impl Signer {
    pub fn from_pem(key_id: &str, private_key_pem: &str) -> Result<Signer, String> {
        Ok(Signer {
            key_id: key_id.to_string(),
            key: SigningKey::from_pem(private_key_pem).map_err(|e| format!("{key_id}: {e}"))?,
        })
    }
}

/// Signs and posts.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    /// Counts each attempt in `weft_deliveries_total` by result and status class.
    meter: weft_core::Meter,
    /// Production: inboxes are held to the address rules (`weft_core::addresses`).
    production: bool,
}

impl Sender {
    pub fn new(client: reqwest::Client) -> Self {
        Sender {
            client,
            meter: Default::default(),
            production: false,
        }
    }

    /// The same sender, refusing inboxes the address rules forbid in production (plain
    /// http, internal IP literals) before anything is sent.
    pub fn production(self, production: bool) -> Self {
        Sender { production, ..self }
    }

    /// The same sender, counting its attempts on `meter`.
    pub fn with_meter(self, meter: weft_core::Meter) -> Self {
        Sender { meter, ..self }
    }

    fn count(&self, result: &str, status: &str) {
        self.meter.count(
            "weft_deliveries_total",
            &[("result", result), ("status", status)],
        );
    }

    /// Posts `payload` to `inbox`, signed by `signer`.
    pub async fn send(
        &self,
        inbox: &str,
        payload: &Payload,
        signer: &Signer,
    ) -> Result<(), SendError> {
        let url =
            Url::parse(inbox).map_err(|e| SendError::Refused(format!("inbox {inbox}: {e}")))?;
        if let Err(why) = weft_core::addresses::outgoing_allowed(&url, self.production) {
            self.count("refused", "address");
            return Err(SendError::Refused(why));
        }
        // Signing takes a few hundred microseconds of CPU: done in place, since handing it
        // to a blocking thread costs two thread switches per request, which measured more.
        let headers = weft_protocol::httpsig::signed_post_headers_with_digest(
            &signer.key,
            &signer.key_id,
            &url,
            &payload.digest,
            chrono::Utc::now(),
        );
        let mut request = self.client.post(url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let mut response = match request.body(payload.body.clone()).send().await {
            Ok(response) => response,
            Err(e) => {
                self.count("failed", "network");
                return Err(SendError::Retry(format!("{inbox}: {e}")));
            }
        };
        let status = response.status();
        let class = weft_core::meter::status_class(status.as_u16());
        if status.is_success() {
            self.count("sent", class);
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
        // Only the start of a refusal is kept (for the queue's last error): read at most
        // a few KiB of it, however much the peer sends.
        let mut start = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            start.extend_from_slice(&chunk[..chunk.len().min(ERROR_ANSWER - start.len())]);
            if start.len() >= ERROR_ANSWER {
                break;
            }
        }
        let text: String = String::from_utf8_lossy(&start).chars().take(300).collect();
        let message = format!("{inbox} answered {status}: {text}");
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            self.count("refused", class);
            Err(SendError::Refused(message))
        } else {
            self.count("failed", class);
            Err(SendError::Retry(message))
        }
    }
}

//! P1's transport floor: the fan-out's requests (each instance the forms it reads), signed
//! beforehand (not timed), sent to the same sinks by a bare client with the delivery's
//! shape (one connection per instance, its activities one after the other, 64 instances
//! at once) and Weft's
//! HTTP client settings. What this costs the two cores (connections, HTTP, the sinks'
//! checks) is what any sender pays on top of signing; Weft's distance above
//! "signing + floor" is its own overhead.

use crate::sink::Sinks;
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use weft_protocol::httpsig::{SigningKey, signed_post_headers};

/// One request signed beforehand: where, its headers, its body.
type Signed = (url::Url, Vec<(&'static str, String)>, String);

/// What the floor run measured.
pub struct Floor {
    pub seconds: f64,
    /// CPU seconds the machine was busy (client, sinks, kernel).
    pub busy: f64,
}

/// Sends each sink its bodies (port, bodies), signed as `key_id`; the sinks' log is
/// emptied first.
pub async fn run(
    sinks: &Sinks,
    private_pem: &str,
    key_id: &str,
    per_port: &[(u16, Vec<String>)],
) -> Result<Floor, String> {
    let key = SigningKey::from_pem(private_pem)?;
    let now = chrono::Utc::now();
    let requests: Vec<Vec<Signed>> = per_port
        .iter()
        .map(|(port, bodies)| {
            let url = url::Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
            bodies
                .iter()
                .map(|b| {
                    let headers = signed_post_headers(&key, key_id, &url, b.as_bytes(), now);
                    (url.clone(), headers, b.clone())
                })
                .collect()
        })
        .collect();
    let client = weft_server::http_client(true)?;
    sinks.state.log.lock().unwrap().clear();
    let expected = requests.iter().map(Vec::len).sum::<usize>();
    let busy_before = crate::weft::machine_busy_seconds();
    let started = Instant::now();
    let sent: Vec<Result<(), String>> = futures_util::stream::iter(requests)
        .map(|instance| {
            let client = client.clone();
            async move {
                for (url, headers, body) in instance {
                    let mut request = client.post(url);
                    for (name, value) in headers {
                        request = request.header(name, value);
                    }
                    let response = request.body(body).send().await.map_err(|e| e.to_string())?;
                    let _ = response.bytes().await;
                }
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    if let Some(Err(e)) = sent.into_iter().find(Result::is_err) {
        return Err(format!("P1 floor: {e}"));
    }
    while sinks.count() < expected {
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("P1 floor: {} of {expected} arrived", sinks.count()));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(Floor {
        seconds: started.elapsed().as_secs_f64(),
        busy: crate::weft::machine_busy_seconds() - busy_before,
    })
}

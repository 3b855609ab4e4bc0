//! The sender reads a successful answer, so the connection is used again for the next
//! activity to the same instance (a fan-out opens one connection per instance, not one
//! per activity), even when the peer answers with a body longer than what arrives with
//! the headers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weft_delivery::{Payload, Sender, Signer};

/// An inbox that answers every request with 202 and a 40 kB JSON body, counting
/// connections.
async fn inbox_with_body() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut pending: Vec<u8> = vec![];
                let mut buf = [0u8; 8192];
                loop {
                    // One request: headers, then Content-Length bytes of body.
                    let end = loop {
                        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while pending.len() < end + length {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    }
                    pending.drain(..end + length);
                    // Larger than what arrives with the headers in one read.
                    let body = format!(
                        r#"{{"status":"accepted","detail":"{}"}}"#,
                        "x".repeat(40_000)
                    );
                    let answer = format!(
                        "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://localhost:{port}/inbox"), connections)
}

#[tokio::test]
async fn answers_with_a_body_do_not_cost_a_connection_each() {
    let (inbox, connections) = inbox_with_body().await;
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let sender = Sender::new(reqwest::Client::new());
    let signer = Signer::from_pem("https://example.org/actor#main-key", &private_pem).unwrap();
    for n in 0..3 {
        let payload = Payload::new(format!(r#"{{"id":"https://example.org/activities/{n}"}}"#));
        sender.send(&inbox, &payload, &signer).await.unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// A refusal whose body never ends (chunk after chunk, for as long as anyone reads): the
/// sender keeps the first few KiB, reports the refusal at once, and is not held.
#[tokio::test]
async fn an_endless_refusal_is_read_only_a_little() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let head = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("400\r\n{}\r\n", "no ".repeat(341) + "n");
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    counted.fetch_add(1024, Ordering::SeqCst);
                }
            });
        }
    });
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let sender = Sender::new(reqwest::Client::new());
    let signer = Signer::from_pem("https://example.org/actor#main-key", &private_pem).unwrap();
    let payload = Payload::new(r#"{"id":"https://example.org/activities/1"}"#.to_string());
    let inbox = format!("http://localhost:{port}/inbox");
    let outcome = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        sender.send(&inbox, &payload, &signer),
    )
    .await
    .expect("the sender is not held by an endless answer");
    match outcome {
        Err(weft_delivery::SendError::Refused(message)) => {
            assert!(message.contains("400"), "{message}");
            assert!(message.len() < 500, "{} characters kept", message.len());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// In production, an inbox written as an internal IP literal (which no resolver sees) or
/// over plain http is refused before any connection is made.
#[tokio::test]
async fn production_refuses_internal_ip_literals_without_connecting() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let sender = Sender::new(reqwest::Client::new()).production(true);
    let signer = Signer::from_pem("https://example.org/actor#main-key", &private_pem).unwrap();
    let payload = Payload::new(r#"{"id":"https://example.org/activities/1"}"#.to_string());
    for inbox in [
        format!("https://127.0.0.1:{port}/inbox"),
        format!("https://2130706433:{port}/inbox"),
        format!("https://[::ffff:127.0.0.1]:{port}/inbox"),
        format!("https://[::1]:{port}/inbox"),
        format!("https://169.254.169.254:{port}/latest/meta-data"),
        format!("https://10.0.0.1:{port}/inbox"),
        format!("http://localhost:{port}/inbox"),
    ] {
        match sender.send(&inbox, &payload, &signer).await {
            Err(weft_delivery::SendError::Refused(why)) => {
                assert!(
                    why.contains("public address") || why.contains("https only"),
                    "{inbox}: {why}"
                )
            }
            other => panic!("{inbox}: expected a refusal, got {other:?}"),
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "no connection was made"
    );
}

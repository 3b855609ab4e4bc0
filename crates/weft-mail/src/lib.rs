//! The mail worker. Services write mail jobs (`mail_jobs`) in the transaction of the
//! change that causes them; this crate sends them over SMTP.
//!
//! - A worker claims due jobs with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
//!   several processes share one queue), sends each, and marks it sent.
//! - A transient failure (the server unreachable, a 4xx answer) is retried with
//!   exponential backoff; a permanent one (a 5xx answer, an address that cannot be
//!   written) marks the job failed with the reason, as does a job still failing after
//!   [`Settings::max_attempts`].
//! - Each mail's `Message-ID` is made from its job, so if the process dies between the
//!   server's acceptance and the job being marked sent, the mail sent again when the lease
//!   runs out carries the same `Message-ID` as the first: mail clients and many servers
//!   show it once. Nothing else can send a job twice.

use chrono::NaiveDateTime;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use weft_db::Db;
use weft_db::mail::MailJobRow;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text (a server on the same machine or a trusted network only).
    None,
    /// Plain text upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl TlsMode {
    pub fn parse(s: &str) -> Result<TlsMode, String> {
        match s {
            "none" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::StartTls),
            "tls" => Ok(TlsMode::Tls),
            other => Err(format!(
                "{other:?} is not an SMTP TLS mode: use none, starttls or tls"
            )),
        }
    }

    /// The usual port of the mode.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// The SMTP server Weft sends through.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From` of every mail, e.g. `Weft <weft@cop.example.org>`.
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// First retry delay; each further failure doubles it, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Tries after which a job still failing is marked failed.
    pub max_attempts: i32,
    /// How long a claimed job is the worker's; after a crash it is sent again once this
    /// has passed.
    pub lease: Duration,
    /// The longest the worker sleeps: jobs written by another process wait this long.
    pub idle_poll: Duration,
    /// Jobs claimed at once.
    pub batch: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            first_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 30,
            lease: Duration::from_secs(300),
            idle_poll: Duration::from_secs(2),
            batch: 20,
        }
    }
}

/// Wakes the worker when a job was written (it also looks every `idle_poll`).
#[derive(Clone, Default)]
pub struct MailHandle {
    wake: Arc<tokio::sync::Notify>,
}

impl MailHandle {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Checks the configuration and starts the worker on the current runtime. `domain` is
/// the right-hand side of each `Message-ID`.
pub fn spawn(db: Db, smtp: Smtp, domain: String, settings: Settings) -> Result<MailHandle, String> {
    let from: Mailbox = smtp.from.parse().map_err(|e| {
        format!(
            "the mail from address {:?} is not an address: {e}",
            smtp.from
        )
    })?;
    let transport = transport(&smtp)?;
    let handle = MailHandle::default();
    let worker = Worker {
        db,
        transport,
        from,
        domain,
        settings,
        owner: format!("mail-{:016x}", rand::random::<u64>()),
    };
    tokio::spawn(worker.run(handle.wake.clone()));
    Ok(handle)
}

fn transport(smtp: &Smtp) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    type T = AsyncSmtpTransport<Tokio1Executor>;
    let tls_error = |e: lettre::transport::smtp::Error| format!("SMTP TLS for {}: {e}", smtp.host);
    let mut builder = match smtp.tls {
        TlsMode::None => T::builder_dangerous(&smtp.host),
        TlsMode::StartTls => T::starttls_relay(&smtp.host).map_err(tls_error)?,
        TlsMode::Tls => T::relay(&smtp.host).map_err(tls_error)?,
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(30)));
    match (&smtp.username, &smtp.password) {
        (Some(user), Some(password)) => {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        (None, None) => {}
        _ => return Err("SMTP needs both a username and a password, or neither".into()),
    }
    Ok(builder.build())
}

struct Worker {
    db: Db,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    domain: String,
    settings: Settings,
    owner: String,
}

/// What sending one job came to.
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

impl Worker {
    async fn run(self, wake: Arc<tokio::sync::Notify>) {
        loop {
            let claimed = self.claim().await;
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!("mail queue: {e}");
                    vec![]
                }
            };
            let full = jobs.len() as i64 >= self.settings.batch;
            for job in jobs {
                let outcome = self.send(&job).await;
                if let Err(e) = self.record(&job, outcome).await {
                    tracing::warn!("mail job {}: {e}", job.id);
                }
            }
            if !full {
                let _ = tokio::time::timeout(self.settings.idle_poll, wake.notified()).await;
            }
        }
    }

    async fn claim(&self) -> Result<Vec<MailJobRow>, weft_db::DbError> {
        let owner = self.owner.clone();
        let lease =
            chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(5));
        let batch = self.settings.batch;
        self.db
            .write(move |c| {
                let now = weft_db::now();
                weft_db::mail::claim(c, now, &owner, now + lease, batch)
            })
            .await
    }

    async fn send(&self, job: &MailJobRow) -> Outcome {
        let message = match message(job, &self.from, &self.domain) {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(e),
        };
        match self.transport.send(message).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::Failed(format!("the mail server refused: {e}")),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn record(&self, job: &MailJobRow, outcome: Outcome) -> Result<(), weft_db::DbError> {
        let id = job.id;
        let attempts = job.attempts + 1;
        let (first, max, limit) = (
            self.settings.first_backoff,
            self.settings.max_backoff,
            self.settings.max_attempts,
        );
        match &outcome {
            Outcome::Sent => tracing::info!("mail {id} ({}) sent", job.kind),
            Outcome::Retry(e) => tracing::warn!("mail {id}: {e} (try {attempts})"),
            Outcome::Failed(e) => tracing::warn!("mail {id} failed: {e}"),
        }
        self.db
            .write(move |c| match outcome {
                Outcome::Sent => weft_db::mail::mark_sent(c, id, weft_db::now()),
                Outcome::Failed(e) => weft_db::mail::mark_failed(c, id, &e),
                Outcome::Retry(e) if attempts >= limit => weft_db::mail::mark_failed(
                    c,
                    id,
                    &format!("gave up after {attempts} tries: {e}"),
                ),
                Outcome::Retry(e) => {
                    let next = weft_db::now() + backoff(first, max, attempts);
                    weft_db::mail::mark_retry(c, id, next, &e)
                }
            })
            .await
    }
}

/// The wait after the `attempts`-th failure: `first`, doubling, at most `max`.
fn backoff(first: Duration, max: Duration, attempts: i32) -> chrono::Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(1, 30) as u32 - 1);
    let wait = first.saturating_mul(factor).min(max);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// The `Message-ID` of a job: the same at every try, different for every job.
pub fn message_id(job_id: i64, created_at: NaiveDateTime, domain: &str) -> String {
    let host = domain.split(':').next().unwrap_or(domain);
    format!(
        "<weft.mail.{job_id}.{}@{host}>",
        created_at.and_utc().timestamp_micros()
    )
}

/// The mail of a job: text and HTML alternatives, its `Message-ID`, and for digests the
/// RFC 8058 one-click unsubscribe headers.
fn message(job: &MailJobRow, from: &Mailbox, domain: &str) -> Result<Message, String> {
    let to: Mailbox = job
        .to_address
        .parse()
        .map_err(|e| format!("{:?} is not an address: {e}", job.to_address))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(job.subject.clone())
        .message_id(Some(message_id(job.id, job.created_at, domain)))
        .date_now();
    if let Some(url) = &job.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(job.text_body.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(job.html_body.clone()),
                ),
        )
        .map_err(|e| format!("the mail cannot be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (first, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(first, max, 1).num_seconds(), 30);
        assert_eq!(backoff(first, max, 2).num_seconds(), 60);
        assert_eq!(backoff(first, max, 5).num_seconds(), 480);
        assert_eq!(backoff(first, max, 40).num_seconds(), 3600);
    }

    #[test]
    fn message_ids_are_stable_per_job() {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 123_000)
            .unwrap()
            .naive_utc();
        let a = message_id(7, at, "cop.example.org:8443");
        assert_eq!(a, message_id(7, at, "cop.example.org:8443"));
        assert_ne!(a, message_id(8, at, "cop.example.org:8443"));
        assert_eq!(a, "<weft.mail.7.1700000000000123@cop.example.org>");
    }

    #[test]
    fn tls_modes_parse() {
        assert_eq!(TlsMode::parse("starttls").unwrap().default_port(), 587);
        assert!(
            TlsMode::parse("ssl")
                .unwrap_err()
                .contains("none, starttls or tls")
        );
    }
}

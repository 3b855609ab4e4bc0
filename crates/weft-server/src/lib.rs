//! Wiring: open the database (migrations run), make sure the instance actor exists,
//! start the delivery workers, and serve federation and API routes.

pub mod config;
mod dns;
mod health;

use activitypub_federation::config::FederationMiddleware;
pub use config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use weft_core::Urls;
use weft_db::Db;
use weft_federation::AppState;

/// The largest request body Weft reads, on every route (inbox and API). A reverse proxy
/// in front must allow exactly this much (`client_max_body_size 256k` in
/// `deploy/nginx.conf`), or larger requests end as 502s instead of Weft's 413.
pub const MAX_REQUEST_BODY: usize = weft_federation::inbox::MAX_BODY;

/// A running instance.
pub struct Running {
    pub addr: SocketAddr,
    pub db: Db,
    pub urls: Urls,
    pub server: tokio::task::JoinHandle<()>,
}

/// The HTTP client for fetching and delivering: no redirects, timeouts, and outside
/// development no connections to private or loopback addresses.
pub fn http_client(dev: bool) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(32)
        .user_agent(concat!("Weft/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(dns::CachingResolver::new(!dev))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// Opens the database named by the configuration (running migrations).
pub async fn open_db(config: &Config) -> Result<Db, String> {
    let url = config.database_url.clone();
    tokio::task::spawn_blocking(move || Db::connect(&url))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

pub fn urls(config: &Config) -> Result<Urls, String> {
    Urls::new(&config.domain, !config.dev)
}

/// Starts serving on `config.listen` (or on the given listener).
pub async fn start(
    config: Config,
    listener: Option<tokio::net::TcpListener>,
) -> Result<Running, String> {
    let db = open_db(&config).await?;
    let urls = urls(&config)?;
    let u = urls.clone();
    let instance_id = urls.instance_actor().to_string();
    let existing = db
        .read(move |c| weft_db::actors::by_ap_id(c, &instance_id))
        .await
        .map_err(|e| e.to_string())?;
    let keys = match existing {
        Some(_) => None,
        None => Some(
            tokio::task::spawn_blocking(weft_core::keys::generate)
                .await
                .map_err(|e| e.to_string())?,
        ),
    };
    let instance_actor = db
        .write(move |c| {
            weft_core::accounts::ensure_instance_actor(c, &u, || {
                keys.unwrap_or_else(weft_core::keys::generate)
            })
        })
        .await
        .map_err(|e| e.to_string())?;
    let client = http_client(config.dev)?;
    let delivery = weft_delivery::spawn(db.clone(), client.clone(), config.delivery.clone());
    tokio::spawn(send_poll_updates(
        db.clone(),
        urls.clone(),
        delivery.clone(),
        config.poll_update_gap,
    ));
    start_mail(&config, &db, &urls).await?;
    tokio::spawn(weft_federation::nodeinfo::keep_fresh(
        db.clone(),
        client.clone(),
        !config.dev,
        config.software_check_every,
    ));
    let state = AppState {
        db: db.clone(),
        urls: urls.clone(),
        delivery,
        keys: Default::default(),
        creates: Arc::new(weft_federation::inbox::batch::CreateBatcher::new(
            db.clone(),
            urls.clone(),
        )),
        dev: config.dev,
        http: client.clone(),
    };
    let federation = weft_federation::federation_config(state, client, instance_actor).await?;
    let app = weft_federation::router(federation.clone())
        .merge(weft_api::router().layer(FederationMiddleware::new(federation)))
        .merge(health::router(db.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY));
    let listener = match listener {
        Some(l) => l,
        None => tokio::net::TcpListener::bind(&config.listen)
            .await
            .map_err(|e| {
                format!(
                    "cannot listen on {}: {e} (set WEFT_LISTEN to a free address)",
                    config.listen
                )
            })?,
    };
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        {
            tracing::error!("server stopped: {e}");
        }
    });
    Ok(Running {
        addr,
        db,
        urls,
        server,
    })
}

/// Starts the mail worker and the weekly digests when an SMTP server is configured.
/// Without one, mail jobs (confirmations, resets, requests to join) stay queued and are
/// sent once one is configured; digests are not made.
async fn start_mail(config: &Config, db: &Db, urls: &Urls) -> Result<(), String> {
    let Some(smtp) = config.smtp.clone() else {
        let waiting = db
            .read(weft_db::mail::queued_count)
            .await
            .map_err(|e| e.to_string())?;
        tracing::warn!(
            "no SMTP server configured (WEFT_SMTP_HOST or [mail] in the config file): \
             {waiting} mails wait to be sent, and weekly digests are off"
        );
        return Ok(());
    };
    tracing::info!(
        "mail through {}:{} ({:?}) from {}",
        smtp.host,
        smtp.port,
        smtp.tls,
        smtp.from
    );
    let mail = weft_mail::spawn(
        db.clone(),
        smtp,
        urls.domain().to_string(),
        config.mail.clone(),
    )?;
    tokio::spawn(make_digests(
        db.clone(),
        urls.clone(),
        mail,
        config.digest_every,
        config.digest_check_every,
    ));
    Ok(())
}

/// Makes the weekly digests that are due, looking every `check`.
async fn make_digests(
    db: Db,
    urls: Urls,
    mail: weft_mail::MailHandle,
    every: Duration,
    check: Duration,
) {
    const BATCH: i64 = 100;
    let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::days(7));
    let mut tick = tokio::time::interval(check.max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            let u = urls.clone();
            let made = db
                .write(move |c| {
                    weft_core::mail::digest::make_due(c, &u, every, weft_db::now(), BATCH)
                })
                .await;
            match made {
                Ok(0) => break,
                Ok(n) => {
                    mail.wake();
                    if (n as i64) < BATCH {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!("weekly digests: {e}");
                    break;
                }
            }
        }
    }
}

/// Sends events' RSVP polls again as their counts change, at most once per `gap` each
/// (Mastodon shows the counts it was last sent). Looks every `gap / 4`; writes only when
/// a poll is due.
async fn send_poll_updates(
    db: Db,
    urls: Urls,
    delivery: weft_delivery::DeliveryHandle,
    gap: Duration,
) {
    let chrono_gap = chrono::Duration::from_std(gap).unwrap_or(chrono::Duration::seconds(60));
    let mut tick = tokio::time::interval((gap / 4).max(Duration::from_millis(50)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let due = db
            .read(move |c| weft_core::events::poll::updates_due(c, chrono_gap))
            .await;
        if !matches!(due, Ok(true)) {
            continue;
        }
        let u = urls.clone();
        match db
            .write(move |c| weft_core::events::poll::send_updates(c, &u, chrono_gap))
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::debug!("sent {n} RSVP poll updates");
                delivery.wake();
            }
            Err(e) => tracing::warn!("RSVP poll updates: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The example proxy configuration allows exactly the body size Weft reads.
    #[test]
    fn the_proxy_body_limit_matches_weft() {
        let conf = include_str!("../../../deploy/nginx.conf");
        let line = conf
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("client_max_body_size"))
            .expect("deploy/nginx.conf sets client_max_body_size");
        let value = line
            .trim_start_matches("client_max_body_size")
            .trim()
            .trim_end_matches(';');
        let bytes = match value.strip_suffix('k') {
            Some(k) => k.parse::<usize>().unwrap() * 1024,
            None => match value.strip_suffix('m') {
                Some(m) => m.parse::<usize>().unwrap() * 1024 * 1024,
                None => value.parse::<usize>().unwrap(),
            },
        };
        assert_eq!(bytes, super::MAX_REQUEST_BODY, "{line}");
    }
}

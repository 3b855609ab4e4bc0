//! Wiring: open the database (migrations run), make sure the instance actor exists,
//! start the delivery workers, and serve federation and API routes.

pub mod cli;
pub mod config;
mod dns;
mod health;
pub mod metrics;
mod requests;
pub mod serve_lock;

use activitypub_federation::config::FederationMiddleware;
pub use config::{Config, LogFormat};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use weft_core::Urls;
use weft_db::Db;
use weft_federation::AppState;

/// The largest request body Weft reads, on every route (inbox and API) but file uploads
/// (the file size limit, `[files] max_mib`, plus [`weft_core::files::FORM_OVERHEAD`]). A
/// reverse proxy in front must allow exactly this much (`client_max_body_size 256k` in
/// `deploy/nginx.conf`, and `26m` for uploads), or larger requests end as 502s instead
/// of Weft's 413.
pub const MAX_REQUEST_BODY: usize = weft_federation::inbox::MAX_BODY;

/// A running instance.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served on a listener of its own (`[metrics] listen`).
    pub metrics_addr: Option<SocketAddr>,
    pub db: Db,
    pub urls: Urls,
    pub server: tokio::task::JoinHandle<()>,
    /// SQLite: this process's claim on the database file (see `serve_lock`).
    pub serve_lock: Option<serve_lock::ServeLock>,
    /// The name its delivery leases are held under, taken again by a restart.
    pub lease_slot: weft_db::lease_slots::LeaseSlot,
}

/// The HTTP client for fetching and delivering: no redirects, timeouts, and outside
/// development no connections to private or loopback addresses. HTTP/1.1 only, as before
/// `object_store` (the S3 file store) turned on reqwest's HTTP/2 for the whole build:
/// what peers receive, and the signed `Host` header, stay as they were.
pub fn http_client(dev: bool) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .http1_only()
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
    let serve_lock = serve_lock::acquire(&config.database_url)?;
    let db = open_db(&config).await?;
    // PostgreSQL: hear other processes' writes (and tell them of ours), so cached
    // answers do not outlive a change made through another process.
    db.share_writes(config.cross_process_notify);
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
    let created = db
        .write(move |c| {
            weft_core::accounts::ensure_instance_actor(c, &u, || {
                keys.unwrap_or_else(weft_core::keys::generate)
            })
        })
        .await;
    let instance_actor = match created {
        Ok(actor) => actor,
        Err(e) => {
            // Another process starting on the same database may have made it first.
            let id = urls.instance_actor().to_string();
            db.read(move |c| weft_db::actors::by_ap_id(c, &id))
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| e.to_string())?
        }
    };
    let hop_limit = config.bridge_hop_limit;
    db.write(move |c| weft_core::constellation::bridges::set_hop_limit(c, hop_limit))
        .await
        .map_err(|e| e.to_string())?;
    let files = weft_core::files::Files::open(&config.files.storage, config.files.max_bytes)?;
    tracing::info!(
        "uploaded files (at most {} MiB each) are kept in {}",
        files.max_bytes / (1024 * 1024),
        files.storage.describe()
    );
    let client = http_client(config.dev)?;
    let metrics = metrics::Metrics::new();
    // The lease owner name a restart takes again (kept for as long as this runs).
    let url = config.database_url.clone();
    let lease_slot = tokio::task::spawn_blocking(move || weft_db::lease_slots::claim(&url))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tracing::info!("delivery leases are held as {}", lease_slot.owner);
    let mut delivery_settings = config.delivery.clone();
    delivery_settings.lease_owner = Some(lease_slot.owner.clone());
    delivery_settings.production = !config.dev;
    let delivery = weft_delivery::spawn(
        db.clone(),
        client.clone(),
        delivery_settings,
        metrics.meter.clone(),
    );
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
    // The directories of the other members of this instance's constellations.
    tokio::spawn(weft_federation::directory::crawler::run(
        db.clone(),
        urls.clone(),
        client.clone(),
        config.directory.clone(),
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
        files: files.clone(),
        meter: metrics.meter.clone(),
        blocks: Arc::new(weft_federation::blocks::Blocks::new(db.clone())),
    };
    let federation = weft_federation::federation_config(state, client, instance_actor).await?;
    // The web interface: pages only it has are the fallback; a browser's GET of an
    // address it shares with ActivityPub (`/c/{name}`, `/`) is handed to it by
    // `weft_web::negotiate` below.
    let web = weft_web::router(config.dev).layer(FederationMiddleware::new(federation.clone()));
    let mut app = weft_federation::router(federation.clone())
        .merge(weft_api::router().layer(FederationMiddleware::new(federation)))
        .merge(health::router(db.clone()))
        .merge(weft_federation::files::router(db.clone(), files));
    // `/metrics` on the public listener only behind a token, and only when it has no
    // listener of its own.
    let metrics_listener = match &config.metrics.listen {
        Some(address) => Some(tokio::net::TcpListener::bind(address).await.map_err(|e| {
            format!("cannot listen on {address} for /metrics: {e} (set [metrics] listen or WEFT_METRICS_LISTEN to a free address)")
        })?),
        None => {
            if let Some(token) = &config.metrics.token {
                app = app.merge(metrics::router(
                    metrics.clone(),
                    db.clone(),
                    Some(token.clone()),
                ));
            }
            None
        }
    };
    let app = app
        .fallback_service(web.clone())
        .route_layer(axum::middleware::from_fn(requests::note_route))
        .layer(axum::middleware::from_fn_with_state(
            web,
            weft_web::negotiate,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .layer(axum::middleware::from_fn_with_state(
            metrics.meter.clone(),
            requests::track,
        ));
    let metrics_addr = match metrics_listener {
        Some(listener) => {
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let router = metrics::router(metrics, db.clone(), config.metrics.token.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!("the metrics listener stopped: {e}");
                }
            });
            Some(addr)
        }
        None => None,
    };
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
        metrics_addr,
        db,
        urls,
        server,
        serve_lock,
        lease_slot,
    })
}

/// Starts writing log lines to standard output, as text or as JSON objects (one per
/// line, with the current request's span: its `request_id`). `WEFT_LOG` sets the levels.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| "info,activitypub_federation=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
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
    /// The example proxy configuration allows exactly the body size Weft reads: 256 KiB
    /// everywhere, and for uploads the default file size limit and the form around it.
    #[test]
    fn the_proxy_body_limit_matches_weft() {
        let conf = include_str!("../../../deploy/nginx.conf");
        let limits: Vec<&str> = conf
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("client_max_body_size"))
            .collect();
        assert_eq!(limits.len(), 2, "{limits:?}");
        assert_eq!(
            bytes_of(limits[0]),
            super::MAX_REQUEST_BODY,
            "{}",
            limits[0]
        );
        let upload = weft_core::files::DEFAULT_MAX_BYTES + weft_core::files::FORM_OVERHEAD;
        assert_eq!(bytes_of(limits[1]) as u64, upload, "{}", limits[1]);
        let location = conf
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("location ~"))
            .expect("an upload location");
        assert!(
            location.contains("^/api/v1/communities/[^/]+/files$"),
            "{location}"
        );
    }

    fn bytes_of(line: &str) -> usize {
        let value = line
            .trim_start_matches("client_max_body_size")
            .trim()
            .trim_end_matches(';');
        match value.strip_suffix('k') {
            Some(k) => k.parse::<usize>().unwrap() * 1024,
            None => match value.strip_suffix('m') {
                Some(m) => m.parse::<usize>().unwrap() * 1024 * 1024,
                None => value.parse::<usize>().unwrap(),
            },
        }
    }

    /// So does the Caddyfile of the compose setup: 256 KiB for other paths, and for the
    /// upload path the default file size limit and the form around it.
    #[test]
    fn caddys_body_limit_matches_weft() {
        let conf = include_str!("../../../deploy/Caddyfile");
        let limits: Vec<usize> = conf
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix("max_size "))
            .map(|value| match value.strip_suffix("KiB") {
                Some(k) => k.parse::<usize>().unwrap() * 1024,
                None => match value.strip_suffix("MiB") {
                    Some(m) => m.parse::<usize>().unwrap() * 1024 * 1024,
                    None => panic!("give max_size in KiB or MiB, not {value}"),
                },
            })
            .collect();
        let upload = weft_core::files::DEFAULT_MAX_BYTES + weft_core::files::FORM_OVERHEAD;
        assert_eq!(limits, [super::MAX_REQUEST_BODY, upload as usize], "{conf}");
        assert!(conf.contains("request_body @other") && conf.contains("request_body @upload"));
        assert!(conf.contains("@upload path_regexp ^/api/v1/communities/[^/]+/files$"));
    }
}

//! Configuration: defaults that work with no file, a TOML file, then `WEFT_*` variables.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use weft_core::files::{S3Settings, StorageSettings};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub domain: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub dev: Option<bool>,
    pub delivery_retry_seconds: Option<f64>,
    pub files: Option<FilesFileConfig>,
    pub delivery_lease_seconds: Option<f64>,
    pub cross_process_notify: Option<String>,
    /// "text" (the default) or "json" (one JSON object per line, for log shippers).
    pub log_format: Option<String>,
    pub metrics: Option<MetricsFile>,
    /// `[mail]`: the SMTP server mail is sent through.
    pub mail: Option<MailFile>,
    /// How long a crawl of a constellation member's directory holds before the next
    /// (minutes, default 15).
    pub directory_recrawl_minutes: Option<f64>,
    /// How many bridges (community follows community) an item may cross (default 3).
    pub bridge_hop_limit: Option<i32>,
}

/// `[files]`: uploaded files, their size limit and where they are stored.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FilesFileConfig {
    /// The largest file taken, in MiB (default 25).
    pub max_mib: Option<u64>,
    /// `local` (default) or `s3`.
    pub storage: Option<String>,
    /// `local`: the folder, relative to the data directory (default `files`).
    pub dir: Option<PathBuf>,
    pub s3: Option<S3FileConfig>,
}

/// `[files.s3]`: an S3-compatible bucket (unset keys come from `AWS_*` variables).
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct S3FileConfig {
    pub bucket: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub prefix: Option<String>,
    pub allow_http: Option<bool>,
}

impl std::fmt::Debug for S3FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3FileConfig")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Uploaded files: the largest taken, and the store.
#[derive(Debug, Clone)]
pub struct FilesConfig {
    pub max_bytes: u64,
    pub storage: StorageSettings,
}

/// `[metrics]` in the file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// Serve `/metrics` on the public listener to requests with `Authorization: Bearer
    /// <token>`.
    pub token: Option<String>,
    /// Serve `/metrics` on this address instead (e.g. 127.0.0.1:9464), off the public
    /// listener.
    pub listen: Option<String>,
}

/// Where `/metrics` is served: nowhere by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsConfig {
    pub token: Option<String>,
    pub listen: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The `[mail]` table of the config file (each key also a `WEFT_SMTP_*` variable).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MailFile {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// none, starttls (the default) or tls.
    pub smtp_tls: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// The `From` of Weft's mail; default `Weft <weft@DOMAIN>`.
    pub from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    /// host[:port] as the fediverse sees it.
    pub domain: String,
    pub data_dir: PathBuf,
    /// Development mode: plain http, localhost peers, no private-address checks.
    pub dev: bool,
    /// Delivery tuning (first retry delay etc.).
    pub delivery: weft_delivery::Settings,
    /// Least time between two updates of an event's RSVP poll (votes coming in).
    pub poll_update_gap: std::time::Duration,
    /// How often to look for instances whose software (NodeInfo) is unknown or a day old.
    pub software_check_every: std::time::Duration,
    /// Uploaded files.
    pub files: FilesConfig,
    /// PostgreSQL: how this process tells others sharing the database that it wrote,
    /// so their caches drop what changed (`coalesced`, `transaction` or `off`).
    pub cross_process_notify: weft_db::notify::Mode,
    pub metrics: MetricsConfig,
    pub log_format: LogFormat,
    /// The SMTP server; none: mail waits in its queue until one is configured.
    pub smtp: Option<weft_mail::Smtp>,
    /// Mail worker tuning (retries, leases).
    pub mail: weft_mail::Settings,
    /// A person's digest comes this long after their last one (a week).
    pub digest_every: std::time::Duration,
    /// How often to look for digests that are due.
    pub digest_check_every: std::time::Duration,
    /// The crawl of the constellations' directories (`https` follows `dev`).
    pub directory: weft_federation::directory::crawler::CrawlSettings,
    /// How many bridges an item may cross before it is placed no further (`weft:hops`).
    pub bridge_hop_limit: i32,
}

impl Config {
    /// Defaults ← `file` (if given) ← environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
                let mut parsed = toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("the config file {} is not valid: {e}", path.display()))?;
                // A relative data_dir in a file means "beside this file", wherever weft runs.
                if let Some(dir) = parsed.data_dir.as_mut()
                    && dir.is_relative()
                {
                    *dir = path.parent().unwrap_or(Path::new(".")).join(&*dir);
                }
                parsed
            }
            None => FileConfig::default(),
        };
        Self::from_parts(from_file, |k| std::env::var(k).ok())
    }

    pub fn from_parts(
        file: FileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let data_dir = env("WEFT_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        // Absolute from here on, so every log line and message names the real place.
        let data_dir = std::path::absolute(&data_dir).unwrap_or(data_dir);
        let database_url = env("WEFT_DATABASE_URL")
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("weft.db").display()));
        let listen = env("WEFT_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let domain = env("WEFT_DOMAIN")
            .or(file.domain)
            .unwrap_or_else(|| "localhost:8080".into());
        let dev = match env("WEFT_DEV") {
            Some(v) => matches!(v.as_str(), "1" | "true" | "yes"),
            None => file.dev.unwrap_or_else(|| is_local_domain(&domain)),
        };
        let mut delivery = weft_delivery::Settings::default();
        let retry = match env("WEFT_DELIVERY_RETRY_SECONDS") {
            Some(v) => Some(
                v.parse::<f64>()
                    .map_err(|_| format!("WEFT_DELIVERY_RETRY_SECONDS={v:?} is not a number"))?,
            ),
            None => file.delivery_retry_seconds,
        };
        if let Some(seconds) = retry {
            if !(0.01..=86_400.0).contains(&seconds) {
                return Err(format!(
                    "the first delivery retry delay must be between 0.01 and 86400 seconds, not {seconds}"
                ));
            }
            delivery.first_backoff = std::time::Duration::from_secs_f64(seconds);
        }
        let files = files_config(file.files.unwrap_or_default(), &data_dir, &env)?;
        let mut directory = weft_federation::directory::crawler::CrawlSettings {
            https: !dev,
            ..Default::default()
        };
        let recrawl = match env("WEFT_DIRECTORY_RECRAWL_MINUTES") {
            Some(v) => Some(
                v.parse::<f64>()
                    .map_err(|_| format!("WEFT_DIRECTORY_RECRAWL_MINUTES={v:?} is not a number"))?,
            ),
            None => file.directory_recrawl_minutes,
        };
        if let Some(minutes) = recrawl {
            if !(1.0..=1_440.0).contains(&minutes) {
                return Err(format!(
                    "the directory recrawl interval must be between 1 and 1440 minutes, not {minutes}"
                ));
            }
            directory.recrawl = std::time::Duration::from_secs_f64(minutes * 60.0);
        }
        let lease = match env("WEFT_DELIVERY_LEASE_SECONDS") {
            Some(v) => Some(
                v.parse::<f64>()
                    .map_err(|_| format!("WEFT_DELIVERY_LEASE_SECONDS={v:?} is not a number"))?,
            ),
            None => file.delivery_lease_seconds,
        };
        if let Some(seconds) = lease {
            if !(1.0..=3_600.0).contains(&seconds) {
                return Err(format!(
                    "the delivery lease must be between 1 and 3600 seconds, not {seconds}"
                ));
            }
            delivery.lease = std::time::Duration::from_secs_f64(seconds);
        }
        let cross_process_notify = match env("WEFT_CROSS_PROCESS_NOTIFY")
            .or(file.cross_process_notify)
            .as_deref()
        {
            None | Some("coalesced") => weft_db::notify::Mode::Coalesced,
            Some("transaction") => weft_db::notify::Mode::InTransaction,
            Some("off") => weft_db::notify::Mode::Off,
            Some(other) => {
                return Err(format!(
                    "cross_process_notify (WEFT_CROSS_PROCESS_NOTIFY) is {other:?}: use \
                     coalesced (the default), transaction or off"
                ));
            }
        };
        let log_format = match env("WEFT_LOG_FORMAT").or(file.log_format) {
            None => LogFormat::Text,
            Some(f) => match f.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(format!(
                        "the log format must be text or json, not {other:?} (WEFT_LOG_FORMAT or log_format)"
                    ));
                }
            },
        };
        let metrics_file = file.metrics.unwrap_or_default();
        let metrics = MetricsConfig {
            token: env("WEFT_METRICS_TOKEN")
                .or(metrics_file.token)
                .filter(|t| !t.is_empty()),
            listen: env("WEFT_METRICS_LISTEN")
                .or(metrics_file.listen)
                .filter(|l| !l.is_empty()),
        };
        if let Some(token) = &metrics.token
            && (token.len() < 16 || !token.chars().all(|c| c.is_ascii_graphic()))
        {
            return Err(
                "the metrics token must be at least 16 visible ASCII characters (e.g. from `openssl rand -hex 24`)"
                    .into(),
            );
        }
        let smtp = smtp(file.mail.unwrap_or_default(), &env, &domain)?;
        let bridge_hop_limit = match env("WEFT_BRIDGE_HOP_LIMIT") {
            Some(v) => v
                .parse::<i32>()
                .map_err(|_| format!("WEFT_BRIDGE_HOP_LIMIT={v:?} is not a whole number"))?,
            None => file
                .bridge_hop_limit
                .unwrap_or(weft_core::constellation::bridges::DEFAULT_HOP_LIMIT),
        };
        if !(1..=16).contains(&bridge_hop_limit) {
            return Err(format!(
                "the bridge hop limit (bridge_hop_limit, WEFT_BRIDGE_HOP_LIMIT) must be between 1 and 16, not {bridge_hop_limit}"
            ));
        }
        Ok(Config {
            files,
            database_url,
            listen,
            domain,
            data_dir,
            dev,
            delivery,
            poll_update_gap: std::time::Duration::from_secs(60),
            software_check_every: std::time::Duration::from_secs(10),
            cross_process_notify,
            metrics,
            log_format,
            smtp,
            mail: weft_mail::Settings::default(),
            digest_every: std::time::Duration::from_secs(7 * 24 * 3600),
            digest_check_every: std::time::Duration::from_secs(600),
            directory,
            bridge_hop_limit,
        })
    }
}

/// `[files]` ← `WEFT_FILES_*` and `WEFT_S3_*`.
fn files_config(
    file: FilesFileConfig,
    data_dir: &Path,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<FilesConfig, String> {
    let max_mib = match env("WEFT_FILES_MAX_MIB") {
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| format!("WEFT_FILES_MAX_MIB={v:?} is not a whole number of MiB"))?,
        None => file
            .max_mib
            .unwrap_or(weft_core::files::DEFAULT_MAX_BYTES / (1024 * 1024)),
    };
    // An upload is held in memory while its type is checked.
    if !(1..=1024).contains(&max_mib) {
        return Err(format!(
            "the largest file taken must be between 1 and 1024 MiB, not {max_mib}"
        ));
    }
    let flag = |name: &str, from_file: Option<bool>| match env(name) {
        Some(v) => Ok(matches!(v.as_str(), "1" | "true" | "yes")),
        None => Ok::<_, String>(from_file.unwrap_or(false)),
    };
    let kind = env("WEFT_FILES_STORAGE")
        .or(file.storage)
        .unwrap_or_else(|| "local".into());
    let storage = match kind.as_str() {
        "local" => StorageSettings::Local {
            dir: data_dir.join(
                env("WEFT_FILES_DIR")
                    .map(PathBuf::from)
                    .or(file.dir)
                    .unwrap_or_else(|| PathBuf::from("files")),
            ),
        },
        "s3" => {
            let s3 = file.s3.unwrap_or_default();
            StorageSettings::S3(S3Settings {
                bucket: env("WEFT_S3_BUCKET").or(s3.bucket).ok_or(
                    "S3 file storage needs a bucket ([files.s3] bucket, or WEFT_S3_BUCKET)",
                )?,
                endpoint: env("WEFT_S3_ENDPOINT").or(s3.endpoint),
                region: env("WEFT_S3_REGION").or(s3.region),
                access_key_id: s3.access_key_id,
                secret_access_key: s3.secret_access_key,
                prefix: env("WEFT_S3_PREFIX").or(s3.prefix),
                allow_http: flag("WEFT_S3_ALLOW_HTTP", s3.allow_http)?,
            })
        }
        other => {
            return Err(format!(
                "file storage {other:?} is not known: use local or s3"
            ));
        }
    };
    Ok(FilesConfig {
        max_bytes: max_mib * 1024 * 1024,
        storage,
    })
}

/// The SMTP server from `[mail]` ← `WEFT_SMTP_*` / `WEFT_MAIL_FROM`; none without a host.
fn smtp(
    file: MailFile,
    env: &impl Fn(&str) -> Option<String>,
    domain: &str,
) -> Result<Option<weft_mail::Smtp>, String> {
    let Some(host) = env("WEFT_SMTP_HOST")
        .or(file.smtp_host)
        .filter(|h| !h.trim().is_empty())
    else {
        return Ok(None);
    };
    let tls = weft_mail::TlsMode::parse(
        &env("WEFT_SMTP_TLS")
            .or(file.smtp_tls)
            .unwrap_or_else(|| "starttls".into()),
    )
    .map_err(|e| format!("WEFT_SMTP_TLS / smtp_tls: {e}"))?;
    let port = match env("WEFT_SMTP_PORT") {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("WEFT_SMTP_PORT={p:?} is not a port number"))?,
        None => file.smtp_port.unwrap_or(tls.default_port()),
    };
    let host_name = domain.split(':').next().unwrap_or(domain);
    Ok(Some(weft_mail::Smtp {
        host: host.trim().to_string(),
        port,
        tls,
        username: env("WEFT_SMTP_USERNAME").or(file.smtp_username),
        password: env("WEFT_SMTP_PASSWORD").or(file.smtp_password),
        from: env("WEFT_MAIL_FROM")
            .or(file.from)
            .unwrap_or_else(|| format!("Weft <weft@{host_name}>")),
    }))
}

fn is_local_domain(domain: &str) -> bool {
    let host = domain.split(':').next().unwrap_or(domain);
    host == "localhost" || host.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.domain, "localhost:8080");
        assert!(c.database_url.starts_with("sqlite://") && c.database_url.ends_with("weft.db"));
        assert!(c.dev, "localhost is development mode");
        assert!(c.data_dir.is_absolute(), "{:?}", c.data_dir);
    }

    #[test]
    fn a_relative_data_dir_in_a_file_is_beside_the_file() {
        let dir = std::env::temp_dir().join(format!("weft-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("weft.toml");
        std::fs::write(&file, "data_dir = \"state\"\n").unwrap();
        let c = Config::load(Some(&file)).unwrap();
        assert_eq!(c.data_dir, dir.join("state"));
        assert_eq!(
            c.database_url,
            format!("sqlite://{}", dir.join("state").join("weft.db").display())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_values_say_what_to_fix() {
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_DELIVERY_RETRY_SECONDS").then(|| "inf".into())
        })
        .unwrap_err();
        assert!(err.contains("between"), "{err}");
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_DELIVERY_RETRY_SECONDS").then(|| "soon".into())
        })
        .unwrap_err();
        assert!(err.contains("WEFT_DELIVERY_RETRY_SECONDS"), "{err}");
    }

    #[test]
    fn files_are_kept_in_the_data_directory_unless_configured() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.files.max_bytes, 25 * 1024 * 1024);
        assert_eq!(
            c.files.storage,
            StorageSettings::Local {
                dir: c.data_dir.join("files")
            }
        );
        let file: FileConfig = toml::from_str(
            "[files]\nmax_mib = 5\nstorage = \"s3\"\n[files.s3]\nbucket = \"library\"\n\
             endpoint = \"http://minio:9000\"\nallow_http = true\nsecret_access_key = \"s\"\n",
        )
        .unwrap();
        let c =
            Config::from_parts(file, |k| (k == "WEFT_S3_PREFIX").then(|| "weft".into())).unwrap();
        assert_eq!(c.files.max_bytes, 5 * 1024 * 1024);
        let StorageSettings::S3(s3) = &c.files.storage else {
            panic!("{:?}", c.files.storage)
        };
        assert_eq!(
            (
                s3.bucket.as_str(),
                s3.endpoint.as_deref(),
                s3.prefix.as_deref(),
                s3.allow_http
            ),
            ("library", Some("http://minio:9000"), Some("weft"), true)
        );
        assert!(!format!("{c:?}").contains("secret_access_key: Some(\"s\")"));
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_FILES_STORAGE").then(|| "s3".into())
        })
        .unwrap_err();
        assert!(err.contains("WEFT_S3_BUCKET"), "{err}");
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_FILES_MAX_MIB").then(|| "0".into())
        })
        .unwrap_err();
        assert!(err.contains("between 1 and 1024"), "{err}");
    }

    /// The example configuration is valid, with its S3 block switched on too.
    #[test]
    fn the_example_configuration_reads() {
        let example = include_str!("../../../deploy/weft.toml.example");
        let file: FileConfig = toml::from_str(example).unwrap();
        let c = Config::from_parts(file, |_| None).unwrap();
        assert_eq!(c.files.max_bytes, 25 * 1024 * 1024);
        let s3_on: String = example
            .lines()
            .skip_while(|l| !l.starts_with("[files]"))
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.starts_with("storage = \"s3\"") || rest.starts_with('[') => rest,
                Some(rest) if rest.contains(" = ") && !rest.starts_with("storage") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file: FileConfig = toml::from_str(&s3_on).unwrap();
        let c = Config::from_parts(file, |_| None).unwrap();
        let StorageSettings::S3(s3) = &c.files.storage else {
            panic!("{s3_on}")
        };
        assert_eq!(s3.bucket, "weft-files");
    }

    #[test]
    fn the_directory_recrawl_is_set_or_refused_clearly() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.directory.recrawl, std::time::Duration::from_secs(15 * 60));
        let file = FileConfig {
            directory_recrawl_minutes: Some(60.0),
            ..Default::default()
        };
        let c = Config::from_parts(file, |_| None).unwrap();
        assert_eq!(c.directory.recrawl, std::time::Duration::from_secs(3600));
        let c = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_DIRECTORY_RECRAWL_MINUTES").then(|| "2".to_string())
        })
        .unwrap();
        assert_eq!(c.directory.recrawl, std::time::Duration::from_secs(120));
        let e = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_DIRECTORY_RECRAWL_MINUTES").then(|| "0".to_string())
        })
        .unwrap_err();
        assert!(e.contains("between 1 and 1440 minutes"), "{e}");
    }

    #[test]
    fn the_delivery_lease_and_cross_process_notices_are_set_or_refused_clearly() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.delivery.lease, std::time::Duration::from_secs(60));
        assert_eq!(c.cross_process_notify, weft_db::notify::Mode::Coalesced);
        let file = FileConfig {
            delivery_lease_seconds: Some(5.0),
            cross_process_notify: Some("transaction".into()),
            ..Default::default()
        };
        let c = Config::from_parts(file.clone(), |_| None).unwrap();
        assert_eq!(c.delivery.lease, std::time::Duration::from_secs(5));
        assert_eq!(c.cross_process_notify, weft_db::notify::Mode::InTransaction);
        let c = Config::from_parts(file, |k| {
            (k == "WEFT_DELIVERY_LEASE_SECONDS").then(|| "2".into())
        })
        .unwrap();
        assert_eq!(c.delivery.lease, std::time::Duration::from_secs(2));
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_DELIVERY_LEASE_SECONDS").then(|| "0.1".into())
        })
        .unwrap_err();
        assert!(err.contains("between 1 and 3600"), "{err}");
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_CROSS_PROCESS_NOTIFY").then(|| "always".into())
        })
        .unwrap_err();
        assert!(err.contains("coalesced"), "{err}");
    }

    #[test]
    fn metrics_are_off_until_configured() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.metrics, MetricsConfig::default());
        assert_eq!(c.log_format, LogFormat::Text);
        let file: FileConfig = toml::from_str(
            "log_format = \"json\"\n[metrics]\ntoken = \"0123456789abcdef0123\"\nlisten = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        let c = Config::from_parts(file, |_| None).unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.metrics.token.as_deref(), Some("0123456789abcdef0123"));
        assert_eq!(c.metrics.listen.as_deref(), Some("127.0.0.1:9464"));
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_METRICS_TOKEN").then(|| "short".into())
        })
        .unwrap_err();
        assert!(err.contains("16"), "{err}");
        let err = Config::from_parts(FileConfig::default(), |k| {
            (k == "WEFT_LOG_FORMAT").then(|| "yaml".into())
        })
        .unwrap_err();
        assert!(err.contains("text or json"), "{err}");
    }

    #[test]
    fn mail_is_off_without_a_host_and_checked_with_one() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert!(c.smtp.is_none());
        let file: FileConfig = toml::from_str(
            "domain = \"cop.example.org\"\n[mail]\nsmtp_host = \"smtp.example.org\"\nsmtp_username = \"weft\"\nsmtp_password = \"s\"\n",
        )
        .unwrap();
        let smtp = Config::from_parts(file.clone(), |_| None)
            .unwrap()
            .smtp
            .unwrap();
        assert_eq!((smtp.port, smtp.tls), (587, weft_mail::TlsMode::StartTls));
        assert_eq!(smtp.from, "Weft <weft@cop.example.org>");
        let smtp = Config::from_parts(file.clone(), |k| {
            (k == "WEFT_SMTP_TLS").then(|| "tls".into())
        })
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!((smtp.port, smtp.tls), (465, weft_mail::TlsMode::Tls));
        let err =
            Config::from_parts(file, |k| (k == "WEFT_SMTP_TLS").then(|| "ssl".into())).unwrap_err();
        assert!(err.contains("none, starttls or tls"), "{err}");
    }

    #[test]
    fn environment_overrides_file() {
        let file = FileConfig {
            domain: Some("cop.example.org".into()),
            ..Default::default()
        };
        let c = Config::from_parts(file.clone(), |_| None).unwrap();
        assert!(!c.dev, "a real domain is production mode");
        let c = Config::from_parts(file, |k| {
            (k == "WEFT_DOMAIN").then(|| "localhost:9000".into())
        })
        .unwrap();
        assert_eq!(c.domain, "localhost:9000");
    }

    #[test]
    fn the_bridge_hop_limit_is_three_or_as_configured_within_bounds() {
        let c = Config::from_parts(FileConfig::default(), |_| None).unwrap();
        assert_eq!(c.bridge_hop_limit, 3);
        let file = FileConfig {
            bridge_hop_limit: Some(5),
            ..Default::default()
        };
        assert_eq!(
            Config::from_parts(file.clone(), |_| None)
                .unwrap()
                .bridge_hop_limit,
            5
        );
        let c = Config::from_parts(file, |k| (k == "WEFT_BRIDGE_HOP_LIMIT").then(|| "1".into()))
            .unwrap();
        assert_eq!(c.bridge_hop_limit, 1, "the environment wins");
        for bad in ["0", "17", "many"] {
            let err = Config::from_parts(FileConfig::default(), |k| {
                (k == "WEFT_BRIDGE_HOP_LIMIT").then(|| bad.into())
            })
            .unwrap_err();
            assert!(err.contains("WEFT_BRIDGE_HOP_LIMIT"), "{bad}: {err}");
        }
    }
}

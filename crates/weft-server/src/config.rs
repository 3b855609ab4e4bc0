//! Configuration: defaults that work with no file, a TOML file, then `WEFT_*` variables.

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub domain: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub dev: Option<bool>,
    pub delivery_retry_seconds: Option<f64>,
    /// `[mail]`: the SMTP server mail is sent through.
    pub mail: Option<MailFile>,
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
    /// The SMTP server; none: mail waits in its queue until one is configured.
    pub smtp: Option<weft_mail::Smtp>,
    /// Mail worker tuning (retries, leases).
    pub mail: weft_mail::Settings,
    /// A person's digest comes this long after their last one (a week).
    pub digest_every: std::time::Duration,
    /// How often to look for digests that are due.
    pub digest_check_every: std::time::Duration,
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
        let smtp = smtp(file.mail.unwrap_or_default(), &env, &domain)?;
        Ok(Config {
            database_url,
            listen,
            domain,
            data_dir,
            dev,
            delivery,
            poll_update_gap: std::time::Duration::from_secs(60),
            software_check_every: std::time::Duration::from_secs(10),
            smtp,
            mail: weft_mail::Settings::default(),
            digest_every: std::time::Duration::from_secs(7 * 24 * 3600),
            digest_check_every: std::time::Duration::from_secs(600),
        })
    }
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
}

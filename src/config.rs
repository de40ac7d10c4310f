//! Configuration from the environment (see the README's table).

use std::net::SocketAddr;

/// Where the service keeps its SQLite file when no database is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/sipas.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub bind: SocketAddr,
    /// The base URL printed in QR codes; `None` means `http://` + the bound address.
    pub public_url: Option<String>,
    /// The signing key (`SIPAS_SECRET`, or the contents of `SIPAS_SECRET_FILE`); `None`
    /// means the embedded default generates one and keeps it beside the SQLite file.
    pub secret: Option<String>,
    /// A production deployment (a PostgreSQL URL, or `SIPAS_ENV=production`): keys must
    /// come from the environment or a file, and the first admin password never goes to
    /// the log.
    pub production: bool,
    /// Days a daily address key is kept (`SIPAS_ADDRESS_KEY_DAYS`, default 30); after
    /// them the day's address hashes can no longer be reversed.
    pub address_key_days: u32,
    /// Days after a round's publication its free-text comments are kept
    /// (`SIPAS_COMMENT_RETENTION_DAYS`); `None`: kept.
    pub comment_retention_days: Option<u32>,
    /// Earlier signing keys, still accepted so printed QR codes keep working.
    pub previous_secrets: Vec<String>,
    /// Prefix of every Redis key, so deployments (and tests) can share one Redis.
    pub redis_prefix: String,
    pub rate_limits: crate::rate_limit::RateLimits,
    /// The longest a server waits for a database connection (`SIPAS_DATABASE_TIMEOUT_MS`);
    /// `None`: 800 ms on PostgreSQL, 10 s on SQLite (see `Storage::server_timeout`).
    pub database_timeout: Option<std::time::Duration>,
    /// The reverse proxies whose `X-Forwarded-For` entries are believed; a request
    /// from anywhere else is its own client, whatever its headers say.
    pub trusted_proxies: sipas_domain::network::TrustedProxies,
    /// The webhook worker: its poll interval, first retry delay (Standard Webhooks'
    /// 5 s; `SIPAS_WEBHOOK_FIRST_RETRY_SECONDS`), lease and timeout.
    pub webhooks: crate::webhooks::WorkerSettings,
    /// `SIPAS_BENCHMARK=1`: no minimum fill time and no rate limits, so one load
    /// generator on one address can stand for thousands of phones. Announced loudly at
    /// start: answers are not protected.
    pub benchmark: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("SIPAS_BIND={0:?} is not an address such as 127.0.0.1:8080")]
    Bind(String),
    #[error("SIPAS_PUBLIC_URL={0:?} must start with http:// or https://")]
    PublicUrl(String),
    #[error("SIPAS_SECRET must be at least 16 characters")]
    Secret,
    #[error(
        "SIPAS_TRUST_PROXY is no longer read: list your reverse proxies' addresses in \
         SIPAS_TRUSTED_PROXIES instead (comma-separated, e.g. 10.0.0.0/8,127.0.0.1)"
    )]
    TrustProxyRetired,
    #[error("SIPAS_TRUSTED_PROXIES: {0}")]
    TrustedProxies(#[from] sipas_domain::network::CidrError),
    #[error("cannot read SIPAS_SECRET_FILE {0:?}: {1}")]
    SecretFile(String, String),
    #[error(
        "a production deployment (PostgreSQL, or SIPAS_ENV=production) needs its signing key \
         from SIPAS_SECRET or SIPAS_SECRET_FILE, never only from the database; generate one \
         with `openssl rand -base64 32`"
    )]
    SecretRequired,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
    }

    /// What serving needs of a production deployment: its signing key from outside the
    /// database. (Commands that sign nothing, such as `sipas migrate` or `sipas units
    /// import`, run without it.)
    pub fn check_production_keys(&self) -> Result<(), ConfigError> {
        if self.production && self.secret.is_none() {
            return Err(ConfigError::SecretRequired);
        }
        Ok(())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bind_text = lookup("SIPAS_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text
            .parse()
            .map_err(|_| ConfigError::Bind(bind_text.clone()))?;
        let public_url = lookup("SIPAS_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::PublicUrl(url.clone()));
        }
        // The old switch believed the leftmost, client-written address; refusing to
        // start is safer than silently trusting no proxy or every one.
        if lookup("SIPAS_TRUST_PROXY").is_some() {
            return Err(ConfigError::TrustProxyRetired);
        }
        let trusted_proxies = sipas_domain::network::TrustedProxies::parse(
            &lookup("SIPAS_TRUSTED_PROXIES").unwrap_or_default(),
        )?;
        let secret = match (lookup("SIPAS_SECRET"), lookup("SIPAS_SECRET_FILE")) {
            (Some(secret), _) => Some(secret),
            (None, Some(path)) => Some(
                std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError::SecretFile(path.clone(), e.to_string()))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(ConfigError::Secret);
        }
        let database_url =
            lookup("SIPAS_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let production = database_url.starts_with("postgres")
            || lookup("SIPAS_ENV").is_some_and(|e| e.eq_ignore_ascii_case("production"));
        let benchmark = lookup("SIPAS_BENCHMARK").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        });
        Ok(Self {
            benchmark,
            database_url,
            production,
            address_key_days: lookup("SIPAS_ADDRESS_KEY_DAYS")
                .and_then(|d| d.trim().parse().ok())
                .filter(|d| (1..=3650).contains(d))
                .unwrap_or(30),
            comment_retention_days: lookup("SIPAS_COMMENT_RETENTION_DAYS")
                .and_then(|d| d.trim().parse().ok()),
            redis_url: lookup("SIPAS_REDIS_URL"),
            bind,
            public_url,
            secret,
            previous_secrets: lookup("SIPAS_PREVIOUS_SECRETS")
                .map(|s| {
                    s.split(',')
                        .map(|p| p.trim().to_owned())
                        .filter(|p| !p.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            redis_prefix: lookup("SIPAS_REDIS_PREFIX").unwrap_or_else(|| "sipas:".to_owned()),
            rate_limits: if benchmark {
                crate::rate_limit::RateLimits::unreachable()
            } else {
                crate::rate_limit::RateLimits::default()
            },
            database_timeout: lookup("SIPAS_DATABASE_TIMEOUT_MS")
                .and_then(|ms| ms.trim().parse::<u64>().ok())
                .filter(|ms| (1..=600_000).contains(ms))
                .map(std::time::Duration::from_millis),
            trusted_proxies,
            webhooks: {
                let mut webhooks = crate::webhooks::WorkerSettings::default();
                if let Some(seconds) = lookup("SIPAS_WEBHOOK_FIRST_RETRY_SECONDS")
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 3600.0)
                {
                    webhooks.first_retry = std::time::Duration::from_secs_f64(seconds);
                }
                webhooks
            },
        })
    }
}

/// Whether citizens' phones cannot reach a public URL: its host is `localhost` (or
/// under `.localhost`), a `.local` name, or a loopback, private, link-local or
/// unspecified address (IPv4 10/8, 172.16/12, 192.168/16, 169.254/16, 127/8, 0.0.0.0;
/// IPv6 ::1, ::, fc00::/7, fe80::/10, and IPv4 ones mapped into IPv6). Posters and
/// receipts printed with such a URL lead nowhere.
pub fn public_url_is_private(url: &str) -> bool {
    use std::net::{IpAddr, Ipv4Addr};
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return true;
    }
    if host == "localhost"
        || host.ends_with(".localhost")
        || host == "local"
        || host.ends_with(".local")
    {
        return true;
    }
    let v4_private = |ip: Ipv4Addr| {
        ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
    };
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => v4_private(ip),
        Ok(IpAddr::V6(ip)) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return v4_private(v4);
            }
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert!(s.redis_url.is_none() && s.public_url.is_none() && s.secret.is_none());
    }

    #[test]
    fn reads_and_checks_values() {
        let s = settings(&[
            ("SIPAS_PUBLIC_URL", "https://ks.hatinh.gov.vn/"),
            (
                "SIPAS_PREVIOUS_SECRETS",
                "old-secret-0000001, old-secret-0000002",
            ),
        ])
        .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://ks.hatinh.gov.vn"));
        assert_eq!(s.previous_secrets.len(), 2);
        assert!(matches!(
            settings(&[("SIPAS_BIND", "nowhere")]),
            Err(ConfigError::Bind(_))
        ));
        assert!(matches!(
            settings(&[("SIPAS_PUBLIC_URL", "ks.vn")]),
            Err(ConfigError::PublicUrl(_))
        ));
        assert!(matches!(
            settings(&[("SIPAS_SECRET", "short")]),
            Err(ConfigError::Secret)
        ));
    }

    #[test]
    fn the_database_timeout_is_a_setting() {
        assert_eq!(settings(&[]).unwrap().database_timeout, None);
        let short = settings(&[("SIPAS_DATABASE_TIMEOUT_MS", "250")]).unwrap();
        assert_eq!(
            short.database_timeout,
            Some(std::time::Duration::from_millis(250))
        );
        for bad in ["0", "-5", "soon", "9999999"] {
            let s = settings(&[("SIPAS_DATABASE_TIMEOUT_MS", bad)]).unwrap();
            assert_eq!(s.database_timeout, None, "{bad}");
        }
    }

    #[test]
    fn trusted_proxies_are_address_blocks() {
        assert!(settings(&[]).unwrap().trusted_proxies.is_empty());
        let s = settings(&[("SIPAS_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
        assert!(s.trusted_proxies.contains("10.9.8.7".parse().unwrap()));
        assert!(matches!(
            settings(&[("SIPAS_TRUSTED_PROXIES", "10.0.0.0/8,lb")]),
            Err(ConfigError::TrustedProxies(_))
        ));
        // The retired switch stops the start, naming its replacement.
        let retired = settings(&[("SIPAS_TRUST_PROXY", "1")]).unwrap_err();
        assert!(matches!(retired, ConfigError::TrustProxyRetired));
        assert!(retired.to_string().contains("SIPAS_TRUSTED_PROXIES"));
    }

    #[test]
    fn production_refuses_to_start_without_a_secret_from_outside_the_database() {
        for production in [
            &[("SIPAS_DATABASE_URL", "postgres://sipas@db/sipas")][..],
            &[("SIPAS_ENV", "production")][..],
        ] {
            let error = settings(production)
                .unwrap()
                .check_production_keys()
                .unwrap_err();
            assert!(
                matches!(error, ConfigError::SecretRequired),
                "{production:?}"
            );
            assert!(error.to_string().contains("SIPAS_SECRET_FILE"));
            let mut with_secret = production.to_vec();
            with_secret.push(("SIPAS_SECRET", "a-secret-of-enough-length"));
            let s = settings(&with_secret).unwrap();
            assert!(s.production && s.check_production_keys().is_ok());
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-a-file-0123456789\n").unwrap();
        let path = file.display().to_string();
        let s = settings(&[("SIPAS_ENV", "production"), ("SIPAS_SECRET_FILE", &path)]).unwrap();
        assert_eq!(s.secret.as_deref(), Some("from-a-file-0123456789"));
        assert!(matches!(
            settings(&[("SIPAS_SECRET_FILE", "/nonexistent/secret")]),
            Err(ConfigError::SecretFile(..))
        ));
        // The embedded default still starts with nothing set.
        assert!(!settings(&[]).unwrap().production);
    }

    #[test]
    fn the_benchmark_setting_lifts_limits_only_when_asked() {
        let normal = settings(&[]).unwrap();
        assert!(!normal.benchmark);
        assert_eq!(normal.rate_limits, crate::rate_limit::RateLimits::default());
        for off in [("SIPAS_BENCHMARK", "0"), ("SIPAS_BENCHMARK", "no")] {
            assert!(!settings(&[off]).unwrap().benchmark, "{off:?}");
        }
        for on in ["1", "true", "YES"] {
            let s = settings(&[("SIPAS_BENCHMARK", on)]).unwrap();
            assert!(s.benchmark, "{on}");
            assert_eq!(s.rate_limits.per_device.max, u32::MAX);
            assert_eq!(s.rate_limits.per_address.max, u32::MAX);
        }
        // Allowed in production too (the announcement names it).
        let both = settings(&[("SIPAS_BENCHMARK", "1"), ("SIPAS_ENV", "production")]).unwrap();
        assert!(both.benchmark && both.production);
    }

    #[test]
    fn the_first_webhook_retry_is_a_setting() {
        let default = settings(&[]).unwrap();
        assert_eq!(
            default.webhooks.first_retry,
            std::time::Duration::from_secs(5)
        );
        let short = settings(&[("SIPAS_WEBHOOK_FIRST_RETRY_SECONDS", "0.5")]).unwrap();
        assert_eq!(
            short.webhooks.first_retry,
            std::time::Duration::from_millis(500)
        );
        // Nonsense keeps the default.
        for bad in ["-1", "soon", "NaN", "100000"] {
            let s = settings(&[("SIPAS_WEBHOOK_FIRST_RETRY_SECONDS", bad)]).unwrap();
            assert_eq!(
                s.webhooks.first_retry,
                std::time::Duration::from_secs(5),
                "{bad}"
            );
        }
    }

    #[test]
    fn private_public_urls_are_recognised() {
        for private in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080/",
            "http://LOCALHOST",
            "http://app.localhost",
            "http://sipas.local",
            "http://sipas.local.:8080",
            "http://10.0.0.5",
            "http://172.16.0.1",
            "http://172.31.255.255",
            "http://192.168.1.20:8080/sipas",
            "http://169.254.10.10",
            "http://0.0.0.0:8080",
            "http://[::1]:8080",
            "http://[::]",
            "http://[fc00::1]",
            "http://[fd12:3456::1]:80",
            "http://[fe80::1]",
            "http://[::ffff:192.168.0.1]",
            "https://user:pw@10.1.2.3/",
            "http://",
        ] {
            assert!(public_url_is_private(private), "{private}");
        }
        for public in [
            "https://ks.hatinh.gov.vn",
            "https://sipas.hatinh.gov.vn/",
            "http://172.15.0.1",
            "http://172.32.0.1",
            "http://192.169.0.1",
            "http://11.0.0.1",
            "http://203.113.1.1:8080",
            "http://[2001:db8::1]",
            "http://[::ffff:8.8.8.8]",
            "https://localhost.example.vn",
            "https://local-gov.vn",
        ] {
            assert!(!public_url_is_private(public), "{public}");
        }
    }
}

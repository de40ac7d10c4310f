//! Webhooks in the Standard Webhooks style (<https://www.standardwebhooks.com>): the
//! signature a receiver checks, the secrets, the endpoint URLs an admin may register,
//! and the retry schedule. Pure: the caller passes the time and the random bytes.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What every secret starts with, as Standard Webhooks has it.
pub const SECRET_PREFIX: &str = "whsec_";

/// The longest endpoint URL taken.
pub const MAX_URL_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("a webhook secret is `whsec_` followed by base64")]
    Secret,
    #[error("{0}")]
    Url(String),
}

/// A new secret from 24–64 random bytes: `whsec_` + their base64.
pub fn secret_from(random: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The HMAC key of a secret: its base64 part, decoded (a bare base64 secret is taken
/// too, as the reference libraries do).
pub fn secret_key(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD.decode(encoded).map_err(|_| WebhookError::Secret)?;
    if key.is_empty() {
        return Err(WebhookError::Secret);
    }
    Ok(key)
}

/// The `webhook-signature` header of a message: `v1,` + base64 of
/// HMAC-SHA256(key, "{id}.{timestamp}.{body}"), the timestamp in unix seconds.
pub fn sign(
    secret: &str,
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    let key = secret_key(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Checks an endpoint URL: absolute `http://` or `https://` with a host, at most
/// [`MAX_URL_CHARS`] characters, no spaces or control characters. Returns it trimmed.
pub fn check_url(url: &str) -> Result<String, WebhookError> {
    let url = url.trim();
    let refuse = |why: &str| Err(WebhookError::Url(why.to_owned()));
    if url.is_empty() {
        return refuse("the URL is empty");
    }
    if url.chars().count() > MAX_URL_CHARS {
        return refuse("the URL is longer than 2000 characters");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("the URL contains spaces or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return refuse("the URL must be absolute, starting with http:// or https://");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return refuse("the URL must start with http:// or https://");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return refuse("the URL has no host");
    }
    if let Some(port) = host_port.rsplit_once("]:").map(|(_, p)| p).or_else(|| {
        (!host_port.starts_with('[')).then(|| host_port.split_once(':').map(|(_, p)| p))?
    }) && port.parse::<u16>().is_err()
    {
        return refuse("the URL's port is not a number up to 65535");
    }
    Ok(url.to_owned())
}

/// Standard Webhooks' schedule after a failed attempt: `first` (5 s in production), then
/// 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: eight attempts over about a day and a half,
/// the last a day after the first retry.
const LATER_DELAYS: [Duration; 6] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// How long to wait before the next attempt when `attempts` have failed so far (1 after
/// the first); `None`: the schedule is spent and the delivery has failed.
pub fn retry_delay(attempts: u32, first: Duration) -> Option<Duration> {
    match attempts {
        0 => Some(Duration::ZERO),
        1 => Some(first),
        n => LATER_DELAYS.get(n as usize - 2).copied(),
    }
}

/// Whether an HTTP status code means delivered.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference test vector of Standard Webhooks, from
    /// github.com/standard-webhooks/standard-webhooks, `libraries/go/webhook_test.go`,
    /// `TestWebhookSign` (the same in the other libraries' tests).
    #[test]
    fn signs_the_reference_vector() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        // Any change of id, time or body changes it.
        for other in [
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_x",
                1614265330,
                br#"{"test": 2432232314}"#,
            ),
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265331,
                br#"{"test": 2432232314}"#,
            ),
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232315}"#,
            ),
        ] {
            assert_ne!(other.unwrap(), signature);
        }
    }

    #[test]
    fn secrets_round_trip_and_bad_ones_are_refused() {
        let secret = secret_from(&[7u8; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).unwrap(), vec![7u8; 32]);
        assert_eq!(secret_key("whsec_!!!"), Err(WebhookError::Secret));
        assert_eq!(secret_key("whsec_"), Err(WebhookError::Secret));
    }

    #[test]
    fn urls_are_checked() {
        for good in [
            "https://engine.example.vn/hooks/sipas",
            "http://127.0.0.1:9000/x?y=1",
            "HTTPS://[2001:db8::1]:8443/",
            " https://a.vn ",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        assert_eq!(check_url(" https://a.vn ").unwrap(), "https://a.vn");
        for bad in [
            "",
            "engine.example.vn/hooks",
            "/hooks",
            "ftp://a.vn/x",
            "https://",
            "https:///path",
            "https://a.vn/with space",
            "https://a.vn:99999/",
            "https://a.vn:port/",
            "javascript://alert(1)",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let long = format!("https://a.vn/{}", "x".repeat(MAX_URL_CHARS));
        assert!(check_url(&long).is_err());
        let fits = format!("https://a.vn/{}", "x".repeat(MAX_URL_CHARS - 13));
        assert_eq!(fits.chars().count(), MAX_URL_CHARS);
        assert!(check_url(&fits).is_ok());
    }

    #[test]
    fn the_schedule_backs_off_for_about_a_day_then_stops() {
        let first = Duration::from_secs(5);
        let delays: Vec<Duration> = (1..).map_while(|n| retry_delay(n, first)).collect();
        let minutes: Vec<u64> = delays.iter().map(|d| d.as_secs() / 60).collect();
        assert_eq!(minutes, [0, 5, 30, 120, 300, 600, 600]);
        assert_eq!(delays[0], first);
        let total: u64 = delays.iter().map(Duration::as_secs).sum();
        assert!((24 * 3600..30 * 3600).contains(&total), "{total}");
        assert_eq!(retry_delay(8, first), None);
        assert_eq!(
            retry_delay(1, Duration::from_millis(10)),
            Some(Duration::from_millis(10))
        );
        assert!(is_success(200) && is_success(204) && !is_success(301) && !is_success(500));
    }
}

//! Webhooks: endpoints an admin registers, an outbox of events written in the same
//! transaction as the change they announce, and a worker on every node that delivers
//! them, signed in the Standard Webhooks style (docs/api.md, "Webhooks").
//!
//! Exactly one node sends each attempt: a node claims due deliveries with a lease that
//! it commits before the HTTP call ([`storage::webhooks::claim_due`]), and records the
//! outcome only while its lease holds.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use rand::distr::{Alphanumeric, SampleString};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use sipas_domain::webhook::{self as rules, WebhookError};
use tokio::sync::Notify;

use crate::storage::webhooks::{self as stored, Claimed, Outcome};
use crate::storage::{Storage, StorageError, audit};

/// An event as its body is delivered (`{"type": "snapshot.published", …}`).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub campaign: String,
    pub version: u32,
    pub sha256: String,
    /// Where the snapshot is read (`{public_url}/api/v1/campaigns/{c}/snapshots/{k}`).
    pub url: String,
}

/// Wakes this process's workers: something may be due now.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells the workers of this process to look for due deliveries now rather than at
/// their next tick; call it after committing a transaction that enqueued an event.
pub fn wake() {
    WAKE.notify_one();
}

/// Writes the event to the outbox, one delivery per active endpoint, in the caller's
/// transaction: it is delivered only if that transaction commits. The body stored is
/// the exact bytes every endpoint receives.
pub async fn enqueue(db: &impl ConnectionTrait, event: &Event) -> Result<(), StorageError> {
    let body = serde_json::to_string(event)
        .map_err(|e| StorageError::Invalid(format!("event not serializable: {e}")))?;
    let message_id = format!("msg_{}", Alphanumeric.sample_string(&mut rand::rng(), 26));
    stored::enqueue(db, &message_id, &event.kind, &body, Utc::now()).await?;
    // The caller commits after this returns: wake the workers shortly after, so the
    // event goes out at once rather than at the next tick (the tick catches it anyway).
    tokio::spawn(async {
        for delay in [100, 400] {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            wake();
        }
    });
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<WebhookError> for ChangeError {
    fn from(e: WebhookError) -> Self {
        Self::Invalid(e.to_string())
    }
}

/// Registers an endpoint with a new secret (returned with it: the only time it is
/// shown); audited `webhook.create` (without the secret).
pub async fn create(
    storage: &Storage,
    actor: &str,
    url: &str,
) -> Result<entity::webhook::Model, ChangeError> {
    let url = rules::check_url(url)?;
    let secret = rules::secret_from(&rand::random::<[u8; 32]>());
    let txn = storage.write().await?;
    let created = stored::create(&txn, actor, &url, &secret, Utc::now()).await?;
    audit::record(
        &txn,
        actor,
        "webhook.create",
        &url,
        serde_json::json!({ "id": created.id, "after": { "url": url } }),
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(created)
}

/// Removes an endpoint (404 unknown); audited `webhook.delete`.
pub async fn delete(storage: &Storage, actor: &str, id: i32) -> Result<(), ChangeError> {
    let txn = storage.write().await?;
    let removed = stored::delete(&txn, id, Utc::now()).await?;
    audit::record(
        &txn,
        actor,
        "webhook.delete",
        &removed.url,
        serde_json::json!({ "id": id, "before": { "url": removed.url } }),
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    Ok(())
}

/// Sends a failed or pending delivery again now, with a fresh schedule; audited
/// `webhook.resend`.
pub async fn resend(storage: &Storage, actor: &str, delivery_id: i64) -> Result<(), ChangeError> {
    let txn = storage.write().await?;
    let before = stored::resend(&txn, delivery_id, Utc::now()).await?;
    audit::record(
        &txn,
        actor,
        "webhook.resend",
        &format!("delivery {delivery_id}"),
        serde_json::json!({
            "delivery": delivery_id,
            "webhook": before.webhook_id,
            "before": { "status": before.status, "attempts": before.attempts },
            "after": { "status": stored::PENDING, "attempts": 0 },
        }),
    )
    .await?;
    txn.commit().await.map_err(StorageError::from)?;
    wake();
    Ok(())
}

/// How the worker runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// How often it looks for due deliveries when nobody wakes it.
    pub poll: Duration,
    /// The first retry's delay (Standard Webhooks: 5 s; tests shorten it).
    pub first_retry: Duration,
    /// How long a claim holds: longer than a whole batch of attempts takes.
    pub lease: Duration,
    /// The longest an endpoint may take to answer.
    pub timeout: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            first_retry: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The most deliveries one pass claims.
const BATCH: u64 = 10;
/// The most of an endpoint's answer kept.
const KEPT_BODY_BYTES: usize = 1024;

/// The HTTP client of deliveries: no redirects (a signed event goes only where it was
/// registered), a timeout, rustls on the ring provider.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    // Already installed (by an earlier node in this process) is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("SIPAS-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the webhook HTTP client builds")
}

/// Starts this node's worker: it delivers due events every `poll`, and at once when
/// woken.
pub fn start(storage: Storage, settings: WorkerSettings) {
    let client = http_client(settings.timeout);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = WAKE.notified() => {}
            }
            loop {
                match deliver_due(&storage, &client, &settings).await {
                    // A full batch: more may be due.
                    Ok(n) if n as u64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook deliveries could not be claimed");
                        break;
                    }
                }
            }
        }
    });
}

/// One pass: claims the due deliveries, sends them, records what happened. Returns how
/// many were claimed.
pub async fn deliver_due(
    storage: &Storage,
    client: &reqwest::Client,
    settings: &WorkerSettings,
) -> Result<usize, StorageError> {
    // Whole milliseconds: the lease is compared for equality after a round trip through
    // the database, which keeps microseconds at most.
    let now = Utc::now().trunc_subsecs(3);
    let lease = now + settings.lease;
    if !stored::any_due(storage.db(), now).await? {
        return Ok(0);
    }
    let claimed = {
        let txn = storage.write().await?;
        let claimed = stored::claim_due(&txn, now, lease, BATCH).await?;
        txn.commit().await?;
        claimed
    };
    let count = claimed.len();
    let sends = claimed.into_iter().map(|c| async move {
        let outcome = attempt(client, &c, settings.first_retry).await;
        match stored::record_attempt(storage.db(), &c, &outcome).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery = c.delivery_id,
                "a webhook attempt outlived its lease; another node took it over"
            ),
            Err(e) => tracing::error!(delivery = c.delivery_id, error = %e, "a webhook attempt could not be recorded"),
        }
    });
    futures_util::future::join_all(sends).await;
    Ok(count)
}

/// Sends one attempt and says what came of it.
async fn attempt(client: &reqwest::Client, c: &Claimed, first_retry: Duration) -> Outcome {
    let at = Utc::now();
    let failed_so_far = u32::try_from(c.attempts).unwrap_or(0) + 1;
    let next = |at: DateTime<Utc>| {
        rules::retry_delay(failed_so_far, first_retry)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| at + d)
    };
    let signature = match rules::sign(&c.secret, &c.message_id, at.timestamp(), c.body.as_bytes()) {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                at,
                response_status: None,
                response_body: None,
                error: Some(e.to_string()),
                delivered: false,
                next_attempt_at: None,
            };
        }
    };
    let sent = client
        .post(&c.url)
        .header("content-type", "application/json")
        .header("webhook-id", &c.message_id)
        .header("webhook-timestamp", at.timestamp().to_string())
        .header("webhook-signature", signature)
        .body(c.body.clone())
        .send()
        .await;
    match sent {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let mut kept = Vec::new();
            // The first kilobyte is enough to see what went wrong; the rest is not read.
            while kept.len() < KEPT_BODY_BYTES {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            kept.truncate(KEPT_BODY_BYTES);
            let text = String::from_utf8_lossy(&kept).into_owned();
            let delivered = rules::is_success(status);
            Outcome {
                at,
                response_status: Some(status),
                response_body: Some(text),
                error: None,
                delivered,
                next_attempt_at: if delivered { None } else { next(Utc::now()) },
            }
        }
        Err(e) => Outcome {
            at,
            response_status: None,
            response_body: None,
            error: Some(error_text(&e)),
            delivered: false,
            next_attempt_at: next(Utc::now()),
        },
    }
}

/// An HTTP failure in words, with its causes (reqwest's own text omits them).
fn error_text(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "no answer within the timeout".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

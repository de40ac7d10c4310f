//! Webhook endpoints, the outbox of events and their deliveries. The worker's claim is
//! a lease (`locked_until`) taken in a short transaction of its own and committed before
//! the HTTP call: whichever node's conditional update wins sends that attempt, and a
//! node that dies mid-call only delays it until the lease runs out.

use chrono::{DateTime, Utc};
use entity::{webhook, webhook_delivery, webhook_event};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::StorageError;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// Registers an endpoint (the URL already checked by the domain).
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &str,
    url: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<webhook::Model, StorageError> {
    Ok(webhook::Entity::insert(webhook::ActiveModel {
        url: Set(url.to_owned()),
        secret: Set(secret.to_owned()),
        created_by: Set(actor.to_owned()),
        created_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// The endpoints not removed, oldest first.
pub async fn active(db: &impl ConnectionTrait) -> Result<Vec<webhook::Model>, StorageError> {
    Ok(webhook::Entity::find()
        .filter(webhook::Column::DeletedAt.is_null())
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

/// An endpoint not removed.
pub async fn find_active(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<webhook::Model, StorageError> {
    webhook::Entity::find_by_id(id)
        .filter(webhook::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("webhook {id}")))
}

/// Removes an endpoint: nothing more is sent to it (its pending deliveries fail with
/// that reason); its history stays.
pub async fn delete(
    db: &impl ConnectionTrait,
    id: i32,
    now: DateTime<Utc>,
) -> Result<webhook::Model, StorageError> {
    let found = find_active(db, id).await?;
    webhook::Entity::update_many()
        .col_expr(webhook::Column::DeletedAt, Expr::value(Some(now)))
        .filter(webhook::Column::Id.eq(id))
        .exec(db)
        .await?;
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(FAILED))
        .col_expr(
            webhook_delivery::Column::Error,
            Expr::value(Some("the endpoint was removed".to_owned())),
        )
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(found)
}

/// Writes one event and a pending delivery, due now, to every active endpoint.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    message_id: &str,
    kind: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<webhook_event::Model, StorageError> {
    let event = webhook_event::Entity::insert(webhook_event::ActiveModel {
        message_id: Set(message_id.to_owned()),
        kind: Set(kind.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    let deliveries: Vec<webhook_delivery::ActiveModel> = active(db)
        .await?
        .into_iter()
        .map(|w| webhook_delivery::ActiveModel {
            event_id: Set(event.id),
            webhook_id: Set(w.id),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            ..Default::default()
        })
        .collect();
    if !deliveries.is_empty() {
        webhook_delivery::Entity::insert_many(deliveries)
            .exec_without_returning(db)
            .await?;
    }
    Ok(event)
}

/// Whether any delivery is due and unleased: a plain read, so an idle worker never
/// takes the write lock (SQLite has one for the whole file).
pub async fn any_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, StorageError> {
    Ok(webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::LockedUntil.is_null())
                .add(webhook_delivery::Column::LockedUntil.lt(now)),
        )
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// A claimed attempt: what to send where, and the lease that proves it is this node's.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub attempts: i32,
    pub lease: DateTime<Utc>,
    pub url: String,
    pub secret: String,
    pub message_id: String,
    pub body: String,
}

/// Claims up to `limit` due deliveries until `lease`. Run it in its own write
/// transaction and commit before sending. On PostgreSQL the candidates are read
/// `FOR UPDATE SKIP LOCKED`, so nodes claiming at once take different rows; on every
/// backend each claim is a conditional update, so a row leased by another node (or
/// claimed since it was read) is never taken twice.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, StorageError> {
    let unleased = || {
        Condition::any()
            .add(webhook_delivery::Column::LockedUntil.is_null())
            .add(webhook_delivery::Column::LockedUntil.lt(now))
    };
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(unleased())
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let candidates = select.all(db).await?;
    let mut claimed = Vec::new();
    for d in candidates {
        let taken = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::LockedUntil,
                Expr::value(Some(lease)),
            )
            .filter(webhook_delivery::Column::Id.eq(d.id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(unleased())
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !taken {
            continue;
        }
        let event = webhook_event::Entity::find_by_id(d.event_id)
            .one(db)
            .await?;
        let endpoint = webhook::Entity::find_by_id(d.webhook_id).one(db).await?;
        let (Some(event), Some(endpoint)) = (event, endpoint) else {
            continue;
        };
        claimed.push(Claimed {
            delivery_id: d.id,
            attempts: d.attempts,
            lease,
            url: endpoint.url,
            secret: endpoint.secret,
            message_id: event.message_id,
            body: event.body,
        });
    }
    Ok(claimed)
}

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub at: DateTime<Utc>,
    pub response_status: Option<u16>,
    /// The first kilobyte of the answer.
    pub response_body: Option<String>,
    pub error: Option<String>,
    /// Delivered (a 2xx answer).
    pub delivered: bool,
    /// When to try again; `None` with `delivered` false: failed for good.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Records an attempt, if this node's lease still holds (otherwise another node has
/// taken the delivery over and its record wins). Returns whether it was recorded.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    claimed: &Claimed,
    outcome: &Outcome,
) -> Result<bool, StorageError> {
    use webhook_delivery::Column as C;
    let status = if outcome.delivered {
        DELIVERED
    } else if outcome.next_attempt_at.is_some() {
        PENDING
    } else {
        FAILED
    };
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(C::Status, Expr::value(status))
        .col_expr(C::Attempts, Expr::value(claimed.attempts + 1))
        .col_expr(C::LockedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(C::LastAttemptAt, Expr::value(Some(outcome.at)))
        .col_expr(
            C::ResponseStatus,
            Expr::value(outcome.response_status.map(i32::from)),
        )
        .col_expr(C::ResponseBody, Expr::value(outcome.response_body.clone()))
        .col_expr(C::Error, Expr::value(outcome.error.clone()));
    if let Some(next) = outcome.next_attempt_at {
        update = update.col_expr(C::NextAttemptAt, Expr::value(next));
    }
    if outcome.delivered {
        update = update.col_expr(C::DeliveredAt, Expr::value(Some(outcome.at)));
    }
    Ok(update
        .filter(C::Id.eq(claimed.delivery_id))
        .filter(C::Status.eq(PENDING))
        .filter(C::LockedUntil.eq(claimed.lease))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// A delivery as admins see it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub delivery: webhook_delivery::Model,
    pub event: webhook_event::Model,
    pub url: String,
    /// Its endpoint was removed since (it cannot be resent).
    pub endpoint_removed: bool,
}

/// The latest deliveries, newest first, of one endpoint or of all.
pub async fn recent_deliveries(
    db: &impl ConnectionTrait,
    webhook_id: Option<i32>,
    limit: u64,
) -> Result<Vec<DeliveryRow>, StorageError> {
    let mut query = webhook_delivery::Entity::find()
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit);
    if let Some(id) = webhook_id {
        query = query.filter(webhook_delivery::Column::WebhookId.eq(id));
    }
    let deliveries = query.all(db).await?;
    let event_ids: Vec<i64> = deliveries.iter().map(|d| d.event_id).collect();
    let webhook_ids: Vec<i32> = deliveries.iter().map(|d| d.webhook_id).collect();
    let events: std::collections::HashMap<i64, webhook_event::Model> =
        webhook_event::Entity::find()
            .filter(webhook_event::Column::Id.is_in(event_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let endpoints: std::collections::HashMap<i32, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(webhook_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|d| {
            let event = events.get(&d.event_id)?.clone();
            let endpoint = endpoints.get(&d.webhook_id)?;
            Some(DeliveryRow {
                delivery: d,
                event,
                url: endpoint.url.clone(),
                endpoint_removed: endpoint.deleted_at.is_some(),
            })
        })
        .collect())
}

/// Makes a delivery due now again with a fresh schedule (an admin's resend), unless it
/// was delivered or its endpoint removed. Returns it as it was before. A lease in force
/// stays: the attempt in flight finishes first, so two nodes never send it at once.
pub async fn resend(
    db: &impl ConnectionTrait,
    delivery_id: i64,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, StorageError> {
    use webhook_delivery::Column as C;
    let found = webhook_delivery::Entity::find_by_id(delivery_id)
        .one(db)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("delivery {delivery_id}")))?;
    if found.status == DELIVERED {
        return Err(StorageError::Conflict(
            "this delivery was already delivered".into(),
        ));
    }
    find_active(db, found.webhook_id)
        .await
        .map_err(|_| StorageError::Conflict("the endpoint of this delivery was removed".into()))?;
    webhook_delivery::Entity::update_many()
        .col_expr(C::Status, Expr::value(PENDING))
        .col_expr(C::Attempts, Expr::value(0))
        .col_expr(C::NextAttemptAt, Expr::value(now))
        .filter(C::Id.eq(delivery_id))
        .exec(db)
        .await?;
    Ok(found)
}

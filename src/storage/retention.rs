//! Retention of citizens' free text (`SIPAS_COMMENT_RETENTION_DAYS`): once a round has
//! been published for that many days its comments are deleted (the answers and scores
//! stay), each deletion audited with its count.

use chrono::{DateTime, Utc};
use entity::{campaign, response, snapshot};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};

use super::{StorageError, audit};

/// Deletes the comments of every round whose latest publication is before
/// `published_before`; returns each round's code and how many comments went.
pub async fn purge_comments(
    txn: &DatabaseTransaction,
    published_before: DateTime<Utc>,
    retention_days: u32,
) -> Result<Vec<(String, u64)>, StorageError> {
    let published: Vec<(i32, String)> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .column(campaign::Column::Code)
        .filter(campaign::Column::Status.eq("published"))
        .into_tuple()
        .all(txn)
        .await?;
    let mut purged = Vec::new();
    for (id, code) in published {
        let last: Option<DateTime<Utc>> = snapshot::Entity::find()
            .select_only()
            .column_as(snapshot::Column::PublishedAt.max(), "last")
            .filter(snapshot::Column::CampaignId.eq(id))
            .into_tuple()
            .one(txn)
            .await?
            .flatten();
        if last.is_none_or(|at| at >= published_before) {
            continue;
        }
        let deleted = response::Entity::update_many()
            .col_expr(
                response::Column::Comment,
                Expr::value(Option::<String>::None),
            )
            .filter(response::Column::CampaignId.eq(id))
            .filter(response::Column::Comment.is_not_null())
            .exec(txn)
            .await?
            .rows_affected;
        if deleted > 0 {
            audit::record(
                txn,
                "system",
                "responses.comments_purged",
                &code,
                serde_json::json!({"comments": deleted, "retention_days": retention_days}),
            )
            .await?;
            purged.push((code, deleted));
        }
    }
    Ok(purged)
}

/// Purges now and then every hour, on every node (a second pass finds nothing).
pub fn start_purging_comments(storage: super::Storage, retention_days: u32) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let cutoff = Utc::now() - chrono::Duration::days(i64::from(retention_days));
            let result = async {
                let txn = storage.write().await?;
                let purged = purge_comments(&txn, cutoff, retention_days).await?;
                txn.commit().await?;
                Ok::<_, StorageError>(purged)
            }
            .await;
            match result {
                Ok(purged) => {
                    for (campaign, comments) in purged {
                        tracing::info!(%campaign, comments, "comments past their retention deleted");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not purge comments past their retention")
                }
            }
        }
    });
}

//! Reading a campaign's responses for an export: in pages by id (keyset), each page its
//! own short statement, so an export of a million responses holds no transaction open
//! and never has more than one page in memory.

use chrono::{DateTime, Utc};
use entity::response;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::StorageError;

/// Which of a campaign's responses an export reads.
#[derive(Debug, Clone)]
pub struct ResponseRange {
    pub campaign_id: i32,
    /// Only responses at these units; `None`: every unit.
    pub units: Option<Vec<i32>>,
    /// The largest id read: the export ends where the campaign stood when it began,
    /// however many answers arrive meanwhile.
    pub up_to: i64,
    /// Read the free-text comments too (only for readers allowed to see them).
    pub comments: bool,
}

/// A stored response as an export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    pub id: i64,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: String,
    pub verified: bool,
    /// One digit per criterion, `'0'` = no answer.
    pub answers: String,
    /// `None` also when comments were not read.
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
    /// Why it is kept out of the scores (`honeypot`, `too_fast`); `None`: counted.
    pub exclusion: Option<String>,
}

/// The largest response id of a campaign (0 without responses): where an export
/// starting now ends.
pub async fn last_response_id(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> Result<i64, StorageError> {
    let last: Option<Option<i64>> = response::Entity::find()
        .select_only()
        .column_as(response::Column::Id.max(), "last")
        .filter(response::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}

/// Up to `limit` responses of the range with an id above `after`, in id order. The
/// next page starts after the last id returned; an empty page is the end.
pub async fn response_page(
    db: &impl ConnectionTrait,
    range: &ResponseRange,
    after: i64,
    limit: u64,
) -> Result<Vec<ResponseRecord>, StorageError> {
    let mut query = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .column(response::Column::UnitId)
        .column(response::Column::ServicePointId)
        .column(response::Column::Channel)
        .column(response::Column::Verified)
        .column(response::Column::Answers)
        .column(response::Column::SubmittedAt)
        .column(response::Column::Exclusion)
        // On the (campaign_id, id) index: each page starts where the last one ended.
        .filter(response::Column::CampaignId.eq(range.campaign_id))
        .filter(response::Column::Id.gt(after))
        .filter(response::Column::Id.lte(range.up_to))
        .order_by_asc(response::Column::Id)
        .limit(limit);
    if let Some(units) = &range.units {
        query = query.filter(response::Column::UnitId.is_in(units.iter().copied()));
    }
    // Without the right to read comments they are not even read.
    query = if range.comments {
        query.column(response::Column::Comment)
    } else {
        query.column_as(Expr::cust("CAST(NULL AS TEXT)"), "comment")
    };
    let rows: Vec<Row> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                unit_id,
                service_point_id,
                channel,
                verified,
                answers,
                submitted_at,
                exclusion,
                comment,
            )| {
                ResponseRecord {
                    id,
                    unit_id,
                    service_point_id,
                    channel,
                    verified,
                    answers,
                    comment,
                    submitted_at,
                    exclusion,
                }
            },
        )
        .collect())
}

type Row = (
    i64,
    i32,
    i32,
    String,
    bool,
    String,
    DateTime<Utc>,
    Option<String>,
    Option<String>,
);

//! One unit's responses as the unit page reads them: every response (answers, channel,
//! desk, time, flag) for the daily, weekly and channel views, and the comments, newest
//! first. A unit can have tens of thousands of responses: both are read in pages by
//! key and handed to the caller one row at a time, so memory stays flat. Run them in
//! one read transaction ([`super::Storage::read_snapshot`]) to see one state.

use chrono::{DateTime, Utc};
use entity::response;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sipas_domain::campaign::Channel;

use super::StorageError;

/// Rows per read: large enough that a unit's responses are a few round trips, small
/// enough that a page is a few hundred kilobytes.
const PAGE: u64 = 5_000;

/// A stored response as the unit page folds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRow {
    pub id: i64,
    pub service_point_id: i32,
    /// `None` for a channel the service does not know (damage).
    pub channel: Option<Channel>,
    /// One digit per criterion, `'0'` = no answer.
    pub answers: String,
    pub submitted_at: DateTime<Utc>,
    /// Why it is kept out of the scores (`honeypot`, `too_fast`); `None`: it counts.
    pub exclusion: Option<String>,
}

/// Hands every response of a unit in a campaign to `each`, in id order; returns how
/// many were read.
pub async fn each_response(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    unit_id: i32,
    mut each: impl FnMut(ResponseRow),
) -> Result<u64, StorageError> {
    let mut after = i64::MIN;
    let mut read = 0;
    loop {
        type Row = (i64, i32, String, String, DateTime<Utc>, Option<String>);
        let rows: Vec<Row> = response::Entity::find()
            .select_only()
            .column(response::Column::Id)
            .column(response::Column::ServicePointId)
            .column(response::Column::Channel)
            .column(response::Column::Answers)
            .column(response::Column::SubmittedAt)
            .column(response::Column::Exclusion)
            .filter(response::Column::CampaignId.eq(campaign_id))
            .filter(response::Column::UnitId.eq(unit_id))
            .filter(response::Column::Id.gt(after))
            .order_by_asc(response::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let full = rows.len() as u64 == PAGE;
        for (id, service_point_id, channel, answers, submitted_at, exclusion) in rows {
            after = id;
            read += 1;
            each(ResponseRow {
                id,
                service_point_id,
                channel: Channel::parse(&channel),
                answers,
                submitted_at,
                exclusion,
            });
        }
        if !full {
            return Ok(read);
        }
    }
}

/// A citizen's comment with where and when it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentRow {
    pub id: i64,
    pub submitted_at: DateTime<Utc>,
    pub channel: String,
    pub service_point_id: i32,
    pub comment: String,
}

/// Hands every comment of a unit's responses in a campaign to `each`, newest first.
/// Flagged responses (bots) are left out: their text is not a citizen's.
pub async fn each_comment(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    unit_id: i32,
    mut each: impl FnMut(CommentRow),
) -> Result<(), StorageError> {
    let mut before: Option<(DateTime<Utc>, i64)> = None;
    loop {
        let mut query = response::Entity::find()
            .select_only()
            .column(response::Column::Id)
            .column(response::Column::SubmittedAt)
            .column(response::Column::Channel)
            .column(response::Column::ServicePointId)
            .column(response::Column::Comment)
            .filter(response::Column::CampaignId.eq(campaign_id))
            .filter(response::Column::UnitId.eq(unit_id))
            .filter(response::Column::Exclusion.is_null())
            .filter(response::Column::Comment.is_not_null())
            .filter(response::Column::Comment.ne(""));
        if let Some((at, id)) = before {
            // The next page by key: strictly older, or as old with a smaller id.
            query = query.filter(
                Condition::any()
                    .add(response::Column::SubmittedAt.lt(at))
                    .add(
                        Condition::all()
                            .add(response::Column::SubmittedAt.eq(at))
                            .add(response::Column::Id.lt(id)),
                    ),
            );
        }
        type Row = (i64, DateTime<Utc>, String, i32, Option<String>);
        let rows: Vec<Row> = query
            .order_by_desc(response::Column::SubmittedAt)
            .order_by_desc(response::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let full = rows.len() as u64 == PAGE;
        for (id, submitted_at, channel, service_point_id, comment) in rows {
            before = Some((submitted_at, id));
            each(CommentRow {
                id,
                submitted_at,
                channel,
                service_point_id,
                comment: comment.unwrap_or_default(),
            });
        }
        if !full {
            return Ok(());
        }
    }
}

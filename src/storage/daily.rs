//! Counted responses per unit up to a moment, for the daily digest: how many each unit
//! had at the end of a day and at the end of the day before.
//!
//! "Counted" is what the score book counts (the follower and `Statistics::add`): not
//! excluded (bots, too fast), by one of the channels the figures count, with at least
//! one answer, and of the questionnaire's length. The bounds are instants: the caller
//! turns a campaign's local day into them (`reports::digest::day_bounds`), so no SQL
//! date function or session time zone is involved and both backends agree.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::response;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use sipas_domain::campaign::Channels;

use super::StorageError;

/// Which responses count, as the campaign's figures count them.
#[derive(Debug, Clone, Copy)]
pub struct Counting {
    pub channels: Channels,
    /// The questionnaire's number of criteria: a row of another length is damage the
    /// score book leaves out, so it is left out here too.
    pub criteria: usize,
}

/// A unit's counted responses before `start` and before `end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitTally {
    pub before_start: u64,
    pub before_end: u64,
}

/// Each unit's counted responses submitted before `start` and before `end` (`start` ≤
/// `end`), for the units given (`None`: every unit). Units without any are absent.
pub async fn tallies(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    counting: Counting,
    units: Option<&HashSet<i32>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<HashMap<i32, UnitTally>, StorageError> {
    let channels: Vec<&str> = counting.channels.names();
    let mut condition = Condition::all()
        .add(response::Column::CampaignId.eq(campaign_id))
        .add(response::Column::Exclusion.is_null())
        .add(response::Column::Channel.is_in(channels))
        .add(response::Column::SubmittedAt.lt(end))
        // Answers are one digit per criterion, '0' = no answer: some digit is not '0'.
        .add(Expr::cust("REPLACE(answers, '0', '') <> ''"))
        .add(
            Expr::expr(Func::char_length(Expr::col(response::Column::Answers)))
                .eq(counting.criteria as i64),
        );
    if let Some(units) = units {
        condition = condition.add(response::Column::UnitId.is_in(units.iter().copied()));
    }
    let rows: Vec<(i32, Option<i64>, i64)> = response::Entity::find()
        .select_only()
        .column(response::Column::UnitId)
        .column_as(
            Expr::case(response::Column::SubmittedAt.lt(start), 1)
                .finally(0)
                .sum(),
            "before_start",
        )
        .column_as(response::Column::Id.count(), "before_end")
        .filter(condition)
        .group_by(response::Column::UnitId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(unit, before_start, before_end)| {
            (
                unit,
                UnitTally {
                    before_start: u64::try_from(before_start.unwrap_or(0)).unwrap_or(0),
                    before_end: u64::try_from(before_end).unwrap_or(0),
                },
            )
        })
        .collect())
}

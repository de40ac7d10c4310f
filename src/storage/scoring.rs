//! What the statistics need from storage: one pass over a campaign's counted answers,
//! and the PAR points per unit type.

use std::collections::HashMap;

use entity::{par_points, unit_type};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sipas_domain::campaign::Channel;

use super::{Storage, StorageError};

/// Counted responses of one stratum and channel, as the statistics read them.
pub struct CountedResponses<'a> {
    pub campaign_id: i32,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: Channel,
    /// Each response's answers (one digit per criterion, `'0'` = no answer),
    /// separated by commas.
    pub answers: &'a str,
}

/// Ids per block of a sequential scan: each block is grouped by stratum in the
/// database, so rows cross the driver a few hundred at a time, not one by one.
const SCAN_BLOCK: i64 = 100_000;

/// Which responses a scan reads.
#[derive(Debug, Clone, Copy)]
pub enum ResponseScan {
    /// One campaign's (through its index: for a campaign met after start).
    Campaign(i32),
    /// Every campaign's, with ids in `[from, to)`: a sequential read of the table,
    /// which several tasks can share out.
    Ids { from: i64, to: i64 },
}

impl Storage {
    /// The smallest and largest response id, if there is any response.
    pub async fn response_id_bounds(&self) -> Result<Option<(i64, i64)>, StorageError> {
        use sea_orm::QuerySelect;
        let bounds: Option<(Option<i64>, Option<i64>)> = entity::response::Entity::find()
            .select_only()
            .column_as(entity::response::Column::Id.min(), "min")
            .column_as(entity::response::Column::Id.max(), "max")
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(match bounds {
            Some((Some(min), Some(max))) => Some((min, max)),
            _ => None,
        })
    }

    /// Reads every counted response (not excluded as a bot) of the scan, grouped by
    /// stratum and channel, through `fold`, in no particular order (the statistics are
    /// sums). This is the one full read of responses (start-up and `sipas recompute`):
    /// the database concatenates each group's answers, so a block of 100,000
    /// responses crosses the driver as a few hundred rows.
    pub async fn fold_counted_responses(
        &self,
        scan: ResponseScan,
        mut fold: impl FnMut(CountedResponses<'_>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        use sea_orm::sqlx::{self, Row};
        let mut apply = |campaign_id: i32,
                         unit_id: i32,
                         service_point_id: i32,
                         channel: &str,
                         answers: &str| {
            let channel = Channel::parse(channel).ok_or_else(|| {
                StorageError::Invalid(format!("a response has unknown channel {channel:?}"))
            })?;
            fold(CountedResponses {
                campaign_id,
                unit_id,
                service_point_id,
                channel,
                answers,
            })
        };
        let sql_err = |e: sqlx::Error| StorageError::Unavailable(e.to_string());
        let postgres = self.backend() == sea_orm::DbBackend::Postgres;
        let (sql, blocks): (&str, Vec<(i64, Option<i64>)>) = match scan {
            ResponseScan::Campaign(id) => (
                if postgres {
                    CAMPAIGN_PG
                } else {
                    CAMPAIGN_SQLITE
                },
                vec![(i64::from(id), None)],
            ),
            ResponseScan::Ids { from, to } => (
                if postgres { IDS_PG } else { IDS_SQLITE },
                (from..to)
                    .step_by(SCAN_BLOCK as usize)
                    .map(|start| (start, Some((start + SCAN_BLOCK).min(to))))
                    .collect(),
            ),
        };
        macro_rules! stream {
            ($pool:expr) => {{
                for (first, second) in blocks {
                    let mut query = sqlx::query(sql).bind(first);
                    if let Some(second) = second {
                        query = query.bind(second);
                    }
                    let mut rows = query.fetch($pool);
                    while let Some(row) = rows.try_next().await.map_err(sql_err)? {
                        apply(
                            row.try_get(0).map_err(sql_err)?,
                            row.try_get(1).map_err(sql_err)?,
                            row.try_get(2).map_err(sql_err)?,
                            row.try_get(3).map_err(sql_err)?,
                            row.try_get(4).map_err(sql_err)?,
                        )?;
                    }
                }
            }};
        }
        if postgres {
            stream!(self.db.get_postgres_connection_pool())
        } else {
            stream!(self.db.get_sqlite_connection_pool())
        }
        Ok(())
    }

    /// Survey points per unit type code under a PAR scheme.
    pub async fn survey_points(&self, scheme: &str) -> Result<HashMap<String, f64>, StorageError> {
        let types: HashMap<i32, String> = unit_type::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.code))
            .collect();
        Ok(par_points::Entity::find()
            .filter(par_points::Column::Scheme.eq(scheme))
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|p| Some((types.get(&p.unit_type_id)?.clone(), p.survey_max_points)))
            .collect())
    }
}

const CAMPAIGN_SQLITE: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    group_concat(answers, ',') FROM responses WHERE campaign_id = ? AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";
const CAMPAIGN_PG: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    string_agg(answers, ',') FROM responses WHERE campaign_id = $1 AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";
const IDS_SQLITE: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    group_concat(answers, ',') FROM responses WHERE id >= ? AND id < ? AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";
const IDS_PG: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    string_agg(answers, ',') FROM responses WHERE id >= $1 AND id < $2 AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";

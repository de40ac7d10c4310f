//! What the statistics need from storage: one pass over a campaign's counted answers,
//! and the PAR points per unit type.

use std::collections::HashMap;

use entity::{par_points, unit_type};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sipas_domain::campaign::Channel;

use super::{Storage, StorageError};

/// One counted response as the statistics read it.
pub struct CountedResponse<'a> {
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: Channel,
    /// One digit per criterion, `'0'` = no answer.
    pub answers: &'a [u8],
}

impl Storage {
    /// Streams every response of a campaign that counts (not excluded as a bot)
    /// through `fold`, in no particular order (the statistics are sums). This is the
    /// one full scan of responses (start-up and `sipas recompute`), so it reads through
    /// sqlx directly, four columns, without building a model per row.
    pub async fn fold_counted_responses(
        &self,
        campaign_id: i32,
        mut fold: impl FnMut(CountedResponse<'_>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        use sea_orm::sqlx::{self, Row};
        let mut apply = |unit_id: i32, service_point_id: i32, channel: &str, answers: &str| {
            let channel = Channel::parse(channel).ok_or_else(|| {
                StorageError::Invalid(format!("a response has unknown channel {channel:?}"))
            })?;
            fold(CountedResponse { unit_id, service_point_id, channel, answers: answers.as_bytes() })
        };
        let sql_err = |e: sqlx::Error| StorageError::Unavailable(e.to_string());
        match self.backend() {
            sea_orm::DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                let sql = "SELECT unit_id, service_point_id, channel, answers FROM responses \
                           WHERE campaign_id = $1 AND exclusion IS NULL";
                let mut rows = sqlx::query(sql).bind(campaign_id).fetch(pool);
                while let Some(row) = rows.try_next().await.map_err(sql_err)? {
                    apply(row.try_get(0).map_err(sql_err)?, row.try_get(1).map_err(sql_err)?,
                          row.try_get(2).map_err(sql_err)?, row.try_get(3).map_err(sql_err)?)?;
                }
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                let sql = "SELECT unit_id, service_point_id, channel, answers FROM responses \
                           WHERE campaign_id = ? AND exclusion IS NULL";
                let mut rows = sqlx::query(sql).bind(campaign_id).fetch(pool);
                while let Some(row) = rows.try_next().await.map_err(sql_err)? {
                    apply(row.try_get(0).map_err(sql_err)?, row.try_get(1).map_err(sql_err)?,
                          row.try_get(2).map_err(sql_err)?, row.try_get(3).map_err(sql_err)?)?;
                }
            }
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

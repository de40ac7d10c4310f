//! What the statistics need from storage: one pass over a campaign's counted answers,
//! and the PAR points per unit type.

use std::collections::HashMap;

use entity::{par_points, response, unit_type};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sipas_domain::campaign::Channel;

use super::{Storage, StorageError};

/// One counted response as the statistics read it.
pub struct CountedResponse<'a> {
    pub id: i64,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: Channel,
    /// One digit per criterion, `'0'` = no answer.
    pub answers: &'a [u8],
}

impl Storage {
    /// Streams every response of a campaign that counts (not excluded as a bot), in id
    /// order, through `fold`. Only the columns the statistics need are read.
    pub async fn fold_counted_responses(
        &self,
        campaign_id: i32,
        mut fold: impl FnMut(CountedResponse<'_>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let mut rows = response::Entity::find()
            .select_only()
            .columns([
                response::Column::Id,
                response::Column::UnitId,
                response::Column::ServicePointId,
                response::Column::Channel,
                response::Column::Answers,
            ])
            .filter(response::Column::CampaignId.eq(campaign_id))
            .filter(response::Column::Exclusion.is_null())
            .order_by_asc(response::Column::Id)
            .into_tuple::<(i64, i32, i32, String, String)>()
            .stream(&self.db)
            .await?;
        while let Some((id, unit_id, service_point_id, channel, answers)) = rows.try_next().await? {
            let channel = Channel::parse(&channel).ok_or_else(|| {
                StorageError::Invalid(format!("response {id} has unknown channel {channel:?}"))
            })?;
            fold(CountedResponse {
                id,
                unit_id,
                service_point_id,
                channel,
                answers: answers.as_bytes(),
            })?;
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

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "quotas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub unit_id: i32,
    pub target: i64,
    pub overridden: bool,
    /// Why a manager overrode the computed quota (set while `overridden`).
    #[sea_orm(column_type = "Text", nullable)]
    pub override_reason: Option<String>,
    pub override_by: Option<String>,
    pub override_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub code: String,
    pub name: String,
    pub questionnaire_id: i32,
    pub starts_on: Date,
    pub ends_on: Date,
    pub confidence: f64,
    pub margin: f64,
    pub quota_method: String,
    pub status: String,
    pub count_unverified: bool,
    pub min_fill_seconds: i32,
    pub receipt_valid_days: i32,
    pub par_scheme: String,
    pub is_demo: bool,
    pub created_at: DateTimeUtc,
    /// Bumped with every change of settings, status, frame or quotas.
    pub revision: i64,
    /// The day its units are read on (its structure); `None`: its first day.
    pub units_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

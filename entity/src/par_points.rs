use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "par_points")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub scheme: String,
    pub unit_type_id: i32,
    pub criteria_max_points: f64,
    pub survey_max_points: f64,
    pub max_total: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

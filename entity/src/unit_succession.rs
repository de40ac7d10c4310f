use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_successions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub predecessor_id: i32,
    pub successor_id: i32,
    /// `whole` or `split`.
    pub relation: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaire_elements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub questionnaire_id: i32,
    pub position: i32,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name_vi: String,
    #[sea_orm(column_type = "Text")]
    pub name_en: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

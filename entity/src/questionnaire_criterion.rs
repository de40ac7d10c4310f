use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaire_criteria")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub questionnaire_id: i32,
    pub element_id: i32,
    pub position: i32,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub text_vi: String,
    #[sea_orm(column_type = "Text")]
    pub text_en: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A published snapshot: immutable (the database refuses UPDATE and DELETE).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub version: i32,
    /// The canonical JSON document, served verbatim.
    #[sea_orm(column_type = "Text")]
    pub document: String,
    /// SHA-256 of `document`'s bytes, hex.
    pub sha256: String,
    pub published_by: String,
    pub published_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

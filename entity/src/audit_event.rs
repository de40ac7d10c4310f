use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// The unit the change is about, when it is about one.
    pub unit_id: Option<i32>,
    /// The entry's place in the hash chain (1, 2, …): `sipas_domain::audit`.
    pub seq: Option<i64>,
    /// The hash of the entry before it.
    pub prev_hash: Option<String>,
    /// SHA-256 over `prev_hash` and this entry's fields.
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

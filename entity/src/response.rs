use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "responses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i32,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: String,
    pub verified: bool,
    pub language: String,
    pub answers: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub submitted_at: DateTimeUtc,
    pub exclusion: Option<String>,
    pub nonce: Option<String>,
    pub receipt_id: Option<i32>,
    pub client_hash: Option<String>,
    pub is_demo: bool,
    /// PostgreSQL: the storing transaction's id (set by the database).
    pub txid: Option<i64>,
    /// The serial number of a paper or interviewer form; unique per campaign.
    pub serial: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A conversation's side panel (F4.1): what the agents typed about the prospect, with a
//! version so two agents never overwrite each other silently.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_panel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: Uuid,
    pub company_id: Uuid,
    pub version: i32,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    pub expected_close_date: Option<TimeDate>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub updated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

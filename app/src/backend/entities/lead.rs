//! A CRM lead, usually made from a conversation.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub title: String,
    pub person_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub created_at: TimeDateTimeWithTimeZone,
    /// In the currency's minor units (cents; yen; fils), with its ISO 4217 code.
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    pub expected_close_date: Option<TimeDate>,
    pub source: String,
    pub page_url: Option<String>,
    /// The deal it was converted to, once converted.
    pub converted_deal_id: Option<Uuid>,
    /// Title, person's name and email, organization's name: lower case, one per line (the
    /// lists' search).
    pub search: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

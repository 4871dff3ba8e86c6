//! A customer company: everything else is scoped to one.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub created_at: TimeDateTimeWithTimeZone,
    /// ISO 3166 alpha-2: phone numbers typed without a country code are read in it.
    pub default_country: Option<String>,
    /// Notification kinds on for the company (F5.3).
    pub notify_new_conversation: bool,
    pub notify_assigned: bool,
    pub notify_message: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

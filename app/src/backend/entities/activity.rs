//! A CRM activity (a call to make, say), created by the offline flow (F1.8, F4.3).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub title: String,
    pub person_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub kind: String,
    pub due_date: TimeDate,
    /// The time of day it is due, when one was given.
    pub due_time: Option<TimeTime>,
    pub done: bool,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Title, person's name and email, organization's name: lower case, one per line (the
    /// lists' search).
    pub search: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

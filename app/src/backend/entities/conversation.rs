//! A conversation between a visitor, the chatbot and (maybe) an agent.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub playbook_id: Option<Uuid>,
    pub visitor_id: Uuid,
    pub state: String,
    pub assignee_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub page_url: Option<String>,
    pub wait_deadline: Option<TimeDateTimeWithTimeZone>,
    pub closed_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// The card waiting for the visitor's input, if any.
    pub flow_card: Option<String>,
    pub qualified: Option<bool>,
    /// The CRM item created from this conversation (activity, lead, deal) and when.
    pub crm_kind: Option<String>,
    pub crm_created_at: Option<TimeDateTimeWithTimeZone>,
    /// When nobody took it (its wait ended, or nobody was online): the offline flow ran.
    pub missed_at: Option<TimeDateTimeWithTimeZone>,
    /// The contact's lower-cased email and E.164 phone, as captured or typed in the side
    /// panel: how the panel finds the same person's other conversations.
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// The contact's name as typed in the side panel (the visitor is called by it first).
    pub contact_name: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

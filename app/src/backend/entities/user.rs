//! A person who signs in to Leadline: admin or regular, active or deactivated.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub can_manage_chatbot: bool,
    pub active: bool,
    pub created_at: TimeDateTimeWithTimeZone,
    /// Notification kinds this user keeps on (F5.3), and the sound of an unfocused tab.
    pub notify_new_conversation: bool,
    pub notify_assigned: bool,
    pub notify_message: bool,
    pub notify_sound: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

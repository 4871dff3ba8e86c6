//! A chatbot playbook: settings as columns, the flow in `card` rows.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub company_id: Uuid,
    pub key: String,
    pub name: String,
    pub active: bool,
    pub bot_name: String,
    pub avatar: Option<Uuid>,
    pub accent_color: String,
    /// JSON list of targeting rules.
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub delay_seconds: i32,
    /// JSON list of allowed origins.
    #[sea_orm(column_type = "Text")]
    pub allowed_sites: String,
    pub version: i64,
    pub last_loaded_at: Option<TimeDateTimeWithTimeZone>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_loaded_url: Option<String>,
    /// The last site not on the allow-list that loaded the widget, and when.
    #[sea_orm(column_type = "Text", nullable)]
    pub blocked_origin: Option<String>,
    pub blocked_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

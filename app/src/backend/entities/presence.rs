//! A user's "Online" toggle and inbox lease.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "presence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub company_id: Uuid,
    pub online: bool,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    /// Until when one of the user's inbox tabs is in front (renewed while it is): no Web
    /// Push then, the tab already showed the notification.
    pub focused_until: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

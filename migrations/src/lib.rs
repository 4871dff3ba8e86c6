//! Database migrations for Leadline, runnable on SQLite and PostgreSQL alike.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_chatbot;
mod m20261125_000003_conversations;
mod m20261125_000004_presence;
mod m20261125_000005_crm;
mod m20261125_000006_inbox_index;
mod m20261126_000007_missed;
pub mod m20261126_000008_event_order;
mod m20261126_000009_crm_lists;
mod m20261127_000010_activity_time;
mod m20261127_000011_notifications;
mod m20261127_000012_crm_search;
mod m20261127_000013_crm_trigrams;
mod m20261127_000014_contact_name;
mod m20261207_000015_contact_name_backfill;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_chatbot::Migration),
            Box::new(m20261125_000003_conversations::Migration),
            Box::new(m20261125_000004_presence::Migration),
            Box::new(m20261125_000005_crm::Migration),
            Box::new(m20261125_000006_inbox_index::Migration),
            Box::new(m20261126_000007_missed::Migration),
            Box::new(m20261126_000008_event_order::Migration),
            Box::new(m20261126_000009_crm_lists::Migration),
            Box::new(m20261127_000010_activity_time::Migration),
            Box::new(m20261127_000011_notifications::Migration),
            Box::new(m20261127_000012_crm_search::Migration),
            Box::new(m20261127_000013_crm_trigrams::Migration),
            Box::new(m20261127_000014_contact_name::Migration),
            Box::new(m20261207_000015_contact_name_backfill::Migration),
        ]
    }
}

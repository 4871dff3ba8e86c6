//! Fills the conversation's `contact_name` (m20261127_000014) from the names already typed
//! in side panels: an upgraded database calls its visitors by them too, as a new one does.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE conversation SET contact_name = (
                     SELECT TRIM(p.name) FROM conversation_panel p
                     WHERE p.conversation_id = conversation.id
                 )
                 WHERE contact_name IS NULL AND EXISTS (
                     SELECT 1 FROM conversation_panel p
                     WHERE p.conversation_id = conversation.id
                       AND p.name IS NOT NULL AND TRIM(p.name) <> ''
                 )",
            )
            .await?;
        Ok(())
    }

    /// Nothing to undo: the names stay where m20261127_000014 keeps them.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

//! Folder lists read a company's conversations of some states (or a user's assigned ones),
//! newest first by id (a time-ordered UUID), 50 at a time: these indexes serve that without
//! sorting, however many conversations there are (F3, B5).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversation {
    Table,
    Id,
    CompanyId,
    State,
    AssigneeId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("conversation_folder")
                    .table(Conversation::Table)
                    .col(Conversation::CompanyId)
                    .col(Conversation::State)
                    .col(Conversation::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversation_assignee")
                    .table(Conversation::Table)
                    .col(Conversation::AssigneeId)
                    .col(Conversation::State)
                    .col(Conversation::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["conversation_folder", "conversation_assignee"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Conversation::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

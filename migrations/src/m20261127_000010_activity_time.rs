//! Activities added from the side panel (F4.3) have a due time as well as a due date. A
//! conversation keeps the contact's email and E.164 phone (captured by the playbook or typed
//! in the side panel), so the panel can list the same person's other conversations.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activity {
    Table,
    DueTime,
    ConversationId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversation {
    Table,
    CompanyId,
    ContactEmail,
    ContactPhone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .add_column(ColumnDef::new(Activity::DueTime).time().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("activity_conversation")
                    .table(Activity::Table)
                    .col(Activity::ConversationId)
                    .to_owned(),
            )
            .await?;
        for (column, name) in [
            (Conversation::ContactEmail, "conversation_contact_email"),
            (Conversation::ContactPhone, "conversation_contact_phone"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversation::Table)
                        .add_column(ColumnDef::new(column).string().null())
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Conversation::Table)
                        .col(Conversation::CompanyId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, name) in [
            (Conversation::ContactEmail, "conversation_contact_email"),
            (Conversation::ContactPhone, "conversation_contact_phone"),
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Conversation::Table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversation::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("activity_conversation")
                    .table(Activity::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .drop_column(Activity::DueTime)
                    .to_owned(),
            )
            .await
    }
}

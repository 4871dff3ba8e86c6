//! Visitors, conversations, their messages, and the event outbox (F2, F3, R1).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Playbook {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Visitor {
    Table,
    Id,
    CompanyId,
    /// The token the widget frame keeps; a visitor proves who they are with it.
    Token,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Conversation {
    Table,
    Id,
    CompanyId,
    PlaybookId,
    VisitorId,
    /// bot, waiting, assigned, unassigned, offline, closed.
    State,
    AssigneeId,
    PageUrl,
    WaitDeadline,
    ClosedAt,
    /// JSON object of answers and captured details.
    Answers,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Message {
    Table,
    Id,
    ConversationId,
    Seq,
    /// bot, visitor, agent, system.
    AuthorKind,
    AuthorId,
    Body,
    ClientId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    CompanyId,
    ConversationId,
    Kind,
    Payload,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Visitor::Table)
                    .col(ColumnDef::new(Visitor::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Visitor::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Visitor::Token).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Visitor::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Visitor::Table, Visitor::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("visitor_token_unique")
                    .table(Visitor::Table)
                    .col(Visitor::Token)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Conversation::Table)
                    .col(
                        ColumnDef::new(Conversation::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Conversation::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Conversation::PlaybookId).uuid().null())
                    .col(ColumnDef::new(Conversation::VisitorId).uuid().not_null())
                    .col(
                        ColumnDef::new(Conversation::State)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Conversation::AssigneeId).uuid().null())
                    .col(ColumnDef::new(Conversation::PageUrl).text().null())
                    .col(
                        ColumnDef::new(Conversation::WaitDeadline)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Conversation::ClosedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Conversation::Answers).text().not_null())
                    .col(
                        ColumnDef::new(Conversation::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Conversation::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversation::Table, Conversation::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversation::Table, Conversation::PlaybookId)
                            .to(Playbook::Table, Playbook::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversation::Table, Conversation::VisitorId)
                            .to(Visitor::Table, Visitor::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversation::Table, Conversation::AssigneeId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "conversation_company_state",
                vec![
                    Conversation::CompanyId,
                    Conversation::State,
                    Conversation::UpdatedAt,
                ],
            ),
            (
                "conversation_waiting_deadline",
                vec![Conversation::State, Conversation::WaitDeadline],
            ),
            ("conversation_visitor", vec![Conversation::VisitorId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Conversation::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Message::Table)
                    .col(ColumnDef::new(Message::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Message::ConversationId).uuid().not_null())
                    .col(ColumnDef::new(Message::Seq).integer().not_null())
                    .col(
                        ColumnDef::new(Message::AuthorKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Message::AuthorId).uuid().null())
                    .col(ColumnDef::new(Message::Body).text().not_null())
                    .col(ColumnDef::new(Message::ClientId).string_len(64).null())
                    .col(
                        ColumnDef::new(Message::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Message::Table, Message::ConversationId)
                            .to(Conversation::Table, Conversation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("message_conversation_seq")
                    .table(Message::Table)
                    .col(Message::ConversationId)
                    .col(Message::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A retried send carries the same client id and is stored once (R1).
        manager
            .create_index(
                Index::create()
                    .name("message_conversation_client_id")
                    .table(Message::Table)
                    .col(Message::ConversationId)
                    .col(Message::ClientId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(
                        ColumnDef::new(Event::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Event::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Event::ConversationId).uuid().null())
                    .col(ColumnDef::new(Event::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Event::Payload).text().not_null())
                    .col(
                        ColumnDef::new(Event::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_company_id")
                    .table(Event::Table)
                    .col(Event::CompanyId)
                    .col(Event::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_conversation_id")
                    .table(Event::Table)
                    .col(Event::ConversationId)
                    .col(Event::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Event::Table.into_iden(),
            Message::Table.into_iden(),
            Conversation::Table.into_iden(),
            Visitor::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! A missed conversation stays answerable (F2.3): it is marked with the time it was missed
//! instead of being closed, and conversations that went "offline" before become missed. The
//! widget's loader reports a page on a site that is not allowed: the playbook keeps the last
//! such origin and when, for the editor to show.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversation {
    Table,
    State,
    MissedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Playbook {
    Table,
    BlockedOrigin,
    BlockedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Conversation::Table)
                    .add_column(
                        ColumnDef::new(Conversation::MissedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Conversation::Table)
                    .value(Conversation::State, "missed")
                    .value(Conversation::MissedAt, Expr::col(Conversation::UpdatedAt))
                    .and_where(Expr::col(Conversation::State).eq("offline"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Playbook::Table)
                    .add_column(ColumnDef::new(Playbook::BlockedOrigin).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Playbook::Table)
                    .add_column(
                        ColumnDef::new(Playbook::BlockedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::update()
                    .table(Conversation::Table)
                    .value(Conversation::State, "offline")
                    .and_where(Expr::col(Conversation::State).eq("missed"))
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                Conversation::Table.into_iden(),
                Conversation::MissedAt.into_iden(),
            ),
            (
                Playbook::Table.into_iden(),
                Playbook::BlockedOrigin.into_iden(),
            ),
            (Playbook::Table.into_iden(), Playbook::BlockedAt.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Presence: a user's "Online" toggle and the lease their open inbox renews (F3.1).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Presence {
    Table,
    UserId,
    CompanyId,
    /// The "Online" toggle; survives reloads.
    Online,
    /// Until when the user's inbox connection counts as live (renewed by heartbeat).
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Presence::Table)
                    .col(
                        ColumnDef::new(Presence::UserId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Presence::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Presence::Online).boolean().not_null())
                    .col(
                        ColumnDef::new(Presence::LeaseUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Presence::Table, Presence::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("presence_company")
                    .table(Presence::Table)
                    .col(Presence::CompanyId)
                    .col(Presence::Online)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Presence::Table).to_owned())
            .await
    }
}

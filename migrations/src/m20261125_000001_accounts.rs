//! Companies, users and their server-side sessions (F6).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row at most (id = 1): inserting it is what "set up" means, so two
/// concurrent setups cannot both succeed.
#[derive(DeriveIden)]
enum Installation {
    Table,
    Id,
    CompanyId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    CompanyId,
    Email,
    Name,
    PasswordHash,
    Role,
    CanManageChatbot,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Company::Table)
                    .col(ColumnDef::new(Company::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Company::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(Company::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Installation::Table)
                    .col(
                        ColumnDef::new(Installation::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Installation::CompanyId).uuid().not_null())
                    .col(
                        ColumnDef::new(Installation::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Installation::Table, Installation::CompanyId)
                            .to(Company::Table, Company::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(User::Table)
                    .col(ColumnDef::new(User::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(User::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(User::Email).string_len(254).not_null())
                    .col(ColumnDef::new(User::Name).string_len(100).not_null())
                    .col(ColumnDef::new(User::PasswordHash).string().not_null())
                    .col(ColumnDef::new(User::Role).string_len(16).not_null())
                    .col(ColumnDef::new(User::CanManageChatbot).boolean().not_null())
                    .col(ColumnDef::new(User::Active).boolean().not_null())
                    .col(
                        ColumnDef::new(User::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(User::Table, User::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Login is by email alone, so an email names one user across companies.
        manager
            .create_index(
                Index::create()
                    .name("user_email_unique")
                    .table(User::Table)
                    .col(User::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_company")
                    .table(User::Table)
                    .col(User::CompanyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    .col(
                        ColumnDef::new(Session::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Session::UserId).uuid().null())
                    .col(ColumnDef::new(Session::Data).text().not_null())
                    .col(
                        ColumnDef::new(Session::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Session::Table, Session::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("session_user")
                    .table(Session::Table)
                    .col(Session::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("session_expires")
                    .table(Session::Table)
                    .col(Session::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Session::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(User::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Installation::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Company::Table).to_owned())
            .await
    }
}

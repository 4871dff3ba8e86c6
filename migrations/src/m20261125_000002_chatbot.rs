//! Chatbot playbooks, their cards, and uploaded images (F1).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Playbook {
    Table,
    Id,
    CompanyId,
    /// The public key in the embed snippet (random, not guessable).
    Key,
    Name,
    Active,
    BotName,
    Avatar,
    AccentColor,
    Rules,
    DelaySeconds,
    AllowedSites,
    /// Bumped by every save: an editor saving an older version gets a conflict.
    Version,
    LastLoadedAt,
    LastLoadedUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Card {
    Table,
    PlaybookId,
    Position,
    CardId,
    Audience,
    Kind,
    Settings,
}

#[derive(DeriveIden)]
enum Upload {
    Table,
    Id,
    CompanyId,
    ContentType,
    Bytes,
    Size,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Playbook::Table)
                    .col(ColumnDef::new(Playbook::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Playbook::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Playbook::Key).string_len(32).not_null())
                    .col(ColumnDef::new(Playbook::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Playbook::Active).boolean().not_null())
                    .col(ColumnDef::new(Playbook::BotName).string_len(100).not_null())
                    .col(ColumnDef::new(Playbook::Avatar).uuid().null())
                    .col(
                        ColumnDef::new(Playbook::AccentColor)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Playbook::Rules).text().not_null())
                    .col(ColumnDef::new(Playbook::DelaySeconds).integer().not_null())
                    .col(ColumnDef::new(Playbook::AllowedSites).text().not_null())
                    .col(ColumnDef::new(Playbook::Version).big_integer().not_null())
                    .col(
                        ColumnDef::new(Playbook::LastLoadedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Playbook::LastLoadedUrl).text().null())
                    .col(
                        ColumnDef::new(Playbook::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Playbook::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Playbook::Table, Playbook::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("playbook_key_unique")
                    .table(Playbook::Table)
                    .col(Playbook::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("playbook_company")
                    .table(Playbook::Table)
                    .col(Playbook::CompanyId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Card::Table)
                    .col(ColumnDef::new(Card::PlaybookId).uuid().not_null())
                    .col(ColumnDef::new(Card::Position).integer().not_null())
                    .col(ColumnDef::new(Card::CardId).string_len(64).not_null())
                    .col(ColumnDef::new(Card::Audience).string_len(16).not_null())
                    .col(ColumnDef::new(Card::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Card::Settings).text().not_null())
                    .primary_key(Index::create().col(Card::PlaybookId).col(Card::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Card::Table, Card::PlaybookId)
                            .to(Playbook::Table, Playbook::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Upload::Table)
                    .col(ColumnDef::new(Upload::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Upload::CompanyId).uuid().not_null())
                    .col(
                        ColumnDef::new(Upload::ContentType)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Upload::Bytes).blob().not_null())
                    .col(ColumnDef::new(Upload::Size).integer().not_null())
                    .col(
                        ColumnDef::new(Upload::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Upload::Table, Upload::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Card::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Playbook::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Upload::Table).to_owned())
            .await
    }
}

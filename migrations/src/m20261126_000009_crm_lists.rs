//! The side panel and the CRM pages (F4): a lead has a value, a close date, its source and
//! page, and may be converted to a deal; a deal has a status; a conversation has at most one
//! lead and one deal. Money is integer minor units with an ISO 4217 code (`value_minor`,
//! `currency`). The lists are read 50 at a time, newest or most valuable first, for one
//! company, optionally one owner. A conversation's side panel is a row of its own with a
//! version (two agents never overwrite each other silently); organizations are matched by a
//! normalized name; phone numbers are read in the company's default country.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Lead {
    Table,
    CompanyId,
    OwnerId,
    CreatedAt,
    Id,
    ValueMinor,
    Currency,
    ExpectedCloseDate,
    Source,
    PageUrl,
    ConvertedDealId,
    ConversationId,
}

#[derive(DeriveIden)]
enum Deal {
    Table,
    ValueCents,
    ValueMinor,
    Status,
    Source,
    PageUrl,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    CompanyId,
    Name,
    NameKey,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    DefaultCountry,
}

#[derive(DeriveIden)]
enum ConversationPanel {
    Table,
    ConversationId,
    CompanyId,
    Version,
    Name,
    Email,
    Phone,
    Organization,
    Address,
    ValueMinor,
    Currency,
    ExpectedCloseDate,
    Notes,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Conversation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    CompanyId,
    OwnerId,
    DueDate,
    Id,
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for c in columns {
        index.col(c);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::ValueMinor)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::Currency).string().null().to_owned(),
        )
        .await?;
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::ExpectedCloseDate)
                .date()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::Source)
                .string()
                .not_null()
                .default("Live Chat")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::PageUrl).text().null().to_owned(),
        )
        .await?;
        add(
            manager,
            Lead::Table,
            ColumnDef::new(Lead::ConvertedDealId)
                .uuid()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Deal::Table)
                    .rename_column(Deal::ValueCents, Deal::ValueMinor)
                    .to_owned(),
            )
            .await?;
        add(
            manager,
            Deal::Table,
            ColumnDef::new(Deal::Status)
                .string()
                .not_null()
                .default("open")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Deal::Table,
            ColumnDef::new(Deal::Source)
                .string()
                .not_null()
                .default("Live Chat")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Deal::Table,
            ColumnDef::new(Deal::PageUrl).text().null().to_owned(),
        )
        .await?;
        // Newest first, most valuable first, and one owner's newest first: each page of 50 is
        // read in index order.
        for (table, prefix, value) in [
            (
                Lead::Table.into_iden(),
                "lead",
                Lead::ValueMinor.into_iden(),
            ),
            (
                Deal::Table.into_iden(),
                "deal",
                Deal::ValueMinor.into_iden(),
            ),
        ] {
            // Both tables name these columns alike.
            let (company, owner, created, id) = (
                Lead::CompanyId.into_iden(),
                Lead::OwnerId.into_iden(),
                Lead::CreatedAt.into_iden(),
                Lead::Id.into_iden(),
            );
            index(
                manager,
                &format!("idx_{prefix}_company_created"),
                table.clone(),
                vec![company.clone(), created.clone(), id.clone()],
            )
            .await?;
            index(
                manager,
                &format!("idx_{prefix}_company_value"),
                table.clone(),
                vec![company.clone(), value, id.clone()],
            )
            .await?;
            index(
                manager,
                &format!("idx_{prefix}_company_owner_created"),
                table,
                vec![company, owner, created, id],
            )
            .await?;
        }
        index(
            manager,
            "idx_activity_company_due",
            Activity::Table,
            vec![
                Activity::CompanyId.into_iden(),
                Activity::DueDate.into_iden(),
                Activity::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "idx_activity_company_owner_due",
            Activity::Table,
            vec![
                Activity::CompanyId.into_iden(),
                Activity::OwnerId.into_iden(),
                Activity::DueDate.into_iden(),
                Activity::Id.into_iden(),
            ],
        )
        .await?;
        // One lead and one deal per conversation: a retried "Create lead" finds the first.
        for (table, name) in [
            (Lead::Table.into_iden(), "idx_lead_conversation_unique"),
            (Deal::Table.into_iden(), "idx_deal_conversation_unique"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(Lead::ConversationId)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        add(
            manager,
            Organization::Table,
            ColumnDef::new(Organization::NameKey)
                .string()
                .null()
                .to_owned(),
        )
        .await?;
        // Existing names get an approximate key (lower case, trimmed); new ones the exact
        // normalized form (NFKC, lower case, single spaces), written by the application.
        manager
            .exec_stmt(
                Query::update()
                    .table(Organization::Table)
                    .value(
                        Organization::NameKey,
                        Func::lower(Func::cust("TRIM").arg(Expr::col(Organization::Name))),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_organization_company_key",
            Organization::Table,
            vec![
                Organization::CompanyId.into_iden(),
                Organization::NameKey.into_iden(),
            ],
        )
        .await?;
        add(
            manager,
            Company::Table,
            ColumnDef::new(Company::DefaultCountry)
                .string()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationPanel::Table)
                    .col(
                        ColumnDef::new(ConversationPanel::ConversationId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ConversationPanel::CompanyId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConversationPanel::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ConversationPanel::Name).string().null())
                    .col(ColumnDef::new(ConversationPanel::Email).string().null())
                    .col(ColumnDef::new(ConversationPanel::Phone).string().null())
                    .col(
                        ColumnDef::new(ConversationPanel::Organization)
                            .string()
                            .null(),
                    )
                    .col(ColumnDef::new(ConversationPanel::Address).text().null())
                    .col(
                        ColumnDef::new(ConversationPanel::ValueMinor)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(ConversationPanel::Currency).string().null())
                    .col(
                        ColumnDef::new(ConversationPanel::ExpectedCloseDate)
                            .date()
                            .null(),
                    )
                    .col(ColumnDef::new(ConversationPanel::Notes).text().null())
                    .col(
                        ColumnDef::new(ConversationPanel::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ConversationPanel::UpdatedBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationPanel::Table, ConversationPanel::ConversationId)
                            .to(Conversation::Table, Conversation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "the CRM list columns are not removed (data would be lost)".into(),
        ))
    }
}

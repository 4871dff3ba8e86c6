//! Notifications (F5): each of the three kinds can be switched off for the whole company, and
//! each user can switch them off for themselves and choose a sound. Web Push: each browser's
//! push subscription, the server's VAPID key (made on first start), one lease so that one
//! server of several sends the pushes, and when a user's inbox tab is in front (no push then).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Company {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum User {
    Table,
    NotifySound,
}

/// The switch columns, as both tables name them.
#[derive(DeriveIden, Clone, Copy)]
#[allow(clippy::enum_variant_names)]
enum Switch {
    NotifyNewConversation,
    NotifyAssigned,
    NotifyMessage,
}

#[derive(DeriveIden)]
enum PushSubscription {
    Table,
    Id,
    CompanyId,
    UserId,
    Endpoint,
    P256dh,
    Auth,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServerKey {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Lease {
    Table,
    Name,
    Holder,
    Until,
}

#[derive(DeriveIden)]
enum Presence {
    Table,
    FocusedUntil,
}

const SWITCHES: [Switch; 3] = [
    Switch::NotifyNewConversation,
    Switch::NotifyAssigned,
    Switch::NotifyMessage,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_switches(manager, Company::Table).await?;
        add_switches(manager, User::Table).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(User::Table)
                    .add_column(
                        ColumnDef::new(User::NotifySound)
                            .string()
                            .not_null()
                            .default("none"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PushSubscription::Table)
                    .col(
                        ColumnDef::new(PushSubscription::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PushSubscription::CompanyId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PushSubscription::UserId).uuid().not_null())
                    .col(ColumnDef::new(PushSubscription::Endpoint).text().not_null())
                    .col(ColumnDef::new(PushSubscription::P256dh).string().not_null())
                    .col(ColumnDef::new(PushSubscription::Auth).string().not_null())
                    .col(
                        ColumnDef::new(PushSubscription::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_subscription_endpoint")
                    .table(PushSubscription::Table)
                    .col(PushSubscription::Endpoint)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("push_subscription_company_user")
                    .table(PushSubscription::Table)
                    .col(PushSubscription::CompanyId)
                    .col(PushSubscription::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerKey::Table)
                    .col(
                        ColumnDef::new(ServerKey::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServerKey::Value).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Lease::Table)
                    .col(
                        ColumnDef::new(Lease::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Lease::Holder).string().not_null())
                    .col(
                        ColumnDef::new(Lease::Until)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Presence::Table)
                    .add_column(
                        ColumnDef::new(Presence::FocusedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Presence::Table)
                    .drop_column(Presence::FocusedUntil)
                    .to_owned(),
            )
            .await?;
        for drop in [
            Table::drop().table(PushSubscription::Table).to_owned(),
            Table::drop().table(ServerKey::Table).to_owned(),
            Table::drop().table(Lease::Table).to_owned(),
        ] {
            manager.drop_table(drop).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(User::Table)
                    .drop_column(User::NotifySound)
                    .to_owned(),
            )
            .await?;
        for s in SWITCHES {
            for alter in [
                Table::alter()
                    .table(Company::Table)
                    .drop_column(s)
                    .to_owned(),
                Table::alter().table(User::Table).drop_column(s).to_owned(),
            ] {
                manager.alter_table(alter).await?;
            }
        }
        Ok(())
    }
}

/// The three switches, on by default (SQLite adds one column per ALTER TABLE).
async fn add_switches<T: Iden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
) -> Result<(), DbErr> {
    for s in SWITCHES {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(ColumnDef::new(s).boolean().not_null().default(true))
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

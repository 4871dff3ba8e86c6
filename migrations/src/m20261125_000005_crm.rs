//! The CRM the offline flow and the inbox create items in (F1.8, F4): organizations, people,
//! leads, deals and activities; and the conversation's place in its playbook's flow.
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
}

#[derive(DeriveIden)]
enum Conversation {
    Table,
    /// The card waiting for the visitor's input (a question, a capture …), if any.
    FlowCard,
    /// Set by a Qualification card or the offline flow; picks the cards of a branch.
    Qualified,
    /// Which CRM item the conversation created (activity, lead, deal) and when (F3.6).
    CrmKind,
    CrmCreatedAt,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
    CompanyId,
    Name,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    CompanyId,
    Name,
    Email,
    Phone,
    OrganizationId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Lead {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deal {
    Table,
    ValueCents,
    Currency,
    ExpectedCloseDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum Activity {
    Table,
    Kind,
    DueDate,
    Done,
}

/// Columns every CRM item has.
#[derive(DeriveIden)]
enum Item {
    Id,
    CompanyId,
    Title,
    PersonId,
    OrganizationId,
    ConversationId,
    OwnerId,
    CreatedAt,
}

fn fk(
    table: impl IntoIden + Clone,
    col: Item,
    to: impl IntoIden,
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(to, Alias::new("id"))
        .on_delete(action)
        .to_owned()
}

/// A CRM item table (lead, deal, activity) with the shared columns, plus `extra`.
fn item_table(
    table: impl IntoIden + Clone + 'static,
    extra: Vec<ColumnDef>,
) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(table.clone())
        .col(ColumnDef::new(Item::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Item::CompanyId).uuid().not_null())
        .col(ColumnDef::new(Item::Title).string_len(200).not_null())
        .col(ColumnDef::new(Item::PersonId).uuid().null())
        .col(ColumnDef::new(Item::OrganizationId).uuid().null())
        .col(ColumnDef::new(Item::ConversationId).uuid().null())
        .col(ColumnDef::new(Item::OwnerId).uuid().null());
    for mut c in extra {
        t.col(&mut c);
    }
    t.col(
        ColumnDef::new(Item::CreatedAt)
            .timestamp_with_time_zone()
            .not_null(),
    )
    .foreign_key(&mut fk(
        table.clone(),
        Item::CompanyId,
        Company::Table,
        ForeignKeyAction::Cascade,
    ))
    .foreign_key(&mut fk(
        table.clone(),
        Item::PersonId,
        Person::Table,
        ForeignKeyAction::SetNull,
    ))
    .foreign_key(&mut fk(
        table.clone(),
        Item::OrganizationId,
        Organization::Table,
        ForeignKeyAction::SetNull,
    ))
    .foreign_key(&mut fk(
        table.clone(),
        Item::ConversationId,
        Conversation::Table,
        ForeignKeyAction::SetNull,
    ))
    .foreign_key(&mut fk(
        table,
        Item::OwnerId,
        User::Table,
        ForeignKeyAction::SetNull,
    ));
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Conversation::FlowCard)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Conversation::Qualified)
                .boolean()
                .null()
                .to_owned(),
            ColumnDef::new(Conversation::CrmKind)
                .string_len(16)
                .null()
                .to_owned(),
            ColumnDef::new(Conversation::CrmCreatedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversation::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(
                        ColumnDef::new(Organization::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Organization::CompanyId).uuid().not_null())
                    .col(
                        ColumnDef::new(Organization::Name)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Organization::Address).text().null())
                    .col(
                        ColumnDef::new(Organization::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organization::Table, Organization::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An organization is reused by name within a company.
        manager
            .create_index(
                Index::create()
                    .name("organization_company_name")
                    .table(Organization::Table)
                    .col(Organization::CompanyId)
                    .col(Organization::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(ColumnDef::new(Person::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Person::CompanyId).uuid().not_null())
                    .col(ColumnDef::new(Person::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Person::Email).string_len(254).null())
                    .col(ColumnDef::new(Person::Phone).string_len(40).null())
                    .col(ColumnDef::new(Person::OrganizationId).uuid().null())
                    .col(
                        ColumnDef::new(Person::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::CompanyId)
                            .to(Company::Table, Company::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Person::Table, Person::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A person is reused by email within a company.
        manager
            .create_index(
                Index::create()
                    .name("person_company_email")
                    .table(Person::Table)
                    .col(Person::CompanyId)
                    .col(Person::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(item_table(Lead::Table, vec![]))
            .await?;
        manager
            .create_table(item_table(
                Deal::Table,
                vec![
                    ColumnDef::new(Deal::ValueCents)
                        .big_integer()
                        .null()
                        .to_owned(),
                    ColumnDef::new(Deal::Currency)
                        .string_len(3)
                        .null()
                        .to_owned(),
                    ColumnDef::new(Deal::ExpectedCloseDate)
                        .date()
                        .null()
                        .to_owned(),
                ],
            ))
            .await?;
        manager
            .create_table(item_table(
                Activity::Table,
                vec![
                    ColumnDef::new(Activity::Kind)
                        .string_len(16)
                        .not_null()
                        .to_owned(),
                    ColumnDef::new(Activity::DueDate)
                        .date()
                        .not_null()
                        .to_owned(),
                    ColumnDef::new(Activity::Done)
                        .boolean()
                        .not_null()
                        .default(false)
                        .to_owned(),
                ],
            ))
            .await?;
        for (name, table) in [
            ("lead_company_created", Alias::new("lead")),
            ("deal_company_created", Alias::new("deal")),
            ("activity_company_created", Alias::new("activity")),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(Item::CompanyId)
                        .col(Item::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["activity", "deal", "lead", "person", "organization"] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        for c in [
            Conversation::FlowCard,
            Conversation::Qualified,
            Conversation::CrmKind,
            Conversation::CrmCreatedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversation::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

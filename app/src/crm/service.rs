//! Creating CRM items from a conversation (a person reused by email, an organization reused
//! by name, and the lead, deal or activity linked to the conversation — at most once each),
//! and the Leads, Deals and Activities lists (F4.3).
use super::{
    activity_kind_label, fields, money, people, CrmKind, CrmPage, CrmRow, MAX_SEARCH_CHARS,
    PAGE_SIZE,
};
use crate::backend::actor::Actor;
use crate::backend::entities::{activity, conversation, deal, lead, organization, person, user};
use crate::backend::rfc3339;
use crate::chatbot::model::CrmItem;
use crate::error::AppError;
use sea_orm::sea_query::{ExprTrait, LikeExpr, NullOrdering, Order};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Contact details captured on a conversation (keys of its answers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organization: Option<String>,
}

impl Captured {
    pub fn from_answers(answers: &str) -> Self {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(answers).unwrap_or_default();
        let get = |k: &str| {
            map.get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Self {
            name: get("name"),
            email: get("email").map(|e| e.to_lowercase()),
            phone: get("phone"),
            organization: get("organization"),
        }
    }

    /// How the prospect is called in titles.
    fn who(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .or_else(|| self.phone.clone())
            .unwrap_or_else(|| "a website visitor".into())
    }
}

/// The chatbot's captured details as `people` reads them: the email parsed, the phone in
/// E.164 when it reads as a number of the company's country (else kept as typed).
async fn captured_contact(
    db: &impl sea_orm::ConnectionTrait,
    company_id: Uuid,
    who: &Captured,
) -> Result<people::Contact, AppError> {
    let phone = match &who.phone {
        Some(raw) => {
            let country = crate::backend::entities::company::Entity::find_by_id(company_id)
                .one(db)
                .await?
                .and_then(|c| c.default_country);
            people::PhoneNumber::parse(raw, country.as_deref())
                .ok()
                .flatten()
        }
        None => None,
    };
    Ok(people::Contact {
        name: who.name.clone(),
        email: who
            .email
            .as_deref()
            .and_then(|e| crate::domain::EmailAddress::parse(e).ok()),
        phone_as_typed: if phone.is_none() {
            who.phone.clone()
        } else {
            None
        },
        phone,
    })
}

/// The contact's email (lower-cased) and E.164 phone (read in the company's default country)
/// from a conversation's answers; None for what is missing or does not parse.
pub async fn contact_of(
    db: &impl sea_orm::ConnectionTrait,
    company_id: Uuid,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Result<(Option<String>, Option<String>), AppError> {
    let get = |k: &str| answers.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let email = fields::email(get("email")).ok().flatten();
    let raw_phone = get("phone");
    let phone = if raw_phone.trim().is_empty() {
        None
    } else {
        let country = crate::backend::entities::company::Entity::find_by_id(company_id)
            .one(db)
            .await?
            .and_then(|c| c.default_country);
        fields::phone(raw_phone, country.as_deref()).ok().flatten()
    };
    Ok((email, phone))
}

/// What the lists' search reads for an item (the `search` column): its title, its person's
/// name and email and its organization's name, lower case, one per line. Written when the
/// item is made: names and emails do not change afterwards.
pub async fn search_text(
    txn: &impl sea_orm::ConnectionTrait,
    title: &str,
    person_id: Option<Uuid>,
    organization_id: Option<Uuid>,
) -> Result<String, AppError> {
    let person = match person_id {
        Some(id) => person::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let organization = match organization_id {
        Some(id) => organization::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let lines = [
        title,
        person.as_ref().map_or("", |p| p.name.as_str()),
        person
            .as_ref()
            .and_then(|p| p.email.as_deref())
            .unwrap_or(""),
        organization.as_ref().map_or("", |o| o.name.as_str()),
    ];
    Ok(lines.join("\n").to_lowercase())
}

/// Where leads and deals made from a chat come from.
pub const LIVE_CHAT: &str = "Live Chat";

fn kind_str(item: CrmItem) -> Option<&'static str> {
    match item {
        CrmItem::Nothing => None,
        CrmItem::Activity => Some("activity"),
        CrmItem::Lead => Some("lead"),
        CrmItem::Deal => Some("deal"),
    }
}

/// Creates `item` from what the conversation captured, in the caller's transaction, unless
/// this conversation already made one. Returns whether it created something.
pub async fn create_from_conversation(
    txn: &DatabaseTransaction,
    c: &conversation::Model,
    item: CrmItem,
) -> Result<bool, AppError> {
    let Some(kind) = kind_str(item) else {
        return Ok(false);
    };
    let now = OffsetDateTime::now_utc();
    // The guard: one item per conversation, whoever gets here first.
    let claimed = conversation::Entity::update_many()
        .col_expr(conversation::Column::CrmKind, Expr::value(Some(kind)))
        .col_expr(conversation::Column::CrmCreatedAt, Expr::value(Some(now)))
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::CrmCreatedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(false);
    }
    let who = Captured::from_answers(&c.answers);
    let organization_id = match &who.organization {
        Some(name) => Some(people::organization(txn, c.company_id, name, None).await?),
        None => None,
    };
    let contact = captured_contact(txn, c.company_id, &who).await?;
    // The chatbot cannot ask which of two people is meant: the email's.
    let person_id = people::resolve(
        txn,
        c.company_id,
        &contact,
        organization_id,
        people::OnTwo::TakeTheEmails,
    )
    .await?;
    let id = Uuid::now_v7();
    let title = match item {
        CrmItem::Activity => format!("Call back {}", who.who()),
        _ => format!("Chat with {}", who.who()),
    };
    let search = search_text(txn, &title, person_id, organization_id).await?;
    match item {
        CrmItem::Lead => {
            lead::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(title),
                search: Set(search),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                created_at: Set(now),
                value_minor: Set(None),
                currency: Set(None),
                expected_close_date: Set(None),
                source: Set(LIVE_CHAT.into()),
                page_url: Set(c.page_url.clone()),
                converted_deal_id: Set(None),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Deal => {
            deal::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(title),
                search: Set(search),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                value_minor: Set(None),
                currency: Set(None),
                expected_close_date: Set(None),
                created_at: Set(now),
                status: Set("open".into()),
                source: Set(LIVE_CHAT.into()),
                page_url: Set(c.page_url.clone()),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Activity => {
            activity::ActiveModel {
                id: Set(id),
                company_id: Set(c.company_id),
                title: Set(title),
                search: Set(search),
                person_id: Set(person_id),
                organization_id: Set(organization_id),
                conversation_id: Set(Some(c.id)),
                owner_id: Set(c.assignee_id),
                kind: Set("call".into()),
                due_date: Set(now.date()),
                due_time: Set(None),
                done: Set(false),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
        }
        CrmItem::Nothing => {}
    }
    tracing::info!(conversation = %c.id, kind, "CRM item created from a conversation");
    Ok(true)
}

/// What a CRM list page asks for: a search text, the sort ("created", "value"; activities:
/// "due", "created"), the owner ("" anyone, "me", or a user id) and the page (from 0).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: String,
    pub sort: String,
    pub owner: String,
    pub page: u32,
}

/// One page of leads, deals or activities of the actor's company, 50 rows, newest (or most
/// valuable, or soonest due) first. Five queries whatever the page: the rows, then the
/// names of their people, organizations and owners, and the company's users.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: CrmKind,
    query: &ListQuery,
) -> Result<CrmPage, AppError> {
    let search = query.search.trim();
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::validation(
            "search",
            format!("Search for at most {MAX_SEARCH_CHARS} characters."),
        ));
    }
    let owner = match query.owner.trim() {
        "" => None,
        "me" => Some(actor.user_id),
        id => Some(
            Uuid::parse_str(id)
                .map_err(|_| AppError::validation("owner", "Choose an owner from the list."))?,
        ),
    };
    let pattern = (!search.is_empty()).then(|| like_pattern(search));
    let offset = u64::from(query.page) * PAGE_SIZE;
    let among = match &pattern {
        Some(p) => narrowed(db, kind, actor.company_id, &search.to_lowercase(), p).await?,
        None => None,
    };
    if among.as_ref().is_some_and(Vec::is_empty) {
        return rows_page(db, actor, Vec::new()).await;
    }
    let scope = Scope {
        company_id: actor.company_id,
        owner,
        pattern,
        among,
    };
    let items: Vec<Item> = match kind {
        CrmKind::Leads => {
            use lead::Column as C;
            let s = scoped(
                lead::Entity::find(),
                &scope,
                [C::Id, C::CompanyId, C::OwnerId, C::Search],
            );
            newest_or_most_valuable(s, &query.sort, C::ValueMinor, C::CreatedAt, C::Id)
                .limit(PAGE_SIZE + 1)
                .offset(offset)
                .all(db)
                .await?
                .into_iter()
                .map(|l| Item {
                    status: if l.converted_deal_id.is_some() {
                        "Converted"
                    } else {
                        "Open"
                    }
                    .into(),
                    value: l.value_minor.zip(l.currency.clone()),
                    due: None,
                    id: l.id,
                    title: l.title,
                    person_id: l.person_id,
                    organization_id: l.organization_id,
                    owner_id: l.owner_id,
                    conversation_id: l.conversation_id,
                    created_at: l.created_at,
                })
                .collect()
        }
        CrmKind::Deals => {
            use deal::Column as C;
            let s = scoped(
                deal::Entity::find(),
                &scope,
                [C::Id, C::CompanyId, C::OwnerId, C::Search],
            );
            newest_or_most_valuable(s, &query.sort, C::ValueMinor, C::CreatedAt, C::Id)
                .limit(PAGE_SIZE + 1)
                .offset(offset)
                .all(db)
                .await?
                .into_iter()
                .map(|d| Item {
                    status: deal_status_label(&d.status).into(),
                    value: d.value_minor.zip(d.currency.clone()),
                    due: None,
                    id: d.id,
                    title: d.title,
                    person_id: d.person_id,
                    organization_id: d.organization_id,
                    owner_id: d.owner_id,
                    conversation_id: d.conversation_id,
                    created_at: d.created_at,
                })
                .collect()
        }
        CrmKind::Activities => {
            use activity::Column as C;
            let s = scoped(
                activity::Entity::find(),
                &scope,
                [C::Id, C::CompanyId, C::OwnerId, C::Search],
            );
            let s = match query.sort.as_str() {
                "created" => s.order_by_desc(C::CreatedAt).order_by_desc(C::Id),
                _ => s.order_by_asc(C::DueDate).order_by_asc(C::Id),
            };
            s.limit(PAGE_SIZE + 1)
                .offset(offset)
                .all(db)
                .await?
                .into_iter()
                .map(|a| Item {
                    status: format!(
                        "{} · {}",
                        activity_kind_label(&a.kind),
                        if a.done { "Done" } else { "Not done" }
                    ),
                    value: None,
                    due: Some(due_text(a.due_date, a.due_time)),
                    id: a.id,
                    title: a.title,
                    person_id: a.person_id,
                    organization_id: a.organization_id,
                    owner_id: a.owner_id,
                    conversation_id: a.conversation_id,
                    created_at: a.created_at,
                })
                .collect()
        }
    };
    rows_page(db, actor, items).await
}

/// What every list is narrowed to: the company, an owner, a search, and the items the
/// search can match when the trigram index found them all (see `narrowed`).
struct Scope {
    company_id: Uuid,
    owner: Option<Uuid>,
    pattern: Option<String>,
    among: Option<Vec<Uuid>>,
}

/// `select` narrowed by `scope`; `cols` are the entity's id, company, owner and search
/// columns. The search column is lower case already (see `search_text`), and last in the
/// list's index: without `among`, the search reads that index in the list's order and
/// stops at a page.
fn scoped<E: EntityTrait>(
    select: sea_orm::Select<E>,
    scope: &Scope,
    [id, company, owner, search]: [E::Column; 4],
) -> sea_orm::Select<E> {
    let mut s = match &scope.among {
        // The company's items only (`narrowed` asked), looked up by id: with the company
        // in the query SQLite would rather walk the list's index in order, to the end.
        Some(ids) => select.filter(id.is_in(ids.iter().copied())),
        None => select.filter(company.eq(scope.company_id)),
    };
    if let Some(o) = scope.owner {
        s = s.filter(owner.eq(o));
    }
    if let Some(p) = &scope.pattern {
        s = s.filter(Expr::col(search).like(LikeExpr::new(p).escape('\\')));
    }
    s
}

/// At most this many items are looked up by id after a trigram search; a search that
/// matches more reads the list's own index, where it finds a page of them soon.
const NARROW_AT_MOST: usize = 500;

/// Every item of the company whose search text holds `term` (lower case), found through
/// the trigram index of migration m20261127_000013, when they are fewer than
/// `NARROW_AT_MOST`; `None` when the term is shorter than a trigram or that common. On
/// PostgreSQL without `pg_trgm` the planner reads the list's index instead, which is what
/// the list would have done.
async fn narrowed(
    db: &DatabaseConnection,
    kind: CrmKind,
    company_id: Uuid,
    term: &str,
    pattern: &str,
) -> Result<Option<Vec<Uuid>>, AppError> {
    if term.chars().count() < 3 {
        return Ok(None);
    }
    let table = match kind {
        CrmKind::Leads => "lead",
        CrmKind::Deals => "deal",
        CrmKind::Activities => "activity",
    };
    let backend = db.get_database_backend();
    // SQLite: the full-text match first (CROSS JOIN keeps that order); a match evaluated
    // per item of the company instead costs seconds.
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id FROM {table} WHERE company_id = $1 AND search LIKE $2 ESCAPE '\\' \
                 LIMIT {NARROW_AT_MOST}"
            ),
            [company_id.into(), pattern.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT t.id AS id FROM {table}_search(?) s \
                 CROSS JOIN {table}_search_key k CROSS JOIN {table} t \
                 WHERE k.key = s.rowid AND t.id = k.id AND t.company_id = ? \
                 LIMIT {NARROW_AT_MOST}"
            ),
            [
                format!("\"{}\"", term.replace('"', "\"\"")).into(),
                company_id.into(),
            ],
        ),
    };
    let ids = db
        .query_all_raw(statement)
        .await?
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((ids.len() < NARROW_AT_MOST).then_some(ids))
}

/// Newest first, or most valuable first (no value last) when `sort` is "value".
fn newest_or_most_valuable<E: EntityTrait>(
    s: sea_orm::Select<E>,
    sort: &str,
    value: E::Column,
    created: E::Column,
    id: E::Column,
) -> sea_orm::Select<E> {
    match sort {
        "value" => s
            .order_by_with_nulls(value, Order::Desc, NullOrdering::Last)
            .order_by_desc(id),
        _ => s.order_by_desc(created).order_by_desc(id),
    }
}

/// A row as read, before the names are looked up.
struct Item {
    id: Uuid,
    title: String,
    person_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    conversation_id: Option<Uuid>,
    created_at: OffsetDateTime,
    value: Option<(i64, String)>,
    status: String,
    due: Option<String>,
}

fn deal_status_label(status: &str) -> &'static str {
    match status {
        "won" => "Won",
        "lost" => "Lost",
        _ => "Open",
    }
}

/// "2026-11-27", or "2026-11-27 14:30" with a time.
pub fn due_text(date: time::Date, at: Option<time::Time>) -> String {
    match at {
        Some(t) => format!("{date} {:02}:{:02}", t.hour(), t.minute()),
        None => date.to_string(),
    }
}

/// `%text%` for a case-blind LIKE, with LIKE's own wildcards taken literally.
fn like_pattern(search: &str) -> String {
    let mut p = String::from("%");
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

async fn rows_page(
    db: &DatabaseConnection,
    actor: &Actor,
    mut items: Vec<Item>,
) -> Result<CrmPage, AppError> {
    let more = items.len() as u64 > PAGE_SIZE;
    items.truncate(PAGE_SIZE as usize);
    let ids = |f: fn(&Item) -> Option<Uuid>| -> Vec<Uuid> {
        let mut v: Vec<Uuid> = items.iter().filter_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    // By primary key only, the company checked here: with `company_id = ?` in the query,
    // SQLite walked the (company, email) index through every person of the company (26 ms
    // at 100,000 people) instead of looking up 50 ids.
    let people: HashMap<Uuid, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids(|i| i.person_id)))
        .all(db)
        .await?
        .into_iter()
        .filter(|p| p.company_id == actor.company_id)
        .map(|p| (p.id, p))
        .collect();
    let organizations: HashMap<Uuid, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids(|i| i.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .filter(|o| o.company_id == actor.company_id)
        .map(|o| (o.id, o.name))
        .collect();
    let users: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::CompanyId.eq(actor.company_id))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?;
    let names: HashMap<Uuid, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let rows = items
        .into_iter()
        .map(|i| {
            let person = i.person_id.and_then(|id| people.get(&id));
            CrmRow {
                id: i.id.to_string(),
                title: i.title,
                person: person.map(|p| p.name.clone()),
                email: person.and_then(|p| p.email.clone()),
                organization: i
                    .organization_id
                    .and_then(|id| organizations.get(&id).cloned()),
                owner: i.owner_id.and_then(|id| names.get(&id).cloned()),
                value: i.value.map(|(minor, code)| money::format(minor, &code)),
                status: i.status,
                created_at: rfc3339(i.created_at),
                due: i.due,
                conversation_id: i.conversation_id.map(|c| c.to_string()),
            }
        })
        .collect();
    let owners = users
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    Ok(CrmPage { rows, more, owners })
}

/// "Convert to deal" (F4.3): a deal with the lead's person, organization, value, close date
/// and conversation; the lead is then marked converted. Converting twice returns the same
/// deal; a conversation that already has its deal links the lead to that one.
pub async fn convert_lead(
    db: &DatabaseConnection,
    actor: &Actor,
    lead_id: &str,
) -> Result<String, AppError> {
    let id = Uuid::parse_str(lead_id).map_err(|_| AppError::NotFound("No such lead.".into()))?;
    let txn = crate::backend::db::write_txn(db).await?;
    let l = lead::Entity::find_by_id(id)
        .filter(lead::Column::CompanyId.eq(actor.company_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("No such lead.".into()))?;
    if let Some(deal_id) = l.converted_deal_id {
        return Ok(deal_id.to_string());
    }
    let existing = match l.conversation_id {
        Some(c) => deal::Entity::find()
            .filter(deal::Column::ConversationId.eq(c))
            .one(&txn)
            .await?
            .map(|d| d.id),
        None => None,
    };
    let deal_id = match existing {
        Some(d) => d,
        None => {
            let d = Uuid::now_v7();
            let title = l
                .title
                .strip_suffix(" lead")
                .map_or(l.title.clone(), |t| format!("{t} deal"));
            let search = search_text(&txn, &title, l.person_id, l.organization_id).await?;
            deal::ActiveModel {
                id: Set(d),
                company_id: Set(l.company_id),
                title: Set(title),
                search: Set(search),
                person_id: Set(l.person_id),
                organization_id: Set(l.organization_id),
                conversation_id: Set(l.conversation_id),
                owner_id: Set(l.owner_id.or(Some(actor.user_id))),
                value_minor: Set(l.value_minor),
                currency: Set(l.currency.clone()),
                expected_close_date: Set(l.expected_close_date),
                created_at: Set(OffsetDateTime::now_utc()),
                status: Set("open".into()),
                source: Set(l.source.clone()),
                page_url: Set(l.page_url.clone()),
            }
            .insert(&txn)
            .await?;
            d
        }
    };
    lead::Entity::update_many()
        .col_expr(lead::Column::ConvertedDealId, Expr::value(Some(deal_id)))
        .filter(lead::Column::Id.eq(l.id))
        .exec(&txn)
        .await?;
    panel_changed(&txn, l.company_id, l.conversation_id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    tracing::info!(lead = %l.id, deal = %deal_id, by = %actor.user_id, "lead converted to a deal");
    Ok(deal_id.to_string())
}

/// Tells the open inboxes that `conversation`'s side panel changed (a "panel" event in the
/// caller's transaction; they read the panel again).
async fn panel_changed(
    txn: &DatabaseTransaction,
    company_id: Uuid,
    conversation: Option<Uuid>,
) -> Result<(), AppError> {
    if let Some(c) = conversation {
        let change = crate::conversation::EventPayload::Panel {
            conversation_id: c.to_string(),
            version: 0,
        };
        crate::conversation::engine::write_event(txn, company_id, Some(c), &change).await?;
    }
    Ok(())
}

/// "Mark as done" on an activity of the actor's company; its conversation's open panels
/// show it at once.
pub async fn mark_done(
    db: &DatabaseConnection,
    actor: &Actor,
    activity_id: &str,
) -> Result<(), AppError> {
    let missing = || AppError::NotFound("No such activity.".into());
    let id = Uuid::parse_str(activity_id).map_err(|_| missing())?;
    let txn = crate::backend::db::write_txn(db).await?;
    let a = activity::Entity::find_by_id(id)
        .filter(activity::Column::CompanyId.eq(actor.company_id))
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    activity::Entity::update_many()
        .col_expr(activity::Column::Done, Expr::value(true))
        .filter(activity::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    panel_changed(&txn, actor.company_id, a.conversation_id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    Ok(())
}

/// "Mark as won" / "Mark as lost" (or back to open) on a deal of the actor's company.
pub async fn set_deal_status(
    db: &DatabaseConnection,
    actor: &Actor,
    deal_id: &str,
    status: &str,
) -> Result<(), AppError> {
    if !matches!(status, "open" | "won" | "lost") {
        return Err(AppError::validation(
            "status",
            "Status: choose open, won or lost.",
        ));
    }
    let id = Uuid::parse_str(deal_id).map_err(|_| AppError::NotFound("No such deal.".into()))?;
    let changed = deal::Entity::update_many()
        .col_expr(deal::Column::Status, Expr::value(status))
        .filter(deal::Column::Id.eq(id))
        .filter(deal::Column::CompanyId.eq(actor.company_id))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(AppError::NotFound("No such deal.".into()));
    }
    tracing::info!(deal = %id, status, by = %actor.user_id, "deal status set");
    Ok(())
}

/// Deletes a lead or a deal of the actor's company: only its owner or an admin may. The
/// conversation's panel then offers "Create lead" (or "Create deal") again.
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: CrmKind,
    item_id: &str,
) -> Result<(), AppError> {
    let what = match kind {
        CrmKind::Leads => "lead",
        CrmKind::Deals => "deal",
        CrmKind::Activities => {
            return Err(AppError::validation("kind", "Delete a lead or a deal."))
        }
    };
    let missing = || AppError::NotFound(format!("No such {what}."));
    let id = Uuid::parse_str(item_id).map_err(|_| missing())?;
    let txn = crate::backend::db::write_txn(db).await?;
    let (owner, conversation_id) = match kind {
        CrmKind::Leads => lead::Entity::find_by_id(id)
            .filter(lead::Column::CompanyId.eq(actor.company_id))
            .one(&txn)
            .await?
            .map(|l| (l.owner_id, l.conversation_id)),
        _ => deal::Entity::find_by_id(id)
            .filter(deal::Column::CompanyId.eq(actor.company_id))
            .one(&txn)
            .await?
            .map(|d| (d.owner_id, d.conversation_id)),
    }
    .ok_or_else(missing)?;
    if !actor.is_admin() && owner != Some(actor.user_id) {
        return Err(AppError::Forbidden(format!(
            "Only the {what}'s owner or an admin can delete it."
        )));
    }
    match kind {
        CrmKind::Leads => {
            lead::Entity::delete_by_id(id).exec(&txn).await?;
        }
        _ => {
            // A lead converted into this deal is open again.
            lead::Entity::update_many()
                .col_expr(
                    lead::Column::ConvertedDealId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(lead::Column::ConvertedDealId.eq(id))
                .exec(&txn)
                .await?;
            deal::Entity::delete_by_id(id).exec(&txn).await?;
        }
    }
    panel_changed(&txn, actor.company_id, conversation_id).await?;
    txn.commit().await?;
    crate::backend::realtime::hub::wake(db).await;
    tracing::info!(item = %id, what, by = %actor.user_id, "deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_details_come_from_the_answers() {
        let c = Captured::from_answers(
            r#"{"name":" Vera ","email":"Vera@Example.com","budget":"big","phone":""}"#,
        );
        assert_eq!(c.name.as_deref(), Some("Vera"));
        assert_eq!(c.email.as_deref(), Some("vera@example.com"));
        assert_eq!(c.phone, None);
        assert_eq!(c.who(), "Vera");
        assert_eq!(
            Captured::from_answers("not json").who(),
            "a website visitor"
        );
    }
}

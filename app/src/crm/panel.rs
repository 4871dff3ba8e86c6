//! A conversation's side panel (F4.1, F4.2, F4.4): read it, save one field at a time over
//! the version it was typed on, and create the lead or deal from it — reusing the person
//! whose email (else phone) matches and the organization whose normalized name matches,
//! never merging two people silently, and at most one lead and one deal per conversation.
use super::people::{self, Found};
use super::service::{search_text, Captured, LIVE_CHAT};
use super::{activity_kind_label, fields, money, ActivityItem, CrmLink, PanelView, Related};
use super::{ACTIVITY_KINDS, PANEL_FIELDS};
use crate::backend::actor::Actor;
use crate::backend::db::write_txn;
use crate::backend::entities::{activity, company, conversation, conversation_panel as panel};
use crate::backend::entities::{deal, lead};
use crate::backend::entities::{organization, person};
use crate::backend::realtime::hub;
use crate::backend::rfc3339;
use crate::conversation::engine::{
    not_found, parse_id, visible_to, visitor_name, write_conversation_event, write_event,
};
use crate::conversation::EventPayload;
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// The currency a value is in until one is chosen.
pub const DEFAULT_CURRENCY: &str = "USD";

/// What the panel holds, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Values {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    organization: Option<String>,
    address: Option<String>,
    value_minor: Option<i64>,
    currency: Option<String>,
    expected_close_date: Option<time::Date>,
    notes: Option<String>,
}

impl Values {
    /// What the playbook captured, as the panel starts.
    fn captured(c: &conversation::Model, country: Option<&str>) -> Self {
        let who = Captured::from_answers(&c.answers);
        Self {
            name: who.name,
            email: who.email.and_then(|e| fields::email(&e).ok().flatten()),
            // A captured phone that does not parse is kept as typed, for the agent to fix.
            phone: who
                .phone
                .map(|p| fields::phone(&p, country).ok().flatten().unwrap_or(p)),
            organization: who.organization,
            ..Self::default()
        }
    }

    /// Who these details point at, for `people`.
    fn contact(&self) -> people::Contact {
        let phone = self
            .phone
            .as_deref()
            .and_then(|p| people::PhoneNumber::parse(p, None).ok().flatten());
        people::Contact {
            name: self.name.clone(),
            email: self
                .email
                .as_deref()
                .and_then(|e| crate::domain::EmailAddress::parse(e).ok()),
            phone_as_typed: if phone.is_none() {
                self.phone.clone()
            } else {
                None
            },
            phone,
        }
    }

    fn from_row(p: &panel::Model) -> Self {
        Self {
            name: p.name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            organization: p.organization.clone(),
            address: p.address.clone(),
            value_minor: p.value_minor,
            currency: p.currency.clone(),
            expected_close_date: p.expected_close_date,
            notes: p.notes.clone(),
        }
    }

    fn text(&self, key: &str) -> String {
        match key {
            "name" => self.name.clone(),
            "email" => self.email.clone(),
            "phone" => self.phone.clone(),
            "organization" => self.organization.clone(),
            "address" => self.address.clone(),
            "notes" => self.notes.clone(),
            "currency" => self.currency.clone(),
            "expected_close_date" => self.expected_close_date.map(|d| d.to_string()),
            "value" => self.value_minor.map(|minor| {
                let code = self.currency.as_deref().unwrap_or(DEFAULT_CURRENCY);
                plain_amount(minor, money::decimals(code).unwrap_or(2))
            }),
            _ => None,
        }
        .unwrap_or_default()
    }

    /// Applies one typed field; a refusal names the field and what to type instead.
    fn apply(&mut self, key: &str, raw: &str, country: Option<&str>) -> Result<(), AppError> {
        fn by<T>(key: &str, r: Result<T, String>) -> Result<T, AppError> {
            r.map_err(|m| AppError::validation(key, m))
        }
        match key {
            "name" => self.name = by(key, fields::text("Name", raw, fields::MAX_NAME))?,
            "organization" => {
                self.organization = by(
                    key,
                    fields::text("Organization", raw, fields::MAX_ORGANIZATION),
                )?
            }
            "address" => self.address = by(key, fields::text("Address", raw, fields::MAX_ADDRESS))?,
            "notes" => self.notes = by(key, fields::text("Notes", raw, fields::MAX_NOTES))?,
            "email" => self.email = by(key, fields::email(raw))?,
            "phone" => self.phone = by(key, fields::phone(raw, country))?,
            "expected_close_date" => self.expected_close_date = by(key, fields::date(raw))?,
            "value" => {
                let code = self
                    .currency
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CURRENCY.into());
                self.value_minor = by(key, fields::amount(raw, &code))?;
                if self.value_minor.is_some() {
                    self.currency = Some(code);
                }
            }
            "currency" => {
                let code = if raw.trim().is_empty() {
                    DEFAULT_CURRENCY.to_string()
                } else {
                    by(key, fields::currency(raw))?
                };
                // The amount keeps its worth in the new currency's decimals, or is refused
                // when it cannot (1250.50 cannot be yen).
                if let Some(minor) = self.value_minor {
                    let from = self.currency.as_deref().unwrap_or(DEFAULT_CURRENCY);
                    let (a, b) = (
                        money::decimals(from).unwrap_or(2),
                        money::decimals(&code).unwrap_or(2),
                    );
                    self.value_minor = Some(if b >= a {
                        minor * 10i64.pow(b - a)
                    } else if minor % 10i64.pow(a - b) == 0 {
                        minor / 10i64.pow(a - b)
                    } else {
                        return Err(AppError::validation(
                            key,
                            format!(
                                "Currency: {code} has {b} decimals; change the deal value to \
                                 fit first."
                            ),
                        ));
                    });
                }
                self.currency = Some(code);
            }
            _ => return Err(AppError::validation("field", "No such field.")),
        }
        Ok(())
    }
}

/// `minor` as typed back into the value field: 1250.50, 1250, 1.250.
fn plain_amount(minor: i64, places: u32) -> String {
    if places == 0 {
        return minor.to_string();
    }
    let unit = 10i64.pow(places);
    format!(
        "{}.{:0width$}",
        minor / unit,
        minor % unit,
        width = places as usize
    )
}

/// The conversation, when `actor` may see it (F3.5).
async fn visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> Result<conversation::Model, AppError> {
    match conversation::Entity::find_by_id(parse_id(id)?)
        .one(db)
        .await?
    {
        Some(c) if visible_to(actor, &c) => Ok(c),
        _ => Err(not_found()),
    }
}

async fn default_country(
    db: &impl ConnectionTrait,
    company_id: Uuid,
) -> Result<Option<String>, AppError> {
    Ok(company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .and_then(|c| c.default_country))
}

/// The panel of a conversation `actor` may see.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<PanelView, AppError> {
    let c = visible(db, actor, id).await?;
    let country = default_country(db, c.company_id).await?;
    let row = panel::Entity::find_by_id(c.id).one(db).await?;
    let (values, version) = match &row {
        Some(p) => (Values::from_row(p), p.version),
        None => (Values::captured(&c, country.as_deref()), 0),
    };
    view(db, actor, &c, &values, version).await
}

async fn view(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &conversation::Model,
    values: &Values,
    version: i32,
) -> Result<PanelView, AppError> {
    let mut captured: Vec<(String, String)> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&c.answers)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
    // Who first, as captured, then the other answers by name.
    captured.sort_by_key(|(k, _)| {
        ["name", "email", "phone", "organization", "message"]
            .iter()
            .position(|x| x == k)
            .unwrap_or(usize::MAX)
    });
    let people = people::find(db, c.company_id, &values.contact()).await?;
    let (person_match, people_conflict) = match &people {
        Found::None => (None, None),
        Found::One(p) => (Some(person_label(p)), None),
        Found::Two { by_email, by_phone } => (
            None,
            Some(format!(
                "The email belongs to {} and the phone to {}. Choose \"Create a new person\", \
                 or change the email or the phone.",
                person_label(by_email),
                person_label(by_phone)
            )),
        ),
    };
    let organization_match = match &values.organization {
        Some(name) => organization::Entity::find()
            .filter(organization::Column::CompanyId.eq(c.company_id))
            .filter(organization::Column::NameKey.eq(fields::organization_key(name)))
            .one(db)
            .await?
            .map(|o| o.name),
        None => None,
    };
    let link = |id: Uuid, title: String, at: OffsetDateTime| CrmLink {
        id: id.to_string(),
        title,
        created_at: rfc3339(at),
    };
    let lead = lead::Entity::find()
        .filter(lead::Column::ConversationId.eq(c.id))
        .one(db)
        .await?
        .map(|l| link(l.id, l.title, l.created_at));
    let deal = deal::Entity::find()
        .filter(deal::Column::ConversationId.eq(c.id))
        .one(db)
        .await?
        .map(|d| link(d.id, d.title, d.created_at));
    let related = related(db, actor, c, values, &people).await?;
    let activities = activity::Entity::find()
        .filter(activity::Column::ConversationId.eq(c.id))
        .order_by_asc(activity::Column::DueDate)
        .order_by_asc(activity::Column::DueTime)
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|a| ActivityItem {
            id: a.id.to_string(),
            title: a.title,
            kind: activity_kind_label(&a.kind).into(),
            due: super::service::due_text(a.due_date, a.due_time),
            done: a.done,
        })
        .collect();
    Ok(PanelView {
        conversation_id: c.id.to_string(),
        version,
        fields: PANEL_FIELDS
            .iter()
            .map(|(k, _)| (k.to_string(), values.text(k)))
            .collect(),
        captured,
        person_match,
        organization_match,
        people_conflict,
        lead,
        deal,
        related,
        activities,
    })
}

/// How many of a person's other conversations, leads and deals the panel lists.
const RELATED_MAX: u64 = 10;

/// The same person's other conversations (by the contact email or phone, those `actor` may
/// see), and the leads and deals of the people with that email or phone; newest first.
async fn related(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &conversation::Model,
    values: &Values,
    people: &Found,
) -> Result<Vec<Related>, AppError> {
    let phone = values.phone.clone().filter(|p| p.starts_with('+'));
    let mut out: Vec<(OffsetDateTime, Related)> = Vec::new();
    let mut by_contact = Condition::any();
    if let Some(e) = &values.email {
        by_contact = by_contact.add(conversation::Column::ContactEmail.eq(e.clone()));
    }
    if let Some(p) = &phone {
        by_contact = by_contact.add(conversation::Column::ContactPhone.eq(p.clone()));
    }
    if !by_contact.is_empty() {
        let others = conversation::Entity::find()
            .filter(conversation::Column::CompanyId.eq(c.company_id))
            .filter(conversation::Column::Id.ne(c.id))
            .filter(by_contact)
            .order_by_desc(conversation::Column::CreatedAt)
            .limit(RELATED_MAX)
            .all(db)
            .await?;
        for o in others.into_iter().filter(|o| visible_to(actor, o)) {
            let state = match o.state.as_str() {
                "closed" => "closed",
                _ if o.assignee_id.is_some() => "open",
                _ => "waiting",
            };
            out.push((
                o.created_at,
                Related {
                    kind: "Conversation".into(),
                    title: format!(
                        "Chat from {} ({state})",
                        o.page_url.as_deref().unwrap_or("the website")
                    ),
                    href: format!("/inbox?c={}", o.id),
                    created_at: rfc3339(o.created_at),
                },
            ));
        }
    }
    let person_ids: Vec<Uuid> = match people {
        Found::None => Vec::new(),
        Found::One(p) => vec![p.id],
        Found::Two { by_email, by_phone } => vec![by_email.id, by_phone.id],
    };
    if !person_ids.is_empty() {
        let leads = lead::Entity::find()
            .filter(lead::Column::CompanyId.eq(c.company_id))
            .filter(lead::Column::PersonId.is_in(person_ids.clone()))
            .filter(
                Condition::any()
                    .add(lead::Column::ConversationId.is_null())
                    .add(lead::Column::ConversationId.ne(c.id)),
            )
            .order_by_desc(lead::Column::CreatedAt)
            .limit(RELATED_MAX)
            .all(db)
            .await?;
        for l in leads {
            out.push((
                l.created_at,
                Related {
                    kind: "Lead".into(),
                    href: super::view::panel::list_link("/leads", &l.title),
                    title: l.title,
                    created_at: rfc3339(l.created_at),
                },
            ));
        }
        let deals = deal::Entity::find()
            .filter(deal::Column::CompanyId.eq(c.company_id))
            .filter(deal::Column::PersonId.is_in(person_ids))
            .filter(
                Condition::any()
                    .add(deal::Column::ConversationId.is_null())
                    .add(deal::Column::ConversationId.ne(c.id)),
            )
            .order_by_desc(deal::Column::CreatedAt)
            .limit(RELATED_MAX)
            .all(db)
            .await?;
        for d in deals {
            out.push((
                d.created_at,
                Related {
                    kind: "Deal".into(),
                    href: super::view::panel::list_link("/deals", &d.title),
                    title: d.title,
                    created_at: rfc3339(d.created_at),
                },
            ));
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.0));
    out.truncate(RELATED_MAX as usize);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// "Add activity" in the side panel (F4.3): subject, type, due date and time, owned by the
/// user, linked to the conversation and to the person and organization it points at.
pub async fn add_activity(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    subject: &str,
    kind: &str,
    due_date: &str,
    due_time: &str,
) -> Result<PanelView, AppError> {
    let c = visible(db, actor, id).await?;
    let title = fields::text("Subject", subject, fields::MAX_TITLE)
        .map_err(|m| AppError::validation("subject", m))?
        .ok_or_else(|| {
            AppError::validation(
                "subject",
                "Subject: say what to do, like \"Call back about pricing\".",
            )
        })?;
    if !ACTIVITY_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::validation(
            "kind",
            "Type: choose call, meeting, task, deadline or email.",
        ));
    }
    let date = fields::date_for("Due date", due_date)
        .map_err(|m| AppError::validation("due_date", m))?
        .ok_or_else(|| {
            AppError::validation("due_date", "Due date: choose a date, like 2026-12-31.")
        })?;
    let at = fields::time_of_day("Due time", due_time)
        .map_err(|m| AppError::validation("due_time", m))?;
    let country = default_country(db, c.company_id).await?;
    let txn = write_txn(db).await?;
    let values = match panel::Entity::find_by_id(c.id).one(&txn).await? {
        Some(p) => Values::from_row(&p),
        None => Values::captured(&c, country.as_deref()),
    };
    let person_id = match people::find(&txn, c.company_id, &values.contact()).await? {
        Found::One(p) => Some(p.id),
        _ => None,
    };
    let organization_id = match &values.organization {
        Some(name) => organization::Entity::find()
            .filter(organization::Column::CompanyId.eq(c.company_id))
            .filter(organization::Column::NameKey.eq(fields::organization_key(name)))
            .one(&txn)
            .await?
            .map(|o| o.id),
        None => None,
    };
    let search = search_text(&txn, &title, person_id, organization_id).await?;
    activity::Entity::insert(activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(c.company_id),
        title: Set(title),
        search: Set(search),
        person_id: Set(person_id),
        organization_id: Set(organization_id),
        conversation_id: Set(Some(c.id)),
        owner_id: Set(Some(actor.user_id)),
        kind: Set(kind.to_string()),
        due_date: Set(date),
        due_time: Set(at),
        done: Set(false),
        created_at: Set(OffsetDateTime::now_utc()),
    })
    .exec(&txn)
    .await?;
    let version = panel::Entity::find_by_id(c.id)
        .one(&txn)
        .await?
        .map_or(0, |p| p.version);
    let change = EventPayload::Panel {
        conversation_id: c.id.to_string(),
        version,
    };
    write_event(&txn, c.company_id, Some(c.id), &change).await?;
    txn.commit().await?;
    hub::wake(db).await;
    get(db, actor, id).await
}

fn person_label(p: &person::Model) -> String {
    match (&p.email, &p.phone) {
        (Some(e), _) => format!("{} ({e})", p.name),
        (None, Some(ph)) => format!("{} ({ph})", p.name),
        (None, None) => p.name.clone(),
    }
}

/// Saves one field typed over `version`. Someone else's save in between is a conflict:
/// nothing is overwritten, and the panel they saved is read again.
pub async fn save(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    key: &str,
    raw: &str,
    version: i32,
) -> Result<PanelView, AppError> {
    let c = visible(db, actor, id).await?;
    let country = default_country(db, c.company_id).await?;
    let txn = write_txn(db).await?;
    let row = panel::Entity::find_by_id(c.id).one(&txn).await?;
    let current = row.as_ref().map_or(0, |p| p.version);
    if current != version {
        return Err(conflict());
    }
    let mut values = match &row {
        Some(p) => Values::from_row(p),
        None => Values::captured(&c, country.as_deref()),
    };
    values.apply(key, raw, country.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let next = version + 1;
    let model = panel::ActiveModel {
        conversation_id: Set(c.id),
        company_id: Set(c.company_id),
        version: Set(next),
        name: Set(values.name.clone()),
        email: Set(values.email.clone()),
        phone: Set(values.phone.clone()),
        organization: Set(values.organization.clone()),
        address: Set(values.address.clone()),
        value_minor: Set(values.value_minor),
        currency: Set(values.currency.clone()),
        expected_close_date: Set(values.expected_close_date),
        notes: Set(values.notes.clone()),
        updated_at: Set(now),
        updated_by: Set(Some(actor.user_id)),
    };
    if row.is_some() {
        // Guarded by the version, so a writer on another connection cannot slip in between.
        let done = panel::Entity::update_many()
            .set(model)
            .filter(panel::Column::ConversationId.eq(c.id))
            .filter(panel::Column::Version.eq(version))
            .exec(&txn)
            .await?
            .rows_affected;
        if done != 1 {
            return Err(conflict());
        }
    } else if panel::Entity::insert(model).exec(&txn).await.is_err() {
        return Err(conflict());
    }
    let change = EventPayload::Panel {
        conversation_id: c.id.to_string(),
        version: next,
    };
    write_event(&txn, c.company_id, Some(c.id), &change).await?;
    // The conversation remembers its contact, for the same person's other conversations
    // (and its name, which lists and titles call the visitor by).
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::ContactName,
            Expr::value(values.name.clone()),
        )
        .col_expr(
            conversation::Column::ContactEmail,
            Expr::value(values.email.clone()),
        )
        .col_expr(
            conversation::Column::ContactPhone,
            Expr::value(values.phone.clone().filter(|p| p.starts_with('+'))),
        )
        .filter(conversation::Column::Id.eq(c.id))
        .exec(&txn)
        .await?;
    // A new name for the visitor reaches every list and title at once, as a conversation
    // change does.
    let renamed = conversation::Entity::find_by_id(c.id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    if visitor_name(&renamed) != visitor_name(&c) {
        write_conversation_event(&txn, &renamed).await?;
    }
    let view = view(&txn, actor, &c, &values, next).await?;
    txn.commit().await?;
    hub::wake(db).await;
    Ok(view)
}

fn conflict() -> AppError {
    AppError::Conflict(
        "Someone else changed this panel just now. It shows their change; type yours again.".into(),
    )
}

/// What "Create lead" or "Create deal" makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewItem {
    Lead,
    Deal,
}

/// Creates the conversation's lead or deal from the panel (F4.2): the person whose email
/// (else phone) matches, or a new one (always a new one with `new_person`); the organization
/// whose normalized name matches, or a new one. A conversation has at most one lead and one
/// deal: a second request (a double click, a retry) returns the first. Works on closed
/// conversations too, and leaves the conversation as it is.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    item: NewItem,
    title: &str,
    new_person: bool,
) -> Result<PanelView, AppError> {
    let c = visible(db, actor, id).await?;
    let country = default_country(db, c.company_id).await?;
    let title = fields::text("Title", title, fields::MAX_TITLE)
        .map_err(|m| AppError::validation("title", m))?;
    let txn = write_txn(db).await?;
    let row = panel::Entity::find_by_id(c.id).one(&txn).await?;
    let (values, version) = match &row {
        Some(p) => (Values::from_row(p), p.version),
        None => (Values::captured(&c, country.as_deref()), 0),
    };
    let existing = match item {
        NewItem::Lead => lead::Entity::find()
            .filter(lead::Column::ConversationId.eq(c.id))
            .one(&txn)
            .await?
            .map(|l| l.id),
        NewItem::Deal => deal::Entity::find()
            .filter(deal::Column::ConversationId.eq(c.id))
            .one(&txn)
            .await?
            .map(|d| d.id),
    };
    if existing.is_some() {
        drop(txn);
        return get(db, actor, id).await;
    }
    let now = OffsetDateTime::now_utc();
    let organization_id = match &values.organization {
        Some(name) => {
            Some(people::organization(&txn, c.company_id, name, values.address.as_deref()).await?)
        }
        None => None,
    };
    let contact = values.contact();
    let person_id = if new_person {
        people::create(&txn, c.company_id, &contact, organization_id).await?
    } else {
        people::resolve(
            &txn,
            c.company_id,
            &contact,
            organization_id,
            people::OnTwo::Refuse,
        )
        .await?
    };
    let who = values
        .name
        .clone()
        .or_else(|| values.email.clone())
        .or_else(|| values.phone.clone())
        .unwrap_or_else(|| "Website visitor".into());
    let kind = match item {
        NewItem::Lead => "lead",
        NewItem::Deal => "deal",
    };
    let title = title.unwrap_or_else(|| format!("{who} {kind}"));
    let search = search_text(&txn, &title, person_id, organization_id).await?;
    let new_id = Uuid::now_v7();
    let inserted = match item {
        NewItem::Lead => lead::Entity::insert(lead::ActiveModel {
            id: Set(new_id),
            company_id: Set(c.company_id),
            title: Set(title),
            search: Set(search),
            person_id: Set(person_id),
            organization_id: Set(organization_id),
            conversation_id: Set(Some(c.id)),
            owner_id: Set(Some(actor.user_id)),
            created_at: Set(now),
            value_minor: Set(values.value_minor),
            currency: Set(values.currency.clone()),
            expected_close_date: Set(values.expected_close_date),
            source: Set(LIVE_CHAT.into()),
            page_url: Set(c.page_url.clone()),
            converted_deal_id: Set(None),
        })
        .exec(&txn)
        .await
        .map(|_| ()),
        NewItem::Deal => deal::Entity::insert(deal::ActiveModel {
            id: Set(new_id),
            company_id: Set(c.company_id),
            title: Set(title),
            search: Set(search),
            person_id: Set(person_id),
            organization_id: Set(organization_id),
            conversation_id: Set(Some(c.id)),
            owner_id: Set(Some(actor.user_id)),
            value_minor: Set(values.value_minor),
            currency: Set(values.currency.clone()),
            expected_close_date: Set(values.expected_close_date),
            created_at: Set(now),
            status: Set("open".into()),
            source: Set(LIVE_CHAT.into()),
            page_url: Set(c.page_url.clone()),
        })
        .exec(&txn)
        .await
        .map(|_| ()),
    };
    match inserted {
        Ok(()) => {}
        // Another request for this conversation got there first (the unique index): theirs
        // is the one.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            drop(txn);
            return get(db, actor, id).await;
        }
        Err(e) => return Err(e.into()),
    }
    // The conversation shows what was made from it ("Lead created" with its time).
    conversation::Entity::update_many()
        .col_expr(conversation::Column::CrmKind, Expr::value(Some(kind)))
        .col_expr(conversation::Column::CrmCreatedAt, Expr::value(Some(now)))
        .filter(conversation::Column::Id.eq(c.id))
        .exec(&txn)
        .await?;
    let change = EventPayload::Panel {
        conversation_id: c.id.to_string(),
        version,
    };
    write_event(&txn, c.company_id, Some(c.id), &change).await?;
    txn.commit().await?;
    hub::wake(db).await;
    tracing::info!(conversation = %c.id, kind, by = %actor.user_id, "created from the side panel");
    get(db, actor, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_currency_change_keeps_the_amounts_worth_or_refuses() {
        let mut v = Values::default();
        v.apply("value", "1,250.50", None).unwrap();
        assert_eq!(
            (v.value_minor, v.currency.as_deref()),
            (Some(125_050), Some("USD"))
        );
        assert_eq!(v.text("value"), "1250.50");
        v.apply("currency", "kwd", None).unwrap();
        assert_eq!(v.value_minor, Some(1_250_500));
        assert_eq!(v.text("value"), "1250.500");
        let e = v.apply("currency", "JPY", None).unwrap_err();
        assert!(e.for_field("currency").is_some());
        v.apply("value", "1250", None).unwrap();
        v.apply("currency", "JPY", None).unwrap();
        assert_eq!(
            (v.value_minor, v.text("value")),
            (Some(1250), "1250".to_string())
        );
        assert!(v.apply("value", "-1", None).is_err());
        assert!(v.apply("bogus", "1", None).is_err());
    }
}

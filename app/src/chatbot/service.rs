//! The playbook rules on a database connection: create, list, load, save all-or-nothing,
//! delete, record where the widget was loaded, and image uploads.
use super::images::{sniff, ImageKind};
use super::model::{self, Audience, Card, CardBody, PlaybookSettings, TargetRule};
use super::sanitize::sanitize;
use super::{LiveChatStatus, PlaybookDetail, PlaybookSummary, Template, SAVE_CONFLICT};
use crate::backend::actor::Actor;
use crate::backend::entities::{card, playbook, upload};
use crate::backend::rfc3339;
use crate::error::AppError;
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
};
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

fn not_found() -> AppError {
    AppError::NotFound("This playbook does not exist.".into())
}

/// F1.9: admins and users with the "Chatbot & Live Chat settings" permission.
pub fn require_editor(actor: &Actor) -> Result<(), AppError> {
    if actor.may_manage_chatbot() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Only admins and users with the \"Chatbot & Live Chat settings\" permission can change playbooks.",
        ))
    }
}

fn new_key() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(22)
        .map(char::from)
        .collect()
}

fn audience_str(a: Audience) -> &'static str {
    match a {
        Audience::Everyone => "everyone",
        Audience::Qualified => "qualified",
        Audience::NotQualified => "not_qualified",
    }
}

fn audience_from(s: &str) -> Audience {
    match s {
        "qualified" => Audience::Qualified,
        "not_qualified" => Audience::NotQualified,
        _ => Audience::Everyone,
    }
}

fn kind_str(body: &CardBody) -> &'static str {
    match body {
        CardBody::Message { .. } => "message",
        CardBody::Question { .. } => "question",
        CardBody::Qualification { .. } => "qualification",
        CardBody::Capture { .. } => "capture",
        CardBody::LiveChat { .. } => "live_chat",
        CardBody::End { .. } => "end",
    }
}

fn status(has_live_chat: bool, loaded: bool) -> LiveChatStatus {
    match (has_live_chat, loaded) {
        (false, _) => LiveChatStatus::NoLiveChat,
        (true, false) => LiveChatStatus::OfflineModeOnly,
        (true, true) => LiveChatStatus::Installed,
    }
}

/// A playbook of the actor's company, or `NotFound` (never another company's).
async fn company_playbook(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: &str,
) -> Result<playbook::Model, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    match playbook::Entity::find_by_id(id).one(db).await? {
        Some(p) if p.company_id == actor.company_id => Ok(p),
        _ => Err(not_found()),
    }
}

pub(crate) async fn cards_of(
    db: &impl ConnectionTrait,
    playbook_id: Uuid,
) -> Result<Vec<Card>, AppError> {
    let rows = card::Entity::find()
        .filter(card::Column::PlaybookId.eq(playbook_id))
        .order_by_asc(card::Column::Position)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let body: CardBody = serde_json::from_str(&row.settings).map_err(|e| {
                tracing::error!(error = %e, playbook = %playbook_id, "unreadable card");
                AppError::Internal
            })?;
            Ok(Card {
                id: row.card_id,
                audience: audience_from(&row.audience),
                body,
            })
        })
        .collect()
}

pub(crate) fn settings_of(p: &playbook::Model) -> PlaybookSettings {
    PlaybookSettings {
        name: p.name.clone(),
        active: p.active,
        bot_name: p.bot_name.clone(),
        avatar: p.avatar.map(|a| a.to_string()),
        accent_color: p.accent_color.clone(),
        rules: serde_json::from_str::<Vec<TargetRule>>(&p.rules).unwrap_or_default(),
        delay_seconds: u32::try_from(p.delay_seconds).unwrap_or(0),
        allowed_sites: serde_json::from_str(&p.allowed_sites).unwrap_or_default(),
    }
}

async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    p: playbook::Model,
) -> Result<PlaybookDetail, AppError> {
    let cards = cards_of(db, p.id).await?;
    let has_live_chat = cards.iter().any(|c| c.body.is_live_chat());
    Ok(PlaybookDetail {
        id: p.id.to_string(),
        snippet: String::new(),
        key: p.key.clone(),
        settings: settings_of(&p),
        version: p.version,
        live_chat: status(has_live_chat, p.last_loaded_at.is_some()),
        last_loaded_at: p.last_loaded_at.map(rfc3339),
        last_loaded_url: p.last_loaded_url.clone(),
        // Only while that site is still not allowed (an admin may have added it since).
        blocked: match (&p.blocked_origin, p.blocked_at) {
            (Some(o), Some(at))
                if !settings_of(&p).allowed_sites.is_empty()
                    && !settings_of(&p).allowed_sites.contains(o) =>
            {
                Some((o.clone(), rfc3339(at)))
            }
            _ => None,
        },
        can_edit: actor.may_manage_chatbot(),
        cards,
    })
}

async fn insert_cards(
    db: &impl ConnectionTrait,
    playbook_id: Uuid,
    cards: &[Card],
) -> Result<(), AppError> {
    for (position, c) in cards.iter().enumerate() {
        card::ActiveModel {
            playbook_id: Set(playbook_id),
            position: Set(position as i32),
            card_id: Set(c.id.clone()),
            audience: Set(audience_str(c.audience).into()),
            kind: Set(kind_str(&c.body).into()),
            settings: Set(serde_json::to_string(&c.body).map_err(|_| AppError::Internal)?),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Every rich text of the flow, sanitized (R6); settings trimmed and sites normalized.
fn clean(mut settings: PlaybookSettings, mut cards: Vec<Card>) -> (PlaybookSettings, Vec<Card>) {
    settings.name = settings.name.trim().to_string();
    settings.bot_name = settings.bot_name.trim().to_string();
    settings.accent_color = settings.accent_color.to_ascii_lowercase();
    settings.allowed_sites = settings
        .allowed_sites
        .iter()
        .filter_map(|s| model::parse_site(s).ok())
        .collect();
    for c in &mut cards {
        match &mut c.body {
            CardBody::Message { text }
            | CardBody::End { text }
            | CardBody::Capture { text, .. }
            | CardBody::Qualification { text, .. } => *text = sanitize(text),
            CardBody::Question {
                text,
                field,
                answers,
                ..
            } => {
                *text = sanitize(text);
                *field = field.trim().to_string();
                for a in answers.iter_mut() {
                    *a = a.trim().to_string();
                }
            }
            CardBody::LiveChat {
                online_message,
                offline_message,
                ..
            } => {
                *online_message = sanitize(online_message);
                *offline_message = sanitize(offline_message);
            }
        }
    }
    (settings, cards)
}

/// "Add playbook": blank, or from the Live Chat template. Returns the new playbook's id.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    template: Template,
) -> Result<String, AppError> {
    require_editor(actor)?;
    let (settings, cards) = match template {
        Template::Blank => (PlaybookSettings::default(), Vec::new()),
        Template::LiveChat => model::live_chat_template(),
    };
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let txn = crate::backend::db::write_txn(db).await?;
    playbook::ActiveModel {
        id: Set(id),
        company_id: Set(actor.company_id),
        key: Set(new_key()),
        name: Set(settings.name.clone()),
        active: Set(settings.active),
        bot_name: Set(settings.bot_name.clone()),
        avatar: Set(None),
        accent_color: Set(settings.accent_color.clone()),
        rules: Set("[]".into()),
        delay_seconds: Set(0),
        allowed_sites: Set("[]".into()),
        version: Set(1),
        last_loaded_at: Set(None),
        last_loaded_url: Set(None),
        blocked_origin: Set(None),
        blocked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    insert_cards(&txn, id, &cards).await?;
    txn.commit().await?;
    tracing::info!(playbook = %id, by = %actor.user_id, "playbook created");
    Ok(id.to_string())
}

pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<Vec<PlaybookSummary>, AppError> {
    let playbooks = playbook::Entity::find()
        .filter(playbook::Column::CompanyId.eq(actor.company_id))
        .order_by_asc(playbook::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = playbooks.iter().map(|p| p.id).collect();
    let with_live_chat: HashSet<Uuid> = card::Entity::find()
        .filter(card::Column::PlaybookId.is_in(ids))
        .filter(card::Column::Kind.eq("live_chat"))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.playbook_id)
        .collect();
    Ok(playbooks
        .into_iter()
        .map(|p| PlaybookSummary {
            id: p.id.to_string(),
            live_chat: status(with_live_chat.contains(&p.id), p.last_loaded_at.is_some()),
            last_loaded_at: p.last_loaded_at.map(rfc3339),
            last_loaded_url: p.last_loaded_url,
            name: p.name,
            active: p.active,
        })
        .collect())
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<PlaybookDetail, AppError> {
    let p = company_playbook(db, actor, id).await?;
    detail(db, actor, p).await
}

/// Saves settings and the whole flow in one transaction, only if nobody saved since
/// `expected_version` (a stale editor gets `Conflict`, and nothing is changed).
pub async fn save(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    expected_version: i64,
    settings: PlaybookSettings,
    cards: Vec<Card>,
) -> Result<PlaybookDetail, AppError> {
    require_editor(actor)?;
    let existing = company_playbook(db, actor, id).await?;
    model::validate(&settings, &cards)?;
    let (settings, cards) = clean(settings, cards);
    let avatar = match &settings.avatar {
        None => None,
        Some(a) => {
            let bad = || AppError::validation("avatar", "Upload the avatar image again.");
            let upload_id = Uuid::parse_str(a).map_err(|_| bad())?;
            match upload::Entity::find_by_id(upload_id).one(db).await? {
                Some(u) if u.company_id == actor.company_id => Some(upload_id),
                _ => return Err(bad()),
            }
        }
    };
    let txn = crate::backend::db::write_txn(db).await?;
    let updated = playbook::Entity::update_many()
        .col_expr(playbook::Column::Name, Expr::value(settings.name.clone()))
        .col_expr(playbook::Column::Active, Expr::value(settings.active))
        .col_expr(
            playbook::Column::BotName,
            Expr::value(settings.bot_name.clone()),
        )
        .col_expr(playbook::Column::Avatar, Expr::value(avatar))
        .col_expr(
            playbook::Column::AccentColor,
            Expr::value(settings.accent_color.clone()),
        )
        .col_expr(
            playbook::Column::Rules,
            Expr::value(serde_json::to_string(&settings.rules).map_err(|_| AppError::Internal)?),
        )
        .col_expr(
            playbook::Column::DelaySeconds,
            Expr::value(settings.delay_seconds as i32),
        )
        .col_expr(
            playbook::Column::AllowedSites,
            Expr::value(
                serde_json::to_string(&settings.allowed_sites).map_err(|_| AppError::Internal)?,
            ),
        )
        .col_expr(
            playbook::Column::Version,
            Expr::col(playbook::Column::Version).add(1),
        )
        .col_expr(
            playbook::Column::UpdatedAt,
            Expr::value(OffsetDateTime::now_utc()),
        )
        .filter(playbook::Column::Id.eq(existing.id))
        .filter(playbook::Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::Conflict(SAVE_CONFLICT.into()));
    }
    card::Entity::delete_many()
        .filter(card::Column::PlaybookId.eq(existing.id))
        .exec(&txn)
        .await?;
    insert_cards(&txn, existing.id, &cards).await?;
    let saved = playbook::Entity::find_by_id(existing.id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let result = detail(&txn, actor, saved).await?;
    txn.commit().await?;
    tracing::info!(playbook = %existing.id, version = result.version, by = %actor.user_id, "playbook saved");
    Ok(result)
}

pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<(), AppError> {
    require_editor(actor)?;
    let p = company_playbook(db, actor, id).await?;
    playbook::Entity::delete_by_id(p.id).exec(db).await?;
    tracing::info!(playbook = %p.id, by = %actor.user_id, "playbook deleted");
    Ok(())
}

/// The playbook with this widget key, if any (the widget's way in; no actor).
pub async fn by_key(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<playbook::Model>, AppError> {
    Ok(playbook::Entity::find()
        .filter(playbook::Column::Key.eq(key))
        .one(db)
        .await?)
}

/// Records that the widget of `key` was loaded from `page_url`, now (F1.7); a page on a site
/// that is not on the playbook's allow-list is recorded apart, for the editor to show (the
/// loader shows nothing there). Returns false for an unknown key.
pub async fn record_load(
    db: &DatabaseConnection,
    key: &str,
    page_url: Option<&str>,
) -> Result<bool, AppError> {
    let Some(p) = by_key(db, key).await? else {
        return Ok(false);
    };
    let url: Option<String> = page_url.map(|u| u.chars().take(2000).collect());
    let now = OffsetDateTime::now_utc();
    let allowed: Vec<String> = serde_json::from_str(&p.allowed_sites).unwrap_or_default();
    let origin = url.as_deref().and_then(origin_of);
    let update = playbook::Entity::update_many().filter(playbook::Column::Id.eq(p.id));
    let update = match origin {
        Some(o) if !allowed.is_empty() && !allowed.contains(&o) => update
            .col_expr(playbook::Column::BlockedOrigin, Expr::value(Some(o)))
            .col_expr(playbook::Column::BlockedAt, Expr::value(Some(now))),
        _ => update
            .col_expr(playbook::Column::LastLoadedAt, Expr::value(Some(now)))
            .col_expr(playbook::Column::LastLoadedUrl, Expr::value(url)),
    };
    update.exec(db).await?;
    Ok(true)
}

/// `https://shop.example.com:8443/a?b` → `https://shop.example.com:8443`, as browsers name
/// origins (and the allow-list stores them).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    model::parse_site(&format!("{scheme}://{host}")).ok()
}

/// Stores an uploaded image after sniffing its bytes; returns its id.
pub async fn store_upload(
    db: &DatabaseConnection,
    actor: &Actor,
    bytes: Vec<u8>,
) -> Result<String, AppError> {
    require_editor(actor)?;
    let kind = sniff(&bytes).map_err(|m| AppError::validation("image", m))?;
    // One image is decoded at a time per process: a decoded 4096 × 4096 image takes 64 MB,
    // and sixteen uploads at once must not take a gigabyte.
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let turn = DECODING.acquire().await.map_err(|_| AppError::Internal)?;
    let decoded = tokio::task::spawn_blocking(move || super::images::reencode(kind, &bytes)).await;
    drop(turn);
    let (kind, bytes) = decoded
        .map_err(|_| AppError::Internal)?
        .map_err(|m| AppError::validation("image", m))?;
    let id = Uuid::new_v4();
    upload::ActiveModel {
        id: Set(id),
        company_id: Set(actor.company_id),
        content_type: Set(kind.content_type().into()),
        size: Set(bytes.len() as i32),
        bytes: Set(bytes),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await?;
    Ok(id.to_string())
}

/// An uploaded image by id (public: images show in widgets on other sites).
pub async fn load_upload(
    db: &DatabaseConnection,
    id: &str,
) -> Result<Option<(ImageKind, Vec<u8>)>, AppError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    Ok(upload::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|u| ImageKind::from_content_type(&u.content_type).map(|k| (k, u.bytes))))
}

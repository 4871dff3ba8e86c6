//! Who is told what (F5.2) and the switches that decide it (F5.3). `notice_for` is the one
//! rule, applied by each open agent stream to the shared batch without a query; the switches
//! travel as events, so a change applies at once to every open stream on every server.
use super::{MyNotifications, Notice, NotifyKind, Switches, SOUNDS};
use crate::backend::actor::Actor;
use crate::backend::entities::{card, company, playbook, presence, user};
use crate::backend::realtime::hub;
use crate::conversation::engine::write_event;
use crate::conversation::feed::{Batch, Item};
use crate::conversation::{AuthorKind, ConversationState, EventPayload};
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

/// What one open stream knows of its user's settings; kept current by the events it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefs {
    pub company: Switches,
    pub mine: Switches,
    /// The "Online" toggle: only users who can take a new conversation hear of one.
    pub online: bool,
}

impl Prefs {
    /// Applies a settings or presence event of the batch; true when it was this user's own
    /// settings (the tab is told, for its sound).
    pub fn apply(&mut self, user_id: Uuid, payload: &EventPayload) -> bool {
        let me = user_id.to_string();
        match payload {
            EventPayload::Notifications {
                user_id: None,
                switches,
                ..
            } => self.company = *switches,
            EventPayload::Notifications {
                user_id: Some(u),
                switches,
                ..
            } if *u == me => {
                self.mine = *switches;
                return true;
            }
            EventPayload::Presence { user_id: u, online } if *u == me => self.online = *online,
            _ => {}
        }
        false
    }

    fn allows(&self, kind: NotifyKind) -> bool {
        self.company.on(kind) && self.mine.on(kind)
    }
}

/// The user's settings as they are now (read when a stream opens).
pub async fn prefs(db: &DatabaseConnection, actor: &Actor) -> Result<Prefs, AppError> {
    let company = company_switches(db, actor.company_id).await?;
    let u = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let online = presence::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .is_some_and(|p| p.online);
    Ok(Prefs {
        company,
        mine: user_switches(&u),
        online,
    })
}

async fn company_switches(db: &DatabaseConnection, company_id: Uuid) -> Result<Switches, AppError> {
    let c = company::Entity::find_by_id(company_id)
        .one(db)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(Switches {
        new_conversation: c.notify_new_conversation,
        assigned: c.notify_assigned,
        message: c.notify_message,
    })
}

fn user_switches(u: &user::Model) -> Switches {
    Switches {
        new_conversation: u.notify_new_conversation,
        assigned: u.notify_assigned,
        message: u.notify_message,
    }
}

fn column_of(kind: NotifyKind) -> (company::Column, user::Column) {
    match kind {
        NotifyKind::NewConversation => (
            company::Column::NotifyNewConversation,
            user::Column::NotifyNewConversation,
        ),
        NotifyKind::Assigned => (
            company::Column::NotifyAssigned,
            user::Column::NotifyAssigned,
        ),
        NotifyKind::Message => (company::Column::NotifyMessage, user::Column::NotifyMessage),
    }
}

/// An admin turns a kind on or off for the whole company; open streams apply it at once.
pub async fn set_company(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: NotifyKind,
    on: bool,
) -> Result<Switches, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    company::Entity::update_many()
        .col_expr(column_of(kind).0, Expr::value(on))
        .filter(company::Column::Id.eq(actor.company_id))
        .exec(&txn)
        .await?;
    let c = company::Entity::find_by_id(actor.company_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let switches = Switches {
        new_conversation: c.notify_new_conversation,
        assigned: c.notify_assigned,
        message: c.notify_message,
    };
    let change = EventPayload::Notifications {
        user_id: None,
        switches,
        sound: None,
    };
    write_event(&txn, actor.company_id, None, &change).await?;
    txn.commit().await?;
    hub::wake(db).await;
    tracing::info!(company = %actor.company_id, ?kind, on, by = %actor.user_id, "company notification switch");
    Ok(switches)
}

/// The signed-in user's own settings.
pub async fn mine(db: &DatabaseConnection, actor: &Actor) -> Result<MyNotifications, AppError> {
    let u = user::Entity::find_by_id(actor.user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(MyNotifications {
        company: company_switches(db, actor.company_id).await?,
        mine: user_switches(&u),
        sound: u.notify_sound,
    })
}

/// What a user changes for themselves: one kind on or off, or the sound.
pub enum MyChange {
    Switch(NotifyKind, bool),
    Sound(String),
}

/// A user turns a kind off (or on again) for themselves, or chooses the sound. A kind the
/// company turned off stays off whatever the user says.
pub async fn set_mine(
    db: &DatabaseConnection,
    actor: &Actor,
    change: MyChange,
) -> Result<MyNotifications, AppError> {
    let txn = crate::backend::db::write_txn(db).await?;
    let update = user::Entity::update_many().filter(user::Column::Id.eq(actor.user_id));
    let update = match &change {
        MyChange::Switch(kind, on) => update.col_expr(column_of(*kind).1, Expr::value(*on)),
        MyChange::Sound(sound) => {
            if !SOUNDS.iter().any(|(v, _)| v == sound) {
                return Err(AppError::validation(
                    "sound",
                    "Sound: choose one of the sounds in the list.",
                ));
            }
            update.col_expr(user::Column::NotifySound, Expr::value(sound.clone()))
        }
    };
    update.exec(&txn).await?;
    let u = user::Entity::find_by_id(actor.user_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let event = EventPayload::Notifications {
        user_id: Some(u.id.to_string()),
        switches: user_switches(&u),
        sound: Some(u.notify_sound.clone()),
    };
    write_event(&txn, actor.company_id, None, &event).await?;
    txn.commit().await?;
    hub::wake(db).await;
    mine(db, actor).await
}

/// F5.1: Live Chat is configured once an active playbook has a Live Chat card.
pub async fn live_chat_configured(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<bool, AppError> {
    let active: Vec<Uuid> = playbook::Entity::find()
        .filter(playbook::Column::CompanyId.eq(actor.company_id))
        .filter(playbook::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    if active.is_empty() {
        return Ok(false);
    }
    Ok(card::Entity::find()
        .filter(card::Column::PlaybookId.is_in(active))
        .filter(card::Column::Kind.eq("live_chat"))
        .count(db)
        .await?
        > 0)
}

/// The notification `user_id` gets for `item`, if any (F5.2): a new conversation in
/// Unassigned (to users who are online), a conversation assigned to them by someone else, a
/// visitor's message in a conversation assigned to them — never for their own actions, the
/// chatbot's messages, a conversation they may not see (F3.5) or a kind switched off.
pub fn notice_for(prefs: &Prefs, user_id: Uuid, item: &Item, batch: &Batch) -> Option<Notice> {
    let me = user_id.to_string();
    let (kind, conversation_id) = match &item.payload {
        EventPayload::Conversation {
            conversation,
            change: Some(change),
        } => {
            if change.by.as_deref() == Some(me.as_str()) {
                return None;
            }
            let kind = match (conversation.state, change.from) {
                // The visitor asked for a person, or an agent handed it back.
                (ConversationState::Waiting, Some(ConversationState::Bot))
                | (ConversationState::Unassigned, Some(ConversationState::Assigned)) => {
                    NotifyKind::NewConversation
                }
                (ConversationState::Assigned, _)
                    if conversation.assignee_id.as_deref() == Some(me.as_str()) =>
                {
                    NotifyKind::Assigned
                }
                _ => return None,
            };
            (kind, conversation.id.clone())
        }
        EventPayload::Message { message } if message.author == AuthorKind::Visitor => {
            let now = item.now?;
            if now.state != ConversationState::Assigned || now.assignee_id != Some(user_id) {
                return None;
            }
            (NotifyKind::Message, message.conversation_id.clone())
        }
        _ => return None,
    };
    if !prefs.allows(kind) || (kind == NotifyKind::NewConversation && !prefs.online) {
        return None;
    }
    // Still visible to this user as the batch was read (it may have moved on since).
    if let Some(now) = item.now {
        if !now.visible_to(user_id) {
            return None;
        }
    }
    let visitor = item
        .conversation_id
        .and_then(|c| batch.visitors.get(&c))
        .cloned()
        .unwrap_or_default();
    let name = if visitor.name.is_empty() {
        "Website visitor".to_string()
    } else {
        visitor.name
    };
    let page = visitor
        .page_url
        .map(|p| format!("On {p}"))
        .unwrap_or_else(|| "Open it in Live Chat.".into());
    let (title, body, folder) = match kind {
        NotifyKind::NewConversation => (format!("New conversation: {name}"), page, "unassigned"),
        NotifyKind::Assigned => (format!("Assigned to you: {name}"), page, "mine"),
        NotifyKind::Message => {
            let EventPayload::Message { message } = &item.payload else {
                return None;
            };
            (format!("{name} wrote"), first_line(&message.body), "mine")
        }
    };
    Some(Notice {
        kind,
        url: format!("/inbox?folder={folder}&c={conversation_id}"),
        conversation_id,
        title,
        body,
    })
}

/// A message's first line, at most 120 characters.
fn first_line(body: &str) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(120).collect();
    if line.chars().count() > 120 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_told_by_its_first_line() {
        assert_eq!(first_line("\n  Hello there \nsecond"), "Hello there");
        let long = "x".repeat(200);
        assert_eq!(first_line(&long).chars().count(), 121);
    }

    #[test]
    fn a_kind_needs_both_switches() {
        let mut p = Prefs {
            company: Switches::ALL_ON,
            mine: Switches::ALL_ON,
            online: true,
        };
        assert!(p.allows(NotifyKind::Message));
        p.mine = p.mine.with(NotifyKind::Message, false);
        assert!(!p.allows(NotifyKind::Message));
        assert!(p.allows(NotifyKind::Assigned));
        p.company = p.company.with(NotifyKind::Assigned, false);
        assert!(!p.allows(NotifyKind::Assigned));
    }
}

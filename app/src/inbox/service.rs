//! What agents read: folder lists, folder counts, the opened conversation, the people a
//! conversation can be handed to (F3.2–F3.5).
use super::{Assignee, ConversationDetail, ConversationSummary, Folder, FolderCounts};
use crate::backend::actor::Actor;
use crate::backend::entities::{conversation, message, user};
use crate::conversation::engine::{
    parse_id, transcript, view, view_named, visible_to, visitor_name,
};
use crate::conversation::feed::{self, Counts, UNASSIGNED_STATES};
use crate::conversation::{AuthorKind, ConversationState};
use crate::error::AppError;
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use ConversationState::*;

fn not_found() -> AppError {
    crate::conversation::engine::not_found()
}

/// The states a folder holds.
fn folder_states(folder: Folder) -> &'static [ConversationState] {
    match folder {
        Folder::Unassigned => &UNASSIGNED_STATES,
        Folder::Mine => &[Assigned],
        Folder::Closed => &[Closed],
    }
}

/// Which conversations of these states this user's folder holds (F3.5 built in).
fn folder_condition(
    actor: &Actor,
    folder: Folder,
    states: &[ConversationState],
) -> sea_orm::Condition {
    let c = sea_orm::Condition::all()
        .add(conversation::Column::CompanyId.eq(actor.company_id))
        .add(conversation::Column::State.is_in(states.iter().map(|s| s.as_str())));
    match folder {
        Folder::Mine => c.add(conversation::Column::AssigneeId.eq(actor.user_id)),
        Folder::Unassigned | Folder::Closed => c,
    }
}

/// A folder's conversations, newest first, `PAGE_SIZE` at a time (`before`: the last id of
/// the previous page).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    folder: Folder,
    before: Option<&str>,
) -> Result<Vec<ConversationSummary>, AppError> {
    let before = before.map(parse_id).transpose()?;
    // One query per state, each read in order straight from the `conversation_folder` index,
    // then merged: `state IN (…) ORDER BY id` would sort the whole folder (100,000 closed
    // conversations took 60 ms; B5).
    let mut rows = Vec::new();
    for state in folder_states(folder) {
        let mut q = conversation::Entity::find().filter(folder_condition(
            actor,
            folder,
            std::slice::from_ref(state),
        ));
        if let Some(b) = before {
            q = q.filter(conversation::Column::Id.lt(b));
        }
        rows.extend(
            q.order_by_desc(conversation::Column::Id)
                .limit(super::PAGE_SIZE as u64)
                .all(db)
                .await?,
        );
    }
    rows.sort_by_key(|c| std::cmp::Reverse(c.id));
    rows.truncate(super::PAGE_SIZE);
    // Two queries for the whole page, not two per row: each conversation's newest message
    // (one index seek each through `message_conversation_seq`) and the assignees' names.
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    // Which of them the visitor wrote in (a chat opened and left says nothing).
    let wrote: std::collections::HashSet<Uuid> = message::Entity::find()
        .select_only()
        .column(message::Column::ConversationId)
        .distinct()
        .filter(message::Column::ConversationId.is_in(ids.clone()))
        .filter(message::Column::AuthorKind.eq(AuthorKind::Visitor.as_str()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // The preview is what a person (the visitor or an agent) said last; the bot's lines only
    // when no person has written (a missed chat's preview is the visitor's question, not the
    // bot's "we will get back to you").
    let mut last = newest_messages(db, &ids, true).await?;
    let silent: Vec<Uuid> = ids
        .iter()
        .filter(|id| !last.contains_key(id))
        .copied()
        .collect();
    if !silent.is_empty() {
        last.extend(newest_messages(db, &silent, false).await?);
    }
    let assignee_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.assignee_id).collect();
    let names: std::collections::HashMap<Uuid, String> = if assignee_ids.is_empty() {
        Default::default()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(assignee_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    Ok(rows
        .iter()
        .map(|c| ConversationSummary {
            conversation: view_named(c, c.assignee_id.and_then(|a| names.get(&a).cloned())),
            visitor: visitor_name(c),
            last_message: last.get(&c.id).cloned(),
            visitor_wrote: wrote.contains(&c.id),
        })
        .collect())
}

/// Each conversation's newest message text (plain, at most 140 characters); of people's
/// messages only when `people_only`. One index seek per conversation.
async fn newest_messages(
    db: &DatabaseConnection,
    ids: &[Uuid],
    people_only: bool,
) -> Result<std::collections::HashMap<Uuid, String>, AppError> {
    let bot = AuthorKind::Bot.as_str();
    let people = [AuthorKind::Visitor.as_str(), AuthorKind::Agent.as_str()];
    let inner = if people_only {
        format!(" AND m2.author_kind IN ('{}', '{}')", people[0], people[1])
    } else {
        String::new()
    };
    let mut q = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(ids.to_vec()))
        .filter(Expr::cust(format!(
            "seq = (SELECT MAX(m2.seq) FROM message m2 \
             WHERE m2.conversation_id = message.conversation_id{inner})"
        )));
    if people_only {
        q = q.filter(message::Column::AuthorKind.is_in(people));
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .map(|m| {
            let text = if m.author_kind == bot {
                crate::chatbot::sanitize::plain_text(&m.body)
            } else {
                m.body
            };
            (m.conversation_id, text.chars().take(140).collect())
        })
        .collect())
}

/// The folder counts this user may see.
pub async fn counts(db: &DatabaseConnection, actor: &Actor) -> Result<FolderCounts, AppError> {
    Ok(folder_counts(
        &feed::counts(db, actor.company_id).await?,
        actor,
    ))
}

/// This user's folder counts out of the company's (what the event stream sends too).
pub fn folder_counts(company: &Counts, actor: &Actor) -> FolderCounts {
    FolderCounts {
        unassigned: company.unassigned,
        mine: company.mine.get(&actor.user_id).copied().unwrap_or(0),
        closed: company.closed,
    }
}

/// An opened conversation (F3.3), unless it is someone else's (F3.5).
pub async fn detail(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
) -> Result<ConversationDetail, AppError> {
    let id = parse_id(id)?;
    let c = conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| visible_to(actor, c))
        .ok_or_else(not_found)?;
    let messages = transcript(db, c.id).await?;
    let author_ids: Vec<Uuid> = messages.iter().filter_map(|m| m.author_id).collect();
    let names = if author_ids.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(author_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect()
    };
    Ok(ConversationDetail {
        conversation: view(db, &c).await?,
        visitor: visitor_name(&c),
        messages: messages.iter().map(Into::into).collect(),
        names,
    })
}

/// The active users of the company, to hand a conversation to (F3.4).
pub async fn assignees(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<Assignee>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::CompanyId.eq(actor.company_id))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Assignee {
            id: u.id.to_string(),
            name: u.name,
        })
        .collect())
}

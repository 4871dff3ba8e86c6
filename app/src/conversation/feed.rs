//! How new event rows become one shared batch for every open stream of this process: read
//! once per wake, parsed once, serialized once for the agents, with what each stream needs
//! to filter without a query — the conversation as it is now (F3.5), the agents' names for
//! the visitor's view, and the folder counts when a conversation changed. `run` is the one
//! reader per process; `load` also serves a stream that catches up (connect, lag).
use super::{ConversationState, EventPayload};
use crate::backend::entities::{conversation, event, user};
use crate::backend::realtime::fanout::{Fanout, Topic};
use crate::error::AppError;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// One event, ready for every stream.
pub struct Item {
    pub id: i64,
    pub company_id: Uuid,
    pub conversation_id: Option<Uuid>,
    pub payload: EventPayload,
    /// The agents' wire form of the payload's content, serialized once.
    pub json: std::sync::Arc<str>,
    /// The conversation as it is now: a message is shown only to who may see it now.
    pub now: Option<Now>,
}

/// A conversation's current state and assignee.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub state: ConversationState,
    pub assignee_id: Option<Uuid>,
}

impl Now {
    /// F3.5: everyone of the company sees it unless it is assigned to someone else (and not
    /// closed). The caller has matched the company.
    pub fn visible_to(&self, user_id: Uuid) -> bool {
        super::access::may_see(&user_id, self.state, self.assignee_id.as_ref())
    }
}

/// A company's folder counts, for every user at once: "Mine" is per assignee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub unassigned: u64,
    pub closed: u64,
    pub mine: HashMap<Uuid, u64>,
}

/// New events, in id order (commit order: see `crate::backend::db` for PostgreSQL).
#[derive(Default)]
pub struct Batch {
    pub items: Vec<Item>,
    /// Users' names by id, for the agent messages of the batch.
    pub names: HashMap<Uuid, String>,
    /// Folder counts of each company whose conversations changed in this batch.
    pub counts: HashMap<Uuid, Counts>,
    /// Each conversation's visitor, as notifications name them (F5.2): name and page.
    pub visitors: HashMap<Uuid, Visitor>,
}

/// Who a conversation's visitor is, for a notification's title and body.
#[derive(Clone, Debug, Default)]
pub struct Visitor {
    pub name: String,
    pub page_url: Option<String>,
}

impl Batch {
    /// The companies and conversations this batch concerns.
    fn topics(&self) -> BTreeSet<TopicKey> {
        let mut t = BTreeSet::new();
        for i in &self.items {
            t.insert(TopicKey(0, i.company_id));
            if let Some(c) = i.conversation_id {
                t.insert(TopicKey(1, c));
            }
        }
        t
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct TopicKey(u8, Uuid);

impl From<TopicKey> for Topic {
    fn from(k: TopicKey) -> Self {
        if k.0 == 0 {
            Topic::Company(k.1)
        } else {
            Topic::Conversation(k.1)
        }
    }
}

/// Which events to read.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    All,
    Company(Uuid),
    Conversation(Uuid),
}

/// The states the Unassigned folder holds (F3.2).
pub const UNASSIGNED_STATES: [ConversationState; 3] = [
    ConversationState::Waiting,
    ConversationState::Missed,
    ConversationState::Unassigned,
];

/// The company's folder counts for every user: three indexed counts.
pub async fn counts(db: &DatabaseConnection, company_id: Uuid) -> Result<Counts, AppError> {
    let in_states = |states: &[ConversationState]| {
        conversation::Entity::find()
            .filter(conversation::Column::CompanyId.eq(company_id))
            .filter(conversation::Column::State.is_in(states.iter().map(|s| s.as_str())))
    };
    let unassigned = in_states(&UNASSIGNED_STATES).count(db).await?;
    let closed = in_states(&[ConversationState::Closed]).count(db).await?;
    let mine = in_states(&[ConversationState::Assigned])
        .select_only()
        .column(conversation::Column::AssigneeId)
        .column_as(conversation::Column::Id.count(), "n")
        .group_by(conversation::Column::AssigneeId)
        .into_tuple::<(Option<Uuid>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(a, n)| a.map(|a| (a, n.max(0) as u64)))
        .collect();
    Ok(Counts {
        unassigned,
        closed,
        mine,
    })
}

/// The events of `scope` after `after` (at most `limit`), prepared; None when there are none.
pub async fn load(
    db: &DatabaseConnection,
    scope: Scope,
    after: i64,
    limit: u64,
) -> Result<Option<(Batch, i64)>, AppError> {
    let mut q = event::Entity::find().filter(event::Column::Id.gt(after));
    q = match scope {
        Scope::All => q,
        Scope::Company(c) => q.filter(event::Column::CompanyId.eq(c)),
        Scope::Conversation(c) => q.filter(event::Column::ConversationId.eq(c)),
    };
    let rows = q
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let Some(last) = rows.last().map(|e| e.id) else {
        return Ok(None);
    };
    let conversation_ids: Vec<Uuid> = rows
        .iter()
        .filter_map(|e| e.conversation_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut visitors = HashMap::new();
    let now: HashMap<Uuid, Now> = if conversation_ids.is_empty() {
        HashMap::new()
    } else {
        conversation::Entity::find()
            .filter(conversation::Column::Id.is_in(conversation_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| {
                let state = ConversationState::parse(&c.state).unwrap_or(ConversationState::Closed);
                visitors.insert(
                    c.id,
                    Visitor {
                        name: super::engine::visitor_name(&c),
                        page_url: c.page_url.clone(),
                    },
                );
                (
                    c.id,
                    Now {
                        state,
                        assignee_id: c.assignee_id,
                    },
                )
            })
            .collect()
    };
    let mut batch = Batch {
        visitors,
        ..Batch::default()
    };
    let mut authors = BTreeSet::new();
    let mut changed = BTreeSet::new();
    for e in rows {
        let payload: EventPayload =
            serde_json::from_str(&e.payload).map_err(|_| AppError::Internal)?;
        let json = match &payload {
            EventPayload::Conversation { conversation, .. } => {
                changed.insert(e.company_id);
                serde_json::to_string(conversation)
            }
            EventPayload::Message { message } => {
                if let Some(a) = message.author_id.as_deref() {
                    authors.extend(Uuid::parse_str(a).ok());
                }
                serde_json::to_string(message)
            }
            EventPayload::Panel {
                conversation_id,
                version,
            } => serde_json::to_string(&serde_json::json!({
                "id": conversation_id,
                "version": version,
            })),
            EventPayload::User { .. }
            | EventPayload::SignedOut { .. }
            | EventPayload::Notifications { .. }
            | EventPayload::Presence { .. } => serde_json::to_string(&payload),
        }
        .map_err(|_| AppError::Internal)?;
        batch.items.push(Item {
            id: e.id,
            company_id: e.company_id,
            conversation_id: e.conversation_id,
            now: e.conversation_id.and_then(|c| now.get(&c).copied()),
            payload,
            json: json.into(),
        });
    }
    if !authors.is_empty() {
        batch.names = user::Entity::find()
            .filter(user::Column::Id.is_in(authors))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
    }
    if !matches!(scope, Scope::Conversation(_)) {
        for company in changed {
            batch.counts.insert(company, counts(db, company).await?);
        }
    }
    Ok(Some((batch, last)))
}

/// The newest event id (where this process's reader starts).
pub async fn newest(db: &DatabaseConnection, scope: Scope) -> Result<i64, AppError> {
    let mut q = event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "max_id");
    q = match scope {
        Scope::All => q,
        Scope::Company(c) => q.filter(event::Column::CompanyId.eq(c)),
        Scope::Conversation(c) => q.filter(event::Column::ConversationId.eq(c)),
    };
    Ok(q.into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// How many events one read takes at most.
const READ_LIMIT: u64 = 1000;

/// The process's one reader: on every wake (and every second, in case a wake was lost) it
/// reads what is new once and publishes it to the streams of the topics it concerns.
pub async fn run(fanout: Arc<Fanout<Batch>>, db: DatabaseConnection) {
    let mut after = loop {
        match newest(&db, Scope::All).await {
            Ok(a) => break a,
            Err(e) => {
                tracing::warn!(error = %e, "the event reader cannot start yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut pruned = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = fanout.kick.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        loop {
            match load(&db, Scope::All, after, READ_LIMIT).await {
                Ok(Some((batch, last))) => {
                    let full = batch.items.len() as u64 >= READ_LIMIT;
                    after = last;
                    let topics = batch.topics();
                    let topics = topics.into_iter().map(Topic::from).chain([Topic::All]);
                    fanout.publish(&Arc::new(batch), topics);
                    if !full {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "the event reader could not read");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
        if pruned.elapsed() > Duration::from_secs(10) {
            fanout.prune();
            pruned = tokio::time::Instant::now();
        }
    }
}

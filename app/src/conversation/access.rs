//! F3.5, the one rule of who sees a conversation: every agent of its company, unless it is
//! assigned to someone else and not closed. The engine (what an agent may read, take or
//! answer), the feed and the event streams (which events reach which tab) and the lists all
//! ask this function; `tests/service` proves them the same in every state.
use super::ConversationState;

/// Whether user `user_id` (of the conversation's company: the caller checks the company)
/// may see a conversation in `state` assigned to `assignee_id`. Ids of any kind: the server
/// has `Uuid`s, the inbox in the browser their text.
pub fn may_see<Id: PartialEq>(
    user_id: &Id,
    state: ConversationState,
    assignee_id: Option<&Id>,
) -> bool {
    state == ConversationState::Closed || assignee_id.is_none() || assignee_id == Some(user_id)
}

/// The engine, the feed and the agents' event streams agree with `may_see`, for every state
/// and every assignee (nobody, the agent, someone else).
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::account::Role;
    use crate::backend::actor::Actor;
    use crate::backend::entities::conversation;
    use crate::conversation::engine::{view_named, visible_to};
    use crate::conversation::feed::{Batch, Item, Now};
    use crate::conversation::{AuthorKind, EventPayload, MessageView};
    use crate::notifications::service::Prefs;
    use std::sync::Arc;
    use time::OffsetDateTime;
    use uuid::Uuid;

    #[test]
    fn the_engine_the_feed_and_the_streams_agree_in_every_state() {
        let company = Uuid::now_v7();
        let agent = Actor {
            user_id: Uuid::now_v7(),
            company_id: company,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: Role::Regular,
            can_manage_chatbot: false,
        };
        let someone_else = Uuid::now_v7();
        let states = [
            ConversationState::Bot,
            ConversationState::Waiting,
            ConversationState::Assigned,
            ConversationState::Unassigned,
            ConversationState::Missed,
            ConversationState::Closed,
        ];
        let mut seen = 0;
        for state in states {
            for assignee in [None, Some(agent.user_id), Some(someone_else)] {
                let rule = may_see(&agent.user_id, state, assignee.as_ref());
                seen += usize::from(rule);
                let now = OffsetDateTime::now_utc();
                let c = conversation::Model {
                    id: Uuid::now_v7(),
                    company_id: company,
                    playbook_id: None,
                    visitor_id: Uuid::now_v7(),
                    state: state.as_str().into(),
                    assignee_id: assignee,
                    page_url: None,
                    wait_deadline: None,
                    closed_at: None,
                    answers: "{}".into(),
                    created_at: now,
                    updated_at: now,
                    flow_card: None,
                    qualified: None,
                    crm_kind: None,
                    crm_created_at: None,
                    missed_at: None,
                    contact_email: None,
                    contact_phone: None,
                    contact_name: None,
                };
                let case = format!("{state:?}, assignee {assignee:?}");
                assert_eq!(visible_to(&agent, &c), rule, "engine: {case}");
                let now_row = Now {
                    state,
                    assignee_id: assignee,
                };
                assert_eq!(now_row.visible_to(agent.user_id), rule, "feed: {case}");
                let message = MessageView {
                    id: Uuid::now_v7().to_string(),
                    conversation_id: c.id.to_string(),
                    seq: 1,
                    author: AuthorKind::Visitor,
                    author_id: None,
                    body: "Hello".into(),
                    client_id: None,
                    created_at: String::new(),
                };
                let item = |id: i64, payload: EventPayload| Item {
                    id,
                    company_id: company,
                    conversation_id: Some(c.id),
                    json: Arc::from(""),
                    now: Some(now_row),
                    payload,
                };
                let batch = Batch {
                    items: vec![
                        item(
                            1,
                            EventPayload::Conversation {
                                conversation: view_named(&c, None),
                                change: None,
                            },
                        ),
                        item(2, EventPayload::Message { message }),
                    ],
                    ..Batch::default()
                };
                let mut prefs = Prefs {
                    company: Default::default(),
                    mine: Default::default(),
                    online: false,
                };
                let mut out = Vec::new();
                crate::inbox::endpoints::pick(&agent, &mut prefs, &batch, 0, &mut out).unwrap();
                // (What the agent is told of it, `notify`, has its own rule.)
                let names: Vec<&str> = out
                    .iter()
                    .map(|(_, name, _)| *name)
                    .filter(|n| *n != "notify")
                    .collect();
                let expected: &[&str] = if rule {
                    &["conversation", "message"]
                } else {
                    &["hidden"]
                };
                assert_eq!(names, expected, "stream: {case}");
            }
        }
        // Closed: all three; unassigned states: nobody's or the agent's (not someone
        // else's, which cannot happen but is refused all the same); assigned: the agent's.
        assert_eq!(seen, 3 + 5 * 2, "{seen}");
    }
}

//! The opened conversation (F3.3–F3.7): header with "Assign to me", the reassign dropdown
//! and "Close conversation"; the whole transcript; the composer; what the visitor told the
//! bot and the CRM item made from it.
use super::super::api::{send_message, AssignToMe, CloseConversation, Reassign};
use super::super::{Assignee, ConversationDetail};
use super::{author_label, Draft, Live};
use crate::account::Me;
use crate::conversation::{AuthorKind, ConversationState, ConversationView, MessageView};
use crate::crm::view::panel::SidePanel;
use crate::error::AppError;
use crate::ui::text::LinkedText;
use crate::ui::time::LocalTime;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ChatWindow(
    detail: ConversationDetail,
    assignees: Resource<Result<Vec<Assignee>, AppError>>,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let Me(me) = expect_context::<Me>();
    let my_id = move || me.get().and_then(Result::ok).flatten().map(|u| u.id);
    let draft = expect_context::<Draft>();
    let c = detail.conversation.clone();
    let id = c.id.clone();
    // What changes without a new state: messages, the visitor's page, the CRM item. A new
    // state or assignee loads the conversation again (the buttons change with it).
    let messages = RwSignal::new(detail.messages.clone());
    let conversation = RwSignal::new(c.clone());
    Effect::new({
        let id = id.clone();
        move || {
            if let Some(m) = live.message.get() {
                if m.conversation_id == id {
                    add_message(messages, m);
                }
            }
        }
    });
    // Only changes that come after this window was made (an older one must not make it
    // load again and again).
    Effect::watch(
        move || live.conversation.get(),
        {
            let id = id.clone();
            move |new: &Option<ConversationView>, _, _| {
                let Some(new) = new.clone().filter(|n| n.id == id) else {
                    return;
                };
                let now = conversation.get_untracked();
                if new.state == now.state && new.assignee_id == now.assignee_id {
                    conversation.set(new);
                } else {
                    live.open.update(|n| *n += 1);
                }
            }
        },
        false,
    );
    // The newest message in sight, as in any chat.
    let transcript = NodeRef::<leptos::html::Ol>::new();
    Effect::new(move || {
        messages.track();
        if let Some(ol) = transcript.get() {
            ol.set_scroll_top(ol.scroll_height());
        }
    });
    let assign = ServerAction::<AssignToMe>::new();
    // Made by the page: its answer outlives this window (see `InboxPage`).
    let reassign = draft.reassign;
    let query = use_query_map();
    let close = ServerAction::<CloseConversation>::new();
    // Every action answers with the new state, or a clear refusal (kept above the window,
    // which loads again either way).
    let settle =
        move |version: RwSignal<usize>,
              value: MappedSignal<Option<Result<ConversationView, AppError>>>| {
            Effect::new(move || {
                if version.get() > 0 {
                    let refusal = value.get_untracked().and_then(Result::err);
                    draft.notice.set(refusal.map(|e| e.to_string()));
                    live.open.update(|n| *n += 1);
                    live.list.update(|n| *n += 1);
                }
            });
        };
    settle(assign.version(), assign.value());
    settle(close.version(), close.value());
    let state = c.state;
    let closed = state == ConversationState::Closed;
    let takeable = matches!(
        state,
        ConversationState::Waiting | ConversationState::Unassigned | ConversationState::Missed
    );
    let assignee_id = c.assignee_id.clone();
    let mine = {
        let a = assignee_id.clone();
        move || a.is_some() && a == my_id()
    };
    let can_act = {
        let mine = mine.clone();
        move || takeable || mine()
    };
    // Who wrote what: earlier authors, and whoever has it now.
    let mut names = detail.names.clone();
    if let (Some(a), Some(n)) = (&c.assignee_id, &c.assignee_name) {
        names.push((a.clone(), n.clone()));
    }
    let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
    let current_assignee = assignee_id.clone().unwrap_or_default();
    let title = detail.visitor.clone();
    let closed_at = c.closed_at.clone().unwrap_or_default();
    let missed_at = c.missed_at.clone().unwrap_or_default();
    view! {
        <article class="chat" aria-label="Conversation">
            <header class="chat-head">
                // On a phone the conversation takes the whole screen: the way back to the list.
                <a class="back-link" href=move || format!("/inbox?folder={}", query.read().get("folder").unwrap_or_else(|| "unassigned".into()))>
                    "← All conversations"
                </a>
                <div class="chat-title">
                    // Renamed live (a name typed in the side panel) by the conversation's events.
                    <h2>{move || conversation.with(|c| {
                        if c.visitor.is_empty() { title.clone() } else { c.visitor.clone() }
                    })}</h2>
                    <p class="chat-meta">
                        {match state {
                            ConversationState::Closed => view! { <span>"Closed "</span><LocalTime utc=closed_at/> }.into_any(),
                            ConversationState::Assigned => view! { <span>{format!("Assigned to {}", c.assignee_name.clone().unwrap_or_default())}</span> }.into_any(),
                            ConversationState::Waiting => view! { <span>"Waiting for someone to take it"</span> }.into_any(),
                            ConversationState::Unassigned => view! { <span>"Unassigned"</span> }.into_any(),
                            ConversationState::Missed => view! {
                                <span class="missed">"Missed"</span>
                                <span>" — nobody was online or took it in time ("</span><LocalTime utc=missed_at/>
                                <span>"); the visitor got the offline flow. Take it to answer."</span>
                            }.into_any(),
                            ConversationState::Bot => view! { <span>"With the chatbot"</span> }.into_any(),
                        }}
                    </p>
                </div>
                <div class="chat-actions">
                    {takeable.then(|| view! {
                        <button type="button" class="primary" disabled=move || assign.pending().get()
                            on:click=move |_| { assign.dispatch(AssignToMe { id: id1.clone() }); }>
                            "Assign to me"
                        </button>
                    })}
                    {(!closed).then(|| {
                        let can_act = can_act.clone();
                        let current = current_assignee.clone();
                        view! {
                            <label class="assignee">
                                <span>"Assigned to"</span>
                                <select disabled=move || !can_act() || reassign.pending().get()
                                    on:change=move |ev| {
                                        let to = event_target_value(&ev);
                                        reassign.dispatch(Reassign { id: id2.clone(), to: Some(to) });
                                    }>
                                    <option value="" selected=current.is_empty()>"Unassigned"</option>
                                    <Transition fallback=|| ()>
                                        {
                                            let current = current.clone();
                                            move || assignees.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|a| {
                                                let selected = a.id == current;
                                                view! { <option value=a.id.clone() selected=selected>{a.name}</option> }
                                            }).collect_view()
                                        }
                                    </Transition>
                                </select>
                            </label>
                        }
                    })}
                    {(!closed).then(|| {
                        let can_close = can_act.clone();
                        view! {
                            <button type="button" disabled=move || !can_close() || close.pending().get()
                                on:click=move |_| { close.dispatch(CloseConversation { id: id3.clone() }); }>
                                "Close conversation"
                            </button>
                        }
                    })}
                </div>
            </header>
            <div class="chat-body">
                <ol class="transcript" aria-label="Transcript" node_ref=transcript>
                    <For each=move || messages.get() key=|m| m.id.clone() let:m>
                        {line(&m, &names)}
                    </For>
                </ol>
                <aside class="chat-panel" aria-label="Details">
                    <h3>"Visitor"</h3>
                    <dl>
                        <dt>"Page"</dt>
                        <dd class="visitor-page">{move || conversation.with(|c| c.page_url.clone()).unwrap_or_else(|| "Unknown".into())}</dd>
                    </dl>
                    <SidePanel id=id.clone() changed=live.panel/>
                </aside>
            </div>
            {(!closed).then(|| {
                let mine = mine.clone();
                view! { <Composer id=id.clone() messages enabled=Signal::derive(mine)/> }
            })}
        </article>
    }
}

/// One line of the transcript.
fn line(m: &MessageView, names: &[(String, String)]) -> impl IntoView {
    let who = author_label(m, names);
    let class = format!("line line-{}", m.author.as_str());
    let body = if m.author == AuthorKind::Bot {
        // Sanitized (allow-list) when the playbook was saved and again when the flow wrote
        // it (R6).
        view! { <div class="message-bubble message-body" inner_html=m.body.clone()></div> }
            .into_any()
    } else {
        view! { <div class="message-bubble message-text"><LinkedText text=m.body.clone()/></div> }
            .into_any()
    };
    view! {
        <li class=class>
            {(!who.is_empty()).then(|| view! { <span class="line-who">{who}</span> })}
            {body}
            <LocalTime utc=m.created_at.clone() class="line-at"/>
        </li>
    }
}

/// Adds a message once (it may come from the send's answer and from the stream), in order.
fn add_message(messages: RwSignal<Vec<MessageView>>, m: MessageView) {
    messages.update(|all| {
        if !all.iter().any(|x| x.id == m.id) {
            all.push(m);
            all.sort_by_key(|x| x.seq);
        }
    });
}

/// Enter sends, Shift+Enter is a new line. A failed send stays, with "Retry" (same client
/// id, so it is stored once). What is typed lives in the page's `Draft`, so a reload of the
/// window (someone took the conversation, say) does not lose it.
#[component]
fn Composer(
    id: String,
    messages: RwSignal<Vec<MessageView>>,
    enabled: Signal<bool>,
) -> impl IntoView {
    let Draft {
        text,
        failed,
        sending,
        ..
    } = expect_context::<Draft>();
    let send = move |client_id: String, body: String| {
        let id = id.clone();
        sending.set(true);
        leptos::task::spawn_local(async move {
            match send_message(id, body.clone(), Some(client_id.clone())).await {
                Ok(m) => {
                    failed.set(None);
                    add_message(messages, m);
                }
                Err(e) => failed.set(Some((client_id, body, e.to_string()))),
            }
            sending.set(false);
        });
    };
    let send2 = send.clone();
    let submit = move || {
        let body = text.get_untracked().trim().to_string();
        if body.is_empty() || sending.get_untracked() {
            return;
        }
        text.set(String::new());
        send(new_client_id(), body);
    };
    let submit2 = submit.clone();
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label for="composer-text">"Message"</label>
            <textarea id="composer-text" rows="2" maxlength="4000"
                disabled=move || !enabled.get()
                placeholder=move || if enabled.get() { "Write a reply… (Enter sends, Shift+Enter for a new line)" } else { "Assign the conversation to yourself to reply." }
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        submit2();
                    }
                }></textarea>
            <button type="submit" class="primary" disabled=move || !enabled.get() || sending.get()>"Send"</button>
            {move || failed.get().map(|(client_id, body, error)| {
                let send = send2.clone();
                view! {
                    <p class="send-failed" role="alert">
                        {format!("Not sent: {error} ")}
                        <button type="button" on:click=move |_| send(client_id.clone(), body.clone())>"Retry"</button>
                    </p>
                }
            })}
        </form>
    }
}

fn new_client_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        format!(
            "{:x}{:x}",
            (js_sys::Math::random() * 1e15) as u64,
            js_sys::Date::now() as u64
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

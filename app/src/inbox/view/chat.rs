//! The opened conversation (F3.3–F3.7): header with "Assign to me", the reassign dropdown
//! and "Close conversation"; the whole transcript; the composer; what the visitor told the
//! bot and the CRM item made from it.
use super::super::api::{send_message, AssignToMe, CloseConversation, Reassign};
use super::super::{Assignee, AuthorKind, ConversationDetail, ConversationState};
use super::{author_label, when, Live};
use crate::error::AppError;
use crate::ui::shell::Me;
use leptos::prelude::*;

#[component]
pub fn ChatWindow(
    detail: ConversationDetail,
    assignees: Resource<Result<Vec<Assignee>, AppError>>,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let Me(me) = expect_context::<Me>();
    let my_id = move || me.get().and_then(Result::ok).flatten().map(|u| u.id);
    let c = detail.conversation.clone();
    let id = c.id.clone();
    let assign = ServerAction::<AssignToMe>::new();
    let reassign = ServerAction::<Reassign>::new();
    let close = ServerAction::<CloseConversation>::new();
    // Every action answers with the new state, or a clear refusal; either way, refresh.
    let refresh = move || {
        live.open.update(|n| *n += 1);
        live.list.update(|n| *n += 1);
    };
    Effect::new(move || {
        if assign.version().get() + reassign.version().get() + close.version().get() > 0 {
            refresh();
        }
    });
    let action_error = move || {
        [
            assign.value().get().and_then(Result::err),
            reassign.value().get().and_then(Result::err),
            close.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    };
    let state = c.state;
    let closed = state == ConversationState::Closed;
    // Nobody took it in time: it can only be closed.
    let offline = state == ConversationState::Offline;
    let takeable = matches!(
        state,
        ConversationState::Waiting | ConversationState::Unassigned
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
    let names = detail.names.clone();
    let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
    let current_assignee = assignee_id.clone().unwrap_or_default();
    let title = detail
        .details
        .iter()
        .find(|(k, _)| k == "name" || k == "email")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "Website visitor".into());
    view! {
        <article class="chat" aria-label="Conversation">
            <header class="chat-head">
                <div class="chat-title">
                    <h2>{title}</h2>
                    <p class="chat-meta">
                        {match state {
                            ConversationState::Closed => format!("Closed {}", c.closed_at.as_deref().map(when).unwrap_or_default()),
                            ConversationState::Assigned => format!("Assigned to {}", c.assignee_name.clone().unwrap_or_default()),
                            ConversationState::Waiting => "Waiting for someone to take it".to_string(),
                            ConversationState::Unassigned => "Unassigned".to_string(),
                            ConversationState::Offline => "Nobody took it in time".to_string(),
                            ConversationState::Bot => "With the chatbot".to_string(),
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
                    {(!closed && !offline).then(|| {
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
                            <button type="button" disabled=move || !(offline || can_close()) || close.pending().get()
                                on:click=move |_| { close.dispatch(CloseConversation { id: id3.clone() }); }>
                                "Close conversation"
                            </button>
                        }
                    })}
                </div>
            </header>
            {move || action_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="chat-body">
                <ol class="transcript" aria-label="Transcript">
                    {detail.messages.iter().map(|m| {
                        let who = author_label(m, &names);
                        let class = format!("line line-{}", m.author.as_str());
                        let at = when(&m.created_at);
                        let body = if m.author == AuthorKind::Bot {
                            // Sanitized (allow-list) when the playbook was saved and again
                            // when the flow wrote it (R6).
                            view! { <div class="message-bubble message-body" inner_html=m.body.clone()></div> }.into_any()
                        } else {
                            view! { <div class="message-bubble message-text">{m.body.clone()}</div> }.into_any()
                        };
                        view! {
                            <li class=class>
                                {(!who.is_empty()).then(|| view! { <span class="line-who">{who}</span> })}
                                {body}
                                <time class="line-at" datetime=m.created_at.clone()>{at}</time>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <aside class="chat-panel" aria-label="Details">
                    <h3>"Visitor"</h3>
                    <dl>
                        <dt>"Page"</dt>
                        <dd class="visitor-page">{c.page_url.clone().unwrap_or_else(|| "Unknown".into())}</dd>
                        {detail.details.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                    </dl>
                    <h3>"CRM"</h3>
                    <p class="crm-status">
                        {match (&c.crm_kind, &c.crm_created_at) {
                            (Some(kind), Some(at)) => format!("{} created {}", capitalized(kind), when(at)),
                            _ => "No lead or deal created yet.".to_string(),
                        }}
                    </p>
                </aside>
            </div>
            {(!closed && !offline).then(|| {
                let mine = mine.clone();
                view! { <Composer id=id.clone() enabled=Signal::derive(move || mine())/> }
            })}
        </article>
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Enter sends, Shift+Enter is a new line. A failed send stays, with "Retry" (same client
/// id, so it is stored once).
#[component]
fn Composer(id: String, enabled: Signal<bool>) -> impl IntoView {
    let live = expect_context::<Live>();
    let text = RwSignal::new(String::new());
    let failed = RwSignal::new(None::<(String, String, String)>);
    let sending = RwSignal::new(false);
    let send = move |client_id: String, body: String| {
        let id = id.clone();
        sending.set(true);
        leptos::task::spawn_local(async move {
            match send_message(id, body.clone(), Some(client_id.clone())).await {
                Ok(_) => {
                    failed.set(None);
                    live.open.update(|n| *n += 1);
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

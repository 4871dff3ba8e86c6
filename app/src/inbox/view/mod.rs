//! Live Chat: the agents' inbox (F3). Folders with live counts, the conversation list, the
//! opened conversation with its actions, and the "Online" toggle. One event stream per tab
//! (`/api/events`) keeps it all live; while it is open it also keeps the user's presence.
use super::api::{
    events_cursor, get_conversation, get_folder_counts, list_assignees, list_conversations,
    online_status, Reassign, SetOnline,
};
use super::{ConversationDetail, ConversationSummary, Folder, FolderCounts, PAGE_SIZE};
use crate::account::Me;
use crate::conversation::{AuthorKind, ConversationState, ConversationView, MessageView};
use crate::error::AppError;
use crate::notifications::api::get_my_notifications;
use crate::notifications::view::{bridge, NotificationBar};
use crate::ui::states::ErrorState;
use crate::ui::time::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

mod chat;
use chat::ChatWindow;

fn folder_key(f: Folder) -> &'static str {
    match f {
        Folder::Unassigned => "unassigned",
        Folder::Mine => "mine",
        Folder::Closed => "closed",
    }
}

/// What the event stream reports: `list` and `open` are bumped to load the folder or the
/// opened conversation again; messages and conversation changes are handed over as they
/// come, so the open window can take them in place.
#[derive(Clone, Copy)]
pub struct Live {
    pub list: RwSignal<u64>,
    pub open: RwSignal<u64>,
    pub counts: RwSignal<Option<FolderCounts>>,
    pub message: RwSignal<Option<MessageView>>,
    pub conversation: RwSignal<Option<ConversationView>>,
    /// A conversation this user may no longer see (someone else has it now).
    pub gone: RwSignal<Option<String>>,
    /// Bumped when the open conversation's side panel changed (someone saved or created).
    pub panel: RwSignal<u64>,
}

/// The opened conversation's composer and last refusal: they outlive a reload of the window
/// and are cleared when another conversation is opened.
#[derive(Clone, Copy)]
pub struct Draft {
    pub text: RwSignal<String>,
    /// A send that failed: its client id, text and why.
    pub failed: RwSignal<Option<(String, String, String)>>,
    pub sending: RwSignal<bool>,
    /// Why the last action was refused (a stale screen), shown above the window.
    pub notice: RwSignal<Option<String>>,
    /// What just happened, shown above the folder ("Handed to NAME").
    pub flash: RwSignal<Option<String>>,
    /// "Assigned to": made by the page, so its answer is handled even when the window has
    /// gone meanwhile (the stream may say the conversation left before the answer comes).
    pub reassign: ServerAction<Reassign>,
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let folder = Memo::new(move |_| match query.read().get("folder").as_deref() {
        Some("mine") => Folder::Mine,
        Some("closed") => Folder::Closed,
        _ => Folder::Unassigned,
    });
    let open_id = Memo::new(move |_| query.read().get("c").filter(|c| !c.is_empty()));
    let live = Live {
        list: RwSignal::new(0),
        open: RwSignal::new(0),
        counts: RwSignal::new(None),
        message: RwSignal::new(None),
        conversation: RwSignal::new(None),
        gone: RwSignal::new(None),
        panel: RwSignal::new(0),
    };
    provide_context(live);
    let draft = Draft {
        text: RwSignal::new(String::new()),
        failed: RwSignal::new(None),
        sending: RwSignal::new(false),
        notice: RwSignal::new(None),
        flash: RwSignal::new(None),
        reassign: ServerAction::new(),
    };
    provide_context(draft);
    Effect::watch(
        move || open_id.get(),
        move |open, _, _| {
            draft.text.set(String::new());
            draft.failed.set(None);
            draft.notice.set(None);
            if open.is_some() {
                draft.flash.set(None);
            }
        },
        false,
    );
    // The open conversation went to someone else (they took it, or it was handed on): back to
    // the folder, saying so, instead of a "Not found" page.
    let navigate = use_navigate();
    let to_folder = navigate.clone();
    Effect::watch(
        move || live.gone.get(),
        move |gone, _, _| {
            // Not while this user's own hand-over is under way: its answer says to whom.
            if gone.is_some()
                && *gone == open_id.get_untracked()
                && !draft.reassign.pending().get_untracked()
            {
                to_folder(
                    &format!("/inbox?folder={}", folder_key(folder.get_untracked())),
                    Default::default(),
                );
                draft
                    .flash
                    .set(Some("Someone else has this conversation now.".into()));
            }
        },
        false,
    );
    // Handed to someone else: this user may no longer see it (F3.5), so back to the folder,
    // saying to whom; a refusal stays above the window, which loads again.
    let Me(me) = expect_context::<Me>();
    Effect::new(move || {
        if draft.reassign.version().get() == 0 {
            return;
        }
        let my_id = me
            .get_untracked()
            .and_then(Result::ok)
            .flatten()
            .map(|u| u.id);
        match draft.reassign.value().get_untracked() {
            Some(Ok(now)) if now.assignee_id.is_some() && now.assignee_id != my_id => {
                draft.notice.set(None);
                navigate(
                    &format!("/inbox?folder={}", folder_key(folder.get_untracked())),
                    Default::default(),
                );
                draft.flash.set(Some(format!(
                    "Handed to {}",
                    now.assignee_name.unwrap_or_default()
                )));
            }
            refusal => {
                draft
                    .notice
                    .set(refusal.and_then(Result::err).map(|e| e.to_string()));
                live.open.update(|n| *n += 1);
            }
        }
        live.list.update(|n| *n += 1);
    });
    let initial_counts = Resource::new(move || live.list.get(), |_| get_folder_counts());
    // How many pages of the folder are shown ("Show older conversations"); a new folder
    // starts at one.
    let pages = RwSignal::new((Folder::Unassigned, 1usize));
    let shown = move || match pages.get() {
        (f, n) if f == folder.get() => n,
        _ => 1,
    };
    // Read before the folder and the conversation: the tab's event stream starts there.
    let cursor = Resource::new(|| (), |_| events_cursor());
    let list = Resource::new(
        move || (folder.get(), live.list.get(), shown()),
        move |(f, _, n)| async move {
            let _ = cursor.await;
            load_pages(f, n).await
        },
    );
    let detail = Resource::new(
        move || (open_id.get(), live.open.get()),
        move |(id, _)| async move {
            let _ = cursor.await;
            match id {
                Some(id) => get_conversation(id).await.map(Some),
                None => Ok::<Option<ConversationDetail>, AppError>(None),
            }
        },
    );
    let assignees = Resource::new(|| (), |_| list_assignees());
    // The folder as this tab holds it: each load of the list (a folder opened, an action of
    // this user, a `reset`) replaces it, and the event stream changes it in place — no
    // request per event (with 200 agents, one line of a chatbot cost 200 list loads).
    let store: RwSignal<Option<(Vec<ConversationSummary>, bool)>> = RwSignal::new(None);
    Effect::new(move || {
        if let Some(Ok(loaded)) = list.get() {
            store.set(Some(loaded));
        }
    });

    // Once the page is hydrated (an event that changed the page while it hydrated would
    // break hydration), from the cursor the page was read at.
    #[cfg(feature = "hydrate")]
    {
        let started = StoredValue::new(false);
        let my_id = Signal::derive(move || me.get().and_then(Result::ok).flatten().map(|u| u.id));
        // The stream belongs to the page (closed when it goes), not to this effect.
        let page = Owner::current();
        Effect::new(move || {
            if let Some(after) = cursor.get() {
                if !started.get_value() {
                    started.set_value(true);
                    let listen = || stream::listen(live, open_id, after.ok(), store, folder, my_id);
                    match &page {
                        Some(owner) => owner.with(listen),
                        None => listen(),
                    }
                }
            }
        });
    }

    let count = move |f: Folder| {
        let c = live
            .counts
            .get()
            .or_else(|| initial_counts.get().and_then(Result::ok))
            .unwrap_or_default();
        match f {
            Folder::Unassigned => c.unassigned,
            Folder::Mine => c.mine,
            Folder::Closed => c.closed,
        }
    };
    let folder_link = move |f: Folder| {
        let href = format!("/inbox?folder={}", folder_key(f));
        // The link is named by its folder alone ("Unassigned"); its count is its description.
        let count_id = format!("count-{}", folder_key(f));
        let described_by = count_id.clone();
        view! {
            <li>
                <a href=href class=move || if folder.get() == f { "folder current" } else { "folder" }
                    aria-current=move || (folder.get() == f).then_some("page")
                    aria-label=f.label() aria-describedby=described_by>
                    <span>{f.label()}</span>
                    <Transition fallback=|| view! { <span class="count">"…"</span> }>
                        <span class="count" id=count_id.clone() aria-label=move || {
                            match count(f) {
                                1 => "1 conversation".to_string(),
                                n => format!("{n} conversations"),
                            }
                        }>
                            {move || count(f).to_string()}
                        </span>
                    </Transition>
                </a>
            </li>
        }
    };
    // The tab's title counts the conversations waiting for this user: Unassigned and theirs.
    // Set by an effect (in the browser, once the counts are there): the title is outside
    // any <Suspense/>, where reading the counts' resource would break hydration.
    let waiting = RwSignal::new(0);
    Effect::new(move || {
        let c = live
            .counts
            .get()
            .or_else(|| initial_counts.get().and_then(Result::ok))
            .unwrap_or_default();
        waiting.set(c.unassigned + c.mine);
    });
    let title = move || match waiting.get() {
        0 => "Live Chat · Leadline".to_string(),
        n => format!("({n}) Live Chat · Leadline"),
    };
    // The notification script leaves alone the conversation this tab shows (F5.2).
    Effect::new(move || {
        let open = open_id.get();
        bridge::send("looking", open.as_deref());
    });
    let my_settings = Resource::new(|| (), |_| get_my_notifications());
    Effect::new(move || {
        if let Some(Ok(s)) = my_settings.get() {
            bridge::send("sound", Some(&s.sound));
        }
    });
    view! {
        <Title text=title/>
        <div class="inbox" class:has-open=move || open_id.get().is_some()>
            <aside class="inbox-side">
                <h1>"Live Chat"</h1>
                <NotificationBar/>
                <nav aria-label="Folders">
                    <ul class="folders">
                        {folder_link(Folder::Unassigned)}
                        {folder_link(Folder::Mine)}
                        {folder_link(Folder::Closed)}
                    </ul>
                </nav>
                <div class="list-scroll">
                <Transition fallback=|| view! { <p class="hint">"Loading conversations…"</p> }>
                    {move || list.get().map(|r| match r.map(|loaded| store.get().unwrap_or(loaded)) {
                        Err(error) => view! { <ErrorState error/> }.into_any(),
                        Ok((rows, _)) if rows.is_empty() => view! {
                            <p class="hint">"No conversations here."</p>
                        }.into_any(),
                        Ok((rows, more)) => view! {
                            <ul class="conversation-list" aria-label=move || folder.get().label()>
                                {rows.into_iter().map(|row| view! { <ListItem row folder open_id/> }).collect_view()}
                            </ul>
                            {more.then(|| view! {
                                <button type="button" class="more"
                                    on:click=move |_| pages.set((folder.get_untracked(), shown() + 1))>
                                    "Show older conversations"
                                </button>
                            })}
                        }.into_any(),
                    })}
                </Transition>
                </div>
                <OnlineToggle/>
            </aside>
            <section class="inbox-main">
                {move || draft.notice.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                {move || draft.flash.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
                <Transition fallback=|| view! { <p class="hint">"Loading…"</p> }>
                    {move || detail.get().map(|r| match r {
                        Err(error) => view! { <ErrorState error/> }.into_any(),
                        Ok(None) => view! {
                            <p class="hint empty-chat">"Choose a conversation."</p>
                        }.into_any(),
                        Ok(Some(d)) => view! {
                            <ChatWindow detail=d assignees=assignees/>
                        }.into_any(),
                    })}
                </Transition>
            </section>
        </div>
    }
}

/// The first `pages` pages of a folder, newest first, and whether there are older ones.
async fn load_pages(
    folder: Folder,
    pages: usize,
) -> Result<(Vec<ConversationSummary>, bool), AppError> {
    let mut rows: Vec<ConversationSummary> = Vec::new();
    for _ in 0..pages {
        let before = rows.last().map(|r| r.conversation.id.clone());
        let page = list_conversations(folder, before).await?;
        let full = page.len() == PAGE_SIZE;
        rows.extend(page);
        if !full {
            return Ok((rows, false));
        }
    }
    Ok((rows, true))
}

#[component]
fn ListItem(
    row: ConversationSummary,
    folder: Memo<Folder>,
    open_id: Memo<Option<String>>,
) -> impl IntoView {
    let id = row.conversation.id.clone();
    let href = format!(
        "/inbox?folder={}&c={}",
        folder_key(folder.get_untracked()),
        id
    );
    let current = Memo::new(move |_| open_id.get().as_deref() == Some(id.as_str()));
    let state = state_label(row.conversation.state);
    let at = row.conversation.created_at.clone();
    view! {
        <li>
            // A plain link (the router still handles it): `A` would mark every item of the
            // folder as the current page, since they differ only in the query.
            <a href=href class=move || if current.get() { "conversation current" } else { "conversation" }
                aria-current=move || current.get().then_some("true")>
                <span class="who">{row.visitor}</span>
                <span class="conv-state" class:missed=row.conversation.state == ConversationState::Missed>{state}</span>
                <LocalTime utc=at class="conv-at"/>
                {if row.visitor_wrote {
                    view! { <span class="preview">{row.last_message.unwrap_or_default()}</span> }.into_any()
                } else {
                    view! { <span class="preview silent">"The visitor has not written anything."</span> }.into_any()
                }}
            </a>
        </li>
    }
}

/// How a folder list names a conversation's state.
pub fn state_label(state: ConversationState) -> &'static str {
    match state {
        ConversationState::Waiting => "Waiting",
        ConversationState::Unassigned => "Unassigned",
        ConversationState::Assigned => "Assigned",
        ConversationState::Closed => "Closed",
        ConversationState::Missed => "Missed",
        ConversationState::Bot => "With the bot",
    }
}

/// F3.1: bottom-left; its state survives a reload.
#[component]
fn OnlineToggle() -> impl IntoView {
    let status = Resource::new(|| (), |_| online_status());
    let set = ServerAction::<SetOnline>::new();
    let on = move || match set.value().get() {
        Some(Ok(v)) => v,
        _ => status.get().and_then(Result::ok).unwrap_or(false),
    };
    view! {
        <div class="online-toggle">
            <Transition fallback=|| ()>
                <label>
                    <input type="checkbox" role="switch" prop:checked=on
                        on:change=move |ev| { set.dispatch(SetOnline { online: event_target_checked(&ev) }); }/>
                    <span>"Online"</span>
                </label>
            </Transition>
            {move || set.value().get().and_then(Result::err).map(|e| view! { <p class="field-error">{e.to_string()}</p> })}
        </div>
    }
}

pub fn author_label(m: &MessageView, names: &[(String, String)]) -> String {
    match m.author {
        AuthorKind::Visitor => "Visitor".into(),
        AuthorKind::Bot => "Chatbot".into(),
        AuthorKind::System => String::new(),
        AuthorKind::Agent => m
            .author_id
            .as_ref()
            .and_then(|a| names.iter().find(|(id, _)| id == a))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "Agent".into()),
    }
}

/// A folder list as a tab holds it: its rows, newest first, and whether older ones exist
/// beyond them. The event stream's changes are applied to it in place (`apply_*`).
pub type FolderRows = (Vec<ConversationSummary>, bool);

/// Whether a conversation in this state belongs in `folder` for user `me` (F3.2, F3.5).
pub fn in_folder(folder: Folder, c: &ConversationView, me: Option<&str>) -> bool {
    match folder {
        Folder::Unassigned => matches!(
            c.state,
            ConversationState::Waiting | ConversationState::Missed | ConversationState::Unassigned
        ),
        Folder::Mine => {
            c.state == ConversationState::Assigned && me.is_some() && c.assignee_id.as_deref() == me
        }
        Folder::Closed => c.state == ConversationState::Closed,
    }
}

/// A conversation changed: it joins the folder (in id order, when it falls within the rows
/// held), is updated in it, or leaves it.
pub fn apply_conversation(
    rows: &mut FolderRows,
    folder: Folder,
    c: ConversationView,
    me: Option<&str>,
) {
    let (list, more) = rows;
    let at = list.iter().position(|r| r.conversation.id == c.id);
    match (in_folder(folder, &c, me), at) {
        (true, Some(i)) => {
            if !c.visitor.is_empty() {
                list[i].visitor = c.visitor.clone();
            }
            list[i].conversation = c;
        }
        (true, None) => {
            // Newest first; a conversation older than every row held is beyond them when
            // there are older ones ("Show older conversations" will bring it).
            let i = list.partition_point(|r| r.conversation.id > c.id);
            if i < list.len() || !*more {
                list.insert(
                    i,
                    ConversationSummary {
                        visitor: c.visitor.clone(),
                        conversation: c,
                        last_message: None,
                        visitor_wrote: false,
                    },
                );
            }
        }
        (false, Some(i)) => {
            list.remove(i);
        }
        (false, None) => {}
    }
}

/// A conversation this user may no longer see (`hidden`): it leaves the list.
pub fn apply_hidden(rows: &mut FolderRows, id: &str) {
    rows.0.retain(|r| r.conversation.id != id);
}

/// A message: its conversation's preview is what a person said last (a bot line only while
/// nobody has).
pub fn apply_message(rows: &mut FolderRows, m: &MessageView) {
    let Some(row) = rows
        .0
        .iter_mut()
        .find(|r| r.conversation.id == m.conversation_id)
    else {
        return;
    };
    match m.author {
        AuthorKind::Visitor => {
            row.visitor_wrote = true;
            row.last_message = Some(m.body.clone());
        }
        AuthorKind::Agent => row.last_message = Some(m.body.clone()),
        AuthorKind::Bot if row.last_message.is_none() => row.last_message = Some(m.body.clone()),
        AuthorKind::Bot | AuthorKind::System => {}
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use super::{
        apply_conversation, apply_hidden, apply_message, bridge, ConversationView, Folder,
        FolderRows, Live, MessageView,
    };
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};

    /// The tab's event stream: counts update in place, the folder list is changed in place
    /// (no request per event), messages and changes of the open conversation go to its
    /// window. Notifications go to the in-page script, which shows them once for all tabs.
    /// The stream and its listeners end with the page (nothing is left behind per visit).
    pub fn listen(
        live: Live,
        open_id: Memo<Option<String>>,
        after: Option<i64>,
        store: RwSignal<Option<FolderRows>>,
        folder: Memo<Folder>,
        my_id: Signal<Option<String>>,
    ) {
        let url = match after {
            Some(a) => format!("/api/events?after={a}"),
            None => "/api/events".to_string(),
        };
        let Ok(es) = web_sys::EventSource::new(&url) else {
            return;
        };
        bridge::send("start", None);
        let names = [
            "conversation",
            "hidden",
            "message",
            "counts",
            "panel",
            "notify",
            "prefs",
            "reset",
        ];
        let mut listeners = Vec::with_capacity(names.len());
        for name in names {
            let cb =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let data = e.data().as_string().unwrap_or_default();
                    let open = open_id.get_untracked();
                    match name {
                        "counts" => {
                            if let Ok(c) = serde_json::from_str(&data) {
                                live.counts.set(Some(c));
                            }
                        }
                        "message" => {
                            if let Ok(m) = serde_json::from_str::<MessageView>(&data) {
                                store.update(|s| {
                                    if let Some(rows) = s {
                                        apply_message(rows, &m);
                                    }
                                });
                                if open.as_ref() == Some(&m.conversation_id) {
                                    live.message.set(Some(m));
                                }
                            }
                        }
                        "conversation" => {
                            if let Ok(c) = serde_json::from_str::<ConversationView>(&data) {
                                let me = my_id.get_untracked();
                                let f = folder.get_untracked();
                                store.update(|s| {
                                    if let Some(rows) = s {
                                        apply_conversation(rows, f, c.clone(), me.as_deref());
                                    }
                                });
                                if open.as_ref() == Some(&c.id) {
                                    live.conversation.set(Some(c));
                                }
                            }
                        }
                        "panel" => {
                            let json: serde_json::Value =
                                serde_json::from_str(&data).unwrap_or_default();
                            if open.is_some() && json["id"].as_str() == open.as_deref() {
                                live.panel.update(|n| *n += 1);
                            }
                        }
                        "notify" => bridge::send("notice", Some(&data)),
                        // Too much was missed to replay: load everything again.
                        "reset" => {
                            live.list.update(|n| *n += 1);
                            live.open.update(|n| *n += 1);
                        }
                        "prefs" => {
                            let json: serde_json::Value =
                                serde_json::from_str(&data).unwrap_or_default();
                            if let Some(sound) = json["sound"].as_str() {
                                bridge::send("sound", Some(sound));
                            }
                        }
                        _ => {
                            // Someone else has it now: it leaves the list, and the open
                            // window goes back to the list.
                            let json: serde_json::Value =
                                serde_json::from_str(&data).unwrap_or_default();
                            if let Some(id) = json["id"].as_str() {
                                store.update(|s| {
                                    if let Some(rows) = s {
                                        apply_hidden(rows, id);
                                    }
                                });
                                if open.as_deref() == Some(id) {
                                    live.gone.set(open);
                                }
                            }
                        }
                    }
                });
            let _ = es.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            listeners.push((name, cb));
        }
        let held = StoredValue::new_local((es, listeners));
        on_cleanup(move || {
            held.update_value(|(es, listeners)| {
                es.close();
                for (name, cb) in listeners.drain(..) {
                    let _ =
                        es.remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
                }
            });
            bridge::send("stop", None);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(
        id: &str,
        state: ConversationState,
        assignee: Option<&str>,
    ) -> ConversationView {
        ConversationView {
            id: id.into(),
            state,
            assignee_id: assignee.map(Into::into),
            assignee_name: None,
            page_url: None,
            wait_deadline: None,
            closed_at: None,
            created_at: String::new(),
            crm_kind: None,
            crm_created_at: None,
            missed_at: None,
            visitor: format!("Visitor {id}"),
        }
    }

    fn ids(rows: &FolderRows) -> Vec<&str> {
        rows.0.iter().map(|r| r.conversation.id.as_str()).collect()
    }

    fn message(c: &str, author: AuthorKind, body: &str) -> MessageView {
        MessageView {
            id: format!("m-{body}"),
            conversation_id: c.into(),
            seq: 1,
            author,
            author_id: None,
            body: body.into(),
            client_id: None,
            created_at: String::new(),
        }
    }

    /// What the inbox does with each event, without asking the server: a new conversation
    /// joins Unassigned in id order, a taken one leaves it (for everyone else) and joins the
    /// taker's "My conversations", `hidden` drops it, messages set the preview.
    #[test]
    fn events_change_the_folder_held_in_the_tab() {
        use ConversationState::*;
        let me = Some("me");
        let mut unassigned: FolderRows = (Vec::new(), false);
        for id in ["b", "d", "a", "c"] {
            apply_conversation(
                &mut unassigned,
                Folder::Unassigned,
                conversation(id, Waiting, None),
                me,
            );
        }
        assert_eq!(
            ids(&unassigned),
            ["d", "c", "b", "a"],
            "newest (highest id) first"
        );
        apply_conversation(
            &mut unassigned,
            Folder::Unassigned,
            conversation("x", Bot, None),
            me,
        );
        assert_eq!(
            ids(&unassigned).len(),
            4,
            "a chat with the bot is in no folder"
        );
        // Someone else takes "c"; this user takes "b".
        apply_conversation(
            &mut unassigned,
            Folder::Unassigned,
            conversation("c", Assigned, Some("other")),
            me,
        );
        apply_conversation(
            &mut unassigned,
            Folder::Unassigned,
            conversation("b", Assigned, Some("me")),
            me,
        );
        assert_eq!(ids(&unassigned), ["d", "a"]);
        let mut mine: FolderRows = (Vec::new(), false);
        apply_conversation(
            &mut mine,
            Folder::Mine,
            conversation("c", Assigned, Some("other")),
            me,
        );
        apply_conversation(
            &mut mine,
            Folder::Mine,
            conversation("b", Assigned, Some("me")),
            me,
        );
        assert_eq!(ids(&mine), ["b"]);
        apply_hidden(&mut unassigned, "d");
        assert_eq!(ids(&unassigned), ["a"]);
        // Older than every row held while older ones exist: not shown (yet).
        let mut paged: FolderRows = (Vec::new(), true);
        apply_conversation(
            &mut paged,
            Folder::Closed,
            conversation("m", Closed, None),
            me,
        );
        assert!(paged.0.is_empty());
        // The preview: a person's words, a bot line only while nobody has written.
        apply_message(
            &mut mine,
            &message("b", AuthorKind::Bot, "Hi, how can we help?"),
        );
        assert_eq!(
            mine.0[0].last_message.as_deref(),
            Some("Hi, how can we help?")
        );
        apply_message(
            &mut mine,
            &message("b", AuthorKind::Visitor, "Is it in stock?"),
        );
        apply_message(
            &mut mine,
            &message("b", AuthorKind::Bot, "An agent will answer."),
        );
        assert_eq!(mine.0[0].last_message.as_deref(), Some("Is it in stock?"));
        assert!(mine.0[0].visitor_wrote);
        apply_message(&mut mine, &message("b", AuthorKind::Agent, "Yes, it is."));
        assert_eq!(mine.0[0].last_message.as_deref(), Some("Yes, it is."));
        // A change of a conversation in the folder updates it in place.
        let mut closed = conversation("b", Assigned, Some("me"));
        closed.crm_kind = Some("lead".into());
        apply_conversation(&mut mine, Folder::Mine, closed, me);
        assert_eq!(mine.0[0].conversation.crm_kind.as_deref(), Some("lead"));
    }
}

//! The playbook editor (F1.2–F1.5, F1.7, F1.8): settings, the flow of cards, "Save",
//! the install snippet, and deleting the playbook.
use super::rich_text::RichText;
use crate::chatbot::api::{get_playbook, DeletePlaybook, SavePlaybook};
use crate::chatbot::model::{
    Audience, CaptureField, Card, CardBody, CrmItem, OfflineOutcome, PlaybookSettings,
    QualificationAnswer, RuleOp, TargetRule,
};
use crate::chatbot::PlaybookDetail;
use crate::error::AppError;
use crate::ui::states::ErrorState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// The cards of the flow, each in its own signal so editing one does not redraw the others.
type Slots = RwSignal<Vec<(String, RwSignal<Card>)>>;

#[component]
pub fn PlaybookEditorPage() -> impl IntoView {
    let params = use_params_map();
    let playbook = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        get_playbook,
    );
    view! {
        <Title text="Playbook · Leadline"/>
        <Transition fallback=|| view! { <p>"Loading playbook…"</p> }>
            {move || playbook.get().map(|r| match r {
                Ok(p) => view! { <Editor initial=p/> }.into_any(),
                Err(error) => view! { <ErrorState error/> }.into_any(),
            })}
        </Transition>
    }
}

fn slots_of(cards: Vec<Card>) -> Vec<(String, RwSignal<Card>)> {
    cards
        .into_iter()
        .map(|c| (c.id.clone(), RwSignal::new(c)))
        .collect()
}

/// A new card id, unique enough within one playbook.
fn new_card_id() -> String {
    #[cfg(feature = "hydrate")]
    {
        format!("c{:x}", (js_sys::Math::random() * 1e15) as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        format!("s{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

fn new_card(kind: &str) -> Card {
    let body = match kind {
        "question" => CardBody::Question {
            text: "<p>What are you looking for?</p>".into(),
            field: "interest".into(),
            answers: vec!["Pricing".into(), "A demo".into()],
            free_text: false,
        },
        "qualification" => CardBody::Qualification {
            text: "<p>How big is your team?</p>".into(),
            answers: vec![
                QualificationAnswer {
                    label: "More than 10".into(),
                    qualified: true,
                },
                QualificationAnswer {
                    label: "1 to 10".into(),
                    qualified: false,
                },
            ],
        },
        "capture" => CardBody::Capture {
            text: "<p>How can we reach you?</p>".into(),
            fields: vec![CaptureField::Name, CaptureField::Email],
        },
        "live_chat" => crate::chatbot::model::live_chat_template().1.remove(1).body,
        "end" => CardBody::End {
            text: "<p>Thank you!</p>".into(),
        },
        _ => CardBody::Message {
            text: "<p>Hello!</p>".into(),
        },
    };
    Card {
        id: new_card_id(),
        audience: Audience::Everyone,
        body,
    }
}

#[component]
fn Editor(initial: PlaybookDetail) -> impl IntoView {
    let PlaybookDetail {
        id,
        key: _,
        snippet,
        settings,
        cards,
        version,
        live_chat,
        last_loaded_at,
        last_loaded_url,
        can_edit,
    } = initial;
    let id = StoredValue::new(id);
    let settings = RwSignal::new(settings);
    let slots: Slots = RwSignal::new(slots_of(cards));
    let version = RwSignal::new(version);
    let status = RwSignal::new(live_chat);
    let editing = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(None::<String>);
    let dirty = RwSignal::new(false);
    let save = ServerAction::<SavePlaybook>::new();
    let delete = ServerAction::<DeletePlaybook>::new();
    let navigate = use_navigate();

    // Mark unsaved changes (any edit after load).
    Effect::new(move |first: Option<()>| {
        settings.track();
        slots.track();
        for (_, c) in slots.get_untracked() {
            c.track();
        }
        if first.is_some() {
            dirty.set(true);
        }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(saved)) => {
            version.set(saved.version);
            status.set(saved.live_chat);
            settings.set(saved.settings);
            slots.set(slots_of(saved.cards));
            editing.set(None);
            dirty.set(false);
        }
        Some(Err(AppError::Validation { field, .. })) => {
            // Open the card the message is about.
            if let Some(i) = field
                .strip_prefix("cards.")
                .and_then(|rest| rest.split('.').next())
                .and_then(|n| n.parse::<usize>().ok())
            {
                if let Some((cid, _)) = slots.get_untracked().get(i) {
                    editing.set(Some(cid.clone()));
                }
            }
        }
        _ => {}
    });
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/chatbot", Default::default());
        }
    });

    let error_for = move |field: String| {
        Signal::derive(move || {
            save.value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(&field))
        })
    };
    let save_error = Signal::derive(move || {
        save.value().get().and_then(|r| r.err()).map(|e| match e {
            AppError::Validation { message, .. } => format!("Not saved: {message}"),
            other => format!("Not saved: {other}"),
        })
    });
    let on_save = move |_| {
        let cards = slots.with_untracked(|s| s.iter().map(|(_, c)| c.get_untracked()).collect());
        save.dispatch(SavePlaybook {
            id: id.get_value(),
            version: version.get_untracked(),
            settings: settings.get_untracked(),
            cards,
        });
    };
    let confirming_delete = RwSignal::new(false);

    view! {
        <section class="page editor">
            <div class="page-head">
                <h1>{move || settings.with(|s| s.name.clone())}</h1>
                <span class="badge" data-testid="live-chat-status">
                    "Live Chat: " {move || status.get().label()}
                </span>
                {can_edit.then(|| view! {
                    <div class="head-actions">
                        <span class="hint" role="status">
                            {move || if save.pending().get() { "Saving…" }
                                else if dirty.get() { "Unsaved changes" }
                                else if matches!(save.value().get(), Some(Ok(_))) { "Saved" }
                                else { "" }}
                        </span>
                        <button type="button" class="primary" on:click=on_save
                            disabled=move || save.pending().get()>"Save"</button>
                    </div>
                })}
            </div>
            <p class="form-error" role="alert">{move || save_error.get()}</p>
            {(!can_edit).then(|| view! {
                <p class="notice">"You can look at this playbook. Only admins and users with the \
                    \"Chatbot & Live Chat settings\" permission can change it."</p>
            })}

            {view! { <SettingsForm settings can_edit error_for/> }.into_any()}

            <section class="panel flow" aria-labelledby="flow-heading">
                <h2 id="flow-heading">"Flow"</h2>
                <ol class="cards">
                    <For each=move || slots.get() key=|(cid, _)| cid.clone() let:slot>
                        <CardItem cid=slot.0 card=slot.1 slots editing dragging can_edit save_value=Signal::derive(move || save.value().get())/>
                    </For>
                </ol>
                {move || slots.with(Vec::is_empty).then(|| view! {
                    <p class="hint">"No cards yet: add the first one."</p>
                })}
                {can_edit.then(|| view! { <AddCard slots editing/> })}
            </section>

            <section class="panel install" aria-labelledby="install-heading">
                <h2 id="install-heading">"Install"</h2>
                <p class="hint">"Paste this into every page of your website where the chat should appear."</p>
                <label for="embed-snippet">"Embed snippet"</label>
                <textarea id="embed-snippet" readonly rows="2">{snippet}</textarea>
                <CopyButton target="embed-snippet"/>
                <p class="hint">
                    {match (last_loaded_at, last_loaded_url) {
                        (Some(at), url) => format!("Last loaded {} from {}", at.replace('T', " ").chars().take(16).collect::<String>(), url.unwrap_or_else(|| "an unknown page".into())),
                        (None, _) => "Never loaded from a web page yet: the Live Chat card works in offline mode only.".to_string(),
                    }}
                </p>
            </section>

            {can_edit.then(|| view! {
                <section class="panel danger-zone">
                    <h2>"Delete playbook"</h2>
                    <Show when=move || confirming_delete.get()
                        fallback=move || view! {
                            <button type="button" on:click=move |_| confirming_delete.set(true)>"Delete playbook"</button>
                        }>
                        <div role="alertdialog" aria-labelledby="confirm-delete-text" class="confirm">
                            <p id="confirm-delete-text">"Delete this playbook for good? Its widget stops working on every site."</p>
                            <button type="button" class="danger"
                                on:click=move |_| { delete.dispatch(DeletePlaybook { id: id.get_value() }); }>
                                "Yes, delete"
                            </button>
                            <button type="button" on:click=move |_| confirming_delete.set(false)>"Cancel"</button>
                        </div>
                    </Show>
                    <p class="form-error" role="alert">
                        {move || delete.value().get().and_then(|r| r.err()).map(|e| e.to_string())}
                    </p>
                </section>
            })}
        </section>
    }
}

#[component]
fn CopyButton(target: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(area) = document()
                .get_element_by_id(target)
                .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                area.select();
                let doc = document().unchecked_into::<web_sys::HtmlDocument>();
                copied.set(doc.exec_command("copy").unwrap_or(false));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = target;
    };
    view! {
        <button type="button" on:click=copy>"Copy snippet"</button>
        <span class="hint" role="status">{move || copied.get().then_some("Copied")}</span>
    }
}

#[component]
fn SettingsForm(
    settings: RwSignal<PlaybookSettings>,
    can_edit: bool,
    error_for: impl Fn(String) -> Signal<Option<String>> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let rule_count = Memo::new(move |_| settings.with(|s| s.rules.len()));
    let avatar_error = RwSignal::new(None::<String>);
    let on_avatar = move |ev: leptos::ev::Event| {
        upload_chosen_image(ev, move |result| match result {
            Ok(url) => {
                avatar_error.set(None);
                let id = url.trim_start_matches("/uploads/").to_string();
                settings.update(|s| s.avatar = Some(id));
            }
            Err(m) => avatar_error.set(Some(m)),
        })
    };
    view! {
        <section class="panel settings" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <fieldset disabled=!can_edit>
                <div class="field">
                    <label for="pb-name">"Name"</label>
                    <input id="pb-name" prop:value=move || settings.with(|s| s.name.clone())
                        on:input=move |ev| settings.update(|s| s.name = event_target_value(&ev))/>
                    <p class="field-error">{move || error_for("name".into()).get()}</p>
                </div>
                <div class="field checkbox">
                    <input id="pb-active" type="checkbox" prop:checked=move || settings.with(|s| s.active)
                        on:change=move |ev| settings.update(|s| s.active = event_target_checked(&ev))/>
                    <label for="pb-active">"Active"</label>
                </div>
                <div class="field">
                    <label for="pb-bot-name">"Chatbot name"</label>
                    <input id="pb-bot-name" prop:value=move || settings.with(|s| s.bot_name.clone())
                        on:input=move |ev| settings.update(|s| s.bot_name = event_target_value(&ev))/>
                    <p class="field-error">{move || error_for("bot_name".into()).get()}</p>
                </div>
                <div class="field">
                    <label for="pb-avatar">"Chatbot avatar"</label>
                    <div class="avatar-row">
                        {move || settings.with(|s| s.avatar.clone()).map(|a| view! {
                            <img class="avatar" src=format!("/uploads/{a}") alt="Current avatar"/>
                        })}
                        <input id="pb-avatar" type="file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=on_avatar/>
                        {move || settings.with(|s| s.avatar.is_some()).then(|| view! {
                            <button type="button" on:click=move |_| settings.update(|s| s.avatar = None)>"Remove avatar"</button>
                        })}
                    </div>
                    <p class="field-error">{move || avatar_error.get().or_else(|| error_for("avatar".into()).get())}</p>
                </div>
                <div class="field">
                    <label for="pb-accent">"Accent colour"</label>
                    <input id="pb-accent" type="color" prop:value=move || settings.with(|s| s.accent_color.clone())
                        on:input=move |ev| settings.update(|s| s.accent_color = event_target_value(&ev))/>
                    <p class="field-error">{move || error_for("accent_color".into()).get()}</p>
                </div>
                <div class="field">
                    <label for="pb-delay">"Delay before it opens (seconds)"</label>
                    <input id="pb-delay" type="number" min="0" max="3600"
                        prop:value=move || settings.with(|s| s.delay_seconds.to_string())
                        on:input=move |ev| settings.update(|s| s.delay_seconds = event_target_value(&ev).parse().unwrap_or(0))/>
                    <p class="field-error">{move || error_for("delay_seconds".into()).get()}</p>
                </div>
                <fieldset class="rules">
                    <legend>"Show on pages where"</legend>
                    <p class="hint">"No rule: every page."</p>
                    {move || (0..rule_count.get()).map(|i| view! {
                        <div class="rule">
                            <label class="visually-hidden" for=format!("rule-{i}-op")>{format!("Rule {} condition", i + 1)}</label>
                            <select id=format!("rule-{i}-op")
                                on:change=move |ev| {
                                    let op = match event_target_value(&ev).as_str() {
                                        "equals" => RuleOp::Equals,
                                        "starts_with" => RuleOp::StartsWith,
                                        _ => RuleOp::Contains,
                                    };
                                    settings.update(|s| if let Some(r) = s.rules.get_mut(i) { r.op = op });
                                }>
                                {RuleOp::ALL.into_iter().map(|op| {
                                    let value = match op { RuleOp::Contains => "contains", RuleOp::Equals => "equals", RuleOp::StartsWith => "starts_with" };
                                    view! {
                                        <option value=value selected=move || settings.with(|s| s.rules.get(i).map(|r| r.op) == Some(op))>{op.label()}</option>
                                    }
                                }).collect_view()}
                            </select>
                            <label class="visually-hidden" for=format!("rule-{i}-value")>{format!("Rule {} URL text", i + 1)}</label>
                            <input id=format!("rule-{i}-value") placeholder="/pricing"
                                prop:value=move || settings.with(|s| s.rules.get(i).map(|r| r.value.clone()).unwrap_or_default())
                                on:input=move |ev| settings.update(|s| if let Some(r) = s.rules.get_mut(i) { r.value = event_target_value(&ev) })/>
                            <button type="button" on:click=move |_| settings.update(|s| { if i < s.rules.len() { s.rules.remove(i); } })>"Remove rule"</button>
                            <p class="field-error">{move || error_for(format!("rules.{i}.value")).get()}</p>
                        </div>
                    }).collect_view()}
                    <button type="button" on:click=move |_| settings.update(|s| s.rules.push(TargetRule { op: RuleOp::Contains, value: String::new() }))>
                        "Add rule"
                    </button>
                </fieldset>
                <div class="field">
                    <label for="pb-sites">"Sites allowed to embed it (one per line; none means any site)"</label>
                    <textarea id="pb-sites" rows="3" placeholder="https://www.example.com"
                        prop:value=move || settings.with(|s| s.allowed_sites.join("\n"))
                        on:change=move |ev| settings.update(|s| s.allowed_sites = event_target_value(&ev)
                            .lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())></textarea>
                    <p class="field-error">
                        {move || {
                            let n = settings.with(|s| s.allowed_sites.len());
                            (0..n).find_map(|i| error_for(format!("allowed_sites.{i}")).get())
                        }}
                    </p>
                </div>
            </fieldset>
        </section>
    }
}

#[component]
fn AddCard(slots: Slots, editing: RwSignal<Option<String>>) -> impl IntoView {
    let kind = RwSignal::new("message".to_string());
    view! {
        <div class="add-card">
            <label for="new-card-kind">"Card type"</label>
            <select id="new-card-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="message">"Message"</option>
                <option value="question">"Question"</option>
                <option value="qualification">"Qualification"</option>
                <option value="capture">"Capture"</option>
                <option value="live_chat">"Live Chat"</option>
                <option value="end">"End"</option>
            </select>
            <button type="button" on:click=move |_| {
                let card = new_card(&kind.get_untracked());
                let cid = card.id.clone();
                slots.update(|s| s.push((cid.clone(), RwSignal::new(card))));
                editing.set(Some(cid));
            }>"Add card"</button>
        </div>
    }
}

fn position(slots: Slots, cid: &str) -> Option<usize> {
    slots.with(|s| s.iter().position(|(id, _)| id == cid))
}

/// A short HTML summary of a card for the flow list.
fn summary(card: &Card) -> String {
    match &card.body {
        CardBody::Message { text } | CardBody::End { text } => text.clone(),
        CardBody::Question { text, answers, free_text, .. } => {
            let mut s = text.clone();
            if !answers.is_empty() {
                s.push_str(&format!("<p class=\"answers\">{}</p>", answers.iter().map(|a| escape(a)).collect::<Vec<_>>().join(" · ")));
            }
            if *free_text {
                s.push_str("<p class=\"answers\">Free-text answer</p>");
            }
            s
        }
        CardBody::Qualification { text, answers } => format!(
            "{text}<p class=\"answers\">{}</p>",
            answers.iter().map(|a| format!("{} → {}", escape(&a.label), if a.qualified { "qualified" } else { "not qualified" })).collect::<Vec<_>>().join(" · ")
        ),
        CardBody::Capture { text, fields } => format!(
            "{text}<p class=\"answers\">Asks for: {}</p>",
            fields.iter().map(|f| f.label()).collect::<Vec<_>>().join(", ")
        ),
        CardBody::LiveChat { online_message, wait_seconds, offline_message, .. } => format!(
            "{online_message}<p class=\"answers\">Waits {wait_seconds} s, then:</p>{offline_message}"
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[component]
fn CardItem(
    cid: String,
    card: RwSignal<Card>,
    slots: Slots,
    editing: RwSignal<Option<String>>,
    /// The card being dragged, shared by all cards of the flow.
    dragging: RwSignal<Option<String>>,
    can_edit: bool,
    save_value: Signal<Option<Result<PlaybookDetail, AppError>>>,
) -> impl IntoView {
    let cid = StoredValue::new(cid);
    let index = move || position(slots, &cid.get_value());
    let is_editing = move || editing.get().as_deref() == Some(cid.get_value().as_str());
    let move_by = move |delta: isize| {
        slots.update(|s| {
            if let Some(i) = s.iter().position(|(id, _)| *id == cid.get_value()) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < s.len() {
                    s.swap(i, j as usize);
                }
            }
        })
    };
    let card_error = Signal::derive(move || {
        let i = index()?;
        match save_value.get()?.err()? {
            AppError::Validation { field, message }
                if field.starts_with(&format!("cards.{i}.")) =>
            {
                Some(message)
            }
            _ => None,
        }
    });
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let Some(from) = dragging.get_untracked() else {
            return;
        };
        dragging.set(None);
        slots.update(|s| {
            let (Some(i), Some(j)) = (
                s.iter().position(|(id, _)| *id == from),
                s.iter().position(|(id, _)| *id == cid.get_value()),
            ) else {
                return;
            };
            let item = s.remove(i);
            s.insert(j, item);
        });
    };
    view! {
        <li class="card-item" class:editing=is_editing
            draggable=if can_edit { "true" } else { "false" }
            on:dragstart=move |_| dragging.set(Some(cid.get_value()))
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=on_drop
            data-card-kind=move || card.with(|c| c.body.kind_label())>
            <div class="card-head">
                {can_edit.then(|| view! { <span class="drag-handle" aria-hidden="true">"⠿"</span> })}
                <strong class="card-kind">{move || card.with(|c| c.body.kind_label())}</strong>
                {move || card.with(|c| (c.audience != Audience::Everyone).then(|| view! {
                    <span class="badge">{c.audience.label()}</span>
                }))}
                {can_edit.then(|| view! {
                    <div class="card-actions">
                        <button type="button" aria-label="Move up" title="Move up"
                            disabled=move || index() == Some(0) on:click=move |_| move_by(-1)>"↑"</button>
                        <button type="button" aria-label="Move down" title="Move down"
                            disabled=move || index().map(|i| i + 1) == Some(slots.with(Vec::len))
                            on:click=move |_| move_by(1)>"↓"</button>
                        <button type="button" aria-label="Edit card" title="Edit card" aria-expanded=move || is_editing().to_string()
                            on:click=move |_| editing.set(if is_editing() { None } else { Some(cid.get_value()) })>"✎"</button>
                        <button type="button" aria-label="Delete card" title="Delete card"
                            on:click=move |_| {
                                if is_editing() { editing.set(None); }
                                slots.update(|s| s.retain(|(id, _)| *id != cid.get_value()));
                            }>
                            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                                <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6"
                                    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
                            </svg>
                        </button>
                    </div>
                })}
            </div>
            <p class="form-error" role="alert">{move || card_error.get()}</p>
            <Show when=is_editing fallback=move || view! {
                <div class="card-summary message-body" inner_html=move || card.with(summary)></div>
            }>
                <CardForm card cid=cid.get_value() on_done=Callback::new(move |_| editing.set(None))/>
            </Show>
        </li>
    }
}

/// The form of one card; every change goes straight into the card's signal.
#[component]
fn CardForm(card: RwSignal<Card>, cid: String, on_done: Callback<()>) -> impl IntoView {
    let no_error = Signal::derive(|| None::<String>);
    let initial = card.get_untracked();
    let text_field = |label: &'static str, initial: String, set: fn(&mut CardBody, String)| {
        view! {
            <RichText label id=format!("card-{cid}-{}", label.to_lowercase().replace(' ', "-")) initial
                on_change=Callback::new(move |v: String| card.update(|c| set(&mut c.body, v)))
                error=no_error/>
        }
    };
    let body = match initial.body.clone() {
        CardBody::Message { text } | CardBody::End { text } => text_field("Message", text, |b, v| {
            if let CardBody::Message { text } | CardBody::End { text } = b { *text = v }
        }).into_any(),
        CardBody::Question { text, field, free_text, .. } => view! {
            {text_field("Message", text, |b, v| if let CardBody::Question { text, .. } = b { *text = v })}
            <div class="field">
                <label for=format!("card-{cid}-field")>"Save the answer to field"</label>
                <input id=format!("card-{cid}-field") value=field
                    on:input=move |ev| card.update(|c| if let CardBody::Question { field, .. } = &mut c.body { *field = event_target_value(&ev) })/>
            </div>
            <AnswerList card cid=cid.clone()/>
            <div class="field checkbox">
                <input id=format!("card-{cid}-free") type="checkbox" checked=free_text
                    on:change=move |ev| card.update(|c| if let CardBody::Question { free_text, .. } = &mut c.body { *free_text = event_target_checked(&ev) })/>
                <label for=format!("card-{cid}-free")>"Allow a free-text answer"</label>
            </div>
        }.into_any(),
        CardBody::Qualification { text, .. } => view! {
            {text_field("Message", text, |b, v| if let CardBody::Qualification { text, .. } = b { *text = v })}
            <AnswerList card cid=cid.clone()/>
        }.into_any(),
        CardBody::Capture { text, fields } => view! {
            {text_field("Message", text, |b, v| if let CardBody::Capture { text, .. } = b { *text = v })}
            <fieldset>
                <legend>"Ask for"</legend>
                {CaptureField::ALL.into_iter().map(|f| {
                    let id = format!("card-{cid}-capture-{}", f.label().to_lowercase());
                    view! {
                        <div class="field checkbox">
                            <input id=id.clone() type="checkbox" checked=fields.contains(&f)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    card.update(|c| if let CardBody::Capture { fields, .. } = &mut c.body {
                                        fields.retain(|x| *x != f);
                                        if on { fields.push(f); fields.sort_by_key(|x| CaptureField::ALL.iter().position(|y| y == x)); }
                                    })
                                }/>
                            <label for=id>{f.label()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        }.into_any(),
        CardBody::LiveChat { online_message, wait_seconds, offline_message, offline_outcome, offline_create } => view! {
            {text_field("Online message", online_message, |b, v| if let CardBody::LiveChat { online_message, .. } = b { *online_message = v })}
            <div class="field">
                <label for=format!("card-{cid}-wait")>"Wait time"</label>
                <div class="inline">
                    <input id=format!("card-{cid}-wait") type="number" min="10" max="3600" value=wait_seconds.to_string()
                        on:input=move |ev| card.update(|c| if let CardBody::LiveChat { wait_seconds, .. } = &mut c.body {
                            *wait_seconds = event_target_value(&ev).trim().parse().unwrap_or(0)
                        })/>
                    <span class="hint">"seconds (10 to 3600)"</span>
                </div>
            </div>
            {text_field("Offline message", offline_message, |b, v| if let CardBody::LiveChat { offline_message, .. } = b { *offline_message = v })}
            <fieldset>
                <legend>"Offline flow"</legend>
                <div class="field">
                    <label for=format!("card-{cid}-outcome")>"The prospect is"</label>
                    <select id=format!("card-{cid}-outcome")
                        on:change=move |ev| {
                            let o = if event_target_value(&ev) == "reject" { OfflineOutcome::Reject } else { OfflineOutcome::Qualify };
                            card.update(|c| if let CardBody::LiveChat { offline_outcome, .. } = &mut c.body { *offline_outcome = o });
                        }>
                        <option value="qualify" selected=offline_outcome == OfflineOutcome::Qualify>"Qualified"</option>
                        <option value="reject" selected=offline_outcome == OfflineOutcome::Reject>"Rejected"</option>
                    </select>
                </div>
                <div class="field">
                    <label for=format!("card-{cid}-create")>"Create in the CRM"</label>
                    <select id=format!("card-{cid}-create")
                        on:change=move |ev| {
                            let item = match event_target_value(&ev).as_str() {
                                "activity" => CrmItem::Activity, "deal" => CrmItem::Deal, "nothing" => CrmItem::Nothing, _ => CrmItem::Lead,
                            };
                            card.update(|c| if let CardBody::LiveChat { offline_create, .. } = &mut c.body { *offline_create = item });
                        }>
                        {CrmItem::ALL.into_iter().map(|item| {
                            let value = match item { CrmItem::Nothing => "nothing", CrmItem::Activity => "activity", CrmItem::Lead => "lead", CrmItem::Deal => "deal" };
                            view! { <option value=value selected=item == offline_create>{item.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </fieldset>
        }.into_any(),
    };
    view! {
        <div class="card-form">
            <div class="field">
                <label for=format!("card-{cid}-audience")>"Show to"</label>
                <select id=format!("card-{cid}-audience")
                    on:change=move |ev| {
                        let a = match event_target_value(&ev).as_str() {
                            "qualified" => Audience::Qualified, "not_qualified" => Audience::NotQualified, _ => Audience::Everyone,
                        };
                        card.update(|c| c.audience = a);
                    }>
                    {Audience::ALL.into_iter().map(|a| {
                        let value = match a { Audience::Everyone => "everyone", Audience::Qualified => "qualified", Audience::NotQualified => "not_qualified" };
                        view! { <option value=value selected=a == initial.audience>{a.label()}</option> }
                    }).collect_view()}
                </select>
            </div>
            {body}
            <button type="button" on:click=move |_| on_done.run(())>"Done"</button>
        </div>
    }
}

/// Quick replies of a Question, or answers of a Qualification with their branch.
#[component]
fn AnswerList(card: RwSignal<Card>, cid: String) -> impl IntoView {
    let count = Memo::new(move |_| {
        card.with(|c| match &c.body {
            CardBody::Question { answers, .. } => answers.len(),
            CardBody::Qualification { answers, .. } => answers.len(),
            _ => 0,
        })
    });
    let qualification = card.with_untracked(|c| matches!(c.body, CardBody::Qualification { .. }));
    let cid = StoredValue::new(cid);
    view! {
        <fieldset class="answers-editor">
            <legend>"Answers"</legend>
            {move || (0..count.get()).map(|i| {
                let input_id = format!("card-{}-answer-{i}", cid.get_value());
                let route_id = format!("card-{}-route-{i}", cid.get_value());
                let label = card.with_untracked(|c| match &c.body {
                    CardBody::Question { answers, .. } => answers.get(i).cloned().unwrap_or_default(),
                    CardBody::Qualification { answers, .. } => answers.get(i).map(|a| a.label.clone()).unwrap_or_default(),
                    _ => String::new(),
                });
                let qualified = card.with_untracked(|c| match &c.body {
                    CardBody::Qualification { answers, .. } => answers.get(i).is_some_and(|a| a.qualified),
                    _ => false,
                });
                view! {
                    <div class="answer">
                        <label for=input_id.clone()>{format!("Answer {}", i + 1)}</label>
                        <input id=input_id value=label on:input=move |ev| {
                            let v = event_target_value(&ev);
                            card.update(|c| match &mut c.body {
                                CardBody::Question { answers, .. } => if let Some(a) = answers.get_mut(i) { *a = v },
                                CardBody::Qualification { answers, .. } => if let Some(a) = answers.get_mut(i) { a.label = v },
                                _ => {}
                            });
                        }/>
                        {qualification.then(|| view! {
                            <label class="visually-hidden" for=route_id.clone()>{format!("Answer {} leads to", i + 1)}</label>
                            <select id=route_id on:change=move |ev| {
                                let q = event_target_value(&ev) == "qualified";
                                card.update(|c| if let CardBody::Qualification { answers, .. } = &mut c.body {
                                    if let Some(a) = answers.get_mut(i) { a.qualified = q }
                                });
                            }>
                                <option value="qualified" selected=qualified>"Qualified"</option>
                                <option value="not_qualified" selected=!qualified>"Not qualified"</option>
                            </select>
                        })}
                        <button type="button" on:click=move |_| card.update(|c| match &mut c.body {
                            CardBody::Question { answers, .. } if i < answers.len() => { answers.remove(i); }
                            CardBody::Qualification { answers, .. } if i < answers.len() => { answers.remove(i); }
                            _ => {}
                        })>{format!("Remove answer {}", i + 1)}</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" on:click=move |_| card.update(|c| match &mut c.body {
                CardBody::Question { answers, .. } => answers.push(String::new()),
                CardBody::Qualification { answers, .. } => answers.push(QualificationAnswer { label: String::new(), qualified: true }),
                _ => {}
            })>"Add answer"</button>
        </fieldset>
    }
}

/// Uploads the image chosen in a file input (its `change` event) and hands `done` its URL,
/// or a message for the field. The input is cleared, so the same file can be chosen again.
pub fn upload_chosen_image(ev: leptos::ev::Event, done: impl Fn(Result<String, String>) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move { done(upload_image(file).await) });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, done);
}

/// Uploads an image file to Leadline; answers its URL, or a message for the field.
#[cfg(feature = "hydrate")]
async fn upload_image(file: web_sys::File) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = || "The upload failed. Check your connection and try again.".to_string();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file);
    let response = JsFuture::from(window().fetch_with_str_and_init("/api/uploads", &init))
        .await
        .map_err(|_| failed())?;
    let response: web_sys::Response = response.unchecked_into();
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| failed())?;
        v["url"].as_str().map(str::to_string).ok_or_else(failed)
    } else if response.status() == 413 {
        Err("Images can be at most 2 MB.".into())
    } else {
        Err(serde_json::from_str::<AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| failed()))
    }
}

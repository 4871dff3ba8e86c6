//! The playbook editor (F1.2–F1.5, F1.7, F1.8): settings, the flow of cards (`flow`), "Save"
//! (saying "Saved" or what is refused, field by field), the install snippet, a live preview of
//! the widget (`preview`), and deleting the playbook. Leaving with unsaved changes asks first.
use super::flow::{AddCard, CardList, Flow};
use super::preview::WidgetPreview;
use super::rich_text::upload_chosen_image;
use crate::chatbot::api::{get_playbook, DeletePlaybook, SavePlaybook};
use crate::chatbot::model::{Card, PlaybookSettings, RuleOp, TargetRule};
use crate::chatbot::{LiveChatStatus, PlaybookDetail};
use crate::error::AppError;
use crate::ui::states::ErrorState;
use crate::ui::time::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

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

/// A refused save, with what its field held then: the message goes away once the field is
/// changed, unless the new value is refused for the same reason.
#[derive(Clone, Debug, PartialEq)]
struct Refusal {
    field: String,
    message: String,
    /// The card the field belongs to (by id: cards can move meanwhile), and the rest of the
    /// field's path in it (`cards.3.wait_seconds` → `wait_seconds`).
    card: Option<(String, String)>,
    then: String,
}

/// What a refusal's field holds, as text to compare.
fn part(settings: &PlaybookSettings, cards: &[Card], r: &Refusal) -> String {
    if let Some((id, _)) = &r.card {
        return cards
            .iter()
            .find(|c| c.id == *id)
            .map(|c| serde_json::to_string(c).unwrap_or_default())
            .unwrap_or_default();
    }
    let head = r.field.split('.').next().unwrap_or_default();
    let json = serde_json::to_value(settings).unwrap_or_default();
    match json.get(head) {
        Some(v) => v.to_string(),
        None => serde_json::to_string(&(settings, cards)).unwrap_or_default(),
    }
}

/// The refusal, if it still applies to the playbook as it is now (with today's message).
fn still_refused(r: &Refusal, settings: &PlaybookSettings, cards: &[Card]) -> Option<String> {
    if part(settings, cards, r) == r.then {
        return Some(r.message.clone());
    }
    let field = match &r.card {
        Some((id, rest)) => {
            let i = cards.iter().position(|c| c.id == *id)?;
            format!("cards.{i}.{rest}")
        }
        None => r.field.clone(),
    };
    crate::chatbot::model::validate(settings, cards)
        .err()
        .and_then(|e| e.for_field(&field))
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
        blocked,
        can_edit,
    } = initial;
    let id = StoredValue::new(id);
    let baseline = RwSignal::new((settings.clone(), cards.clone()));
    let settings = RwSignal::new(settings);
    let flow = Flow::new(cards);
    let version = RwSignal::new(version);
    let status = RwSignal::new(live_chat);
    let save = ServerAction::<SavePlaybook>::new();
    let delete = ServerAction::<DeletePlaybook>::new();
    let navigate = use_navigate();
    let refusal = RwSignal::new(None::<Refusal>);
    let failure = RwSignal::new(None::<String>);

    // Unsaved changes: anything that differs from what the server holds.
    let dirty = Memo::new(move |_| {
        let now = (settings.get(), flow.cards());
        baseline.with(|b| *b != now)
    });
    crate::ui::guard::leave_guard(dirty.into());

    Effect::new(move || match save.value().get() {
        Some(Ok(saved)) => {
            version.set(saved.version);
            status.set(saved.live_chat);
            baseline.set((saved.settings.clone(), saved.cards.clone()));
            settings.set(saved.settings);
            // The same signals, updated in place: the cards on screen keep theirs.
            let old = flow.slots.get_untracked();
            let slots = saved
                .cards
                .into_iter()
                .map(|card| match old.iter().find(|(id, _)| *id == card.id) {
                    Some((id, sig)) => {
                        sig.set(card);
                        (id.clone(), *sig)
                    }
                    None => (card.id.clone(), flow.new_slot(card)),
                })
                .collect();
            flow.slots.set(slots);
            flow.deleted.set(Vec::new());
            flow.editing.set(None);
            refusal.set(None);
            failure.set(None);
        }
        Some(Err(AppError::Validation { field, message })) => {
            let cards = flow
                .slots
                .with_untracked(|s| s.iter().map(|(_, c)| c.get_untracked()).collect::<Vec<_>>());
            let card = field.strip_prefix("cards.").and_then(|rest| {
                let (i, rest) = rest.split_once('.')?;
                let card = cards.get(i.parse::<usize>().ok()?)?;
                Some((card.id.clone(), rest.to_string()))
            });
            // Open the card the message is about.
            if let Some((cid, _)) = &card {
                flow.editing.set(Some(cid.clone()));
            }
            let mut r = Refusal {
                field,
                message,
                card,
                then: String::new(),
            };
            r.then = settings.with_untracked(|s| part(s, &cards, &r));
            refusal.set(Some(r));
            failure.set(None);
        }
        Some(Err(other)) => {
            refusal.set(None);
            failure.set(Some(other.to_string()));
        }
        None => {}
    });
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/chatbot", Default::default());
        }
    });

    // The refusal while it applies to what is on screen.
    let live_refusal = Memo::new(move |_| {
        let r = refusal.get()?;
        let cards = flow.cards();
        let message = settings.with(|s| still_refused(&r, s, &cards))?;
        Some((r.field.clone(), r.card.map(|(id, _)| id), message))
    });
    let error_for = move |field: &str| {
        live_refusal.with(|r| match r {
            Some((f, None, m)) if f == field => Some(m.clone()),
            _ => None,
        })
    };
    let error_of = Callback::new(move |cid: String| {
        live_refusal.with(|r| match r {
            Some((_, Some(c), m)) if *c == cid => Some(m.clone()),
            _ => None,
        })
    });
    let save_error = move || {
        failure
            .get()
            .or_else(|| live_refusal.with(|r| r.as_ref().map(|(_, _, m)| m.clone())))
            .map(|m| format!("Not saved: {m}"))
    };
    let on_save = move |_| {
        save.dispatch(SavePlaybook {
            id: id.get_value(),
            version: version.get_untracked(),
            settings: settings.get_untracked(),
            cards: flow
                .slots
                .with_untracked(|s| s.iter().map(|(_, c)| c.get_untracked()).collect()),
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
                        <span class="hint save-state" role="status">
                            {move || if save.pending().get() { "Saving…" }
                                else if dirty.get() { "Unsaved changes" }
                                else if save.version().get() > 0 { "Saved" }
                                else { "" }}
                        </span>
                        <button type="button" class="primary" on:click=on_save
                            disabled=move || save.pending().get()>"Save"</button>
                    </div>
                })}
            </div>
            <p class="form-error" role="alert">{save_error}</p>
            {(!can_edit).then(|| view! {
                <p class="notice">"You can look at this playbook. Only admins and users with the \
                    \"Chatbot & Live Chat settings\" permission can change it."</p>
            })}

            <div class="editor-columns">
                <div class="editor-main">
                    {view! { <SettingsForm settings can_edit error_for/> }.into_any()}

                    <section class="panel flow" aria-labelledby="flow-heading">
                        <h2 id="flow-heading">"Flow"</h2>
                        <CardList flow can_edit error_of/>
                        {can_edit.then(|| view! { <AddCard flow/> })}
                    </section>

                    <section class="panel install" aria-labelledby="install-heading">
                        <h2 id="install-heading">"Install"</h2>
                        <p class="hint">"Paste this into every page of your website where the chat should appear."</p>
                        <label for="embed-snippet">"Embed snippet"</label>
                        <textarea id="embed-snippet" readonly rows="2">{snippet}</textarea>
                        <CopyButton target="embed-snippet"/>
                        <p class="hint">
                            {match (last_loaded_at, last_loaded_url) {
                                (Some(at), url) => view! {
                                    <span>"Last loaded "</span><LocalTime utc=at/>
                                    <span>{format!(" from {}", url.unwrap_or_else(|| "an unknown page".into()))}</span>
                                }.into_any(),
                                (None, _) => view! {
                                    <span>{move || if status.get() == LiveChatStatus::NoLiveChat {
                                        "Not on a website yet: paste the snippet into a page, and this says when it was last loaded."
                                    } else {
                                        "Not on a website yet: until a page loads it, the Live Chat card works in offline mode only (visitors leave their details)."
                                    }}</span>
                                }.into_any(),
                            }}
                        </p>
                        {blocked.map(|(origin, at)| view! {
                            <p class="notice warning" role="status">
                                <span>{format!("Loaded from a site that is not allowed: {origin}")}</span>
                                <span>" ("</span><LocalTime utc=at/><span>"). Add it under \"Sites allowed to embed it\" if it is yours."</span>
                            </p>
                        })}
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
                </div>
                <WidgetPreview settings flow/>
            </div>
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
    /// The refusal of a settings field while it applies.
    error_for: impl Fn(&str) -> Option<String> + Copy + Send + Sync + 'static,
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
                    <p class="field-error">{move || error_for("name")}</p>
                </div>
                <div class="field checkbox">
                    <input id="pb-active" type="checkbox" aria-describedby="pb-active-hint" prop:checked=move || settings.with(|s| s.active)
                        on:change=move |ev| settings.update(|s| s.active = event_target_checked(&ev))/>
                    <label for="pb-active">"Active"</label>
                    <p class="hint" id="pb-active-hint">
                        {move || if settings.with(|s| s.active) {
                            "Shown on the pages its rules match, once saved."
                        } else {
                            "Inactive: the widget shows nothing on your website until this is on and saved."
                        }}
                    </p>
                </div>
                <div class="field">
                    <label for="pb-bot-name">"Chatbot name"</label>
                    <input id="pb-bot-name" prop:value=move || settings.with(|s| s.bot_name.clone())
                        on:input=move |ev| settings.update(|s| s.bot_name = event_target_value(&ev))/>
                    <p class="field-error">{move || error_for("bot_name")}</p>
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
                    <p class="field-error">{move || avatar_error.get().or_else(|| error_for("avatar"))}</p>
                </div>
                <div class="field">
                    <label for="pb-accent">"Accent colour"</label>
                    <input id="pb-accent" type="color" prop:value=move || settings.with(|s| s.accent_color.clone())
                        on:input=move |ev| settings.update(|s| s.accent_color = event_target_value(&ev))/>
                    <p class="field-error">{move || error_for("accent_color")}</p>
                </div>
                <div class="field">
                    <label for="pb-delay">"Delay before it opens (seconds)"</label>
                    <input id="pb-delay" type="number" min="0" max="3600"
                        prop:value=move || settings.with(|s| s.delay_seconds.to_string())
                        on:input=move |ev| settings.update(|s| s.delay_seconds = event_target_value(&ev).parse().unwrap_or(0))/>
                    <p class="field-error">{move || error_for("delay_seconds")}</p>
                </div>
                <fieldset class="rules">
                    <legend>"Show on pages where"</legend>
                    {move || (rule_count.get() == 0).then(|| view! { <p class="hint">"No rule: every page."</p> })}
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
                            <p class="field-error">{move || error_for(&format!("rules.{i}.value"))}</p>
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
                            (0..n).find_map(|i| error_for(&format!("allowed_sites.{i}"))).or_else(|| error_for("allowed_sites"))
                        }}
                    </p>
                </div>
            </fieldset>
        </section>
    }
}

//! The flow of a playbook in the editor (F1.3, F1.5): its cards in order, each with its
//! pencil and trash controls, reordering by the handle or the arrows, deleting with "Undo"
//! until the playbook is saved, the warnings of `model::warnings`, and one form per card type.
use super::rich_text::RichText;
use crate::chatbot::model::{
    Audience, CaptureField, Card, CardBody, CrmItem, OfflineOutcome, QualificationAnswer,
};
use crate::ui::text::escape_html;
use leptos::prelude::*;

/// The cards of the flow, each in its own signal so editing one does not redraw the others.
pub type Slots = RwSignal<Vec<(String, RwSignal<Card>)>>;

/// The editor's flow state, shared by every card.
#[derive(Clone, Copy)]
pub struct Flow {
    pub slots: Slots,
    /// The card whose form is open.
    pub editing: RwSignal<Option<String>>,
    /// The card being dragged by its handle.
    pub dragging: RwSignal<Option<String>>,
    /// Deleted cards, newest last, with where they were: "Undo" puts them back until saved.
    pub deleted: RwSignal<Vec<(usize, String, RwSignal<Card>)>>,
    /// The editor's owner: card signals live as long as the editor, not as long as the
    /// effect or event that made them (a signal made in an effect dies when it runs again).
    owner: StoredValue<Option<Owner>>,
}

impl Flow {
    pub fn new(cards: Vec<Card>) -> Self {
        let owner = StoredValue::new(Owner::current());
        let flow = Self {
            slots: RwSignal::new(Vec::new()),
            editing: RwSignal::new(None),
            dragging: RwSignal::new(None),
            deleted: RwSignal::new(Vec::new()),
            owner,
        };
        flow.slots.set(flow.slots_of(cards));
        flow
    }

    pub fn new_slot(&self, card: Card) -> RwSignal<Card> {
        match self.owner.get_value() {
            Some(owner) => owner.with(|| RwSignal::new(card)),
            None => RwSignal::new(card),
        }
    }

    pub fn slots_of(&self, cards: Vec<Card>) -> Vec<(String, RwSignal<Card>)> {
        cards
            .into_iter()
            .map(|c| (c.id.clone(), self.new_slot(c)))
            .collect()
    }

    /// The cards as they are now.
    pub fn cards(&self) -> Vec<Card> {
        self.slots
            .with(|s| s.iter().map(|(_, c)| c.get()).collect())
    }

    /// Puts the last deleted card back where it was.
    pub fn undo(&self) {
        let mut last = None;
        self.deleted.update(|d| last = d.pop());
        if let Some((i, id, card)) = last {
            self.slots.update(|s| {
                let at = i.min(s.len());
                s.insert(at, (id, card));
            });
        }
    }
}

/// The list of cards with its warnings and refusals; `error_of` gives the refusal of a card
/// (by id) while it still applies.
#[component]
pub fn CardList(
    flow: Flow,
    can_edit: bool,
    error_of: Callback<String, Option<String>>,
) -> impl IntoView {
    let warnings = Memo::new(move |_| crate::chatbot::model::warnings(&flow.cards()));
    view! {
        <ol class="cards">
            <For each=move || flow.slots.get() key=|(cid, _)| cid.clone() let:slot>
                {
                    let cid = slot.0.clone();
                    let (c1, c2) = (cid.clone(), cid.clone());
                    view! {
                        <CardItem cid=slot.0 card=slot.1 flow can_edit
                            error=Signal::derive(move || error_of.run(c1.clone()))
                            warnings=Signal::derive(move || {
                                let i = position(flow.slots, &c2);
                                warnings.with(|w| w.iter().filter(|(at, _)| Some(*at) == i).map(|(_, m)| m.clone()).collect())
                            })/>
                    }
                }
            </For>
        </ol>
        {move || flow.slots.with(Vec::is_empty).then(|| view! {
            <p class="hint">"No cards yet: add the first one."</p>
        })}
        {move || (!flow.deleted.with(Vec::is_empty)).then(|| view! {
            <p class="notice undo" role="status">
                <span>{move || match flow.deleted.with(Vec::len) { 1 => "Card deleted.".to_string(), n => format!("{n} cards deleted.") }}</span>
                " "
                <button type="button" on:click=move |_| flow.undo()>"Undo"</button>
            </p>
        })}
    }
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
pub fn AddCard(flow: Flow) -> impl IntoView {
    let Flow { slots, editing, .. } = flow;
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
                slots.update(|s| s.push((cid.clone(), flow.new_slot(card))));
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
                s.push_str(&format!("<p class=\"answers\">{}</p>", answers.iter().map(|a| escape_html(a)).collect::<Vec<_>>().join(" · ")));
            }
            if *free_text {
                s.push_str("<p class=\"answers\">Free-text answer</p>");
            }
            s
        }
        CardBody::Qualification { text, answers } => format!(
            "{text}<p class=\"answers\">{}</p>",
            answers.iter().map(|a| format!("{} → {}", escape_html(&a.label), if a.qualified { "qualified" } else { "not qualified" })).collect::<Vec<_>>().join(" · ")
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

#[component]
fn CardItem(
    cid: String,
    card: RwSignal<Card>,
    flow: Flow,
    can_edit: bool,
    /// The server's refusal for this card while it still applies.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// What the editor warns about for this card (it saves anyway).
    #[prop(into)]
    warnings: Signal<Vec<String>>,
) -> impl IntoView {
    let Flow {
        slots,
        editing,
        dragging,
        deleted,
        ..
    } = flow;
    let cid = StoredValue::new(cid);
    let index = move || position(slots, &cid.get_value());
    let is_editing = move || editing.get().as_deref() == Some(cid.get_value().as_str());
    let up = NodeRef::<leptos::html::Button>::new();
    let down = NodeRef::<leptos::html::Button>::new();
    // The card moves, and focus stays on the arrow that moved it (or on the other arrow
    // once it reaches an end): moving a list item in the page would drop focus otherwise.
    let move_by = move |delta: isize| {
        slots.update(|s| {
            if let Some(i) = s.iter().position(|(id, _)| *id == cid.get_value()) {
                let j = i as isize + delta;
                if j >= 0 && (j as usize) < s.len() {
                    s.swap(i, j as usize);
                }
            }
        });
        request_animation_frame(move || {
            let (pressed, other) = if delta < 0 { (up, down) } else { (down, up) };
            let target = pressed
                .get_untracked()
                .filter(|b| !b.disabled())
                .or_else(|| other.get_untracked());
            if let Some(b) = target {
                let _ = b.focus();
            }
        });
    };
    // Dragging by the handle, with a mouse, a pen or a finger: the card follows the pointer
    // over the others (the arrows do the same from the keyboard).
    let on_grab = move |ev: leptos::ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(handle) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        {
            let _ = handle.set_pointer_capture(ev.pointer_id());
        }
        dragging.set(Some(cid.get_value()));
    };
    let on_drag = move |ev: leptos::ev::PointerEvent| {
        if dragging.get_untracked().as_deref() != Some(cid.get_value().as_str()) {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let over = document()
                .element_from_point(ev.client_x() as f32, ev.client_y() as f32)
                .and_then(|e| e.closest("li.card-item").ok().flatten())
                .and_then(|li| li.get_attribute("data-card-id"));
            if let Some(over) = over.filter(|o| *o != cid.get_value()) {
                slots.update(|s| {
                    let from = s.iter().position(|(id, _)| *id == cid.get_value());
                    let to = s.iter().position(|(id, _)| *id == over);
                    if let (Some(from), Some(to)) = (from, to) {
                        let item = s.remove(from);
                        s.insert(to, item);
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_release = move |_: leptos::ev::PointerEvent| {
        if dragging.get_untracked().as_deref() == Some(cid.get_value().as_str()) {
            dragging.set(None);
        }
    };
    let on_delete = move |_| {
        if is_editing() {
            editing.set(None);
        }
        let id = cid.get_value();
        let mut removed = None;
        slots.update(|s| {
            if let Some(i) = s.iter().position(|(x, _)| *x == id) {
                removed = Some((i, s.remove(i)));
            }
        });
        if let Some((i, (id, card))) = removed {
            deleted.update(|d| d.push((i, id, card)));
        }
    };
    view! {
        <li class="card-item" class:editing=is_editing
            class:dragging=move || dragging.get().as_deref() == Some(cid.get_value().as_str())
            data-card-id=cid.get_value()
            data-card-kind=move || card.with(|c| c.body.kind_label())>
            <div class="card-head">
                {can_edit.then(|| view! {
                    <button type="button" class="drag-handle" aria-label="Drag to reorder" title="Drag to reorder"
                        on:pointerdown=on_grab on:pointermove=on_drag
                        on:pointerup=on_release on:pointercancel=on_release>"⠿"</button>
                })}
                <strong class="card-kind">{move || card.with(|c| c.body.kind_label())}</strong>
                {move || card.with(|c| (c.audience != Audience::Everyone).then(|| view! {
                    <span class="badge">{c.audience.label()}</span>
                }))}
                {can_edit.then(|| view! {
                    <div class="card-actions">
                        <button type="button" aria-label="Move up" title="Move up" node_ref=up
                            disabled=move || index() == Some(0) on:click=move |_| move_by(-1)>"↑"</button>
                        <button type="button" aria-label="Move down" title="Move down" node_ref=down
                            disabled=move || index().map(|i| i + 1) == Some(slots.with(Vec::len))
                            on:click=move |_| move_by(1)>"↓"</button>
                        <button type="button" aria-label="Edit card" title="Edit card" aria-expanded=move || is_editing().to_string()
                            on:click=move |_| editing.set(if is_editing() { None } else { Some(cid.get_value()) })>"✎"</button>
                        <button type="button" aria-label="Delete card" title="Delete card" on:click=on_delete>
                            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                                <path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6"
                                    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
                            </svg>
                        </button>
                    </div>
                })}
            </div>
            <p class="form-error" role="alert">{move || error.get()}</p>
            {move || warnings.get().into_iter().map(|w| view! { <p class="card-warning" role="note">{w}</p> }).collect_view()}
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

//! The side panel of an open conversation (F4.1, F4.2, F3.6): each field saves on its own
//! (on blur or Enter) with a visible "Saved"; a refusal stays beside its field with what was
//! typed; "Create lead", and "…" > "Create deal". Another agent's change arrives through the
//! event stream (`changed`) and the panel is read again.
use crate::crm::api::{get_panel, AddActivity, CreateFromPanel, MarkActivityDone, SavePanelField};
use crate::crm::{PanelView, ACTIVITY_KINDS, PANEL_FIELDS};
use crate::error::AppError;
use crate::ui::time::LocalTime;
use leptos::prelude::*;

#[component]
pub fn SidePanel(id: String, changed: RwSignal<u64>) -> impl IntoView {
    let reload = RwSignal::new(0u64);
    // Read in the browser only: the conversation window is made inside a closure that the
    // server renders more than once, and a server render's request made there lost its
    // context when the first rendering was thrown away ("AppState missing").
    let loaded = {
        let id = id.clone();
        LocalResource::new(move || {
            changed.track();
            reload.track();
            get_panel(id.clone())
        })
    };
    let current: RwSignal<Option<PanelView>> = RwSignal::new(None);
    let load_error: RwSignal<Option<String>> = RwSignal::new(None);
    // The resource is read here only, never by the view: a read in the view would tie it to
    // the conversation's <Transition>, which it is not part of (the server never loads it).
    Effect::new(move || match loaded.get() {
        Some(Ok(p)) => {
            load_error.set(None);
            current.set(Some(p));
        }
        Some(Err(e)) => load_error.set(Some(e.to_string())),
        None => {}
    });
    let has_panel = Memo::new(move |_| current.with(Option::is_some));
    let echoes = StoredValue::new(
        PANEL_FIELDS
            .iter()
            .map(|(key, _)| (*key, Trigger::new()))
            .collect::<Vec<(&'static str, Trigger)>>(),
    );
    let save = ServerAction::<SavePanelField>::new();
    let create = ServerAction::<CreateFromPanel>::new();
    let saved_key: RwSignal<Option<String>> = RwSignal::new(None);
    let pending_key: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let new_person = RwSignal::new(false);
    let lead_title = RwSignal::new(String::new());
    let more = RwSignal::new(false);
    let blocked: RwSignal<Option<String>> = RwSignal::new(None);
    let add_activity = ServerAction::<AddActivity>::new();
    let mark_done = ServerAction::<MarkActivityDone>::new();
    let activity_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if let Some(Ok(p)) = add_activity.value().get() {
            current.set(Some(p));
            if let Some(form) = activity_form.get() {
                form.reset();
            }
        }
    });
    Effect::new(move || {
        if let Some(Ok(())) = mark_done.value().get() {
            reload.update(|n| *n += 1);
        }
    });
    let activity_error = move |key: &'static str| {
        Signal::derive(move || {
            add_activity
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(key))
        })
    };
    // Saves go one at a time, each over the version the one before it stored (a field saved
    // while another is on its way waits, and a newer value of the same field replaces it),
    // so one agent's own saves never conflict. A save answers with the panel as stored; a
    // conflict (another agent) reads it again; a refusal stays beside its field, with what
    // was typed, until that field saves.
    let id = StoredValue::new(id);
    let queue: StoredValue<Vec<(&'static str, String)>> = StoredValue::new(Vec::new());
    let in_flight = StoredValue::new(false);
    let field_errors: RwSignal<Vec<(&'static str, String)>> = RwSignal::new(Vec::new());
    let send = move |key: &'static str, value: String| {
        let version = current.get_untracked().map_or(0, |p| p.version);
        in_flight.set_value(true);
        pending_key.set(Some(key.to_string()));
        saved_key.set(None);
        save.dispatch(SavePanelField {
            id: id.get_value(),
            field: key.to_string(),
            value,
            version,
        });
    };
    // "Create lead" clicked while a field is still saving (leaving the field to click the
    // button saves it): the create waits for the saves, then sees their refusals.
    let create_waiting: StoredValue<Option<&'static str>> = StoredValue::new(None);
    let run_create: StoredValue<Option<Callback<&'static str>>> = StoredValue::new(None);
    let next = move || {
        in_flight.set_value(false);
        let mut q = queue.get_value();
        if !q.is_empty() {
            let (key, value) = q.remove(0);
            queue.set_value(q);
            send(key, value);
        } else if let Some(kind) = create_waiting.get_value() {
            create_waiting.set_value(None);
            if let Some(run) = run_create.get_value() {
                run.run(kind);
            }
        }
    };
    Effect::new(move || match save.value().get() {
        Some(Ok(p)) => {
            let key = pending_key.get_untracked();
            saved_key.set(key.clone());
            notice.set(None);
            field_errors.update(|e| e.retain(|(k, _)| Some(*k) != key.as_deref()));
            if field_errors.with_untracked(Vec::is_empty) {
                blocked.set(None);
            }
            current.set(Some(p));
            if let Some((_, echo)) = echoes
                .get_value()
                .into_iter()
                .find(|(k, _)| Some(*k) == key.as_deref())
            {
                echo.notify();
            }
            next();
        }
        Some(Err(AppError::Conflict(m))) => {
            saved_key.set(None);
            notice.set(Some(m));
            queue.set_value(Vec::new());
            in_flight.set_value(false);
            create_waiting.set_value(None);
            reload.update(|n| *n += 1);
        }
        Some(Err(e)) => {
            saved_key.set(None);
            if let Some(key) = pending_key
                .get_untracked()
                .and_then(|k| PANEL_FIELDS.iter().map(|(f, _)| *f).find(|f| *f == k))
            {
                let message = e.for_field(key).unwrap_or_else(|| e.to_string());
                field_errors.update(|errors| {
                    errors.retain(|(k, _)| *k != key);
                    errors.push((key, message));
                });
            }
            next();
        }
        None => {}
    });
    Effect::new(move || match create.value().get() {
        Some(Ok(p)) => {
            notice.set(None);
            current.set(Some(p));
        }
        Some(Err(e)) if e.for_field("person").is_none() => notice.set(Some(e.to_string())),
        _ => {}
    });
    let field_error = move |key: &'static str| {
        Signal::derive(move || {
            field_errors.with(|errors| {
                errors
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, m)| m.clone())
            })
        })
    };
    let dispatch_save = move |key: &'static str, value: String| {
        if in_flight.get_value() {
            queue.update_value(|q| {
                q.retain(|(k, _)| *k != key);
                q.push((key, value));
            });
        } else {
            send(key, value);
        }
    };
    let dispatch_create = move |kind: &'static str| {
        if in_flight.get_value() {
            create_waiting.set_value(Some(kind));
            return;
        }
        // A field whose value was refused is not saved: made now, the lead or deal would
        // quietly go without it.
        if let Some(label) = field_errors.with_untracked(|errors| {
            errors
                .first()
                .and_then(|(k, _)| PANEL_FIELDS.iter().find(|(f, _)| f == k).map(|(_, l)| *l))
        }) {
            blocked.set(Some(format!(
                "{label} is not saved yet: correct the fields marked beside them first."
            )));
            return;
        }
        blocked.set(None);
        create.dispatch(CreateFromPanel {
            id: id.get_value(),
            kind: kind.to_string(),
            title: if kind == "lead" {
                lead_title.get_untracked()
            } else {
                String::new()
            },
            new_person: new_person.get_untracked().then(|| "on".to_string()),
        });
    };
    run_create.set_value(Some(Callback::new(dispatch_create)));
    let person_refusal = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field("person"))
    });
    view! {
        <section class="side-panel" aria-label="Side panel">
            {move || current.with(Option::is_none).then(|| view! { <p>"Loading…"</p> })}
            {move || load_error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                {move || current.with(|p| p.as_ref().map(|p| p.captured.clone())).map(|captured| {
                    (!captured.is_empty()).then(|| view! {
                        <h3>"Captured by the chatbot"</h3>
                        <dl class="captured">
                            {captured.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                        </dl>
                    })
                })}
                // The fields are made once: each follows its own stored value, so a save of one
                // field (or another agent's change) never wipes what is being typed in another.
                <Show when=move || has_panel.get()>
                        <h3>"Deal and contact"</h3>
                        {PANEL_FIELDS.iter().map(|(key, label)| {
                            let key: &'static str = key;
                            let value = Memo::new(move |_| {
                                current.with(|p| p.as_ref().map(|p| p.field(key)).unwrap_or_default())
                            });
                            let echo = echoes.get_value().into_iter().find(|(k, _)| *k == key).map(|(_, t)| t);
                            // The stored value, again after this field's own save (typed as
                            // "1,250.5", stored as "1250.50").
                            let shown = move || {
                                if let Some(t) = echo {
                                    t.track();
                                }
                                value.get()
                            };
                            let input_id = format!("panel-{key}");
                            let error_id = format!("panel-{key}-error");
                            let error = field_error(key);
                            // A date field changes as each part of it is typed: a year still
                            // being typed (0002, 0020, 0202) waits for the field to be left.
                            // A half-typed date reads as "" (the browser marks it bad input):
                            // leaving it so says what to type, and never clears the stored date.
                            let on_change = move |ev: leptos::ev::Event| {
                                let typed = event_target_value(&ev);
                                if key == "expected_close_date"
                                    && (typed.get(..4).is_some_and(|y| y < "1900") || half_typed(&ev))
                                {
                                    return;
                                }
                                dispatch_save(key, typed);
                            };
                            let on_blur = move |ev: leptos::ev::FocusEvent| {
                                if key != "expected_close_date" {
                                    return;
                                }
                                let typed = event_target_value(&ev);
                                if half_typed(&ev) {
                                    field_errors.update(|errors| {
                                        errors.retain(|(k, _)| *k != key);
                                        errors.push((key, "Expected close date: choose a real date, like 2026-12-31.".into()));
                                    });
                                } else if typed != value.get_untracked() {
                                    dispatch_save(key, typed);
                                }
                            };
                            let control = match key {
                                "notes" | "address" => {
                                    let text = value.get_untracked();
                                    view! {
                                        <textarea id=input_id.clone() rows="3" prop:value=shown
                                            aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                                            aria-describedby=error_id.clone()
                                            on:change=on_change>{text}</textarea>
                                    }.into_any()
                                }
                                _ => {
                                    let kind = match key {
                                        "expected_close_date" => "date",
                                        "email" => "email",
                                        "phone" => "tel",
                                        _ => "text",
                                    };
                                    let mode = (key == "value").then_some("decimal");
                                    view! {
                                        <input id=input_id.clone() type=kind value=value.get_untracked() prop:value=shown inputmode=mode
                                            aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                                            aria-describedby=error_id.clone()
                                            on:change=on_change on:blur=on_blur/>
                                    }.into_any()
                                }
                            };
                            view! {
                                <div class="field panel-field">
                                    <label for=input_id>{*label}</label>
                                    {control}
                                    <Show when=move || saved_key.get().as_deref() == Some(key)>
                                        <span class="saved" role="status">"Saved"</span>
                                    </Show>
                                    <p class="field-error" id=format!("panel-{key}-error") role="alert">
                                        {move || error.get()}
                                    </p>
                                </div>
                            }
                        }).collect_view()}
                </Show>
                {move || current.get().map(|p| {
                    view! {
                        <div class="panel-reuse">
                            {p.person_match.clone().map(|m| view! { <p>{format!("Person: {m} (existing)")}</p> })}
                            {p.organization_match.clone().map(|m| view! { <p>{format!("Organization: {m} (existing)")}</p> })}
                            {p.people_conflict.clone().map(|m| view! { <p class="warning" role="alert">{m}</p> })}
                            {(p.person_match.is_some() || p.people_conflict.is_some()).then(|| view! {
                                <label class="check">
                                    <input type="checkbox" prop:checked=move || new_person.get()
                                        on:change=move |ev| new_person.set(event_target_checked(&ev))/>
                                    " Create a new person"
                                </label>
                            })}
                            <p class="field-error" role="alert">{move || person_refusal.get()}</p>
                        </div>
                        <div class="panel-actions">
                            {match p.lead.clone() {
                                Some(l) => view! {
                                    <p class="crm-made">"Lead created " <LocalTime utc=l.created_at/> " · "
                                        <a href=list_link("/leads", &l.title)>{l.title.clone()}</a></p>
                                }.into_any(),
                                None => {
                                    // As the server names it: the name, else the email, else the phone.
                                    let who = ["name", "email", "phone"].iter().map(|k| p.field(k))
                                        .find(|v| !v.is_empty())
                                        .unwrap_or_else(|| "Website visitor".to_string());
                                    view! {
                                        <div class="field">
                                            <label for="panel-lead-title">"Lead title"</label>
                                            <input id="panel-lead-title" type="text" maxlength="200"
                                                placeholder=format!("{who} lead")
                                                prop:value=move || lead_title.get()
                                                on:input=move |ev| lead_title.set(event_target_value(&ev))/>
                                            <p class="field-error" role="alert">{move || create.value().get().and_then(|r| r.err()).and_then(|e| e.for_field("title"))}</p>
                                        </div>
                                        <button type="button" class="primary" disabled=move || create.pending().get()
                                            on:click=move |_| dispatch_create("lead")>"Create lead"</button>
                                    }.into_any()
                                }
                            }}
                            {match p.deal.clone() {
                                Some(d) => view! {
                                    <p class="crm-made">"Deal created " <LocalTime utc=d.created_at/> " · "
                                        <a href=list_link("/deals", &d.title)>{d.title.clone()}</a></p>
                                }.into_any(),
                                None => view! {
                                    // "…" > "Create deal": a disclosure button named "…" (its
                                    // title says what it holds).
                                    <div class="more-actions">
                                        <button type="button" class="more" title="More actions"
                                            aria-controls="panel-more" aria-expanded=move || more.get().to_string()
                                            on:click=move |_| more.update(|m| *m = !*m)>"…"</button>
                                        <div id="panel-more" hidden=move || !more.get()>
                                            <button type="button" disabled=move || create.pending().get()
                                                on:click=move |_| dispatch_create("deal")>"Create deal"</button>
                                        </div>
                                    </div>
                                }.into_any(),
                            }}
                            <p class="form-error" role="alert">{move || blocked.get()}</p>
                        </div>
                        <PanelActivities items=p.activities.clone() mark_done/>
                        {(!p.related.is_empty()).then(|| view! {
                            <h3>"Same person elsewhere"</h3>
                            <ul class="related" aria-label="Same person elsewhere">
                                {p.related.clone().into_iter().map(|r| view! {
                                    <li>{r.kind}": " <a href=r.href>{r.title}</a> " · " <LocalTime utc=r.created_at/></li>
                                }).collect_view()}
                            </ul>
                        })}
                    }
                })}
                <h3>"Add activity"</h3>
                <ActionForm action=add_activity node_ref=activity_form attr:class="add-activity">
                    <input type="hidden" name="id" value=id.get_value()/>
                    <div class="field">
                        <label for="activity-subject">"Subject"</label>
                        <input id="activity-subject" name="subject" type="text" maxlength="200"
                            aria-describedby="activity-subject-error"/>
                        <p class="field-error" id="activity-subject-error" role="alert">{move || activity_error("subject").get()}</p>
                    </div>
                    <div class="field">
                        <label for="activity-kind">"Type"</label>
                        <select id="activity-kind" name="kind">
                            {ACTIVITY_KINDS.iter().map(|(k, label)| view! { <option value=*k>{*label}</option> }).collect_view()}
                        </select>
                        <p class="field-error" role="alert">{move || activity_error("kind").get()}</p>
                    </div>
                    <div class="field">
                        <label for="activity-due-date">"Due date"</label>
                        <input id="activity-due-date" name="due_date" type="date"
                            aria-describedby="activity-due-date-error"/>
                        <p class="field-error" id="activity-due-date-error" role="alert">{move || activity_error("due_date").get()}</p>
                    </div>
                    <div class="field">
                        <label for="activity-due-time">"Due time"</label>
                        <input id="activity-due-time" name="due_time" type="time"/>
                        <p class="field-error" role="alert">{move || activity_error("due_time").get()}</p>
                    </div>
                    <button type="submit" disabled=move || add_activity.pending().get()>"Add activity"</button>
                </ActionForm>
                {move || notice.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        </section>
    }
}

/// The conversation's activities, each with "Mark as done" until it is.
#[component]
fn PanelActivities(
    items: Vec<crate::crm::ActivityItem>,
    mark_done: ServerAction<MarkActivityDone>,
) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <h3>"Activities"</h3>
            <ul class="panel-activities" aria-label="Activities">
                {items.into_iter().map(|a| {
                    let id = a.id.clone();
                    view! {
                        <li class:done=a.done>
                            <strong>{a.title}</strong>
                            <span class="hint">{format!(" {} · due {}", a.kind, a.due)}</span>
                            {if a.done {
                                view! { <span class="badge">"Done"</span> }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="link-button" disabled=move || mark_done.pending().get()
                                        on:click=move |_| { mark_done.dispatch(MarkActivityDone { id: id.clone() }); }>
                                        "Mark as done"
                                    </button>
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

/// The list page filtered to this title.
pub fn list_link(path: &str, title: &str) -> String {
    format!("{path}?q={}", super::query_escape(title))
}

/// Whether the event's input holds something the browser could not read as a value (a date
/// with only some of its parts typed).
fn half_typed(ev: &leptos::ev::Event) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some_and(|input| input.validity().bad_input())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

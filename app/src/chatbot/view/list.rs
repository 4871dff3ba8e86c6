//! Leads > Chatbot: the list of playbooks and "Add playbook" (F1.1).
use crate::account::Me;
use crate::chatbot::api::{list_playbooks, CreatePlaybook};
use crate::ui::forms::FormError;
use crate::ui::states::ErrorState;
use crate::ui::time::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ChatbotPage() -> impl IntoView {
    let Me(me) = expect_context::<Me>();
    let can_edit = move || {
        me.get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| u.is_admin() || u.can_manage_chatbot)
    };
    let playbooks = Resource::new(|| (), |_| list_playbooks());
    let create = ServerAction::<CreatePlaybook>::new();
    let choosing = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/chatbot/{id}"), Default::default());
        }
    });
    let create_error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    });
    view! {
        <Title text="Chatbot · Leadline"/>
        <section class="page">
            <div class="page-head">
                <h1>"Chatbot"</h1>
                <Transition fallback=|| ()>
                    {move || can_edit().then(|| view! {
                        <button type="button" class="primary" aria-expanded=move || choosing.get().to_string()
                            on:click=move |_| choosing.update(|c| *c = !*c)>
                            "Add playbook"
                        </button>
                    })}
                </Transition>
            </div>
            <Show when=move || choosing.get()>
                <div class="panel template-choice" role="group" aria-label="Start from">
                    <p>"Start from:"</p>
                    <button type="button" disabled=move || create.pending().get()
                        on:click=move |_| { create.dispatch(CreatePlaybook { template: "live_chat".into() }); }>
                        "Live Chat"
                    </button>
                    <button type="button" disabled=move || create.pending().get()
                        on:click=move |_| { create.dispatch(CreatePlaybook { template: "blank".into() }); }>
                        "Blank playbook"
                    </button>
                </div>
            </Show>
            <FormError error=create_error/>
            <Transition fallback=|| view! { <p>"Loading playbooks…"</p> }>
                {move || playbooks.get().map(|r| match r {
                    Err(error) => view! { <ErrorState error/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="hint">"No playbooks yet."</p>
                    }.into_any(),
                    Ok(rows) => view! {
                        <table class="playbooks">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Live Chat"</th>
                                    <th scope="col">"Last loaded"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|p| view! {
                                    <tr>
                                        <td><a href=format!("/chatbot/{}", p.id)>{p.name}</a></td>
                                        <td>{if p.active { "Active" } else { "Inactive" }}</td>
                                        <td>{p.live_chat.label()}</td>
                                        <td>
                                            {match (p.last_loaded_at, p.last_loaded_url) {
                                                (Some(at), url) => view! {
                                                    <span>
                                                        <LocalTime utc=at/>
                                                        " " <span class="hint">{url.unwrap_or_default()}</span>
                                                    </span>
                                                }.into_any(),
                                                (None, _) => view! { <span class="hint">"Never"</span> }.into_any(),
                                            }}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

//! The start page after login: a welcome, and the first steps with Leadline until they are
//! done (create a playbook, paste its snippet, go online in Live Chat).
use crate::account::Me;
use crate::account::{api::get_checklist, Checklist};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let Me(me) = expect_context::<Me>();
    let checklist = Resource::new(|| (), |_| get_checklist());
    view! {
        <Title text="Leadline"/>
        <section class="page">
            <Transition fallback=|| view! { <h1>"Welcome"</h1> }>
                {move || {
                    me.get()
                        .and_then(Result::ok)
                        .flatten()
                        .map(|u| {
                            view! {
                                <h1>"Welcome, " {u.name.clone()}</h1>
                                <p class="hint">"You are signed in to " {u.company_name.clone()} "."</p>
                            }
                        })
                }}
            </Transition>
            <Transition fallback=|| ()>
                {move || {
                    let editor = me.get().and_then(Result::ok).flatten()
                        .is_some_and(|u| u.is_admin() || u.can_manage_chatbot);
                    checklist.get().and_then(Result::ok).map(|c| view! { <FirstSteps c editor/> })
                }}
            </Transition>
        </section>
    }
}

/// The steps this user can take: all three for those who may edit playbooks, going online
/// for the others.
#[component]
fn FirstSteps(c: Checklist, editor: bool) -> impl IntoView {
    let snippet_at = c
        .playbook
        .as_ref()
        .map_or("/chatbot".to_string(), |id| format!("/chatbot/{id}"));
    let steps = [
        (
            c.playbook.is_some(),
            "Create a playbook",
            "/chatbot".to_string(),
            "Leads › Chatbot › \"Add playbook\": start from the Live Chat template.",
        ),
        (
            c.installed,
            "Paste the snippet into your website",
            snippet_at,
            "Copy the playbook's embed snippet into your pages; this ticks once a page loads it.",
        ),
        (
            c.online,
            "Go online to take chats",
            "/inbox".to_string(),
            "Switch \"Online\" on (bottom left) so visitors can reach you.",
        ),
    ];
    let steps: Vec<_> = steps
        .into_iter()
        .enumerate()
        .filter(|(i, _)| editor || *i == 2)
        .map(|(_, s)| s)
        .collect();
    let total = steps.len();
    let done = steps.iter().filter(|s| s.0).count();
    view! {
        <section class="panel checklist" aria-labelledby="checklist-heading">
            <h2 id="checklist-heading">"Get started"</h2>
            <p class="hint">{if total == 1 { format!("{done} of 1 step done") } else { format!("{done} of {total} steps done") }}</p>
            <ol>
                {steps.into_iter().map(|(ok, label, href, how)| view! {
                    <li class:done=ok>
                        <span class="tick" aria-hidden="true">{if ok { "✓" } else { "" }}</span>
                        <a href=href>{label}</a>
                        <span class="visually-hidden">{if ok { " (done)" } else { " (to do)" }}</span>
                        <p class="hint">{how}</p>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

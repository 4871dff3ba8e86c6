//! The start page after login.
use crate::ui::shell::Me;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    let Me(me) = expect_context::<Me>();
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
        </section>
    }
}

//! The signed-in layout: navigation with the product's areas, the user's name, "Log out".
use crate::account::api::Logout;
use crate::account::Me;
use crate::ui::go_to;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

#[component]
pub fn AppLayout() -> impl IntoView {
    let Me(me) = expect_context::<Me>();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move || {
        if let Some(Ok(())) = logout.value().get() {
            go_to("/login");
        }
    });
    let user = move || me.get().and_then(Result::ok).flatten();
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Leadline"</a>
                <nav aria-label="Main">
                    <ul>
                        <li><A href="/inbox">"Live Chat"</A></li>
                        <li class="nav-group">
                            <span class="nav-group-label">"Leads"</span>
                            <A href="/chatbot">"Chatbot"</A>
                            <A href="/leads">"Leads"</A>
                            <A href="/deals">"Deals"</A>
                            <A href="/activities">"Activities"</A>
                        </li>
                        <Transition fallback=|| ()>
                            {move || {
                                user()
                                    .filter(|u| u.is_admin())
                                    .map(|_| view! {
                                        <li><A href="/users">"Users"</A></li>
                                        <li><A href="/settings">"Company settings"</A></li>
                                    })
                            }}
                        </Transition>
                    </ul>
                </nav>
                <div class="account">
                    <Transition fallback=|| ()>
                        <span class="user-name">{move || user().map(|u| u.name)}</span>
                    </Transition>
                    <A href="/my-settings">"My settings"</A>
                    <ActionForm action=logout>
                        <button type="submit" class="link-button">"Log out"</button>
                    </ActionForm>
                </div>
            </header>
            <main class="content">
                <Outlet/>
            </main>
        </div>
    }
}

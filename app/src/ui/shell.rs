//! The HTML document, the router and the routes.
use crate::account::{
    api::get_current_user,
    view::{HomePage, LoginPage, MySettingsPage, SetupPage, UsersPage},
    Me,
};
use crate::chatbot::view::{ChatbotPage, PlaybookEditorPage};
use crate::crm::view::{ActivitiesPage, DealsPage, LeadsPage};
use crate::inbox::view::InboxPage;
use crate::settings::view::CompanySettingsPage;
use crate::ui::{layout::AppLayout, states::NotFound};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    provide_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <script src="/notify.js" defer></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A fresh nonce for this page's scripts, and the Content-Security-Policy that allows only it.
#[cfg(feature = "ssr")]
fn provide_csp() {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(value) = http::HeaderValue::from_str(&crate::ui::shell::app_csp(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

/// The admin app's policy: own origin only, scripts by nonce, never framed.
pub fn app_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Blocking: the server resolves who is signed in before it streams the page, so the
    // layout's and the pages' boundaries never wait on it side by side (one resource read
    // in several Suspense boundaries hung one server render in a few hundred in CI).
    provide_context(Me(Resource::new_blocking(|| (), |_| get_current_user())));
    // Tests and people can tell when the page has become interactive.
    Effect::new(|| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/leadline.css"/>
        <Title text="Leadline"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/setup") view=SetupPage/>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=AppLayout>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("users") view=UsersPage/>
                    <Route path=path!("settings") view=CompanySettingsPage/>
                    <Route path=path!("my-settings") view=MySettingsPage/>
                    <Route path=path!("inbox") view=InboxPage/>
                    <Route path=path!("chatbot") view=ChatbotPage/>
                    <Route path=path!("leads") view=LeadsPage/>
                    <Route path=path!("deals") view=DealsPage/>
                    <Route path=path!("activities") view=ActivitiesPage/>
                    <Route path=path!("chatbot/:id") view=PlaybookEditorPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! Clear page states instead of a blank page: not allowed, not found, failed.
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn NotAllowed(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <section class="state state-forbidden">
            <h1>"Not allowed"</h1>
            <p>{message}</p>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="state state-not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><a href="/">"Back to the start page"</a></p>
        </main>
    }
}

/// Any error from loading a page's data, in words.
#[component]
pub fn ErrorState(error: AppError) -> impl IntoView {
    match error {
        AppError::Forbidden(message) => view! { <NotAllowed message/> }.into_any(),
        AppError::Unauthenticated => view! {
            <section class="state">
                <h1>"Please log in"</h1>
                <p><a href="/login">"Log in"</a></p>
            </section>
        }
        .into_any(),
        AppError::NotFound(message) => view! {
            <section class="state state-not-found">
                <h1>"Not found"</h1>
                <p>{message}</p>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="state state-error">
                <h1>"Something went wrong"</h1>
                <p>{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

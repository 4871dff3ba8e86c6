//! The first-run setup page and the login page.
use crate::account::api::{Login, Setup};
use crate::domain::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::ui::forms::{field_error, form_error, FormError, TextField};
use crate::ui::go_to;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<Setup>::new();
    let value = setup.value();
    Effect::new(move || {
        if let Some(Ok(())) = value.get() {
            go_to("/");
        }
    });
    view! {
        <Title text="Set up Leadline"/>
        <main class="auth-page">
            <section class="panel auth-panel">
                <h1>"Set up Leadline"</h1>
                <p class="hint">"Create your company and its first admin account."</p>
                <ActionForm action=setup>
                    <TextField label="Company name" name="company_name" autocomplete="organization"
                        error=field_error(value, "company_name")/>
                    <TextField label="Name" name="name" autocomplete="name"
                        error=field_error(value, "name")/>
                    <TextField label="Email" name="email" autocomplete="email"
                        error=field_error(value, "email")/>
                    <TextField label="Password" name="password" kind="password"
                        autocomplete="new-password" error=field_error(value, "password")
                        hint=format!("At least {MIN_PASSWORD_CHARS} characters (at most {MAX_PASSWORD_CHARS}); a passphrase of a few words is easy to remember.")/>
                    <FormError error=form_error(value, &["company_name", "name", "email", "password"])/>
                    <button type="submit" class="primary" disabled=move || setup.pending().get()>
                        "Create company"
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let value = login.value();
    Effect::new(move || {
        if let Some(Ok(())) = value.get() {
            go_to("/");
        }
    });
    view! {
        <Title text="Log in · Leadline"/>
        <main class="auth-page">
            <section class="panel auth-panel">
                <h1>"Log in to Leadline"</h1>
                <ActionForm action=login>
                    <TextField label="Email" name="email" autocomplete="username"
                        error=field_error(value, "email")/>
                    <TextField label="Password" name="password" kind="password"
                        autocomplete="current-password" error=field_error(value, "password")/>
                    <FormError error=form_error(value, &["email", "password"])/>
                    <button type="submit" class="primary" disabled=move || login.pending().get()>
                        "Log in"
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

//! "My settings": the signed-in user's notifications (F5.3), password and sessions (R5).
use crate::account::api::{ChangePassword, LogoutEverywhere};
use crate::domain::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::notifications::view::MyNotificationsSection;
use crate::ui::forms::{field_error, form_error, FormError, TextField};
use crate::ui::go_to;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MySettingsPage() -> impl IntoView {
    view! {
        <Title text="My settings · Leadline"/>
        <section class="page">
            <h1>"My settings"</h1>
            <MyNotificationsSection/>
            <PasswordSection/>
        </section>
    }
}

/// "Change password" (the current one first) and "Log out everywhere".
#[component]
fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let value = change.value();
    let everywhere = ServerAction::<LogoutEverywhere>::new();
    Effect::new(move || {
        if let Some(Ok(())) = everywhere.value().get() {
            go_to("/login");
        }
    });
    // Once changed, neither password stays typed in the page.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move || {
        if let Some(Ok(())) = value.get() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="panel" aria-labelledby="my-password">
            <h2 id="my-password">"Password"</h2>
            <ActionForm action=change node_ref=form>
                <TextField label="Current password" name="current_password" kind="password"
                    autocomplete="current-password" error=field_error(value, "current_password")/>
                <TextField label="New password" name="new_password" kind="password"
                    autocomplete="new-password" error=field_error(value, "new_password")
                    hint=format!("At least {MIN_PASSWORD_CHARS} characters (at most {MAX_PASSWORD_CHARS}).")/>
                <FormError error=form_error(value, &["current_password", "new_password"])/>
                <button type="submit" class="primary" disabled=move || change.pending().get()>
                    "Change password"
                </button>
                <Show when=move || matches!(value.get(), Some(Ok(())))>
                    <p class="saved" role="status">
                        "Password changed. Your other sessions were logged out; this one stays."
                    </p>
                </Show>
            </ActionForm>
            <h3>"Sessions"</h3>
            <p class="hint">"Logs you out on every browser and device, this one included."</p>
            <ActionForm action=everywhere>
                <button type="submit">"Log out everywhere"</button>
            </ActionForm>
            {move || everywhere.value().get().and_then(Result::err).map(|e| view! {
                <p class="form-error" role="alert">{e.to_string()}</p>
            })}
        </section>
    }
}

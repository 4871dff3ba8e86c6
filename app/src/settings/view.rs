//! The Company settings page (admins): the default country for phone numbers, and the
//! notification switches (F5.3).
use super::api::{get_company_settings, SaveCompanySettings};
use super::CompanySettings;
use crate::notifications::view::CompanyNotifications;
use crate::ui::forms::{field_error, form_error, FormError};
use crate::ui::states::ErrorState;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CompanySettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveCompanySettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_company_settings());
    view! {
        <Title text="Company settings · Leadline"/>
        <section class="page">
            <h1>"Company settings"</h1>
            // The only place the resource is read: one boundary per resource.
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|r| match r {
                    Ok(s) => {
                        let first = s.notifications;
                        view! {
                            <PhoneSettings settings=s save/>
                            <CompanyNotifications first/>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorState error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PhoneSettings(
    settings: CompanySettings,
    save: ServerAction<SaveCompanySettings>,
) -> impl IntoView {
    let value = save.value();
    let current = settings.default_country.clone();
    view! {
        <section class="panel">
            <h2>"Company and phone numbers"</h2>
            <ActionForm action=save>
                <div class="field">
                    <label for="settings-company-name">"Company name"</label>
                    <input id="settings-company-name" name="company_name" type="text" maxlength="100"
                        required value=settings.company_name.clone()
                        aria-describedby="settings-company-name-error"/>
                    <p class="field-error" id="settings-company-name-error">
                        {move || field_error(value, "company_name").get()}
                    </p>
                </div>
                <div class="field">
                    <label for="settings-default-country">"Default country"</label>
                    <select id="settings-default-country" name="default_country"
                        aria-describedby="settings-default-country-hint settings-default-country-error">
                        <option value="" selected=current.is_empty()>"None: numbers need their country code"</option>
                        {settings.countries.into_iter().map(|(code, name)| {
                            let selected = code == current;
                            view! { <option value=code.clone() selected=selected>{format!("{name} ({code})")}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint" id="settings-default-country-hint">
                        "A phone number typed without its country code, in the side panel or the chatbot, is read as this country's."
                    </p>
                    <p class="field-error" id="settings-default-country-error">
                        {move || field_error(value, "default_country").get()}
                    </p>
                </div>
                <FormError error=form_error(value, &["default_country", "company_name"])/>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                <Show when=move || matches!(value.get(), Some(Ok(_)))>
                    <span class="saved" role="status">"Saved"</span>
                </Show>
            </ActionForm>
        </section>
    }
}

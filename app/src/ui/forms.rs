//! Form fields with visible labels and their error messages.
use crate::error::AppError;
use leptos::prelude::*;

/// A labelled text input whose error (if any) shows beneath it.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] id_prefix: Option<&'static str>,
    /// The rule the value must follow, shown before the first try.
    #[prop(optional)]
    hint: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("{}{name}", id_prefix.unwrap_or("field-"));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// The message for `field` in the last result of an action.
pub fn field_error<T, S>(value: S, field: &'static str) -> Signal<Option<String>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || {
        value
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field(field))
    })
}

/// An error of the last result that no field shows (not allowed, conflict, network …).
pub fn form_error<T, S>(value: S, fields: &'static [&'static str]) -> Signal<Option<String>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.get().and_then(|r| r.err()).and_then(|e| match &e {
            AppError::Validation { field, .. } if fields.contains(&field.as_str()) => None,
            other => Some(other.to_string()),
        })
    })
}

/// Shows a form-level error in an alert region.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">{move || error.get()}</p>
    }
}

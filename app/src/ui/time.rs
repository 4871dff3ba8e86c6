//! Times as people read them: in their own time zone, with the exact UTC time on hover.
//! The server renders UTC (it does not know the reader's zone); once hydrated, the browser
//! rewrites the text in local time, so the first render matches on both sides.
use leptos::prelude::*;

/// `2026-11-25T06:30:12.123Z` → `2026-11-25 06:30 UTC`.
pub fn short_utc(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    format!("{} UTC", s.get(..16).unwrap_or(&s))
}

/// `2026-11-25T06:30:12.123Z` → `2026-11-25 06:30:12 UTC`.
pub fn exact_utc(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    format!("{} UTC", s.get(..19).unwrap_or(&s))
}

/// A `<time>` in the reader's local time zone (date and time; the time alone when `today`
/// says it is today), titled with the exact UTC time.
#[component]
pub fn LocalTime(
    /// RFC 3339, UTC.
    #[prop(into)]
    utc: String,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let text = RwSignal::new(short_utc(&utc));
    #[cfg(feature = "hydrate")]
    {
        let utc = utc.clone();
        Effect::new(move || {
            if let Some(local) = local_text(&utc) {
                text.set(local);
            }
        });
    }
    view! {
        <time class=class datetime=utc.clone() title=exact_utc(&utc)>{move || text.get()}</time>
    }
}

/// The time in the browser's zone and language: "14:05" today, "25 Nov 2026, 14:05" before.
#[cfg(feature = "hydrate")]
fn local_text(utc: &str) -> Option<String> {
    use wasm_bindgen::JsValue;
    let date = js_sys::Date::new(&JsValue::from_str(utc));
    if date.get_time().is_nan() {
        return None;
    }
    let now = js_sys::Date::new_0();
    let today = date.get_full_year() == now.get_full_year()
        && date.get_month() == now.get_month()
        && date.get_date() == now.get_date();
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v));
    };
    if !today {
        set("dateStyle", "medium");
    }
    set("timeStyle", "short");
    // "default": the browser's own language.
    date.to_locale_string("default", &options).as_string()
}

//! Notification screens: the inbox's permission bar (F5.1), Company settings >
//! Notifications (admins) and the user's own switches under "My settings" (F5.3). `bridge` calls the
//! in-page script (`assets/notify.js`) that shows them.
use super::api::{get_my_notifications, SetCompanyNotification, SetMyNotification, SetMySound};
use super::{MyNotifications, NotifyKind, Switches, SOUNDS};
use crate::error::AppError;
use crate::ui::states::ErrorState;
use leptos::prelude::*;

/// The in-page script's functions (`window.LeadlineNotify`); nothing on the server.
pub mod bridge {
    /// Calls `LeadlineNotify[name](arg)`; None when the script is not there.
    #[cfg(feature = "hydrate")]
    pub fn call(name: &str, arg: Option<&str>) -> Option<wasm_bindgen::JsValue> {
        use wasm_bindgen::{JsCast, JsValue};
        let window = web_sys::window()?;
        let api = js_sys::Reflect::get(&window, &JsValue::from_str("LeadlineNotify")).ok()?;
        if api.is_undefined() {
            return None;
        }
        let f: js_sys::Function = js_sys::Reflect::get(&api, &JsValue::from_str(name))
            .ok()?
            .dyn_into()
            .ok()?;
        match arg {
            Some(a) => f.call1(&api, &JsValue::from_str(a)),
            None => f.call0(&api),
        }
        .ok()
    }

    /// The browser's notification permission: "default", "granted", "denied", "unsupported".
    pub fn permission() -> Option<String> {
        #[cfg(feature = "hydrate")]
        return call("permission", None).and_then(|v| v.as_string());
        #[cfg(not(feature = "hydrate"))]
        None
    }

    /// The inbox hands its events and what it shows to the script.
    pub fn send(name: &str, arg: Option<&str>) {
        #[cfg(feature = "hydrate")]
        let _ = call(name, arg);
        #[cfg(not(feature = "hydrate"))]
        let _ = (name, arg);
    }
}

/// F5.1: once Live Chat is configured, a bar offers desktop notifications; the browser's
/// prompt opens only from its button. A refusal is not asked again: the bar says how to
/// allow them in the browser instead. Known only in the browser, after hydration: the
/// server renders nothing here, and so does the first render in the browser (a bar that
/// appeared while the page hydrates would not match the server's HTML).
#[component]
pub fn NotificationBar() -> impl IntoView {
    let configured = RwSignal::new(false);
    let permission = RwSignal::new(None::<String>);
    Effect::new(move || {
        permission.set(bridge::permission());
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if let Ok(on) = super::api::live_chat_configured().await {
                configured.set(on);
            }
        });
    });
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(p) = bridge::call("ask", None) {
            if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
                leptos::task::spawn_local(async move {
                    if let Ok(v) = wasm_bindgen_futures::JsFuture::from(p).await {
                        permission.set(v.as_string());
                    }
                });
            }
        }
    };
    #[cfg(feature = "hydrate")]
    use wasm_bindgen::JsCast;
    move || {
        match (configured.get(), permission.get().as_deref()) {
        (true, Some("default")) => view! {
            <div class="notify-bar" role="region" aria-label="Desktop notifications">
                <p>"Be told of new chats and messages even when this tab is in the background."</p>
                <button type="button" class="primary" on:click=ask>
                    "Turn on desktop notifications"
                </button>
            </div>
        }
        .into_any(),
        (true, Some("denied")) => view! {
            <div class="notify-bar blocked" role="region" aria-label="Desktop notifications">
                <p>
                    "Desktop notifications are blocked for Leadline in this browser. To allow them, "
                    "click the icon left of the address bar, open the site settings and set "
                    "Notifications to Allow, then reload this page."
                </p>
            </div>
        }
        .into_any(),
        _ => ().into_any(),
    }
    }
}

/// Company settings > Notifications: each kind on or off for the whole company (`first`:
/// as the page loaded them).
#[component]
pub fn CompanyNotifications(first: Switches) -> impl IntoView {
    let set = ServerAction::<SetCompanyNotification>::new();
    let now = move || match set.value().get() {
        Some(Ok(s)) => s,
        _ => first,
    };
    let (pending, done) = outcome(set);
    view! {
        <section class="panel" aria-labelledby="company-notifications">
            <h2 id="company-notifications">"Notifications"</h2>
            <p class="hint">"Desktop notifications the users of your company can get. Each user can turn them off for themselves."</p>
            <ul class="switches">
                {NotifyKind::ALL.into_iter().map(|kind| view! {
                    <li>
                        <label>
                            <input type="checkbox" role="switch"
                                prop:checked=move || now().on(kind)
                                on:change=move |ev| {
                                    set.dispatch(SetCompanyNotification { kind, on: event_target_checked(&ev) });
                                }/>
                            <span>{kind.label()}</span>
                        </label>
                    </li>
                }).collect_view()}
            </ul>
            <SaveState pending done/>
        </section>
    }
}

/// "Saving…", "Saved" or why not, after a switch changed.
#[component]
fn SaveState(pending: Signal<bool>, done: Signal<Option<Result<(), AppError>>>) -> impl IntoView {
    move || {
        if pending.get() {
            return view! { <p class="hint" role="status">"Saving…"</p> }.into_any();
        }
        match done.get() {
            Some(Ok(())) => view! { <p class="saved" role="status">"Saved"</p> }.into_any(),
            Some(Err(e)) => {
                view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any()
            }
            None => ().into_any(),
        }
    }
}

/// What an action's last answer says, for `SaveState`.
fn outcome<S>(action: ServerAction<S>) -> (Signal<bool>, Signal<Option<Result<(), AppError>>>)
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    (
        Signal::derive(move || action.pending().get()),
        Signal::derive(move || action.value().get().map(|r| r.map(|_| ()))),
    )
}

/// My settings > Notifications: the user's own switches and sound (F5.3).
#[component]
pub fn MyNotificationsSection() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_my_notifications());
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || loaded.get().map(|r| match r {
                Err(error) => view! { <ErrorState error/> }.into_any(),
                Ok(first) => view! { <MyNotificationsForm first/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MyNotificationsForm(first: MyNotifications) -> impl IntoView {
    let switch = ServerAction::<SetMyNotification>::new();
    let sound = ServerAction::<SetMySound>::new();
    let current = RwSignal::new(first);
    Effect::new(move || {
        for v in [switch.value().get(), sound.value().get()] {
            if let Some(Ok(now)) = v {
                current.set(now);
            }
        }
    });
    let company = move || current.with(|c| c.company);
    let mine = move || current.with(|c| c.mine);
    let switch_row = move |kind: NotifyKind| {
        let off_for_company = move || !company().on(kind);
        view! {
            <li>
                <label>
                    <input type="checkbox" role="switch"
                        prop:checked=move || mine().on(kind) && !off_for_company()
                        disabled=off_for_company
                        on:change=move |ev| {
                            switch.dispatch(SetMyNotification { kind, on: event_target_checked(&ev) });
                        }/>
                    <span>{kind.label()}</span>
                </label>
                <Show when=off_for_company>
                    <span class="hint">" Turned off for the whole company by an admin."</span>
                </Show>
            </li>
        }
    };
    let sound_now = move || current.with(|c| c.sound.clone());
    view! {
        <section class="panel" aria-labelledby="my-notifications">
            <h2 id="my-notifications">"Notifications"</h2>
            <p class="hint">"Desktop notifications this browser shows you while Live Chat is open in a tab."</p>
            <ul class="switches">
                {NotifyKind::ALL.into_iter().map(switch_row).collect_view()}
            </ul>
            {
                let (pending, done) = outcome(switch);
                view! { <SaveState pending done/> }
            }
            <div class="field">
                <label for="my-sound">"Sound"</label>
                <select id="my-sound" aria-describedby="my-sound-hint"
                    on:change=move |ev| { sound.dispatch(SetMySound { sound: event_target_value(&ev) }); }>
                    {SOUNDS.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || sound_now() == value>{label}</option>
                    }).collect_view()}
                </select>
                <p class="hint" id="my-sound-hint">"Plays with a notification when no Leadline tab is in front."</p>
            </div>
            {
                let (pending, done) = outcome(sound);
                view! { <SaveState pending done/> }
            }
        </section>
    }
}

//! Asking before leaving a page with unsaved changes: a reload or closing the tab gets the
//! browser's own question (`beforeunload`), and a click on an in-app link gets ours.
use leptos::prelude::*;

pub const LEAVE_QUESTION: &str = "You have unsaved changes. Leave without saving them?";

/// Guards the current page for as long as it is mounted, while `dirty` is true.
pub fn leave_guard(dirty: Signal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{closure::Closure, JsCast};
        let before = Closure::<dyn Fn(web_sys::BeforeUnloadEvent)>::new(
            move |e: web_sys::BeforeUnloadEvent| {
                if dirty.get_untracked() {
                    e.prevent_default();
                    e.set_return_value("");
                }
            },
        );
        // In the capture phase, before the router sees the click.
        let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
            if !dirty.get_untracked()
                || e.default_prevented()
                || e.button() != 0
                || e.meta_key()
                || e.ctrl_key()
                || e.shift_key()
                || e.alt_key()
            {
                return;
            }
            let link = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("a[href]").ok().flatten());
            let Some(link) = link else { return };
            if link.get_attribute("target").as_deref() == Some("_blank")
                || link.has_attribute("download")
            {
                return;
            }
            if !window()
                .confirm_with_message(LEAVE_QUESTION)
                .unwrap_or(true)
            {
                e.prevent_default();
                e.stop_immediate_propagation();
            }
        });
        let w = window();
        let _ = w.add_event_listener_with_callback("beforeunload", before.as_ref().unchecked_ref());
        let _ = w.add_event_listener_with_callback_and_bool(
            "click",
            click.as_ref().unchecked_ref(),
            true,
        );
        let handlers = StoredValue::new_local((before, click));
        on_cleanup(move || {
            handlers.with_value(|(before, click)| {
                let w = window();
                let _ = w.remove_event_listener_with_callback(
                    "beforeunload",
                    before.as_ref().unchecked_ref(),
                );
                let _ = w.remove_event_listener_with_callback_and_bool(
                    "click",
                    click.as_ref().unchecked_ref(),
                    true,
                );
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dirty;
}

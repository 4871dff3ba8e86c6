//! A live preview of the widget beside the editor (F1.6): the chat frame's own markup,
//! stylesheet and script, served at `/widget/preview` in a sandboxed frame, drawn from the
//! unsaved playbook as a visitor would meet it, with someone online or with nobody.
use super::flow::Flow;
use crate::chatbot::model::{Card, CardBody, OfflineOutcome, PlaybookSettings};
use crate::widget::Prompt;
use leptos::prelude::*;
use serde::Serialize;

/// What the preview frame draws (the frame's script reads the same shape as a visitor's view).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PreviewView {
    pub bot: String,
    pub accent: String,
    pub avatar: Option<String>,
    pub state: &'static str,
    /// Bot messages (sanitized on save; unsaved ones are drawn in the sandbox as typed).
    pub messages: Vec<String>,
    pub prompt: Option<Prompt>,
}

/// The visitor's first steps through `cards`: up to the first card that waits for them, or
/// the Live Chat card. With `nobody_online`, the cards before the Live Chat card count as
/// answered and the preview goes on into its offline flow, as a visitor would meet it.
pub fn preview(settings: &PlaybookSettings, cards: &[Card], nobody_online: bool) -> PreviewView {
    let mut messages = Vec::new();
    let mut prompt = None;
    let mut state = "bot";
    let mut qualified: Option<bool> = None;
    let has_live_chat = cards.iter().any(|c| c.body.is_live_chat());
    let mut say = |text: &str| {
        if !text.trim().is_empty() {
            messages.push(text.to_string());
        }
    };
    for card in cards {
        if !card.audience.shows_to(qualified) {
            continue;
        }
        match &card.body {
            CardBody::Message { text } => say(text),
            CardBody::Question { text, .. }
            | CardBody::Qualification { text, .. }
            | CardBody::Capture { text, .. } => {
                say(text);
                if !(nobody_online && has_live_chat && state == "bot") {
                    prompt = Prompt::of(card);
                    break;
                }
            }
            CardBody::LiveChat {
                online_message,
                offline_message,
                offline_outcome,
                ..
            } => {
                if state != "bot" {
                    continue;
                }
                if !nobody_online {
                    say(online_message);
                    state = "waiting";
                    break;
                }
                say(offline_message);
                state = "missed";
                qualified = Some(*offline_outcome == OfflineOutcome::Qualify);
            }
            CardBody::End { text } => {
                say(text);
                break;
            }
        }
    }
    PreviewView {
        bot: settings.bot_name.clone(),
        accent: settings.accent_color.clone(),
        avatar: settings.avatar.clone(),
        state,
        messages,
        prompt,
    }
}

#[component]
pub fn WidgetPreview(settings: RwSignal<PlaybookSettings>, flow: Flow) -> impl IntoView {
    let nobody = RwSignal::new(false);
    let view_now = Memo::new(move |_| settings.with(|s| preview(s, &flow.cards(), nobody.get())));
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let loaded = RwSignal::new(false);
    // The frame exists only in the browser, so its load always comes after hydration.
    let mounted = RwSignal::new(false);
    Effect::new(move || mounted.set(true));
    Effect::new(move || {
        let json = view_now.with(|v| serde_json::to_string(v).unwrap_or_default());
        if !loaded.get() {
            return;
        }
        #[cfg(feature = "hydrate")]
        if let Some(w) = frame.get().and_then(|f| f.content_window()) {
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"leadline".into(), &"preview".into());
            let _ = js_sys::Reflect::set(&message, &"view".into(), &json.into());
            // The sandboxed frame has an opaque origin: "*" is the only target that reaches it,
            // and it carries nothing secret (what the admin is typing).
            let _ = w.post_message(&message, "*");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (json, frame);
    });
    view! {
        <aside class="panel widget-preview" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            <div class="field">
                <label for="preview-mode">"The visitor finds"</label>
                <select id="preview-mode" on:change=move |ev| nobody.set(event_target_value(&ev) == "nobody")>
                    <option value="online">"Someone online"</option>
                    <option value="nobody">"Nobody online"</option>
                </select>
            </div>
            <div class="preview-frame">
                <Show when=move || mounted.get()>
                    <iframe node_ref=frame title="Widget preview" src="/widget/preview"
                        sandbox="allow-scripts" on:load=move |_| loaded.set(true)></iframe>
                </Show>
            </div>
            <p class="hint">"What a visitor sees, before you save."</p>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chatbot::model::live_chat_template;

    #[test]
    fn the_template_previews_online_and_offline() {
        let (s, cards) = live_chat_template();
        let on = preview(&s, &cards, false);
        assert_eq!(on.state, "waiting");
        assert_eq!(on.messages.len(), 2);
        assert!(on.prompt.is_none());
        let off = preview(&s, &cards, true);
        assert_eq!(off.state, "missed");
        assert!(off.messages[1].contains("nobody is available"));
        let p = off.prompt.expect("the offline flow asks for details");
        assert_eq!(p.kind, "capture");
        let keys: Vec<&str> = p.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "email", "phone", "message"]);
    }
}

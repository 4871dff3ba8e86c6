//! A rich-text field (F1.6): Bold, Italic, Link, Bulleted list, Image, and a live preview
//! rendered from the server's sanitized HTML with the widget's message style.
use crate::chatbot::api::preview_rich_text;
use leptos::prelude::*;

#[component]
pub fn RichText(
    label: &'static str,
    /// Unique on the page (ids of the label and the area derive from it).
    id: String,
    initial: String,
    on_change: Callback<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let label_id = format!("{id}-label");
    let html = RwSignal::new(initial.clone());
    let preview = Resource::new(move || html.get(), preview_rich_text);
    let upload_error = RwSignal::new(None::<String>);
    let area = NodeRef::<leptos::html::Div>::new();
    let changed = move || {
        if let Some(el) = area.get() {
            let value = el.inner_html();
            html.set(value.clone());
            on_change.run(value);
        }
    };
    let command = move |name: &'static str| {
        move |_| {
            if let Some(el) = area.get() {
                let _ = el.focus();
            }
            exec(name, None);
            changed();
        }
    };
    let link = move |_| {
        if let Some(url) = ask("Link address (https://…)") {
            if let Some(el) = area.get() {
                let _ = el.focus();
            }
            exec("createLink", Some(&url));
            changed();
        }
    };
    let file_id = format!("{id}-image");
    let on_file = move |ev: leptos::ev::Event| {
        upload_chosen_image(ev, move |result| match result {
            Ok(url) => {
                upload_error.set(None);
                #[cfg(feature = "hydrate")]
                if let Some(el) = area.get_untracked() {
                    insert_image(&el, &url);
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = url;
                changed();
            }
            Err(message) => upload_error.set(Some(message)),
        })
    };
    let shown_error = Signal::derive(move || upload_error.get().or_else(|| error.get()));
    // Keep the selection in the area while a toolbar button is pressed.
    let keep_focus = |ev: leptos::ev::MouseEvent| ev.prevent_default();
    view! {
        <div class="field rich-text">
            <span class="label" id=label_id.clone()>{label}</span>
            <div class="rt-toolbar" role="toolbar" aria-label=format!("{label} formatting")>
                <button type="button" on:mousedown=keep_focus on:click=command("bold")><b>"Bold"</b></button>
                <button type="button" on:mousedown=keep_focus on:click=command("italic")><i>"Italic"</i></button>
                <button type="button" on:mousedown=keep_focus on:click=link>"Link"</button>
                <button type="button" on:mousedown=keep_focus on:click=command("insertUnorderedList")>"Bulleted list"</button>
                <label class="button-like" for=file_id.clone()>"Image"</label>
                <input id=file_id class="visually-hidden" type="file"
                    accept="image/png,image/jpeg,image/gif,image/webp" on:change=on_file/>
            </div>
            <div
                class="rt-area message-body"
                contenteditable="true"
                role="textbox"
                aria-multiline="true"
                aria-labelledby=label_id
                node_ref=area
                inner_html=initial
                on:input=move |_| changed()
            ></div>
            <p class="field-error">{move || shown_error.get()}</p>
            <div class="rt-preview">
                <span class="hint">"Preview"</span>
                <Transition fallback=|| ()>
                    <div class="message-bubble message-body"
                        inner_html=move || preview.get().and_then(Result::ok).unwrap_or_default()></div>
                </Transition>
            </div>
        </div>
    }
}

/// Runs a formatting command on the current selection (browser only).
fn exec(name: &str, value: Option<&str>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let doc = document().unchecked_into::<web_sys::HtmlDocument>();
        let _ = doc.exec_command_with_show_ui_and_value(name, false, value.unwrap_or(""));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, value);
}

/// Inserts an uploaded image at the caret inside `area` (at its end when the caret is
/// elsewhere). Done by hand: Chromium's insertImage command adds inline styles.
#[cfg(feature = "hydrate")]
fn insert_image(area: &web_sys::HtmlElement, url: &str) {
    let Ok(img) = document().create_element("img") else {
        return;
    };
    let _ = img.set_attribute("src", url);
    let _ = img.set_attribute("alt", "");
    let range = window()
        .get_selection()
        .ok()
        .flatten()
        .filter(|s| s.range_count() > 0)
        .and_then(|s| s.get_range_at(0).ok())
        .filter(|r| {
            r.common_ancestor_container()
                .is_ok_and(|n| area.contains(Some(&n)))
        });
    match range {
        Some(r) => {
            let _ = r.delete_contents();
            let _ = r.insert_node(&img);
            let _ = r.set_start_after(&img);
            r.collapse_with_to_start(true);
        }
        None => {
            let _ = area.append_child(&img);
        }
    }
}

/// Asks the person for a line of text (browser only).
fn ask(question: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        window()
            .prompt_with_message(question)
            .ok()
            .flatten()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        None
    }
}

/// Uploads the image chosen in a file input (its `change` event) and hands `done` its URL,
/// or a message for the field. The input is cleared, so the same file can be chosen again.
pub fn upload_chosen_image(ev: leptos::ev::Event, done: impl Fn(Result<String, String>) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move { done(upload_image(file).await) });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, done);
}

/// Uploads an image file to Leadline; answers its URL, or a message for the field.
#[cfg(feature = "hydrate")]
async fn upload_image(file: web_sys::File) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let failed = || "The upload failed. Check your connection and try again.".to_string();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file);
    let response = JsFuture::from(window().fetch_with_str_and_init("/api/uploads", &init))
        .await
        .map_err(|_| failed())?;
    let response: web_sys::Response = response.unchecked_into();
    let text = JsFuture::from(response.text().map_err(|_| failed())?)
        .await
        .map_err(|_| failed())?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| failed())?;
        v["url"].as_str().map(str::to_string).ok_or_else(failed)
    } else if response.status() == 413 {
        Err("Images can be at most 2 MB.".into())
    } else {
        Err(serde_json::from_str::<crate::error::AppError>(&text)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| failed()))
    }
}

//! The Leads, Deals and Activities pages (F4.3): server-rendered lists of 50 with search,
//! sort and an owner filter, in the URL (so a page can be bookmarked and reloaded), each row
//! linking to its conversation.
pub mod panel;

use super::api::{list_crm, ConvertLead, MarkActivityDone};
use super::{CrmKind, CrmPage, CrmRow};
use crate::ui::states::ErrorState;
use crate::ui::time::LocalTime;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LeadsPage() -> impl IntoView {
    view! { <CrmList kind=CrmKind::Leads/> }
}

#[component]
pub fn DealsPage() -> impl IntoView {
    view! { <CrmList kind=CrmKind::Deals/> }
}

#[component]
pub fn ActivitiesPage() -> impl IntoView {
    view! { <CrmList kind=CrmKind::Activities/> }
}

#[component]
fn CrmList(kind: CrmKind) -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let page = move || param("page").parse::<u32>().unwrap_or(0);
    let convert = ServerAction::<ConvertLead>::new();
    let done = ServerAction::<MarkActivityDone>::new();
    let rows = Resource::new(
        move || {
            (
                param("q"),
                param("sort"),
                param("owner"),
                page(),
                convert.version().get() + done.version().get(),
            )
        },
        move |(search, sort, owner, page, _)| list_crm(kind, search, sort, owner, page),
    );
    let refusal = Signal::derive(move || {
        let c = convert.value().get().and_then(|r| r.err());
        let d = done.value().get().and_then(|r| r.err());
        c.or(d).map(|e| e.to_string())
    });
    let sorts: &[(&str, &str)] = match kind {
        CrmKind::Activities => &[("due", "Due date"), ("created", "Created date")],
        _ => &[("created", "Created date"), ("value", "Value")],
    };
    let title = kind.title();
    view! {
        <Title text=format!("{title} · Leadline")/>
        <section class="page crm-list">
            <h1>{title}</h1>
            <form method="get" action=kind.path() class="crm-filters" role="search">
                <div class="field">
                    <label for="crm-search">"Search"</label>
                    <input id="crm-search" name="q" type="search" maxlength="200"
                        placeholder="Title, person, email or organization"
                        value=move || param("q")/>
                </div>
                <div class="field">
                    <label for="crm-sort">"Sort by"</label>
                    <select id="crm-sort" name="sort">
                        {sorts.iter().map(|(value, label)| view! {
                            <option value=*value selected=move || param("sort") == *value>{*label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="crm-owner">"Owner"</label>
                    <select id="crm-owner" name="owner">
                        <option value="" selected=move || param("owner").is_empty()>"Anyone"</option>
                        <option value="me" selected=move || param("owner") == "me">"Me"</option>
                        <Transition fallback=|| ()>
                            {move || rows.get().and_then(Result::ok).map(|p| p.owners.into_iter().map(|(id, name)| {
                                let selected = param("owner") == id;
                                view! { <option value=id selected=selected>{name}</option> }
                            }).collect_view())}
                        </Transition>
                    </select>
                </div>
                <button type="submit">"Search"</button>
            </form>
            {move || refusal.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || rows.get().map(|result| match result {
                    Ok(p) => view! { <CrmTable kind page=p convert done/> }.into_any(),
                    Err(error) => view! { <ErrorState error/> }.into_any(),
                })}
            </Transition>
            <nav class="pager" aria-label="Pages">
                {move || (page() > 0).then(|| {
                    let href = page_href(kind, &param("q"), &param("sort"), &param("owner"), page() - 1);
                    view! { <a href=href rel="prev">"Previous page"</a> }
                })}
                <Transition fallback=|| ()>
                    {move || rows.get().and_then(Result::ok).filter(|p| p.more).map(|_| {
                        let href = page_href(kind, &param("q"), &param("sort"), &param("owner"), page() + 1);
                        view! { <a href=href rel="next">"Next page"</a> }
                    })}
                </Transition>
            </nav>
        </section>
    }
}

fn page_href(kind: CrmKind, q: &str, sort: &str, owner: &str, page: u32) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "{}?q={}&sort={}&owner={}&page={page}",
        kind.path(),
        enc(q),
        enc(sort),
        enc(owner)
    )
}

#[component]
fn CrmTable(
    kind: CrmKind,
    page: CrmPage,
    convert: ServerAction<ConvertLead>,
    done: ServerAction<MarkActivityDone>,
) -> impl IntoView {
    if page.rows.is_empty() {
        let text = match kind {
            CrmKind::Leads => "No leads yet. A chat becomes a lead from its side panel or a playbook's offline flow.",
            CrmKind::Deals => "No deals yet.",
            CrmKind::Activities => "No activities yet.",
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    let when = if kind == CrmKind::Activities {
        "Due"
    } else {
        "Created"
    };
    view! {
        <table class="crm-table" aria-label=kind.title()>
            <thead>
                <tr>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Person"</th>
                    <th scope="col">"Organization"</th>
                    {(kind != CrmKind::Activities).then(|| view! { <th scope="col">"Value"</th> })}
                    <th scope="col">"Status"</th>
                    <th scope="col">"Owner"</th>
                    <th scope="col">{when}</th>
                    <th scope="col">"Conversation"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! { <CrmTableRow kind row convert done/> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn CrmTableRow(
    kind: CrmKind,
    row: CrmRow,
    convert: ServerAction<ConvertLead>,
    done: ServerAction<MarkActivityDone>,
) -> impl IntoView {
    let id = row.id.clone();
    let action = match kind {
        CrmKind::Leads if row.status == "Open" => Some(
            view! {
                <button type="button" class="link-button" disabled=move || convert.pending().get()
                    on:click=move |_| { convert.dispatch(ConvertLead { id: id.clone() }); }>
                    "Convert to deal"
                </button>
            }
            .into_any(),
        ),
        CrmKind::Activities if row.status.ends_with("Not done") => Some(
            view! {
                <button type="button" class="link-button" disabled=move || done.pending().get()
                    on:click=move |_| { done.dispatch(MarkActivityDone { id: id.clone() }); }>
                    "Mark as done"
                </button>
            }
            .into_any(),
        ),
        _ => None,
    };
    let person = match (row.person, row.email) {
        (Some(name), Some(email)) => format!("{name} ({email})"),
        (Some(name), None) => name,
        (None, Some(email)) => email,
        (None, None) => String::new(),
    };
    let when = match row.due {
        Some(due) => view! { <time datetime=due.clone()>{due.clone()}</time> }.into_any(),
        None => view! { <LocalTime utc=row.created_at/> }.into_any(),
    };
    view! {
        <tr>
            <td>{row.title}</td>
            <td>{person}</td>
            <td>{row.organization.unwrap_or_default()}</td>
            {(kind != CrmKind::Activities).then(|| view! { <td class="money">{row.value.unwrap_or_default()}</td> })}
            <td>{row.status} {action}</td>
            <td>{row.owner.unwrap_or_default()}</td>
            <td>{when}</td>
            <td>
                {row.conversation_id.map(|c| view! {
                    <a href=format!("/inbox?c={c}")>"Open conversation"</a>
                })}
            </td>
        </tr>
    }
}

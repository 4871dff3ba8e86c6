//! The Leads, Deals and Activities pages (F4.3): server-rendered lists of 50 with search,
//! sort and an owner filter, in the URL (so a page can be bookmarked and reloaded), each row
//! linking to its conversation.
pub mod panel;

use super::api::{list_crm, ConvertLead, DeleteCrmItem, MarkActivityDone, SetDealStatus};
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
    let actions = RowActions {
        convert: ServerAction::new(),
        done: ServerAction::new(),
        status: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let rows = Resource::new(
        move || {
            (
                param("q"),
                param("sort"),
                param("owner"),
                page(),
                actions.version(),
            )
        },
        move |(search, sort, owner, page, _)| list_crm(kind, search, sort, owner, page),
    );
    let refusal = Signal::derive(move || actions.refusal());
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
                    Ok(p) => view! { <CrmTable kind page=p actions/> }.into_any(),
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
    format!(
        "{}?q={}&sort={}&owner={}&page={page}",
        kind.path(),
        query_escape(q),
        query_escape(sort),
        query_escape(owner)
    )
}

/// `s` as a URL query value (percent-encoded UTF-8).
pub fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a row's buttons do; the list reads itself again after each.
#[derive(Clone, Copy)]
struct RowActions {
    convert: ServerAction<ConvertLead>,
    done: ServerAction<MarkActivityDone>,
    status: ServerAction<SetDealStatus>,
    delete: ServerAction<DeleteCrmItem>,
}

impl RowActions {
    fn version(self) -> usize {
        self.convert.version().get()
            + self.done.version().get()
            + self.status.version().get()
            + self.delete.version().get()
    }

    /// The last refusal of any of them, said above the list.
    fn refusal(self) -> Option<String> {
        fn err<T>(r: Option<Result<T, crate::error::AppError>>) -> Option<crate::error::AppError> {
            r.and_then(|r| r.err())
        }
        err(self.convert.value().get())
            .or_else(|| err(self.done.value().get()))
            .or_else(|| err(self.status.value().get()))
            .or_else(|| err(self.delete.value().get()))
            .map(|e| e.to_string())
    }

    fn pending(self) -> bool {
        self.convert.pending().get()
            || self.done.pending().get()
            || self.status.pending().get()
            || self.delete.pending().get()
    }
}

#[component]
fn CrmTable(kind: CrmKind, page: CrmPage, actions: RowActions) -> impl IntoView {
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
        // The roles are written out: on a phone the rows are laid out as cards (CSS), and
        // the table must stay a table for screen readers.
        <table class="crm-table" role="table" aria-label=kind.title()>
            <thead role="rowgroup">
                <tr role="row">
                    <th role="columnheader" scope="col">"Title"</th>
                    <th role="columnheader" scope="col">"Person"</th>
                    <th role="columnheader" scope="col">"Organization"</th>
                    {(kind != CrmKind::Activities).then(|| view! { <th role="columnheader" scope="col">"Value"</th> })}
                    <th role="columnheader" scope="col">"Status"</th>
                    <th role="columnheader" scope="col">"Owner"</th>
                    <th role="columnheader" scope="col">{when}</th>
                    <th role="columnheader" scope="col">"Conversation"</th>
                </tr>
            </thead>
            <tbody role="rowgroup">
                {page.rows.into_iter().map(|row| view! { <CrmTableRow kind row actions/> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn CrmTableRow(kind: CrmKind, row: CrmRow, actions: RowActions) -> impl IntoView {
    let id = StoredValue::new(row.id.clone());
    let button = move |label: &'static str, run: Box<dyn Fn() + Send + Sync>| {
        view! {
            <button type="button" class="link-button" disabled=move || actions.pending()
                on:click=move |_| run()>
                {label}
            </button>
        }
    };
    let mut buttons = Vec::new();
    match kind {
        CrmKind::Leads if row.status == "Open" => buttons.push(button(
            "Convert to deal",
            Box::new(move || {
                actions.convert.dispatch(ConvertLead { id: id.get_value() });
            }),
        )),
        CrmKind::Deals if row.status == "Open" => {
            for (label, status) in [("Mark as won", "won"), ("Mark as lost", "lost")] {
                buttons.push(button(
                    label,
                    Box::new(move || {
                        actions.status.dispatch(SetDealStatus {
                            id: id.get_value(),
                            status: status.into(),
                        });
                    }),
                ));
            }
        }
        CrmKind::Activities if row.status.ends_with("Not done") => buttons.push(button(
            "Mark as done",
            Box::new(move || {
                actions
                    .done
                    .dispatch(MarkActivityDone { id: id.get_value() });
            }),
        )),
        _ => {}
    }
    if kind != CrmKind::Activities {
        buttons.push(button(
            "Delete",
            Box::new(move || {
                actions.delete.dispatch(DeleteCrmItem {
                    kind,
                    id: id.get_value(),
                });
            }),
        ));
    }
    let person = match (row.person, row.email) {
        (Some(name), Some(email)) if name == email => name,
        (Some(name), Some(email)) => format!("{name} ({email})"),
        (Some(name), None) => name,
        (None, Some(email)) => email,
        (None, None) => String::new(),
    };
    let when = match row.due {
        Some(due) => view! { <time datetime=due.replace(' ', "T")>{due.clone()}</time> }.into_any(),
        None => view! { <LocalTime utc=row.created_at/> }.into_any(),
    };
    view! {
        <tr role="row">
            <td role="cell" class="title">{row.title}</td>
            <td role="cell" data-label="Person" class:blank=person.is_empty()>{person.clone()}</td>
            <td role="cell" data-label="Organization" class:blank=row.organization.is_none()>{row.organization.clone().unwrap_or_default()}</td>
            {(kind != CrmKind::Activities).then(|| view! {
                <td role="cell" data-label="Value" class="money" class:blank=row.value.is_none()>{row.value.clone().unwrap_or_default()}</td>
            })}
            <td role="cell" data-label="Status">{row.status} <span class="row-actions">{buttons}</span></td>
            <td role="cell" data-label="Owner" class:blank=row.owner.is_none()>{row.owner.clone().unwrap_or_default()}</td>
            <td role="cell" data-label=if kind == CrmKind::Activities { "Due" } else { "Created" }>{when}</td>
            <td role="cell">
                {row.conversation_id.map(|c| view! {
                    <a href=format!("/inbox?c={c}")>"Open conversation"</a>
                })}
            </td>
        </tr>
    }
}

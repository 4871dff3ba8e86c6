//! The Users page (F6.3): list users, "Add user", change role and permission, deactivate.
use crate::account::api::{list_users, AddUser, SetUserActive, SetUserPassword, UpdateUser};
use crate::account::Me;
use crate::account::{Role, UserRow};
use crate::ui::forms::{field_error, form_error, FormError, TextField};
use crate::ui::states::ErrorState;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn UsersPage() -> impl IntoView {
    let Me(me) = expect_context::<Me>();
    let is_admin = move || {
        me.get()
            .and_then(Result::ok)
            .flatten()
            .map(|u| u.is_admin())
    };
    // Made here, not inside the Transition below: a resource made in a closure that runs
    // again is disposed while its request is under way (the request then lost its context).
    // Its source holds no other resource (`me`): a resource that waits on another during
    // server rendering hung one render in a few hundred; the server refuses non-admins anyway.
    let add = ServerAction::<AddUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let users = Resource::new(
        move || {
            (
                add.version().get(),
                update.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );
    view! {
        <Title text="Users · Leadline"/>
        // No Transition inside another: the list's answer says who may see it (the server
        // refuses non-admins with "Only admins can manage users."), and the form shows
        // beside it for admins. A nested pair hung one server render in a few hundred.
        <UsersAdmin add update set_active users is_admin=Signal::derive(is_admin)/>
    }
}

#[component]
fn UsersAdmin(
    add: ServerAction<AddUser>,
    update: ServerAction<UpdateUser>,
    set_active: ServerAction<SetUserActive>,
    users: Resource<Result<Vec<UserRow>, crate::error::AppError>>,
    is_admin: Signal<Option<bool>>,
) -> impl IntoView {
    let add_value = add.value();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    // Clear the form once a user was added; on an error it keeps what was typed.
    Effect::new(move || {
        if let Some(Ok(_)) = add_value.get() {
            if let Some(form) = form_ref.get() {
                form.reset();
            }
        }
    });
    let row_error = Signal::derive(move || {
        let u = update.value().get().and_then(|r| r.err());
        let a = set_active.value().get().and_then(|r| r.err());
        u.or(a).map(|e| e.to_string())
    });
    view! {
        <section class="page">
            <h1>"Users"</h1>
            <FormError error=row_error/>
            <Transition fallback=|| view! { <p>"Loading users…"</p> }>
                {move || {
                    users
                        .get()
                        .map(|result| match result {
                            Ok(rows) => view! {
                                <ul class="user-list" aria-label="Users">
                                    {rows
                                        .into_iter()
                                        .map(|row| view! { <UserItem row update set_active/> })
                                        .collect_view()}
                                </ul>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorState error/> }.into_any(),
                        })
                }}
            </Transition>
            <Transition fallback=|| ()>
            <Show when=move || is_admin.get() == Some(true)>
            <section class="panel add-user">
                <h2>"Add user"</h2>
                <ActionForm action=add node_ref=form_ref>
                    <TextField label="Name" name="name" id_prefix="add-user-"
                        error=field_error(add_value, "name")/>
                    <TextField label="Email" name="email" id_prefix="add-user-"
                        error=field_error(add_value, "email")/>
                    <TextField label="Password" name="password" kind="password" id_prefix="add-user-"
                        autocomplete="new-password" error=field_error(add_value, "password")
                        hint=format!("At least {} characters (at most {}); not a common password.",
                            crate::domain::MIN_PASSWORD_CHARS, crate::domain::MAX_PASSWORD_CHARS)/>
                    <div class="field">
                        <label for="add-user-role">"Role"</label>
                        <select id="add-user-role" name="role">
                            <option value="regular" selected>"Regular"</option>
                            <option value="admin">"Admin"</option>
                        </select>
                        <p class="field-error">{move || field_error(add_value, "role").get()}</p>
                    </div>
                    <div class="field checkbox">
                        <input id="add-user-chatbot" type="checkbox" name="can_manage_chatbot"/>
                        <label for="add-user-chatbot">"Chatbot & Live Chat settings"</label>
                    </div>
                    <FormError error=form_error(add_value, &["name", "email", "password", "role"])/>
                    <button type="submit" class="primary" disabled=move || add.pending().get()>
                        "Add user"
                    </button>
                </ActionForm>
            </section>
            </Show>
            </Transition>
        </section>
    }
}

#[component]
fn UserItem(
    row: UserRow,
    update: ServerAction<UpdateUser>,
    set_active: ServerAction<SetUserActive>,
) -> impl IntoView {
    let UserRow {
        id,
        name,
        email,
        role,
        can_manage_chatbot,
        active,
    } = row;
    let status = if active { "Active" } else { "Deactivated" };
    let edit_id = id.clone();
    let password_id = id.clone();
    // Its own action: the message belongs to this user's row.
    let set_password = ServerAction::<SetUserPassword>::new();
    let password_value = set_password.value();
    let input_id = format!("user-password-{id}");
    let error_id = format!("{input_id}-error");
    let password_label = format!("New password for {name}");
    view! {
        <li class="user-item" class:inactive=!active>
            <div class="user-who">
                <strong>{name}</strong>
                <span class="hint">{email}</span>
                <span class="badge">{role.label()}</span>
                <span class="badge">{status}</span>
            </div>
            <ActionForm action=update attr:class="user-edit">
                <input type="hidden" name="user_id" value=edit_id/>
                <label>
                    "Role "
                    <select name="role">
                        <option value="regular" selected=role == Role::Regular>"Regular"</option>
                        <option value="admin" selected=role == Role::Admin>"Admin"</option>
                    </select>
                </label>
                <label>
                    <input type="checkbox" name="can_manage_chatbot" checked=can_manage_chatbot/>
                    " Chatbot & Live Chat settings"
                </label>
                <button type="submit">"Save"</button>
            </ActionForm>
            <ActionForm action=set_active>
                <input type="hidden" name="user_id" value=id/>
                <input type="hidden" name="active" value=if active { "false" } else { "true" }/>
                <button type="submit">{if active { "Deactivate" } else { "Reactivate" }}</button>
            </ActionForm>
            // An admin sets a new password; every session of that user ends (F6).
            <ActionForm action=set_password attr:class="user-password">
                <input type="hidden" name="user_id" value=password_id/>
                <label for=input_id.clone()>{password_label}</label>
                <input id=input_id type="password" name="password" autocomplete="new-password"
                    maxlength=crate::domain::MAX_PASSWORD_CHARS.to_string()
                    aria-describedby=error_id.clone()/>
                <button type="submit" disabled=move || set_password.pending().get()>"Set password"</button>
                <p id=error_id class="form-error" role="alert">
                    {move || password_value.get().and_then(Result::err).map(|e| e.to_string())}
                </p>
                <Show when=move || matches!(password_value.get(), Some(Ok(())))>
                    <p class="saved" role="status">"Password set. Their sessions were logged out."</p>
                </Show>
            </ActionForm>
        </li>
    }
}

//! Account server functions: who is asking, may they, parse, call the service, answer.
use super::{Checklist, CurrentUser, UserRow};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    account::{service, Role},
    backend::{authz, state::app_state},
    domain::{EmailAddress, Name, NewPassword},
    error::field,
};

/// A 429's `Retry-After`: how long a refused address or user waits.
#[cfg(feature = "ssr")]
fn retry_after(wait: std::time::Duration) {
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.insert_header(
            axum::http::header::RETRY_AFTER,
            wait.as_secs().max(1).into(),
        );
    }
}

/// First run: creates the company and its first admin, and signs them in.
#[server(prefix = "/api", endpoint = "account/setup")]
pub async fn setup(
    company_name: String,
    name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    let state = app_state()?;
    if state.is_installed().await? {
        return Err(AppError::Conflict(service::ALREADY_SET_UP.into()));
    }
    let input = service::Setup {
        company_name: field("company_name", Name::parse(&company_name))?,
        admin_name: field("name", Name::parse(&name))?,
        email: field("email", EmailAddress::parse(&email))?,
        password: field("password", NewPassword::parse_checked(&password))?,
    };
    let admin = service::setup(&state.db, &state.passwords, input).await?;
    let session = authz::session().await?;
    authz::sign_in(&session, admin.id).await
}

/// Email + password login. Failed attempts are limited per address and per address and
/// email: while either is used up, even the right password is refused from that address.
/// An email failing from many addresses only makes its attempts slower: its owner can still
/// sign in from an address that has not been failing.
#[server(prefix = "/api", endpoint = "account/login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    let state = app_state()?;
    // Longer than any address can be: refused before it is counted or kept anywhere
    // (a limiter keeps its keys for minutes).
    if email.len() > 320 || password.len() > 1024 {
        return Err(AppError::validation(
            if email.len() > 320 {
                "email"
            } else {
                "password"
            },
            "Wrong email or password.",
        ));
    }
    let address = authz::client_address().await;
    let email_key = email.trim().to_lowercase();
    let pair = format!("{address} {email_key}");
    let limits = &state.login_limits;
    // Each attempt is counted before its password is hashed and given back unless
    // it failed: a flood of wrong passwords then costs at most the limit in hashes
    // per address, not every request that arrives before the failures are counted
    // (B6: the hashing otherwise took the CPU from the chat for seconds).
    // An address that is refused adds nothing more to the other limiters.
    let by_address = limits.per_address.allow(&address);
    let by_pair = by_address && limits.per_address_and_email.allow(&pair);
    let email_failing = by_pair && !limits.per_email.allow(&email_key);
    let refund = || {
        limits.per_address.refund(&address);
        limits.per_address_and_email.refund(&pair);
        limits.per_email.refund(&email_key);
    };
    if !(by_address && by_pair) {
        retry_after(limits.retry_after());
        return Err(AppError::TooManyRequests(
            "Too many login attempts. Wait a few minutes and try again.".into(),
        ));
    }
    if email_failing {
        tokio::time::sleep(crate::backend::ratelimit::EMAIL_SLOWDOWN).await;
    }
    let user = match service::authenticate(&state.db, &state.passwords, &email, &password).await {
        Ok(user) => {
            refund();
            user
        }
        Err(e @ AppError::Validation { .. }) => return Err(e),
        Err(e) => {
            refund();
            return Err(e);
        }
    };
    let session = authz::session().await?;
    authz::sign_in(&session, user.id).await
}

#[server(prefix = "/api", endpoint = "account/logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = authz::session().await?;
    let actor = authz::actor().await.ok();
    authz::sign_out(&session).await?;
    // Its open event streams end now, not at their next heartbeat.
    if let (Some(actor), Ok(state)) = (actor, app_state()) {
        service::signed_out(&state.db, &actor).await?;
    }
    Ok(())
}

/// "Change password": the current password first; every other session of the user ends,
/// and this browser stays signed in (with a fresh session).
#[server(prefix = "/api", endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    let new = field("new_password", NewPassword::parse_checked(&new_password))?;
    // Wrong current passwords are limited as wrong logins are (each costs a hash).
    let key = format!("current password {}", actor.user_id);
    let limit = &state.login_limits.per_address_and_email;
    if !limit.allow(&key) {
        retry_after(state.login_limits.retry_after());
        return Err(AppError::TooManyRequests(
            "Too many wrong passwords. Wait a few minutes and try again.".into(),
        ));
    }
    match service::change_password(&state.db, &state.passwords, &actor, &current_password, new)
        .await
    {
        Err(e @ AppError::Validation { .. }) => return Err(e),
        Err(e) => {
            limit.refund(&key);
            return Err(e);
        }
        Ok(()) => limit.refund(&key),
    }
    let session = authz::session().await?;
    authz::sign_in(&session, actor.user_id).await
}

/// "Log out everywhere": every session of the user ends, this one too.
#[server(prefix = "/api", endpoint = "account/logout-everywhere")]
pub async fn logout_everywhere() -> Result<(), AppError> {
    let (state, actor) = authz::ctx().await?;
    service::log_out_everywhere(&state.db, &actor).await?;
    let session = authz::session().await?;
    authz::sign_out(&session).await
}

/// The signed-in user, or None.
#[server(prefix = "/api", endpoint = "account/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let actor = match authz::actor().await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => return Ok(None),
        Err(e) => return Err(e),
    };
    let state = app_state()?;
    let company_name = service::company_name(&state.db, actor.company_id).await?;
    Ok(Some(CurrentUser {
        id: actor.user_id.to_string(),
        name: actor.name,
        email: actor.email,
        role: actor.role,
        can_manage_chatbot: actor.can_manage_chatbot,
        company_name,
    }))
}

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    service::list_users(&state.db, &actor).await
}

/// "Add user". `can_manage_chatbot` is a checkbox: present ("on") or absent.
#[server(prefix = "/api", endpoint = "users/add")]
pub async fn add_user(
    name: String,
    email: String,
    password: String,
    role: String,
    can_manage_chatbot: Option<String>,
) -> Result<UserRow, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    let input = service::NewUser {
        name: field("name", Name::parse(&name))?,
        email: field("email", EmailAddress::parse(&email))?,
        password: field("password", NewPassword::parse_checked(&password))?,
        role: field("role", Role::parse(&role))?,
        can_manage_chatbot: can_manage_chatbot.is_some(),
    };
    service::add_user(&state.db, &state.passwords, &actor, input).await
}

/// Changes a user's role and "Chatbot & Live Chat settings" permission.
#[server(prefix = "/api", endpoint = "users/update")]
pub async fn update_user(
    user_id: String,
    role: String,
    can_manage_chatbot: Option<String>,
) -> Result<UserRow, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    let role = field("role", Role::parse(&role))?;
    service::update_user(
        &state.db,
        &actor,
        &user_id,
        role,
        can_manage_chatbot.is_some(),
    )
    .await
}

/// An admin sets a new password for a user; every session of that user ends.
#[server(prefix = "/api", endpoint = "users/password")]
pub async fn set_user_password(user_id: String, password: String) -> Result<(), AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    let new = field("password", NewPassword::parse_checked(&password))?;
    service::set_password(&state.db, &state.passwords, &actor, &user_id, new).await?;
    if user_id == actor.user_id.to_string() {
        // Their own: this browser stays signed in.
        let session = authz::session().await?;
        authz::sign_in(&session, actor.user_id).await?;
    }
    Ok(())
}

/// Deactivates (`active` = "false") or reactivates (`active` = "true") a user.
#[server(prefix = "/api", endpoint = "users/set-active")]
pub async fn set_user_active(user_id: String, active: bool) -> Result<UserRow, AppError> {
    let actor = authz::admin().await?;
    let state = app_state()?;
    service::set_active(&state.db, &actor, &user_id, active).await
}

/// The home page's first steps: create a playbook, paste its snippet, go online.
#[server(prefix = "/api", endpoint = "account/checklist")]
pub async fn get_checklist() -> Result<Checklist, AppError> {
    let (state, actor) = authz::ctx().await?;
    service::checklist(&state.db, &actor).await
}

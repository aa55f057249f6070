//! People, groups and API keys of an account. Every change is recorded as an
//! audit event (seed 004's "Permission Changes": "Changed "alice" role to Admin").

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::json;
use trail_core::api::{
    ErrorBody, GroupView, KeyView, NewGroup, NewKey, NewPerson, Person, PersonChange,
};
use trail_core::credentials::{check_password, generate_api_key, hash_password, Scope};
use trail_store::{ApiKey, NewUser, Role, User, UserChange};
use uuid::Uuid;

use super::parse_id;
use crate::access;
use crate::auth::{Caller, Permission};
use crate::bootstrap::new_key;
use crate::error::ApiError;
use crate::AppState;

/// A person as the API shows them (never their password hash).
fn person(u: User) -> Person {
    Person {
        id: u.id,
        login: u.login,
        name: u.name,
        email: u.email,
        role: u.role.to_string(),
        joined: u.joined,
    }
}

/// Everyone of the account: people who sign in and people seen in events.
#[utoipa::path(get, path = "/api/v1/users", tag = "people",
    responses((status = 200, body = [Person]), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_users(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<Person>>, ApiError> {
    caller.require_admin()?;
    let users = state.store.list_users(caller.account()).await?;
    Ok(Json(users.into_iter().map(person).collect()))
}

/// Adds a person. Only owners make owners.
#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = NewPerson,
    responses((status = 201, body = Person), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<NewPerson>, JsonRejection>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    caller.require_admin()?;
    let Json(req) = body?;
    let role = parse_role(&req.role)?;
    may_grant(&caller, role)?;
    let login = req.login.trim();
    if login.is_empty() || login.len() > 200 {
        return Err(ApiError::BadRequest(
            "login must be 1 to 200 characters".into(),
        ));
    }
    let user = state
        .store
        .create_user(
            caller.account(),
            NewUser {
                login: login.to_string(),
                name: req.name,
                email: req.email,
                role,
                password_hash: req.password.as_deref().map(password_hash).transpose()?,
            },
        )
        .await?;
    let item = json!({"type": "user-created", "action": "created", "level": "audit",
        "resource": {"kind": "user", "id": user.login, "name": user.login},
        "message": format!("Added {} as {}", user.login, user.role),
        "params": {"role": user.role.to_string()}});
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    Ok((StatusCode::CREATED, Json(person(user))))
}

/// Changes a person's name, e-mail, role or password. Only owners change owners
/// or make someone an owner.
#[utoipa::path(patch, path = "/api/v1/users/{login}", tag = "people", request_body = PersonChange,
    params(("login" = String, Path, description = "The person's login")),
    responses((status = 200, body = Person), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(login): Path<String>,
    body: Result<Json<PersonChange>, JsonRejection>,
) -> Result<Json<Person>, ApiError> {
    caller.require_admin()?;
    let Json(req) = body?;
    let before = find(&state, &caller, &login).await?;
    if before.role == Role::Owner {
        caller.require(Permission::Own)?;
    }
    // Renaming someone in or out of an owner-only rule or a grant changes who sees what.
    let (people, _) = access::named(&*access::rules(&state, caller.account()).await?);
    let named_before = access::names_person(
        &people,
        &before.login,
        before.email.as_deref(),
        before.name.as_deref(),
    );
    let named_after = access::names_person(
        &people,
        &before.login,
        req.email.as_deref(),
        req.name.as_deref(),
    );
    if named_before || named_after {
        caller.require(Permission::Own)?;
    }
    let role = req.role.as_deref().map(parse_role).transpose()?;
    if let Some(r) = role {
        may_grant(&caller, r)?;
    }
    let change = UserChange {
        role,
        name: req.name,
        email: req.email,
        password_hash: req.password.as_deref().map(password_hash).transpose()?,
    };
    let password_changed = change.password_hash.is_some();
    let after = state
        .store
        .update_user(caller.account(), before.id, change)
        .await?;
    let changes = json!({
        "before": {"name": before.name, "email": before.email, "role": before.role.to_string()},
        "after": {"name": after.name, "email": after.email, "role": after.role.to_string()},
    });
    let (event_type, message) = if before.role != after.role {
        (
            "user-role-changed",
            format!("Changed \"{}\" role to {}", after.login, after.role),
        )
    } else {
        ("user-edited", format!("Changed {}", after.login))
    };
    let item = json!({"type": event_type, "action": "updated", "level": "audit",
        "resource": {"kind": "user", "id": after.login, "name": after.login},
        "message": message, "changes": changes,
        "params": {"password_changed": password_changed}});
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    Ok(Json(person(after)))
}

/// Every group, with its parent and direct members.
#[utoipa::path(get, path = "/api/v1/groups", tag = "people",
    responses((status = 200, body = [GroupView]), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_groups(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    caller.require_admin()?;
    let account = caller.account();
    let (groups, users) = (
        state.store.list_groups(account).await?,
        state.store.list_users(account).await?,
    );
    let login = |id: &Uuid| users.iter().find(|u| u.id == *id).map(|u| u.login.clone());
    let name = |id: &Uuid| {
        groups
            .iter()
            .find(|g| g.group.id == *id)
            .map(|g| g.group.name.clone())
    };
    let views = groups
        .iter()
        .map(|g| GroupView {
            id: g.group.id,
            name: g.group.name.clone(),
            parent: g.group.parent.as_ref().and_then(name),
            members: g.members.iter().filter_map(login).collect(),
        })
        .collect();
    Ok(Json(views))
}

/// Creates a group, optionally inside another (a group includes its subgroups).
#[utoipa::path(post, path = "/api/v1/groups", tag = "people", request_body = NewGroup,
    responses((status = 201, body = GroupView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create_group(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<NewGroup>, JsonRejection>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    caller.require_admin()?;
    let Json(req) = body?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ApiError::BadRequest(
            "name must be 1 to 200 characters".into(),
        ));
    }
    let parent = match &req.parent {
        Some(p) => Some(group_id(&state, &caller, p).await?),
        None => None,
    };
    let group = state
        .store
        .create_group(caller.account(), name, parent)
        .await?;
    let item = json!({"type": "group-created", "action": "created", "level": "audit",
        "resource": {"kind": "team", "id": group.name, "name": group.name},
        "message": format!("Created group {}", group.name), "params": {"parent": req.parent}});
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    Ok((
        StatusCode::CREATED,
        Json(GroupView {
            id: group.id,
            name: group.name,
            parent: req.parent,
            members: Vec::new(),
        }),
    ))
}

/// Adds a person to a group.
#[utoipa::path(put, path = "/api/v1/groups/{group}/members/{login}", tag = "people",
    params(("group" = String, Path), ("login" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn add_member(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, login)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    membership(&state, &caller, &group, &login, true).await
}

/// Removes a person from a group.
#[utoipa::path(delete, path = "/api/v1/groups/{group}/members/{login}", tag = "people",
    params(("group" = String, Path), ("login" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn remove_member(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((group, login)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    membership(&state, &caller, &group, &login, false).await
}

async fn membership(
    state: &AppState,
    caller: &Caller,
    group: &str,
    login: &str,
    add: bool,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let group_id = group_id(state, caller, group).await?;
    let user = find(state, caller, login).await?;
    let account = caller.account();
    if in_named_group(state, caller, group_id).await? {
        // Members of a group the visibility rules name decide who sees what.
        caller.require(Permission::Own)?;
    }
    let (event_type, action, message) = if add {
        state
            .store
            .add_group_member(account, group_id, user.id)
            .await?;
        (
            "group-member-added",
            "added",
            format!("Added {login} to {group}"),
        )
    } else {
        if !state
            .store
            .remove_group_member(account, group_id, user.id)
            .await?
        {
            return Err(ApiError::NotFound(format!(
                "{login} is not a member of {group}"
            )));
        }
        (
            "group-member-removed",
            "removed",
            format!("Removed {login} from {group}"),
        )
    };
    let item = json!({"type": event_type, "action": action, "level": "audit",
        "resource": {"kind": "team", "id": group, "name": group},
        "message": message, "params": {"login": login}});
    crate::audit::record(state, account, caller.actor(), item).await;
    Ok(StatusCode::NO_CONTENT)
}

/// A key as the API shows it, without its secret.
fn key_view(k: ApiKey) -> KeyView {
    KeyView {
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        scope: k.scope.to_string(),
        user: k.user_id,
        allowed_ips: k.allowed_ips,
        created_at: k.created_at,
        expires_at: k.expires_at,
        revoked_at: k.revoked_at,
        last_used_at: k.last_used_at,
        secret: None,
    }
}

/// The account's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/keys", tag = "people",
    responses((status = 200, body = [KeyView]), (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_keys(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    caller.require_admin()?;
    let keys = state.store.list_api_keys(caller.account()).await?;
    Ok(Json(keys.into_iter().map(key_view).collect()))
}

/// Creates a key; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/v1/keys", tag = "people", request_body = NewKey,
    responses((status = 201, body = KeyView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn create_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Result<Json<NewKey>, JsonRejection>,
) -> Result<(StatusCode, Json<KeyView>), ApiError> {
    caller.require_admin()?;
    let Json(req) = body?;
    let scope: Scope = req.scope.parse().map_err(ApiError::BadRequest)?;
    if req.name.trim().is_empty() || req.name.len() > 200 {
        return Err(ApiError::BadRequest(
            "name must be 1 to 200 characters".into(),
        ));
    }
    for range in &req.allowed_ips {
        range.parse::<ipnet::IpNet>().map_err(|_| {
            ApiError::BadRequest(format!(
                "allowed_ips: {range:?} is not a CIDR range such as 10.0.0.0/8"
            ))
        })?;
    }
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(ApiError::BadRequest(
            "expires_at must be in the future".into(),
        ));
    }
    let user = match &req.user {
        Some(login) => Some(find(&state, &caller, login).await?),
        None => None,
    };
    let owners_only = match &user {
        // A personal key acts with whatever role its person has later, an owner's
        // included: only owners hand out keys that act as someone else.
        Some(u) => caller.person.as_ref().is_none_or(|me| me.id != u.id),
        // An account admin key stands for the owners.
        None => scope.may_administer(),
    };
    if owners_only {
        caller.require(Permission::Own)?;
    }
    let secret = generate_api_key();
    let mut record = new_key(req.name.trim(), scope, &secret, req.expires_at);
    record.user_id = user.as_ref().map(|u| u.id);
    record.allowed_ips = req.allowed_ips;
    let key = state.store.create_api_key(caller.account(), record).await?;
    let item = json!({"type": "api-key-created", "action": "created", "level": "audit",
        "resource": {"kind": "api-key", "id": key.id.to_string(), "name": key.name},
        "message": format!("Created the {} key {:?}", key.scope, key.name),
        "params": {"scope": key.scope.to_string(), "user": req.user, "prefix": key.prefix}});
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    let mut view = key_view(key);
    view.secret = Some(secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Revokes a key at once.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "people",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn revoke_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let id = parse_id("the key id", &id)?;
    let account = caller.account();
    let missing = || ApiError::NotFound(format!("no key {id} in this account"));
    let key = state
        .store
        .list_api_keys(account)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(missing)?;
    // Keys that stand for owners are the owners' to revoke.
    let owners_key = match key.user_id {
        Some(user) => state
            .store
            .get_user(account, user)
            .await?
            .is_some_and(|u| u.role == Role::Owner),
        None => key.scope.may_administer(),
    };
    if owners_key {
        caller.require(Permission::Own)?;
    }
    if !state.store.revoke_api_key(account, id, Utc::now()).await? {
        return Err(missing());
    }
    let item = json!({"type": "api-key-revoked", "action": "revoked", "level": "audit",
        "resource": {"kind": "api-key", "id": id.to_string()}, "message": "Revoked a key"});
    crate::audit::record(&state, caller.account(), caller.actor(), item).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the group, or a group it is nested in, is named by the visibility rules.
async fn in_named_group(state: &AppState, caller: &Caller, group: Uuid) -> Result<bool, ApiError> {
    let (_, named) = access::named(&*access::rules(state, caller.account()).await?);
    if named.is_empty() {
        return Ok(false);
    }
    let groups = state.store.list_groups(caller.account()).await?;
    let mut current = Some(group);
    // Walks up the nesting, at most once per group should the data ever hold a loop.
    for _ in 0..groups.len() {
        let Some(g) = current.and_then(|id| groups.iter().find(|g| g.group.id == id)) else {
            break;
        };
        if named.contains(&g.group.name.to_lowercase()) {
            return Ok(true);
        }
        current = g.group.parent;
    }
    Ok(false)
}

fn parse_role(s: &str) -> Result<Role, ApiError> {
    s.parse().map_err(ApiError::BadRequest)
}

/// Only owners hand out the owner role.
fn may_grant(caller: &Caller, role: Role) -> Result<(), ApiError> {
    if role == Role::Owner {
        caller.require(Permission::Own)?;
    }
    Ok(())
}

fn password_hash(password: &str) -> Result<String, ApiError> {
    check_password(password).map_err(ApiError::BadRequest)?;
    hash_password(password).map_err(ApiError::Internal)
}

async fn find(state: &AppState, caller: &Caller, login: &str) -> Result<User, ApiError> {
    state
        .store
        .find_user(caller.account(), login)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person {login:?} in this account")))
}

async fn group_id(state: &AppState, caller: &Caller, name: &str) -> Result<Uuid, ApiError> {
    state
        .store
        .list_groups(caller.account())
        .await?
        .into_iter()
        .find(|g| g.group.name == name)
        .map(|g| g.group.id)
        .ok_or_else(|| ApiError::NotFound(format!("no group {name:?} in this account")))
}

//! First start: an account, its owner and an admin API key, so a new server is
//! usable at once. The secrets are shown once and only their hashes are stored.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use trail_core::credentials::{
    check_api_key, check_password, generate_api_key, generate_password, hash_api_key,
    hash_password, key_prefix, Scope,
};
use trail_store::{Account, ApiKey, NewApiKey, NewUser, Role, Store, StoreResult};

/// Secrets supplied by an automated deployment instead of random ones.
#[derive(Debug, Clone, Default)]
pub struct BootstrapSecrets {
    /// `TRAIL_BOOTSTRAP_API_KEY`
    pub api_key: Option<String>,
    /// `TRAIL_BOOTSTRAP_PASSWORD`
    pub password: Option<String>,
}

/// What the first start created; generated secrets are here to be printed once.
#[derive(Debug)]
pub struct Bootstrapped {
    pub account: Account,
    pub owner_login: String,
    pub api_key: String,
    pub generated_key: bool,
    pub password: String,
    pub generated_password: bool,
}

pub const OWNER_LOGIN: &str = "owner";

/// Creates the first account when the store has none; `None` when it already had one.
pub async fn bootstrap(
    store: &Arc<dyn Store>,
    secrets: BootstrapSecrets,
) -> anyhow::Result<Option<Bootstrapped>> {
    if !store.list_accounts().await?.is_empty() {
        return Ok(None);
    }
    if let Some(key) = &secrets.api_key {
        check_api_key(key).map_err(|e| anyhow::anyhow!("TRAIL_BOOTSTRAP_API_KEY: {e}"))?;
    }
    if let Some(password) = &secrets.password {
        // An empty variable would otherwise make an owner nobody can sign in as.
        check_password(password).map_err(|e| anyhow::anyhow!("TRAIL_BOOTSTRAP_PASSWORD: {e}"))?;
    }
    let account = store.create_account("default").await?;
    let (password, generated_password) = match secrets.password {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    let owner = NewUser {
        login: OWNER_LOGIN.into(),
        name: Some("Account owner".into()),
        email: None,
        role: Role::Owner,
        password_hash: Some(hash_password(&password).map_err(anyhow::Error::msg)?),
    };
    store.create_user(account.id, owner).await?;
    let (api_key, generated_key) = match secrets.api_key {
        Some(k) => (k, false),
        None => (generate_api_key(), true),
    };
    store
        .create_api_key(
            account.id,
            new_key("bootstrap admin key", Scope::Admin, &api_key, None),
        )
        .await?;
    Ok(Some(Bootstrapped {
        account,
        owner_login: OWNER_LOGIN.into(),
        api_key,
        generated_key,
        password,
        generated_password,
    }))
}

/// The record of a key, holding only the hash of its secret.
pub fn new_key(
    name: &str,
    scope: Scope,
    secret: &str,
    expires_at: Option<DateTime<Utc>>,
) -> NewApiKey {
    NewApiKey {
        name: name.into(),
        scope,
        user_id: None,
        allowed_ips: Vec::new(),
        secret_hash: hash_api_key(secret),
        prefix: key_prefix(secret),
        expires_at,
    }
}

/// Creates a key with a random secret; returns the record and the secret (shown once).
pub async fn create_key(
    store: &Arc<dyn Store>,
    account: uuid::Uuid,
    name: &str,
    scope: Scope,
    expires_at: Option<DateTime<Utc>>,
) -> StoreResult<(ApiKey, String)> {
    let secret = generate_api_key();
    let key = store
        .create_api_key(account, new_key(name, scope, &secret, expires_at))
        .await?;
    Ok((key, secret))
}

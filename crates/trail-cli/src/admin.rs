//! `trail admin`: accounts and keys, straight in the store (no server needed).

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Subcommand;
use trail_core::credentials::Scope;
use trail_server::bootstrap::create_key;
use trail_store::{Account, Store};
use uuid::Uuid;

use crate::manage;
use crate::output::say;
use crate::remote::Remote;
use crate::store::StoreArgs;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// People of the account (through the server's API).
    Users {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Users,
    },
    /// Groups and their members (through the server's API).
    Groups {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Groups,
    },
    /// API keys, personal and address-limited ones included (through the server's API).
    Keys {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Keys,
    },
    /// Redaction rules, and what they make of sample text.
    Redaction {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Redaction,
    },
    /// Owner-only searches and auditors' grants.
    Roles {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Document,
    },
    /// What is logged for whom.
    Logging {
        #[command(flatten)]
        remote: Remote,
        #[command(subcommand)]
        cmd: manage::Logging,
    },
    /// Create an account (a tenant) with an admin key.
    CreateAccount {
        #[command(flatten)]
        store: StoreArgs,
        name: String,
    },
    /// List accounts.
    Accounts {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create an API key; the secret is printed once and only its hash is stored.
    CreateKey {
        #[command(flatten)]
        store: StoreArgs,
        /// A name that says what the key is for.
        #[arg(long)]
        name: String,
        /// ingest (write events only), read, or admin.
        #[arg(long, default_value = "ingest")]
        scope: Scope,
        /// The key stops working after this many days.
        #[arg(long)]
        expires_in_days: Option<i64>,
        /// Account name [default: the first account].
        #[arg(long)]
        account: Option<String>,
    },
    /// List the keys of an account (never their secrets).
    ListKeys {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        account: Option<String>,
    },
    /// Revoke a key at once.
    RevokeKey {
        #[command(flatten)]
        store: StoreArgs,
        id: Uuid,
        #[arg(long)]
        account: Option<String>,
    },
}

async fn account(store: &dyn Store, name: Option<&str>) -> anyhow::Result<Account> {
    let accounts = store.list_accounts().await?;
    match name {
        Some(n) => accounts
            .into_iter()
            .find(|a| a.name == n)
            .with_context(|| format!("no account named {n:?}")),
        None => accounts
            .into_iter()
            .next()
            .context("the store has no account yet; run `trail serve` once"),
    }
}

pub async fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Users { remote, cmd } => manage::users(remote, cmd).await?,
        AdminCommand::Groups { remote, cmd } => manage::groups(remote, cmd).await?,
        AdminCommand::Keys { remote, cmd } => manage::keys(remote, cmd).await?,
        AdminCommand::Redaction { remote, cmd } => manage::redaction(remote, cmd).await?,
        AdminCommand::Roles { remote, cmd } => manage::visibility(remote, cmd).await?,
        AdminCommand::Logging { remote, cmd } => manage::logging(remote, cmd).await?,
        AdminCommand::CreateAccount { store, name } => {
            let store = store.database().open().await?;
            let account = store.create_account(&name).await?;
            let (_, secret) =
                create_key(&store, account.id, "admin key", Scope::Admin, None).await?;
            say!(
                "Created account {name} ({}).\nAdmin API key (shown only now): {secret}",
                account.id
            );
        }
        AdminCommand::Accounts { store } => {
            for a in store.database().open().await?.list_accounts().await? {
                say!(
                    "{}  {}  created {}",
                    a.id,
                    a.name,
                    a.created_at.to_rfc3339()
                );
            }
        }
        AdminCommand::CreateKey {
            store,
            name,
            scope,
            expires_in_days,
            account: name_of,
        } => {
            let store = store.database().open().await?;
            let account = account(store.as_ref(), name_of.as_deref()).await?;
            let expires = expires_in_days.map(|d| Utc::now() + Duration::days(d));
            let (key, secret) = create_key(&store, account.id, &name, scope, expires).await?;
            say!(
                "Created {scope} key {} ({}) for account {}.",
                key.id,
                key.name,
                account.name
            );
            say!("Secret (shown only now): {secret}");
        }
        AdminCommand::ListKeys {
            store,
            account: name_of,
        } => {
            let store = store.database().open().await?;
            let account = account(store.as_ref(), name_of.as_deref()).await?;
            say!(
                "{:<36}  {:<10}  {:<6}  {:<8}  {:<25}  name",
                "id",
                "prefix",
                "scope",
                "state",
                "last used"
            );
            for k in store.list_api_keys(account.id).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else if k.is_active(Utc::now()) {
                    "active"
                } else {
                    "expired"
                };
                let used = k
                    .last_used_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                say!(
                    "{:<36}  {:<10}  {:<6}  {:<8}  {:<25}  {}",
                    k.id,
                    k.prefix,
                    k.scope,
                    state,
                    used,
                    k.name
                );
            }
        }
        AdminCommand::RevokeKey {
            store,
            id,
            account: name_of,
        } => {
            let store = store.database().open().await?;
            let account = account(store.as_ref(), name_of.as_deref()).await?;
            anyhow::ensure!(
                store.revoke_api_key(account.id, id, Utc::now()).await?,
                "account {} has no key {id}",
                account.name
            );
            say!("Revoked key {id}.");
        }
    }
    Ok(())
}

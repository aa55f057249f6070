//! `trail admin users|groups|keys|redaction|visibility|logging`: managing an
//! account through a running server's API, so that every change is checked
//! against the caller's role and recorded as an audit event.

use std::io::Read;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Subcommand;
use serde::de::DeserializeOwned;
use serde::Serialize;
use trail_core::api::{NewGroup, NewKey, NewPerson, PersonChange, PreviewRequest};
use uuid::Uuid;

use crate::output::say;
use crate::remote::Remote;

#[derive(Subcommand, Debug)]
pub enum Users {
    /// Everyone of the account with their role.
    List,
    /// Add a person; `--password` lets them sign in to the web app.
    Add {
        login: String,
        /// owner, admin, member or auditor.
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, env = "TRAIL_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Change a person's role (the seed's "Changed alice role to Admin").
    SetRole { login: String, role: String },
    /// Let someone sign in (people seen only in events have no password yet).
    SetPassword {
        login: String,
        #[arg(long, env = "TRAIL_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum Groups {
    /// Every group with its parent and members.
    List,
    /// Create a group, optionally inside another.
    Add {
        name: String,
        #[arg(long)]
        parent: Option<String>,
    },
    AddMember {
        group: String,
        login: String,
    },
    RemoveMember {
        group: String,
        login: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum Keys {
    List,
    /// Create a key; the secret is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// ingest, read or admin.
        #[arg(long, default_value = "ingest")]
        scope: String,
        /// A personal key acting as this person.
        #[arg(long)]
        user: Option<String>,
        /// CIDR ranges the key may be used from (repeatable).
        #[arg(long = "allow-ip")]
        allowed_ips: Vec<String>,
    },
    Revoke {
        id: String,
    },
}

/// A settings document: show it, replace it from a JSON file (`-` for stdin).
#[derive(Subcommand, Debug)]
pub enum Document {
    Show,
    Set { file: String },
}

#[derive(Subcommand, Debug)]
pub enum Redaction {
    Show,
    Set {
        file: String,
    },
    /// What the saved rules make of sample text.
    Test {
        text: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum Logging {
    Show,
    Set {
        file: String,
    },
    /// The settings that apply to one person, and where they come from.
    Effective {
        login: String,
    },
}

pub async fn users(remote: Remote, cmd: Users) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Users::List => {
            let people = c.list_users().await?;
            say!("{:<30}  {:<8}  {:<24}  email", "login", "role", "name");
            for p in people {
                say!(
                    "{:<30}  {:<8}  {:<24}  {}",
                    p.login,
                    p.role,
                    cell(p.name.as_deref()),
                    cell(p.email.as_deref())
                );
            }
        }
        Users::Add {
            login,
            role,
            name,
            email,
            password,
        } => {
            let new = NewPerson {
                login,
                name,
                email,
                role,
                password,
            };
            let p = c.create_user(&new).await?;
            say!("Added {} as {}.", p.login, p.role);
        }
        Users::SetRole { login, role } => {
            let change = PersonChange {
                role: Some(role),
                ..PersonChange::default()
            };
            let p = c.update_user(&login, &change).await?;
            say!("{} is now {}.", p.login, p.role);
        }
        Users::SetPassword { login, password } => {
            let change = PersonChange {
                password: Some(password),
                ..PersonChange::default()
            };
            c.update_user(&login, &change).await?;
            say!("{login} may now sign in with the new password.");
        }
    }
    Ok(())
}

pub async fn groups(remote: Remote, cmd: Groups) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Groups::List => {
            let groups = c.list_groups().await?;
            say!("{:<24}  {:<24}  members", "group", "inside");
            for g in groups {
                say!(
                    "{:<24}  {:<24}  {}",
                    g.name,
                    cell(g.parent.as_deref()),
                    g.members.join(", ")
                );
            }
        }
        Groups::Add { name, parent } => {
            let group = NewGroup {
                name: name.clone(),
                parent,
            };
            c.create_group(&group).await?;
            say!("Created group {name}.");
        }
        Groups::AddMember { group, login } => {
            c.add_member(&group, &login).await?;
            say!("Added {login} to {group}.");
        }
        Groups::RemoveMember { group, login } => {
            c.remove_member(&group, &login).await?;
            say!("Removed {login} from {group}.");
        }
    }
    Ok(())
}

pub async fn keys(remote: Remote, cmd: Keys) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Keys::List => {
            let keys = c.list_keys().await?;
            say!(
                "{:<36}  {:<14}  {:<6}  {:<8}  {:<25}  name",
                "id",
                "prefix",
                "scope",
                "state",
                "last used"
            );
            for k in keys {
                let state = if k.revoked_at.is_none() {
                    "active"
                } else {
                    "revoked"
                };
                say!(
                    "{:<36}  {:<14}  {:<6}  {:<8}  {:<25}  {}",
                    k.id,
                    k.prefix,
                    k.scope,
                    state,
                    cell(k.last_used_at.map(rfc3339).as_deref()),
                    k.name
                );
            }
        }
        Keys::Create {
            name,
            scope,
            user,
            allowed_ips,
        } => {
            let new = NewKey {
                name,
                scope,
                user,
                allowed_ips,
                expires_at: None,
            };
            let k = c.create_key(&new).await?;
            say!("Created {} key {} ({}).", k.scope, k.id, k.name);
            say!("Secret (shown only now): {}", cell(k.secret.as_deref()));
        }
        Keys::Revoke { id } => {
            let key: Uuid = id
                .parse()
                .map_err(|_| anyhow::anyhow!("the key id must be a UUID, got {id:?}"))?;
            c.revoke_key(key).await?;
            say!("Revoked key {id}.");
        }
    }
    Ok(())
}

pub async fn redaction(remote: Remote, cmd: Redaction) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Redaction::Show => show(&c.redaction_rules().await?),
        Redaction::Set { file } => show(&c.set_redaction_rules(&read(&file)?).await?),
        Redaction::Test { text } => {
            let sample = PreviewRequest {
                text: Some(text),
                ..PreviewRequest::default()
            };
            let out = c.preview_redaction(&sample).await?;
            say!("{}", cell(out.text.as_deref()));
            Ok(())
        }
    }
}

pub async fn visibility(remote: Remote, cmd: Document) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Document::Show => show(&c.visibility_rules().await?),
        Document::Set { file } => show(&c.set_visibility_rules(&read(&file)?).await?),
    }
}

pub async fn logging(remote: Remote, cmd: Logging) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Logging::Show => show(&c.logging_settings().await?),
        Logging::Set { file } => show(&c.set_logging_settings(&read(&file)?).await?),
        Logging::Effective { login } => show(&c.effective_logging(Some(&login)).await?),
    }
}

/// A settings document from a JSON file (`-` for stdin).
fn read<T: DeserializeOwned>(file: &str) -> anyhow::Result<T> {
    let mut raw = String::new();
    if file == "-" {
        std::io::stdin().read_to_string(&mut raw)?;
    } else {
        raw = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    }
    let json: serde_json::Value =
        serde_json::from_str(&raw).with_context(|| format!("{file} is not JSON"))?;
    serde_json::from_value(json).with_context(|| format!("{file} is not a valid document"))
}

/// An answer as pretty JSON, its keys in alphabetical order.
fn show<T: Serialize>(answer: &T) -> anyhow::Result<()> {
    let json = serde_json::to_value(answer)?;
    say!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// A table cell: `-` when there is nothing.
fn cell(v: Option<&str>) -> &str {
    v.unwrap_or("-")
}

/// A time as the API writes it.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

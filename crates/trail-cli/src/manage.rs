//! `trail admin users|groups|keys|redaction|visibility|logging`: managing an
//! account through a running server's API, so that every change is checked
//! against the caller's role and recorded as an audit event.

use std::io::Read;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{json, Value};
use trail_client::{Client, Method};

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
            let people = call(&c, Method::GET, "/api/v1/users", None).await?;
            say!("{:<30}  {:<8}  {:<24}  email", "login", "role", "name");
            for p in array(&people) {
                say!(
                    "{:<30}  {:<8}  {:<24}  {}",
                    text(&p["login"]),
                    text(&p["role"]),
                    text(&p["name"]),
                    text(&p["email"])
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
            let body = json!({"login": login, "role": role, "name": name, "email": email, "password": password});
            let p = call(&c, Method::POST, "/api/v1/users", Some(body)).await?;
            say!("Added {} as {}.", text(&p["login"]), text(&p["role"]));
        }
        Users::SetRole { login, role } => {
            let path = format!("/api/v1/users/{login}");
            let p = call(&c, Method::PATCH, &path, Some(json!({"role": role}))).await?;
            say!("{} is now {}.", text(&p["login"]), text(&p["role"]));
        }
        Users::SetPassword { login, password } => {
            let path = format!("/api/v1/users/{login}");
            call(
                &c,
                Method::PATCH,
                &path,
                Some(json!({"password": password})),
            )
            .await?;
            say!("{login} may now sign in with the new password.");
        }
    }
    Ok(())
}

pub async fn groups(remote: Remote, cmd: Groups) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Groups::List => {
            let groups = call(&c, Method::GET, "/api/v1/groups", None).await?;
            say!("{:<24}  {:<24}  members", "group", "inside");
            for g in array(&groups) {
                let members: Vec<String> = array(&g["members"]).iter().map(text).collect();
                say!(
                    "{:<24}  {:<24}  {}",
                    text(&g["name"]),
                    text(&g["parent"]),
                    members.join(", ")
                );
            }
        }
        Groups::Add { name, parent } => {
            call(
                &c,
                Method::POST,
                "/api/v1/groups",
                Some(json!({"name": name, "parent": parent})),
            )
            .await?;
            say!("Created group {name}.");
        }
        Groups::AddMember { group, login } => {
            call(
                &c,
                Method::PUT,
                &format!("/api/v1/groups/{group}/members/{login}"),
                None,
            )
            .await?;
            say!("Added {login} to {group}.");
        }
        Groups::RemoveMember { group, login } => {
            call(
                &c,
                Method::DELETE,
                &format!("/api/v1/groups/{group}/members/{login}"),
                None,
            )
            .await?;
            say!("Removed {login} from {group}.");
        }
    }
    Ok(())
}

pub async fn keys(remote: Remote, cmd: Keys) -> anyhow::Result<()> {
    let c = remote.client();
    match cmd {
        Keys::List => {
            let keys = call(&c, Method::GET, "/api/v1/keys", None).await?;
            say!(
                "{:<36}  {:<14}  {:<6}  {:<8}  {:<25}  name",
                "id",
                "prefix",
                "scope",
                "state",
                "last used"
            );
            for k in array(&keys) {
                let state = if k["revoked_at"].is_null() {
                    "active"
                } else {
                    "revoked"
                };
                say!(
                    "{:<36}  {:<14}  {:<6}  {:<8}  {:<25}  {}",
                    text(&k["id"]),
                    text(&k["prefix"]),
                    text(&k["scope"]),
                    state,
                    text(&k["last_used_at"]),
                    text(&k["name"])
                );
            }
        }
        Keys::Create {
            name,
            scope,
            user,
            allowed_ips,
        } => {
            let body =
                json!({"name": name, "scope": scope, "user": user, "allowed_ips": allowed_ips});
            let k = call(&c, Method::POST, "/api/v1/keys", Some(body)).await?;
            say!(
                "Created {} key {} ({}).",
                text(&k["scope"]),
                text(&k["id"]),
                text(&k["name"])
            );
            say!("Secret (shown only now): {}", text(&k["secret"]));
        }
        Keys::Revoke { id } => {
            call(&c, Method::DELETE, &format!("/api/v1/keys/{id}"), None).await?;
            say!("Revoked key {id}.");
        }
    }
    Ok(())
}

pub async fn redaction(remote: Remote, cmd: Redaction) -> anyhow::Result<()> {
    let c = remote.client();
    let path = "/api/v1/settings/redaction";
    match cmd {
        Redaction::Show => document(&c, path, Document::Show).await,
        Redaction::Set { file } => document(&c, path, Document::Set { file }).await,
        Redaction::Test { text: sample } => {
            let out = call(
                &c,
                Method::POST,
                &format!("{path}/preview"),
                Some(json!({"text": sample})),
            )
            .await?;
            say!("{}", text(&out["text"]));
            Ok(())
        }
    }
}

pub async fn visibility(remote: Remote, cmd: Document) -> anyhow::Result<()> {
    document(&remote.client(), "/api/v1/settings/visibility", cmd).await
}

pub async fn logging(remote: Remote, cmd: Logging) -> anyhow::Result<()> {
    let c = remote.client();
    let path = "/api/v1/settings/logging";
    match cmd {
        Logging::Show => document(&c, path, Document::Show).await,
        Logging::Set { file } => document(&c, path, Document::Set { file }).await,
        Logging::Effective { login } => {
            let e = call(
                &c,
                Method::GET,
                &format!("/api/v1/logging-settings/effective?user={login}"),
                None,
            )
            .await?;
            say!("{}", serde_json::to_string_pretty(&e)?);
            Ok(())
        }
    }
}

async fn document(c: &Client, path: &str, cmd: Document) -> anyhow::Result<()> {
    let shown = match cmd {
        Document::Show => call(c, Method::GET, path, None).await?,
        Document::Set { file } => {
            let mut raw = String::new();
            if file == "-" {
                std::io::stdin().read_to_string(&mut raw)?;
            } else {
                raw = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            }
            let body: Value =
                serde_json::from_str(&raw).with_context(|| format!("{file} is not JSON"))?;
            call(c, Method::PUT, path, Some(body)).await?
        }
    };
    say!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

async fn call(
    c: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    Ok(c.call_json(method, path, body.as_ref()).await?)
}

fn array(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

/// A JSON value as a table cell: strings bare, null as `-`.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

//! Managing an account: people, groups, API keys, the settings documents, and
//! signing in. Every call needs a key (or person) allowed to administer, except
//! [`Client::me`], [`Client::sign_in`] and [`Client::effective_logging`] for
//! oneself.

use reqwest::Method;
use serde_json::Value;
use trail_core::api::{
    path_segment, Effective, GroupView, KeyView, Me, NewGroup, NewKey, NewPerson, Person,
    PersonChange, PreviewRequest, PreviewResponse, SignIn,
};
use trail_core::logging::LoggingSettings;
use trail_core::redact::RedactionRules;
use uuid::Uuid;

use crate::{Client, Result};

const REDACTION: &str = "/api/v1/settings/redaction";
const VISIBILITY: &str = "/api/v1/settings/visibility";
const LOGGING: &str = "/api/v1/settings/logging";

impl Client {
    /// Everyone of the account: people who sign in and people seen in events.
    pub async fn list_users(&self) -> Result<Vec<Person>> {
        self.get("/api/v1/users").await
    }

    /// Adds a person; answers them as stored.
    pub async fn create_user(&self, person: &NewPerson) -> Result<Person> {
        self.post("/api/v1/users", person).await
    }

    /// Changes what `change` gives of a person's name, e-mail, role or password;
    /// answers the person as they are now.
    pub async fn update_user(&self, login: &str, change: &PersonChange) -> Result<Person> {
        let path = format!("/api/v1/users/{}", path_segment(login));
        self.send(self.request(Method::PATCH, &path).json(change))
            .await
    }

    /// Every group, with its parent and direct members.
    pub async fn list_groups(&self) -> Result<Vec<GroupView>> {
        self.get("/api/v1/groups").await
    }

    /// Creates a group, optionally inside another; answers it (without members).
    pub async fn create_group(&self, group: &NewGroup) -> Result<GroupView> {
        self.post("/api/v1/groups", group).await
    }

    /// Adds a person (by login) to a group (by name).
    pub async fn add_member(&self, group: &str, login: &str) -> Result<()> {
        self.send_empty(self.request(Method::PUT, &member_path(group, login)))
            .await
    }

    /// Removes a person from a group; a 404 when they were not a member.
    pub async fn remove_member(&self, group: &str, login: &str) -> Result<()> {
        self.send_empty(self.request(Method::DELETE, &member_path(group, login)))
            .await
    }

    /// The account's API keys, without their secrets.
    pub async fn list_keys(&self) -> Result<Vec<KeyView>> {
        self.get("/api/v1/keys").await
    }

    /// Creates a key. The answer's `secret` is the only time the secret is shown.
    pub async fn create_key(&self, key: &NewKey) -> Result<KeyView> {
        self.post("/api/v1/keys", key).await
    }

    /// Revokes a key at once.
    pub async fn revoke_key(&self, id: Uuid) -> Result<()> {
        let path = format!("/api/v1/keys/{id}");
        self.send_empty(self.request(Method::DELETE, &path)).await
    }

    /// The account's redaction rules (the defaults until an admin saves others).
    pub async fn redaction_rules(&self) -> Result<RedactionRules> {
        self.get(REDACTION).await
    }

    /// Replaces the redaction rules; answers them as saved.
    pub async fn set_redaction_rules(&self, rules: &RedactionRules) -> Result<RedactionRules> {
        self.put(REDACTION, rules).await
    }

    /// What the saved rules (or `sample.rules`) make of sample text and
    /// parameters; nothing is stored.
    pub async fn preview_redaction(&self, sample: &PreviewRequest) -> Result<PreviewResponse> {
        self.post(&format!("{REDACTION}/preview"), sample).await
    }

    /// Who sees what beyond the roles (owner-only searches, auditors' grants).
    /// As JSON: the document's type is the server's, not part of `trail-core`.
    pub async fn visibility_rules(&self) -> Result<Value> {
        self.get(VISIBILITY).await
    }

    /// Replaces the visibility rules (owners only); answers them as saved.
    /// As JSON, like [`Client::visibility_rules`].
    pub async fn set_visibility_rules(&self, rules: &Value) -> Result<Value> {
        self.put(VISIBILITY, rules).await
    }

    /// What is recorded for whom: presets, switches and throttles.
    pub async fn logging_settings(&self) -> Result<LoggingSettings> {
        self.get(LOGGING).await
    }

    /// Replaces the logging settings; answers them as saved.
    pub async fn set_logging_settings(
        &self,
        settings: &LoggingSettings,
    ) -> Result<LoggingSettings> {
        self.put(LOGGING, settings).await
    }

    /// The logging settings that apply to `user` (by login), or to the key's own
    /// person when `None`, and where they come from.
    pub async fn effective_logging(&self, user: Option<&str>) -> Result<Effective> {
        let req = self
            .request(Method::GET, "/api/v1/logging-settings/effective")
            .query(&[("user", user)]);
        self.send(req).await
    }

    /// Checks a login and password and answers who signed in, with the CSRF
    /// token. The session itself is a cookie, which this client does not keep:
    /// its calls go on using the API key.
    pub async fn sign_in(&self, credentials: &SignIn) -> Result<Me> {
        self.post("/api/v1/auth/sign-in", credentials).await
    }

    /// Ends the browser session of the caller; with an API key there is none,
    /// and the call only succeeds.
    pub async fn sign_out(&self) -> Result<()> {
        self.send_empty(self.request(Method::POST, "/api/v1/auth/sign-out"))
            .await
    }

    /// The caller: the key's person, if any, and role.
    pub async fn me(&self) -> Result<Me> {
        self.get("/api/v1/auth/me").await
    }
}

fn member_path(group: &str, login: &str) -> String {
    format!(
        "/api/v1/groups/{}/members/{}",
        path_segment(group),
        path_segment(login)
    )
}

//! Per-account settings as the request path needs them: parsed, compiled, and
//! cached for a few seconds, so a change made through any server takes effect
//! everywhere within [`REFRESH`] without a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use trail_core::redact::{RedactionRules, Redactor};
use trail_store::{Store, StoreResult};
use uuid::Uuid;

use crate::access::{VisibilityRules, VISIBILITY};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// How long a cached setting is trusted before it is read again.
pub const REFRESH: Duration = Duration::from_secs(3);

/// The names of the settings documents.
pub const REDACTION: &str = "redaction";

/// One value per account, trusted for [`REFRESH`].
struct Cached<T> {
    entries: Mutex<HashMap<Uuid, (Instant, Arc<T>)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Cached<T> {
    fn fresh(&self, account: Uuid) -> Option<Arc<T>> {
        self.lock()
            .get(&account)
            .filter(|(at, _)| at.elapsed() < REFRESH)
            .map(|(_, v)| v.clone())
    }

    fn keep(&self, account: Uuid, value: Arc<T>) {
        self.lock().insert(account, (Instant::now(), value));
    }

    fn forget(&self, account: Uuid) {
        self.lock().remove(&account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, Arc<T>)>> {
        self.entries.lock().expect("settings cache lock poisoned")
    }
}

/// The settings every request reads (redaction on ingest, visibility on every
/// read), kept ready so that the hot paths do not query them each time.
#[derive(Default)]
pub struct SettingsCache {
    redactors: Cached<Redactor>,
    visibility: Cached<VisibilityRules>,
}

impl SettingsCache {
    /// The account's redaction rules, compiled; the defaults until an admin saves others.
    pub async fn redactor(&self, store: &dyn Store, account: Uuid) -> StoreResult<Arc<Redactor>> {
        if let Some(r) = self.redactors.fresh(account) {
            return Ok(r);
        }
        let redactor = match store.setting(account, REDACTION).await? {
            None => Redactor::defaults(),
            // Stored rules were compiled when they were saved; should that ever
            // fail now, the defaults still protect.
            Some(v) => serde_json::from_value(v)
                .ok()
                .and_then(|rules| Redactor::new(rules).ok())
                .map(Arc::new)
                .unwrap_or_else(Redactor::defaults),
        };
        self.redactors.keep(account, redactor.clone());
        Ok(redactor)
    }

    /// The account's visibility rules (owner-only searches, auditors' grants).
    pub async fn visibility(
        &self,
        store: &dyn Store,
        account: Uuid,
    ) -> StoreResult<Arc<VisibilityRules>> {
        if let Some(r) = self.visibility.fresh(account) {
            return Ok(r);
        }
        let rules: Arc<VisibilityRules> = Arc::new(load(store, account, VISIBILITY).await?);
        self.visibility.keep(account, rules.clone());
        Ok(rules)
    }

    /// Forgets what this server cached for the account, after a change.
    pub fn invalidate(&self, account: Uuid) {
        self.redactors.forget(account);
        self.visibility.forget(account);
    }
}

/// The account's saved redaction rules, or the defaults.
pub async fn redaction_rules(store: &dyn Store, account: Uuid) -> StoreResult<RedactionRules> {
    load(store, account, REDACTION).await
}

/// A settings document of the account, or its default when none was saved.
pub async fn load<T: DeserializeOwned + Default>(
    store: &dyn Store,
    account: Uuid,
    name: &str,
) -> StoreResult<T> {
    Ok(store
        .setting(account, name)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// A settings document: its name, and how a change to it is recorded.
pub struct Document {
    pub name: &'static str,
    /// What the audit event says changed, e.g. "redaction rules".
    pub label: &'static str,
    pub event_type: &'static str,
    pub resource_kind: &'static str,
}

/// Saves a checked document, makes this server forget what it cached of the
/// account's settings, and records the change with its before and after.
pub async fn save<T: Serialize + DeserializeOwned + Default>(
    state: &AppState,
    caller: &Caller,
    doc: &Document,
    value: &T,
) -> Result<(), ApiError> {
    let account = caller.account();
    let before: T = load(state.store.as_ref(), account, doc.name).await?;
    let (before, after) = (to_json(&before)?, to_json(value)?);
    state.store.put_setting(account, doc.name, &after).await?;
    state.settings.invalidate(account);
    state.logging.forget(account);
    let item = json!({
        "type": doc.event_type, "action": "updated", "level": "audit",
        "resource": {"kind": doc.resource_kind, "id": doc.name, "name": doc.label},
        "message": format!("Changed the {}", doc.label),
        "changes": {"before": before, "after": after}
    });
    crate::audit::record(state, account, caller.actor(), item).await;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

//! Per-account settings as the request path needs them: parsed, compiled, and
//! cached for a few seconds, so a change made through any server takes effect
//! everywhere within [`REFRESH`] without a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trail_core::redact::{RedactionRules, Redactor};
use trail_store::{Store, StoreResult};
use uuid::Uuid;

/// How long a cached setting is trusted before it is read again.
pub const REFRESH: Duration = Duration::from_secs(3);

/// The names of the settings documents.
pub const REDACTION: &str = "redaction";

#[derive(Default)]
pub struct SettingsCache {
    redactors: Mutex<HashMap<Uuid, (Instant, Arc<Redactor>)>>,
}

impl SettingsCache {
    /// The account's redaction rules, compiled; the defaults until an admin saves others.
    pub async fn redactor(&self, store: &dyn Store, account: Uuid) -> StoreResult<Arc<Redactor>> {
        if let Some((at, r)) = self.lock().get(&account) {
            if at.elapsed() < REFRESH {
                return Ok(r.clone());
            }
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
        self.lock()
            .insert(account, (Instant::now(), redactor.clone()));
        Ok(redactor)
    }

    /// Forgets what this server cached for the account, after a change.
    pub fn invalidate(&self, account: Uuid) {
        self.lock().remove(&account);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, Arc<Redactor>)>> {
        self.redactors.lock().expect("settings cache lock poisoned")
    }
}

/// The account's saved redaction rules, or the defaults.
pub async fn redaction_rules(store: &dyn Store, account: Uuid) -> StoreResult<RedactionRules> {
    Ok(store
        .setting(account, REDACTION)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

//! The server's side of the logging settings: events a person's policy turns
//! off are dropped at ingest (and counted), and throttled types keep one event
//! per window. Policies are cached for [`REFRESH`], so a change takes effect on
//! every server within seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use trail_core::api::DroppedEvent as Dropped;
use trail_core::logging::{LoggingSettings, Policy, PolicySource};
use trail_core::{ActorKind, NewEvent, ParamValue};
use trail_store::{Store, StoreResult};
use uuid::Uuid;

use crate::settings::REFRESH;

/// The name of the settings document.
pub const LOGGING: &str = "logging";

type PolicyKey = (Uuid, String);
/// A person's effective policy and where it came from.
pub type Effective = Arc<(Policy, PolicySource)>;
type ThrottleKey = (Uuid, String, String);

#[derive(Default)]
pub struct LoggingGate {
    policies: Mutex<HashMap<PolicyKey, (Instant, Effective)>>,
    /// When each (account, person, type) was last let through, and how many since were held back.
    throttled: Mutex<HashMap<ThrottleKey, (Instant, u64)>>,
    pub disabled_total: AtomicU64,
    pub throttled_total: AtomicU64,
}

impl LoggingGate {
    /// Splits a request's events into those recorded and those the policies drop.
    pub async fn admit(
        &self,
        store: &dyn Store,
        account: Uuid,
        events: Vec<NewEvent>,
    ) -> StoreResult<(Vec<NewEvent>, Vec<Dropped>)> {
        let (mut kept, mut dropped) = (Vec::with_capacity(events.len()), Vec::new());
        for mut event in events {
            if event.actor.kind != ActorKind::User {
                kept.push(event);
                continue;
            }
            let policy = self.policy(store, account, &event.actor.id).await?;
            let reason = if !policy.0.allows(event.event_type.as_str(), event.level) {
                self.disabled_total.fetch_add(1, Ordering::Relaxed);
                Some("disabled")
            } else if !self.pass_throttle(account, &policy.0, &mut event) {
                self.throttled_total.fetch_add(1, Ordering::Relaxed);
                Some("throttled")
            } else {
                None
            };
            match reason {
                Some(r) => dropped.push(Dropped {
                    id: event.id,
                    reason: r.into(),
                }),
                None => kept.push(event),
            }
        }
        Ok((kept, dropped))
    }

    /// Forgets this server's cached policies of the account, after a change.
    pub fn forget(&self, account: Uuid) {
        self.policies
            .lock()
            .expect("policy cache poisoned")
            .retain(|(a, _), _| *a != account);
    }

    /// The drop counters, in Prometheus' text format.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "# HELP trail_events_dropped_total Events the logging settings kept out.\n\
             # TYPE trail_events_dropped_total counter\n\
             trail_events_dropped_total{{reason=\"disabled\"}} {}\n\
             trail_events_dropped_total{{reason=\"throttled\"}} {}",
            self.disabled_total.load(Ordering::Relaxed),
            self.throttled_total.load(Ordering::Relaxed)
        );
    }

    /// A person's effective policy and where it came from.
    pub async fn policy(
        &self,
        store: &dyn Store,
        account: Uuid,
        login: &str,
    ) -> StoreResult<Effective> {
        let key = (account, login.to_string());
        if let Some((at, p)) = self
            .policies
            .lock()
            .expect("policy cache poisoned")
            .get(&key)
        {
            if at.elapsed() < REFRESH {
                return Ok(p.clone());
            }
        }
        let settings = settings(store, account).await?;
        let groups = match store.find_user(account, login).await? {
            Some(user) => store
                .memberships(account, user.id)
                .await?
                .into_iter()
                .map(|m| (m.name, m.distance))
                .collect(),
            None => Vec::new(),
        };
        let effective = Arc::new(settings.effective(login, &groups));
        self.policies
            .lock()
            .expect("policy cache poisoned")
            .insert(key, (Instant::now(), effective.clone()));
        Ok(effective)
    }

    /// Lets the event through if its type's window has passed, carrying the count
    /// of those held back since.
    fn pass_throttle(&self, account: Uuid, policy: &Policy, event: &mut NewEvent) -> bool {
        let Some(window) = policy.throttle_of(event.event_type.as_str()) else {
            return true;
        };
        let key = (
            account,
            event.actor.id.clone(),
            event.event_type.as_str().to_string(),
        );
        let mut throttled = self.throttled.lock().expect("throttle lock poisoned");
        match throttled.get_mut(&key) {
            Some((last, held)) if last.elapsed().as_secs() < window => {
                *held += 1;
                false
            }
            entry => {
                let held = entry.map_or(0, |(_, h)| *h);
                if held > 0 {
                    event
                        .params
                        .insert("suppressed".into(), ParamValue::Number(held.into()));
                }
                throttled.insert(key, (Instant::now(), 0));
                true
            }
        }
    }
}

pub async fn settings(store: &dyn Store, account: Uuid) -> StoreResult<LoggingSettings> {
    crate::settings::load(store, account, LOGGING).await
}

//! Trail's own audit trail: what people and keys do through the server (read or
//! export the log, change settings) is recorded as events of their account, with
//! source `server`, through the same write path as every other event.

use chrono::Utc;
use serde_json::Value;
use trail_core::{Actor, InputContext, Source};
use trail_store::AppendRequest;
use uuid::Uuid;

use crate::limits::FixedWindow;
use crate::AppState;

/// Records one event (`item` in the ingest format) for `account`, done by `actor`.
/// A failure is logged, not returned: what it records has already happened.
pub async fn record(state: &AppState, account: Uuid, actor: Actor, item: Value) {
    let result = async {
        let redactor = state
            .settings
            .redactor(state.store.as_ref(), account)
            .await
            .map_err(|e| e.to_string())?;
        let ctx = InputContext {
            now: trail_core::input::truncate_micros(Utc::now()),
            default_actor: actor,
            default_source: Source::Server,
            peer_ip: None,
            user_agent: None,
            limits: state.config.limits,
            redactor,
        };
        let event = ctx.parse(0, item).map_err(|e| format!("{e:?}"))?;
        state
            .ingestor
            .submit(AppendRequest {
                account,
                events: vec![event],
            })
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "could not record Trail's own audit event");
    }
}

/// How often the same read by the same caller is recorded again.
pub const READ_REPEAT_SECONDS: u64 = 60;

/// Reads of the log (seed 004: who looked at what). The same caller reading the
/// same thing again within [`READ_REPEAT_SECONDS`] is recorded once: scrolling,
/// refreshing and polling (`trail search --follow`) would otherwise bury the log
/// under its own reads.
pub struct ReadLog {
    seen: FixedWindow<(Uuid, String, String)>,
}

impl Default for ReadLog {
    fn default() -> Self {
        ReadLog {
            seen: FixedWindow::new(
                1,
                std::time::Duration::from_secs(READ_REPEAT_SECONDS),
                "reads",
            ),
        }
    }
}

impl ReadLog {
    /// Records `item` for the caller unless they made this read (`what`) a moment ago.
    pub async fn record(
        &self,
        state: &AppState,
        caller: &crate::auth::Caller,
        what: String,
        item: Value,
    ) {
        let actor = caller.actor();
        let key = (
            caller.account(),
            format!("{:?}:{}", actor.kind, actor.id),
            what,
        );
        if self.seen.admits(key) {
            record(state, caller.account(), actor, item).await;
        }
    }
}

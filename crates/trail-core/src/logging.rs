//! What gets logged for whom (seed 000, "Customize audit logging": "each audit
//! event can be disabled remotely from server for certain users group"). An
//! account keeps one [`LoggingSettings`] document; each person's effective
//! [`Policy`] is theirs if they have one, else their nearest group's, else the
//! account default, else Standard.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::Level;

/// The longest throttle window, one day.
pub const MAX_THROTTLE_SECONDS: u64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Every type except debug-level events.
    #[default]
    Standard,
    /// Everything, debug-level events included.
    Verbose,
    /// Standard, plus `enable`, minus `disable`.
    Custom,
}

/// What is recorded for one person or group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub level: Preset,
    /// Custom only: event types recorded in addition to Standard.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Custom only: event types not recorded.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Event type → seconds: at most one event of the type per person per window;
    /// the next one recorded carries the number suppressed (`suppressed` param).
    #[serde(default)]
    pub throttle: BTreeMap<String, u64>,
}

/// What an SDK needs to drop events before sending them, by the rule of
/// [`Policy::allows`]: the types never recorded, and whether (or for which
/// types) debug-level events are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dropping {
    pub disabled_types: Vec<String>,
    /// Whether debug-level events of every type are recorded.
    pub debug: bool,
    /// Types whose debug-level events are recorded though `debug` is false.
    pub debug_types: Vec<String>,
}

impl Dropping {
    /// Whether an event of this type and level is recorded: what
    /// [`Policy::allows`] says, told from this summary alone.
    pub fn allows(&self, event_type: &str, level: Level) -> bool {
        let listed = |list: &[String]| list.iter().any(|t| t == event_type);
        !listed(&self.disabled_types)
            && (level != Level::Debug || self.debug || listed(&self.debug_types))
    }
}

impl Policy {
    pub fn dropping(&self) -> Dropping {
        let custom = |list: &[String]| match self.level {
            Preset::Custom => list.to_vec(),
            _ => Vec::new(),
        };
        Dropping {
            disabled_types: custom(&self.disable),
            debug: self.level == Preset::Verbose,
            debug_types: custom(&self.enable),
        }
    }

    /// Whether an event of this type and level is recorded.
    pub fn allows(&self, event_type: &str, level: Level) -> bool {
        let listed = |list: &[String]| list.iter().any(|t| t == event_type);
        match self.level {
            Preset::Verbose => true,
            Preset::Standard => level != Level::Debug,
            Preset::Custom => {
                if listed(&self.disable) {
                    false
                } else {
                    listed(&self.enable) || level != Level::Debug
                }
            }
        }
    }

    /// The throttle window of a type, in seconds.
    pub fn throttle_of(&self, event_type: &str) -> Option<u64> {
        self.throttle.get(event_type).copied().filter(|s| *s > 0)
    }

    fn check(&self, whose: &str) -> Result<(), String> {
        if self.level != Preset::Custom && !(self.enable.is_empty() && self.disable.is_empty()) {
            return Err(format!(
                "{whose}: enable and disable apply to the custom level only"
            ));
        }
        for name in self
            .enable
            .iter()
            .chain(&self.disable)
            .chain(self.throttle.keys())
        {
            crate::EventType::parse(name).map_err(|e| format!("{whose}: {e}"))?;
        }
        if let Some((t, s)) = self
            .throttle
            .iter()
            .find(|(_, s)| **s > MAX_THROTTLE_SECONDS)
        {
            return Err(format!(
                "{whose}: throttle of {t} is {s} s; at most {MAX_THROTTLE_SECONDS}"
            ));
        }
        Ok(())
    }
}

/// An account's logging settings, as stored and edited through the API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoggingSettings {
    /// For everyone without a policy of their own or of a group.
    #[serde(default)]
    pub default: Option<Policy>,
    /// By login.
    #[serde(default)]
    pub users: BTreeMap<String, Policy>,
    /// By group name; a group's policy covers its subgroups' members too.
    #[serde(default)]
    pub groups: BTreeMap<String, Policy>,
}

/// Where an effective policy came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum PolicySource {
    User,
    Group { name: String },
    Default,
    Standard,
}

impl LoggingSettings {
    pub fn check(&self) -> Result<(), String> {
        if let Some(d) = &self.default {
            d.check("default")?;
        }
        for (login, p) in &self.users {
            p.check(&format!("users.{login}"))?;
        }
        for (group, p) in &self.groups {
            p.check(&format!("groups.{group}"))?;
        }
        Ok(())
    }

    /// The policy of a person given their groups, nearest first (ties: by name).
    pub fn effective(&self, login: &str, groups: &[(String, u32)]) -> (Policy, PolicySource) {
        if let Some(p) = self.users.get(login) {
            return (p.clone(), PolicySource::User);
        }
        let nearest = groups
            .iter()
            .filter(|(name, _)| self.groups.contains_key(name))
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        if let Some((name, _)) = nearest {
            return (
                self.groups[name].clone(),
                PolicySource::Group { name: name.clone() },
            );
        }
        match &self.default {
            Some(p) => (p.clone(), PolicySource::Default),
            None => (Policy::default(), PolicySource::Standard),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn an_sdk_drops_exactly_what_the_server_would() {
        let policies = [
            Policy::default(),
            Policy {
                level: Preset::Verbose,
                disable: vec!["log".into()],
                ..Policy::default()
            },
            Policy {
                level: Preset::Custom,
                enable: vec!["viewer-rendered".into()],
                disable: vec!["log".into(), "my_log".into()],
                ..Policy::default()
            },
        ];
        let levels = [Level::Debug, Level::Info, Level::Error, Level::Audit];
        for p in &policies {
            let d = p.dropping();
            for t in ["log", "my_log", "viewer-rendered", "query-start"] {
                for l in levels {
                    assert_eq!(d.allows(t, l), p.allows(t, l), "{p:?} {t} {l:?}");
                }
            }
        }
    }
    use super::*;

    fn custom(disable: &[&str]) -> Policy {
        Policy {
            level: Preset::Custom,
            disable: disable.iter().map(|s| s.to_string()).collect(),
            ..Policy::default()
        }
    }

    #[test]
    fn presets() {
        let standard = Policy::default();
        assert!(standard.allows("viewer-rendered", Level::Usage));
        assert!(!standard.allows("my_log", Level::Debug));
        let verbose = Policy {
            level: Preset::Verbose,
            ..Policy::default()
        };
        assert!(verbose.allows("my_log", Level::Debug));
        let c = custom(&["viewer-rendered"]);
        assert!(!c.allows("viewer-rendered", Level::Usage));
        assert!(c.allows("query-created", Level::Audit));
    }

    #[test]
    fn a_person_before_the_nearest_group_before_the_default() {
        let mut s = LoggingSettings::default();
        s.groups.insert("engineering".into(), custom(&["a"]));
        s.groups.insert("platform".into(), custom(&["b"]));
        s.default = Some(custom(&["c"]));
        let groups = [
            ("all-staff".to_string(), 2),
            ("engineering".into(), 1),
            ("platform".into(), 0),
        ];
        assert_eq!(
            s.effective("bob", &groups).1,
            PolicySource::Group {
                name: "platform".into()
            }
        );
        assert_eq!(
            s.effective("bob", &groups[..2]).1,
            PolicySource::Group {
                name: "engineering".into()
            }
        );
        assert_eq!(s.effective("bob", &[]).1, PolicySource::Default);
        s.users.insert("bob".into(), Policy::default());
        assert_eq!(s.effective("bob", &groups).1, PolicySource::User);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut s = LoggingSettings::default();
        s.users.insert(
            "bob".into(),
            Policy {
                enable: vec!["x".into()],
                ..Policy::default()
            },
        );
        assert!(s.check().unwrap_err().contains("users.bob"));
        let mut s = LoggingSettings::default();
        s.groups.insert(
            "g".into(),
            Policy {
                throttle: [("viewer-rendered".to_string(), 999_999)].into(),
                ..Policy::default()
            },
        );
        assert!(s.check().unwrap_err().contains("at most"));
    }
}

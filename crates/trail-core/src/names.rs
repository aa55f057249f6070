//! Short validated names used as vocabulary: event types, actions, resource kinds.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters, got {len}")]
    TooLong { max: usize, len: usize },
    #[error("may contain only lowercase letters, digits, '-', '_' and '.', and must start with a letter; got {0:?}")]
    BadCharacter(String),
}

fn check_name(raw: &str, max: usize) -> Result<(), NameError> {
    if raw.is_empty() {
        return Err(NameError::Empty);
    }
    if raw.len() > max {
        return Err(NameError::TooLong {
            max,
            len: raw.len(),
        });
    }
    let mut chars = raw.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(NameError::BadCharacter(raw.to_string()))
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, NameError> {
                check_name(raw, Self::MAX_LEN)?;
                Ok(Self(raw.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(raw: String) -> Result<Self, NameError> {
                check_name(&raw, Self::MAX_LEN)?;
                Ok(Self(raw))
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// The name of an event type: a catalogue type such as `query-created` or a custom one.
    EventType,
    64
);
name_type!(
    /// What was done: `created`, `updated`, `executed`, ... (seed 004's filter vocabulary).
    Action,
    32
);
name_type!(
    /// The kind of resource an event happened on: `query`, `notebook`, `database`, ...
    ResourceKind,
    32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_catalogue_style_names() {
        assert!(EventType::parse("query-created").is_ok());
        assert!(EventType::parse("my_log").is_ok());
        assert!(EventType::parse("app.v2-start").is_ok());
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(EventType::parse(""), Err(NameError::Empty));
        assert!(matches!(
            EventType::parse("Query"),
            Err(NameError::BadCharacter(_))
        ));
        assert!(matches!(
            EventType::parse("1abc"),
            Err(NameError::BadCharacter(_))
        ));
        assert!(matches!(
            EventType::parse("a b"),
            Err(NameError::BadCharacter(_))
        ));
        assert!(matches!(
            EventType::parse(&"a".repeat(65)),
            Err(NameError::TooLong { max: 64, len: 65 })
        ));
    }

    #[test]
    fn deserialization_parses() {
        let err = serde_json::from_str::<Action>("\"DROP TABLE\"").unwrap_err();
        assert!(err.to_string().contains("lowercase"));
    }
}

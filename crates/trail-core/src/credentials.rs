//! API keys and passwords. Keys are random and long, so a plain SHA-256 is a safe
//! way to store them (no dictionary to try); passwords are chosen by people and get
//! argon2id.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a key may do. Each scope includes the ones before it except `ingest`,
/// which may only write events and sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Write events and sessions; read nothing.
    Ingest,
    /// Read events and sessions.
    Read,
    /// Everything, including keys and accounts.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn may_write_events(self) -> bool {
        matches!(self, Scope::Ingest | Scope::Admin)
    }

    pub fn may_read(self) -> bool {
        matches!(self, Scope::Read | Scope::Admin)
    }

    /// Change settings, people, groups and keys.
    pub fn may_administer(self) -> bool {
        matches!(self, Scope::Admin)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ingest" => Ok(Scope::Ingest),
            "read" => Ok(Scope::Read),
            "admin" => Ok(Scope::Admin),
            _ => Err(format!(
                "unknown scope {s:?}; expected ingest, read or admin"
            )),
        }
    }
}

/// Shortest secret accepted as an API key (also for `TRAIL_BOOTSTRAP_API_KEY`).
pub const MIN_KEY_LEN: usize = 24;

/// A new random key: `trail_` and 40 base62 characters (about 238 bits).
pub fn generate_api_key() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    let body: String = (0..40)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("trail_{body}")
}

/// What is stored for a key: hex SHA-256 of the whole secret.
pub fn hash_api_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The first characters of a key, shown in listings so people can tell keys apart.
pub fn key_prefix(secret: &str) -> String {
    secret.chars().take(10).collect()
}

/// Checks a secret someone wants to use as a key.
pub fn check_api_key(secret: &str) -> Result<(), String> {
    if secret.len() < MIN_KEY_LEN {
        return Err(format!(
            "an API key must be at least {MIN_KEY_LEN} characters"
        ));
    }
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an API key must not contain whitespace".into());
    }
    Ok(())
}

/// The shortest password a person may have.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Checks a password someone wants to use, in characters (not bytes).
pub fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    Ok(())
}

/// argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password for the first owner when none is configured.
pub fn generate_password() -> String {
    generate_api_key()["trail_".len()..][..20].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_hashed() {
        let a = generate_api_key();
        assert!(a.starts_with("trail_") && a.len() == 46);
        assert_ne!(a, generate_api_key());
        assert_eq!(hash_api_key(&a).len(), 64);
        assert!(!hash_api_key(&a).contains(&a[6..]));
        assert!(check_api_key(&a).is_ok());
        assert!(check_api_key("short").is_err());
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
    }
}

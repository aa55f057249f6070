//! `trail serve` settings: flags, then TRAIL_* variables, then the TOML file, then defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The optional TOML file (`--config`); every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub demo: Option<bool>,
    pub demo_events: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub max_batch_events: Option<usize>,
    pub ingest_requests_per_second: Option<u32>,
    pub usage_cache_mb: Option<usize>,
    pub log_format: Option<String>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("in config file {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        let err = toml::from_str::<FileConfig>("listn = \"1.2.3.4:1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `listn`"), "{err}");
        let ok: FileConfig = toml::from_str("listen = \"0.0.0.0:9000\"\ndemo = true").unwrap();
        assert_eq!(ok.listen.unwrap().port(), 9000);
    }
}

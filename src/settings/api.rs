//! `[api]`: the keys that let clients use `/v1`. Every request under `/v1`
//! carries `Authorization: Bearer <key>`; the probes and `/metrics` need
//! none.

use super::SettingsError;
use super::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Shortest key accepted: a guessable key is no key.
pub const MIN_API_KEY_LEN: usize = 16;

/// API access.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// Keys, separated by commas; prefer `SIMGATE__API__KEYS` or
    /// `keys_file`. With no key at all `/v1` answers 401 to everyone.
    pub keys: Secret,
    /// A file with one key per line (`#` comments), for keys mounted from a
    /// secret store. Read once at start-up.
    pub keys_file: Option<PathBuf>,
}

impl ApiSettings {
    /// Every configured key, from `keys` and `keys_file`.
    pub fn load_keys(&self) -> Result<Vec<Secret>, SettingsError> {
        let mut keys: Vec<Secret> =
            self.keys.expose().split(',').map(str::trim).filter(|k| !k.is_empty()).map(Secret::new).collect();
        if let Some(path) = &self.keys_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SettingsError::new("api.keys_file", format!("{}: {e}", path.display())))?;
            keys.extend(
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(Secret::new),
            );
        }
        if let Some(short) = keys.iter().position(|k| k.expose().len() < MIN_API_KEY_LEN) {
            let key =
                if short < self.keys.expose().split(',').count() { "api.keys" } else { "api.keys_file" };
            return Err(SettingsError::new(
                key,
                format!("every key needs at least {MIN_API_KEY_LEN} characters"),
            ));
        }
        Ok(keys)
    }
}

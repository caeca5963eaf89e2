//! `spec.secrets` as written: which secret rules run, extra patterns, and
//! what is allowed (docs/secrets.md).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretsSpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<PatternSpec>,
    #[serde(default)]
    pub allowlist: AllowlistSpec,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatternSpec {
    pub id: String,
    pub regex: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The capture group holding the secret (default: the whole match).
    #[serde(default)]
    pub secret_group: Option<usize>,
    /// Matches below this Shannon entropy (bits per character) are dropped.
    #[serde(default)]
    pub min_entropy: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
}

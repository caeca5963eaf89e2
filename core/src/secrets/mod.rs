//! Built-in secret-handling rules (SPEC §4), switched on per policy with
//! `spec.secrets`:
//!
//! ```yaml
//! secrets:
//!   enabled: true                  # default when `secrets:` is given
//!   disable: [secret-env-var, jwt] # rule ids or detector ids
//!   patterns:                      # extra token formats, like gitleaks rules
//!     - {id: acme-token, regex: 'acme_[A-Za-z0-9]{32}', description: ACME API token}
//!   allowlist:
//!     values: [not-a-secret-42]    # literal values never reported
//!     regexes: ['^test-']          # values matching one are never reported
//!     paths: ['/data/FIXTURE_*']   # findings at these JSON pointers (`*` globs) are dropped
//! ```
//!
//! Like the rest of a policy, the secret rules run on the documents the
//! policy's `match` selects; a policy without `match` (the built-in
//! `secret-hygiene`) sees every document, and each rule picks the kinds it
//! reads (ConfigMap, Secret, pod specs, Role/ClusterRole).
//!
//! Detectors and key-name lists: `detectors.rs`, `filters.rs`, and for
//! users `docs/secrets.md`.

pub mod detectors;
pub mod filters;
mod k8s;
pub mod redact;

pub use redact::{redact, redact_findings, redact_text, Withheld};

use crate::engine::EvalInput;
use crate::policy::PolicyError;
use crate::report::Finding;
use crate::source::Document;
use detectors::{Custom, Scanner, KEYED_DETECTORS, TOKEN_DETECTORS};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;

/// The rule ids, with their default severity (`secret-placeholder` is an
/// error only in `production`).
pub const RULES: &[(&str, crate::policy::Severity)] = &[
    ("secret-in-configmap", crate::policy::Severity::Error),
    ("secret-env-var", crate::policy::Severity::Warning),
    ("secret-file-mode", crate::policy::Severity::Error),
    ("secret-invalid-base64", crate::policy::Severity::Error),
    ("secret-placeholder", crate::policy::Severity::Warning),
    (
        "secret-plaintext-manifest",
        crate::policy::Severity::Warning,
    ),
    ("rbac-secrets-wildcard", crate::policy::Severity::Error),
    ("dockerconfigjson-invalid", crate::policy::Severity::Error),
];

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

/// A policy's secret rules, compiled once.
pub struct CompiledSecrets {
    scanner: Arc<Scanner>,
    /// Whether `scanner` holds the policy's own `patterns`.
    own_patterns: bool,
    disabled: HashSet<String>,
    allow_values: Vec<String>,
    allow_regexes: Vec<Regex>,
    allow_paths: Vec<String>,
}

fn known_ids() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .map(|(id, _)| *id)
        .chain(TOKEN_DETECTORS.iter().map(|d| d.id))
        .chain(KEYED_DETECTORS.iter().map(|(id, _)| *id))
}

impl CompiledSecrets {
    /// `None` when the policy has no `secrets` or `enabled: false`. Every
    /// problem is reported, located at `/spec/secrets/...`.
    pub fn compile(
        spec: Option<&SecretsSpec>,
        file: &str,
        doc: &Document,
    ) -> Result<Option<CompiledSecrets>, Vec<PolicyError>> {
        let Some(spec) = spec.filter(|s| s.enabled) else {
            return Ok(None);
        };
        let at = |p: &str| {
            doc.map
                .locate(&format!("/spec/secrets{p}"))
                .unwrap_or_default()
        };
        let mut errors = Vec::new();
        let mut custom = Vec::new();
        let mut custom_ids: HashSet<&str> = HashSet::new();
        for (i, p) in spec.patterns.iter().enumerate() {
            let valid_id = !p.id.is_empty()
                && p.id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid_id {
                errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/patterns/{i}/id")),
                        format!("`secrets.patterns[{i}].id`: `{}` is not a valid id", p.id),
                    )
                    .with_hint("use lowercase letters, digits and `-`"),
                );
            } else if known_ids().any(|k| k == p.id) || !custom_ids.insert(&p.id) {
                errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/patterns/{i}/id")),
                        format!("`secrets.patterns[{i}].id`: `{}` is already taken", p.id),
                    )
                    .with_hint("built-in rule and detector ids are listed in docs/secrets.md"),
                );
            }
            match detectors::check_custom_regex(&p.regex) {
                Ok(re) => {
                    if re.is_match("") {
                        errors.push(
                            PolicyError::at(
                                file,
                                at(&format!("/patterns/{i}/regex")),
                                format!("`secrets.patterns[{i}].regex`: matches the empty string"),
                            )
                            .with_hint("a secret pattern must match at least one character"),
                        );
                    }
                    if let Some(g) = p.secret_group {
                        if g >= re.captures_len() {
                            errors.push(
                                PolicyError::at(
                                    file,
                                    at(&format!("/patterns/{i}/secretGroup")),
                                    format!(
                                        "`secrets.patterns[{i}].secretGroup`: the regex has no group {g}"
                                    ),
                                )
                                .with_hint(format!(
                                    "it has {} capture group(s)",
                                    re.captures_len() - 1
                                )),
                            );
                        }
                    }
                }
                Err(msg) => errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/patterns/{i}/regex")),
                        format!("`secrets.patterns[{i}].regex`: invalid regex: {msg}"),
                    )
                    .with_hint("Rust regex syntax: no look-around or backreferences"),
                ),
            }
            custom.push(Custom {
                id: p.id.clone(),
                description: p
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("`{}` pattern", p.id)),
                regex: p.regex.clone(),
                group: p.secret_group,
                min_entropy: p.min_entropy,
            });
        }
        for (i, id) in spec.disable.iter().enumerate() {
            if !known_ids().any(|k| k == id) && !custom_ids.contains(id.as_str()) {
                errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/disable/{i}")),
                        format!("`secrets.disable[{i}]`: unknown rule or detector id `{id}`"),
                    )
                    .with_hint(format!(
                        "rule ids: {}; detector ids are listed in docs/secrets.md",
                        RULES.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
        let mut allow_regexes = Vec::new();
        for (i, r) in spec.allowlist.regexes.iter().enumerate() {
            match detectors::check_custom_regex(r) {
                Ok(re) => allow_regexes.push(re),
                Err(msg) => errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/allowlist/regexes/{i}")),
                        format!("`secrets.allowlist.regexes[{i}]`: invalid regex: {msg}"),
                    )
                    .with_hint("Rust regex syntax: no look-around or backreferences"),
                ),
            }
        }
        for (i, p) in spec.allowlist.paths.iter().enumerate() {
            if !p.starts_with('/') {
                errors.push(
                    PolicyError::at(
                        file,
                        at(&format!("/allowlist/paths/{i}")),
                        format!("`secrets.allowlist.paths[{i}]`: `{p}` is not a JSON pointer"),
                    )
                    .with_hint("write it like `/data/TEST_TOKEN` (`*` globs allowed)"),
                );
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let scanner = if custom.is_empty() {
            Scanner::builtin()
        } else {
            Scanner::new(&custom).ok().map(Arc::new)
        };
        let Some(scanner) = scanner else {
            return Err(vec![PolicyError::at(
                file,
                at(""),
                "`secrets`: the detectors do not compile together",
            )]);
        };
        Ok(Some(CompiledSecrets {
            scanner,
            own_patterns: !custom.is_empty(),
            disabled: spec.disable.iter().cloned().collect(),
            allow_values: spec.allowlist.values.clone(),
            allow_regexes,
            allow_paths: spec.allowlist.paths.clone(),
        }))
    }

    /// Adds the secret rules' findings on one document, and each secret
    /// found to `found`, for redacting the other findings.
    pub fn evaluate(
        &self,
        doc: &Document,
        input: &EvalInput,
        out: &mut Vec<Finding>,
        found: &mut Vec<String>,
    ) {
        let first = out.len();
        k8s::check(self, doc, input, out, found);
        // In file order, whatever order the rules ran in.
        if let Some(added) = out.get_mut(first..) {
            added.sort_by_key(|f| (f.line.unwrap_or(u32::MAX), f.column.unwrap_or(u32::MAX)));
        }
    }

    /// The scanner with the policy's own token formats, if it has any.
    pub fn own_scanner(&self) -> Option<&Scanner> {
        self.own_patterns.then_some(&*self.scanner)
    }

    fn enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id)
    }

    fn allowed_value(&self, v: &str) -> bool {
        self.allow_values.iter().any(|a| a == v) || self.allow_regexes.iter().any(|r| r.is_match(v))
    }

    fn allowed_path(&self, path: &str) -> bool {
        self.allow_paths.iter().any(|p| glob(p, path))
    }
}

/// `*` matches any run of characters (also across `/`).
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = rest.get(i + p.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use crate::PolicySet;

    fn errors(spec: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: p}}\nspec:\n  secrets:\n{spec}"
        );
        match PolicySet::load(&[("p.yaml".to_owned(), text)]) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn spec_errors_are_located() {
        let got = errors(
            "    disable: [secret-env-var, no-such-rule]\n    patterns:\n      - {id: github-token, regex: 'x'}\n      - {id: mine, regex: '(unclosed'}\n      - {id: empty, regex: 'a*'}\n      - {id: grp, regex: 'a(b)', secretGroup: 2}\n    allowlist:\n      regexes: ['[']\n      paths: [data/X]\n",
        );
        assert_eq!(
            got,
            [
                "p.yaml:8:14: `secrets.patterns[0].id`: `github-token` is already taken",
                "p.yaml:9:27: `secrets.patterns[1].regex`: invalid regex: unclosed group",
                "p.yaml:10:28: `secrets.patterns[2].regex`: matches the empty string",
                "p.yaml:11:47: `secrets.patterns[3].secretGroup`: the regex has no group 2",
                "p.yaml:6:31: `secrets.disable[1]`: unknown rule or detector id `no-such-rule`",
                "p.yaml:13:17: `secrets.allowlist.regexes[0]`: invalid regex: unclosed character class",
                "p.yaml:14:15: `secrets.allowlist.paths[0]`: `data/X` is not a JSON pointer",
            ]
        );
        let unknown = errors("    enable: true\n");
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(
            unknown[0].starts_with("p.yaml:6:13: `spec.secrets.enable`: unknown field `enable`"),
            "{unknown:?}"
        );
        assert!(errors("    enabled: false\n    disable: [jwt]\n").is_empty());
    }

    #[test]
    fn globs() {
        assert!(super::glob("/data/TEST_*", "/data/TEST_TOKEN"));
        assert!(super::glob(
            "/data/*/password",
            "/data/config.yaml/db/password"
        ));
        assert!(!super::glob("/data/TEST_*", "/data/PROD_TOKEN"));
        assert!(super::glob("/data/X", "/data/X"));
    }
}

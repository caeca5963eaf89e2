//! A policy's `spec.secrets`, compiled: the scanner, what is disabled and
//! what is allowed.

use crate::diag::Severity;
use crate::eval::matcher::glob;
use crate::parse::Document;
use crate::policy::{valid_name, PolicyError, PolicyErrorKind, SecretsSpec};
use crate::redact::detectors::{Custom, Scanner, KEYED_DETECTORS, TOKEN_DETECTORS};
use regex::Regex;
use std::collections::HashSet;
use std::sync::Arc;

/// The rule ids, with their default severity (`secret-placeholder` is an
/// error only in `production`) and what each checks (docs/secrets.md).
pub const RULES: &[(&str, Severity, &str)] = &[
    ("secret-in-configmap", Severity::Error, "a credential in a ConfigMap, a file embedded in one, a container's command or args, or a plain env value; move it to a Secret"),
    ("secret-env-var", Severity::Warning, "a Secret passed as an env var, which child processes inherit and crash reports can expose; mount it as a file"),
    ("secret-file-mode", Severity::Error, "a Secret volume readable beyond its owner (no defaultMode means 0644); set the mode the pod can read"),
    ("secret-invalid-base64", Severity::Error, "Secret data that is not padded standard base64, which the API server refuses"),
    ("secret-placeholder", Severity::Warning, "a Secret value that is a placeholder, an unrendered template or a documented example key (an error with --env production)"),
    ("secret-plaintext-manifest", Severity::Warning, "a Secret with literal data committed in a manifest; use a SealedSecret or an ExternalSecret"),
    ("rbac-secrets-wildcard", Severity::Error, "RBAC that reads every Secret of a namespace or the cluster"),
    ("dockerconfigjson-invalid", Severity::Error, "a registry Secret whose .dockerconfigjson is not valid, so image pulls fail"),
];

/// A policy's secret rules, compiled once.
pub struct CompiledSecrets {
    pub(super) scanner: Arc<Scanner>,
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
        .map(|(id, ..)| *id)
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
            if !valid_name(&p.id) {
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Name,
                        file,
                        at(&format!("/patterns/{i}/id")),
                        format!("`secrets.patterns[{i}].id`: `{}` is not a valid id", p.id),
                    )
                    .with_hint("use lowercase letters, digits and `-`"),
                );
            } else if known_ids().any(|k| k == p.id) || !custom_ids.insert(&p.id) {
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Name,
                        file,
                        at(&format!("/patterns/{i}/id")),
                        format!("`secrets.patterns[{i}].id`: `{}` is already taken", p.id),
                    )
                    .with_hint("built-in rule and detector ids are listed in docs/secrets.md"),
                );
            }
            match crate::redact::detectors::check_custom_regex(&p.regex) {
                Ok(re) => {
                    if re.is_match("") {
                        errors.push(
                            PolicyError::at(
                                PolicyErrorKind::Regex,
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
 PolicyErrorKind::Regex,
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
                        PolicyErrorKind::Regex,
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
                        PolicyErrorKind::Name,
                        file,
                        at(&format!("/disable/{i}")),
                        format!("`secrets.disable[{i}]`: unknown rule or detector id `{id}`"),
                    )
                    .with_hint(format!(
                        "rule ids: {}; detector ids are listed in docs/secrets.md",
                        RULES
                            .iter()
                            .map(|(r, ..)| *r)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
        let mut allow_regexes = Vec::new();
        for (i, r) in spec.allowlist.regexes.iter().enumerate() {
            match crate::redact::detectors::check_custom_regex(r) {
                Ok(re) => allow_regexes.push(re),
                Err(msg) => errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Regex,
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
                        PolicyErrorKind::Pointer,
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
                PolicyErrorKind::Regex,
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

    /// The scanner with the policy's own token formats, if it has any.
    pub fn own_scanner(&self) -> Option<&Scanner> {
        self.own_patterns.then_some(&*self.scanner)
    }

    /// The secret rules the policy runs (all but `disable`d ones), with
    /// their default severity and what each checks.
    pub fn rules(&self) -> impl Iterator<Item = (&'static str, Severity, &'static str)> + '_ {
        RULES.iter().copied().filter(|(id, ..)| self.enabled(id))
    }

    pub(super) fn enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id)
    }

    pub(super) fn allowed_value(&self, v: &str) -> bool {
        self.allow_values.iter().any(|a| a == v) || self.allow_regexes.iter().any(|r| r.is_match(v))
    }

    pub(super) fn allowed_path(&self, path: &str) -> bool {
        self.allow_paths.iter().any(|p| glob(p, path))
    }
}

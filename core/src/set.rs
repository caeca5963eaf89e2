//! A `PolicySet`: every policy of a load, compiled once, and the choice of
//! the policies that apply to a document.

use crate::diag::Finding;
use crate::eval::limits::Limits;
use crate::eval::schema_files::{NoFiles, SchemaFiles};
use crate::eval::{CompiledPolicy, EvalInput, Identity};
use crate::parse::{lookup, Document};
use crate::policy::{read_policy_sources, valid_name, PolicyError, PolicyErrorKind};
use crate::redact::{redact_findings, Withheld};
use crate::rollout::RolloutPolicy;
use serde_json::Value;
use std::collections::BTreeMap;

/// A set of compiled policies.
pub struct PolicySet {
    pub policies: Vec<CompiledPolicy>,
    /// Rollout policies: `decide` uses them, `check` does not.
    pub rollouts: Vec<RolloutPolicy>,
    /// What documents are checked within (docs/limits.md): the defaults
    /// unless the host sets others ([`PolicySet::with_limits`]); a call of
    /// the JSON API may bring its own.
    pub limits: Limits,
}

impl PolicySet {
    /// Loads and compiles every policy in `files` (name, text). All problems are
    /// reported, not just the first.
    /// Documents that are not policies are skipped (a directory may hold other files).
    pub fn load(files: &[(String, String)]) -> Result<PolicySet, Vec<PolicyError>> {
        Self::load_with(files, &NoFiles)
    }

    /// Like `load`, with JSON Schema `$ref`s to other files read through `host`.
    pub fn load_with(
        files: &[(String, String)],
        host: &dyn SchemaFiles,
    ) -> Result<PolicySet, Vec<PolicyError>> {
        let (sources, mut errors) = read_policy_sources(files);
        let mut policies = Vec::new();
        let mut rollouts = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for source in &sources {
            let name = &source.header.metadata.name;
            let name_pos = source
                .document
                .map
                .locate("/metadata/name")
                .unwrap_or_default();
            if !valid_name(name) {
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Name,
                        &source.file,
                        name_pos,
                        format!("`metadata.name`: `{name}` is not a valid name"),
                    )
                    .with_hint("use lowercase letters, digits and `-`"),
                );
            }
            if let Some(first) = seen.insert(name.clone(), source.file.clone()) {
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Name,
                        &source.file,
                        name_pos,
                        format!("`metadata.name`: duplicate policy name `{name}`"),
                    )
                    .with_hint(format!("`{name}` is already defined in {first}")),
                );
            }
            match source.header.kind.as_str() {
                "ValidationPolicy" => match CompiledPolicy::compile(source, host) {
                    Ok(p) => policies.push(p),
                    Err(mut e) => errors.append(&mut e),
                },
                "RolloutPolicy" => match crate::rollout::compile(source) {
                    Ok(p) => rollouts.push(p),
                    Err(mut e) => errors.append(&mut e),
                },
                other => {
                    let pos = source.document.map.locate("/kind").unwrap_or_default();
                    errors.push(
                        PolicyError::at(
                            PolicyErrorKind::Shape,
                            &source.file,
                            pos,
                            format!("`kind`: unsupported kind `{other}`"),
                        )
                        .with_hint("use `ValidationPolicy` or `RolloutPolicy`"),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(PolicySet {
                policies,
                rollouts,
                limits: Limits::DEFAULT,
            })
        } else {
            Err(errors)
        }
    }

    /// This set, checking documents within `limits`.
    pub fn with_limits(mut self, limits: Limits) -> PolicySet {
        self.limits = limits;
        self
    }

    /// The rollout policy called `name`, or the only one when no name is given.
    pub fn rollout(&self, name: Option<&str>) -> Result<&RolloutPolicy, NoRollout> {
        let names: Vec<&str> = self.rollouts.iter().map(|r| r.name.as_str()).collect();
        choose_rollout(&names, name).map(|i| &self.rollouts[i])
    }

    /// Evaluates one document against every applicable policy.
    pub fn evaluate<'s>(
        &'s self,
        doc: &Document,
        input: &EvalInput,
    ) -> Vec<(&'s CompiledPolicy, Vec<Finding>)> {
        // Looked up once per document, and only if some policy has a `match`.
        let matching = self.policies.iter().any(|p| p.has_match());
        let id = if matching {
            Identity::of(&doc.value)
        } else {
            Identity::default()
        };
        let labels = matching
            .then(|| lookup(&doc.value, "/metadata/labels"))
            .flatten();
        let has_label = |key: &str, value: &str| {
            labels.and_then(|l| l.get(key)).and_then(Value::as_str) == Some(value)
        };
        let applicable: Vec<&CompiledPolicy> = self
            .policies
            .iter()
            .filter(|p| p.applies_to(&id, has_label))
            .collect();
        if applicable.is_empty() {
            return Vec::new();
        }
        // Findings are redacted together: a secret one policy found is
        // withheld from another's messages.
        let mut withheld = Withheld::default();
        let mut evaluated: Vec<_> = applicable
            .into_iter()
            .map(|p| (p, p.evaluate(doc, input, &mut withheld)))
            .collect();
        let findings = evaluated.iter_mut().flat_map(|(_, f)| f.iter_mut());
        redact_findings(findings, &doc.value, input.old, &withheld);
        evaluated
    }
}

/// Why no rollout policy can decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoRollout {
    #[error("{}", unknown(.name, .loaded))]
    Unknown { name: String, loaded: Vec<String> },
    #[error("no rollout policy loaded (a rollout policy has `kind: RolloutPolicy`)")]
    NoneLoaded,
    #[error("{} rollout policies are loaded ({}); name one", .loaded.len(), listed(.loaded))]
    Ambiguous { loaded: Vec<String> },
}

fn listed(names: &[String]) -> String {
    let all: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    all.join(", ")
}

fn unknown(name: &str, loaded: &[String]) -> String {
    if loaded.is_empty() {
        format!("no rollout policy `{name}`: no rollout policies are loaded")
    } else {
        format!("no rollout policy `{name}`; loaded: {}", listed(loaded))
    }
}

/// Which of the rollout policies `names` a decision uses: the one called
/// `name`, or the only one. Hosts holding only the names (a module's
/// metadata) choose the same way, with the same messages.
pub fn choose_rollout(names: &[&str], name: Option<&str>) -> Result<usize, NoRollout> {
    let loaded = || names.iter().map(|n| (*n).to_owned()).collect();
    match name {
        Some(n) => names
            .iter()
            .position(|r| *r == n)
            .ok_or_else(|| NoRollout::Unknown {
                name: n.to_owned(),
                loaded: loaded(),
            }),
        None => match names.len() {
            1 => Ok(0),
            0 => Err(NoRollout::NoneLoaded),
            _ => Err(NoRollout::Ambiguous { loaded: loaded() }),
        },
    }
}

//! `describe`: the policies of a set, their rules and what each checks, as
//! hosts and module metadata list them.

use crate::diag::Severity;
use crate::set::PolicySet;
use serde::{Deserialize, Serialize};

/// One policy of a set, as `describe` and module metadata list them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInfo {
    pub name: String,
    pub kind: String,
    pub file: String,
    /// The environments the policy names, sorted; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// What a validation policy checks, of `schema`, `embedded`, `rules`
    /// and `secrets`: a host can tell a policy that validates a config's
    /// content from one that only looks for secrets in every document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// The JSON pointers of the policy's embedded files: a host that guards
    /// one file of a ConfigMap can tell whether a policy reads that file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedded: Vec<String>,
    /// A validation policy's rules, in order, with their estimated CEL cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleInfo>,
    /// The built-in secret rules it runs (docs/secrets.md), when `secrets`
    /// is on: all but the `disable`d ones.
    #[serde(default, rename = "secretRules", skip_serializing_if = "Vec::is_empty")]
    pub secret_rules: Vec<SecretRuleInfo>,
}

/// One rule of a policy, as `describe` lists it. `severity` and
/// `description` are absent from the metadata of modules built before they
/// were listed, and read as `error` and none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleInfo {
    pub name: String,
    #[serde(default)]
    pub severity: Severity,
    /// Its `description`, or else its static `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub estimated_cost: EstimatedCost,
}

/// One built-in secret rule a policy runs, with its default severity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretRuleInfo {
    pub name: String,
    pub severity: Severity,
    pub description: String,
}

/// The most CEL cost a rule's `expr`, `when` and `messageExpr` may spend
/// together on one document (docs/cel.md, "How much work a rule may do").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimatedCost {
    pub max: u64,
    pub bounded_by: CostBound,
}

/// What bounds an estimated cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CostBound {
    /// The policy: its schema's `maxItems`, `maxProperties`, `maxLength`,
    /// `enum` and `const`, its params, the rule's literals. A rule over the
    /// default budget this way does not load.
    #[serde(rename = "schema")]
    Schema,
    /// The document limits alone (with their default values): the budget
    /// of the run stops the rule on a document that takes it that far.
    #[serde(rename = "document limits")]
    DocumentLimits,
}

/// The policies of a set.
pub fn describe(set: &PolicySet) -> Vec<PolicyInfo> {
    let info = |name: &str, kind: &str, file: &str, environments: Vec<String>| PolicyInfo {
        name: name.to_owned(),
        kind: kind.to_owned(),
        file: file.to_owned(),
        environments,
        checks: Vec::new(),
        embedded: Vec::new(),
        rules: Vec::new(),
        secret_rules: Vec::new(),
    };
    let validation = set.policies.iter().map(|p| PolicyInfo {
        checks: p.checks().into_iter().map(str::to_owned).collect(),
        embedded: p.embedded_paths().map(str::to_owned).collect(),
        rules: p
            .rule_costs()
            .zip(p.rule_summaries())
            .map(|((name, cost), (severity, description))| RuleInfo {
                name: name.to_owned(),
                severity,
                description: description.map(str::to_owned),
                estimated_cost: EstimatedCost {
                    max: cost.max,
                    bounded_by: match cost.bounded_by_policy {
                        true => CostBound::Schema,
                        false => CostBound::DocumentLimits,
                    },
                },
            })
            .collect(),
        secret_rules: p
            .secret_rules()
            .map(|(name, severity, description)| SecretRuleInfo {
                name: name.to_owned(),
                severity,
                description: description.to_owned(),
            })
            .collect(),
        ..info(&p.name, "ValidationPolicy", &p.file, p.environments.clone())
    });
    let rollout = set.rollouts.iter().map(|p| {
        let environments = p.environments.keys().cloned().collect();
        info(&p.name, "RolloutPolicy", &p.file, environments)
    });
    validation.chain(rollout).collect()
}

//! The RBAC rule: Roles that grant every Secret.

use super::k8s::Ctx;
use crate::diag::Severity;
use serde_json::Value;

impl Ctx<'_> {
    pub(super) fn rbac(&mut self, kind: &str) {
        let Some(Value::Array(rules)) = self.doc.value.get("rules") else {
            return;
        };
        let name = self
            .doc
            .value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        for (i, r) in rules.iter().enumerate() {
            let list = |k: &str| -> Vec<&str> {
                r.get(k)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default()
            };
            let groups = list("apiGroups");
            let resources = list("resources");
            let verbs = list("verbs");
            let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || *g == "*");
            let covers = resources.iter().any(|x| *x == "secrets" || *x == "*");
            if !core || !covers {
                continue;
            }
            let named = !list("resourceNames").is_empty();
            let reads: Vec<&str> = if verbs.contains(&"*") {
                vec!["get", "list", "watch"]
            } else {
                ["get", "list", "watch"]
                    .into_iter()
                    .filter(|v| verbs.contains(v))
                    .collect()
            };
            let flagged: Vec<&str> = reads
                .into_iter()
                .filter(|v| !named || *v != "get")
                .collect();
            if flagged.is_empty() {
                continue;
            }
            let mut how = Vec::new();
            if resources.contains(&"*") {
                how.push("resources: [\"*\"] covers secrets");
            }
            if verbs.contains(&"*") {
                how.push("verbs: [\"*\"] covers get, list and watch");
            }
            let how = if how.is_empty() {
                String::new()
            } else {
                format!(" ({})", how.join("; "))
            };
            let scope = if kind == "ClusterRole" {
                "in every namespace"
            } else {
                "in its namespace"
            };
            let message = if named {
                format!(
                    "{kind} `{name}` grants {} on secrets{how}: resourceNames does not limit list or watch, so every Secret {scope} is readable; keep only `get` with resourceNames",
                    flagged.join(", ")
                )
            } else {
                format!(
                    "{kind} `{name}` grants {} on secrets without resourceNames{how}: every Secret {scope} is readable; grant only `get` with resourceNames listing the Secrets it needs",
                    flagged.join(", ")
                )
            };
            self.push(
                "rbac-secrets-wildcard",
                Severity::Error,
                message,
                &format!("/rules/{i}/verbs"),
                None,
            );
        }
    }
}

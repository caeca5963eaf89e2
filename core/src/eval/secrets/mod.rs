//! Built-in secret-handling rules (docs/secrets.md), switched on per policy with
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

mod config;
mod k8s;
mod pods;
mod rbac;
mod secret;
mod workloads;

pub use config::CompiledSecrets;

use crate::diag::Finding;
use crate::eval::input::EvalInput;
use crate::parse::Document;

impl CompiledSecrets {
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
}

//! Compiling a validation policy once, and evaluating documents with it:
//! `matcher` chooses documents, then `schema` (with `schema_files` for
//! `$ref`s), `embedded` files, `rules` and `secrets` make the findings;
//! `cost` estimates what the rules may spend.

mod cost;
mod embedded;
pub(crate) mod input;
pub mod limits;
pub(crate) mod matcher;
mod rules;
pub mod schema;
pub mod schema_files;
pub(crate) mod secrets;

pub use cost::RuleCost;
pub use input::EvalInput;
pub use matcher::Identity;

use crate::cel::access::Reaches;
use crate::diag::{Finding, Severity};
use crate::parse::{lookup, Document};
use crate::policy::{
    pointer_error, typed_all, MatchSpec, PolicyError, PolicyErrorKind, PolicySource, ValidationSpec,
};
use crate::redact::Withheld;
use cel::Context;
use embedded::{CompiledEmbedded, DocPositions};
use rules::{compile_rule, reaches_of, CompiledRule};
use schema::Schema;
use schema_files::{read_referenced, SchemaFiles};
use secrets::CompiledSecrets;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub struct CompiledPolicy {
    pub name: String,
    pub file: String,
    /// The environments the policy names (`spec.environments` and rules'
    /// `environments`), sorted, for hosts that offer a choice of them.
    pub environments: Vec<String>,
    matcher: Option<MatchSpec>,
    params_default: Value,
    params_by_env: BTreeMap<String, Value>,
    schema: Option<CompiledSchema>,
    embedded: Vec<CompiledEmbedded>,
    rules: Vec<CompiledRule>,
    /// Each rule's estimated CEL cost, in the order of `rules`.
    costs: Vec<RuleCost>,
    /// The parts of the variables that `rules` can reach.
    reaches: Reaches,
    secrets: Option<CompiledSecrets>,
}

struct CompiledSchema {
    path: String,
    schema: Schema,
}

/// What a schema-only policy checks (see `CompiledPolicy::schema_only`).
pub struct SchemaOnly<'a> {
    /// The JSON pointer the schema applies to.
    pub path: &'a str,
    pub schema: &'a Value,
}

impl CompiledPolicy {
    /// Compiles one `ValidationPolicy`; every problem is reported.
    pub(crate) fn compile(
        source: &PolicySource,
        host: &dyn SchemaFiles,
    ) -> Result<CompiledPolicy, Vec<PolicyError>> {
        let file = source.file.as_str();
        let doc = &source.document;
        let (spec, mut errors) =
            typed_all::<ValidationSpec>(file, doc, "/spec", &source.header.spec);
        let Some(spec) = spec else {
            return Err(errors);
        };
        let at = |pointer: &str| doc.map.locate(pointer).unwrap_or_default();

        // Reads the files a schema refers to, then compiles it.
        let compile_schema = |schema: &Value, coerce, base: &str| {
            let files = read_referenced(schema, file, &doc.map, base, host)?;
            Schema::compile(schema, coerce, file, at(base), files).map_err(|e| vec![e])
        };
        if let Some(s) = &spec.schema {
            errors.extend(pointer_error(
                file,
                at("/spec/schema/path"),
                "`schema.path`",
                &s.path,
            ));
        }
        for (i, e) in spec.embedded.iter().enumerate() {
            let field = format!("`embedded[{i}].path`");
            let pos = at(&format!("/spec/embedded/{i}/path"));
            errors.extend(pointer_error(file, pos, &field, &e.path));
        }
        let schema = spec.schema.as_ref().and_then(|s| {
            match compile_schema(&s.json_schema, s.coerce, "/spec/schema/jsonSchema") {
                Ok(schema) => Some(CompiledSchema {
                    path: s.path.clone(),
                    schema,
                }),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            }
        });

        let mut embedded = Vec::new();
        for (i, e) in spec.embedded.iter().enumerate() {
            let schema = match &e.json_schema {
                Some(js) => {
                    match compile_schema(js, e.coerce, &format!("/spec/embedded/{i}/jsonSchema")) {
                        Ok(v) => Some(v),
                        Err(mut err) => {
                            errors.append(&mut err);
                            None
                        }
                    }
                }
                None => None,
            };
            embedded.push(CompiledEmbedded {
                spec: e.clone(),
                schema,
            });
        }

        let params_default = Value::Object(spec.params.clone());
        let params_by_env: BTreeMap<String, Value> = spec
            .environments
            .iter()
            .map(|(name, e)| {
                let mut merged = Value::Object(spec.params.clone());
                deep_merge(&mut merged, &Value::Object(e.params.clone()));
                (name.clone(), merged)
            })
            .collect();
        // What rules read, for their estimated CEL cost.
        let params = std::iter::once(&params_default).chain(params_by_env.values());
        let sizes = cost::PolicySizes::new(&spec, params.collect());
        let mut costs = Vec::new();

        let mut rules = Vec::new();
        let mut rule_names = HashSet::new();
        for (i, r) in spec.rules.iter().enumerate() {
            let base = format!("/spec/rules/{i}");
            if !rule_names.insert(r.name.clone()) {
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Name,
                        file,
                        at(&format!("{base}/name")),
                        format!("`rules[{i}].name`: duplicate rule name `{}`", r.name),
                    )
                    .with_rule(&r.name)
                    .with_hint("rule names must be unique within a policy"),
                );
            }
            match compile_rule(file, doc, &base, r) {
                Ok(rule) => {
                    let (cost, error) = cost::estimate_rule(file, doc, &base, &rule, &sizes);
                    costs.push(cost);
                    errors.extend(error);
                    rules.push(rule);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }

        let environments: BTreeSet<String> = spec
            .environments
            .keys()
            .chain(
                spec.rules
                    .iter()
                    .flat_map(|r| r.environments.iter().flatten()),
            )
            .cloned()
            .collect();

        let secrets =
            CompiledSecrets::compile(spec.secrets.as_ref(), file, doc).unwrap_or_else(|mut e| {
                errors.append(&mut e);
                None
            });

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CompiledPolicy {
            name: source.header.metadata.name.clone(),
            file: file.to_owned(),
            environments: environments.into_iter().collect(),
            matcher: spec.matcher,
            params_default,
            params_by_env,
            schema,
            embedded,
            reaches: reaches_of(&rules),
            rules,
            costs,
            secrets,
        })
    }
}

impl CompiledPolicy {
    /// The policy's schema, when it is the policy's only check and needs no
    /// coercion or other files. A document it passes has no findings, so a
    /// host that can run the schema on its own objects (Python's) may skip
    /// converting documents that pass (`check::passed`).
    pub fn schema_only(&self) -> Option<SchemaOnly<'_>> {
        if !self.embedded.is_empty() || !self.rules.is_empty() || self.secrets.is_some() {
            return None;
        }
        let s = self.schema.as_ref()?;
        Some(SchemaOnly {
            path: &s.path,
            schema: s.schema.plain()?,
        })
    }

    /// Each rule's name and estimated CEL cost on one document, in order.
    pub fn rule_costs(&self) -> impl Iterator<Item = (&str, RuleCost)> {
        let names = self.rules.iter().map(|r| r.name.as_str());
        names.zip(self.costs.iter().copied())
    }

    /// Each rule's severity and description (its `description`, or else its
    /// static `message`), in order.
    pub fn rule_summaries(&self) -> impl Iterator<Item = (Severity, Option<&str>)> {
        self.rules
            .iter()
            .map(|r| (r.severity, r.description.as_deref()))
    }

    /// The built-in secret rules the policy runs, when `secrets` is on.
    pub fn secret_rules(
        &self,
    ) -> impl Iterator<Item = (&'static str, Severity, &'static str)> + '_ {
        self.secrets.iter().flat_map(|s| s.rules())
    }

    /// Whether the policy has a `match` (else it applies to every document).
    pub fn has_match(&self) -> bool {
        self.matcher.is_some()
    }

    /// The JSON pointers of the embedded files the policy reads.
    pub fn embedded_paths(&self) -> impl Iterator<Item = &str> {
        self.embedded.iter().map(|e| e.spec.path.as_str())
    }

    /// What the policy checks: `schema`, `embedded`, `rules`, `secrets`.
    pub fn checks(&self) -> Vec<&'static str> {
        [
            ("schema", self.schema.is_some()),
            ("embedded", !self.embedded.is_empty()),
            ("rules", !self.rules.is_empty()),
            ("secrets", self.secrets.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, has)| has.then_some(name))
        .collect()
    }

    /// Whether the policy's `match` takes the document `id` names;
    /// `has_label(key, value)` tells whether the document has that label.
    pub fn applies_to(&self, id: &Identity, has_label: impl Fn(&str, &str) -> bool) -> bool {
        self.matcher
            .as_ref()
            .is_none_or(|m| matcher::matches(m, id, has_label))
    }

    /// Evaluates one document against this policy alone. The findings are
    /// not yet redacted: what must be withheld from them is added to `withheld`.
    pub(crate) fn evaluate<'p>(
        &'p self,
        doc: &Document,
        input: &EvalInput,
        withheld: &mut Withheld<'p>,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Some(schema) = &self.schema {
            match lookup(&doc.value, &schema.path) {
                Some(target) => {
                    schema
                        .schema
                        .validate(target, &schema.path, "schema", &doc.map, &mut findings)
                }
                None => findings.push(Finding::new(
                    "schema",
                    Severity::Error,
                    format!("`{}` is missing; the schema applies to it", schema.path),
                    &schema.path,
                    &doc.map,
                )),
            }
        }
        let mut embedded_values = Map::new();
        // Rule findings may point into embedded files, so they see their positions too.
        let mut positions = DocPositions {
            outer: &doc.map,
            embedded: Vec::new(),
        };
        for e in &self.embedded {
            if let Some((value, inner)) = e.check(doc, input.parse, &mut findings) {
                embedded_values.insert(e.spec.path.clone(), value);
                positions.embedded.push(inner);
            }
        }
        let embedded = Value::Object(embedded_values);
        // A CEL context costs thousands of instructions: only for rules.
        if !self.rules.is_empty() {
            self.run_rules(doc, input, &embedded, &positions, &mut findings);
        }
        if let Value::Object(files) = embedded {
            withheld.embedded.extend(files.into_iter().map(|(_, v)| v));
        }
        if let Some(secrets) = &self.secrets {
            secrets.evaluate(doc, input, &mut findings, &mut withheld.found);
            withheld.scanners.extend(secrets.own_scanner());
        }
        findings
    }

    fn run_rules(
        &self,
        doc: &Document,
        input: &EvalInput,
        embedded: &Value,
        positions: &DocPositions,
        findings: &mut Vec<Finding>,
    ) {
        let params = self
            .params_by_env
            .get(input.env)
            .unwrap_or(&self.params_default);
        let old = input.old.unwrap_or(&Value::Null);
        let request = input.request.unwrap_or(&Value::Null);
        let env = Value::String(input.env.to_owned());
        let mut ctx = Context::with_env(crate::cel::env());
        for (name, value) in [
            ("object", &doc.value),
            ("oldObject", old),
            ("request", request),
            ("params", params),
            ("env", &env),
            ("embedded", embedded),
        ] {
            if let Some(reach) = self.reaches.of(name) {
                ctx.add_variable_as_val(name, reach.to_cel(value));
            }
        }
        for rule in &self.rules {
            if let Some(envs) = &rule.environments {
                if !envs.iter().any(|e| e == input.env) {
                    continue;
                }
            }
            if let Some(f) = rule.run(&ctx, positions, input.cel_cost) {
                findings.push(f);
            }
        }
    }
}

pub fn deep_merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[cfg(test)]
mod tests {

    /// A token pasted into a policy by mistake is quoted redacted by every
    /// host's load error, not only by the JSON API's.
    #[test]
    fn load_errors_do_not_quote_tokens() {
        let token = "ghp_LoadFake8hfqEnMCxKJ9UlB8VGFHKGNZv9nCd";
        let policy = format!(
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: p}}\nspec:\n  secrets:\n    allowlist:\n      paths: [{token}]\n    disable: [{token}]\n"
        );
        let errors = crate::PolicySet::load(&[("p.yaml".into(), policy)])
            .err()
            .unwrap_or_default();
        assert_eq!(errors.len(), 2, "{errors:?}");
        for e in &errors {
            assert!(!e.to_string().contains(token), "{e}");
            assert!(e.to_string().contains("ghp_***"), "{e}");
        }
    }

    /// A value of the wrong type does not hide the problems after it: each
    /// is reported at its line, as unknown fields are.
    #[test]
    fn every_wrong_type_in_a_policy_is_reported() {
        let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      expr: 'true'\n      severity: loud\n      path: [not, a, string]\n      message: {not: text}\n";
        let errors = crate::PolicySet::load(&[("p.yaml".into(), policy.into())])
            .err()
            .unwrap_or_default();
        let mut lines: Vec<u32> = errors.iter().map(|e| e.line).collect();
        lines.sort_unstable();
        assert_eq!(lines, [8, 9, 10], "{errors:?}");
    }
}

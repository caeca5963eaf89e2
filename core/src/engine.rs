//! Compiling validation policies once and evaluating documents against them.

use crate::cel_access::Reaches;
use crate::cel_lib;
use crate::policy::{
    read_policy_sources, typed_all, EmbeddedFormat, EmbeddedSpec, MatchSpec, PolicyError,
    PolicySource, RuleSpec, Severity, ValidationSpec,
};
use crate::report::{Finding, Locate};
use crate::rollout::RolloutPolicy;
use crate::schema::Schema;
use crate::schema_files::{read_referenced, NoFiles, SchemaFiles};
use crate::secrets::{redact_findings, Withheld};
use crate::source::{lookup, parse_env, parse_stream, BlockText, Document, Pos, SourceMap};
use cel::common::ast::{Expr, LiteralValue};
use cel::{Context, Program};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A set of compiled policies.
pub struct PolicySet {
    pub policies: Vec<CompiledPolicy>,
    /// Rollout policies: `decide` uses them, `check` does not.
    pub rollouts: Vec<RolloutPolicy>,
}

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
    /// The parts of the variables that `rules` can reach.
    reaches: Reaches,
    secrets: Option<crate::secrets::CompiledSecrets>,
}

struct CompiledSchema {
    path: String,
    schema: Schema,
}

struct CompiledEmbedded {
    spec: EmbeddedSpec,
    schema: Option<Schema>,
}

struct CompiledRule {
    name: String,
    expr: Program,
    when: Option<Program>,
    message: Option<String>,
    message_expr: Option<Program>,
    path: String,
    severity: Severity,
    environments: Option<Vec<String>>,
    source: String,
}

/// What a document is evaluated with.
#[derive(Default)]
pub struct EvalInput<'a> {
    pub env: &'a str,
    pub old: Option<&'a Value>,
    pub request: Option<&'a Value>,
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
                        &source.file,
                        name_pos,
                        format!("`metadata.name`: duplicate policy name `{name}`"),
                    )
                    .with_hint(format!("`{name}` is already defined in {first}")),
                );
            }
            match source.header.kind.as_str() {
                "ValidationPolicy" => match compile(source, host) {
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
            Ok(PolicySet { policies, rollouts })
        } else {
            Err(errors)
        }
    }

    /// The rollout policy called `name`, or the only one when no name is given.
    pub fn rollout(&self, name: Option<&str>) -> Result<&RolloutPolicy, String> {
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
        let matching = self.policies.iter().any(|p| p.matcher.is_some());
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

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn compile(
    source: &PolicySource,
    host: &dyn SchemaFiles,
) -> Result<CompiledPolicy, Vec<PolicyError>> {
    let file = source.file.as_str();
    let doc = &source.document;
    let (spec, mut errors) = typed_all::<ValidationSpec>(file, doc, "/spec", &source.header.spec);
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

    let mut rules = Vec::new();
    let mut rule_names = HashSet::new();
    for (i, r) in spec.rules.iter().enumerate() {
        let base = format!("/spec/rules/{i}");
        if !rule_names.insert(r.name.clone()) {
            errors.push(
                PolicyError::at(
                    file,
                    at(&format!("{base}/name")),
                    format!("`rules[{i}].name`: duplicate rule name `{}`", r.name),
                )
                .with_rule(&r.name)
                .with_hint("rule names must be unique within a policy"),
            );
        }
        match compile_rule(file, doc, &base, r) {
            Ok(rule) => rules.push(rule),
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
    let params_default = Value::Object(spec.params.clone());
    let params_by_env = spec
        .environments
        .iter()
        .map(|(name, e)| {
            let mut merged = Value::Object(spec.params.clone());
            deep_merge(&mut merged, &Value::Object(e.params.clone()));
            (name.clone(), merged)
        })
        .collect();

    let secrets = crate::secrets::CompiledSecrets::compile(spec.secrets.as_ref(), file, doc)
        .unwrap_or_else(|mut e| {
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
        secrets,
    })
}

/// Which of the rollout policies `names` a decision uses: the one called
/// `name`, or the only one. Hosts holding only the names (a module's
/// metadata) choose the same way, with the same messages.
pub fn choose_rollout(names: &[&str], name: Option<&str>) -> Result<usize, String> {
    let listed = || {
        let all: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        all.join(", ")
    };
    match name {
        Some(n) => names
            .iter()
            .position(|r| *r == n)
            .ok_or_else(|| match names.len() {
                0 => format!("no rollout policy `{n}`: no rollout policies are loaded"),
                _ => format!("no rollout policy `{n}`; loaded: {}", listed()),
            }),
        None => match names.len() {
            1 => Ok(0),
            0 => Err(
                "no rollout policy loaded (a rollout policy has `kind: RolloutPolicy`)".to_owned(),
            ),
            count => Err(format!(
                "{count} rollout policies are loaded ({}); name one",
                listed()
            )),
        },
    }
}

fn reaches_of(rules: &[CompiledRule]) -> Reaches {
    let mut reaches = Reaches::default();
    for r in rules {
        for program in [Some(&r.expr), r.when.as_ref(), r.message_expr.as_ref()]
            .into_iter()
            .flatten()
        {
            reaches.add(program.expression());
        }
    }
    reaches
}

fn compile_rule(
    file: &str,
    doc: &Document,
    base: &str,
    r: &RuleSpec,
) -> Result<CompiledRule, Vec<PolicyError>> {
    let mut errors = Vec::new();
    let mut one = |field: &str, text: &str, must_be_bool: bool| -> Option<Program> {
        let pointer = format!("{base}/{field}");
        match compile_cel(text, must_be_bool) {
            Ok(p) => Some(p),
            Err((msg, offset)) => {
                let mut pos = doc.map.locate(&pointer).unwrap_or_default();
                pos.column += offset;
                errors.push(
                    PolicyError::at(file, pos, format!("rule `{}` `{field}`: {msg}", r.name))
                        .with_rule(&r.name)
                        .with_hint("see docs/cel.md for the variables and functions rules can use"),
                );
                None
            }
        }
    };
    let expr = one("expr", &r.expr, true);
    let when = r.when.as_deref().map(|w| one("when", w, true));
    let message_expr = r
        .message_expr
        .as_deref()
        .map(|m| one("messageExpr", m, false));
    let path = r.path.clone().unwrap_or_default();
    let pos = doc.map.locate(&format!("{base}/path")).unwrap_or_default();
    let field = format!("rule `{}` `path`", r.name);
    errors.extend(pointer_error(file, pos, &field, &path).map(|e| e.with_rule(&r.name)));
    match (expr, when, message_expr) {
        (Some(expr), when @ (None | Some(Some(_))), message_expr @ (None | Some(Some(_))))
            if errors.is_empty() =>
        {
            Ok(CompiledRule {
                name: r.name.clone(),
                expr,
                when: when.flatten(),
                message: r.message.clone(),
                message_expr: message_expr.flatten(),
                path,
                severity: r.severity,
                environments: r.environments.clone(),
                source: r.expr.clone(),
            })
        }
        _ => Err(errors),
    }
}

/// A `path` that is not a JSON pointer (`data` where `/data` was meant),
/// which would find nothing in any document.
fn pointer_error(file: &str, pos: Pos, field: &str, path: &str) -> Option<PolicyError> {
    if path.is_empty() || path.starts_with('/') {
        return None;
    }
    let hint = format!("write it like `/{}`", path.replace('.', "/"));
    Some(
        PolicyError::at(
            file,
            pos,
            format!("{field}: `{path}` is not a JSON pointer"),
        )
        .with_hint(hint),
    )
}

/// Compiles a CEL expression and rejects what can be known to be wrong before
/// running it: syntax, unknown variables and functions, non-bool results.
/// The error carries the column offset inside the expression.
fn compile_cel(text: &str, must_be_bool: bool) -> Result<Program, (String, u32)> {
    crate::cel_depth::check(text).map_err(|e| {
        let before = &text[..e.offset];
        // A column only when the spot is on the expression's first line.
        let column = if before.contains('\n') {
            0
        } else {
            before.chars().count() as u32
        };
        (
            format!("{}; split it into smaller rules", e.message),
            column,
        )
    })?;
    let env = cel_lib::env();
    let program = env.compile(text).map_err(|e| {
        let first = e.errors.first();
        let offset = first.map_or(0, |p| {
            if p.pos.0 <= 1 {
                p.pos.1.max(0) as u32
            } else {
                0
            }
        });
        let msg = first.map_or_else(|| e.to_string(), |p| p.msg.clone());
        (format!("CEL syntax error: {msg}"), offset)
    })?;
    if let Some(msg) = cel_lib::static_error(program.expression()) {
        return Err((msg, 0));
    }
    if must_be_bool && !may_be_bool(&program.expression().expr) {
        return Err(("expression does not yield a bool".to_owned(), 0));
    }
    Ok(program)
}

fn may_be_bool(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(LiteralValue::Boolean(_)) => true,
        Expr::Literal(_) | Expr::List(_) | Expr::Map(_) | Expr::Struct(_) => false,
        Expr::Call(call) => !matches!(
            call.func_name.as_str(),
            "_+_"
                | "_-_"
                | "_*_"
                | "_/_"
                | "_%_"
                | "-_"
                | "size"
                | "string"
                | "int"
                | "double"
                | "uint"
        ),
        _ => true,
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

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(mut remaining) = text.strip_prefix(prefix) else {
                return false;
            };
            if rest.is_empty() {
                return true;
            }
            // Try every split point for the rest of the pattern.
            loop {
                if glob(rest, remaining) {
                    return true;
                }
                let mut chars = remaining.chars();
                if chars.next().is_none() {
                    return false;
                }
                remaining = chars.as_str();
            }
        }
    }
}

/// What names a document and chooses the policies that apply to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
}

impl<'a> Identity<'a> {
    pub fn of(doc: &'a Value) -> Identity<'a> {
        let text = |p: &str| lookup(doc, p).and_then(Value::as_str);
        Identity {
            kind: text("/kind"),
            name: text("/metadata/name"),
            namespace: text("/metadata/namespace"),
        }
    }
}

/// What a schema-only policy checks (see `CompiledPolicy::schema_only`).
pub struct SchemaOnly<'a> {
    /// The JSON pointer the schema applies to.
    pub path: &'a str,
    pub schema: &'a Value,
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
        let Some(m) = &self.matcher else {
            return true;
        };
        let (kind, name, namespace) = (
            id.kind.unwrap_or(""),
            id.name.unwrap_or(""),
            id.namespace.unwrap_or(""),
        );
        (m.kinds.is_empty() || m.kinds.iter().any(|k| k == kind))
            && (m.names.is_empty() || m.names.iter().any(|p| glob(p, name)))
            && (m.namespaces.is_empty() || m.namespaces.iter().any(|p| glob(p, namespace)))
            && m.labels.iter().all(|(k, v)| has_label(k, v))
    }

    /// Evaluates one document against this policy alone. The findings are
    /// not yet redacted: what must be withheld from them is added to `withheld`.
    fn evaluate<'p>(
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
            if let Some((value, inner)) = self.check_embedded(e, doc, &mut findings) {
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
        let mut ctx = Context::with_env(cel_lib::env());
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
            if let Some(f) = rule.run(&ctx, positions) {
                findings.push(f);
            }
        }
    }

    fn check_embedded(
        &self,
        e: &CompiledEmbedded,
        doc: &Document,
        findings: &mut Vec<Finding>,
    ) -> Option<(Value, EmbeddedPositions)> {
        let path = &e.spec.path;
        let text = match lookup(&doc.value, path) {
            None | Some(Value::Null) => {
                if e.spec.required {
                    findings.push(Finding::new(
                        "embedded",
                        Severity::Error,
                        format!("embedded file `{path}` is missing"),
                        path,
                        &doc.map,
                    ));
                }
                return None;
            }
            Some(Value::String(s)) => s,
            Some(_) => {
                findings.push(Finding::new(
                    "embedded",
                    Severity::Error,
                    format!(
                        "`{path}` must be a string holding a {:?} file",
                        e.spec.format
                    )
                    .to_lowercase(),
                    path,
                    &doc.map,
                ));
                return None;
            }
        };
        let origin = match doc.map.block_text(path) {
            Some(b) => Origin::Block(b),
            None => Origin::Value(doc.map.locate(path)),
        };
        let parsed: Result<(Value, SourceMap), (Pos, String)> = match e.spec.format {
            EmbeddedFormat::Yaml | EmbeddedFormat::Json => {
                let mut documents = parse_stream(text).into_iter();
                match documents.next() {
                    // The rest would go unchecked, and a config loader
                    // reads one document (PyYAML refuses more).
                    Some(Ok(_)) if documents.len() > 0 => {
                        let second = match documents.next() {
                            Some(Ok(d)) => d.map.locate(""),
                            Some(Err(err)) => Some(Pos {
                                line: err.line,
                                column: err.column,
                            }),
                            None => None,
                        };
                        Err((
                            second.unwrap_or(Pos { line: 1, column: 1 }),
                            "it holds more than one YAML document; an embedded file is one"
                                .to_owned(),
                        ))
                    }
                    Some(Ok(d)) => {
                        if e.spec.format == EmbeddedFormat::Json && !looks_like_json(text) {
                            let start = d.map.locate("").unwrap_or(Pos { line: 1, column: 1 });
                            Err((start, "is not JSON".to_owned()))
                        } else {
                            Ok((d.value, d.map))
                        }
                    }
                    Some(Err(err)) => Err((
                        Pos {
                            line: err.line,
                            column: err.column,
                        },
                        err.message,
                    )),
                    None => Ok((Value::Null, SourceMap::default())),
                }
            }
            EmbeddedFormat::Env => parse_env(text),
        };
        let (value, map) = match parsed {
            Ok(v) => v,
            Err((pos, msg)) => {
                let mut f = Finding::new(
                    "embedded",
                    Severity::Error,
                    format!("embedded file `{path}` does not parse: {msg}"),
                    path,
                    &doc.map,
                );
                if let Some(at) = origin.place(Some(pos)) {
                    f.line = Some(at.line);
                    f.column = Some(at.column);
                }
                findings.push(f);
                return None;
            }
        };
        let positions = EmbeddedPositions {
            prefix: path.clone(),
            inner: map,
            origin,
        };
        if let Some(schema) = &e.schema {
            schema.validate(&value, path, "embedded", &positions, findings);
        }
        Some((value, positions))
    }
}

/// Where an embedded file's text is in the outer file.
enum Origin {
    /// A block scalar: its lines are the outer file's, indented.
    Block(BlockText),
    /// A quoted or plain string: everything in it is placed at the string.
    Value(Option<Pos>),
}

impl Origin {
    fn place(&self, inner: Option<Pos>) -> Option<Pos> {
        match self {
            Origin::Block(b) => inner.map(|p| Pos {
                line: p.line + b.first_line - 1,
                column: p.column + b.indent,
            }),
            Origin::Value(pos) => *pos,
        }
    }
}

/// The positions of an embedded file's values, found by their pointers in
/// the outer document (`{prefix}/...`).
struct EmbeddedPositions {
    prefix: String,
    inner: SourceMap,
    origin: Origin,
}

impl Locate for EmbeddedPositions {
    fn locate(&self, pointer: &str) -> Option<Pos> {
        let rest = pointer
            .strip_prefix(self.prefix.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))?;
        self.origin.place(self.inner.locate(rest))
    }
}

/// A document's positions, with those of its embedded files.
struct DocPositions<'d> {
    outer: &'d SourceMap,
    embedded: Vec<EmbeddedPositions>,
}

impl Locate for DocPositions<'_> {
    fn locate(&self, pointer: &str) -> Option<Pos> {
        self.embedded
            .iter()
            .find_map(|e| e.locate(pointer))
            .or_else(|| self.outer.locate(pointer))
    }
}

fn looks_like_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

impl CompiledRule {
    fn run(&self, ctx: &Context, map: &dyn Locate) -> Option<Finding> {
        let fail = |message: String| {
            Some(Finding::new(
                &self.name,
                Severity::Error,
                message,
                &self.path,
                map,
            ))
        };
        if let Some(when) = &self.when {
            match when.execute(ctx) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => return None,
                Ok(other) => {
                    return fail(format!(
                        "rule `{}` could not be evaluated: `when` yielded {} instead of a bool",
                        self.name,
                        cel_lib::display(&other)
                    ))
                }
                Err(e) => {
                    return fail(format!(
                        "rule `{}` could not be evaluated: `when`: {e}",
                        self.name
                    ))
                }
            }
        }
        match self.expr.execute(ctx) {
            Ok(cel::Value::Bool(true)) => None,
            Ok(cel::Value::Bool(false)) => {
                let message = match &self.message_expr {
                    Some(p) => match p.execute(ctx) {
                        Ok(v) => cel_lib::display(&v),
                        Err(e) => format!(
                            "{} (messageExpr failed: {e})",
                            self.message
                                .clone()
                                .unwrap_or_else(|| self.default_message())
                        ),
                    },
                    None => self
                        .message
                        .clone()
                        .unwrap_or_else(|| self.default_message()),
                };
                Some(Finding::new(
                    &self.name,
                    self.severity,
                    message,
                    &self.path,
                    map,
                ))
            }
            Ok(other) => fail(format!(
                "rule `{}` could not be evaluated: it yielded {} instead of a bool",
                self.name,
                cel_lib::display(&other)
            )),
            Err(e) => fail(format!("rule `{}` could not be evaluated: {e}", self.name)),
        }
    }

    fn default_message(&self) -> String {
        format!("failed rule `{}`: `{}`", self.name, self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("ml-*", "ml-pipeline-prod"));
        assert!(glob("*-prod", "ml-pipeline-prod"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("ml-*", "fraud"));
        assert!(glob("exact", "exact"));
    }

    /// A token pasted into a policy by mistake is quoted redacted by every
    /// host's load error, not only by the JSON API's.
    #[test]
    fn load_errors_do_not_quote_tokens() {
        let token = "ghp_LoadFake8hfqEnMCxKJ9UlB8VGFHKGNZv9nCd";
        let policy = format!(
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: p}}\nspec:\n  secrets:\n    allowlist:\n      paths: [{token}]\n    disable: [{token}]\n"
        );
        let errors = super::PolicySet::load(&[("p.yaml".into(), policy)])
            .err()
            .unwrap_or_default();
        assert_eq!(errors.len(), 2, "{errors:?}");
        for e in &errors {
            assert!(!e.to_string().contains(token), "{e}");
            assert!(e.to_string().contains("ghp_***"), "{e}");
        }
    }
}

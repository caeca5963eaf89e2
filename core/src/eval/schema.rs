//! JSON Schema checks, with `coerce: strings` and `coerce: strict`:
//! ConfigMap values are always strings, so a schema that asks for a number or
//! a boolean reads the string as one, by the grammar of docs/policies.md
//! (`read_integer`, `read_number`, `read_boolean`), not by `str::parse`.

use super::schema_files::ReadFiles;
use crate::diag::Severity;
use crate::diag::{Finding, Locate};
use crate::parse::Pos;
use crate::policy::{Coerce, PolicyError, PolicyErrorKind};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::JsonType;
use serde_json::Value;
use std::borrow::Cow;

/// A compiled JSON Schema, with its coercion plan.
pub struct Schema {
    validator: jsonschema::Validator,
    coerce: Option<CoercePlan>,
    /// `coerce: strict`: no spaces around a value, and a value that is not a
    /// string where one is read is a finding.
    strict: bool,
    /// The schema, when a host may compile it for its own objects with
    /// `options`: no coercion and no other files.
    plain: Option<Value>,
}

/// The options every schema is compiled with, for any representation of
/// JSON: the Python package compiles schemas for Python objects with them.
pub fn options<'i, F: jsonschema::json::Json>(
) -> jsonschema::ValidationOptions<'i, std::sync::Arc<dyn jsonschema::Retrieve>, F> {
    jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
}

/// Where a schema wants numbers or booleans, worked out once from the schema.
enum CoercePlan {
    /// The schema combines subschemas (`$ref`, `anyOf`, ...): follow the
    /// validator's type errors instead.
    Dynamic,
    Node {
        wants: Vec<JsonType>,
        properties: Vec<(String, CoercePlan)>,
        additional: Option<Box<CoercePlan>>,
        items: Option<Box<CoercePlan>>,
    },
}

/// Keywords whose subschemas apply to the same value in ways a static plan
/// does not follow.
const DYNAMIC_KEYWORDS: [&str; 12] = [
    "$ref",
    "$dynamicRef",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "patternProperties",
    "dependentSchemas",
    "prefixItems",
    "unevaluatedProperties",
    "unevaluatedItems",
];

impl CoercePlan {
    fn of(schema: &Value) -> CoercePlan {
        let Some(s) = schema.as_object() else {
            return CoercePlan::no_change();
        };
        if DYNAMIC_KEYWORDS.iter().any(|k| s.contains_key(*k)) {
            return CoercePlan::Dynamic;
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let wants = if types.contains(&"string") {
            Vec::new()
        } else {
            [
                ("integer", JsonType::Integer),
                ("number", JsonType::Number),
                ("boolean", JsonType::Boolean),
            ]
            .into_iter()
            .filter(|(name, _)| types.contains(name))
            .map(|(_, t)| t)
            .collect()
        };
        let sub = |key: &str| {
            s.get(key)
                .map(CoercePlan::of)
                .filter(|plan| !plan.is_no_change())
                .map(Box::new)
        };
        let additional = sub("additionalProperties");
        // With `additionalProperties` to apply, a declared property is kept
        // even when it changes nothing, so that it is not read by that.
        let properties: Vec<(String, CoercePlan)> = s
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.clone(), CoercePlan::of(v)))
                    .filter(|(_, plan)| additional.is_some() || !plan.is_no_change())
                    .collect()
            })
            .unwrap_or_default();
        let items = sub("items");
        let dynamic = |p: &CoercePlan| matches!(p, CoercePlan::Dynamic);
        if properties.iter().any(|(_, p)| dynamic(p))
            || additional.as_deref().is_some_and(dynamic)
            || items.as_deref().is_some_and(dynamic)
        {
            return CoercePlan::Dynamic;
        }
        CoercePlan::Node {
            wants,
            properties,
            additional,
            items,
        }
    }

    fn no_change() -> CoercePlan {
        CoercePlan::Node {
            wants: Vec::new(),
            properties: Vec::new(),
            additional: None,
            items: None,
        }
    }

    fn is_no_change(&self) -> bool {
        matches!(self, CoercePlan::Node { wants, properties, additional: None, items: None }
            if wants.is_empty() && properties.is_empty())
    }

    /// `value` with the strings the plan wants as other types converted;
    /// borrowed when nothing changes.
    fn apply<'v>(&self, value: &'v Value, strict: bool) -> Cow<'v, Value> {
        let CoercePlan::Node { wants, items, .. } = self else {
            return Cow::Borrowed(value);
        };
        match value {
            Value::String(s) if !wants.is_empty() => {
                match coerce_string(s, |t| wants.contains(&t), strict) {
                    Some(v) => Cow::Owned(v),
                    None => Cow::Borrowed(value),
                }
            }
            Value::Object(m) => {
                let mut changed: Option<serde_json::Map<String, Value>> = None;
                for (k, v) in m {
                    let plan = self.property(k);
                    if let Some(Cow::Owned(new)) = plan.map(|p| p.apply(v, strict)) {
                        changed
                            .get_or_insert_with(|| m.clone())
                            .insert(k.clone(), new);
                    }
                }
                changed.map_or(Cow::Borrowed(value), |m| Cow::Owned(Value::Object(m)))
            }
            Value::Array(a) => {
                let Some(plan) = items else {
                    return Cow::Borrowed(value);
                };
                let mut changed: Option<Vec<Value>> = None;
                for (i, v) in a.iter().enumerate() {
                    if let Cow::Owned(new) = plan.apply(v, strict) {
                        changed.get_or_insert_with(|| a.clone())[i] = new;
                    }
                }
                changed.map_or(Cow::Borrowed(value), |a| Cow::Owned(Value::Array(a)))
            }
            _ => Cow::Borrowed(value),
        }
    }

    /// The plan for property `k` of an object this plan describes.
    fn property(&self, k: &str) -> Option<&CoercePlan> {
        let CoercePlan::Node {
            properties,
            additional,
            ..
        } = self
        else {
            return None;
        };
        match properties.iter().find(|(name, _)| name == k) {
            Some((_, p)) => Some(p),
            None => additional.as_deref(),
        }
    }

    /// Adds to `out` the pointers (under `at`) of the numbers and booleans
    /// written where the plan reads a string as one: `coerce: strict`.
    fn unquoted(&self, value: &Value, at: &str, out: &mut Vec<String>) {
        let CoercePlan::Node { wants, items, .. } = self else {
            return;
        };
        match value {
            Value::Number(_) | Value::Bool(_) if !wants.is_empty() => out.push(at.to_owned()),
            Value::Object(m) => {
                for (k, v) in m {
                    if let Some(plan) = self.property(k) {
                        plan.unquoted(v, &format!("{at}/{}", escape(k)), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    if let Some(plan) = items {
                        plan.unquoted(v, &format!("{at}/{i}"), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `k` as one token of a JSON pointer.
fn escape(k: &str) -> Cow<'_, str> {
    if k.contains(['~', '/']) {
        Cow::Owned(k.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(k)
    }
}

impl Schema {
    /// Compiles `schema`; `$ref`s to other files resolve to `files`, read beforehand.
    pub(crate) fn compile(
        schema: &Value,
        coerce: Coerce,
        file: &str,
        pos: Pos,
        files: ReadFiles,
    ) -> Result<Schema, PolicyError> {
        let mut options = options();
        if let Some(base) = &files.base_uri {
            options = options.with_base_uri(base.clone());
        }
        let plain = (coerce == Coerce::None && files.is_empty()).then(|| schema.clone());
        let validator = options.with_retriever(files).build(schema).map_err(|e| {
            PolicyError::at(
                PolicyErrorKind::Schema,
                file,
                pos,
                format!("`jsonSchema`: invalid JSON Schema: {e}"),
            )
            .with_hint("the schema must be valid JSON Schema 2020-12")
        })?;
        let strict = coerce == Coerce::Strict;
        let coerce = (coerce != Coerce::None).then(|| CoercePlan::of(schema));
        Ok(Schema {
            validator,
            coerce,
            strict,
            plain,
        })
    }

    /// The schema, when it needs no coercion and no other files.
    pub fn plain(&self) -> Option<&Value> {
        self.plain.as_ref()
    }

    /// Validates `target` (found at `base`); each error is a finding of `rule`
    /// that shows the value as the user wrote it.
    pub fn validate(
        &self,
        target: &Value,
        base: &str,
        rule: &str,
        map: &dyn Locate,
        findings: &mut Vec<Finding>,
    ) {
        if self.strict {
            for pointer in self.unquoted(target) {
                let Some(o) = crate::parse::lookup(target, &pointer) else {
                    continue;
                };
                let quoted = Value::String(o.to_string());
                let message = format!(
                    "{o} must be a quoted string ({quoted}): the API server refuses a \
                     ConfigMap whose data values are not strings (`coerce: strict`)"
                );
                let pointer = format!("{base}{pointer}");
                findings.push(Finding::new(rule, Severity::Error, message, &pointer, map));
            }
        }
        let instance = match &self.coerce {
            None => Cow::Borrowed(target),
            Some(CoercePlan::Dynamic) => self.coerce_by_errors(target),
            Some(plan) => plan.apply(target, self.strict),
        };
        if self.validator.is_valid(&instance) {
            return;
        }
        for e in self.validator.iter_errors(&instance) {
            let pointer = format!("{base}{}", e.instance_path().as_str());
            let original = crate::parse::lookup(target, e.instance_path().as_str());
            let shown = match original {
                Some(o) if self.coerce.is_some() => o.clone(),
                _ => e.instance().clone().into_owned(),
            };
            let message = match (e.kind(), original) {
                (ValidationErrorKind::Enum { options }, _) => {
                    format!("{shown} is not one of {options}")
                }
                // Report the value as the user wrote it, not as coerced.
                (_, Some(o)) if self.coerce.is_some() && *o != **e.instance() => e
                    .to_string()
                    .replacen(&e.instance().to_string(), &o.to_string(), 1),
                _ => e.to_string(),
            };
            findings.push(Finding::new(rule, Severity::Error, message, &pointer, map));
        }
    }

    /// The pointers (relative to `target`) of the numbers and booleans
    /// written where the schema reads a string as one: `coerce: strict`.
    fn unquoted(&self, target: &Value) -> Vec<String> {
        let mut out = Vec::new();
        match &self.coerce {
            Some(CoercePlan::Dynamic) => {
                // Written as strings, the values the rounds convert back are
                // the ones the schema reads as numbers or booleans.
                let mut quoted = quote_scalars(target);
                if quoted != *target {
                    out = self
                        .coerce_rounds(&mut quoted)
                        .into_iter()
                        .filter(|p| target.pointer(p).is_some_and(|v| !v.is_string()))
                        .collect();
                }
            }
            Some(plan) => plan.unquoted(target, "", &mut out),
            None => {}
        }
        out
    }

    /// Coercion for schemas a static plan cannot follow: each round converts
    /// the strings the validator reports as the wrong type.
    fn coerce_by_errors<'v>(&self, target: &'v Value) -> Cow<'v, Value> {
        if self.validator.is_valid(target) {
            return Cow::Borrowed(target);
        }
        let mut coerced = target.clone();
        self.coerce_rounds(&mut coerced);
        Cow::Owned(coerced)
    }

    /// Converts, in rounds, the strings of `value` the validator reports as
    /// the wrong type; the pointers converted.
    fn coerce_rounds(&self, coerced: &mut Value) -> Vec<String> {
        const MAX_ROUNDS: usize = 8;
        let mut converted = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let fixes: Vec<(String, Value)> = self
                .validator
                .iter_errors(coerced)
                .filter_map(|e| match e.kind() {
                    ValidationErrorKind::Type { kind } => {
                        let s = e.instance().as_str()?;
                        let wants = |t: JsonType| match kind {
                            TypeKind::Single(k) => *k == t,
                            TypeKind::Multiple(set) => set.contains(t),
                        };
                        coerce_string(s, wants, self.strict)
                            .map(|v| (e.instance_path().as_str().to_owned(), v))
                    }
                    _ => None,
                })
                .collect();
            if fixes.is_empty() {
                break;
            }
            for (pointer, value) in fixes {
                if let Some(slot) = coerced.pointer_mut(&pointer) {
                    *slot = value;
                    converted.push(pointer);
                }
            }
        }
        converted
    }
}

/// `value` with every number and boolean written as a string.
fn quote_scalars(value: &Value) -> Value {
    match value {
        Value::Number(_) | Value::Bool(_) => Value::String(value.to_string()),
        Value::Array(a) => Value::Array(a.iter().map(quote_scalars).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), quote_scalars(v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// `s` read as the first type `wants` accepts (integer, number, boolean), if
/// it reads as one. `coerce: strings` ignores the spaces around `s` (ASCII
/// space, tab, line feed, carriage return); `coerce: strict` does not.
fn coerce_string(s: &str, wants: impl Fn(JsonType) -> bool, strict: bool) -> Option<Value> {
    let s = if strict {
        s
    } else {
        s.trim_matches([' ', '\t', '\n', '\r'])
    };
    if wants(JsonType::Integer) || wants(JsonType::Number) {
        if let Some(i) = read_integer(s) {
            return Some(Value::from(i));
        }
    }
    if wants(JsonType::Number) {
        if let Some(n) = read_number(s) {
            return Some(Value::Number(n));
        }
    }
    if wants(JsonType::Boolean) {
        return read_boolean(s).map(Value::Bool);
    }
    None
}

/// An integer: `[+-]?[0-9]+`, in the range of an `i64` (what Go's
/// `strconv.ParseInt(s, 10, 64)` reads, too). No `_`, no `0x`, no exponent,
/// no fraction: `"64.0"` and `"1e3"` are not integers.
fn read_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only the range is left to check: `i64::from_str` reads this grammar.
    s.parse().ok()
}

/// A number: `[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` (JSON's numbers, with
/// a `+` and leading zeros allowed; what Go's `strconv.ParseFloat` reads,
/// too), finite as an `f64`: no `.5`, `5.`, `inf`, `NaN`, hex, `_`, and
/// nothing that overflows (`1e400`).
fn read_number(s: &str) -> Option<serde_json::Number> {
    fn digits(b: &[u8], i: &mut usize) -> bool {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    }
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !digits(b, &mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(b, &mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        if !digits(b, &mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    serde_json::Number::from_f64(f).filter(|_| f.is_finite())
}

/// A boolean: `true` or `false`, lower case. Not Go's `1`, `t`, `True`,
/// `TRUE`: spellings readers disagree on (Python's `bool("False")` is true).
fn read_boolean(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

//! JSON Schema checks, with `coerce: strings`: ConfigMap values are always
//! strings, so a schema that asks for a number or a boolean reads the string
//! as one.

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
        let properties: Vec<(String, CoercePlan)> = s
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .map(|(k, v)| (k.clone(), CoercePlan::of(v)))
                    .filter(|(_, plan)| !plan.is_no_change())
                    .collect()
            })
            .unwrap_or_default();
        let sub = |key: &str| {
            s.get(key)
                .map(CoercePlan::of)
                .filter(|plan| !plan.is_no_change())
                .map(Box::new)
        };
        let additional = sub("additionalProperties");
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
    fn apply<'v>(&self, value: &'v Value) -> Cow<'v, Value> {
        let CoercePlan::Node {
            wants,
            properties,
            additional,
            items,
        } = self
        else {
            return Cow::Borrowed(value);
        };
        match value {
            Value::String(s) if !wants.is_empty() => match coerce_string(s, |t| wants.contains(&t))
            {
                Some(v) => Cow::Owned(v),
                None => Cow::Borrowed(value),
            },
            Value::Object(m) => {
                let mut changed: Option<serde_json::Map<String, Value>> = None;
                for (k, v) in m {
                    let plan = properties
                        .iter()
                        .find(|(name, _)| name == k)
                        .map(|(_, p)| p)
                        .or_else(|| {
                            let declared = properties.iter().any(|(name, _)| name == k);
                            additional.as_deref().filter(|_| !declared)
                        });
                    if let Some(Cow::Owned(new)) = plan.map(|p| p.apply(v)) {
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
                    if let Cow::Owned(new) = plan.apply(v) {
                        changed.get_or_insert_with(|| a.clone())[i] = new;
                    }
                }
                changed.map_or(Cow::Borrowed(value), |a| Cow::Owned(Value::Array(a)))
            }
            _ => Cow::Borrowed(value),
        }
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
        let coerce = (coerce == Coerce::Strings).then(|| CoercePlan::of(schema));
        Ok(Schema {
            validator,
            coerce,
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
        let instance = match &self.coerce {
            None => Cow::Borrowed(target),
            Some(CoercePlan::Dynamic) => self.coerce_by_errors(target),
            Some(plan) => plan.apply(target),
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

    /// Coercion for schemas a static plan cannot follow: each round converts
    /// the strings the validator reports as the wrong type.
    fn coerce_by_errors<'v>(&self, target: &'v Value) -> Cow<'v, Value> {
        const MAX_ROUNDS: usize = 8;
        if self.validator.is_valid(target) {
            return Cow::Borrowed(target);
        }
        let mut coerced = target.clone();
        for _ in 0..MAX_ROUNDS {
            let fixes: Vec<(String, Value)> = self
                .validator
                .iter_errors(&coerced)
                .filter_map(|e| match e.kind() {
                    ValidationErrorKind::Type { kind } => {
                        let s = e.instance().as_str()?;
                        let wants = |t: JsonType| match kind {
                            TypeKind::Single(k) => *k == t,
                            TypeKind::Multiple(set) => set.contains(t),
                        };
                        coerce_string(s, wants).map(|v| (e.instance_path().as_str().to_owned(), v))
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
                }
            }
        }
        Cow::Owned(coerced)
    }
}

/// `s` read as the first type `wants` accepts, if it reads as one.
fn coerce_string(s: &str, wants: impl Fn(JsonType) -> bool) -> Option<Value> {
    let s = s.trim();
    if wants(JsonType::Integer) || wants(JsonType::Number) {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Value::from(i));
        }
    }
    if wants(JsonType::Number) {
        if let Some(n) = s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Some(Value::Number(n));
        }
    }
    if wants(JsonType::Boolean) {
        match s {
            "true" => return Some(Value::Bool(true)),
            "false" => return Some(Value::Bool(false)),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::SourceMap;
    use serde_json::json;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        let files = ReadFiles::default();
        let s = match Schema::compile(&schema, Coerce::Strings, "p.yaml", Pos::default(), files) {
            Ok(s) => s,
            Err(e) => unreachable!("{e}"),
        };
        let mut findings = Vec::new();
        s.validate(&value, "", "schema", &SourceMap::default(), &mut findings);
        findings.into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn strings_read_as_the_types_the_schema_wants() {
        let schema = json!({"type": "object", "properties": {
            "n": {"type": "integer", "maximum": 10},
            "f": {"type": "number"},
            "b": {"type": "boolean"},
            "s": {"type": "string"},
            "list": {"type": "array", "items": {"type": "integer"}},
            "nested": {"type": "object", "additionalProperties": {"type": "boolean"}}
        }});
        let ok = json!({"n": "7", "f": "0.5", "b": "true", "s": "12",
            "list": ["1", "2"], "nested": {"x": "false"}});
        assert_eq!(errors(schema.clone(), ok), Vec::<String>::new());
        let bad = json!({"n": "70", "b": "yes", "s": 12});
        let messages = errors(schema, bad);
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("\"70\"")),
            "{messages:?}"
        );
    }

    #[test]
    fn combined_schemas_coerce_by_the_validators_errors() {
        let schema = json!({"type": "object",
            "$defs": {"count": {"type": "integer", "minimum": 1}},
            "properties": {"n": {"$ref": "#/$defs/count"}}
        });
        assert_eq!(
            errors(schema.clone(), json!({"n": "5"})),
            Vec::<String>::new()
        );
        assert_eq!(errors(schema, json!({"n": "0"})).len(), 1);
    }
}

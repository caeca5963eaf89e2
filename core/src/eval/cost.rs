//! The CEL cost of a policy's rules, estimated when it loads
//! (`crate::cel::estimate`, docs/cel.md "How much work a rule may do"):
//! the sizes of what rules read, from the policy's schema (`maxItems`,
//! `maxProperties`, `maxLength`, `enum`, `const`, along `schema.path`,
//! `properties`, `items`, `additionalProperties` and local `#/` refs), its
//! embedded files' schemas and its params; the document limits elsewhere.
//! A rule over the default budget on documents its schema allows is a
//! policy error; every rule's estimate is in `describe`.

use super::rules::CompiledRule;
use crate::cel::budget::DEFAULT_BUDGET;
use crate::cel::estimate::{estimate, Bound, Shape, Sizes, Step};
use crate::parse::{segments, Document, MAX_NODES, MAX_TEXT_BYTES};
use crate::policy::{Coerce, PolicyError, PolicyErrorKind, ValidationSpec};
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeSet;

/// A rule's estimated worst-case CEL cost on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleCost {
    /// What `expr`, `when` and `messageExpr` may spend together, in the
    /// units of the `cel-cost` limit.
    pub max: u64,
    /// Every size `max` depends on is bounded by the policy (its schema,
    /// params and literals); otherwise only by the document limits, and the
    /// run's budget is what stops the rule.
    pub bounded_by_policy: bool,
}

/// The most values a list or map of a document may have.
const VALUES: Bound = Bound::limit(MAX_NODES as u64);
/// The most bytes a string of a document may have.
const TEXT: Bound = Bound::limit(MAX_TEXT_BYTES as u64);
/// The most any value of a document counts for: its text, and 96 bytes a
/// value (a map entry and a scalar).
const DOCUMENT: Bound = Bound::limit(MAX_TEXT_BYTES as u64 + 96 * MAX_NODES as u64);
/// Anything a document may hold.
const ANY: Shape = Shape {
    elements: VALUES,
    entries: VALUES,
    text: TEXT,
    bytes: DOCUMENT,
};
/// Schema nodes looked at for one question, and alternatives followed at
/// once: past them, what is left is taken as anything.
const WORK: usize = 4096;
const ALTERNATIVES: usize = 64;
/// Levels of a schema whose sizes count towards the size of a whole value.
const DEPTH: usize = 24;

/// A JSON Schema that applies to a variable at `path`, and whether strings
/// stand for the numbers and booleans it asks for (`coerce`).
struct Schema<'a> {
    path: Vec<String>,
    root: &'a Value,
    coerced: bool,
}

/// What a policy knows of the sizes its variables hold.
pub(super) struct PolicySizes<'a> {
    object: Option<Schema<'a>>,
    /// Each embedded file's pointer and schema.
    embedded: Vec<(&'a str, Option<Schema<'a>>)>,
    /// `params` in each environment, and without one.
    params: Vec<&'a Value>,
    work: Cell<usize>,
}

impl<'a> PolicySizes<'a> {
    pub(super) fn new(spec: &'a ValidationSpec, params: Vec<&'a Value>) -> PolicySizes<'a> {
        let schema = |path: Vec<String>, root, coerce| Schema {
            path,
            root,
            coerced: coerce != Coerce::None,
        };
        PolicySizes {
            object: spec
                .schema
                .as_ref()
                .and_then(|s| Some(schema(segments(&s.path)?, &s.json_schema, s.coerce))),
            embedded: spec
                .embedded
                .iter()
                .map(|e| {
                    let js = e.json_schema.as_ref();
                    (
                        e.path.as_str(),
                        js.map(|js| schema(Vec::new(), js, e.coerce)),
                    )
                })
                .collect(),
            params,
            work: Cell::new(0),
        }
    }
}

/// Estimates `rule`'s cost; the error when it is over the default budget
/// for documents the schema allows, at its costliest expression.
pub(super) fn estimate_rule(
    file: &str,
    doc: &Document,
    base: &str,
    rule: &CompiledRule,
    sizes: &PolicySizes,
) -> (RuleCost, Option<PolicyError>) {
    let mut total = Bound::ZERO;
    let mut costliest = ("expr", Bound::ZERO);
    let mut parts = Vec::new();
    for (field, counted) in rule.counted() {
        let cost = estimate(counted, sizes);
        total = total.plus(cost);
        if cost.max > costliest.1.max {
            costliest = (field, cost);
        }
        parts.push(format!("`{field}` {}", cost.max));
    }
    let cost = RuleCost {
        max: total.max,
        bounded_by_policy: !total.limited,
    };
    if total.limited || total.max <= DEFAULT_BUDGET {
        return (cost, None);
    }
    let field = costliest.0;
    let pos = doc
        .map
        .locate(&format!("{base}/{field}"))
        .unwrap_or_default();
    // Rounded up, so that it never reads 1.00x.
    let factor = (total.max as f64 / DEFAULT_BUDGET as f64 * 100.0).ceil() / 100.0;
    let of = if parts.len() > 1 {
        format!(" ({})", parts.join(", "))
    } else {
        String::new()
    };
    let error = PolicyError::at(
        PolicyErrorKind::Expression,
        file,
        pos,
        format!(
            "rule `{}` `{field}`: estimated CEL cost exceeds the budget by a factor of \
             {factor:.2}x: {}{of} against the default budget of {DEFAULT_BUDGET}, on \
             documents the schema allows",
            rule.name, total.max
        ),
    )
    .with_rule(&rule.name)
    .with_hint(
        "try simplifying the rule, or lowering maxItems, maxProperties, and maxLength where \
         the arrays, maps, and strings it reads are declared (docs/cel.md, \"How much work a \
         rule may do\")",
    );
    (cost, Some(error))
}

impl Sizes for PolicySizes<'_> {
    fn shape(&self, variable: &str, path: &[Step]) -> Shape {
        self.work.set(0);
        match variable {
            "object" => match &self.object {
                Some(schema) => self.schema_shape(schema, path),
                None => ANY,
            },
            "params" => self.params_shape(path),
            "embedded" => self.embedded_shape(path),
            "oldObject" | "request" | "env" => ANY,
            // Type names: `type(x) == int`.
            _ => Shape::SCALAR,
        }
    }
}

/// Where a path leads in a schema.
#[derive(Clone)]
enum Place<'a> {
    /// A value every one of these schemas describes; none: any value.
    Schemas(Vec<&'a Value>),
    /// A key of a mapping, of at most so many bytes.
    Key(Bound),
}

// What a schema's `type` allows.
const STRING: u8 = 1;
const ARRAY: u8 = 2;
const OBJECT: u8 = 4;
const NUMBER: u8 = 8;
const NULL: u8 = 16;
const ALL: u8 = 31;

fn type_bits(schema: &Value) -> u8 {
    let bit = |t: &Value| match t.as_str() {
        Some("string") => STRING,
        Some("array") => ARRAY,
        Some("object") => OBJECT,
        Some("integer" | "number" | "boolean") => NUMBER,
        Some("null") => NULL,
        _ => 0,
    };
    match schema.get("type") {
        Some(Value::Array(types)) => types.iter().fold(0, |bits, t| bits | bit(t)),
        Some(t) => bit(t),
        None => ALL,
    }
}

/// A count a schema keyword gives (`maxItems: 10`, `10.0` too).
fn count(schema: &Value, keyword: &str) -> Option<u64> {
    let v = schema.get(keyword)?;
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// The tightest bound the schemas give with `keyword`, else `otherwise`.
fn least(conj: &[&Value], keyword: &str, scale: u64, otherwise: Bound) -> Bound {
    conj.iter()
        .filter_map(|s| count(s, keyword))
        .map(|n| Bound::exact(n.saturating_mul(scale)))
        .fold(otherwise, Bound::at_most)
}

/// A mapping that may have no other keys than its `properties`.
fn closed(schema: &Value) -> bool {
    schema.get("additionalProperties") == Some(&Value::Bool(false))
        && schema.get("patternProperties").is_none()
}

fn properties(schema: &Value) -> Option<&serde_json::Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

impl<'a> PolicySizes<'a> {
    /// Counts one schema node looked at; false once there were too many.
    fn tick(&self) -> bool {
        self.work.set(self.work.get() + 1);
        self.work.get() <= WORK
    }

    /// The schemas that all apply where `schema` does: it, what it `$ref`s
    /// in its own document, its `allOf`. `None`: nothing can be there
    /// (`false`). Other keywords are left out: fewer schemas only know less.
    fn conjunction(&self, root: &'a Value, schema: &'a Value) -> Option<Vec<&'a Value>> {
        let mut out: Vec<&'a Value> = Vec::new();
        let mut todo = vec![schema];
        while let Some(s) = todo.pop() {
            if !self.tick() {
                break;
            }
            match s {
                Value::Bool(false) => return None,
                Value::Object(m) => {
                    if out.iter().any(|o| std::ptr::eq(*o, s)) {
                        continue;
                    }
                    out.push(s);
                    if let Some(target) = m.get("$ref").and_then(Value::as_str).and_then(|r| {
                        let fragment = r.strip_prefix('#')?;
                        root.pointer(fragment)
                    }) {
                        todo.push(target);
                    }
                    if let Some(Value::Array(all)) = m.get("allOf") {
                        todo.extend(all);
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }

    fn schema_shape(&self, schema: &Schema<'a>, path: &[Step]) -> Shape {
        let prefix = schema.path.len();
        let under = path.len() >= prefix
            && schema
                .path
                .iter()
                .zip(path)
                .all(|(token, step)| matches!(step, Step::Field(f) if f == token));
        if !under {
            return ANY;
        }
        let mut places: Vec<Place<'a>> = self
            .conjunction(schema.root, schema.root)
            .map(Place::Schemas)
            .into_iter()
            .collect();
        for step in &path[prefix..] {
            places = places
                .iter()
                .flat_map(|p| self.step(schema, p, step))
                .collect();
            if places.len() > ALTERNATIVES {
                return ANY;
            }
        }
        places.iter().fold(Shape::NOTHING, |shape, p| {
            shape.or(self.place_shape(schema, p, 0))
        })
    }

    fn step(&self, schema: &Schema<'a>, place: &Place<'a>, step: &Step) -> Vec<Place<'a>> {
        let conj = match place {
            Place::Key(_) => return Vec::new(),
            Place::Schemas(conj) if conj.is_empty() => return vec![place.clone()],
            Place::Schemas(conj) => conj,
        };
        let types = conj.iter().fold(ALL, |t, s| t & type_bits(s));
        let mut out = Vec::new();
        match step {
            Step::Field(f) if types & OBJECT != 0 => out.extend(self.field(schema, conj, f)),
            Step::Field(_) => {}
            Step::Items | Step::Each => {
                if types & ARRAY != 0 {
                    out.extend(self.items(schema, conj));
                }
                if types & OBJECT != 0 {
                    if *step == Step::Items {
                        out.extend(self.values(schema, conj));
                    } else {
                        out.push(Place::Key(self.keys(conj)));
                    }
                }
            }
        }
        out
    }

    /// What the element of an array is.
    fn items(&self, schema: &Schema<'a>, conj: &[&'a Value]) -> Option<Place<'a>> {
        let mut child = Vec::new();
        for s in conj.iter().filter(|s| s.get("prefixItems").is_none()) {
            if let Some(items) = s.get("items") {
                child.extend(self.conjunction(schema.root, items)?);
            }
        }
        Some(Place::Schemas(child))
    }

    /// What the value of the field `f` of a mapping is.
    fn field(&self, schema: &Schema<'a>, conj: &[&'a Value], f: &str) -> Option<Place<'a>> {
        let mut child = Vec::new();
        for s in conj {
            let sub = match properties(s).and_then(|p| p.get(f)) {
                Some(p) => p,
                // `f` may match a pattern, whose schema is not followed.
                None if s.get("patternProperties").is_some() => continue,
                None => match s.get("additionalProperties") {
                    Some(additional) => additional,
                    None => continue,
                },
            };
            child.extend(self.conjunction(schema.root, sub)?);
        }
        Some(Place::Schemas(child))
    }

    /// What any value of a mapping is: one of its properties, or another key's.
    fn values(&self, schema: &Schema<'a>, conj: &[&'a Value]) -> Vec<Place<'a>> {
        let names: BTreeSet<&str> = conj
            .iter()
            .filter_map(|s| properties(s))
            .flat_map(|p| p.keys().map(String::as_str))
            .collect();
        let mut out: Vec<Place<'a>> = names
            .into_iter()
            .filter_map(|name| self.field(schema, conj, name))
            .collect();
        if !conj.iter().any(|s| closed(s)) {
            // A key no schema names: `additionalProperties` applies to it.
            let mut child = Vec::new();
            let mut possible = true;
            for s in conj.iter().filter(|s| s.get("patternProperties").is_none()) {
                if let Some(additional) = s.get("additionalProperties") {
                    match self.conjunction(schema.root, additional) {
                        Some(c) => child.extend(c),
                        None => possible = false,
                    }
                }
            }
            if possible {
                out.push(Place::Schemas(child));
            }
        }
        out
    }

    /// The longest key of a mapping: a declared one, if no other is allowed.
    fn keys(&self, conj: &[&'a Value]) -> Bound {
        let mut bound = least(
            &conj
                .iter()
                .filter_map(|s| s.get("propertyNames"))
                .collect::<Vec<_>>(),
            "maxLength",
            4,
            TEXT,
        );
        for s in conj.iter().filter(|s| closed(s)) {
            let longest = properties(s).map_or(0, |p| p.keys().map(String::len).max().unwrap_or(0));
            bound = bound.at_most(Bound::exact(longest as u64));
        }
        bound
    }

    fn place_shape(&self, schema: &Schema<'a>, place: &Place<'a>, depth: usize) -> Shape {
        let conj = match place {
            Place::Key(bound) => return Shape::string(*bound),
            Place::Schemas(conj) => conj,
        };
        if conj.is_empty() || depth > DEPTH || !self.tick() {
            return ANY;
        }
        let mut types = conj.iter().fold(ALL, |t, s| t & type_bits(s));
        // A string stands for a number or a boolean, unchecked as a string.
        let coerced = schema.coerced && types & NUMBER != 0 && types & STRING == 0;
        if coerced {
            types |= STRING;
        }
        let has = |bit: u8| types & bit != 0;
        let elements = match has(ARRAY) {
            true => least(conj, "maxItems", 1, VALUES),
            false => Bound::ZERO,
        };
        let entries = match has(OBJECT) {
            true => conj
                .iter()
                .filter(|s| closed(s))
                .map(|s| Bound::exact(properties(s).map_or(0, |p| p.len() as u64)))
                .fold(least(conj, "maxProperties", 1, VALUES), Bound::at_most),
            false => Bound::ZERO,
        };
        // `maxLength` counts characters, of up to 4 bytes each.
        let text = match (has(STRING), coerced) {
            (false, _) => Bound::ZERO,
            (true, true) => TEXT,
            (true, false) => least(conj, "maxLength", 4, TEXT),
        };
        let mut bytes = Bound::ZERO;
        if has(STRING) {
            bytes = bytes.or(text);
        }
        if has(NUMBER | NULL) {
            bytes = bytes.or(Shape::SCALAR.bytes);
        }
        let bytes_of = |places: &[Place<'a>]| {
            places.iter().fold(Bound::ZERO, |b, p| {
                b.or(self.place_shape(schema, p, depth + 1).bytes)
            })
        };
        if has(ARRAY) {
            let item = bytes_of(&self.items(schema, conj).into_iter().collect::<Vec<_>>());
            bytes = bytes.or(elements.times(Bound::exact(32).plus(item)));
        }
        if has(OBJECT) {
            let value = bytes_of(&self.values(schema, conj));
            let entry = Bound::exact(64).plus(self.keys(conj)).plus(value);
            bytes = bytes.or(entries.times(entry));
        }
        let mut shape = Shape {
            elements,
            entries,
            text,
            bytes: bytes.at_most(DOCUMENT),
        };
        // A string read as a number is not one of the numbers it stands for.
        for s in conj.iter().filter(|_| !coerced) {
            if let Some(c) = s.get("const") {
                shape = shape.at_most(json_shape(c));
            }
            if let Some(Value::Array(values)) = s.get("enum") {
                let of = values
                    .iter()
                    .map(json_shape)
                    .fold(Shape::NOTHING, Shape::or);
                shape = shape.at_most(of);
            }
        }
        shape
    }

    fn params_shape(&self, path: &[Step]) -> Shape {
        // Values, or keys (as strings) when a comprehension walks a mapping.
        let mut places: Vec<Result<&Value, &str>> = self.params.iter().map(|p| Ok(*p)).collect();
        for step in path {
            let mut next = Vec::new();
            for place in places {
                let Ok(value) = place else { continue };
                match (step, value) {
                    (Step::Field(f), Value::Object(m)) => next.extend(m.get(f).map(Ok)),
                    (Step::Items | Step::Each, Value::Array(items)) => {
                        next.extend(items.iter().map(Ok))
                    }
                    (Step::Items, Value::Object(m)) => next.extend(m.values().map(Ok)),
                    (Step::Each, Value::Object(m)) => {
                        next.extend(m.keys().map(|k| Err(k.as_str())))
                    }
                    _ => {}
                }
            }
            places = next;
        }
        places.iter().fold(Shape::NOTHING, |shape, place| {
            shape.or(match place {
                Ok(value) => json_shape(value),
                Err(key) => Shape::string(Bound::exact(key.len() as u64)),
            })
        })
    }

    fn embedded_shape(&self, path: &[Step]) -> Shape {
        let file = |schema: &Option<Schema<'a>>, rest: &[Step]| match schema {
            Some(s) => self.schema_shape(s, rest),
            None => ANY,
        };
        let longest = self
            .embedded
            .iter()
            .map(|(p, _)| p.len())
            .max()
            .unwrap_or(0);
        match path.split_first() {
            None => {
                let n = Bound::exact(self.embedded.len() as u64);
                let values = self
                    .embedded
                    .iter()
                    .fold(Bound::ZERO, |b, (_, s)| b.or(file(s, &[]).bytes));
                let entry = Bound::exact(64 + longest as u64).plus(values);
                Shape {
                    entries: n,
                    bytes: n.times(entry),
                    ..Shape::NOTHING
                }
            }
            Some((Step::Field(f), rest)) => self
                .embedded
                .iter()
                .filter(|(p, _)| p == f)
                .fold(Shape::NOTHING, |shape, (_, s)| shape.or(file(s, rest))),
            Some((Step::Items, rest)) => self
                .embedded
                .iter()
                .fold(Shape::NOTHING, |shape, (_, s)| shape.or(file(s, rest))),
            Some((Step::Each, [])) => Shape::string(Bound::exact(longest as u64)),
            Some((Step::Each, _)) => Shape::NOTHING,
        }
    }
}

/// The shape of a value the policy holds (params, `const`, `enum`).
fn json_shape(value: &Value) -> Shape {
    match value {
        Value::String(s) => Shape::string(Bound::exact(s.len() as u64)),
        Value::Array(items) => Shape {
            elements: Bound::exact(items.len() as u64),
            bytes: items.iter().fold(Bound::ZERO, |b, v| {
                b.plus(Bound::exact(32)).plus(json_shape(v).bytes)
            }),
            ..Shape::NOTHING
        },
        Value::Object(m) => Shape {
            entries: Bound::exact(m.len() as u64),
            bytes: m.iter().fold(Bound::ZERO, |b, (k, v)| {
                b.plus(Bound::exact(64 + k.len() as u64))
                    .plus(json_shape(v).bytes)
            }),
            ..Shape::NOTHING
        },
        _ => Shape::SCALAR,
    }
}

#[cfg(test)]
mod tests;

//! Which parts of its variables a policy's CEL expressions can reach.
//!
//! Handing a whole document to CEL means building a CEL value for each of
//! its nodes on every evaluation, most of which no rule reads. The paths the
//! expressions reach through field selections (`object.data.LOG_LEVEL`,
//! `embedded['/data/config.yaml'].database`) are known when the policy is
//! compiled, so only those are handed over; a value used any other way (a
//! macro's range, a function argument, a dynamic index) is handed over whole.

use super::values::json_val;
use cel::common::ast::{operators, EntryExpr, Expr, LiteralValue};
use cel::common::types::{CelList, CelMap, CelMapKey};
use cel::common::value::Val;
use cel::IdedExpr;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// One step of a path into a variable: a field, or each item of a list.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Items,
}

/// The reachable part of one variable.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    whole: bool,
    /// A macro iterates over it: a mapping's keys are all needed.
    iterated: bool,
    fields: BTreeMap<String, Reach>,
    /// The reach of each item, when a macro's variable walks a list.
    items: Option<Box<Reach>>,
}

impl Reach {
    fn at(&mut self, path: &[Step]) -> Option<&mut Reach> {
        let mut node = self;
        for step in path {
            if node.whole {
                return None;
            }
            node = match step {
                Step::Field(f) => node.fields.entry(f.clone()).or_default(),
                Step::Items => node.items.get_or_insert_with(Box::default),
            };
        }
        Some(node)
    }

    fn insert_whole(&mut self, path: &[Step]) {
        if let Some(node) = self.at(path) {
            *node = Reach {
                whole: true,
                ..Reach::default()
            };
        }
    }

    fn insert_iterated(&mut self, path: &[Step]) {
        if let Some(node) = self.at(path) {
            node.iterated = true;
        }
    }

    /// `value` as CEL, with the mappings cut down to the reachable fields.
    pub fn to_cel<'v>(&self, value: &'v Value) -> Box<dyn Val + 'v> {
        match value {
            Value::Object(m) if !self.whole && !self.iterated => {
                let map: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = self
                    .fields
                    .iter()
                    .filter_map(|(k, reach)| {
                        let (key, v) = m.get_key_value(k)?;
                        Some((CelMapKey::from(key.as_str()), reach.to_cel(v)))
                    })
                    .collect();
                Box::new(CelMap::from(map))
            }
            Value::Array(items) if !self.whole => match &self.items {
                Some(reach) => Box::new(CelList::from(
                    items.iter().map(|v| reach.to_cel(v)).collect::<Vec<_>>(),
                )),
                None => json_val(value),
            },
            _ => json_val(value),
        }
    }
}

/// The reachable parts of every variable that expressions name.
#[derive(Debug, Clone, Default)]
pub struct Reaches {
    variables: BTreeMap<String, Reach>,
}

/// A name bound by a macro, and the path it walks when it walks a variable.
type Bound<'e> = (&'e str, Option<(String, Vec<Step>)>);

impl Reaches {
    /// Adds what `expr` reaches.
    pub fn add(&mut self, expr: &IdedExpr) {
        self.visit(expr, &mut Vec::new());
    }

    /// The reach of `variable`; `None` when no expression names it.
    pub fn of(&self, variable: &str) -> Option<&Reach> {
        self.variables.get(variable)
    }

    /// The variable and path that a selection reaches, through macro variables.
    fn resolve(&self, e: &IdedExpr, bound: &[Bound]) -> Option<Option<(String, Vec<Step>)>> {
        let (name, steps) = selection(e)?;
        let target = match bound.iter().rev().find(|(b, _)| *b == name) {
            Some((_, None)) => None,
            Some((_, Some((variable, base)))) => {
                let mut path = base.clone();
                path.extend(steps);
                Some((variable.clone(), path))
            }
            None => Some((name.to_owned(), steps)),
        };
        Some(target)
    }

    fn reach(&mut self, variable: String) -> &mut Reach {
        self.variables.entry(variable).or_default()
    }

    fn visit<'e>(&mut self, e: &'e IdedExpr, bound: &mut Vec<Bound<'e>>) {
        if let Some(target) = self.resolve(e, bound) {
            if let Some((variable, path)) = target {
                self.reach(variable).insert_whole(&path);
            }
            return;
        }
        match &e.expr {
            Expr::Call(call) => {
                if let Some(t) = &call.target {
                    self.visit(t, bound);
                }
                for a in &call.args {
                    self.visit(a, bound);
                }
            }
            Expr::Comprehension(c) => {
                // A one-variable macro over a variable's list reaches, of each
                // item, what its body does with the macro variable.
                let walked = match (&c.iter_var2, self.resolve(&c.iter_range, bound)) {
                    (None, Some(Some((variable, path)))) => {
                        self.reach(variable.clone()).insert_iterated(&path);
                        let mut items = path;
                        items.push(Step::Items);
                        Some((variable, items))
                    }
                    _ => {
                        self.visit(&c.iter_range, bound);
                        None
                    }
                };
                self.visit(&c.accu_init, bound);
                let before = bound.len();
                bound.push((&c.iter_var, walked));
                bound.push((&c.accu_var, None));
                if let Some(v2) = &c.iter_var2 {
                    bound.push((v2, None));
                }
                self.visit(&c.loop_cond, bound);
                self.visit(&c.loop_step, bound);
                self.visit(&c.result, bound);
                bound.truncate(before);
            }
            Expr::Select(s) => self.visit(&s.operand, bound),
            Expr::List(l) => {
                for x in &l.elements {
                    self.visit(x, bound);
                }
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(me) => {
                            self.visit(&me.key, bound);
                            self.visit(&me.value, bound);
                        }
                        EntryExpr::StructField(f) => self.visit(&f.value, bound),
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    if let EntryExpr::StructField(f) = &entry.expr {
                        self.visit(&f.value, bound);
                    }
                }
            }
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// A name followed by field selections and string-literal indexes:
/// `object.data['config.yaml']` is (`object`, [`data`, `config.yaml`]).
fn selection(e: &IdedExpr) -> Option<(&str, Vec<Step>)> {
    match &e.expr {
        Expr::Ident(name) => Some((name.as_str(), Vec::new())),
        Expr::Select(s) => {
            let (name, mut path) = selection(&s.operand)?;
            path.push(Step::Field(s.field.clone()));
            Some((name, path))
        }
        Expr::Call(call) if call.func_name == operators::INDEX && call.target.is_none() => {
            let [operand, index] = call.args.as_slice() else {
                return None;
            };
            let Expr::Literal(LiteralValue::String(key)) = &index.expr else {
                return None;
            };
            let (name, mut path) = selection(operand)?;
            path.push(Step::Field(key.to_string()));
            Some((name, path))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reaches(exprs: &[&str]) -> Reaches {
        let env = crate::cel::env();
        let mut r = Reaches::default();
        for text in exprs {
            match env.compile(text) {
                Ok(p) => r.add(p.expression()),
                Err(e) => unreachable!("{text}: {e}"),
            }
        }
        r
    }

    fn shown(r: &Reaches, var: &str, value: &Value) -> String {
        match r.of(var) {
            Some(reach) => format!("{:?}", reach.to_cel(value)),
            None => "unreached".to_owned(),
        }
    }

    #[test]
    fn only_selected_fields_are_handed_over() {
        let doc = serde_json::json!({"data": {"A": "1", "B": "2"}, "metadata": {"name": "x"}});
        let r = reaches(&["object.data.A == '1'", "has(object.metadata.name)"]);
        let text = shown(&r, "object", &doc);
        assert!(
            text.contains("\"A\"") && text.contains("\"name\""),
            "{text}"
        );
        assert!(!text.contains("\"B\""), "{text}");
        assert_eq!(shown(&r, "params", &doc), "unreached");
    }

    #[test]
    fn other_uses_hand_over_the_whole_value() {
        let doc = serde_json::json!({"data": {"A": "1", "B": "2"}});
        for expr in [
            "object.data.all(k, k != 'C')",
            "size(object.data) == 2",
            "object.data[params.key] == '1'",
            "object.data.A == '1' && object.data == {'A': '1', 'B': '2'}",
        ] {
            let text = shown(&reaches(&[expr]), "object", &doc);
            assert!(text.contains("\"B\""), "{expr}: {text}");
        }
    }

    #[test]
    fn macros_over_lists_reach_the_items_fields() {
        let doc = serde_json::json!({"models": [{"name": "a", "big": [1, 2]}, {"name": "b", "big": [3]}],
            "labels": {"x": "1", "y": "2"}});
        let r = reaches(&[
            "object.models.exists(c, c.name == 'a')",
            "object.labels.all(k, k != 'z')",
        ]);
        let text = shown(&r, "object", &doc);
        assert!(text.contains("\"a\"") && text.contains("\"b\""), "{text}");
        assert!(!text.contains("big"), "{text}");
        assert!(
            text.contains("\"y\""),
            "a mapping's keys are iterated: {text}"
        );
        let r = reaches(&["object.models.exists(c, c == {'name': 'a'})"]);
        assert!(shown(&r, "object", &doc).contains("big"));
    }

    #[test]
    fn macro_variables_are_not_the_outer_variables() {
        let doc = serde_json::json!({"data": {"A": "1", "B": "2"}});
        let r = reaches(&["[1].all(object, object == 1) && object.data.A == '1'"]);
        let text = shown(&r, "object", &doc);
        assert!(text.contains("\"A\"") && !text.contains("\"B\""), "{text}");
    }
}

//! A rule's worst-case CEL cost, estimated when its policy loads, in the
//! units `budget` charges as it runs: Kubernetes estimates the cost of a
//! CRD's validation rules the same way, from the `maxItems`, `maxProperties`
//! and `maxLength` of the schema.
//!
//! The estimate walks the expression as `instrument` rewrote it, so it
//! charges where, and only where, the run does:
//! - `@assay_range(range, weight)`: 1 + the most elements of `range` times
//!   `weight`; the loop's own charges count once per element it may have;
//! - `@assay_built(x)`: 1 + the most bytes of `x` / 16, at most what a value
//!   may hold (`MAX_VALUE_BYTES`: a bigger one stops the rule);
//! - `@assay_read(x)`: 1 + the most bytes of a string / 16, or elements of a
//!   list;
//! - `@assay_pairs(x)`: 1 + n² / 2.
//!
//! `&&` and `||` count both sides, `?:` its condition and its dearer branch.
//! Sizes of what the variables hold (`object.spec.items`) come from a
//! [`Sizes`] oracle, the policy's (its schema, its params); sizes of what
//! the expression makes (literals, `split`, `map`, `+`, ...) are worked out
//! from their operands. Every bound says whether it rests on the document
//! limits only ([`Bound::limited`]): an estimate that does not is one the
//! policy itself guarantees. Arithmetic saturates.

use super::budget::{BUILT, BYTES_PER_UNIT, ELEMENT_BYTES, KEYS_RANGE, PAIRS, RANGE, READ};
use super::yields::{
    join, join_all, literal, made, made_with, result, scalar, step, string, Abs, NAMESPACES,
};
use cel::common::ast::{operators, CallExpr, ComprehensionExpr, EntryExpr, Expr, LiteralValue};
use cel::IdedExpr;
use std::rc::Rc;

pub use super::sizes::{Bound, Shape, Sizes, Step};

/// The most `counted` (an expression as `instrument` rewrote it) may cost
/// on one document, with `sizes` for what its variables hold.
pub fn estimate(counted: &IdedExpr, sizes: &dyn Sizes) -> Bound {
    let mut estimator = Estimator {
        sizes,
        scope: Vec::new(),
    };
    estimator.visit(counted).0
}

struct Estimator<'s> {
    sizes: &'s dyn Sizes,
    /// Names bound by comprehensions, innermost last.
    scope: Vec<(String, Abs)>,
}

impl Estimator<'_> {
    fn shape(&self, v: &Abs) -> Shape {
        super::yields::shape(self.sizes, v)
    }

    fn lookup(&self, name: &str) -> Abs {
        match self.scope.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => Abs::At(name.into(), Rc::new([])),
        }
    }

    fn visit(&mut self, e: &IdedExpr) -> (Bound, Abs) {
        match &e.expr {
            Expr::Ident(name) => (Bound::ZERO, self.lookup(name)),
            Expr::Literal(l) => (Bound::ZERO, literal(l)),
            Expr::Select(s) => {
                let (cost, v) = self.visit(&s.operand);
                if s.test {
                    (cost, scalar())
                } else {
                    (cost, step(&v, Step::Field(s.field.clone())))
                }
            }
            Expr::List(l) => {
                let mut cost = Bound::ZERO;
                let mut bytes = Bound::ZERO;
                let mut items = Vec::with_capacity(l.elements.len());
                for x in &l.elements {
                    let (c, v) = self.visit(x);
                    cost = cost.plus(c);
                    bytes = bytes.plus(self.shape(&v).bytes);
                    items.push(v);
                }
                let elements = Bound::exact(items.len() as u64);
                let shape = Shape {
                    elements,
                    bytes: bytes.plus(elements.scaled(ELEMENT_BYTES)),
                    ..Shape::NOTHING
                };
                (cost, made_with(shape, join_all(items), None))
            }
            Expr::Map(cel::common::ast::MapExpr { entries })
            | Expr::Struct(cel::common::ast::StructExpr { entries, .. }) => {
                let mut cost = Bound::ZERO;
                let mut bytes = Bound::ZERO;
                let (mut keys, mut values) = (Vec::new(), Vec::new());
                for entry in entries {
                    let (key, (c, v)) = match &entry.expr {
                        EntryExpr::MapEntry(me) => {
                            let (ck, k) = self.visit(&me.key);
                            let (cv, v) = self.visit(&me.value);
                            (k, (ck.plus(cv), v))
                        }
                        EntryExpr::StructField(f) => (
                            string(Bound::exact(f.field.len() as u64)),
                            self.visit(&f.value),
                        ),
                    };
                    cost = cost.plus(c);
                    bytes = bytes
                        .plus(self.shape(&key).text)
                        .plus(self.shape(&v).bytes)
                        .plus(Bound::exact(2 * ELEMENT_BYTES));
                    keys.push(key);
                    values.push(v);
                }
                let shape = Shape {
                    entries: Bound::exact(keys.len() as u64),
                    bytes,
                    ..Shape::NOTHING
                };
                (cost, made_with(shape, join_all(values), join_all(keys)))
            }
            Expr::Comprehension(c) => self.comprehension(c),
            Expr::Call(call) => self.call(call),
            Expr::Unspecified => (Bound::ZERO, scalar()),
        }
    }

    fn comprehension(&mut self, c: &ComprehensionExpr) -> (Bound, Abs) {
        let (range_cost, range) = self.visit(&c.iter_range);
        let shape = self.shape(&range);
        let n = shape.elements.or(shape.entries);
        let (init_cost, init) = self.visit(&c.accu_init);
        let mark = self.scope.len();
        match &c.iter_var2 {
            None => self
                .scope
                .push((c.iter_var.clone(), step(&range, Step::Each))),
            Some(second) => {
                let first = join(scalar(), step(&range, Step::Each));
                self.scope.push((c.iter_var.clone(), first));
                self.scope.push((second.clone(), step(&range, Step::Items)));
            }
        }
        self.scope.push((c.accu_var.clone(), init.clone()));
        let accu_at = self.scope.len() - 1;
        let (cond_cost, _) = self.visit(&c.loop_cond);
        let (step_cost, accu) = match appended(&c.loop_step, &c.accu_var) {
            // `map` and `filter`: the list grows by one element a round.
            Some((guard, element)) => {
                let guard_cost = guard.map_or(Bound::ZERO, |g| self.visit(g).0);
                let (cost, item) = self.visit(element);
                let before = self.shape(&init);
                let item_bytes = self.shape(&item).bytes;
                let grown = Shape {
                    elements: before.elements.plus(n),
                    bytes: before
                        .bytes
                        .plus(n.times(Bound::exact(ELEMENT_BYTES).plus(item_bytes))),
                    ..Shape::NOTHING
                };
                let item = join(step(&init, Step::Items), item);
                (guard_cost.plus(cost), made_with(grown, Some(item), None))
            }
            None => {
                let (cost, v) = self.visit(&c.loop_step);
                (cost, join(init, v))
            }
        };
        self.scope[accu_at].1 = accu;
        let (result_cost, result) = self.visit(&c.result);
        self.scope.truncate(mark);
        let cost = range_cost
            .plus(init_cost)
            .plus(n.times(cond_cost.plus(step_cost)))
            .plus(result_cost);
        (cost, result)
    }

    fn call(&mut self, call: &CallExpr) -> (Bound, Abs) {
        let name = call.func_name.as_str();
        match call.args.as_slice() {
            [range, weight] if name == RANGE || name == KEYS_RANGE => {
                let (cost, v) = self.visit(range);
                let weight = match &weight.expr {
                    Expr::Literal(LiteralValue::Int(w)) => u64::try_from(*w.inner()).unwrap_or(1),
                    _ => 1,
                };
                let n = self.shape(&v).length();
                (cost.plus(charge(n.scaled(weight))), v)
            }
            [x] if name == BUILT => {
                let (cost, v) = self.visit(x);
                let shape = self.shape(&v);
                let capped = shape.capped();
                let v = if capped == shape { v } else { made(capped) };
                (cost.plus(charge(capped.bytes.over(BYTES_PER_UNIT))), v)
            }
            [x] if name == READ => {
                let (cost, v) = self.visit(x);
                let shape = self.shape(&v);
                let units = shape.text.over(BYTES_PER_UNIT).or(shape.elements);
                (cost.plus(charge(units)), v)
            }
            [x] if name == PAIRS => {
                let (cost, v) = self.visit(x);
                let n = self.shape(&v).length();
                (cost.plus(charge(n.times(n).over(2))), v)
            }
            [guard, then, otherwise] if name == operators::CONDITIONAL => {
                let (g, _) = self.visit(guard);
                let (a, va) = self.visit(then);
                let (b, vb) = self.visit(otherwise);
                (g.plus(a.or(b)), join(va, vb))
            }
            _ => self.function(call),
        }
    }

    fn function(&mut self, call: &CallExpr) -> (Bound, Abs) {
        let namespace = match call.target.as_deref().map(|t| &t.expr) {
            Some(Expr::Ident(ns))
                if NAMESPACES.contains(&ns.as_str())
                    && !self.scope.iter().any(|(n, _)| n == ns) =>
            {
                Some(ns.as_str())
            }
            _ => None,
        };
        let name = match namespace {
            Some(ns) => format!("{ns}.{}", call.func_name),
            None => call.func_name.clone(),
        };
        let mut cost = Bound::ZERO;
        let target = match (namespace, call.target.as_deref()) {
            (None, Some(t)) => {
                let (c, v) = self.visit(t);
                cost = c;
                Some(v)
            }
            _ => None,
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            let (c, v) = self.visit(a);
            cost = cost.plus(c);
            args.push(v);
        }
        // The value a call works on: its target, else its first argument.
        let subject = target.clone().or_else(|| args.first().cloned());
        let value = result(self.sizes, &name, call, subject, &args);
        (cost, value)
    }
}

/// The cost of one charge of `units` beyond its 1.
fn charge(units: Bound) -> Bound {
    Bound::exact(1).plus(units)
}

/// `@result + [e]` (`map`, `filter`), possibly as `g ? @result + [e] :
/// @result`: the guard and the element.
fn appended<'e>(step: &'e IdedExpr, accu: &str) -> Option<(Option<&'e IdedExpr>, &'e IdedExpr)> {
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if n == accu);
    let append = |e: &'e IdedExpr| -> Option<&'e IdedExpr> {
        let Expr::Call(c) = &e.expr else { return None };
        match (c.func_name.as_str(), c.target.as_deref(), c.args.as_slice()) {
            (operators::ADD, None, [lhs, rhs]) if is_accu(lhs) => match &rhs.expr {
                Expr::List(l) if l.elements.len() == 1 => l.elements.first(),
                _ => None,
            },
            _ => None,
        }
    };
    if let Some(e) = append(step) {
        return Some((None, e));
    }
    let Expr::Call(c) = &step.expr else {
        return None;
    };
    match (c.func_name.as_str(), c.target.as_deref(), c.args.as_slice()) {
        (operators::CONDITIONAL, None, [guard, then, otherwise]) if is_accu(otherwise) => {
            append(then).map(|e| (Some(guard), e))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;

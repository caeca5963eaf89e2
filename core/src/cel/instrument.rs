//! Rewrites a compiled expression to count its cost as it runs (see
//! `budget`): a comprehension's range, the results of calls that build
//! values, and the operands of calls that scan them are wrapped in calls to
//! the budget's private functions, which return their argument unchanged.
//!
//! The interpreter runs `map` and `filter` in place when their loop step is
//! `@result + [e]` or `g ? @result + [e] : @result`: that shape is kept, and
//! `e` and `g` are rewritten inside it. `all` and `exists` keep theirs too
//! (`@result && e`), which decides how they absorb errors.

use super::budget::{BUILT, KEYS_RANGE, PAIRS, RANGE, READ};
use cel::common::ast::{CallExpr, EntryExpr, Expr, LiteralValue};
use cel::common::types::CelInt;
use cel::IdedExpr;

/// Calls that yield a scalar or a part of a value they were given: their
/// results are not counted. Every other call's is (unknown ones too).
const NOT_BUILDING: &[&str] = &[
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_&&_",
    "_||_",
    "!_",
    "-_",
    "_-_",
    "_*_",
    "_/_",
    "_%_",
    "_?_:_",
    "_[_]",
    "_[?_]",
    "_?._",
    "@in",
    "@not_strictly_false",
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "bool",
    "type",
    "dyn",
    "duration",
    "timestamp",
    "charAt",
    "indexOf",
    "lastIndexOf",
    "find",
    "sum",
    "min",
    "max",
    "isSorted",
    "hasValue",
    "value",
    "or",
    "orValue",
    BUILT,
    RANGE,
    KEYS_RANGE,
    READ,
    PAIRS,
];

/// Calls that scan their first operand (the target of a member call).
/// (`startsWith` and `endsWith` only read as much as their argument.)
const READING: &[&str] = &[
    "contains",
    "matches",
    "indexOf",
    "lastIndexOf",
    "find",
    "findAll",
    "sum",
    "min",
    "max",
    "isSorted",
];

/// `expr` with the budget's calls inserted.
pub fn instrument(expr: &IdedExpr) -> IdedExpr {
    let mut e = expr.clone();
    walk(&mut e);
    e
}

fn wrap(e: &mut IdedExpr, func: &str) {
    let inner = std::mem::take(e);
    *e = IdedExpr {
        id: inner.id,
        expr: Expr::Call(CallExpr {
            func_name: func.to_owned(),
            target: None,
            args: vec![inner],
        }),
    };
}

fn is_literal(e: &IdedExpr) -> bool {
    matches!(e.expr, Expr::Literal(_))
}

fn is_constant(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Literal(_) => true,
        Expr::List(l) => l.elements.iter().all(is_literal),
        _ => false,
    }
}

fn walk(e: &mut IdedExpr) {
    match &mut e.expr {
        Expr::Call(call) => {
            if let Some(t) = call.target.as_deref_mut() {
                walk(t);
            }
            call.args.iter_mut().for_each(walk);
            let name = call.func_name.as_str();
            let scanned = match call.target.as_deref_mut() {
                Some(t) => Some(t),
                None if name == "@in" => call.args.get_mut(1),
                None => call.args.first_mut(),
            };
            // A constant is as long as its text: it is not counted.
            if let Some(scanned) = scanned.filter(|s| !is_constant(s)) {
                if READING.contains(&name) || name == "@in" {
                    wrap(scanned, READ);
                } else if name == "distinct" {
                    wrap(scanned, PAIRS);
                }
            }
            if !NOT_BUILDING.contains(&call.func_name.as_str())
                && !call.func_name.starts_with("math.")
            {
                wrap(e, BUILT);
            }
        }
        Expr::Comprehension(c) => {
            walk(&mut c.iter_range);
            let weight = 1 + nodes(&c.loop_cond) + nodes(&c.loop_step);
            // One variable: a map's keys in order, the same in every host.
            let range = if c.iter_var2.is_none() {
                KEYS_RANGE
            } else {
                RANGE
            };
            wrap(&mut c.iter_range, range);
            if let Expr::Call(call) = &mut c.iter_range.expr {
                call.args.push(IdedExpr {
                    id: c.iter_range.id,
                    expr: Expr::Literal(LiteralValue::Int(CelInt::from(weight))),
                });
            }
            walk(&mut c.accu_init);
            walk(&mut c.loop_cond);
            walk_step(&mut c.loop_step, &c.accu_var);
            walk(&mut c.result);
        }
        Expr::List(l) => {
            l.elements.iter_mut().for_each(walk);
            if !l.elements.iter().all(is_literal) {
                wrap(e, BUILT);
            }
        }
        Expr::Map(m) => {
            let mut constant = true;
            for entry in &mut m.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        walk(&mut me.key);
                        walk(&mut me.value);
                        constant &= is_literal(&me.key) && is_literal(&me.value);
                    }
                    EntryExpr::StructField(f) => walk(&mut f.value),
                }
            }
            if !constant {
                wrap(e, BUILT);
            }
        }
        Expr::Select(s) => walk(&mut s.operand),
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                match &mut entry.expr {
                    EntryExpr::StructField(f) => walk(&mut f.value),
                    EntryExpr::MapEntry(me) => {
                        walk(&mut me.key);
                        walk(&mut me.value);
                    }
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// How many nodes of `e` run: a comprehension inside counts as one, as it
/// charges for its own iterations when it starts.
fn nodes(e: &IdedExpr) -> i64 {
    let mut n = 0;
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        n += 1;
        match &e.expr {
            Expr::Call(c) => {
                stack.extend(c.target.as_deref());
                stack.extend(c.args.iter());
            }
            Expr::Select(s) => stack.push(&s.operand),
            Expr::List(l) => stack.extend(l.elements.iter()),
            Expr::Map(cel::common::ast::MapExpr { entries })
            | Expr::Struct(cel::common::ast::StructExpr { entries, .. }) => {
                for entry in entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(me) => stack.extend([&me.key, &me.value]),
                        EntryExpr::StructField(f) => stack.push(&f.value),
                    }
                }
            }
            Expr::Comprehension(_) | Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    n
}

/// A loop step, keeping the shapes the interpreter recognises.
fn walk_step(step: &mut IdedExpr, accu: &str) {
    let Expr::Call(call) = &mut step.expr else {
        return walk(step);
    };
    if call.target.is_none() && call.args.len() == 3 && call.func_name == "_?_:_" {
        let [guard, then, otherwise] = call.args.as_mut_slice() else {
            return;
        };
        walk(guard);
        walk_append(then, accu);
        walk(otherwise);
    } else if is_fold(call, accu) {
        // `@result && e`, `@result || e`: the fold's own operator is free.
        call.args.iter_mut().for_each(walk);
    } else {
        walk_append(step, accu);
    }
}

fn is_fold(call: &CallExpr, accu: &str) -> bool {
    matches!(call.func_name.as_str(), "_&&_" | "_||_")
        && matches!(call.args.first().map(|a| &a.expr), Some(Expr::Ident(n)) if n == accu)
}

/// `@result + [e]` (`map`, `filter`) or `@result + 1` (`exists_one`): the
/// step is counted by the range, `e` by itself.
fn walk_append(e: &mut IdedExpr, accu: &str) {
    if let Expr::Call(call) = &mut e.expr {
        if call.func_name == "_+_" && call.target.is_none() {
            if let [lhs, rhs] = call.args.as_mut_slice() {
                if matches!(&lhs.expr, Expr::Ident(n) if n == accu) {
                    match &mut rhs.expr {
                        Expr::List(l) => l.elements.iter_mut().for_each(walk),
                        _ => walk(rhs),
                    }
                    return;
                }
            }
        }
    }
    walk(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(text: &str) -> IdedExpr {
        let program = crate::cel::env().compile(text);
        match program {
            Ok(p) => instrument(p.expression()),
            Err(e) => unreachable!("{e}"),
        }
    }

    fn calls(e: &IdedExpr, name: &str) -> usize {
        let mut n = 0;
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match &e.expr {
                Expr::Call(c) => {
                    n += usize::from(c.func_name == name);
                    stack.extend(c.target.as_deref());
                    stack.extend(c.args.iter());
                }
                Expr::Comprehension(c) => stack.extend([
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ]),
                Expr::List(l) => stack.extend(l.elements.iter()),
                Expr::Select(s) => stack.push(&s.operand),
                _ => {}
            }
        }
        n
    }

    #[test]
    fn map_and_filter_keep_the_shape_that_appends_in_place() {
        for text in ["[1, 2].map(x, x + 1)", "[1, 2].filter(x, x > 1)"] {
            let e = rewritten(text);
            let Expr::Comprehension(c) = &e.expr else {
                unreachable!("{e:?}")
            };
            let step = match &c.loop_step.expr {
                Expr::Call(s) if s.func_name == "_?_:_" => &s.args[1],
                _ => &c.loop_step,
            };
            let Expr::Call(append) = &step.expr else {
                unreachable!("{step:?}")
            };
            assert_eq!(append.func_name, "_+_", "{text}");
            assert!(matches!(&append.args[1].expr, Expr::List(_)), "{text}");
            assert_eq!(calls(&e, KEYS_RANGE), 1, "{text}");
        }
    }

    #[test]
    fn scalar_operators_in_a_loop_body_are_not_wrapped() {
        let e = rewritten("object.items.all(c, object.items.exists_one(d, d.name == c.name))");
        assert_eq!(calls(&e, KEYS_RANGE), 2);
        assert_eq!(calls(&e, BUILT), 0);
        assert_eq!(calls(&e, READ), 0);
    }

    #[test]
    fn builders_and_readers_are_wrapped() {
        let e = rewritten("object.s.replace('a', 'aa').contains('b') && 'x' in object.l");
        assert_eq!(calls(&e, BUILT), 1);
        assert_eq!(calls(&e, READ), 2);
        let e = rewritten("object.s.startsWith('a') && 'a' in ['a', 'b']");
        assert_eq!(calls(&e, BUILT), 0);
        assert_eq!(calls(&e, READ), 0);
        let e = rewritten("object.s.startsWith('a') && 'a' in object.l");
        assert_eq!(calls(&e, BUILT), 0);
        assert_eq!(calls(&e, READ), 1);
        let e = rewritten("strings.quote(object.s) + base64.encode(b'x') == ''");
        assert_eq!(calls(&e, BUILT), 3);
    }
}

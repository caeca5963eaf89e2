//! What a subexpression yields, for the CEL cost estimate (`estimate`):
//! a value read from a variable (its shape is the policy's), or one the
//! expression makes, with the shape worked out from the call and its
//! operands (`result`).

use super::budget::{ELEMENT_BYTES, MAX_VALUE_BYTES};
use super::sizes::{Bound, Shape, Sizes, Step};
use cel::common::ast::{operators, CallExpr, Expr, LiteralValue};
use cel::IdedExpr;
use std::rc::Rc;

/// What a subexpression yields, lazily: its shape, the shape of its parts.
#[derive(Clone)]
pub(super) enum Abs {
    /// A value read from a variable: the oracle knows it.
    At(Rc<str>, Rc<[Step]>),
    /// A value the expression makes.
    Made(Rc<Made>),
    /// One of two.
    Either(Rc<Abs>, Rc<Abs>),
}

pub(super) struct Made {
    shape: Shape,
    /// An element of the list or a value of the map; `None`: any part of
    /// a value of this shape.
    item: Option<Abs>,
    /// A key of the map.
    key: Option<Abs>,
    /// It may be bytes rather than a string (`string()` of invalid UTF-8
    /// grows it).
    binary: bool,
}

pub(super) fn made(shape: Shape) -> Abs {
    Abs::Made(Rc::new(Made {
        shape,
        item: None,
        key: None,
        binary: false,
    }))
}

pub(super) fn made_with(shape: Shape, item: Option<Abs>, key: Option<Abs>) -> Abs {
    Abs::Made(Rc::new(Made {
        shape,
        item,
        key,
        binary: false,
    }))
}

pub(super) fn binary(shape: Shape) -> Abs {
    Abs::Made(Rc::new(Made {
        shape,
        item: None,
        key: None,
        binary: true,
    }))
}

pub(super) fn scalar() -> Abs {
    made(Shape::SCALAR)
}

pub(super) fn string(bytes: Bound) -> Abs {
    made(Shape::string(bytes))
}

/// A list of at most `elements` values like `item`, `bytes` in all.
pub(super) fn list(elements: Bound, item: Abs, item_bytes: Bound) -> Abs {
    let bytes = elements.times(Bound::exact(ELEMENT_BYTES).plus(item_bytes));
    made_with(
        Shape {
            elements,
            bytes,
            ..Shape::NOTHING
        },
        Some(item),
        None,
    )
}

/// One of `a` and `b`: made values without parts are joined at once.
pub(super) fn join(a: Abs, b: Abs) -> Abs {
    if let (Abs::Made(x), Abs::Made(y)) = (&a, &b) {
        if x.item.is_none() && x.key.is_none() && y.item.is_none() && y.key.is_none() {
            return Abs::Made(Rc::new(Made {
                shape: x.shape.or(y.shape),
                item: None,
                key: None,
                binary: x.binary || y.binary,
            }));
        }
    }
    Abs::Either(Rc::new(a), Rc::new(b))
}

/// Any one of `values`, joined as a balanced tree (a literal list may be long).
pub(super) fn join_all(mut values: Vec<Abs>) -> Option<Abs> {
    while values.len() > 1 {
        let mut pairs = Vec::with_capacity(values.len().div_ceil(2));
        let mut it = values.into_iter();
        while let Some(a) = it.next() {
            pairs.push(match it.next() {
                Some(b) => join(a, b),
                None => a,
            });
        }
        values = pairs;
    }
    values.pop()
}

/// Namespaces of functions: `math.abs(x)` is a call of `abs` on `math`.
pub(super) const NAMESPACES: [&str; 5] = ["math", "strings", "lists", "base64", "optional"];

/// Calls whose result is a number, a bool, a timestamp or a duration.
const SCALAR_RESULTS: &[&str] = &[
    operators::EQUALS,
    operators::NOT_EQUALS,
    operators::LESS,
    operators::LESS_EQUALS,
    operators::GREATER,
    operators::GREATER_EQUALS,
    operators::LOGICAL_AND,
    operators::LOGICAL_OR,
    operators::LOGICAL_NOT,
    operators::NEGATE,
    operators::SUBSTRACT,
    operators::MULTIPLY,
    operators::DIVIDE,
    operators::MODULO,
    operators::IN,
    operators::NOT_STRICTLY_FALSE,
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
    "duration",
    "timestamp",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
    "hasValue",
    "indexOf",
    "lastIndexOf",
    "isSorted",
    "sum",
    "quantity",
    "isQuantity",
    "compareTo",
    "isLessThan",
    "isGreaterThan",
    "add",
    "sub",
    "isInteger",
    "asInteger",
    "asApproximateFloat",
    "sign",
    "isURL",
];

/// Calls whose result is no bigger than their target (or first argument).
const NOT_GROWING: &[&str] = &[
    "lowerAscii",
    "upperAscii",
    "trim",
    "substring",
    "reverse",
    "slice",
    "distinct",
    "sort",
    "@sortByAssociatedKeys",
    "imageRepository",
    "find",
    "dyn",
];

/// The longest `string(x)` of a number, a bool, a timestamp or a duration
/// (a double is written out in full: `1e308` has 309 digits).
const SCALAR_TEXT: u64 = 330;

/// The shape of `v`, with `sizes` for what variables hold.
pub(super) fn shape(sizes: &dyn Sizes, v: &Abs) -> Shape {
    match v {
        Abs::At(variable, path) => sizes.shape(variable, path),
        Abs::Made(m) => m.shape,
        Abs::Either(a, b) => shape(sizes, a).or(shape(sizes, b)),
    }
}

fn is_binary(v: &Abs) -> bool {
    match v {
        Abs::At(..) => false,
        Abs::Made(m) => m.binary,
        Abs::Either(a, b) => is_binary(a) || is_binary(b),
    }
}

/// The part of `v` that `step` leads to.
pub(super) fn step(v: &Abs, step: Step) -> Abs {
    match v {
        Abs::At(variable, path) => {
            let mut path = path.to_vec();
            path.push(step);
            Abs::At(variable.clone(), path.into())
        }
        Abs::Made(m) => {
            let any_part = || made(Shape::within(m.shape.bytes));
            let item = || m.item.clone().unwrap_or_else(any_part);
            let key = || m.key.clone().unwrap_or_else(any_part);
            match step {
                Step::Field(_) | Step::Items => item(),
                Step::Each if m.shape.entries == Bound::ZERO => item(),
                Step::Each if m.shape.elements == Bound::ZERO => key(),
                Step::Each => join(item(), key()),
            }
        }
        Abs::Either(a, b) => join(self::step(a, step.clone()), self::step(b, step)),
    }
}

/// What the call `name` yields, from what it works on (`subject`) and
/// its arguments.
pub(super) fn result(
    sizes: &dyn Sizes,
    name: &str,
    call: &CallExpr,
    subject: Option<Abs>,
    args: &[Abs],
) -> Abs {
    let Some(subject) = subject else {
        return match name {
            "optional.none" => scalar(),
            _ => made(Shape::within(Bound::limit(MAX_VALUE_BYTES))),
        };
    };
    if SCALAR_RESULTS.contains(&name) || name.starts_with("math.") {
        return scalar();
    }
    if NOT_GROWING.contains(&name) {
        return subject;
    }
    let s = shape(sizes, &subject);
    let arg = |i: usize| args.get(i).map_or(Shape::NOTHING, |a| shape(sizes, a));
    let t = s.text;
    match name {
        operators::ADD => {
            let (a, b) = (s, arg(1));
            if a.is_scalar() && b.is_scalar() {
                return scalar();
            }
            let shape = Shape {
                elements: a.elements.plus(b.elements),
                entries: a.entries.plus(b.entries),
                text: a.text.plus(b.text),
                bytes: a.bytes.plus(b.bytes),
            };
            let other = args.get(1).cloned().unwrap_or_else(scalar);
            let item = join(step(&subject, Step::Items), step(&other, Step::Items));
            let binary = is_binary(&subject) || is_binary(&other);
            Abs::Made(Rc::new(Made {
                shape,
                item: Some(item),
                key: None,
                binary,
            }))
        }
        operators::INDEX => match index_key(call) {
            Some(key) => step(&subject, Step::Field(key.to_owned())),
            None => step(&subject, Step::Items),
        },
        operators::OPT_INDEX | operators::OPT_SELECT => {
            let inner = match index_key(call) {
                Some(key) => step(&subject, Step::Field(key.to_owned())),
                None => step(&subject, Step::Items),
            };
            optional(shape(sizes, &inner), inner)
        }
        "optional.of" | "optional.ofNonZeroValue" => optional(s, subject),
        "optional.none" => scalar(),
        "value" => step(&subject, Step::Items),
        "orValue" => join(
            step(&subject, Step::Items),
            args.first().cloned().unwrap_or_else(scalar),
        ),
        "or" => join(subject, args.first().cloned().unwrap_or_else(scalar)),
        "min" | "max" => step(&subject, Step::Items),
        "charAt" => string(Bound::exact(4)),
        "string" => {
            let text = if is_binary(&subject) { t.scaled(3) } else { t };
            string(text.or(Bound::exact(SCALAR_TEXT)))
        }
        "bytes" => binary(Shape::string(t)),
        "base64.encode" => string(t.plus(Bound::exact(2)).over(3).scaled(4)),
        "base64.decode" => binary(Shape::string(t.scaled(3).over(4).plus(Bound::exact(3)))),
        "strings.quote" => string(t.scaled(2).plus(Bound::exact(2))),
        "replace" => {
            // Each match of `old` (at most one per byte, or between bytes
            // when `old` is empty) becomes `new`.
            let matches = match literal_text(call.args.first()) {
                Some(old) if !old.is_empty() => t.over(old.len() as u64),
                _ => t.plus(Bound::exact(1)),
            };
            string(t.plus(matches.times(arg(1).text)))
        }
        "split" => {
            let parts = match literal_text(call.args.first()) {
                Some(sep) if !sep.is_empty() => t.over(sep.len() as u64),
                _ => t,
            }
            .plus(Bound::exact(1));
            pieces(parts, t)
        }
        "findAll" => pieces(t.plus(Bound::exact(1)), t),
        "join" => {
            let item = shape(sizes, &step(&subject, Step::Items));
            let separator = arg(0).text;
            string(s.elements.times(item.text.plus(separator)))
        }
        "flatten" => {
            let item = step(&subject, Step::Items);
            let parts = match call.args.first() {
                None => Some(join(item.clone(), step(&item, Step::Items))),
                Some(_) => None,
            };
            made_with(Shape::within(s.bytes), parts, None)
        }
        "lists.range" => {
            let n = match call.args.first().map(|a| &a.expr) {
                Some(Expr::Literal(LiteralValue::Int(n))) => {
                    Bound::exact(u64::try_from(*n.inner()).unwrap_or(0))
                }
                _ => Bound::limit(MAX_VALUE_BYTES / (2 * ELEMENT_BYTES)),
            };
            list(n, scalar(), Bound::exact(ELEMENT_BYTES))
        }
        "parseModelList" => {
            // Entries of at least one byte, `:`, between commas; each a
            // map of `name` and `version`.
            let n = t.over(2).plus(Bound::exact(1));
            let entry_bytes = Bound::exact(2 * 2 * ELEMENT_BYTES + 11);
            let entry = made_with(
                Shape {
                    entries: Bound::exact(2),
                    bytes: entry_bytes.plus(t),
                    ..Shape::NOTHING
                },
                Some(string(t)),
                Some(string(Bound::exact(7))),
            );
            let bytes = n
                .times(Bound::exact(ELEMENT_BYTES).plus(entry_bytes))
                .plus(t);
            made_with(
                Shape {
                    elements: n,
                    bytes,
                    ..Shape::NOTHING
                },
                Some(entry),
                None,
            )
        }
        // An opaque value that keeps the text it was read from.
        "url" => made(Shape {
            text: t,
            ..Shape::SCALAR
        }),
        // Parts of a URL: escaping may triple a byte.
        "getScheme" | "getHost" | "getHostname" | "getPort" | "getEscapedPath" => {
            string(t.scaled(3).plus(Bound::exact(16)))
        }
        "getQuery" => {
            let values = pieces(t.plus(Bound::exact(1)), t);
            let n = t.plus(Bound::exact(1));
            let bytes = n.scaled(3 * ELEMENT_BYTES).plus(t.scaled(2));
            made_with(
                Shape {
                    entries: n,
                    bytes,
                    ..Shape::NOTHING
                },
                Some(values),
                Some(string(t)),
            )
        }
        _ => made(Shape::within(Bound::limit(MAX_VALUE_BYTES))),
    }
}

pub(super) fn literal(l: &LiteralValue) -> Abs {
    match l {
        LiteralValue::String(s) => string(Bound::exact(s.inner().len() as u64)),
        LiteralValue::Bytes(b) => binary(Shape::string(Bound::exact(b.inner().len() as u64))),
        _ => scalar(),
    }
}

fn literal_text(e: Option<&IdedExpr>) -> Option<&str> {
    match e.map(|e| &e.expr) {
        Some(Expr::Literal(LiteralValue::String(s))) => Some(s.inner()),
        _ => None,
    }
}

/// The key of `x[key]`, `x[?key]` or `x.?key` when it is a string literal.
fn index_key(call: &CallExpr) -> Option<&str> {
    literal_text(call.args.get(1))
}

/// A list of at most `n` strings of at most `text` bytes in all.
fn pieces(n: Bound, text: Bound) -> Abs {
    made_with(
        Shape {
            elements: n,
            bytes: n.scaled(ELEMENT_BYTES).plus(text),
            ..Shape::NOTHING
        },
        Some(string(text)),
        None,
    )
}

/// An optional holding `inner`.
fn optional(shape: Shape, inner: Abs) -> Abs {
    made_with(
        Shape {
            bytes: shape.bytes.plus(Bound::exact(ELEMENT_BYTES)),
            ..shape
        },
        Some(inner),
        None,
    )
}

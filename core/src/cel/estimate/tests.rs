//! The estimate against what the run spends: never less on a document
//! that fits the sizes, and exact where the worst case is certain.

use super::*;
use crate::cel::budget;
use serde_json::{json, Value};

/// What a test's variables hold: shapes by path (`object.items.*.name`),
/// the document limits elsewhere.
struct Fixed(Vec<(&'static str, Shape)>);

const ANY: Shape = Shape {
    elements: Bound::limit(1_000_000),
    entries: Bound::limit(1_000_000),
    text: Bound::limit(64 << 20),
    bytes: Bound::limit(160 << 20),
};

impl Sizes for Fixed {
    fn shape(&self, variable: &str, path: &[Step]) -> Shape {
        let key: Vec<String> = std::iter::once(variable.to_owned())
            .chain(path.iter().map(|s| match s {
                Step::Field(f) => f.clone(),
                Step::Items | Step::Each => "*".to_owned(),
            }))
            .collect();
        let key = key.join(".");
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(ANY, |(_, s)| *s)
    }
}

/// A list of at most `n` elements of at most `item` bytes each.
fn list(n: u64, item: u64) -> Shape {
    Shape {
        elements: Bound::exact(n),
        bytes: Bound::exact(n * (ELEMENT_BYTES + item)),
        ..Shape::NOTHING
    }
}

fn text(n: u64) -> Shape {
    Shape::string(Bound::exact(n))
}

/// A map of at most `n` entries of `item`-byte keys and values.
fn map(n: u64, item: u64) -> Shape {
    Shape {
        entries: Bound::exact(n),
        bytes: Bound::exact(n * (2 * ELEMENT_BYTES + 2 * item)),
        ..Shape::NOTHING
    }
}

fn counted(text: &str) -> IdedExpr {
    match crate::cel::env().compile(text) {
        Ok(p) => crate::cel::instrument(p.expression()),
        Err(e) => unreachable!("{text}: {e}"),
    }
}

fn estimated(text: &str, sizes: &Fixed) -> Bound {
    estimate(&counted(text), sizes)
}

/// What `text` spends on `object`, unbounded.
fn spent(text: &str, object: &Value) -> u64 {
    let env = crate::cel::env();
    let mut ctx = cel::Context::with_env(env);
    ctx.add_variable_as_val("object", crate::cel::values::json_val(object));
    budget::start(u64::MAX);
    let _ = cel::Value::resolve(&counted(text), &ctx);
    budget::spent()
}

/// Items `{name: "nNNN…"}` with names of `len` bytes.
fn named(n: usize, len: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"name": format!("{i:0>len$}")}))
        .collect();
    Value::Array(items)
}

fn items_of(n: u64, name: u64) -> Fixed {
    Fixed(vec![
        ("object.items", list(n, 2 * ELEMENT_BYTES + 4 + name)),
        ("object.items.*", map(1, name)),
        ("object.items.*.name", text(name)),
    ])
}

const UNIQUE: &str = "object.items.all(c, object.items.exists_one(d, d.name == c.name))";

#[test]
fn no_comprehension_costs_what_its_calls_build_and_read() {
    let sizes = Fixed(vec![("object.a", text(10)), ("object.b", text(22))]);
    assert_eq!(
        estimated("object.a == 'x' && size(object.b) < 3", &sizes),
        Bound::ZERO
    );
    // 32 bytes built: 1 + 2.
    assert_eq!(
        estimated("object.a + object.b == 'x'", &sizes),
        Bound::exact(3)
    );
    // Read: 1 + 22 / 16.
    assert_eq!(estimated("object.b.contains('x')", &sizes), Bound::exact(2));
    let doc = json!({"a": "0123456789", "b": "0123456789012345678901"});
    assert_eq!(spent("object.a + object.b == 'x'", &doc), 3);
    assert_eq!(spent("object.b.contains('x')", &doc), 2);
}

#[test]
fn one_comprehension_over_a_bounded_list_is_its_size_times_its_body() {
    let sizes = items_of(100, 8);
    let rule = "object.items.all(c, c.name == 'x')";
    let estimate = estimated(rule, &sizes);
    assert!(!estimate.limited);
    // `@not_strictly_false(@result)`, `@result && c.name == 'x'`: 8 nodes and 1.
    assert_eq!(estimate.max, 1 + 100 * 9);
    assert_eq!(spent(rule, &json!({"items": named(100, 8)})), estimate.max);
}

#[test]
fn nested_comprehensions_multiply() {
    let rule = UNIQUE;
    let small = estimated(rule, &items_of(60, 8));
    assert!(!small.limited);
    assert_eq!(spent(rule, &json!({"items": named(60, 8)})), small.max);
    // Over 1000 items: more than the default budget, for certain.
    let big = estimated(rule, &items_of(1000, 8));
    assert!(!big.limited);
    assert!(big.max > budget::DEFAULT_BUDGET, "{big:?}");
    assert_eq!(big.max, 1 + 1000 * 6 + 1000 * (1 + 1000 * 12));
}

#[test]
fn lists_without_a_bound_rest_on_the_document_limits() {
    let estimate = estimated(UNIQUE, &Fixed(Vec::new()));
    assert!(estimate.limited);
    assert!(estimate.max > budget::DEFAULT_BUDGET);
    // A bounded outer list does not bound the inner one.
    let sizes = Fixed(vec![("object.items", list(10, 64))]);
    let rule = "object.items.all(c, object.other.exists(d, d == c))";
    assert!(estimated(rule, &sizes).limited);
    // Nor does it bound a string scanned in the loop.
    let rule = "object.items.all(c, c.name.contains('x'))";
    let sizes = Fixed(vec![("object.items", list(10, 64))]);
    assert!(estimated(rule, &sizes).limited);
    // What never runs costs nothing, bounded or not.
    assert_eq!(
        estimated("[].all(x, object.l.all(y, y == x))", &sizes),
        Bound::exact(1)
    );
}

#[test]
fn strings_built_from_bounded_strings() {
    let sizes = Fixed(vec![
        ("object.items", list(50, 2 * ELEMENT_BYTES + 4 + 20)),
        ("object.items.*.name", text(20)),
        ("object.s", text(64)),
    ]);
    let doc = json!({"items": named(50, 20), "s": "a,".repeat(32)});
    // (rule, whether the document is its worst case)
    for (rule, worst) in [
        ("object.items.map(c, c.name + '-x').join(',') != ''", true),
        ("object.s.split(',').all(p, p.size() < 3)", true),
        ("object.s.replace(',', ';;').size() > 1", true),
        ("object.items.map(c, c.name).distinct().size() == 50", true),
        (
            "object.items.exists(c, c.name.upperAscii().startsWith('X'))",
            true,
        ),
        (
            "[object.s, object.s + object.s].exists(x, x.contains('b'))",
            true,
        ),
        (
            "{'k': object.s}.all(k, k != 'x') && string(object.items[0].name).size() > 0",
            true,
        ),
        // Each piece may be as long as the whole string: 33 one-byte pieces
        // here, but 65 pieces of up to 64 bytes for the estimate.
        (
            "object.s.split(',').filter(p, p != '').map(p, p + p).join('') != ''",
            false,
        ),
    ] {
        let estimate = estimated(rule, &sizes);
        let spent = spent(rule, &doc);
        assert!(!estimate.limited, "{rule}: {estimate:?}");
        assert!(
            spent <= estimate.max,
            "{rule}: spent {spent} > {estimate:?}"
        );
        if worst {
            assert!(
                estimate.max <= 3 * spent + 64,
                "{rule}: spent {spent}, estimated {estimate:?}"
            );
        }
    }
}

#[test]
fn literals_and_ranges_are_their_own_bounds() {
    let sizes = Fixed(Vec::new());
    let rule = "lists.range(100).all(i, lists.range(100).exists(j, i == j))";
    let estimate = estimated(rule, &sizes);
    assert!(!estimate.limited);
    assert_eq!(spent(rule, &Value::Null), estimate.max);
    let rule = "['a', 'bb', 'ccc'].map(s, s + s).size() == 3";
    let estimate = estimated(rule, &sizes);
    assert!(!estimate.limited);
    assert!(spent(rule, &Value::Null) <= estimate.max);
}

#[test]
fn a_built_value_is_at_most_what_a_value_may_hold() {
    // Doubling 30 times is stopped at 16 MiB: 1 + 1 Mi units a call at most.
    let chain = ".replace('a', 'aa')".repeat(30);
    let sizes = Fixed(vec![("object.s", text(1))]);
    let estimate = estimated(&format!("object.s{chain} != ''"), &sizes);
    assert!(estimate.limited, "{estimate:?}");
    assert!(estimate.max <= 30 * (1 + (budget::MAX_VALUE_BYTES / BYTES_PER_UNIT)));
}

#[test]
fn maps_iterate_over_keys() {
    let sizes = Fixed(vec![
        ("object.labels", map(20, 16)),
        ("object.labels.*", text(16)),
    ]);
    let rule = "object.labels.all(k, k.matches('^[a-z]+$'))";
    let estimate = estimated(rule, &sizes);
    assert!(!estimate.limited);
    let labels: serde_json::Map<String, Value> =
        (0..20).map(|i| (format!("{i:0>16}"), json!("v"))).collect();
    let spent = spent(rule, &json!({ "labels": labels }));
    assert!(spent <= estimate.max, "{spent} > {estimate:?}");
}

#[test]
fn bounds_saturate() {
    let huge = Bound::exact(u64::MAX / 2);
    assert_eq!(huge.times(huge).max, u64::MAX);
    assert_eq!(huge.plus(huge).plus(huge).max, u64::MAX);
    assert_eq!(Bound::ZERO.times(Bound::limit(5)), Bound::ZERO);
    let rule = "object.a.all(a, object.b.all(b, object.c.all(c, object.d.all(d, a == d))))";
    let estimate = estimated(rule, &Fixed(Vec::new()));
    assert!(estimate.limited && estimate.max > 1 << 60, "{estimate:?}");
}

/// Every function a rule may call has a result size: one that fell to the
/// default would count as anything up to 16 MiB, bounded only by the limits.
#[test]
fn every_known_function_has_a_result_size() {
    use crate::cel::yields::{result, shape, string};
    let sizes = Fixed(Vec::new());
    let ten = || string(Bound::exact(10));
    for name in crate::cel::check::KNOWN_FUNCTIONS {
        let literal = |e| IdedExpr { id: 0, expr: e };
        let call = cel::common::ast::CallExpr {
            func_name: (*name).to_owned(),
            target: None,
            args: vec![
                literal(Expr::Literal(LiteralValue::Int(3.into()))),
                literal(Expr::Literal(LiteralValue::String("x".into()))),
            ],
        };
        let value = result(&sizes, name, &call, Some(ten()), &[ten(), ten()]);
        let bytes = shape(&sizes, &value).bytes;
        assert!(!bytes.limited, "{name}: {bytes:?}");
    }
}

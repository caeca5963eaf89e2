use super::*;
use cel::{Context, Value};

fn spend(text: &str, budget: u64) -> (Result<Value, ExecutionError>, u64) {
    let env = crate::cel::env();
    let program = match env.compile(text) {
        Ok(p) => p,
        Err(e) => unreachable!("{e}"),
    };
    let counted = crate::cel::instrument(program.expression());
    let ctx = Context::with_env(env);
    start(budget);
    let result = Value::resolve(&counted, &ctx);
    (result, spent())
}

#[test]
fn a_comprehension_costs_one_plus_its_range_times_its_body() {
    // `@not_strictly_false(@result)`, `@result && x > 0`: 7 nodes with 1.
    assert_eq!(spend("[1, 2, 3].all(x, x > 0)", 100).1, 1 + 3 * 8);
    assert_eq!(spend("[1, 2, 3, 4, 5, 6].all(x, x > 0)", 100).1, 1 + 6 * 8);
    // The inner loop counts one node in the outer's body, and itself.
    let nested = spend("[1, 2, 3].all(x, [1, 2, 3].all(y, y > 0))", 1000).1;
    assert_eq!(nested, 1 + 3 * 6 + 3 * (1 + 3 * 8));
    // `@not_strictly_false(!@result)`, `@result || k == 'a'`: 8 nodes.
    let exists = spend("{'a': 1, 'b': 2}.exists(k, k == 'a')", 100).1;
    assert_eq!(exists, 1 + 2 * 9);
}

#[test]
fn built_strings_cost_by_size() {
    let (r, spent) = spend("'a' + 'b'", 100);
    assert_eq!(r, Ok(Value::from("ab")));
    assert_eq!(spent, 1);
    let long = "x".repeat(160);
    assert_eq!(spend(&format!("'{long}' + ''"), 100).1, 11);
}

#[test]
fn going_over_stops_and_says_why() {
    let (r, _) = spend("[1, 2, 3].all(x, [1, 2, 3].all(y, y > 0))", 50);
    assert!(r.is_err());
    assert_eq!(stopped(), Some(Stop::Budget(50)));
    let (r, _) = spend("lists.range(1000000).size() > 0", u64::MAX);
    assert!(r.is_err());
    assert_eq!(stopped(), Some(Stop::Size));
    start(10);
    assert_eq!(stopped(), None);
}

#[test]
fn size_counts_nested_values_and_stops_at_the_limit() {
    let v = Value::from(vec![Value::from("abcd"), Value::from(vec![Value::from(1)])]);
    let boxed: Box<dyn Val> = match v.try_into() {
        Ok(b) => b,
        Err(_) => unreachable!(),
    };
    assert_eq!(
        size_of(&*boxed, u64::MAX),
        2 * ELEMENT_BYTES + 4 + 2 * ELEMENT_BYTES
    );
    assert!(size_of(&*boxed, 10) > 10);
}

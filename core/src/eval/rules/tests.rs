//! The CEL cost budget as rules see it: what stops, what is unchanged.

use super::*;
use serde_json::{json, Value};

fn document() -> Document {
    match crate::parse::parse_stream("{}\n").pop() {
        Some(Ok(doc)) => doc,
        other => unreachable!("{other:?}"),
    }
}

fn rule(expr: &str) -> CompiledRule {
    let spec = RuleSpec {
        name: "r".to_owned(),
        expr: expr.to_owned(),
        when: None,
        message: None,
        message_expr: None,
        description: None,
        path: None,
        severity: Severity::Error,
        environments: None,
    };
    match compile_rule("p.yaml", &document(), "/spec/rules/0", &spec) {
        Ok(r) => r,
        Err(e) => unreachable!("{e:?}"),
    }
}

/// Runs `rule` on `object` as `CompiledPolicy::evaluate` does, with the
/// default budget.
fn run(rule: &CompiledRule, object: &Value) -> Option<Finding> {
    run_with(rule, object, budget::DEFAULT_BUDGET)
}

/// `run` with a budget of `budget` units.
fn run_with(rule: &CompiledRule, object: &Value, budget: u64) -> Option<Finding> {
    let reaches = reaches_of(std::slice::from_ref(rule));
    let mut ctx = Context::with_env(crate::cel::env());
    if let Some(reach) = reaches.of("object") {
        ctx.add_variable_as_val("object", reach.to_cel(object));
    }
    rule.run(&ctx, &document().map, budget)
}

fn message(finding: Option<Finding>) -> String {
    finding.map(|f| f.message).unwrap_or_default()
}

fn named_items(n: usize) -> Value {
    let items: Vec<Value> = (0..n).map(|i| json!({"name": format!("c{i}")})).collect();
    json!({ "items": items })
}

const UNIQUE: &str = "object.items.all(c, object.items.exists_one(d, d.name == c.name))";

#[test]
fn a_quadratic_uniqueness_rule_stops_at_the_budget() {
    let r = rule(UNIQUE);
    let started = std::time::Instant::now();
    let m = message(run_with(&r, &named_items(5_000), 200_000));
    assert!(m.contains("exceeding its CEL cost budget of 200000"), "{m}");
    // 25 million comparisons unbounded; about 200 thousand here.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn rules_run_with_the_default_budget() {
    let input = crate::eval::EvalInput::default();
    assert_eq!(input.cel_cost, budget::DEFAULT_BUDGET);
}

#[test]
fn the_same_rule_passes_on_small_inputs() {
    let r = rule(UNIQUE);
    assert!(run(&r, &named_items(50)).is_none());
    let dup = json!({"items": [{"name": "a"}, {"name": "b"}, {"name": "a"}]});
    assert_eq!(
        message(run(&r, &dup)),
        format!("failed rule `r`: `{UNIQUE}`")
    );
}

/// Long chains recurse deeper than a test thread's stack in debug builds.
fn on_a_big_stack(test: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new().stack_size(64 << 20).spawn(test);
    if let Ok(t) = thread {
        assert!(t.join().is_ok());
    }
}

#[test]
fn a_doubling_replace_chain_is_a_finding_not_an_abort() {
    on_a_big_stack(|| {
        let chain = ".replace('a', 'aa')".repeat(30);
        let r = rule(&format!("object.s{chain} != ''"));
        let m = message(run(&r, &json!({"s": "a"})));
        assert!(m.contains("a CEL value of more than 16 MiB"), "{m}");
    });
}

#[test]
fn doubling_lists_and_strings_in_map_are_stopped() {
    on_a_big_stack(|| {
        let strings = ".map(a, a + a)".repeat(30);
        let r = rule(&format!("size(['a']{strings}) == 1"));
        let m = message(run(&r, &json!({})));
        assert!(m.contains("more than 16 MiB"), "{m}");
        let lists = ".map(a, [a, a])".repeat(30);
        let r = rule(&format!("size(['a']{lists}) == 1"));
        let m = message(run(&r, &json!({})));
        assert!(m.contains("more than 16 MiB"), "{m}");
    });
}

#[test]
fn an_absorbed_budget_error_is_still_reported() {
    let r = rule(&format!("{UNIQUE} || true"));
    let m = message(run_with(&r, &named_items(100), 1_000));
    assert!(m.contains("CEL cost budget of 1000"), "{m}");
}

#[test]
fn each_evaluation_starts_a_fresh_budget() {
    let r = rule(UNIQUE);
    assert!(run_with(&r, &named_items(50), u64::MAX).is_none());
    let spent = budget::spent();
    for _ in 0..3 {
        assert!(run_with(&r, &named_items(50), spent).is_none());
        assert_eq!(budget::spent(), spent);
    }
    assert!(run_with(&r, &named_items(50), spent - 1).is_some());
}

#[test]
fn macro_results_are_unchanged() {
    let object = json!({"l": [1, 2, 3, 4], "m": {"a": 1, "b": 2}, "s": "a-b-c"});
    for expr in [
        "object.l.map(x, x * 2) == [2, 4, 6, 8]",
        "object.l.filter(x, x % 2 == 0) == [2, 4]",
        "object.l.map(x, x > 2, x) == [3, 4]",
        "object.l.all(x, x > 0) && !object.l.all(x, x > 1)",
        "object.l.exists(x, x == 3) && object.l.exists_one(x, x > 3)",
        "object.m.all(k, k in ['a', 'b']) && object.m.map(k, object.m[k]).sum() == 3",
        "object.s.split('-') == ['a', 'b', 'c'] && object.s.replace('-', '') == 'abc'",
        "[object.l, [5]].flatten().size() == 5 && object.l.distinct() == object.l",
        "'x' + object.s == 'xa-b-c' && {'k': object.s}.k == object.s",
        "object.l.sortBy(x, -x) == [4, 3, 2, 1] && lists.range(3) == [0, 1, 2]",
        "strings.quote(object.s) == '\"a-b-c\"' && math.greatest(object.l) == 4",
        "object.s.contains('b') && object.s.matches('^a') && 2 in object.l",
        "[1, 0].exists(x, 1 / x == 1) && ![1, 0].all(x, x > 0 && 1 / x == 1)",
    ] {
        let r = rule(expr);
        assert_eq!(message(run(&r, &object)), "", "{expr}");
    }
    // Errors read as before.
    let r = rule("object.l.all(x, 1 / (x - 1) >= 0)");
    let m = message(run(&r, &object));
    assert!(m.starts_with("rule `r` could not be evaluated: "), "{m}");
    assert!(!m.contains("cost"), "{m}");
}

/// `cargo test --release -p assay-core --lib -- --ignored --nocapture timing`:
/// the same rules run as written and as instrumented.
#[test]
#[ignore = "a measurement, for release builds"]
fn timing_of_counted_and_uncounted_runs() {
    let object = named_items(3_000);
    for expr in [
        UNIQUE,
        "object.items.map(c, c.name).filter(n, n.startsWith('c')).size() == 3000",
        "object.items.all(c, c.name.matches('^c[0-9]+$') && c.name.size() < 10)",
        "object.items.exists(c, c.name + '-x' == 'none')",
    ] {
        let r = rule(expr);
        let reaches = reaches_of(std::slice::from_ref(&r));
        let mut ctx = Context::with_env(crate::cel::env());
        if let Some(reach) = reaches.of("object") {
            ctx.add_variable_as_val("object", reach.to_cel(&object));
        }
        let rounds = if expr == UNIQUE { 1 } else { 200 };
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            budget::start(u64::MAX);
            let _ = cel::Value::resolve(r.expr.program.expression(), &ctx);
        }
        let plain = started.elapsed();
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            budget::start(u64::MAX);
            let _ = r.expr.execute(&ctx);
        }
        let counted = started.elapsed();
        let spent = u64::MAX - budget::remaining();
        eprintln!("{expr}: {rounds} runs, as written {plain:?}, counted {counted:?}, cost {spent}");
    }
}

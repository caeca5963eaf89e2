//! Estimates as a policy's schema and params bound them, and the load error
//! for a rule over the budget on documents the schema allows.

use crate::api::{describe, CostBound};
use crate::PolicySet;

const UNIQUE: &str = "object.spec.items.all(c, object.spec.items.exists_one(d, d.name == c.name))";

/// A policy whose schema (at `/spec`) is `schema`, with one rule `expr`.
fn policy(schema: &str, expr: &str) -> String {
    format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: p}}\nspec:\n  \
         params: {{names: [a, bb, ccc]}}\n  schema:\n    path: /spec\n    jsonSchema: {schema}\n  \
         rules:\n    - name: r\n      expr: \"{expr}\"\n"
    )
}

/// The items schema: a list of `{name}` objects of at most `max` items.
fn items(max: &str) -> String {
    format!(
        "{{type: object, properties: {{items: {{type: array, {max} items: {{type: object, \
         properties: {{name: {{type: string, maxLength: 63}}}}}}}}}}}}"
    )
}

fn load(text: &str) -> Result<PolicySet, Vec<crate::PolicyError>> {
    PolicySet::load(&[("p.yaml".to_owned(), text.to_owned())])
}

/// The rule's estimate, as `describe` gives it.
fn estimate(text: &str) -> (u64, CostBound) {
    let set = match load(text) {
        Ok(set) => set,
        Err(e) => unreachable!("{e:?}"),
    };
    let info = describe(&set);
    let rule = &info[0].rules[0];
    assert_eq!(rule.name, "r");
    (rule.estimated_cost.max, rule.estimated_cost.bounded_by)
}

#[test]
fn nested_comprehensions_over_bounded_lists_over_the_budget_do_not_load() {
    let text = policy(&items("maxItems: 1000,"), UNIQUE);
    let errors = load(&text).err().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    // At the rule's `expr`: line 11, after `expr: `.
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("p.yaml", 11, 13),
        "{e}"
    );
    assert_eq!(e.rule.as_deref(), Some("r"));
    assert!(
        e.message.starts_with(
            "rule `r` `expr`: estimated CEL cost exceeds the budget by a factor of 1.21x: 12007001"
        ),
        "{e}"
    );
    let hint = e.hint.as_deref().unwrap_or_default();
    assert!(
        hint.contains("maxItems, maxProperties, and maxLength"),
        "{hint}"
    );
}

#[test]
fn the_same_rule_over_a_shorter_list_loads_bounded_by_the_schema() {
    let (max, bound) = estimate(&policy(&items("maxItems: 100,"), UNIQUE));
    assert_eq!(
        (max, bound),
        (1 + 100 * 6 + 100 * (1 + 100 * 12), CostBound::Schema)
    );
}

#[test]
fn nested_comprehensions_over_unbounded_lists_load_bounded_by_the_document_limits() {
    let (max, bound) = estimate(&policy(&items(""), UNIQUE));
    assert_eq!(bound, CostBound::DocumentLimits);
    assert!(max > crate::cel::budget::DEFAULT_BUDGET);
    // Without a schema at all, too.
    let (_, bound) = estimate(&policy("{type: object}", UNIQUE));
    assert_eq!(bound, CostBound::DocumentLimits);
}

#[test]
fn rules_that_build_nothing_cost_nothing() {
    let text = policy(
        "{type: object}",
        "object.spec.replicas > 1 && has(object.spec.x)",
    );
    assert_eq!(estimate(&text), (0, CostBound::Schema));
}

#[test]
fn strings_built_from_strings_with_a_max_length() {
    let schema = "{type: object, properties: {a: {type: string, maxLength: 10}, b: {type: string, maxLength: 6}}}";
    // 4 bytes a character at most: 64 bytes, 1 + 4 units.
    let text = policy(schema, "object.spec.a + object.spec.b != 'x'");
    assert_eq!(estimate(&text), (5, CostBound::Schema));
    let schema = "{type: object, properties: {a: {type: string}}}";
    let text = policy(schema, "object.spec.a + 'x' != 'x'");
    assert_eq!(estimate(&text).1, CostBound::DocumentLimits);
}

#[test]
fn strings_read_as_numbers_are_not_bounded_by_their_number_schema() {
    let schema = "{type: object, properties: {n: {type: integer, maximum: 10}}}";
    let rule = "object.spec.n.contains('1')";
    assert_eq!(estimate(&policy(schema, rule)), (1, CostBound::Schema));
    let coerce = |text: String| text.replace("path: /spec\n", "path: /spec\n    coerce: strings\n");
    assert_eq!(
        estimate(&coerce(policy(schema, rule))).1,
        CostBound::DocumentLimits
    );
    // `" 1 "` is `1` to `enum: [1, 2]`.
    let schema = "{type: object, properties: {n: {type: integer, enum: [1, 2]}}}";
    assert_eq!(estimate(&policy(schema, rule)), (1, CostBound::Schema));
    assert_eq!(
        estimate(&coerce(policy(schema, rule))).1,
        CostBound::DocumentLimits
    );
}

#[test]
fn params_are_bounded_by_their_values() {
    let rule = "params.names.all(n, params.names.exists_one(m, m == n))";
    let (max, bound) = estimate(&policy("{type: object}", rule));
    // `m == n` is two nodes shorter than `d.name == c.name`.
    assert_eq!(
        (max, bound),
        (1 + 3 * 6 + 3 * (1 + 3 * 10), CostBound::Schema)
    );
}

#[test]
fn local_refs_enums_and_maps_bound_sizes() {
    let schema =
        "{type: object, $defs: {list: {type: array, maxItems: 10, items: {enum: [a, b]}}}, \
                  properties: {l: {$ref: '#/$defs/list'}, m: {type: object, maxProperties: 5, \
                  propertyNames: {maxLength: 8}, additionalProperties: {$ref: '#/$defs/list'}}}}";
    let rule = "object.spec.m.all(k, object.spec.m[k].all(x, x in object.spec.l))";
    let (max, bound) = estimate(&policy(schema, rule));
    assert_eq!(bound, CostBound::Schema, "{max}");
    // 5 keys, each 10 elements, each reading 10 elements: small.
    assert!(max < 2000, "{max}");
    // Keys longer than `propertyNames` allows are not assumed.
    let rule = "object.spec.m.all(k, k.contains('x'))";
    assert_eq!(estimate(&policy(schema, rule)).1, CostBound::Schema);
}

#[test]
fn embedded_files_are_bounded_by_their_schemas() {
    let text = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  \
                embedded:\n    - path: /data/c.yaml\n      format: yaml\n      jsonSchema: {type: \
                object, properties: {models: {type: array, maxItems: 20, items: {type: object}}}}\n  \
                rules:\n    - name: r\n      expr: \"embedded['/data/c.yaml'].models.all(m, \
                embedded['/data/c.yaml'].models.exists_one(n, n == m))\"\n";
    assert_eq!(estimate(text).1, CostBound::Schema);
    let unbounded = text.replace("maxItems: 20, ", "");
    assert_eq!(estimate(&unbounded).1, CostBound::DocumentLimits);
}

#[test]
fn when_and_message_expr_share_the_estimate() {
    // Each under the budget, together over it; at the costliest, `when`.
    let message = "object.spec.items.all(c, object.spec.items.exists(d, d == c)) ? 'a' : 'b'";
    let text = policy(&items("maxItems: 700,"), "true").replace(
        "      expr: \"true\"\n",
        &format!(
            "      expr: \"true\"\n      when: \"{UNIQUE}\"\n      messageExpr: \"{message}\"\n"
        ),
    );
    let errors = load(&text).err().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 12, "{}", errors[0]);
    assert!(
        errors[0].message.starts_with("rule `r` `when`:"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].message.contains(
            "factor of 1.03x: 10299802 (`expr` 0, `when` 5884901, `messageExpr` 4414901)"
        ),
        "{}",
        errors[0]
    );
}

#[test]
fn the_built_in_library_loads_with_its_estimates() {
    let set = match crate::library::defaults() {
        Ok(set) => set,
        Err(e) => unreachable!("{e:?}"),
    };
    let info = describe(&set);
    let rules: Vec<_> = info.iter().flat_map(|p| &p.rules).collect();
    assert!(rules.len() > 20, "{info:?}");
    // `LOG_LEVEL != 'DEBUG'`: compares, builds nothing.
    let debug = rules.iter().find(|r| r.name == "no-debug-in-production");
    let cost = debug.map(|r| (r.estimated_cost.max, r.estimated_cost.bounded_by));
    assert_eq!(cost, Some((0, CostBound::Schema)));
}

#[test]
fn long_chains_of_alternatives_are_estimated() {
    let chain = vec!["object.spec.items.exists(c, c.name == 'x')"; 300].join(" || ");
    let (max, bound) = estimate(&policy(&items("maxItems: 10,"), &chain));
    assert_eq!(bound, CostBound::Schema);
    assert!(max > 300 * 10, "{max}");
}

//! Integration tests of the `assay` binary: real inputs, real outputs, real
//! exit codes (docs/report.md, docs/cli.md). Helpers and fixtures: `common/mod.rs`.
//!
//! Loading policies: invalid policies exit 2 with one located line per
//! problem; schema `$ref`s are read relative to the policy.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assay, fixture, split_location, TempDir};

#[test]
fn invalid_policies_report_every_problem_with_a_location() {
    let file = fixture("bad-policies/policies.yaml");
    let run = assay(&["check", "-p", &fixture("bad-policies"), "examples/k8s/"]);
    run.assert_code(2);
    assert!(
        run.stdout.is_empty(),
        "no report on a policy error: {}",
        run.stdout
    );
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 7, "one line per problem:\n{}", run.stderr);
    let located: Vec<(u32, u32, &str)> = lines
        .iter()
        .map(|l| {
            let (f, line, col, msg) =
                split_location(l).unwrap_or_else(|| panic!("not file:line:col: {l}"));
            assert_eq!(f, file, "{l}");
            (line, col, msg)
        })
        .collect();
    let find = |needle: &str| -> (u32, u32) {
        located
            .iter()
            .find(|(_, _, m)| m.contains(needle))
            .map(|(l, c, _)| (*l, *c))
            .unwrap_or_else(|| panic!("no problem mentioning {needle:?}:\n{}", run.stderr))
    };
    // Unknown field: named, on its line (key or value column).
    let (l, c) = find("rulez");
    assert_eq!(l, 8);
    assert!(c == 3 || c == 10, "column {c}");
    assert!(
        lines.iter().any(|l| l.contains("unknown field")),
        "{}",
        run.stderr
    );
    // CEL syntax error: points into the expression (at its end here).
    assert_eq!(find("CEL syntax error"), (17, 33));
    // Unknown variable, named.
    assert_eq!(find("objct"), (26, 13));
    // Invalid JSON Schema.
    assert_eq!(find("invalid JSON Schema"), (34, 17));
    // Duplicate rule name: at the second one.
    assert_eq!(find("duplicate rule name"), (44, 13));
    // A constant regex that cannot compile would fail every document.
    assert_eq!(find("the regex `^(DEBUG|INFO` does not compile"), (54, 13));
    // A path that is not a pointer would find nothing in any document.
    assert_eq!(
        find("`schema.path`: `data` is not a JSON pointer"),
        (62, 11)
    );
}

#[test]
fn expressions_too_deep_to_evaluate_are_refused_at_load_with_a_location() {
    // They used to overflow the stack: a crash natively, a dead instance in wasm.
    let file = fixture("deep-cel/policy.yaml");
    let tmp = TempDir::new("deep-cel");
    let module = format!("{}/deep.wasm", tmp.path());
    for run in [
        assay(&["check", "-p", &file, "examples/k8s/"]),
        assay(&["build", &file, "-o", &module]),
    ] {
        run.assert_code(2);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 2, "one line per deep rule:\n{}", run.stderr);
        let at = |rule: &str| -> (u32, u32, String) {
            let line = lines
                .iter()
                .find(|l| l.contains(&format!("rule `{rule}`")))
                .unwrap_or_else(|| panic!("no line for {rule}:\n{}", run.stderr));
            let (f, l, c, msg) = split_location(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(f, file);
            (l, c, msg.to_owned())
        };
        // At the 65th `+` of the chain, and the 33rd `(`.
        let (l, c, msg) = at("long-chain");
        assert_eq!((l, c), (10, 13 + 17 + 64 * 4 + 1), "{msg}");
        assert!(msg.contains("more than 64 operators"), "{msg}");
        let (l, c, msg) = at("deep-nesting");
        assert_eq!((l, c), (12, 13 + 32), "{msg}");
        assert!(msg.contains("more than 32 brackets"), "{msg}");
    }
}

#[test]
fn unknown_field_does_not_hide_other_problems_of_the_same_policy() {
    let file = fixture("bad-policy-one/policy.yaml");
    let run = assay(&["check", "-p", &file, "examples/k8s/"]);
    run.assert_code(2);
    let lines = run.stderr_lines();
    for needle in [
        "severty",
        "invalid JSON Schema",
        "CEL syntax error",
        "objct",
        "duplicate rule name",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(needle) && split_location(l).is_some_and(|(f, ..)| f == file)),
            "no located line mentioning {needle:?}:\n{}",
            run.stderr
        );
    }
}

#[test]
fn other_policy_problems_exit_2_with_a_location() {
    let tmp = TempDir::new("policies");
    let cases: Vec<(&str, String, &str, (u32, u32))> = vec![
        (
            "yaml.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules: [\n".to_owned(),
            "invalid YAML",
            (6, 1),
        ),
        (
            "notbool.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      expr: \"1 + 2\"\n".to_owned(),
            "does not yield a bool",
            (7, 13),
        ),
        (
            "version.yaml",
            "apiVersion: assay.dev/v2\nkind: ValidationPolicy\nmetadata: {name: p}\nspec: {}\n".to_owned(),
            "assay.dev/v2",
            (1, 13),
        ),
        (
            "name.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: Bad_Name}\nspec: {}\n".to_owned(),
            "Bad_Name",
            (3, 18),
        ),
        (
            "when.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      expr: \"true\"\n      when: \"'a'\"\n".to_owned(),
            "does not yield a bool",
            (8, 13),
        ),
        (
            "path.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      expr: \"true\"\n      path: data.x\n".to_owned(),
            "not a JSON pointer",
            (8, 13),
        ),
        (
            "severity.yaml",
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      expr: \"true\"\n      severity: fatal\n".to_owned(),
            "severity",
            (8, 17),
        ),
    ];
    for (name, text, needle, (line, col)) in cases {
        let path = tmp.write(name, &text);
        let run = assay(&["check", "-p", &path, &fixture("ml-pipeline-good.yaml")]);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{name}: {}", run.stderr);
        let (f, l, c, msg) = split_location(lines[0])
            .unwrap_or_else(|| panic!("{name}: not file:line:col: {}", lines[0]));
        assert_eq!(f, path, "{name}");
        assert!(msg.contains(needle), "{name}: {msg}");
        assert_eq!((l, c), (line, col), "{name}: {msg}");
    }

    // Two files defining the same policy name.
    let a = tmp.write(
        "dup/a.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: same}\nspec: {}\n",
    );
    let b = tmp.write(
        "dup/b.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: same}\nspec: {}\n",
    );
    let run = assay(&[
        "check",
        "-p",
        &format!("{}/dup", tmp.path()),
        &fixture("ml-pipeline-good.yaml"),
    ]);
    run.assert_code(2);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(lines[0].starts_with(&format!("{b}:3:18: ")), "{}", lines[0]);
    assert!(
        lines[0].contains("duplicate policy name") && lines[0].contains(&a),
        "{}",
        lines[0]
    );

    // A directory without any policy.
    tmp.write("none/config.yaml", "a: 1\n");
    let run = assay(&[
        "check",
        "-p",
        &format!("{}/none", tmp.path()),
        &fixture("ml-pipeline-good.yaml"),
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("no policies found"), "{}", run.stderr);
}

#[test]
fn schema_refs_to_other_files_are_read_relative_to_the_policy() {
    let tmp = TempDir::new("schema-ref");
    let input = tmp.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  LOG_LEVEL: TRACE\n",
    );
    let run = assay(&["check", "-p", "tests/cases/schema-ref.policy.yaml", &input]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("\"TRACE\" is not one of"),
        "{}",
        run.stdout
    );
}

#[test]
fn broken_schema_refs_are_every_one_reported_where_they_are_written() {
    let tmp = TempDir::new("schema-ref-broken");
    tmp.write("schemas/bad.yaml", "x:\n  type: [integer\n");
    let policy = tmp.write(
        "p.yaml",
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: r}\nspec:\n  schema:\n    jsonSchema:\n      properties:\n        a: {$ref: \"schemas/missing.json\"}\n        b: {$ref: \"schemas/bad.yaml#/x\"}\n        c: {$ref: \"schemas/missing.json#/y\"}\n",
    );
    let run = assay(&["check", "-p", &policy, "examples/k8s/"]);
    run.assert_code(2);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (file, line, column, message) = split_location(lines[0]).expect("located");
    assert!(file.ends_with("p.yaml"), "{file}");
    assert_eq!((line, column), (8, 19));
    assert!(
        message.contains("`schemas/missing.json`: cannot read"),
        "{message}"
    );
    let (file, line, column, message) = split_location(lines[1]).expect("located");
    assert!(file.ends_with("schemas/bad.yaml"), "{file}");
    assert_eq!((line, column), (3, 1));
    assert!(message.contains("invalid schema file"), "{message}");
}

use super::*;
use crate::parse::SourceMap;
use serde_json::json;

fn errors(schema: Value, value: Value) -> Vec<String> {
    errors_with(Coerce::Strings, schema, value)
}

fn errors_with(coerce: Coerce, schema: Value, value: Value) -> Vec<String> {
    let files = ReadFiles::default();
    let s = match Schema::compile(&schema, coerce, "p.yaml", Pos::default(), files) {
        Ok(s) => s,
        Err(e) => unreachable!("{e}"),
    };
    let mut findings = Vec::new();
    s.validate(&value, "", "schema", &SourceMap::default(), &mut findings);
    findings.into_iter().map(|f| f.message).collect()
}

#[test]
fn strings_read_as_the_types_the_schema_wants() {
    let schema = json!({"type": "object", "properties": {
        "n": {"type": "integer", "maximum": 10},
        "f": {"type": "number"},
        "b": {"type": "boolean"},
        "s": {"type": "string"},
        "list": {"type": "array", "items": {"type": "integer"}},
        "nested": {"type": "object", "additionalProperties": {"type": "boolean"}}
    }});
    let ok = json!({"n": "7", "f": "0.5", "b": "true", "s": "12",
        "list": ["1", "2"], "nested": {"x": "false"}});
    assert_eq!(errors(schema.clone(), ok), Vec::<String>::new());
    let bad = json!({"n": "70", "b": "yes", "s": 12});
    let messages = errors(schema, bad);
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("\"70\"")),
        "{messages:?}"
    );
}

#[test]
fn combined_schemas_coerce_by_the_validators_errors() {
    let schema = json!({"type": "object",
        "$defs": {"count": {"type": "integer", "minimum": 1}},
        "properties": {"n": {"$ref": "#/$defs/count"}}
    });
    assert_eq!(
        errors(schema.clone(), json!({"n": "5"})),
        Vec::<String>::new()
    );
    assert_eq!(errors(schema, json!({"n": "0"})).len(), 1);
}

/// `s` read by the lenient grammar as `ty`, if it reads as one.
fn lenient(s: &str, ty: JsonType) -> Option<Value> {
    coerce_string(s, |t| t == ty, false)
}

/// `s` read by the strict grammar as `ty`, if it reads as one.
fn strict(s: &str, ty: JsonType) -> Option<Value> {
    coerce_string(s, |t| t == ty, true)
}

#[test]
fn lenient_integers_are_a_sign_and_ascii_digits() {
    use JsonType::Integer;
    assert_eq!(lenient("64", Integer), Some(json!(64)));
    assert_eq!(lenient(" 64 ", Integer), Some(json!(64)));
    assert_eq!(lenient("\t64\n", Integer), Some(json!(64)));
    assert_eq!(lenient("+64", Integer), Some(json!(64)));
    assert_eq!(lenient("-64", Integer), Some(json!(-64)));
    assert_eq!(lenient("-0", Integer), Some(json!(0)));
    assert_eq!(lenient("064", Integer), Some(json!(64)));
    let max = "9223372036854775807";
    assert_eq!(lenient(max, Integer), Some(json!(i64::MAX)));
    for refused in [
        "",
        " ",
        "+",
        "-",
        "6_4",
        "1e3",
        "0x40",
        "64.0",
        "6 4",
        "+-64",
        "--64",
        "\u{a0}64",
        "64\u{2003}",
        "\u{ff16}\u{ff14}",
        "9223372036854775808",
    ] {
        assert_eq!(lenient(refused, Integer), None, "{refused:?}");
    }
}

#[test]
fn lenient_numbers_are_json_numbers_with_an_optional_plus() {
    use JsonType::Number;
    assert_eq!(lenient("0.25", Number), Some(json!(0.25)));
    assert_eq!(lenient(" -1.5 ", Number), Some(json!(-1.5)));
    assert_eq!(lenient("+1.5", Number), Some(json!(1.5)));
    assert_eq!(lenient("1e3", Number), Some(json!(1000.0)));
    assert_eq!(lenient("1E-3", Number), Some(json!(0.001)));
    assert_eq!(lenient("2.5e+2", Number), Some(json!(250.0)));
    assert_eq!(lenient("64", Number), Some(json!(64)));
    assert_eq!(lenient("64.0", Number), Some(json!(64.0)));
    assert_eq!(
        lenient("9223372036854775808", Number),
        Some(json!(9223372036854775808.0))
    );
    for refused in [
        ".5",
        "5.",
        "-.5",
        "1.e5",
        "1e",
        "1e+",
        "e5",
        "inf",
        "-inf",
        "Inf",
        "infinity",
        "Infinity",
        "NaN",
        "nan",
        "1e400",
        "-1e400",
        "0x40",
        "0x1p-2",
        "1_000",
        "1,5",
        "\u{a0}1.5",
    ] {
        assert_eq!(lenient(refused, Number), None, "{refused:?}");
    }
}

#[test]
fn lenient_booleans_are_true_and_false_only() {
    use JsonType::Boolean;
    assert_eq!(lenient("true", Boolean), Some(json!(true)));
    assert_eq!(lenient(" false\n", Boolean), Some(json!(false)));
    for refused in [
        "True",
        "TRUE",
        "t",
        "T",
        "1",
        "0",
        "f",
        "False",
        "FALSE",
        "yes",
        "no",
        "on",
        "off",
        "\u{a0}true",
    ] {
        assert_eq!(lenient(refused, Boolean), None, "{refused:?}");
    }
}

#[test]
fn strict_reads_the_lenient_grammar_without_spaces() {
    use JsonType::{Boolean, Integer, Number};
    for (s, ty) in [
        ("64", Integer),
        ("+64", Integer),
        ("-0", Integer),
        ("1e3", Number),
        ("-1.5", Number),
        ("true", Boolean),
    ] {
        assert_eq!(strict(s, ty), lenient(s, ty), "{s:?}");
        assert!(strict(s, ty).is_some(), "{s:?}");
    }
    for (s, ty) in [
        (" 64", Integer),
        ("64 ", Integer),
        ("64\n", Integer),
        ("\t1.5", Number),
        (" true", Boolean),
        ("6_4", Integer),
        ("1e3", Integer),
        ("inf", Number),
        ("NaN", Number),
        ("1e400", Number),
        ("True", Boolean),
        ("1", Boolean),
    ] {
        assert_eq!(strict(s, ty), None, "{s:?}");
    }
}

#[test]
fn strict_refuses_numbers_and_booleans_where_it_reads_strings() {
    let schema = json!({"type": "object", "properties": {
        "n": {"type": "integer"},
        "b": {"type": "boolean"},
        "s": {"type": "string"},
        "list": {"type": "array", "items": {"type": "number"}},
        "a/b": {"type": "integer"}
    }});
    let messages = errors_with(
        Coerce::Strict,
        schema.clone(),
        json!({"n": 64, "b": true, "s": "x", "list": ["1", 2.5], "a/b": "1"}),
    );
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages
        .iter()
        .any(|m| m.starts_with("64 must be a quoted string (\"64\")")));
    assert!(messages
        .iter()
        .any(|m| m.starts_with("true must be a quoted")));
    assert!(messages
        .iter()
        .any(|m| m.starts_with("2.5 must be a quoted")));
    let fine = json!({"n": "64", "b": "true", "list": ["1"], "a/b": "1"});
    assert_eq!(
        errors_with(Coerce::Strict, schema.clone(), fine),
        Vec::<String>::new()
    );
    let spaced = errors_with(Coerce::Strict, schema, json!({"n": " 64"}));
    assert_eq!(spaced, vec![r#"" 64" is not of type "integer""#.to_owned()]);
}

#[test]
fn strict_finds_unquoted_values_through_refs() {
    let schema = json!({"type": "object",
        "$defs": {"count": {"type": "integer"}},
        "properties": {"n": {"$ref": "#/$defs/count"}, "s": {"type": "string"}, "m": {}}
    });
    let messages = errors_with(Coerce::Strict, schema.clone(), json!({"n": 3, "m": 4}));
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with("3 must be a quoted string"),
        "{messages:?}"
    );
    let clean = json!({"n": "3", "s": "x", "m": "y"});
    assert_eq!(
        errors_with(Coerce::Strict, schema, clean),
        Vec::<String>::new()
    );
}

#[test]
fn a_declared_property_is_not_read_by_additional_properties() {
    let schema = json!({"type": "object",
        "properties": {"name": {"type": "string"}},
        "additionalProperties": {"type": "integer"}
    });
    let value = json!({"name": "42", "n": "7"});
    assert_eq!(errors(schema.clone(), value), Vec::<String>::new());
    let unquoted = json!({"name": "x", "n": 7});
    let messages = errors_with(Coerce::Strict, schema.clone(), unquoted);
    assert_eq!(messages.len(), 1, "{messages:?}");
    let fine = json!({"name": "x", "n": "7"});
    assert_eq!(
        errors_with(Coerce::Strict, schema, fine),
        Vec::<String>::new()
    );
}

#[test]
fn an_unknown_coerce_lists_strict_among_the_choices() {
    let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: p}\n\
        spec:\n  schema: {coerce: quoted, jsonSchema: {}}\n  \
        embedded: [{path: /data/x, format: env, coerce: lenient}]\n";
    let Err(errors) = crate::PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) else {
        unreachable!("`coerce: quoted` loaded");
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in errors {
        let e = e.to_string();
        assert!(
            e.contains("expected one of `none`, `strings`, `strict`"),
            "{e}"
        );
    }
}

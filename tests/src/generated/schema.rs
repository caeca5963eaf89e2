//! JSON Schema fragments: `type`, `required`, `enum`, `const`, `pattern`,
//! lengths, `minimum`/`maximum`, `multipleOf`, `format`, `maxItems`,
//! `uniqueItems`, `additionalProperties`, combinators and `$ref` to
//! `$defs`; schemas aimed at the parts of the generated documents (a
//! ConfigMap's `data`, a Deployment's `spec`, metadata, an embedded
//! config file), and broken ones that do not compile.

use super::documents::{DATA_KEYS, KINDS, LEVELS};
use super::node::Node;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

fn s(v: &str) -> Node {
    Node::str(v)
}

fn strs(items: &[&str]) -> Node {
    Node::List(items.iter().map(|i| s(i)).collect())
}

/// Regexes JSON Schema `pattern`s and CEL `matches` accept.
pub const PATTERNS: &[&str] = &[
    "^[a-z0-9-]+$",
    "^[A-Z_]+$",
    "\\d",
    "^postgres://",
    "é",
    "^.{0,8}$",
    "(?i)^info$",
    "^\\p{L}+$",
    "^\\S+$",
    "\\bconfig\\b",
    "[^\\x00-\\x7f]",
    "^(DEBUG|INFO|WARNING|ERROR)$",
    "",
    "^[0-9]+(\\.[0-9]+)?$",
];

/// Patterns that do not compile.
pub const BAD_PATTERNS: &[&str] = &["(", "[a-", "*x", "(?<", "\\", "a{2,1}"];

const FORMATS: &[&str] = &[
    "email",
    "ipv4",
    "ipv6",
    "date",
    "date-time",
    "uri",
    "hostname",
    "uuid",
    "duration",
    "regex",
    "no-such-format",
];

const TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "object", "array", "null",
];

fn small_int() -> BoxedStrategy<Node> {
    prop_oneof![
        4 => (-2i64..120).prop_map(Node::Int),
        1 => select(&[i64::MAX, i64::MIN, 1 << 53][..]).prop_map(Node::Int),
        1 => select(&[0.5, 2.5, -1.5, 1e-9, 100.0][..]).prop_map(Node::Float),
    ]
    .boxed()
}

fn enum_value() -> BoxedStrategy<Node> {
    prop_oneof![
        4 => select(LEVELS).prop_map(s),
        1 => (-3i64..100).prop_map(Node::Int),
        1 => Just(Node::Float(1.0)),
        1 => any::<bool>().prop_map(Node::Bool),
        1 => Just(Node::Null),
        1 => select(&["60", "true", "é", "a\"b", "line\nbreak"][..]).prop_map(s),
    ]
    .boxed()
}

/// A schema for one value: a type and what goes with it.
pub fn leaf() -> BoxedStrategy<Node> {
    prop_oneof![
        2 => select(TYPES).prop_map(|t| Node::map([("type", s(t))])),
        2 => (prop::option::of(small_int()), prop::option::of(small_int()), any::<bool>())
            .prop_map(|(min, max, integer)| {
                let mut m = vec![("type".to_owned(), s(if integer { "integer" } else { "number" }))];
                if let Some(min) = min {
                    m.push(("minimum".into(), min));
                }
                if let Some(max) = max {
                    m.push(("exclusiveMaximum".into(), max));
                }
                Node::Map(m)
            }),
        1 => select(&[0.5, 3.0, 0.01, 7.0][..]).prop_map(|f| Node::map([("multipleOf", Node::Float(f))])),
        2 => vec(enum_value(), 1..5).prop_map(|v| Node::map([("enum", Node::List(v))])),
        1 => enum_value().prop_map(|v| Node::map([("const", v)])),
        2 => select(PATTERNS).prop_map(|p| Node::map([("type", s("string")), ("pattern", s(p))])),
        1 => (0i64..4, 0i64..30).prop_map(|(a, b)| Node::map([("minLength", Node::Int(a)), ("maxLength", Node::Int(a + b))])),
        1 => select(&[4294967296, 4294967297, i64::MAX][..]).prop_map(|n| Node::map([("maxLength", Node::Int(n)), ("minLength", Node::Int(n - 4294967295))])),
        1 => select(FORMATS).prop_map(|f| Node::map([("type", s("string")), ("format", s(f))])),
        1 => subsequence(TYPES, 2..3).prop_map(|t| Node::map([("type", strs(&t))])),
        1 => Just(Node::map([] as [(&str, Node); 0])),
        1 => any::<bool>().prop_map(Node::Bool),
    ]
    .boxed()
}

/// A schema of any shape, a few levels deep.
pub fn fragment() -> BoxedStrategy<Node> {
    leaf()
        .prop_recursive(3, 16, 3, |inner| {
            let key = prop_oneof![select(DATA_KEYS).prop_map(str::to_owned), "[a-z]{1,6}"];
            prop_oneof![
                (vec((key.clone(), inner.clone()), 0..4), vec(key, 0..2), prop::option::of(prop_oneof![any::<bool>().prop_map(Node::Bool), inner.clone()]), prop::option::of(0i64..4))
                    .prop_map(|(props, required, additional, max)| {
                        let mut m = vec![("type".to_owned(), s("object"))];
                        m.push(("properties".into(), Node::map(props)));
                        if !required.is_empty() {
                            m.push(("required".into(), Node::List(required.into_iter().map(Node::Str).collect())));
                        }
                        if let Some(a) = additional {
                            m.push(("additionalProperties".into(), a));
                        }
                        if let Some(n) = max {
                            m.push(("maxProperties".into(), Node::Int(n)));
                        }
                        Node::Map(m)
                    }),
                (inner.clone(), prop::option::of(prop_oneof![4 => 0i64..4, 1 => select(&[4294967296, 4294967297, i64::MAX][..])]), prop::option::of(0i64..2), any::<bool>())
                    .prop_map(|(items, max, min, unique)| {
                        let mut m = vec![("type".to_owned(), s("array")), ("items".into(), items)];
                        if let Some(n) = max {
                            m.push(("maxItems".into(), Node::Int(n)));
                        }
                        if let Some(n) = min {
                            m.push(("minItems".into(), Node::Int(n)));
                        }
                        if unique {
                            m.push(("uniqueItems".into(), Node::Bool(true)));
                        }
                        Node::Map(m)
                    }),
                (select(&["anyOf", "oneOf", "allOf"][..]), vec(inner.clone(), 1..3))
                    .prop_map(|(k, v)| Node::map([(k, Node::List(v))])),
                inner.clone().prop_map(|n| Node::map([("not", n)])),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(i, t, e)| Node::map([("if", i), ("then", t), ("else", e)])),
                (select(PATTERNS), inner.clone())
                    .prop_map(|(p, v)| Node::map([("type", s("object")), ("patternProperties", Node::map([(p, v)]))])),
                inner.clone().prop_map(|c| Node::map([("type", s("array")), ("contains", c)])),
                // Recursive: checks every level of a deep document.
                inner.clone().prop_map(|leaf| Node::map([
                    ("anyOf", Node::List(vec![leaf, Node::map([
                        ("type", strs(&["object", "array"])),
                        ("additionalProperties", Node::map([("$ref", s("#"))])),
                        ("items", Node::map([("$ref", s("#"))])),
                    ])])),
                ])),
                select(PATTERNS).prop_map(|p| Node::map([("propertyNames", Node::map([("pattern", s(p))]))])),
            ]
        })
        .boxed()
}

/// A schema for a value of a ConfigMap's `data` (a string, read as the
/// type the schema asks for under `coerce`).
fn data_value_schema() -> BoxedStrategy<Node> {
    prop_oneof![
        2 => (prop::option::of(-5i64..100), prop::option::of(50i64..10_000)).prop_map(|(min, max)| {
            let mut m = vec![("type".to_owned(), s("integer"))];
            if let Some(min) = min {
                m.push(("minimum".into(), Node::Int(min)));
            }
            if let Some(max) = max {
                m.push(("maximum".into(), Node::Int(max)));
            }
            Node::Map(m)
        }),
        1 => Just(Node::map([("type", s("number")), ("exclusiveMinimum", Node::Int(0)), ("maximum", Node::Float(1.0))])),
        1 => Just(Node::map([("type", s("boolean"))])),
        2 => subsequence(LEVELS, 1..5).prop_map(|l| Node::map([("enum", strs(&l))])),
        1 => Just(Node::map([("$ref", s("#/$defs/level"))])),
        1 => Just(Node::map([("type", strs(&["integer", "string"]))])),
        1 => Just(Node::map([("anyOf", Node::List(vec![Node::map([("type", s("integer"))]), Node::map([("const", s("auto"))])]))])),
        1 => Just(Node::map([("type", s("string")), ("format", s("uri"))])),
        3 => leaf(),
    ]
    .boxed()
}

/// A schema for a ConfigMap's `data`.
pub fn data_schema() -> BoxedStrategy<Node> {
    (
        vec((select(DATA_KEYS), data_value_schema()), 1..5),
        subsequence(DATA_KEYS, 0..3),
        prop::option::weighted(
            0.3,
            prop_oneof![
                Just(Node::Bool(false)),
                Just(Node::map([("type", s("string"))])),
                leaf()
            ],
        ),
        prop::option::weighted(0.2, 0i64..8),
    )
        .prop_map(|(props, required, additional, max)| {
            let mut m = vec![
                ("type".to_owned(), s("object")),
                (
                    "$defs".into(),
                    Node::map([("level", Node::map([("enum", strs(&LEVELS[..4]))]))]),
                ),
                ("properties".into(), Node::map(props)),
            ];
            if !required.is_empty() {
                m.push(("required".into(), strs(&required)));
            }
            if let Some(a) = additional {
                m.push(("additionalProperties".into(), a));
            }
            if let Some(n) = max {
                m.push(("maxProperties".into(), Node::Int(n)));
            }
            Node::Map(m)
        })
        .boxed()
}

/// A schema for a whole Kubernetes object.
pub fn object_schema() -> BoxedStrategy<Node> {
    (
        subsequence(KINDS, 1..4),
        select(PATTERNS),
        1i64..40,
        any::<bool>(),
    )
        .prop_map(|(kinds, pattern, max, labels)| {
            let mut props = vec![(
                "name".to_owned(),
                Node::map([
                    ("type", s("string")),
                    ("pattern", s(pattern)),
                    ("maxLength", Node::Int(max)),
                ]),
            )];
            if labels {
                props.push((
                    "labels".into(),
                    Node::map([
                        ("type", s("object")),
                        (
                            "additionalProperties",
                            Node::map([("type", s("string")), ("maxLength", Node::Int(10))]),
                        ),
                    ]),
                ));
            }
            let metadata = vec![
                ("type".to_owned(), s("object")),
                ("required".into(), strs(&["name"])),
                ("properties".into(), Node::Map(props)),
            ];
            Node::map([
                ("type", s("object")),
                ("required", strs(&["apiVersion", "kind", "metadata"])),
                (
                    "properties",
                    Node::map([
                        (
                            "apiVersion",
                            Node::map([("enum", strs(&["v1", "apps/v1"]))]),
                        ),
                        ("kind", Node::map([("enum", strs(&kinds))])),
                        ("metadata", Node::map(metadata)),
                    ]),
                ),
            ])
        })
        .boxed()
}

/// A schema for a Deployment's `spec`.
pub fn spec_schema() -> BoxedStrategy<Node> {
    (0i64..3, 2i64..12, 0i64..4, select(PATTERNS))
        .prop_map(|(min, max, max_items, pattern)| {
            Node::map([
                ("type", s("object")),
                ("required", strs(&["replicas"])),
                (
                    "properties",
                    Node::map([
                        (
                            "replicas",
                            Node::map([
                                ("type", s("integer")),
                                ("minimum", Node::Int(min)),
                                ("maximum", Node::Int(max)),
                            ]),
                        ),
                        (
                            "template",
                            Node::map([(
                                "properties",
                                Node::map([(
                                    "spec",
                                    Node::map([(
                                        "properties",
                                        Node::map([(
                                            "containers",
                                            Node::map([
                                                ("type", s("array")),
                                                ("maxItems", Node::Int(max_items)),
                                                (
                                                    "items",
                                                    Node::map([
                                                        ("required", strs(&["name", "image"])),
                                                        (
                                                            "properties",
                                                            Node::map([(
                                                                "image",
                                                                Node::map([(
                                                                    "pattern",
                                                                    s(pattern),
                                                                )]),
                                                            )]),
                                                        ),
                                                    ]),
                                                ),
                                            ]),
                                        )]),
                                    )]),
                                )]),
                            )]),
                        ),
                    ]),
                ),
            ])
        })
        .boxed()
}

/// A schema for an embedded config file (`config.yaml`, `settings.json`,
/// `app.env`).
pub fn config_schema() -> BoxedStrategy<Node> {
    (
        1i64..50,
        50i64..500,
        0i64..3,
        subsequence(&["database", "models", "log_level", "port"][..], 0..3),
        any::<bool>(),
    )
        .prop_map(|(min, max, max_models, required, closed)| {
            let mut m = vec![
                ("type".to_owned(), s("object")),
                (
                    "properties".into(),
                    Node::map([
                        (
                            "database",
                            Node::map([
                                ("type", s("object")),
                                (
                                    "properties",
                                    Node::map([
                                        (
                                            "pool_size",
                                            Node::map([
                                                ("type", s("integer")),
                                                ("minimum", Node::Int(min)),
                                                ("maximum", Node::Int(max)),
                                            ]),
                                        ),
                                        (
                                            "host",
                                            Node::map([
                                                ("type", s("string")),
                                                ("minLength", Node::Int(1)),
                                            ]),
                                        ),
                                    ]),
                                ),
                            ]),
                        ),
                        (
                            "models",
                            Node::map([
                                ("type", s("array")),
                                ("maxItems", Node::Int(max_models)),
                                (
                                    "items",
                                    Node::map([("required", strs(&["name", "version"]))]),
                                ),
                            ]),
                        ),
                        ("log_level", Node::map([("enum", strs(&LEVELS[..4]))])),
                        (
                            "LOG_LEVEL",
                            Node::map([("enum", strs(&["debug", "info", "DEBUG", "INFO"]))]),
                        ),
                        (
                            "port",
                            Node::map([
                                ("type", s("integer")),
                                ("minimum", Node::Int(1)),
                                ("maximum", Node::Int(65535)),
                            ]),
                        ),
                    ]),
                ),
            ];
            if !required.is_empty() {
                m.push(("required".into(), strs(&required)));
            }
            if closed {
                m.push(("additionalProperties".into(), Node::Bool(false)));
            }
            Node::Map(m)
        })
        .boxed()
}

/// Schemas that do not compile.
pub fn broken() -> BoxedStrategy<Node> {
    prop_oneof![
        Just(Node::map([("type", s("strin"))])),
        select(BAD_PATTERNS).prop_map(|p| Node::map([("pattern", s(p))])),
        Just(Node::map([("minimum", s("x"))])),
        Just(Node::map([("required", s("a"))])),
        Just(Node::map([("$ref", s("#/$defs/missing"))])),
        Just(Node::map([(
            "properties",
            Node::map([("a", Node::map([("maxItems", Node::Int(-1))]))])
        )])),
        Just(Node::Int(3)),
        Just(Node::map([("enum", Node::List(vec![]))])),
    ]
    .boxed()
}

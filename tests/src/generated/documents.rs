//! Kubernetes-like documents: ConfigMaps (with YAML, JSON and dotenv files
//! embedded in their values), Secrets (base64 data, some broken, some
//! holding credentials), Deployments, Lists and custom resources, plus
//! values of every JSON type in between: strings with quotes, escapes,
//! control characters, unicode and several lines; numbers small, large,
//! negative and fractional; booleans and nulls. The names, kinds and keys
//! come from the vocabulary the generated policies use, so that their
//! matches and rules meet the documents.

use super::node::{self, Node, Style};
use base64::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

pub const KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "ModelServer",
];
pub const NAMES: &[&str] = &[
    "app-config",
    "ml-pipeline-config",
    "fraud-model",
    "db-credentials",
    "web",
    "model-server-0",
    "feature-store",
];
pub const NAMESPACES: &[&str] = &["ml", "default", "prod-ml", "ml-staging"];
pub const LABEL_KEYS: &[&str] = &["app", "team", "tier"];
pub const LABEL_VALUES: &[&str] = &["ml-pipeline", "fraud", "platform", "web", ""];
/// ConfigMap keys the policies' schemas and rules name.
pub const DATA_KEYS: &[&str] = &[
    "LOG_LEVEL",
    "MODEL_UPDATE_INTERVAL",
    "BATCH_SIZE",
    "ENABLED",
    "THRESHOLD",
    "PRELOAD_MODELS",
    "DATABASE_URL",
    "ENDPOINT",
];
/// The embedded files the policies name, under `/data/`.
pub const FILE_KEYS: &[&str] = &["config.yaml", "settings.json", "app.env"];
pub const LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "TRACE", "info", ""];

/// Strings that mean something else to some reader.
const AWKWARD: &[&str] = &[
    "",
    " ",
    "true",
    "False",
    "null",
    "~",
    "yes",
    "NO",
    "1e3",
    "0x40",
    "-0",
    "0o17",
    ".inf",
    "'",
    "\"",
    "''",
    "\\",
    "\\n",
    "---",
    "...",
    "- a",
    "a: b",
    "#x",
    "&anchor",
    "*alias",
    "!!str",
    "%YAML",
    "@at",
    "`tick`",
    "{a: 1}",
    "[1, 2]",
    "é",
    "日本語の設定",
    "🙂👍🏽",
    "a\u{200b}b",
    "e\u{301}",
    "\u{a0}60",
    "tab\there",
    "line\r\nbreak",
    "nul\u{0}byte",
    "del\u{7f}",
    "\u{85}nel",
    "\u{2028}sep",
    "\u{feff}bom",
    "<script>alert(1)</script>",
    "${HOME}",
    "%s%n",
];

fn owned(s: &str) -> String {
    s.to_owned()
}

/// A string of any kind.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(NAMES).prop_map(|s| s.to_owned()),
        2 => select(LEVELS).prop_map(|s| s.to_owned()),
        3 => "[a-z][a-z0-9-]{0,12}",
        2 => "\\PC{0,12}",
        2 => "[ -~]{0,16}",
        1 => "[\"'\\\\#:{}\\[\\],&*!|>%@` \t-]{1,8}",
        2 => select(AWKWARD).prop_map(|s| s.to_owned()),
        1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{2028}\\u{feff}a]{1,4}",
        2 => multi_line(),
        2 => numeric_string(),
    ]
    .boxed()
}

/// Several lines, with or without a final line break, some indented.
pub fn multi_line() -> BoxedStrategy<String> {
    (
        vec(
            prop_oneof![
                3 => "[ -~]{0,20}",
                1 => "\\PC{0,10}",
                1 => "  [a-z: ]{1,10}",
                1 => Just(String::new()),
            ],
            2..5,
        ),
        select(&["", "\n", "\n\n"][..]),
    )
        .prop_map(|(lines, end)| format!("{}{end}", lines.join("\n")))
        .boxed()
}

/// What a ConfigMap holds for a number, a boolean, or what is almost one.
pub fn numeric_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (-100i64..1000).prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => (0u32..1000, 0u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        3 => select(&[
            " 60 ", "+64", "-0", "064", "1e3", "64.0", "0x40", "6_4", "1e400", "1e-400",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", ".5", "5.",
            "\u{a0}60", "\t60\n", "NaN", "inf", "true", "false", "True", "1", "0", "0.1",
            "1E+2", "-", "+",
        ][..]).prop_map(owned),
    ]
    .boxed()
}

/// A number of any size and sign, integer or not.
pub fn number() -> BoxedStrategy<Node> {
    prop_oneof![
        4 => (-5i64..200).prop_map(Node::Int),
        2 => any::<i64>().prop_map(Node::Int),
        1 => select(&[i64::MAX, i64::MIN, i64::MIN + 1, 1 << 53, (1 << 53) + 1][..]).prop_map(Node::Int),
        1 => ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Node::UInt),
        2 => select(&[0.5, 1.5, -2.25, 0.1, 1e-7, 1e21, 1e300, -1e300, 3.0, 0.0, -0.0, 2.5e-308, 1e15, 123456.789][..])
            .prop_map(Node::Float),
        1 => (prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO).prop_map(Node::Float),
    ]
    .boxed()
}

pub fn scalar() -> BoxedStrategy<Node> {
    prop_oneof![
        1 => Just(Node::Null),
        1 => any::<bool>().prop_map(Node::Bool),
        3 => number(),
        5 => text().prop_map(Node::Str),
    ]
    .boxed()
}

/// A mapping key: a word of the vocabulary, an identifier, or any text.
pub fn key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(DATA_KEYS).prop_map(owned),
        2 => "[a-z][a-zA-Z0-9_.-]{0,10}",
        1 => text(),
    ]
    .boxed()
}

/// Any value, nested a few levels.
pub fn value() -> BoxedStrategy<Node> {
    scalar()
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Node::List),
                vec((key(), inner), 0..4).prop_map(Node::map),
            ]
        })
        .boxed()
}

/// A value nested `depth` levels deep, near the parser's limit of 128.
pub fn deep() -> BoxedStrategy<Node> {
    (1usize..140, any::<bool>(), scalar())
        .prop_map(|(depth, lists, leaf)| {
            (0..depth).fold(leaf, |inner, _| {
                if lists {
                    Node::List(vec![inner])
                } else {
                    Node::map([("a", inner)])
                }
            })
        })
        .boxed()
}

fn labels() -> BoxedStrategy<Node> {
    vec((select(LABEL_KEYS), select(LABEL_VALUES)), 0..3)
        .prop_map(|pairs| Node::map(pairs.into_iter().map(|(k, v)| (k, Node::str(v)))))
        .boxed()
}

/// `metadata`: a name (usually), a namespace, labels and annotations.
pub fn metadata() -> BoxedStrategy<Node> {
    (
        prop_oneof![8 => select(NAMES).prop_map(|s| Some(Node::str(s))), 1 => Just(None), 1 => scalar().prop_map(Some)],
        prop::option::weighted(0.6, select(NAMESPACES)),
        prop::option::weighted(0.5, labels()),
        prop::option::weighted(0.2, vec((key(), text()), 0..3)),
        prop::option::weighted(
            0.2,
            select(&["2024-01-01T00:00:00Z", "2031-06-30T12:00:00+02:00", "yesterday"][..]),
        ),
    )
        .prop_map(|(name, namespace, labels, annotations, created)| {
            let mut m: Vec<(String, Node)> = Vec::new();
            if let Some(name) = name {
                m.push(("name".into(), name));
            }
            if let Some(ns) = namespace {
                m.push(("namespace".into(), Node::str(ns)));
            }
            if let Some(l) = labels {
                m.push(("labels".into(), l));
            }
            if let Some(a) = annotations {
                m.push((
                    "annotations".into(),
                    Node::map(a.into_iter().map(|(k, v)| (k, Node::Str(v)))),
                ));
            }
            if let Some(c) = created {
                m.push(("creationTimestamp".into(), Node::str(c)));
            }
            Node::map(m)
        })
        .boxed()
}

/// Values that look like credentials to the secret detectors.
pub fn credential() -> BoxedStrategy<String> {
    prop_oneof![
        "AKIA[A-Z0-9]{16}",
        "ghp_[A-Za-z0-9]{36}",
        "sk-[A-Za-z0-9]{48}",
        "xoxb-[0-9]{11}-[0-9]{11}-[A-Za-z0-9]{24}",
        "hf_[A-Za-z]{34}",
        "postgres://app:[a-z0-9]{8,12}@db:5432/app",
        "eyJ[A-Za-z0-9_-]{20}\\.eyJ[A-Za-z0-9_-]{24}\\.[A-Za-z0-9_-]{22}",
        "[A-Za-z0-9+/]{40}",
        "-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/]{64}\n-----END RSA PRIVATE KEY-----\n",
        select(
            &[
                "changeme",
                "<your-token>",
                "${TOKEN}",
                "password",
                "xxxxxxxx"
            ][..]
        )
        .prop_map(owned),
    ]
    .boxed()
}

/// A ConfigMap value: text of any kind, a number as text, a credential,
/// and now and then a value the API server would refuse (not a string).
fn data_value() -> BoxedStrategy<Node> {
    prop_oneof![
        6 => text().prop_map(Node::Str),
        3 => numeric_string().prop_map(Node::Str),
        2 => select(LEVELS).prop_map(Node::str),
        1 => credential().prop_map(Node::Str),
        1 => select(&["fraud:production,ranker:v12", "a:1,b", "m:latest", ""][..]).prop_map(Node::str),
        1 => select(&["https://api.example.com:8443/v1?x=1", "http://[::1]/", "not a url", "postgres://db/app"][..]).prop_map(Node::str),
        1 => scalar(),
    ]
    .boxed()
}

/// A small config file's content, as a model service reads it.
fn config_content() -> BoxedStrategy<Node> {
    (
        prop::option::of((-2i64..300).prop_map(Node::Int)),
        prop::option::of(text()),
        vec((select(&["fraud", "ranker", "embedder"][..]), text()), 0..3),
        prop::option::of(select(LEVELS)),
        prop::option::weighted(0.3, value()),
    )
        .prop_map(|(pool, host, models, level, extra)| {
            let mut db: Vec<(String, Node)> = Vec::new();
            if let Some(p) = pool {
                db.push(("pool_size".into(), p));
            }
            if let Some(h) = host {
                db.push(("host".into(), Node::Str(h)));
            }
            let mut m: Vec<(String, Node)> = vec![("database".into(), Node::Map(db))];
            m.push((
                "models".into(),
                Node::List(
                    models
                        .into_iter()
                        .map(|(n, v)| {
                            Node::map([("name", Node::str(n)), ("version", Node::Str(v))])
                        })
                        .collect(),
                ),
            ));
            if let Some(l) = level {
                m.push(("log_level".into(), Node::str(l)));
            }
            if let Some(e) = extra {
                m.push(("extra".into(), e));
            }
            Node::map(m)
        })
        .boxed()
}

/// The text of an embedded file of `kind` (`yaml`, `json` or `env`): its
/// content written out, sometimes broken or holding two documents.
pub fn embedded_file(kind: &'static str) -> BoxedStrategy<String> {
    (config_content(), vec(any::<u8>(), 0..16), 0u8..12)
        .prop_map(move |(content, style, damage)| {
            let mut style = Style::new(&style);
            let text = match kind {
                "json" => node::json(&content, style.pick(2) == 0),
                "env" => {
                    let entries: Vec<(String, String)> = match &content {
                        Node::Map(m) => m
                            .iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    Node::Str(s) => s.replace('\n', " "),
                                    other => node::json(other, false),
                                };
                                (k.to_uppercase(), v)
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    node::dotenv(&entries, &mut style)
                }
                _ => node::yaml(&content, &mut style),
            };
            match damage {
                0 => format!("{text}---\nsecond: document\n"),
                1 => format!("{text}broken: [1, 2\n"),
                2 => text.replacen(':', "", 1),
                3 => String::new(),
                _ => text,
            }
        })
        .boxed()
}

pub fn configmap() -> BoxedStrategy<Node> {
    (
        metadata(),
        vec((select(DATA_KEYS), data_value()), 0..6),
        vec((key(), data_value()), 0..3),
        vec(
            prop_oneof![
                select(FILE_KEYS).prop_flat_map(|f| {
                    let kind = match f {
                        "settings.json" => "json",
                        "app.env" => "env",
                        _ => "yaml",
                    };
                    (Just(f), embedded_file(kind).prop_map(Node::Str))
                }),
                (select(FILE_KEYS), scalar()),
            ],
            0..3,
        ),
        prop::option::weighted(0.1, Just(Node::map([("blob", Node::str("aGVsbG8="))]))),
        0u8..20,
    )
        .prop_map(|(meta, known, other, files, binary, shape)| {
            let mut data: Vec<(String, Node)> = Vec::new();
            data.extend(known.into_iter().map(|(k, v)| (k.to_owned(), v)));
            data.extend(files.into_iter().map(|(k, v)| (k.to_owned(), v)));
            data.extend(other);
            let data = match shape {
                0 => Node::Null,
                1 => Node::List(vec![Node::str("not a mapping")]),
                _ => Node::map(data),
            };
            let mut m: Vec<(String, Node)> = vec![
                ("apiVersion".into(), Node::str("v1")),
                ("kind".into(), Node::str("ConfigMap")),
                ("metadata".into(), meta),
            ];
            if shape != 2 {
                m.push(("data".into(), data));
            }
            if let Some(b) = binary {
                m.push(("binaryData".into(), b));
            }
            Node::map(m)
        })
        .boxed()
}

/// A Secret's data value: base64 of some bytes (text, a credential, or
/// binary), or base64 that is broken.
fn secret_value() -> BoxedStrategy<String> {
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    prop_oneof![
        3 => text().prop_map(move |s| b64(s.into_bytes())),
        2 => credential().prop_map(move |s| b64(s.into_bytes())),
        1 => vec(any::<u8>(), 0..24).prop_map(b64),
        1 => select(&["not base64!", "aGVsbG8", "aGVsbG8=\n", "====", "", "changeme"][..]).prop_map(owned),
    ]
    .boxed()
}

pub fn secret() -> BoxedStrategy<Node> {
    (
        metadata(),
        select(
            &[
                "Opaque",
                "kubernetes.io/dockerconfigjson",
                "kubernetes.io/tls",
            ][..],
        ),
        vec(
            (
                prop_oneof![
                    select(
                        &[
                            "password",
                            "token",
                            "api-key",
                            ".dockerconfigjson",
                            "tls.key",
                            "config"
                        ][..]
                    )
                    .prop_map(owned),
                    key()
                ],
                secret_value(),
            ),
            0..4,
        ),
        prop::option::weighted(0.3, vec((key(), prop_oneof![credential(), text()]), 0..3)),
    )
        .prop_map(|(meta, kind, data, string_data)| {
            let mut m: Vec<(String, Node)> = vec![
                ("apiVersion".into(), Node::str("v1")),
                ("kind".into(), Node::str("Secret")),
                ("metadata".into(), meta),
                ("type".into(), Node::str(kind)),
                (
                    "data".into(),
                    Node::map(data.into_iter().map(|(k, v)| (k, Node::Str(v)))),
                ),
            ];
            if let Some(s) = string_data {
                m.push((
                    "stringData".into(),
                    Node::map(s.into_iter().map(|(k, v)| (k, Node::Str(v)))),
                ));
            }
            Node::map(m)
        })
        .boxed()
}

/// A Kubernetes quantity as written, or not quite one.
pub fn quantity() -> BoxedStrategy<Node> {
    prop_oneof![
        4 => (0u32..5000, select(&["", "m", "k", "Ki", "Mi", "Gi", "Ti", "M", "G", "E", "e3", "Pi", "u", "n"][..]))
            .prop_map(|(n, unit)| Node::Str(format!("{n}{unit}"))),
        1 => select(&["0.5", "1.5Gi", "-1", "bogus", "", "1e30", "999999999999999999999999999999Ei", "+2", "1.2.3"][..]).prop_map(Node::str),
        1 => number(),
    ]
    .boxed()
}

fn container() -> BoxedStrategy<Node> {
    let image = prop_oneof![
        select(&[
            "nginx",
            "nginx:latest",
            "ghcr.io/org/fraud-model:1.4.2",
            "registry:5000/team/model:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "localhost/x@sha256:abc",
            "UPPER/Case:tag",
            "",
        ][..]).prop_map(owned),
        "[a-z]{1,8}(/[a-z]{1,8}){0,2}(:[a-z0-9.]{1,6})?",
    ];
    let env = vec(
        (
            prop_oneof![
                select(
                    &[
                        "LOG_LEVEL",
                        "API_KEY",
                        "PASSWORD",
                        "AWS_SECRET_ACCESS_KEY",
                        "MODEL"
                    ][..]
                )
                .prop_map(owned),
                key()
            ],
            prop_oneof![
                3 => text().prop_map(|v| Node::map([("value", Node::Str(v))])),
                1 => credential().prop_map(|v| Node::map([("value", Node::Str(v))])),
                1 => Just(Node::map([("valueFrom", Node::map([("secretKeyRef", Node::map([("name", Node::str("db-credentials")), ("key", Node::str("password"))]))]))])),
            ],
        ),
        0..3,
    );
    (
        prop_oneof![
            select(&["model", "sidecar", "Bad_Name"][..]).prop_map(owned),
            text()
        ],
        image,
        env,
        prop::option::weighted(
            0.7,
            (prop::option::of(quantity()), prop::option::of(quantity())),
        ),
        vec(
            (1i64..70000).prop_map(|p| Node::map([("containerPort", Node::Int(p))])),
            0..2,
        ),
    )
        .prop_map(|(name, image, env, limits, ports)| {
            let mut c: Vec<(String, Node)> = vec![
                ("name".into(), Node::Str(name)),
                ("image".into(), Node::Str(image)),
            ];
            if !env.is_empty() {
                c.push((
                    "env".into(),
                    Node::List(
                        env.into_iter()
                            .map(|(k, v)| {
                                let mut e: Vec<(String, Node)> =
                                    vec![("name".into(), Node::Str(k))];
                                if let Node::Map(rest) = v {
                                    e.extend(rest);
                                }
                                Node::Map(e)
                            })
                            .collect(),
                    ),
                ));
            }
            if let Some((cpu, memory)) = limits {
                let mut l: Vec<(String, Node)> = Vec::new();
                if let Some(cpu) = cpu {
                    l.push(("cpu".into(), cpu));
                }
                if let Some(memory) = memory {
                    l.push(("memory".into(), memory));
                }
                c.push(("resources".into(), Node::map([("limits", Node::Map(l))])));
            }
            if !ports.is_empty() {
                c.push(("ports".into(), Node::List(ports)));
            }
            Node::Map(c)
        })
        .boxed()
}

pub fn deployment() -> BoxedStrategy<Node> {
    (
        metadata(),
        prop_oneof![4 => (0i64..12).prop_map(Node::Int), 1 => number(), 1 => scalar()],
        vec(container(), 0..3),
        labels(),
    )
        .prop_map(|(meta, replicas, containers, pod_labels)| {
            Node::map([
                ("apiVersion", Node::str("apps/v1")),
                ("kind", Node::str("Deployment")),
                ("metadata", meta),
                (
                    "spec",
                    Node::map([
                        ("replicas", replicas),
                        (
                            "template",
                            Node::map([
                                ("metadata", Node::map([("labels", pod_labels)])),
                                ("spec", Node::map([("containers", Node::List(containers))])),
                            ]),
                        ),
                    ]),
                ),
            ])
        })
        .boxed()
}

/// A resource of another kind: its `spec` any value.
pub fn custom() -> BoxedStrategy<Node> {
    (
        select(&["Service", "ModelServer", "Widget"][..]),
        metadata(),
        prop_oneof![4 => value(), 1 => deep()],
    )
        .prop_map(|(kind, meta, spec)| {
            let api = if kind == "Service" {
                "v1"
            } else {
                "ml.example.dev/v1"
            };
            Node::map([
                ("apiVersion", Node::str(api)),
                ("kind", Node::str(kind)),
                ("metadata", meta),
                ("spec", spec),
            ])
        })
        .boxed()
}

/// One Kubernetes-like document, or now and then a `List` of them or a
/// document that is not a Kubernetes object at all.
pub fn document() -> BoxedStrategy<Node> {
    let object = prop_oneof![
        5 => configmap(),
        2 => secret(),
        3 => deployment(),
        2 => custom(),
    ]
    .boxed();
    prop_oneof![
        12 => object.clone(),
        1 => vec(object, 0..3).prop_map(|items| Node::map([
            ("apiVersion", Node::str("v1")),
            ("kind", Node::str("List")),
            ("items", Node::List(items)),
        ])),
        1 => value(),
    ]
    .boxed()
}

/// YAML texts that are awkward to read: anchors, merge keys, tags,
/// duplicate keys, tabs, unterminated flows; some parse, some do not.
pub const AWKWARD_TEXTS: &[&str] = &[
    "base: &b {LOG_LEVEL: INFO}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  <<: *b\n  BATCH_SIZE: \"8\"\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {LOG_LEVEL: INFO, LOG_LEVEL: DEBUG}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config\ndata: {}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: app-config\n",
    "apiVersion: v1\nkind: !!str ConfigMap\nmetadata: {name: !!str 12}\ndata: {BATCH_SIZE: !!int \"8\"}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata: {x: *nowhere}\n",
    "# only a comment\n",
    "kind: Secret\nmetadata: {name: db-credentials}\ndata:\n  password: \"\\ud83d\"\n",
    "kind: ConfigMap\nmetadata: {name: ml-pipeline-config}\ndata:\n  config.yaml: |\n    database:\n      pool_size: 500\n    models: [{name: fraud, version: latest}]\n",
    "? [complex, key]\n: value\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  MODEL_UPDATE_INTERVAL: 60\n  ENABLED: true\n  THRESHOLD: 0.5\n",
];

/// An input text: 1 to 3 documents as YAML or JSON, now and then with an
/// awkward text among them, or (one time in ten) a dotenv file.
pub fn input() -> BoxedStrategy<Input> {
    let stream = (
        prop_oneof![3 => vec(document(), 1..2), 1 => vec(document(), 2..4)],
        any::<bool>(),
        prop::option::weighted(0.12, select(AWKWARD_TEXTS)),
        vec(any::<u8>(), 0..48),
    )
        .prop_map(|(docs, as_json, awkward, style)| {
            let mut text = node::stream(&docs, as_json, &mut Style::new(&style));
            if let Some(extra) = awkward {
                text = format!("{text}---\n{extra}");
            }
            let file = match (as_json, awkward) {
                (true, None) => "input.json",
                _ => "input.yaml",
            };
            Input {
                docs,
                text,
                file,
                awkward: awkward.is_some(),
            }
        });
    let dotenv = dotenv_input().prop_map(|text| Input {
        docs: Vec::new(),
        text,
        file: "app.env",
        awkward: false,
    });
    prop_oneof![9 => stream, 1 => dotenv].boxed()
}

#[derive(Clone, Debug)]
pub struct Input {
    /// The documents of the text (none for a dotenv file).
    pub docs: Vec<Node>,
    pub text: String,
    /// The name the text is reported under: `input.yaml`, `input.json`,
    /// or `app.env` for a dotenv file.
    pub file: &'static str,
    /// The text holds one of [`AWKWARD_TEXTS`] besides `docs`.
    pub awkward: bool,
}

/// A dotenv file (checked as the ConfigMap kustomize makes of it).
pub fn dotenv_input() -> BoxedStrategy<String> {
    (
        vec(
            (
                prop_oneof![
                    select(DATA_KEYS).prop_map(owned),
                    "[A-Z_]{1,8}",
                    "[a-z .-]{1,6}"
                ],
                prop_oneof![
                    numeric_string(),
                    "[ -~]{0,16}",
                    credential().prop_map(|c| c.replace('\n', ""))
                ],
            ),
            0..5,
        ),
        vec(any::<u8>(), 0..16),
        0u8..10,
    )
        .prop_map(|(entries, style, damage)| {
            let text = node::dotenv(&entries, &mut Style::new(&style));
            match damage {
                0 => format!("{text}no equals sign here\n"),
                1 => format!("{text}=no key\n"),
                _ => text,
            }
        })
        .boxed()
}

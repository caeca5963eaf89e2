//! Validation policies built from the grammars of `schema.rs` and `cel.rs`:
//! `match` clauses on the documents' vocabulary, `params` with
//! environments, a `schema` aimed at a part of the document (with
//! `coerce`), `embedded` files, rules with `when`, `message`/`messageExpr`,
//! `path`, `severity` and `environments`, and `secrets`. Most are valid;
//! [`broken`] spoils one in one of the ways docs/policies.md lists, so that
//! the hosts' errors can be compared too.

use super::cel;
use super::documents::{FILE_KEYS, KINDS, LABEL_VALUES, LEVELS, NAMES, NAMESPACES};
use super::node::{self, Node, Style};
use super::schema;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

fn s(v: &str) -> Node {
    Node::str(v)
}

fn strs<S: AsRef<str>>(items: &[S]) -> Node {
    Node::List(items.iter().map(|i| s(i.as_ref())).collect())
}

fn name_glob() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(NAMES).prop_map(str::to_owned),
        2 => select(&["app-*", "*config*", "*", "*-0", "ml-?", "", "*-*-*"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

pub fn match_clause() -> BoxedStrategy<Node> {
    (
        prop::option::weighted(0.8, subsequence(KINDS, 1..3)),
        prop::option::weighted(0.25, vec(name_glob(), 1..3)),
        prop::option::weighted(
            0.15,
            vec(
                prop_oneof![
                    select(NAMESPACES).prop_map(str::to_owned),
                    Just("ml*".to_owned())
                ],
                1..3,
            ),
        ),
        prop::option::weighted(0.1, select(LABEL_VALUES)),
    )
        .prop_map(|(kinds, names, namespaces, label)| {
            let mut m: Vec<(String, Node)> = Vec::new();
            if let Some(k) = kinds {
                m.push(("kinds".into(), strs(&k)));
            }
            if let Some(n) = names {
                m.push(("names".into(), strs(&n)));
            }
            if let Some(n) = namespaces {
                m.push(("namespaces".into(), strs(&n)));
            }
            if let Some(l) = label {
                m.push(("labels".into(), Node::map([("app", s(l))])));
            }
            Node::Map(m)
        })
        .boxed()
}

fn params() -> BoxedStrategy<(Node, Option<Node>)> {
    (
        (0i64..120, 1i64..10, 1i64..200),
        select(LEVELS),
        subsequence(LEVELS, 0..4),
        prop::option::weighted(
            0.5,
            (
                prop::option::of(0i64..5),
                prop::option::of(subsequence(LEVELS, 0..3)),
                any::<bool>(),
            ),
        ),
    )
        .prop_map(|((interval, replicas, pool), level, allowed, production)| {
            let params = Node::map([
                ("minInterval", Node::Int(interval)),
                ("maxReplicas", Node::Int(replicas)),
                ("maxPool", Node::Int(pool)),
                ("level", s(level)),
                ("allowed", strs(&allowed)),
                (
                    "nested",
                    Node::map([("a", Node::Int(1)), ("b", Node::map([("c", s("x"))]))]),
                ),
            ]);
            let environments = production.map(|(replicas, allowed, staging)| {
                let mut p: Vec<(String, Node)> = Vec::new();
                if let Some(r) = replicas {
                    p.push(("maxReplicas".into(), Node::Int(r)));
                }
                if let Some(a) = allowed {
                    p.push(("allowed".into(), strs(&a)));
                }
                p.push((
                    "nested".into(),
                    Node::map([("b", Node::map([("d", s("y"))]))]),
                ));
                let mut envs = vec![(
                    "production".to_owned(),
                    Node::map([("params", Node::Map(p))]),
                )];
                if staging {
                    envs.push((
                        "staging".into(),
                        Node::map([("params", Node::map([("level", s("DEBUG"))]))]),
                    ));
                }
                Node::Map(envs)
            });
            (params, environments)
        })
        .boxed()
}

fn spec_schema(focus: &str) -> BoxedStrategy<Node> {
    // Weights of a `data`, whole-object, Deployment `spec` and any schema.
    let w: [u32; 4] = match focus {
        "ConfigMap" | "Secret" => [6, 1, 0, 1],
        "Deployment" => [0, 1, 6, 1],
        _ => [3, 2, 2, 2],
    };
    (
        prop_oneof![
            w[0] => schema::data_schema().prop_map(|s| ("/data", s)),
            w[1] => schema::object_schema().prop_map(|s| ("", s)),
            w[2] => schema::spec_schema().prop_map(|s| ("/spec", s)),
            w[3] => (select(&["", "/data", "/spec", "/metadata/labels", "/spec/template/spec/containers", "/data/LOG_LEVEL", "/nowhere", "/data/a~1b"][..]), schema::fragment()),
        ],
        select(&["none", "strings", "strict", ""][..]),
    )
        .prop_map(|((path, json_schema), coerce)| {
            let mut m: Vec<(String, Node)> = Vec::new();
            if !path.is_empty() {
                m.push(("path".into(), s(path)));
            }
            if !coerce.is_empty() {
                m.push(("coerce".into(), s(coerce)));
            }
            m.push(("jsonSchema".into(), json_schema));
            Node::Map(m)
        })
        .boxed()
}

fn embedded() -> BoxedStrategy<Node> {
    vec(
        (
            select(FILE_KEYS),
            0u8..8,
            any::<bool>(),
            select(&["", "strings", "strict"][..]),
            prop::option::weighted(0.7, schema::config_schema()),
        )
            .prop_map(|(file, odd, required, coerce, json_schema)| {
                let natural = match file {
                    "settings.json" => "json",
                    "app.env" => "env",
                    _ => "yaml",
                };
                let format = match odd {
                    0 => "json",
                    1 => "yaml",
                    _ => natural,
                };
                let mut m = vec![
                    ("path".to_owned(), Node::Str(format!("/data/{file}"))),
                    ("format".into(), s(format)),
                ];
                if required {
                    m.push(("required".into(), Node::Bool(true)));
                }
                if !coerce.is_empty() {
                    m.push(("coerce".into(), s(coerce)));
                }
                if let Some(js) = json_schema {
                    m.push(("jsonSchema".into(), js));
                }
                (file, Node::Map(m))
            }),
        1..3,
    )
    .prop_map(|files| {
        // One entry per path.
        let mut seen: Vec<&str> = Vec::new();
        Node::List(
            files
                .into_iter()
                .filter(|(f, _)| {
                    let new = !seen.contains(f);
                    seen.push(f);
                    new
                })
                .map(|(_, n)| n)
                .collect(),
        )
    })
    .boxed()
}

const RULE_PATHS: &[&str] = &[
    "/data/LOG_LEVEL",
    "/spec/replicas",
    "/metadata/name",
    "/data/config.yaml/database/pool_size",
    "/data",
    "",
    "/spec/template/spec/containers/0/image",
    "/nonexistent/x",
    "/data/app.env/LOG_LEVEL",
    "/data/settings.json/port",
    "/data/a~1b",
];

fn rule(focus: &str) -> BoxedStrategy<Node> {
    (
        cel::condition(focus),
        prop::option::weighted(0.3, cel::atom_for(focus)),
        prop::option::weighted(0.4, "[ -~]{0,30}|\\PC{0,12}"),
        prop::option::weighted(0.35, cel::message()),
        prop::option::weighted(0.4, select(RULE_PATHS)),
        prop::option::weighted(0.3, select(&["error", "warning"][..])),
        prop::option::weighted(0.15, subsequence(&["production", "staging", ""][..], 1..3)),
    )
        .prop_map(
            |(expr, when, message, message_expr, path, severity, envs)| {
                let mut m = vec![
                    ("name".to_owned(), s("r")),
                    ("expr".into(), Node::Str(expr)),
                ];
                if let Some(w) = when {
                    m.push(("when".into(), Node::Str(w)));
                }
                if let Some(t) = message {
                    m.push(("message".into(), Node::Str(t)));
                }
                if let Some(e) = message_expr {
                    m.push(("messageExpr".into(), Node::Str(e)));
                }
                if let Some(p) = path {
                    m.push(("path".into(), s(p)));
                }
                if let Some(sev) = severity {
                    m.push(("severity".into(), s(sev)));
                }
                if let Some(e) = envs {
                    m.push(("environments".into(), strs(&e)));
                }
                Node::Map(m)
            },
        )
        .boxed()
}

fn secrets() -> BoxedStrategy<Node> {
    prop_oneof![
        Just(Node::map([("enabled", Node::Bool(true))])),
        Just(Node::map([("enabled", Node::Bool(false))])),
        Just(Node::map([("disable", strs(&["secret-env-var"]))])),
    ]
    .boxed()
}

/// A valid policy (as far as the grammars go), named `p`: rename it with
/// [`named`].
pub fn policy() -> BoxedStrategy<Node> {
    select(cel::FOCUS).prop_flat_map(policy_for).boxed()
}

/// A policy about documents of kind `focus` (`Any`: of no kind in
/// particular): mostly matching that kind, with a schema and rules about
/// its fields.
pub fn policy_for(focus: &'static str) -> BoxedStrategy<Node> {
    let matches = if focus == "Any" {
        prop::option::weighted(0.85, match_clause()).boxed()
    } else {
        (match_clause(), 0u8..10)
            .prop_map(move |(clause, how)| match how {
                0 => None,
                1 => Some(clause),
                _ => Some(set(clause, "kinds", strs(&[focus]))),
            })
            .boxed()
    };
    let embedded = if matches!(focus, "ConfigMap" | "Any") {
        0.35
    } else {
        0.05
    };
    (
        matches,
        prop::option::weighted(0.7, params()),
        prop::option::weighted(0.55, spec_schema(focus)),
        prop::option::weighted(embedded, self::embedded()),
        vec(rule(focus), 0..4),
        prop::option::weighted(if focus == "Secret" { 0.4 } else { 0.1 }, secrets()),
        prop::option::weighted(0.2, "[ -~]{0,20}"),
    )
        .prop_map(
            |(matches, params, schema, embedded, rules, secrets, description)| {
                let mut spec: Vec<(String, Node)> = Vec::new();
                if let Some(m) = matches {
                    spec.push(("match".into(), m));
                }
                if let Some((p, envs)) = params {
                    spec.push(("params".into(), p));
                    if let Some(e) = envs {
                        spec.push(("environments".into(), e));
                    }
                }
                if let Some(sc) = schema {
                    spec.push(("schema".into(), sc));
                }
                if let Some(e) = embedded {
                    spec.push(("embedded".into(), e));
                }
                if !rules.is_empty() {
                    let rules = rules
                        .into_iter()
                        .enumerate()
                        .map(|(i, r)| set(r, "name", Node::Str(format!("r-{i}"))))
                        .collect();
                    spec.push(("rules".into(), Node::List(rules)));
                }
                if let Some(sec) = secrets {
                    spec.push(("secrets".into(), sec));
                }
                let mut metadata = vec![("name".to_owned(), s("p"))];
                if let Some(d) = description {
                    metadata.push(("description".into(), Node::Str(d)));
                }
                Node::map([
                    ("apiVersion", s("assay.dev/v1")),
                    ("kind", s("ValidationPolicy")),
                    ("metadata", Node::Map(metadata)),
                    ("spec", Node::Map(spec)),
                ])
            },
        )
        .boxed()
}

/// A policy that is a JSON Schema and nothing else (no `coerce`, rules,
/// embedded files or secrets): Python checks a dict against a set of these
/// where it is, without converting it (`bindings/python/src/in_place.rs`).
pub fn schema_only() -> BoxedStrategy<Node> {
    (policy(), spec_schema("Any"))
        .prop_map(|(p, fallback)| {
            update(p, &["spec"], &|spec| {
                let Node::Map(entries) = spec else {
                    return spec;
                };
                let mut entries: Vec<(String, Node)> = entries
                    .into_iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "rules" | "embedded" | "secrets"))
                    .collect();
                if !entries.iter().any(|(k, _)| k == "schema") {
                    entries.push(("schema".into(), fallback.clone()));
                }
                update(Node::Map(entries), &["schema"], &|schema| match schema {
                    Node::Map(m) => {
                        Node::Map(m.into_iter().filter(|(k, _)| k != "coerce").collect())
                    }
                    other => other,
                })
            })
        })
        .boxed()
}

/// `node` with `key` set to `value` (added at the end when absent).
pub fn set(node: Node, key: &str, value: Node) -> Node {
    match node {
        Node::Map(mut entries) => {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key.to_owned(), value)),
            }
            Node::Map(entries)
        }
        other => other,
    }
}

/// `node` with the value at `path` (keys; indexes into lists) changed by `f`.
pub fn update(node: Node, path: &[&str], f: &dyn Fn(Node) -> Node) -> Node {
    let Some((first, rest)) = path.split_first() else {
        return f(node);
    };
    match node {
        Node::Map(mut entries) => {
            if let Some(entry) = entries.iter_mut().find(|(k, _)| k == first) {
                entry.1 = update(std::mem::replace(&mut entry.1, Node::Null), rest, f);
            } else if rest.is_empty() {
                entries.push(((*first).to_owned(), f(Node::Null)));
            }
            Node::Map(entries)
        }
        Node::List(mut items) => {
            if let Some(item) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = update(std::mem::replace(item, Node::Null), rest, f);
            }
            Node::List(items)
        }
        other => other,
    }
}

/// The policy renamed.
pub fn named(policy: Node, name: &str) -> Node {
    update(policy, &["metadata"], &|m| set(m, "name", s(name)))
}

/// One way to spoil a policy.
#[derive(Clone, Debug)]
pub enum Spoil {
    UnknownField,
    BadName,
    BadExpr(String),
    BadSchema(Node),
    BadPath,
    DuplicateRule,
    BadCoerce,
    BadSeverity,
    BadApiVersion,
    BadKind,
    BadFormat,
    NoSpec,
    ParamsList,
    Truncated(usize),
}

pub fn spoil() -> BoxedStrategy<Spoil> {
    prop_oneof![
        1 => Just(Spoil::UnknownField),
        1 => Just(Spoil::BadName),
        3 => cel::broken().prop_map(Spoil::BadExpr),
        2 => schema::broken().prop_map(Spoil::BadSchema),
        1 => Just(Spoil::BadPath),
        1 => Just(Spoil::DuplicateRule),
        1 => Just(Spoil::BadCoerce),
        1 => Just(Spoil::BadSeverity),
        1 => Just(Spoil::BadApiVersion),
        1 => Just(Spoil::BadKind),
        1 => Just(Spoil::BadFormat),
        1 => Just(Spoil::NoSpec),
        1 => Just(Spoil::ParamsList),
        1 => (20usize..400).prop_map(Spoil::Truncated),
    ]
    .boxed()
}

fn a_rule() -> Node {
    Node::map([("name", s("r-x")), ("expr", s("true"))])
}

/// The policy spoiled (the text-level spoils are applied by [`file`]).
pub fn broken(policy: Node, how: &Spoil) -> Node {
    let spec = |policy: Node, f: &dyn Fn(Node) -> Node| update(policy, &["spec"], f);
    match how {
        Spoil::UnknownField => spec(policy, &|sp| {
            set(sp, "matchh", Node::map([("kinds", strs(&["ConfigMap"]))]))
        }),
        Spoil::BadName => named(policy, "Bad_Name"),
        Spoil::BadExpr(e) => {
            let e = e.clone();
            spec(policy, &move |sp| {
                let rule = set(a_rule(), "expr", Node::Str(e.clone()));
                update(sp, &["rules"], &|rules| match rules {
                    Node::List(mut items) => {
                        items.push(rule.clone());
                        Node::List(items)
                    }
                    _ => Node::List(vec![rule.clone()]),
                })
            })
        }
        Spoil::BadSchema(js) => spec(policy, &|sp| {
            set(
                sp,
                "schema",
                Node::map([("path", s("/data")), ("jsonSchema", js.clone())]),
            )
        }),
        Spoil::BadPath => spec(policy, &|sp| {
            set(
                sp,
                "rules",
                Node::List(vec![set(a_rule(), "path", s("data.x"))]),
            )
        }),
        Spoil::DuplicateRule => spec(policy, &|sp| {
            set(sp, "rules", Node::List(vec![a_rule(), a_rule()]))
        }),
        Spoil::BadCoerce => spec(policy, &|sp| {
            set(
                sp,
                "schema",
                Node::map([
                    ("coerce", s("sometimes")),
                    ("jsonSchema", Node::map([("type", s("object"))])),
                ]),
            )
        }),
        Spoil::BadSeverity => spec(policy, &|sp| {
            set(
                sp,
                "rules",
                Node::List(vec![set(a_rule(), "severity", s("fatal"))]),
            )
        }),
        Spoil::BadApiVersion => set(policy, "apiVersion", s("assay.dev/v2")),
        Spoil::BadKind => set(policy, "kind", s("ValidationPolicyy")),
        Spoil::BadFormat => spec(policy, &|sp| {
            set(
                sp,
                "embedded",
                Node::List(vec![Node::map([
                    ("path", s("/data/x")),
                    ("format", s("toml")),
                ])]),
            )
        }),
        Spoil::NoSpec => match policy {
            Node::Map(entries) => {
                Node::Map(entries.into_iter().filter(|(k, _)| k != "spec").collect())
            }
            other => other,
        },
        Spoil::ParamsList => spec(policy, &|sp| {
            set(sp, "params", Node::List(vec![Node::Int(1)]))
        }),
        Spoil::Truncated(_) => policy,
    }
}

/// A policy file: its policies (named `p-0`, `p-1`, …) as YAML or JSON
/// documents, sometimes with a document that is not a policy (skipped).
/// With `spoil`, the first policy is spoiled.
pub fn file(policies: &[Node], spoil: Option<&Spoil>, as_json: bool, style: &[u8]) -> String {
    let mut docs: Vec<Node> = policies
        .iter()
        .enumerate()
        .map(|(i, p)| named(p.clone(), &format!("p-{i}")))
        .collect();
    if let (Some(how), Some(first)) = (spoil, docs.first_mut()) {
        *first = broken(std::mem::replace(first, Node::Null), how);
    }
    let mut style = Style::new(style);
    if style.pick(8) == 0 {
        docs.push(Node::map([
            ("apiVersion", s("v1")),
            ("kind", s("ConfigMap")),
            ("metadata", Node::map([("name", s("not-a-policy"))])),
        ]));
    }
    let text = node::stream(&docs, as_json, &mut style);
    match spoil {
        Some(Spoil::Truncated(at)) => {
            let cut = text
                .char_indices()
                .map(|(i, _)| i)
                .find(|i| *i >= at % text.len().max(1))
                .unwrap_or(0);
            text[..cut].to_owned()
        }
        _ => text,
    }
}

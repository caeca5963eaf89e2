//! `redaction`: the secret scanner and redaction, with an oracle. Planted
//! secrets (a GitHub token, a random-looking password, a multi-line PEM
//! key) go into a document whose shape the data chooses (kind, keys,
//! wrapping text, JSON or YAML with block scalars), checked with the
//! built-in library and a policy whose `messageExpr` prints them (a
//! template picked by the data, or the data's own expression with `$T`,
//! `$O`, `$P` standing for where the token, password and key are). In no
//! report format does any 8-character piece of a planted secret appear
//! where docs/secrets.md promises redaction: the token and the key
//! anywhere (token-shaped, and found by the secret rules), the password
//! when it is in a Secret or under a credential-like name.
//!
//! Data: `KIND TOKEN_KEY TOKEN_WRAP PASSWORD_KEY PEM_KEY PEM_WRAP FORMAT
//! TEMPLATE N EXPR...`; missing bytes read as 0.

use super::common::{check_report, text};
use assay_core::api::{answer, Answer, Request};
use assay_core::PolicySet;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub const TOKEN: &str = "ghp_AssayFake8hfqEnMCxKJ9UlB8VGFHKGNZv9n";
/// Not token-shaped: secret only in a Secret or under a credential name.
pub const PASSWORD: &str = "Zq8v1NwX3rT6yU0pL9kJ2hG5fD4sA7mB";
pub const PEM_LINES: [&str; 2] = [
    "MIIEowIBAAKCAQEAassayFAKEfakeFAKEkeyBODYline0123456789abcdefABCDEF",
    "Qk9EWXNlY29uZGxpbmVvZnRoZWZha2VrZXlhc3NheWZ1enpRUVFRUVFRUVFRUVFR",
];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[usize::from(self.next()) % from.len()]
    }
}

fn pem() -> String {
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
        PEM_LINES[0], PEM_LINES[1]
    )
}

/// Where a planted value is: its key, its containing map's CEL path.
struct Placed {
    cel: String,
    /// Whether the password's placement makes it a secret (docs/secrets.md).
    sensitive: bool,
}

fn cel_key(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

pub fn redaction(data: &[u8]) {
    let mut b = Bytes(data);
    let kind = b.next() % 5;
    let token_key = b.pick(&["token", "github", "config", "notes", "url", "readme.md"]);
    let token = match b.next() % 6 {
        0 => TOKEN.to_owned(),
        1 => format!("https://x-access:{TOKEN}@github.com/org/repo.git"),
        2 => format!("Authorization: Bearer {TOKEN}"),
        3 => format!("{{\"auth\": {{\"token\": \"{TOKEN}\"}}, \"retries\": 3}}\n"),
        4 => format!("[github]\ntoken = {TOKEN}\nuser = ci\n"),
        _ => format!("first line\n{TOKEN}\nlast line"),
    };
    let password_key = b.pick(&["password", "db-password", "apiKey", "notes", "value"]);
    let pem_key = b.pick(&["key.pem", "tls.key", "ca.crt", "settings"]);
    let pem = match b.next() % 3 {
        0 => pem(),
        1 => format!("users:\n  - name: ci\n    key: |\n{}", indent(&pem(), 6)),
        _ => pem().replace('\n', "\r\n"),
    };
    let yaml = b.next() & 1 == 1;
    let template = b.next();
    let n = b.next();
    let free = text(b.0);

    // The document, and where each secret is.
    let mut doc = Map::new();
    let (t, o, p);
    let mut strings = vec![
        (token_key.to_owned(), token.clone()),
        (password_key.to_owned(), PASSWORD.to_owned()),
        (pem_key.to_owned(), pem.clone()),
    ];
    strings.dedup_by(|a, b| a.0 == b.0);
    let credential_name = matches!(password_key, "password" | "db-password" | "apiKey");
    // Later keys win in a map: the planted value is the last of its key.
    let mut map = Map::new();
    for (k, v) in &strings {
        map.insert(k.clone(), Value::String(v.clone()));
    }
    let holder = |path: &str, key: &str| format!("{path}[{}]", cel_key(key));
    match kind {
        0 | 1 => {
            doc.insert("apiVersion".into(), json!("v1"));
            doc.insert("kind".into(), json!("Secret"));
            doc.insert(
                "metadata".into(),
                json!({"name": "creds", "namespace": "prod"}),
            );
            if kind == 0 {
                doc.insert("stringData".into(), Value::Object(map.clone()));
                t = holder("object.stringData", token_key);
                o = holder("object.stringData", password_key);
                p = holder("object.stringData", pem_key);
            } else {
                let encoded = map
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(STANDARD.encode(v.as_str().unwrap_or("")))))
                    .collect();
                doc.insert("data".into(), Value::Object(encoded));
                let decoded =
                    |k: &str| format!("string(base64.decode(object.data[{}]))", cel_key(k));
                t = decoded(token_key);
                o = decoded(password_key);
                p = decoded(pem_key);
            }
        }
        2 => {
            doc.insert("apiVersion".into(), json!("v1"));
            doc.insert("kind".into(), json!("ConfigMap"));
            doc.insert(
                "metadata".into(),
                json!({"name": "app", "namespace": "prod"}),
            );
            doc.insert("data".into(), Value::Object(map.clone()));
            t = holder("object.data", token_key);
            o = holder("object.data", password_key);
            p = holder("object.data", pem_key);
        }
        3 => {
            // Env entries: `{name, value}`; the password's name says what it is.
            let env: Vec<Value> = strings
                .iter()
                .map(|(k, v)| {
                    let name = if k == "value" {
                        "DB_PASSWORD".to_owned()
                    } else {
                        k.to_uppercase().replace(['-', '.'], "_")
                    };
                    json!({"name": name, "value": v})
                })
                .collect();
            let index = |key: &str| strings.iter().rposition(|(k, _)| k == key).unwrap_or(0);
            doc.insert("apiVersion".into(), json!("apps/v1"));
            doc.insert("kind".into(), json!("Deployment"));
            doc.insert(
                "metadata".into(),
                json!({"name": "web", "namespace": "prod"}),
            );
            doc.insert(
                "spec".into(),
                json!({"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.25", "env": env}]}}}),
            );
            let at = |i: usize| format!("object.spec.template.spec.containers[0].env[{i}].value");
            t = at(index(token_key));
            o = at(index(password_key));
            p = at(index(pem_key));
        }
        _ => {
            doc.insert("apiVersion".into(), json!("v1"));
            doc.insert("kind".into(), json!("Pod"));
            doc.insert(
                "metadata".into(),
                json!({"name": "web", "namespace": "prod", "annotations": Value::Object(map.clone())}),
            );
            doc.insert(
                "spec".into(),
                json!({"containers": [{"name": "app", "image": "nginx:1.25"}]}),
            );
            t = holder("object.metadata.annotations", token_key);
            o = holder("object.metadata.annotations", password_key);
            p = holder("object.metadata.annotations", pem_key);
        }
    }
    let password = Placed {
        cel: o,
        sensitive: kind <= 1 || credential_name || (kind == 3 && password_key == "value"),
    };
    // A key that two secrets share holds only the last one.
    let holds = |key: &str, value: &str| strings.iter().any(|(k, v)| k == key && v == value);
    let token_planted = holds(token_key, &token);
    let password_planted = holds(password_key, PASSWORD);
    let pem_planted = holds(pem_key, &pem);

    let n = usize::from(n);
    let message_expr = match template % 10 {
        _ if template >= 0x80 => free
            .replace("$T", &t)
            .replace("$O", &password.cel)
            .replace("$P", &p),
        0 => format!("'v: ' + {t}"),
        1 => format!("{t}.substring({})", n % 40),
        2 => format!("'line: ' + {p}.split('\\n')[{}]", n % 4),
        3 => format!("'o: ' + {} + ' and ' + {t}", password.cel),
        4 => format!("{p}.replace('\\n', ' ')"),
        5 => format!("{t}.substring(0, {}) + '!'", n % 40),
        6 => format!("{}.substring({})", password.cel, n % 32),
        7 => format!("[{t}, {}, {p}].join(',')", password.cel),
        8 => format!("{p}.substring({}, {})", n % 60, n % 60 + 30),
        _ => format!("'config: ' + {t} + {p}"),
    };

    let value = Value::Object(doc);
    let input = if yaml {
        to_yaml(&value, 0)
    } else {
        value.to_string()
    };
    let policy = format!(
        "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {{name: leaky}}\nspec:\n  rules:\n    - name: echo\n      expr: 'false'\n      messageExpr: {}\n",
        serde_json::to_string(&message_expr).unwrap_or_default()
    );
    let Some(set) = policy_set(policy) else {
        return;
    };
    let request = Request::Check {
        input: Some(Value::String(input.clone())),
        file: Some("leak.yaml".to_owned()),
        env: String::new(),
        old: None,
        old_file: None,
        limits: None,
    };
    let report = match answer(&set, request) {
        Answer::Report { report } => report,
        other => panic!("a check answers a report: {other:?}"),
    };
    let mut secrets: Vec<&str> = Vec::new();
    if token_planted {
        secrets.push(TOKEN);
    }
    if pem_planted {
        secrets.extend(PEM_LINES);
    }
    if password_planted && password.sensitive {
        secrets.push(PASSWORD);
    }
    for (format, output) in check_report(&report) {
        for secret in &secrets {
            if let Some(piece) = piece_in(&output, secret) {
                let lines: Vec<&str> = output.lines().filter(|l| l.contains(&piece)).collect();
                panic!(
                    "{format}: `{piece}` of a planted secret is shown\nmessageExpr: {message_expr}\ndocument:\n{input}\nin:\n{}",
                    lines.join("\n")
                );
            }
        }
    }
}

thread_local! {
    /// Sets already loaded, by policy text: loading the library is most of
    /// an input's time, and templates repeat.
    static SETS: RefCell<HashMap<String, Option<Rc<PolicySet>>>> = RefCell::default();
}

/// The built-in library with the leaky policy; `None` if it does not load.
fn policy_set(policy: String) -> Option<Rc<PolicySet>> {
    SETS.with(|sets| {
        let mut sets = sets.borrow_mut();
        if sets.len() > 256 {
            sets.clear();
        }
        sets.entry(policy)
            .or_insert_with_key(|policy| {
                let mut files = assay_core::library::files();
                files.push(("leaky.yaml".to_owned(), policy.clone()));
                PolicySet::load(&files).ok().map(Rc::new)
            })
            .clone()
    })
}

/// An 8-character piece of `secret` that `output` holds.
fn piece_in(output: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .find(|piece| output.contains(piece.as_str()))
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// Block YAML; multi-line strings as `|` block scalars where YAML can
/// hold them so, else double-quoted (JSON strings are YAML).
fn to_yaml(v: &Value, depth: usize) -> String {
    let pad = "  ".repeat(depth);
    let scalar = |s: &Value| match s {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    };
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, item) in m {
                let key = serde_json::to_string(k).unwrap_or_default();
                out.push_str(&format!("{pad}{key}:"));
                out.push_str(&nested(item, depth, &scalar));
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&format!("{pad}-"));
                out.push_str(&nested(item, depth, &scalar));
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
    out
}

fn nested(item: &Value, depth: usize, scalar: &dyn Fn(&Value) -> String) -> String {
    match item {
        Value::Object(m) if !m.is_empty() => format!("\n{}", to_yaml(item, depth + 1)),
        Value::Array(a) if !a.is_empty() => format!("\n{}", to_yaml(item, depth + 1)),
        Value::String(s) if block_safe(s) => {
            let chomp = if s.ends_with('\n') { "" } else { "-" };
            format!(" |{chomp}\n{}", indent(s, 2 * depth + 2))
        }
        other => format!(" {}\n", scalar(other)),
    }
}

/// A string a `|` block scalar holds as is: lines without leading or
/// trailing blanks or CRs, at most one final line break.
fn block_safe(s: &str) -> bool {
    s.contains('\n')
        && !s.ends_with("\n\n")
        && s.lines()
            .all(|l| !l.is_empty() && l.trim() == l && !l.contains('\r'))
}

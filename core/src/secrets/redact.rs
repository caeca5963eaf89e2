//! Secret values are never shown: a finding says at most a 4-character
//! prefix, the length and a fingerprint (first 8 hex digits of SHA-256), so
//! two reports can be compared without either holding the secret.
//! `redact_findings` is the central pass over every finding message.

use super::detectors::Scanner;
use super::filters::{self, KeyClass};
use crate::report::Finding;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Values shorter than this are not searched for in messages: too many
/// innocent words would match.
const MIN_SEARCHED: usize = 6;
const MAX_DEPTH: usize = 64;

/// `*** (18 chars, sha256:1a2b3c4d)`: passwords and other values whose
/// start is as secret as the rest show no prefix.
pub fn redact(secret: &str) -> String {
    redacted(secret, false)
}

/// `ghp_*** (40 chars, sha256:1a2b3c4d)`: a token format's first 4
/// characters (mostly its public vendor prefix); none for short values.
pub fn redact_token(secret: &str) -> String {
    redacted(secret, true)
}

fn redacted(secret: &str, show_prefix: bool) -> String {
    let n = secret.chars().count();
    let digest = Sha256::digest(secret.as_bytes());
    let fp: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let prefix: String = if show_prefix && n >= 16 {
        secret.chars().take(4).collect()
    } else {
        String::new()
    };
    format!("{prefix}*** ({n} chars, sha256:{fp})")
}

/// Replaces every token-shaped secret in a text with its redacted form.
pub fn redact_text(text: &str) -> String {
    match Scanner::builtin() {
        Some(s) => replace_hits(&s, text),
        None => text.to_owned(),
    }
}

fn replace_hits(scanner: &Scanner, text: &str) -> String {
    let hits = scanner.scan(None, text);
    if hits.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for h in hits {
        if h.start < last {
            continue;
        }
        if let (Some(before), Some(secret)) = (text.get(last..h.start), text.get(h.start..h.end)) {
            out.push_str(before);
            let prefixed = scanner
                .entries
                .get(h.detector)
                .is_some_and(|e| e.show_prefix());
            out.push_str(&redacted(secret, prefixed));
            last = h.end;
        }
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// Redacts secrets in finding messages: token-shaped values, and any value
/// of the document stored under a credential-like name or in a Secret, as
/// quoted by a JSON Schema error or a rule's `messageExpr`.
pub fn redact_findings(findings: &mut [Finding], doc: &Value) {
    if findings.is_empty() {
        return;
    }
    let Some(scanner) = Scanner::builtin() else {
        return;
    };
    let mut sensitive: Option<Vec<String>> = None;
    for f in findings.iter_mut() {
        let mut message = replace_hits(&scanner, &f.message);
        let values = sensitive.get_or_insert_with(|| sensitive_values(doc));
        for v in values.iter() {
            if message.contains(v.as_str()) {
                message = message.replace(v.as_str(), &redact(v));
            }
            // JSON Schema messages quote values JSON-escaped.
            if let Ok(quoted) = serde_json::to_string(v) {
                let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("");
                if inner != v && !inner.is_empty() && message.contains(inner) {
                    message = message.replace(inner, &redact(v));
                }
            }
        }
        f.message = message;
    }
}

/// String values that must not be echoed: under credential-like keys
/// (also the `key: value` lines of embedded files), and a Secret's data.
fn sensitive_values(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let is_secret = doc.get("kind").and_then(Value::as_str) == Some("Secret");
    if is_secret {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(m)) = doc.get(field) {
                for v in m.values().filter_map(Value::as_str) {
                    push(&mut out, v);
                }
            }
        }
    }
    collect(doc, None, 0, &mut out);
    // Longest first, so a value is not half-replaced through a shorter one;
    // equal values next to each other, for `dedup`.
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

fn push(out: &mut Vec<String>, v: &str) {
    let v = v.trim();
    if v.len() >= MIN_SEARCHED && v.parse::<f64>().is_err() {
        out.push(v.to_owned());
    }
}

fn collect(v: &Value, key: Option<&str>, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => {
            if key.is_some_and(|k| filters::key_class(k) != KeyClass::None) {
                push(out, s);
            }
            if s.contains('\n') {
                for (k, start, end) in filters::credential_line_pairs(s) {
                    if filters::key_class(k) != KeyClass::None {
                        push(out, s.get(start..end).unwrap_or(""));
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, key, depth + 1, out);
            }
        }
        Value::Object(m) => {
            // An env entry: `{name: DB_PASSWORD, value: …}`.
            let env_name = m.get("name").and_then(Value::as_str);
            for (k, item) in m {
                let key = if k == "value" && env_name.is_some() {
                    env_name
                } else {
                    Some(k.as_str())
                };
                collect(item, key, depth + 1, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Severity;

    #[test]
    fn redacted_form() {
        let r = redact_token("abcdefghijklmnopqrstuvwxyz");
        assert!(r.starts_with("abcd*** (26 chars, sha256:"), "{r}");
        assert_eq!(redact("hunter2").split(' ').next(), Some("***"));
        assert_eq!(
            redact("a-long-password-value").split(' ').next(),
            Some("***")
        );
    }

    #[test]
    fn messages_lose_values() {
        let doc =
            serde_json::json!({"kind": "ConfigMap", "data": {"DB_PASSWORD": "Sup3r\"Secret"}});
        let mut f = vec![Finding {
            rule: "schema".into(),
            severity: Severity::Error,
            message: "\"Sup3r\\\"Secret\" is not valid".into(),
            path: "/data/DB_PASSWORD".into(),
            line: None,
            column: None,
        }];
        redact_findings(&mut f, &doc);
        assert!(!f[0].message.contains("Sup3r"), "{}", f[0].message);
    }

    #[test]
    fn each_sensitive_value_is_searched_for_once() {
        let doc = serde_json::json!({"kind": "ConfigMap", "data": {
            "A_PASSWORD": "same-secret-1", "B_TOKEN": "other-secret2", "C_PASSWORD": "same-secret-1"}});
        let values = sensitive_values(&doc);
        assert_eq!(values.len(), 2, "{values:?}");
    }
}

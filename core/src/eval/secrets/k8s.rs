//! The secret rules as they read Kubernetes manifests (docs/secrets.md).

use super::config::CompiledSecrets;
use crate::diag::{Finding, Pos, Severity};
use crate::eval::input::EvalInput;
use crate::parse::{parse_stream, push_segment, Document};
use crate::redact::detectors::Hit;
use crate::redact::{redact, redact_token};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// Decoded Secret and binaryData values larger than this are not scanned.
pub(super) const MAX_DECODED: usize = 1 << 20;
pub(super) const MAX_DEPTH: usize = 64;

pub(super) struct Ctx<'a> {
    pub(super) cfg: &'a CompiledSecrets,
    pub(super) doc: &'a Document,
    pub(super) out: &'a mut Vec<Finding>,
    /// Each secret found, for the other findings' messages to be redacted of.
    pub(super) found: &'a mut Vec<String>,
}

pub(super) fn check(
    cfg: &CompiledSecrets,
    doc: &Document,
    input: &EvalInput,
    out: &mut Vec<Finding>,
    found: &mut Vec<String>,
) {
    let kind = doc.value.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut ctx = Ctx {
        cfg,
        doc,
        out,
        found,
    };
    match kind {
        "ConfigMap" => ctx.configmap(),
        "Secret" => ctx.secret(input),
        "Role" | "ClusterRole" => ctx.rbac(kind),
        _ => {}
    }
    for base in super::workloads::pod_spec_pointers(kind, &doc.value) {
        if let Some(Value::Object(spec)) = doc.value.pointer(&base) {
            ctx.pod_spec(&base, spec);
        }
    }
}

pub(super) fn child(base: &str, segment: &str) -> String {
    let mut p = base.to_owned();
    push_segment(&mut p, segment);
    p
}

/// Where a hit inside a multi-line value is: its pointer (continued into the
/// embedded file when it parses) and its place in the outer file.
enum Embedded {
    Unparsed,
    Parsed(Option<Document>),
}

impl Ctx<'_> {
    pub(super) fn push(
        &mut self,
        rule: &str,
        severity: Severity,
        message: String,
        path: &str,
        at: Option<Pos>,
    ) {
        if !self.cfg.enabled(rule) || self.cfg.allowed_path(path) {
            return;
        }
        let mut f = Finding::new(rule, severity, message, path, &self.doc.map);
        if let Some(p) = at {
            f.line = Some(p.line);
            f.column = Some(p.column);
        }
        self.out.push(f);
    }

    // --- secret-in-configmap -------------------------------------------------

    pub(super) fn configmap(&mut self) {
        let (annotation, env_file) = crate::parse::FROM_ENV_FILE;
        let from_env_file = self
            .doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(annotation))
            .is_some_and(|v| v == env_file);
        let place = if from_env_file {
            Where::EnvFile
        } else {
            Where::ConfigMap
        };
        if let Some(Value::Object(data)) = self.doc.value.get("data") {
            if !self.cfg.enabled("secret-in-configmap") {
                return;
            }
            let mut single: Vec<(&str, &str)> = Vec::new();
            for (k, v) in data {
                if let Value::String(text) = v {
                    if text.contains('\n') {
                        let path = child("/data", k);
                        self.scan(&path, Some(k), text, place);
                    } else {
                        single.push((k, text));
                    }
                }
            }
            let hits = self.cfg.scanner.scan_values(&single);
            for ((k, text), hits) in single.iter().zip(hits) {
                let path = child("/data", k);
                for h in hits {
                    if let Some((shown, id, description)) = self.hit_parts(&h, text) {
                        let message = place.message(&description, &shown, &id);
                        self.push("secret-in-configmap", Severity::Error, message, &path, None);
                    }
                }
            }
        }
        if let Some(Value::Object(data)) = self.doc.value.get("binaryData") {
            for (k, v) in data {
                let Some(bytes) = v.as_str().and_then(decode) else {
                    continue;
                };
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    if text.len() <= MAX_DECODED {
                        // Decoded text has no place in the file: point at the value.
                        let path = child("/binaryData", k);
                        let before = self.found.len();
                        self.scan_detached(&path, Some(k), text, Where::ConfigMap);
                        if self.found.len() > before {
                            self.found.extend(v.as_str().map(str::to_owned));
                        }
                    }
                }
            }
        }
    }

    pub(super) fn scan(&mut self, path: &str, key: Option<&str>, text: &str, place: Where) {
        if !self.cfg.enabled("secret-in-configmap") {
            return;
        }
        let hits = self.cfg.scanner.scan(key, text);
        let mut embedded = Embedded::Unparsed;
        for h in hits {
            let Some((shown, id, description)) = self.hit_parts(&h, text) else {
                continue;
            };
            let secret = text.get(h.start..h.end).unwrap_or("");
            let (pointer, at) = if text.contains('\n') {
                self.locate_in_text(path, text, &h, secret, &mut embedded)
            } else {
                (path.to_owned(), None)
            };
            let message = place.message(&description, &shown, &id);
            self.push(
                "secret-in-configmap",
                Severity::Error,
                message,
                &pointer,
                at,
            );
        }
    }

    /// Like `scan`, for decoded text with no position of its own.
    pub(super) fn scan_detached(
        &mut self,
        path: &str,
        key: Option<&str>,
        text: &str,
        place: Where,
    ) {
        if !self.cfg.enabled("secret-in-configmap") {
            return;
        }
        for h in self.cfg.scanner.scan(key, text) {
            let Some((shown, id, description)) = self.hit_parts(&h, text) else {
                continue;
            };
            let message = place.message(&description, &shown, &id);
            self.push("secret-in-configmap", Severity::Error, message, path, None);
        }
    }

    pub(super) fn hit_parts(&mut self, h: &Hit, text: &str) -> Option<(String, String, String)> {
        let entry = self.cfg.scanner.entries.get(h.detector)?;
        let secret = text.get(h.start..h.end)?;
        if !self.cfg.enabled(&entry.id) || self.cfg.allowed_value(secret) {
            return None;
        }
        self.found.push(secret.to_owned());
        let shown = if entry.show_prefix() {
            redact_token(secret)
        } else {
            redact(secret)
        };
        Some((shown, entry.id.to_string(), entry.description.to_string()))
    }

    /// A hit in a multi-line value: inside the parsed embedded file when it
    /// parses and holds the secret, else at its line in the block.
    fn locate_in_text(
        &self,
        path: &str,
        text: &str,
        h: &Hit,
        secret: &str,
        embedded: &mut Embedded,
    ) -> (String, Option<Pos>) {
        let block = self.doc.map.block_text(path);
        let place = |inner: Pos| {
            block.map(|b| Pos {
                line: inner.line + b.first_line - 1,
                column: inner.column + b.indent,
            })
        };
        if matches!(embedded, Embedded::Unparsed) {
            let parsed = match parse_stream(text).into_iter().next() {
                Some(Ok(d)) if d.value.is_object() || d.value.is_array() => Some(d),
                _ => None,
            };
            *embedded = Embedded::Parsed(parsed);
        }
        // JSON escapes (`\n` in a PEM key) differ between text and value.
        let needle = secret
            .split(['\\', '\n'])
            .next()
            .filter(|n| n.len() >= 8)
            .unwrap_or(secret);
        if let Embedded::Parsed(Some(d)) = embedded {
            let mut inner = String::new();
            if find_string(&d.value, needle, &mut inner, 0) {
                let at = d.map.locate(&inner).and_then(place);
                return (format!("{path}{inner}"), at);
            }
        }
        let before = text.get(..h.start).unwrap_or("");
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) as u32 + 1;
        (path.to_owned(), place(Pos { line, column }))
    }

    // --- pod specs: env values, secretKeyRef, volume modes ------------------------
}

/// Where a leaked value sits, for the message.
#[derive(Clone, Copy)]
pub(super) enum Where<'a> {
    ConfigMap,
    Env(&'a str),
    /// A container's `command` or `args`, by the container's name.
    CommandLine(&'a str),
    /// A dotenv file given as an input (`source::is_env_file`).
    EnvFile,
}

impl Where<'_> {
    pub(super) fn message(&self, description: &str, redacted: &str, id: &str) -> String {
        match self {
            Where::ConfigMap => format!(
                "{description} ({redacted}) in a ConfigMap, which is not access-controlled or encrypted like a Secret; move it to a Secret (mounted with defaultMode: 0400, or via secretKeyRef) and rotate it [{id}]"
            ),
            Where::EnvFile => format!(
                "{description} ({redacted}) in a dotenv file, plain text wherever the file goes (a repository, a ConfigMap from configMapGenerator); keep it out of the file and the repository, create the Secret from a secret manager (External Secrets, Sealed Secrets), and rotate it [{id}]"
            ),
            Where::CommandLine(container) => format!(
                "{description} ({redacted}) on the command line of container `{container}`, visible in the manifest, `kubectl describe` and the node's process list; read it from a file mounted from a Secret, and rotate it [{id}]"
            ),
            Where::Env(name) => format!(
                "{description} ({redacted}) in the plain value of env var `{name}`, visible in the manifest and `kubectl describe`; put it in a Secret, reference it with valueFrom.secretKeyRef (or mount it), and rotate it [{id}]"
            ),
        }
    }
}

/// Base64 as Kubernetes decodes Secret data (standard alphabet, padded;
/// line breaks ignored). The error names the problem, never the content.
pub(super) fn decode_checked(s: &str) -> Result<Vec<u8>, String> {
    let cleaned: String;
    let s = if s.contains(['\n', '\r']) {
        cleaned = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        cleaned.as_str()
    } else {
        s
    };
    STANDARD.decode(s).map_err(|e| match e {
        base64::DecodeError::InvalidByte(offset, _) => {
            format!("character {} is not in the base64 alphabet", offset + 1)
        }
        base64::DecodeError::InvalidLength(n) => {
            format!("length {n} is not a multiple of 4")
        }
        base64::DecodeError::InvalidLastSymbol(offset, _) => {
            format!("bad final character at {}", offset + 1)
        }
        base64::DecodeError::InvalidPadding => "bad padding".to_owned(),
    })
}

pub(super) fn decode(s: &str) -> Option<Vec<u8>> {
    decode_checked(s).ok()
}

/// Finds a string value containing `needle`; `pointer` is its path.
pub(super) fn find_string(v: &Value, needle: &str, pointer: &mut String, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                if find_string(item, needle, pointer, depth + 1) {
                    return true;
                }
                pointer.truncate(len);
            }
            false
        }
        Value::Object(m) => {
            for (k, item) in m {
                let len = pointer.len();
                push_segment(pointer, k);
                if find_string(item, needle, pointer, depth + 1) {
                    return true;
                }
                pointer.truncate(len);
            }
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::Document;
    use crate::{EvalInput, PolicySet};
    use serde_json::json;

    /// Odd shapes and values give findings or nothing, never a panic.
    #[test]
    pub(super) fn odd_documents_do_not_panic() {
        let policy = "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: s}\nspec:\n  secrets: {enabled: true}\n";
        let Ok(set) = PolicySet::load(&[("p.yaml".to_owned(), policy.to_owned())]) else {
            unreachable!("policy loads");
        };
        let mut deep = json!("x");
        for _ in 0..200 {
            deep = json!({"token": deep});
        }
        let docs = [
            json!({"kind": "ConfigMap", "data": ["not", "a", "map"], "binaryData": {"k": "%%%"}}),
            json!({"kind": "ConfigMap", "data": {"a": null, "b": 1, "c": {"x": 1}, "d": "\u{0}\n\u{ffff}"}}),
            json!({"kind": "ConfigMap", "binaryData": {"k": "/w=="}}),
            json!({"kind": "ConfigMap", "data": {"config.yaml": "a: [\n  password: \"x\n"}}),
            json!({"kind": "ConfigMap", "data": {"nested": deep}}),
            json!({"kind": "Secret", "data": {"a": [1], "b": "===="}, "stringData": "x", "type": "kubernetes.io/dockerconfigjson"}),
            json!({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "/w=="}}),
            json!({"kind": "Pod", "spec": {"containers": "x", "volumes": [1, {"secret": 1}, {"secret": {"defaultMode": -1, "items": [{"mode": 1.5}]}}]}}),
            json!({"kind": "Pod", "spec": {"containers": [{"env": [1, {"name": 2, "value": 3}, {"valueFrom": {"secretKeyRef": 1}}], "envFrom": [{"secretRef": null}]}]}}),
            json!({"kind": "Role", "rules": [1, {"resources": "secrets"}, {"resources": ["secrets"], "verbs": [1, "*"]}]}),
            json!({"kind": "CronJob", "spec": {"jobTemplate": 1}}),
            json!({"kind": 7}),
            json!(null),
        ];
        for d in docs {
            let _ = set.evaluate(&Document::from_value(d), &EvalInput::default());
        }
        let huge = "ghp_".to_owned() + &"A1b2".repeat(1 << 18);
        let doc = Document::from_value(
            json!({"kind": "ConfigMap", "data": {"K": huge, "L": "x".repeat(1 << 20)}}),
        );
        let _ = set.evaluate(&doc, &EvalInput::default());
    }
}

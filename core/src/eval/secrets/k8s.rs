//! The secret rules as they read Kubernetes manifests (SPEC §4).

use super::config::CompiledSecrets;
use crate::diag::{Finding, Pos, Severity};
use crate::eval::input::EvalInput;
use crate::parse::{parse_stream, push_segment, Document};
use crate::redact::detectors::Hit;
use crate::redact::filters::{not_a_secret, NotSecret};
use crate::redact::{redact, redact_token};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Decoded Secret and binaryData values larger than this are not scanned.
const MAX_DECODED: usize = 1 << 20;
const MAX_DEPTH: usize = 64;

struct Ctx<'a> {
    cfg: &'a CompiledSecrets,
    doc: &'a Document,
    out: &'a mut Vec<Finding>,
    /// Each secret found, for the other findings' messages to be redacted of.
    found: &'a mut Vec<String>,
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
    if let Some(base) = pod_spec_pointer(kind) {
        if let Some(Value::Object(spec)) = doc.value.pointer(base) {
            ctx.pod_spec(base, spec);
        }
    }
}

fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "PodTemplate" => Some("/template/spec"),
        _ => None,
    }
}

fn child(base: &str, segment: &str) -> String {
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
    fn push(
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

    fn configmap(&mut self) {
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

    fn scan(&mut self, path: &str, key: Option<&str>, text: &str, place: Where) {
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
    fn scan_detached(&mut self, path: &str, key: Option<&str>, text: &str, place: Where) {
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

    fn hit_parts(&mut self, h: &Hit, text: &str) -> Option<(String, String, String)> {
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

    fn pod_spec(&mut self, base: &str, spec: &Map<String, Value>) {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            let Some(Value::Array(containers)) = spec.get(list) else {
                continue;
            };
            for (i, c) in containers.iter().enumerate() {
                let cbase = format!("{base}/{list}/{i}");
                let cname = c.get("name").and_then(Value::as_str).unwrap_or("?");
                self.container_env(&cbase, cname, c);
                self.command_line(&cbase, cname, c);
            }
        }
        let fs_group = spec
            .get("securityContext")
            .and_then(|s| s.get("fsGroup"))
            .is_some_and(|g| !g.is_null());
        if let Some(Value::Array(volumes)) = spec.get("volumes") {
            for (i, v) in volumes.iter().enumerate() {
                self.volume(&format!("{base}/volumes/{i}"), v, fs_group);
            }
        }
    }

    /// `command` and `args`: tokens anywhere, and the value of a
    /// credential-like flag (`--api-key=…`, `--password …`).
    fn command_line(&mut self, cbase: &str, cname: &str, c: &Value) {
        for field in ["command", "args"] {
            let Some(Value::Array(items)) = c.get(field) else {
                continue;
            };
            let mut flag: Option<&str> = None;
            for (k, item) in items.iter().enumerate() {
                let Some(text) = item.as_str() else {
                    flag = None;
                    continue;
                };
                let path = format!("{cbase}/{field}/{k}");
                let place = Where::CommandLine(cname);
                let is_flag = text.starts_with('-');
                match text.split_once('=').filter(|_| is_flag) {
                    Some((name, value)) => {
                        self.scan(&path, Some(name.trim_start_matches('-')), value, place)
                    }
                    None if is_flag => {}
                    None => self.scan(&path, flag, text, place),
                }
                flag = is_flag
                    .then(|| text.trim_start_matches('-'))
                    .filter(|_| !text.contains('='));
            }
        }
    }

    fn container_env(&mut self, cbase: &str, cname: &str, c: &Value) {
        if let Some(Value::Array(env)) = c.get("env") {
            for (j, e) in env.iter().enumerate() {
                let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                if let Some(Value::String(v)) = e.get("value") {
                    let path = format!("{cbase}/env/{j}/value");
                    self.scan(&path, Some(name), v, Where::Env(name));
                }
                if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                    let secret = r.get("name").and_then(Value::as_str).unwrap_or("?");
                    let key = r.get("key").and_then(Value::as_str).unwrap_or("?");
                    self.push(
                        "secret-env-var",
                        Severity::Warning,
                        format!(
                            "env var `{name}` of container `{cname}` takes key `{key}` of Secret `{secret}`: env vars leak into logs, crash reports, `kubectl describe` and child processes; mount the Secret as a volume (defaultMode: 0400) and read the file instead"
                        ),
                        &format!("{cbase}/env/{j}/valueFrom/secretKeyRef"),
                        None,
                    );
                }
            }
        }
        if let Some(Value::Array(env_from)) = c.get("envFrom") {
            for (j, e) in env_from.iter().enumerate() {
                if let Some(r) = e.get("secretRef") {
                    let secret = r.get("name").and_then(Value::as_str).unwrap_or("?");
                    self.push(
                        "secret-env-var",
                        Severity::Warning,
                        format!(
                            "container `{cname}` loads every key of Secret `{secret}` as env vars (envFrom): env vars leak into logs, crash reports and child processes; mount the Secret as a volume (defaultMode: 0400) and read the files instead"
                        ),
                        &format!("{cbase}/envFrom/{j}/secretRef"),
                        None,
                    );
                }
            }
        }
    }

    // --- secret-file-mode ------------------------------------------------------------

    fn volume(&mut self, vbase: &str, v: &Value, fs_group: bool) {
        let vname = v.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(s) = v.get("secret") {
            let base = format!("{vbase}/secret");
            self.default_mode(&base, s, vname, fs_group);
            self.item_modes(&base, s, vname, fs_group);
        }
        if let Some(p) = v.get("projected") {
            let sources = p.get("sources").and_then(Value::as_array);
            let secret_sources: Vec<(usize, &Value)> = sources
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(k, s)| s.get("secret").map(|x| (k, x)))
                .collect();
            if secret_sources.is_empty() {
                return;
            }
            let base = format!("{vbase}/projected");
            self.default_mode(&base, p, vname, fs_group);
            for (k, s) in secret_sources {
                self.item_modes(&format!("{base}/sources/{k}/secret"), s, vname, fs_group);
            }
        }
    }

    fn default_mode(&mut self, base: &str, source: &Value, vname: &str, fs_group: bool) {
        match source.get("defaultMode") {
            None | Some(Value::Null) => self.push(
                "secret-file-mode",
                Severity::Error,
                format!(
                    "secret volume `{vname}` has no defaultMode, so Kubernetes writes its files with mode 0644 (readable by every user in the container); set defaultMode: 0400"
                ),
                base,
                None,
            ),
            Some(m) => self.mode(&format!("{base}/defaultMode"), m, vname, fs_group),
        }
    }

    fn item_modes(&mut self, base: &str, source: &Value, vname: &str, fs_group: bool) {
        if let Some(Value::Array(items)) = source.get("items") {
            for (j, item) in items.iter().enumerate() {
                if let Some(m) = item.get("mode") {
                    self.mode(&format!("{base}/items/{j}/mode"), m, vname, fs_group);
                }
            }
        }
    }

    fn mode(&mut self, path: &str, value: &Value, vname: &str, fs_group: bool) {
        let Some(mode) = file_mode(value) else {
            self.push(
                "secret-file-mode",
                Severity::Error,
                format!("secret volume `{vname}`: mode is not a number; write 0400 (octal) or 256 (decimal)"),
                path,
                None,
            );
            return;
        };
        let allowed = if fs_group { 0o440 } else { 0o400 };
        if mode & !allowed == 0 {
            return;
        }
        let too_much = if mode > 0o777 {
            "is not a file mode (above 0777)".to_owned()
        } else if mode & 0o007 != 0 {
            "lets every user in the container read the secret files".to_owned()
        } else if mode & 0o070 != 0 && !fs_group {
            "lets the file's group read the secret files, and the pod sets no fsGroup".to_owned()
        } else {
            "grants more than read by the owner".to_owned()
        };
        let fix = if fs_group {
            "use 0400, or 0440 since the pod sets fsGroup"
        } else {
            "use 0400 (or 0440 with a pod securityContext.fsGroup)"
        };
        self.push(
            "secret-file-mode",
            Severity::Error,
            format!(
                "secret volume `{vname}`: mode {mode:04o} (decimal {mode}) {too_much}; {fix}; YAML reads 0400 as octal, JSON needs 256"
            ),
            path,
            None,
        );
    }

    // --- Secrets -----------------------------------------------------------------------

    fn secret(&mut self, input: &EvalInput) {
        let v = &self.doc.value;
        let name = v
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let production = input.env == "production";
        let placeholder_severity = if production {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut literal = None;
        if let Some(Value::Object(data)) = v.get("data") {
            if !data.is_empty() {
                literal = Some("/data");
            }
            for (k, val) in data {
                let path = child("/data", k);
                let decoded = match val {
                    Value::String(s) => match decode_checked(s) {
                        Ok(bytes) => Some(bytes),
                        Err(why) => {
                            self.push(
                                "secret-invalid-base64",
                                Severity::Error,
                                format!(
                                    "Secret `{name}` `data.{k}` is not valid base64 ({why}), so Kubernetes rejects the Secret; base64-encode the value (`base64 -w0`) or move it to stringData"
                                ),
                                &path,
                                None,
                            );
                            None
                        }
                    },
                    Value::Null => None,
                    _ => {
                        self.push(
                            "secret-invalid-base64",
                            Severity::Error,
                            format!(
                                "Secret `{name}` `data.{k}` is not a base64 string; quote and base64-encode it, or move it to stringData"
                            ),
                            &path,
                            None,
                        );
                        None
                    }
                };
                if let Some(text) = decoded
                    .as_deref()
                    .filter(|b| b.len() <= MAX_DECODED)
                    .and_then(|b| std::str::from_utf8(b).ok())
                {
                    self.placeholder(&name, "data", k, text, &path, placeholder_severity);
                }
            }
        }
        if let Some(Value::Object(data)) = v.get("stringData") {
            if !data.is_empty() {
                literal = Some("/stringData");
            }
            for (k, val) in data {
                if let Value::String(s) = val {
                    let path = child("/stringData", k);
                    self.placeholder(&name, "stringData", k, s, &path, placeholder_severity);
                }
            }
        }
        if let Some(path) = literal {
            // An AdmissionReview is a live object, not a checked-in manifest.
            if input.request.is_none() {
                self.push(
                    "secret-plaintext-manifest",
                    Severity::Warning,
                    format!(
                        "Secret `{name}` carries literal values in a checked-in manifest, readable by anyone with the repository (base64 is an encoding, not encryption); commit a SealedSecret or an ExternalSecret instead"
                    ),
                    path,
                    None,
                );
            }
        }
        if v.get("type").and_then(Value::as_str) == Some("kubernetes.io/dockerconfigjson") {
            self.dockerconfigjson(&name);
        }
    }

    fn placeholder(
        &mut self,
        name: &str,
        field: &str,
        key: &str,
        value: &str,
        path: &str,
        severity: Severity,
    ) {
        let Some(why) = not_a_secret(value) else {
            return;
        };
        self.found.push(value.to_owned());
        let what = match why {
            NotSecret::Placeholder => "a placeholder",
            NotSecret::Reference => "an unrendered template or reference",
            NotSecret::Example => "a documented example key",
        };
        self.push(
            "secret-placeholder",
            severity,
            format!(
                "Secret `{name}` `{field}.{key}` holds {what} ({}), not a real value; set it from your secret manager (ExternalSecret, SealedSecret) before deploying",
                redact(value)
            ),
            path,
            None,
        );
    }

    fn dockerconfigjson(&mut self, name: &str) {
        let v = &self.doc.value;
        const KEY: &str = ".dockerconfigjson";
        let from_string = v.pointer("/stringData").and_then(|d| d.get(KEY));
        let from_data = v.pointer("/data").and_then(|d| d.get(KEY));
        let (text, path): (String, String) = match (from_string, from_data) {
            (Some(Value::String(s)), _) => (s.clone(), child("/stringData", KEY)),
            (_, Some(Value::String(s))) => {
                let path = child("/data", KEY);
                match decode_checked(s) {
                    Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), path),
                    Err(_) => {
                        // secret-invalid-base64 reports it, unless switched off.
                        if !self.cfg.enabled("secret-invalid-base64") {
                            self.push(
                                "dockerconfigjson-invalid",
                                Severity::Error,
                                format!("Secret `{name}` `data.{KEY}` is not valid base64; kubelet cannot read the registry credentials"),
                                &path,
                                None,
                            );
                        }
                        return;
                    }
                }
            }
            _ => {
                self.push(
                    "dockerconfigjson-invalid",
                    Severity::Error,
                    format!(
                        "Secret `{name}` of type kubernetes.io/dockerconfigjson has no `{KEY}` in data or stringData; create it with `kubectl create secret docker-registry`"
                    ),
                    if v.get("stringData").is_some() { "/stringData" } else { "/data" },
                    None,
                );
                return;
            }
        };
        let problem = match serde_json::from_str::<Value>(&text) {
            Err(e) => {
                let inner = Pos {
                    line: e.line() as u32,
                    column: e.column() as u32,
                };
                let at = self.doc.map.block_text(&path).map(|b| Pos {
                    line: inner.line + b.first_line - 1,
                    column: inner.column + b.indent,
                });
                Some((
                    format!(
                        "is not valid JSON ({} at line {} column {})",
                        json_error_kind(&e),
                        inner.line,
                        inner.column
                    ),
                    at,
                ))
            }
            Ok(Value::Object(m)) if m.get("auths").is_some_and(Value::is_object) => None,
            Ok(_) => Some(("has no `auths` map".to_owned(), None)),
        };
        if let Some((what, at)) = problem {
            self.push(
                "dockerconfigjson-invalid",
                Severity::Error,
                format!(
                    "Secret `{name}` `{KEY}` {what}, so image pulls with it fail; it must be JSON like {{\"auths\": {{\"registry\": {{\"auth\": \"<base64 user:password>\"}}}}}} (see `kubectl create secret docker-registry`)"
                ),
                &path,
                at,
            );
        }
    }

    // --- rbac-secrets-wildcard ---------------------------------------------------

    fn rbac(&mut self, kind: &str) {
        let Some(Value::Array(rules)) = self.doc.value.get("rules") else {
            return;
        };
        let name = self
            .doc
            .value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        for (i, r) in rules.iter().enumerate() {
            let list = |k: &str| -> Vec<&str> {
                r.get(k)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default()
            };
            let groups = list("apiGroups");
            let resources = list("resources");
            let verbs = list("verbs");
            let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || *g == "*");
            let covers = resources.iter().any(|x| *x == "secrets" || *x == "*");
            if !core || !covers {
                continue;
            }
            let named = !list("resourceNames").is_empty();
            let reads: Vec<&str> = if verbs.contains(&"*") {
                vec!["get", "list", "watch"]
            } else {
                ["get", "list", "watch"]
                    .into_iter()
                    .filter(|v| verbs.contains(v))
                    .collect()
            };
            let flagged: Vec<&str> = reads
                .into_iter()
                .filter(|v| !named || *v != "get")
                .collect();
            if flagged.is_empty() {
                continue;
            }
            let mut how = Vec::new();
            if resources.contains(&"*") {
                how.push("resources: [\"*\"] covers secrets");
            }
            if verbs.contains(&"*") {
                how.push("verbs: [\"*\"] covers get, list and watch");
            }
            let how = if how.is_empty() {
                String::new()
            } else {
                format!(" ({})", how.join("; "))
            };
            let scope = if kind == "ClusterRole" {
                "in every namespace"
            } else {
                "in its namespace"
            };
            let message = if named {
                format!(
                    "{kind} `{name}` grants {} on secrets{how}: resourceNames does not limit list or watch, so every Secret {scope} is readable; keep only `get` with resourceNames",
                    flagged.join(", ")
                )
            } else {
                format!(
                    "{kind} `{name}` grants {} on secrets without resourceNames{how}: every Secret {scope} is readable; grant only `get` with resourceNames listing the Secrets it needs",
                    flagged.join(", ")
                )
            };
            self.push(
                "rbac-secrets-wildcard",
                Severity::Error,
                message,
                &format!("/rules/{i}/verbs"),
                None,
            );
        }
    }
}

/// Where a leaked value sits, for the message.
#[derive(Clone, Copy)]
enum Where<'a> {
    ConfigMap,
    Env(&'a str),
    /// A container's `command` or `args`, by the container's name.
    CommandLine(&'a str),
    /// A dotenv file given as an input (`source::is_env_file`).
    EnvFile,
}

impl Where<'_> {
    fn message(&self, description: &str, redacted: &str, id: &str) -> String {
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

/// A file mode as Kubernetes reads it: YAML `0400` is already octal (the
/// loader reads YAML 1.1 octal), a number is taken as is, a string of
/// octal digits with a leading 0 as octal.
fn file_mode(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            if let Some(o) = s.strip_prefix("0o") {
                u64::from_str_radix(o, 8).ok()
            } else if s.len() > 1 && s.starts_with('0') {
                u64::from_str_radix(s, 8).ok()
            } else {
                s.parse().ok()
            }
        }
        _ => None,
    }
}

fn decode(s: &str) -> Option<Vec<u8>> {
    decode_checked(s).ok()
}

/// Base64 as Kubernetes decodes Secret data (standard alphabet, padded;
/// line breaks ignored). The error names the problem, never the content.
fn decode_checked(s: &str) -> Result<Vec<u8>, String> {
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

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "unreadable",
    }
}

/// Finds a string value containing `needle`; `pointer` is its path.
fn find_string(v: &Value, needle: &str, pointer: &mut String, depth: usize) -> bool {
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
    fn odd_documents_do_not_panic() {
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

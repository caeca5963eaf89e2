//! Secret rules on Secrets: values in the clear, invalid base64,
//! placeholders, and `.dockerconfigjson` that does not parse.

use super::k8s::{child, decode_checked, Ctx, MAX_DECODED};
use crate::diag::{Pos, Severity};
use crate::eval::input::EvalInput;
use crate::redact::filters::{not_a_secret, NotSecret};
use crate::redact::redact;
use serde_json::Value;

impl Ctx<'_> {
    pub(super) fn secret(&mut self, input: &EvalInput) {
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

    pub(super) fn placeholder(
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

    pub(super) fn dockerconfigjson(&mut self, name: &str) {
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
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data | serde_json::error::Category::Io => "unreadable",
    }
}

//! Secret rules on pod specs: credentials in containers' env, command and
//! args, and the file modes of mounted Secrets.

use super::k8s::{Ctx, Where};
use super::workloads::MODEL_CONTAINERS;
use crate::diag::Severity;
use serde_json::{Map, Value};

impl Ctx<'_> {
    pub(super) fn pod_spec(&mut self, base: &str, spec: &Map<String, Value>) {
        let access = FileAccess::of(spec);
        for key in MODEL_CONTAINERS {
            if let Some(c @ Value::Object(_)) = spec.get(*key) {
                let cbase = format!("{base}/{key}");
                let cname = c.get("name").and_then(Value::as_str).unwrap_or(key);
                self.container_env(&cbase, cname, c, access);
                self.command_line(&cbase, cname, c);
            }
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            let Some(Value::Array(containers)) = spec.get(list) else {
                continue;
            };
            for (i, c) in containers.iter().enumerate() {
                let cbase = format!("{base}/{list}/{i}");
                let cname = c.get("name").and_then(Value::as_str).unwrap_or("?");
                self.container_env(&cbase, cname, c, access);
                self.command_line(&cbase, cname, c);
            }
        }
        if let Some(Value::Array(volumes)) = spec.get("volumes") {
            for (i, v) in volumes.iter().enumerate() {
                self.volume(&format!("{base}/volumes/{i}"), v, access);
            }
        }
    }

    /// `command` and `args`: tokens anywhere, and the value of a
    /// credential-like flag (`--api-key=…`, `--password …`).
    pub(super) fn command_line(&mut self, cbase: &str, cname: &str, c: &Value) {
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

    pub(super) fn container_env(
        &mut self,
        cbase: &str,
        cname: &str,
        c: &Value,
        access: FileAccess,
    ) {
        let mode = access.mode_advice();
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
                            "env var `{name}` of container `{cname}` takes key `{key}` of Secret `{secret}`: {EXPOSED}; mount the Secret as a volume ({mode}) and read the file instead"
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
                            "container `{cname}` loads every key of Secret `{secret}` as env vars (envFrom): {EXPOSED}; mount the Secret as a volume ({mode}) and read the files instead"
                        ),
                        &format!("{cbase}/envFrom/{j}/secretRef"),
                        None,
                    );
                }
            }
        }
    }

    // --- secret-file-mode ------------------------------------------------------------

    pub(super) fn volume(&mut self, vbase: &str, v: &Value, access: FileAccess) {
        let vname = v.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(s) = v.get("secret") {
            let base = format!("{vbase}/secret");
            self.default_mode(&base, s, vname, access);
            self.item_modes(&base, s, vname, access);
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
            self.default_mode(&base, p, vname, access);
            for (k, s) in secret_sources {
                self.item_modes(&format!("{base}/sources/{k}/secret"), s, vname, access);
            }
        }
    }

    pub(super) fn default_mode(
        &mut self,
        base: &str,
        source: &Value,
        vname: &str,
        access: FileAccess,
    ) {
        let fix = match access {
            FileAccess { non_root: true, fs_group: false } => "; the pod runs as a non-root user and sets no fsGroup, so 0400 would leave the files unreadable to it; set securityContext.fsGroup and defaultMode: 0440",
            FileAccess { fs_group: true, .. } => "; set defaultMode: 0440 (the pod sets fsGroup) or 0400",
            _ => "; set defaultMode: 0400",
        };
        match source.get("defaultMode") {
            None | Some(Value::Null) => self.push(
                "secret-file-mode",
                Severity::Error,
                format!(
                    "secret volume `{vname}` has no defaultMode, so Kubernetes writes its files with mode 0644 (readable by every user in the container){fix}"
                ),
                base,
                None,
            ),
            Some(m) => self.mode(&format!("{base}/defaultMode"), m, vname, access),
        }
    }

    pub(super) fn item_modes(
        &mut self,
        base: &str,
        source: &Value,
        vname: &str,
        access: FileAccess,
    ) {
        if let Some(Value::Array(items)) = source.get("items") {
            for (j, item) in items.iter().enumerate() {
                if let Some(m) = item.get("mode") {
                    self.mode(&format!("{base}/items/{j}/mode"), m, vname, access);
                }
            }
        }
    }

    pub(super) fn mode(&mut self, path: &str, value: &Value, vname: &str, access: FileAccess) {
        let fs_group = access.fs_group;
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
        } else if access.non_root {
            "the pod runs as a non-root user and sets no fsGroup, so 0400 would leave the files unreadable to it: set securityContext.fsGroup and use 0440"
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
}

/// Where a Secret's value taken into an env var can be seen. Not `kubectl
/// describe`, which shows the reference, not the value.
const EXPOSED: &str = "the value sits in the process environment, which child processes inherit and crash reports, debug endpoints and /proc/<pid>/environ can expose";

/// Who reads a pod's secret files, for the mode to advise: Kubernetes
/// writes them owned by root, and by the `fsGroup` group when one is set.
#[derive(Clone, Copy, Debug)]
pub(super) struct FileAccess {
    /// The pod sets `securityContext.fsGroup`.
    fs_group: bool,
    /// The pod or one of its containers runs as a user other than root
    /// (`runAsUser` above 0, or `runAsNonRoot: true`), which a 0400 file
    /// owned by root shuts out.
    non_root: bool,
}

impl FileAccess {
    /// The mode of a secret volume that the pod can read and no one else.
    fn mode_advice(self) -> &'static str {
        match self {
            FileAccess { fs_group: true, .. } => "defaultMode: 0440, since the pod sets fsGroup",
            FileAccess { non_root: true, .. } => "securityContext.fsGroup with defaultMode: 0440",
            _ => "defaultMode: 0400",
        }
    }

    fn of(spec: &Map<String, Value>) -> FileAccess {
        let non_root = |context: Option<&Value>| {
            context.is_some_and(|c| {
                c.get("runAsNonRoot") == Some(&Value::Bool(true))
                    || c.get("runAsUser")
                        .and_then(Value::as_i64)
                        .is_some_and(|u| u > 0)
            })
        };
        let pod = spec.get("securityContext");
        let mut containers = ["initContainers", "containers"]
            .into_iter()
            .filter_map(|list| spec.get(list).and_then(Value::as_array))
            .flatten();
        FileAccess {
            fs_group: pod
                .and_then(|s| s.get("fsGroup"))
                .is_some_and(|g| !g.is_null()),
            non_root: non_root(pod) || containers.any(|c| non_root(c.get("securityContext"))),
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

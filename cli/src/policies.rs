//! The policies a command runs: YAML policies evaluated natively, and
//! compiled `.wasm` modules run through wasmtime. Both answer the same
//! questions; modules through core's JSON call API.

use crate::files::{display, load_policy_set};
use assay_core::check::{check_bytes, check_patch, decode, parse_failure, FileOutcome};
use assay_core::check::patch::PatchType;
use assay_core::report::DocResult;
use assay_core::check::review::Admission;
use assay_core::PolicySet;
use assay_module_host::{Host, Limits, LoadedModule};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub enum Policy {
    Native(PolicySet),
    Module {
        path: String,
        module: Box<LoadedModule>,
    },
}

pub fn is_module(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
}

/// Loads `-p` paths: YAML files and directories into one native set, each
/// `.wasm` into a module. No paths: the built-in library.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Policy>, u8> {
    let (modules, yaml): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| is_module(p));
    let mut out = Vec::new();
    if !yaml.is_empty() || modules.is_empty() {
        let yaml: Vec<PathBuf> = yaml.into_iter().cloned().collect();
        out.push(Policy::Native(load_policy_set(&yaml)?));
    }
    if !modules.is_empty() {
        let host = Host::new(Host::default_cache_dir(), Limits::default()).map_err(|e| {
            eprintln!("{e}");
            crate::EXIT_USAGE
        })?;
        for p in modules {
            let bytes = std::fs::read(p).map_err(|e| {
                eprintln!("{}: cannot read: {e}", display(p));
                crate::EXIT_USAGE
            })?;
            let module = host.load(&bytes).map_err(|e| {
                eprintln!("{}: {e}", display(p));
                crate::EXIT_USAGE
            })?;
            out.push(Policy::Module {
                path: display(p),
                module: Box::new(module),
            });
        }
    }
    refuse_duplicate_names(&out)?;
    Ok(out)
}

/// Policy names are unique in a set (SPEC §1), across YAML and modules too:
/// the same policy twice would report every finding twice.
fn refuse_duplicate_names(policies: &[Policy]) -> Result<(), u8> {
    let named: Vec<(String, String)> = policies
        .iter()
        .flat_map(|p| -> Vec<(String, String)> {
            match p {
                Policy::Native(set) => assay_core::api::describe(set)
                    .into_iter()
                    .map(|i| (i.name, i.file))
                    .collect(),
                Policy::Module { path, module } => module
                    .metadata
                    .policies
                    .iter()
                    .map(|i| (i.name.clone(), path.clone()))
                    .collect(),
            }
        })
        .collect();
    let mut first: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut unique = true;
    for (name, from) in &named {
        match first.get(name.as_str()) {
            Some(earlier) => {
                eprintln!("{from}: policy `{name}` is also loaded from {earlier}; names must be unique in a set (hint: pass each policy once, as YAML or in a module)");
                unique = false;
            }
            None => {
                first.insert(name, from);
            }
        }
    }
    if unique {
        Ok(())
    } else {
        Err(crate::EXIT_USAGE)
    }
}

impl Policy {
    /// `check` of one input.
    pub fn check(&mut self, label: &str, bytes: &[u8], env: &str, old: &[Value]) -> FileOutcome {
        match self {
            Policy::Native(set) => check_bytes(set, Some(label), bytes, env, old),
            Policy::Module { path, module } => {
                let text = match decode(bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        return FileOutcome {
                            documents: 1,
                            checked: 0,
                            results: vec![parse_failure(Some(label), &e)],
                        }
                    }
                };
                let request = json!({"call": "check", "input": text, "file": label,
                                     "env": env, "old": old});
                FileOutcome::of_answer(call(path, module, &request), Some(label))
            }
        }
    }

    /// `check --base --patch`.
    pub fn check_patch(
        &mut self,
        base: (&str, &str),
        patch: (&str, &str),
        kind: PatchType,
        env: &str,
    ) -> FileOutcome {
        match self {
            Policy::Native(set) => check_patch(set, base, patch, kind, env),
            Policy::Module { path, module } => {
                let patch_type = match kind {
                    PatchType::Merge => "merge",
                    PatchType::Json => "json",
                };
                let request = json!({"call": "checkPatch",
                    "base": {"file": base.0, "text": base.1},
                    "patch": {"file": patch.0, "text": patch.1},
                    "patchType": patch_type, "env": env});
                FileOutcome::of_answer(call(path, module, &request), Some(patch.0))
            }
        }
    }

    /// The results of reviewing an AdmissionReview (given as `text` to modules).
    pub fn review(
        &mut self,
        admission: &Admission,
        text: &str,
        label: &str,
        env: &str,
    ) -> FileOutcome {
        match self {
            Policy::Native(set) => admission.check(set, Some(label), env),
            Policy::Module { path, module } => {
                let request = json!({"call": "review", "review": text, "file": label, "env": env});
                FileOutcome::of_answer(call(path, module, &request), Some(label))
            }
        }
    }

    /// A rollout decision as `assay decide -o json` gives it, or an error message.
    pub fn decide(
        &mut self,
        input: Value,
        env: Option<&str>,
        policy: Option<&str>,
    ) -> Result<Value, String> {
        let request = json!({"call": "decide", "input": input, "env": env, "policy": policy});
        let answer = match self {
            Policy::Native(set) => {
                serde_json::from_str(&assay_core::api::call(set, request.to_string().as_bytes()))
                    .map_err(|e| e.to_string())
            }
            Policy::Module { path, module } => call(path, module, &request),
        }?;
        match (answer.get("decision"), answer.pointer("/error/message")) {
            (Some(decision), _) => Ok(decision.clone()),
            (None, Some(message)) => Err(message.as_str().unwrap_or_default().to_owned()),
            (None, None) => Err(format!("unexpected answer: {answer}")),
        }
    }
}

/// Calls a module; a failure (a limit hit, a trap) is an error naming the module.
fn call(path: &str, module: &mut LoadedModule, request: &Value) -> Result<Value, String> {
    let answer = module
        .call(request.to_string().as_bytes())
        .map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&answer).map_err(|e| format!("{path}: its answer is not JSON: {e}"))
}

/// The outcomes of several policies on the same input, as one: each
/// document counts once.
pub fn merge(mut outcomes: Vec<FileOutcome>) -> FileOutcome {
    if outcomes.len() == 1 {
        return outcomes.pop().unwrap_or_default();
    }
    let documents = outcomes.iter().map(|o| o.documents).max().unwrap_or(0);
    let mut results: Vec<DocResult> = outcomes.into_iter().flat_map(|o| o.results).collect();
    results.sort_by_key(|r| r.document);
    let checked = results
        .iter()
        .filter(|r| r.policy.is_some())
        .map(|r| r.document)
        .collect::<BTreeSet<_>>()
        .len();
    FileOutcome {
        documents,
        checked,
        results,
    }
}

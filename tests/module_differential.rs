//! Compiled modules decide exactly as native evaluation does: every case of
//! the built-in library and of `tests/cases/`, every example (manifests,
//! AdmissionReviews, rollout inputs, patches) and the secrets corpus is sent
//! as the same call-API request to both, and the answers must be the same
//! text. One test each.

use assay_core::api::cases::{read_case_file, request_of};
use assay_core::PolicySet;
use assay_host::{build, bundle, FileSystem, Host, Limits, LoadedModule};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

struct Both {
    native: PolicySet,
    module: Mutex<LoadedModule>,
}

impl Both {
    /// The native answer, when the module's is the same text.
    fn compare(&self, request: &Value) -> Result<String, Failed> {
        let text = request.to_string();
        let native = assay_core::api::call(&self.native, text.as_bytes());
        let module = self
            .module
            .lock()
            .map_err(|e| Failed::from(e.to_string()))?
            .call(text.as_bytes())
            .map_err(|e| Failed::from(e.to_string()))?;
        if native == module {
            Ok(native)
        } else {
            Err(format!("native:\n{native}\nmodule:\n{module}").into())
        }
    }

    /// As `compare`, for requests that must be answered, not refused: two
    /// identical errors would say nothing about the examples.
    fn compare_answered(&self, request: &Value) -> Result<(), Failed> {
        let native = self.compare(request)?;
        match serde_json::from_str::<Value>(&native) {
            Ok(answer) if answer.get("error").is_none() => Ok(()),
            _ => Err(format!("refused: {native}").into()),
        }
    }
}

fn host() -> Result<Host, String> {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("modules");
    Host::new(Some(cache), Limits::default()).map_err(|e| e.to_string())
}

/// Native set and module for `files`.
fn both(host: &Host, files: Vec<(String, String)>) -> Result<Arc<Both>, String> {
    let (bundle, _) = bundle(files.clone(), &FileSystem).map_err(|e| format!("{e:?}"))?;
    let native = PolicySet::load_with(&files, &FileSystem).map_err(|e| format!("{e:?}"))?;
    let bytes = build(&bundle, &native).map_err(|e| e.to_string())?;
    let module = host.load(&bytes).map_err(|e| e.to_string())?;
    Ok(Arc::new(Both {
        native,
        module: Mutex::new(module),
    }))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn case_trials(both: &Arc<Both>, file: &str, text: &str) -> Vec<Trial> {
    match read_case_file(file, text) {
        Ok(cases) => cases
            .into_iter()
            .map(|c| {
                let both = both.clone();
                let request = request_of(&c);
                Trial::test(format!("{file}::{}", c.case.name), move || {
                    both.compare(&request).map(drop)
                })
            })
            .collect(),
        Err(e) => {
            let message = e.to_string();
            vec![Trial::test(file.to_owned(), move || Err(message.into()))]
        }
    }
}

/// The files of `dir` (relative to `root`) ending in `ext`, sorted, as
/// (relative name, text).
fn files_in(root: &Path, dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(ext))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let name = format!("{dir}/{n}");
            let text = read(&root.join(&name));
            (name, text)
        })
        .collect()
}

fn failing(name: &str, message: String) -> Trial {
    Trial::test(name.to_owned(), move || Err(message.into()))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut trials = Vec::new();
    let host = match host() {
        Ok(h) => h,
        Err(e) => {
            trials.push(failing("wasmtime host starts", e));
            libtest_mimic::run(&Arguments::from_args(), trials).exit();
        }
    };

    match both(&host, assay_core::library::files()) {
        Ok(library) => {
            for (file, text) in assay_core::library::case_files() {
                trials.extend(case_trials(&library, &file, &text));
            }
            let trial = |name: String, request: Value| {
                let library = library.clone();
                Trial::test(name, move || library.compare_answered(&request))
            };
            for (name, text) in files_in(&root, "examples/k8s", ".yaml") {
                let request =
                    json!({"call": "check", "input": text, "file": name, "env": "production"});
                trials.push(trial(name, request));
            }
            for (name, text) in files_in(&root, "tests/secrets-corpus", ".yaml") {
                trials.push(trial(
                    name.clone(),
                    json!({"call": "check", "input": text, "file": name}),
                ));
            }
            for (name, text) in files_in(&root, "examples/admission", ".json") {
                let request =
                    json!({"call": "review", "review": text, "file": name, "env": "production"});
                trials.push(trial(name, request));
            }
            for (name, text) in files_in(&root, "examples/rollout", ".json") {
                let request = json!({"call": "decide", "input": text, "env": "production", "policy": "fraud-v2-canary"});
                trials.push(trial(name, request));
            }
            let base = "examples/k8s/ml-pipeline-config.yaml";
            for (name, text) in files_in(&root, "examples/patches", ".json") {
                let request = json!({
                    "call": "checkPatch",
                    "base": {"file": base, "text": read(&root.join(base))},
                    "patch": {"file": name, "text": text},
                    "env": "production",
                });
                trials.push(trial(name, request));
            }
        }
        Err(e) => trials.push(failing("built-in library builds into a module", e)),
    }

    let cases = root.join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cases)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".yaml") && !p.to_string_lossy().ends_with(".policy.yaml")
        })
        .collect();
    files.sort();
    for path in files {
        let file = format!(
            "tests/cases/{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        let policy = path.with_extension("policy.yaml");
        match both(&host, vec![(policy.display().to_string(), read(&policy))]) {
            Ok(set) => trials.extend(case_trials(&set, &file, &read(&path))),
            Err(e) => trials.push(failing(&file, e)),
        }
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

//! Compiled modules decide exactly as native evaluation does: every case of
//! the built-in library and of `tests/cases/`, and every example manifest,
//! is sent as the same call-API request to both, and the answers must be
//! the same text. One test each.

use assay_core::cases::{read_case_file, request_of};
use assay_core::PolicySet;
use assay_module_host::{build, bundle, FileSystem, Host, Limits, LoadedModule};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

struct Both {
    native: PolicySet,
    module: Mutex<LoadedModule>,
}

impl Both {
    fn compare(&self, request: &Value) -> Result<(), Failed> {
        let text = request.to_string();
        let native = assay_core::api::call(&self.native, text.as_bytes());
        let module = self
            .module
            .lock()
            .map_err(|e| Failed::from(e.to_string()))?
            .call(text.as_bytes())
            .map_err(|e| Failed::from(e.to_string()))?;
        if native == module {
            Ok(())
        } else {
            Err(format!("native:\n{native}\nmodule:\n{module}").into())
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
                    both.compare(&request)
                })
            })
            .collect(),
        Err(e) => {
            let message = e.to_string();
            vec![Trial::test(file.to_owned(), move || Err(message.into()))]
        }
    }
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
            let examples = root.join("examples/k8s");
            let mut manifests: Vec<PathBuf> = std::fs::read_dir(&examples)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            manifests.sort();
            for path in manifests {
                let name = format!(
                    "examples/k8s/{}",
                    path.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                );
                let request = json!({"call": "check", "input": read(&path), "file": name, "env": "production"});
                let library = library.clone();
                trials.push(Trial::test(name, move || library.compare(&request)));
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

//! Every YAML case under `policies/**/tests/` (the built-in library) and
//! `tests/cases/` (engine behaviour, each file with its own policies) becomes
//! one test.

use assay_core::api::cases::{read_case_file, run_case};
use assay_core::PolicySet;
use assay_host::FileSystem;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::sync::Arc;

fn yaml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("unreadable {}: {e}", path.display()))
}

fn trials_for(set: Arc<PolicySet>, file: &str, text: &str) -> Vec<Trial> {
    match read_case_file(file, text) {
        Ok(cases) => cases
            .into_iter()
            .map(|c| {
                let set = set.clone();
                let name = format!("{}::{}", file, c.case.name);
                Trial::test(name, move || {
                    run_case(&set, &c).map_err(|p| Failed::from(p.join("\n")))
                })
            })
            .collect(),
        Err(e) => {
            let msg = e.to_string();
            vec![Trial::test(file.to_owned(), move || Err(Failed::from(msg)))]
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut trials = Vec::new();

    match assay_core::library::defaults() {
        Ok(set) => {
            let set = Arc::new(set);
            for (file, text) in assay_core::library::case_files() {
                trials.extend(trials_for(set.clone(), &file, &text));
            }
        }
        Err(errors) => {
            let msg = errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n");
            trials.push(Trial::test("built-in library loads", move || {
                Err(Failed::from(msg))
            }));
        }
    }

    // Engine cases: `<name>.policy.yaml` beside `<name>.yaml`.
    let cases_dir = root.join("tests/cases");
    for path in yaml_files(&cases_dir) {
        let file = format!(
            "tests/cases/{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        if file.ends_with(".policy.yaml") {
            continue;
        }
        let policy_path = path.with_extension("policy.yaml");
        let loaded = PolicySet::load_with(
            &[(policy_path.display().to_string(), read(&policy_path))],
            &FileSystem,
        );
        match loaded {
            Ok(set) => trials.extend(trials_for(Arc::new(set), &file, &read(&path))),
            Err(errors) => {
                let msg = errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n");
                trials.push(Trial::test(file, move || Err(Failed::from(msg))));
            }
        }
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}

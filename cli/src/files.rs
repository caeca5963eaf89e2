//! Reading inputs and policies from disk.

use assay_core::eval::schema_files::SchemaFiles;
use assay_core::{PolicyError, PolicySet};
use assay_module_host::FileSystem;
use std::io::Read;
use std::path::PathBuf;

pub use assay_module_host::files::{display, walk};

pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

/// The one input of `review` and `decide`: a file, or stdin for `-` or
/// none; its label for messages, and its bytes or a usage exit after
/// saying why it cannot be read.
pub fn read_one_input(path: Option<&std::path::Path>) -> Result<(String, Vec<u8>), u8> {
    let (label, bytes) = match path {
        Some(p) if p.as_os_str() != "-" => (display(p), std::fs::read(p)),
        _ => ("<stdin>".to_owned(), read_stdin()),
    };
    match bytes {
        Ok(bytes) => Ok((label, bytes)),
        Err(e) => {
            eprintln!("{label}: cannot read: {e}");
            Err(crate::EXIT_USAGE)
        }
    }
}

/// Prints policy errors, one line each with its hint.
pub fn report_policy_errors(errors: &[PolicyError]) {
    for e in errors {
        match &e.hint {
            Some(h) => eprintln!("{e} (hint: {h})"),
            None => eprintln!("{e}"),
        }
    }
}

/// The text of every policy file under `paths`, named as the user sees them.
pub fn read_policy_files(paths: &[PathBuf]) -> Result<Vec<(String, String)>, u8> {
    let mut files = Vec::new();
    for p in paths {
        let listed = walk(p, true).map_err(|e| {
            eprintln!("{}: cannot read policy path: {e}", display(p));
            crate::EXIT_USAGE
        })?;
        for f in listed {
            if crate::policies::is_module(&f) {
                eprintln!(
                    "{}: a compiled module, where policy YAML is needed (hint: `assay check -p` and `decide -p` run modules; `build` and `test` take the YAML they came from)",
                    display(&f)
                );
                return Err(crate::EXIT_USAGE);
            }
            let bytes = std::fs::read(&f).map_err(|e| {
                eprintln!("{}: cannot read: {e}", display(&f));
                crate::EXIT_USAGE
            })?;
            let text = assay_core::check::decode(&bytes).map_err(|e| {
                eprintln!("{}:{}:{}: {}", display(&f), e.line, e.column, e.message);
                crate::EXIT_USAGE
            })?;
            files.push((display(&f), text.to_owned()));
        }
    }
    Ok(files)
}

/// Compiles policy files; every problem is printed (exit 2), and so is
/// finding no policies at all.
pub fn compile_policy_files(
    paths: &[PathBuf],
    files: &[(String, String)],
    schema_files: &dyn SchemaFiles,
) -> Result<PolicySet, u8> {
    let set = PolicySet::load_with(files, schema_files).map_err(|errors| {
        report_policy_errors(&errors);
        crate::EXIT_USAGE
    })?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(no_policies(paths));
    }
    Ok(set)
}

/// Says that `paths` hold no policies; the exit code for it.
pub fn no_policies(paths: &[PathBuf]) -> u8 {
    let names: Vec<String> = paths.iter().map(|p| display(p)).collect();
    eprintln!(
        "{}: no policies found (hint: a policy has `apiVersion: assay.dev/v1`)",
        names.join(", ")
    );
    crate::EXIT_USAGE
}

/// Loads the YAML policies named by `-p` (files or directories), or the built-in library.
pub fn load_policy_set(paths: &[PathBuf]) -> Result<PolicySet, u8> {
    if paths.is_empty() {
        return assay_core::library::defaults().map_err(|errors| {
            report_policy_errors(&errors);
            crate::EXIT_USAGE
        });
    }
    let files = read_policy_files(paths)?;
    compile_policy_files(paths, &files, &FileSystem)
}

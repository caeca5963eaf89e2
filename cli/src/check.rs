//! `assay check`.

use crate::error::CliError;
use crate::files::{display, load_policies, read_input, read_stdin, walk};
use assay_core::check::patch::PatchType;
use assay_core::check::{decode, failure, old_versions, FileOutcome};
use assay_core::{Report, Verdict};
use assay_host::merge;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

/// `--patch-type`: core's patch types, by their names.
fn patch_type() -> impl TypedValueParser<Value = PatchType> {
    PossibleValuesParser::new(PatchType::ALL.map(PatchType::as_str)).try_map(|s| s.parse())
}

#[derive(Args)]
pub struct CheckArgs {
    /// Policy file, directory or .wasm module (repeatable); default: the built-in library
    #[arg(short, long = "policy")]
    policy: Vec<PathBuf>,
    /// Environment name (selects per-environment params and rules)
    #[arg(long, default_value = "")]
    env: String,
    /// Output format (junit: a test case per document and policy, for CI test reports)
    #[arg(short, long, value_enum, default_value = "human")]
    output: Format,
    /// Lowest severity that makes the exit code 1
    #[arg(long, value_enum, default_value = "error")]
    fail_on: FailOn,
    /// Previous version of the inputs (file or directory), passed to rules as `oldObject`
    #[arg(long)]
    old: Option<PathBuf>,
    /// Base document to patch (with --patch), like the live object of `kubectl patch`
    #[arg(long, requires = "patch", conflicts_with_all = ["inputs", "old"])]
    base: Option<PathBuf>,
    /// Patch file applied to --base; the result is checked with the base as `oldObject`
    #[arg(long, requires = "base")]
    patch: Option<PathBuf>,
    /// How --patch applies, as `kubectl patch --type`
    #[arg(long, value_parser = patch_type(), default_value = "merge")]
    patch_type: PatchType,
    /// Let schemas' `$ref`s read files outside the policy's directory (docs/limits.md#files)
    #[arg(long)]
    allow_ref_outside: bool,
    /// Files, directories, or `-` for stdin
    #[arg(required_unless_present = "base")]
    inputs: Vec<PathBuf>,
}

/// One input: stdin, read at once, or a file, read when its turn comes so
/// that a directory's files are not all held in memory together.
struct Input {
    label: String,
    source: Source,
}

enum Source {
    Read(Result<Vec<u8>, String>),
    File(PathBuf),
}

impl Input {
    fn bytes(self) -> Result<Vec<u8>, String> {
        match self.source {
            Source::Read(bytes) => bytes,
            Source::File(path) => read_input(&path).map_err(|e| e.to_string()),
        }
    }
}

fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input {
                label: "<stdin>".to_owned(),
                source: Source::Read(read_stdin().map_err(|e| e.to_string())),
            });
            continue;
        }
        let files = walk(p, false).map_err(|e| CliError::read(p, e))?;
        for f in files {
            out.push(Input {
                label: display(&f),
                source: Source::File(f),
            });
        }
    }
    Ok(out)
}

/// Reads a whole file as UTF-8 text; failures are usage errors (exit 2).
fn read_text(path: &std::path::Path) -> Result<String, CliError> {
    let bytes = read_input(path).map_err(|e| CliError::read(path, e))?;
    decode(&bytes)
        .map(str::to_owned)
        .map_err(|e| CliError::Located {
            label: display(path),
            line: e.line,
            column: e.column,
            message: e.message,
        })
}

pub fn run(args: CheckArgs) -> Result<u8, CliError> {
    let evaluators = load_policies(&args.policy, args.allow_ref_outside)?;
    let mut total = FileOutcome::default();
    let mut old = Vec::new();
    if let Some(p) = &args.old {
        for input in read_inputs(std::slice::from_ref(p))? {
            let label = input.label.clone();
            let bytes = input.bytes().map_err(|message| {
                CliError::input(label.clone(), format!("cannot read: {message}"))
            })?;
            let (values, mut failures) = old_versions(&label, &bytes);
            old.extend(values);
            total.results.append(&mut failures);
        }
    }
    if let (Some(base), Some(patch)) = (&args.base, &args.patch) {
        let base_text = read_text(base)?;
        let patch_text = read_text(patch)?;
        let (base_name, patch_name) = (display(base), display(patch));
        let base = (base_name.as_str(), base_text.as_str());
        let patch = (patch_name.as_str(), patch_text.as_str());
        let outcomes = evaluators
            .iter()
            .map(|e| e.check_patch(base, patch, args.patch_type, &args.env))
            .collect();
        total.append(merge(outcomes));
    }
    // An unreadable path is exit 2 (docs/cli.md), after the report of the rest:
    // one unreadable file does not hide the other files' findings.
    let mut unreadable = Vec::new();
    for input in read_inputs(&args.inputs)? {
        let label = input.label.clone();
        let bytes = match input.bytes() {
            Ok(b) => b,
            Err(e) => {
                let message = format!("cannot read: {e}");
                unreadable.push(CliError::input(&label, &message));
                total.documents += 1;
                total
                    .results
                    .push(failure(Some(&label), 0, "read", message, None));
                continue;
            }
        };
        let outcomes = evaluators
            .iter()
            .map(|e| e.check(Some(&label), &bytes, &args.env, &old))
            .collect();
        total.append(merge(outcomes));
    }
    let report = Report::new(total.documents, total.checked, total.results);
    let text = match args.output {
        Format::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report.to_human(color)
        }
        Format::Json => report.to_json() + "\n",
        Format::Sarif => report.to_sarif() + "\n",
        Format::Github => report.to_github(),
        Format::Junit => report.to_junit(matches!(args.fail_on, FailOn::Warning)),
    };
    print!("{text}");
    if !unreadable.is_empty() {
        for e in &unreadable {
            crate::error::report(e);
        }
        return Ok(crate::EXIT_USAGE);
    }
    let failed = match args.fail_on {
        FailOn::Error => report.verdict == Verdict::Fail,
        FailOn::Warning => report.verdict != Verdict::Pass,
    };
    Ok(u8::from(failed))
}

//! `assay check`.

use crate::error::CliError;
use crate::files::{display, load_policies, read_input_within, read_stdin_within, walk};
use crate::limits::{LimitArgs, RunBytes};
use crate::output::Output;
use assay_core::check::patch::PatchType;
use assay_core::check::{decode, failure, old_versions_with, FileOutcome};
use assay_core::report;
use assay_core::{Limits, Verdict};
use assay_host::stream::{self, ChunkLimits};
use assay_host::{merge, Evaluator};
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
    #[command(flatten)]
    limits: LimitArgs,
    /// Print the rules the check would run (id, severity, what it checks, docs) and exit; `-o json` too
    #[arg(long, conflicts_with_all = ["inputs", "base"])]
    list_rules: bool,
    /// Files, directories, or `-` for stdin
    #[arg(required_unless_present_any = ["base", "list_rules"])]
    inputs: Vec<PathBuf>,
}

/// One input: stdin or a file, read when its turn comes so that a
/// directory's files are not all held in memory together.
struct Input {
    label: String,
    source: Source,
}

enum Source {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// Its size on disk, for `run-bytes`; stdin's is not known.
    fn size(&self) -> Option<u64> {
        match &self.source {
            Source::Stdin => None,
            Source::File(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }

    /// The whole input (`--old`).
    fn bytes(self, limit: u64) -> Result<Vec<u8>, String> {
        match self.source {
            Source::Stdin => read_stdin_within(limit),
            Source::File(path) => read_input_within(&path, limit),
        }
        .map_err(|e| e.to_string())
    }

    /// The whole input, or a stream to read a chunk of documents at a time
    /// when it is larger than `limit`, the most read at once (docs/limits.md,
    /// "Streams larger than one read").
    fn open(self, limit: u64) -> Result<stream::Input, String> {
        match self.source {
            Source::Stdin => stream::read_or_stream(std::io::stdin().lock(), limit),
            Source::File(path) => stream::open_input(&path, limit),
        }
        .map_err(|e| e.to_string())
    }
}

fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input {
                label: "<stdin>".to_owned(),
                source: Source::Stdin,
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
fn read_text(path: &std::path::Path, limit: u64) -> Result<String, CliError> {
    let bytes = read_input_within(path, limit).map_err(|e| CliError::read(path, e))?;
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
    let limits = args.limits.limits();
    let evaluators = load_policies(&args.policy, args.allow_ref_outside, &limits)?;
    if args.list_rules {
        return list_rules(&args, &evaluators);
    }
    let mut run_bytes = RunBytes::new(&limits);
    // Parse failures of `--old` come first in the report, then the patched
    // document or the inputs, each written as soon as it is checked.
    let mut first = FileOutcome::default();
    let mut old = Vec::new();
    if let Some(p) = &args.old {
        for input in read_inputs(std::slice::from_ref(p))? {
            let label = input.label.clone();
            let bytes = input.bytes(limits.file_bytes).map_err(|message| {
                CliError::input(label.clone(), format!("cannot read: {message}"))
            })?;
            let (values, mut failures) = old_versions_with(&label, &bytes, &limits);
            old.extend(values);
            first.results.append(&mut failures);
        }
    }
    if let (Some(base), Some(patch)) = (&args.base, &args.patch) {
        let base_text = read_text(base, limits.file_bytes)?;
        let patch_text = read_text(patch, limits.file_bytes)?;
        let (base_name, patch_name) = (display(base), display(patch));
        let base = (base_name.as_str(), base_text.as_str());
        let patch = (patch_name.as_str(), patch_text.as_str());
        let outcomes = evaluators
            .iter()
            .map(|e| e.check_patch(base, patch, args.patch_type, &args.env))
            .collect();
        first.append(merge(outcomes));
    }
    let inputs = read_inputs(&args.inputs)?;
    let mut out = Output::new(report_format(&args));
    out.add(first).map_err(write_error)?;
    // An unreadable path is exit 2 (docs/cli.md), after the report of the rest:
    // one unreadable file does not hide the other files' findings.
    let mut unreadable = Vec::new();
    let chunks = chunk_limits(&evaluators, &limits);
    for input in inputs {
        let label = input.label.clone();
        if let Some(over) = run_bytes.admit(&label, input.size()) {
            out.add(over).map_err(write_error)?;
            continue;
        }
        let bytes = match input.open(chunks.document) {
            Ok(stream::Input::Whole(b)) => b,
            Ok(stream::Input::Stream(reader)) => {
                let check = |chunk: &[u8], seen| {
                    stream::check_chunk(&evaluators, &label, chunk, &args.env, &old, seen)
                };
                let add = |outcome| out.add(outcome);
                let unread = stream::check_stream(reader, &label, chunks, check, add)
                    .map_err(write_error)?;
                unreadable.extend(unread.iter().map(|m| CliError::input(&label, m)));
                continue;
            }
            Err(e) => {
                let message = format!("cannot read: {e}");
                unreadable.push(CliError::input(&label, &message));
                let failed = FileOutcome {
                    documents: 1,
                    checked: 0,
                    results: vec![failure(Some(&label), 0, "read", message, None)],
                };
                out.add(failed).map_err(write_error)?;
                continue;
            }
        };
        let outcomes = evaluators
            .iter()
            .map(|e| e.check(Some(&label), &bytes, &args.env, &old))
            .collect();
        drop(bytes);
        out.add(merge(outcomes)).map_err(write_error)?;
    }
    let verdict = out.finish().map_err(write_error)?;
    if !unreadable.is_empty() {
        for e in &unreadable {
            crate::error::report(e);
        }
        return Ok(crate::EXIT_USAGE);
    }
    let failed = match args.fail_on {
        FailOn::Error => verdict == Verdict::Fail,
        FailOn::Warning => verdict != Verdict::Pass,
    };
    Ok(u8::from(failed))
}

/// The report format `-o` and `--fail-on` ask for; human output is
/// coloured on a terminal, unless `NO_COLOR`.
fn report_format(args: &CheckArgs) -> report::Format {
    match args.output {
        Format::Human => report::Format::Human {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
        Format::Json => report::Format::Json,
        Format::Sarif => report::Format::Sarif,
        Format::Github => report::Format::Github,
        Format::Junit => report::Format::Junit {
            fail_on_warning: matches!(args.fail_on, FailOn::Warning),
        },
    }
}

/// How inputs larger than one read are read, within `limits`. A module
/// applies the `documents` limit to each chunk it is given; a native set,
/// to the whole stream.
fn list_rules(args: &CheckArgs, evaluators: &[Evaluator]) -> Result<u8, CliError> {
    let policies: Vec<_> = evaluators.iter().flat_map(Evaluator::describe).collect();
    let rules = crate::list_rules::list(&policies, args.policy.is_empty());
    match args.output {
        Format::Human => print!("{}", crate::list_rules::human(&rules)),
        Format::Json => println!("{}", crate::list_rules::json(&rules)),
        _ => {
            return Err(CliError::Usage(
                "--list-rules prints `-o human` or `-o json`".to_owned(),
            ))
        }
    }
    Ok(0)
}

fn chunk_limits(evaluators: &[Evaluator], limits: &Limits) -> ChunkLimits {
    let native = evaluators.iter().any(|e| !e.is_module());
    ChunkLimits {
        documents: if native { limits.documents } else { usize::MAX },
        ..ChunkLimits::of(limits)
    }
}

/// Writing the report failed (stdout closed, or no room for its spool).
fn write_error(e: std::io::Error) -> CliError {
    CliError::io("<stdout>", "write", e)
}

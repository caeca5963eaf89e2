//! `assay test`: run policies' YAML test cases.

use crate::error::CliError;
use crate::files::{display, read_input_within, ref_scope, walk};
use assay_core::api::cases::{read_case_file, run_case};
use assay_host::files::load_policy_set_with;
use assay_host::LoadError;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct TestArgs {
    /// Directory holding policies and their `tests/` case files
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Let schemas' `$ref`s read files outside the policy's directory (docs/limits.md#files)
    #[arg(long)]
    allow_ref_outside: bool,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
}

fn case_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(walk(root, false)?
        .into_iter()
        .filter(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|n| n == "tests")
        })
        .collect())
}

pub fn run(args: TestArgs) -> Result<u8, CliError> {
    let scope = ref_scope(args.allow_ref_outside);
    let limits = args.limits.limits();
    let set = load_policy_set_with(std::slice::from_ref(&args.path), scope)?.with_limits(limits);
    let files = case_files(&args.path).map_err(|e| CliError::read(&args.path, e))?;
    // A file that cannot be read or parsed is reported, and the other
    // files' cases still run, as `check` does with an unreadable input.
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    for f in files {
        let cases = read_input_within(&f, limits.file_bytes)
            .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
            .map_err(|e| CliError::read(&f, e))
            .and_then(|text| {
                read_case_file(&display(&f), &text)
                    .map_err(|e| CliError::Load(LoadError::Policies(vec![e])))
            });
        let cases = match cases {
            Ok(cases) => cases,
            Err(e) => {
                crate::error::report(&e);
                broken += 1;
                continue;
            }
        };
        for c in cases {
            match run_case(&set, &c) {
                Ok(()) => {
                    passed += 1;
                    println!("ok    {}:{} {}", c.file, c.line, c.case.name);
                }
                Err(problems) => {
                    failed += 1;
                    println!("FAIL  {}:{} {}", c.file, c.line, c.case.name);
                    for p in problems {
                        println!("      {p}");
                    }
                }
            }
        }
    }
    if broken > 0 {
        println!("{passed} passed, {failed} failed, {broken} case file(s) not read");
        return Ok(crate::EXIT_USAGE);
    }
    println!("{passed} passed, {failed} failed");
    Ok(u8::from(failed > 0))
}

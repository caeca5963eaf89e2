//! The `assay` command line: a thin host over assay-core.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// Parsing allocates many small strings; mimalloc makes `check` ~20% faster
// than glibc's malloc (benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod build;
mod check;
mod decide;
mod error;
mod files;
mod limits;
mod list_rules;
mod output;
mod review;
mod test_cmd;

#[derive(Parser)]
#[command(
    name = "assay",
    version,
    about = "Check Kubernetes config and decide rollouts with compiled policies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate files, directories or `-` (stdin) against policies
    Check(check::CheckArgs),
    /// Decide a rollout step (promote, advance, hold, rollback) from state + metrics JSON
    Decide(decide::DecideArgs),
    /// Answer an AdmissionReview v1 request (stdin or a file) as a validating webhook would
    Review(review::ReviewArgs),
    /// Run policies' YAML test cases (validation and rollout)
    Test(test_cmd::TestArgs),
    /// Compile policies into one portable .wasm module (no imports, JSON in and out)
    Build(build::BuildArgs),
    /// Show what a module built by `assay build` holds
    Inspect(build::InspectArgs),
}

pub use error::{CliError, EXIT_USAGE};

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`assay ... | head`)
    // panicked; like other Unix tools, end quietly instead.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            error::report(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a command: its exit code, or the error that stopped it.
fn run(command: Command) -> Result<ExitCode, CliError> {
    let code = match command {
        Command::Check(args) => check::run(args)?,
        Command::Decide(args) => decide::run(args)?,
        Command::Review(args) => review::run(args)?,
        Command::Test(args) => test_cmd::run(args)?,
        Command::Build(args) => build::run(args)?,
        Command::Inspect(args) => build::inspect(args)?,
    };
    Ok(ExitCode::from(code))
}

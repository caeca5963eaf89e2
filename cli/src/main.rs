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
mod files;
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

/// Exit code for usage errors, unreadable paths and invalid policies.
pub const EXIT_USAGE: u8 = 2;

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
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Decide(args) => decide::run(args),
        Command::Review(args) => review::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Build(args) => build::run(args),
        Command::Inspect(args) => build::inspect(args),
    };
    ExitCode::from(code)
}

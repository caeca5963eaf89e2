//! `assay build` and `assay inspect`: compiled policy modules (docs/module-abi.md).

use crate::files::{display, load_failed, read_policy_yaml};
use assay_host::files::display_all;
use assay_host::{build as build_module, bundle, metadata, FileSystem, LoadError};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Args)]
#[command(after_help = "\
The module runs in any WebAssembly host: `assay check -p OUT.wasm`, Node or a browser
with plain WebAssembly.instantiate, admission webhooks. See docs/module-abi.md.")]
pub struct BuildArgs {
    /// Policy files or directories
    #[arg(required = true)]
    policies: Vec<PathBuf>,
    /// Where to write the module
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Args)]
pub struct InspectArgs {
    /// A module built by `assay build`
    module: PathBuf,
    /// Output format
    #[arg(short, long, value_enum, default_value = "human")]
    output: Format,
}

pub fn run(args: BuildArgs) -> u8 {
    match build(&args) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

fn build(args: &BuildArgs) -> Result<(), u8> {
    let files = read_policy_yaml(&args.policies)?;
    let (bundle, set) =
        bundle(files, &FileSystem).map_err(|errors| load_failed(LoadError::Policies(errors)))?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(load_failed(LoadError::NoPolicies {
            paths: display_all(&args.policies),
        }));
    }
    let module = build_module(&bundle, &set).map_err(|e| {
        eprintln!("{}: {e}", display(&args.output));
        crate::EXIT_USAGE
    })?;
    std::fs::write(&args.output, &module).map_err(|e| {
        eprintln!("{}: cannot write: {e}", display(&args.output));
        crate::EXIT_USAGE
    })?;
    eprintln!(
        "{}: {} policies, {} KiB",
        display(&args.output),
        set.policies.len() + set.rollouts.len(),
        module.len() / 1024
    );
    Ok(())
}

pub fn inspect(args: InspectArgs) -> u8 {
    let bytes = match std::fs::read(&args.module) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", display(&args.module));
            return crate::EXIT_USAGE;
        }
    };
    let meta = match metadata(&bytes) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}: {e}", display(&args.module));
            return crate::EXIT_USAGE;
        }
    };
    match args.output {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&meta).unwrap_or_default()
        ),
        Format::Human => {
            println!("module:      {}", display(&args.module));
            println!("size:        {} bytes", bytes.len());
            println!("assay:       {}", meta.assay_version);
            println!("ABI version: {}", meta.abi_version);
            println!("source hash: {}", meta.source_hash);
            println!("policies:");
            for p in &meta.policies {
                let environments = if p.environments.is_empty() {
                    String::new()
                } else {
                    format!("; environments: {}", p.environments.join(", "))
                };
                println!("  {} ({}, from {}{environments})", p.name, p.kind, p.file);
            }
        }
    }
    0
}

//! `assay build` and `assay inspect`: compiled policy modules (docs/module-abi.md).

use crate::error::CliError;
use crate::files::{display, read_policy_yaml};
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

pub fn run(args: BuildArgs) -> Result<u8, CliError> {
    let files = read_policy_yaml(&args.policies)?;
    let (bundle, set) = bundle(files, &FileSystem).map_err(LoadError::Policies)?;
    if set.policies.is_empty() && set.rollouts.is_empty() {
        return Err(LoadError::NoPolicies {
            paths: display_all(&args.policies),
        }
        .into());
    }
    let output = display(&args.output);
    let module = build_module(&bundle, &set).map_err(|e| CliError::input(&output, e))?;
    std::fs::write(&args.output, &module).map_err(|e| CliError::io(&output, "write", e))?;
    eprintln!(
        "{}: {} policies, {} KiB",
        display(&args.output),
        set.policies.len() + set.rollouts.len(),
        module.len() / 1024
    );
    Ok(0)
}

pub fn inspect(args: InspectArgs) -> Result<u8, CliError> {
    let bytes = std::fs::read(&args.module).map_err(|e| CliError::read(&args.module, e))?;
    let meta = metadata(&bytes).map_err(|e| CliError::input(display(&args.module), e))?;
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
    Ok(0)
}

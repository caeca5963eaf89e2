//! `assay build` and `assay inspect`: compiled policy modules (docs/module-abi.md).

use crate::error::CliError;
use crate::files::{display, read_file, read_policy_yaml};
use assay_host::files::{display_all, MAX_MODULE_BYTES};
use assay_host::link::contents;
use assay_host::{build as build_module, bundle, LoadError};
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
    /// Let schemas' `$ref`s read files outside the policy's directory (docs/limits.md#files)
    #[arg(long)]
    allow_ref_outside: bool,
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
    let (files, schema_files) = read_policy_yaml(&args.policies, args.allow_ref_outside)?;
    let (bundle, set) = bundle(files, &schema_files).map_err(LoadError::Policies)?;
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

/// Shows a module's metadata and the files linked into it, after checking
/// that its policy text is what its `sourceHash` names.
pub fn inspect(args: InspectArgs) -> Result<u8, CliError> {
    let bytes =
        read_file(&args.module, MAX_MODULE_BYTES).map_err(|e| CliError::read(&args.module, e))?;
    let contents = contents(&bytes).map_err(|e| CliError::input(display(&args.module), e))?;
    let meta = &contents.metadata;
    // Policy files, then the files their schemas `$ref` (URI, name).
    let (files, referenced): (Vec<&str>, Vec<(&str, &str)>) = match &contents.bundle {
        Some(b) => (
            b.files.iter().map(|(name, _)| name.as_str()).collect(),
            b.referenced
                .iter()
                .map(|(uri, (_, name))| (uri.as_str(), name.as_str()))
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    match args.output {
        Format::Json => {
            let mut json = serde_json::to_value(meta).unwrap_or_default();
            if let Some(object) = json.as_object_mut() {
                object.insert("files".to_owned(), serde_json::json!(files));
                let referenced: Vec<serde_json::Value> = referenced
                    .iter()
                    .map(|(uri, name)| serde_json::json!({"name": name, "uri": uri}))
                    .collect();
                object.insert("referenced".to_owned(), referenced.into());
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        Format::Human => {
            println!("module:      {}", display(&args.module));
            println!("size:        {} bytes", bytes.len());
            println!("assay:       {}", meta.assay_version);
            println!("ABI version: {}", meta.abi_version);
            let checked = if contents.bundle.is_some() {
                " (verified)"
            } else {
                " (no policy bundle)"
            };
            println!("source hash: {}{checked}", meta.source_hash);
            println!("policies:");
            for p in &meta.policies {
                let environments = if p.environments.is_empty() {
                    String::new()
                } else {
                    format!("; environments: {}", p.environments.join(", "))
                };
                println!("  {} ({}, from {}{environments})", p.name, p.kind, p.file);
            }
            println!("files:");
            for name in &files {
                println!("  {name}");
            }
            for (_, name) in &referenced {
                println!("  {name} ($ref)");
            }
        }
    }
    Ok(0)
}

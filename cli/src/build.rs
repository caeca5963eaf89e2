//! `assay build` and `assay inspect`: compiled policy modules (SPEC §6).

use crate::files::{compile_policy_files, display, read_policy_files, FileSystem};
use assay_core::schema_files::SchemaFiles;
use assay_module_host::{link, metadata, Bundle, RUNTIME};
use clap::{Args, ValueEnum};
use std::cell::RefCell;
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

/// Reads schema files from disk and keeps what it read, for the bundle.
#[derive(Default)]
struct Recording {
    bundle: RefCell<Bundle>,
}

impl SchemaFiles for Recording {
    fn base_uri(&self, policy_file: &str) -> Option<String> {
        let uri = FileSystem.base_uri(policy_file)?;
        let mut bundle = self.bundle.borrow_mut();
        bundle.base_uris.insert(policy_file.to_owned(), uri.clone());
        Some(uri)
    }

    fn read(&self, uri: &str) -> Result<(String, String), String> {
        let read = FileSystem.read(uri)?;
        let mut bundle = self.bundle.borrow_mut();
        bundle.referenced.insert(uri.to_owned(), read.clone());
        Ok(read)
    }
}

pub fn run(args: BuildArgs) -> u8 {
    match build(&args) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

fn build(args: &BuildArgs) -> Result<(), u8> {
    let files = read_policy_files(&args.policies)?;
    let recording = Recording::default();
    // Compiled here so that a module never holds a policy that does not load.
    let set = compile_policy_files(&args.policies, &files, &recording)?;
    let mut bundle = recording.bundle.into_inner();
    // Only files that hold policies go in: a policy directory may hold other YAML.
    let policy_files: std::collections::BTreeSet<&str> = set
        .policies
        .iter()
        .map(|p| p.file.as_str())
        .chain(set.rollouts.iter().map(|p| p.file.as_str()))
        .collect();
    bundle.files = files
        .into_iter()
        .filter(|(name, _)| policy_files.contains(name.as_str()))
        .collect();
    let bundle = rerooted(bundle);
    let policies = assay_core::api::describe(&set);
    let module = link(RUNTIME, &bundle, policies).map_err(|e| {
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

/// The bundle's file URIs re-rooted at the working directory, so the same
/// policies built anywhere give the same module.
fn rerooted(mut bundle: Bundle) -> Bundle {
    let Some(cwd) = std::env::current_dir()
        .ok()
        .and_then(|d| url::Url::from_directory_path(d).ok())
        .map(String::from)
    else {
        return bundle;
    };
    let reroot = |uri: &str| match uri.strip_prefix(&cwd) {
        Some(rest) => format!("file:///{rest}"),
        None => uri.to_owned(),
    };
    for uri in bundle.base_uris.values_mut() {
        *uri = reroot(uri);
    }
    bundle.referenced = std::mem::take(&mut bundle.referenced)
        .into_iter()
        .map(|(uri, file)| (reroot(&uri), file))
        .collect();
    bundle
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
                println!("  {} ({}, from {})", p.name, p.kind, p.file);
            }
        }
    }
    0
}

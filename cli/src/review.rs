//! `assay review`: an AdmissionReview request in, its response out, as a
//! validating admission webhook would answer (any HTTP server can wrap it).

use crate::error::CliError;
use crate::files::{load_policies, read_one_input};
use assay_core::check::review::{Admission, ReviewError};
use assay_host::merge;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
#[command(after_help = "\
The request's `object` is checked, with `oldObject` as the previous version and the rest
of the request (userInfo, operation, namespace, ...) as the CEL variable `request`.
Any error finding denies (HTTP-style status 403 naming the rules); warnings become the
response's `warnings`. DELETE and CONNECT carry no object and are allowed.
Exit codes: 0 allowed; 1 denied; 2 input, usage or policy error.")]
pub struct ReviewArgs {
    /// Policy file, directory or .wasm module (repeatable); default: the built-in library
    #[arg(short, long = "policy")]
    policy: Vec<PathBuf>,
    /// Environment name (selects per-environment params and rules)
    #[arg(long, default_value = "")]
    env: String,
    /// Let schemas' `$ref`s read files outside the policy's directory (docs/limits.md#files)
    #[arg(long)]
    allow_ref_outside: bool,
    #[command(flatten)]
    limits: crate::limits::LimitArgs,
    /// AdmissionReview JSON or YAML; `-` or nothing reads stdin
    input: Option<PathBuf>,
}

pub fn run(args: ReviewArgs) -> Result<u8, CliError> {
    let limits = args.limits.limits();
    let (label, bytes) = read_one_input(args.input.as_deref(), limits.file_bytes)?;
    let input_error = |error: ReviewError| CliError::Review {
        label: label.clone(),
        error,
    };
    let located = |line, column, message: String| ReviewError {
        message,
        at: Some(assay_core::parse::Pos { line, column }),
    };
    let text = assay_core::check::decode(&bytes)
        .map_err(|e| input_error(located(e.line, e.column, e.message)))?;
    let doc = match assay_core::parse::parse_stream_with(text, limits.parse())
        .into_iter()
        .next()
    {
        Some(Ok(doc)) => doc,
        Some(Err(e)) => {
            let message = format!("does not parse: {}", e.message);
            return Err(input_error(located(e.line, e.column, message)));
        }
        None => return Err(input_error(located(1, 1, "holds no document".to_owned()))),
    };
    let admission = Admission::read(doc).map_err(input_error)?;
    let evaluators = load_policies(&args.policy, args.allow_ref_outside, &limits)?;
    let outcomes = evaluators
        .iter()
        .map(|e| e.review(&admission, text, Some(&label), &args.env))
        .collect();
    let outcome = merge(outcomes);
    let response = admission.response(&outcome.results);
    println!(
        "{}",
        serde_json::to_string_pretty(&response).unwrap_or_default()
    );
    let allowed = response.pointer("/response/allowed") == Some(&serde_json::Value::Bool(true));
    Ok(u8::from(!allowed))
}

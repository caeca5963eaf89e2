//! The CEL environment rules run in: the standard library, cel-go's string,
//! list and math extensions, and the Kubernetes library functions.
//! Built once per process; the `cel` crate's `Context::default()` would
//! rebuild it on every call.

use super::values::cached_regex;
use cel::common::types::{CelBool, CelString};
use cel::{Env, ExecutionError};
use std::sync::{Arc, OnceLock};

/// Variables a rule can read.
pub const VARIABLES: [&str; 6] = [
    "object",
    "oldObject",
    "params",
    "env",
    "request",
    "embedded",
];

static ENV: OnceLock<Arc<Env>> = OnceLock::new();

pub fn env() -> Arc<Env> {
    ENV.get_or_init(|| Arc::new(build_env())).clone()
}

fn build_env() -> Env {
    let mut env = Env::stdlib();
    // Each registration below is of a name the stdlib (built without its
    // `regex` feature) does not declare, so none of them can fail.
    let results = [
        env.add_extension(cel::extensions::strings),
        env.add_extension(cel::extensions::lists),
        env.add_extension(cel::extensions::math),
        env.add_extension(cel::extensions::encoders),
        cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>),
        cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches"),
        super::k8s::register(&mut env),
        super::budget::register(&mut env),
    ];
    debug_assert!(results.iter().all(Result::is_ok), "{results:?}");
    env
}

fn matches(this: &CelString<'_>, re: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let compiled =
        cached_regex(re.inner()).map_err(|m| ExecutionError::function_error("matches", m))?;
    Ok(CelBool::from(compiled.is_match(this.inner())))
}

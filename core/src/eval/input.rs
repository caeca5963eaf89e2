//! What a document is evaluated with, beside the document itself.

use serde_json::Value;

/// What a document is evaluated with.
#[derive(Default)]
pub struct EvalInput<'a> {
    pub env: &'a str,
    pub old: Option<&'a Value>,
    pub request: Option<&'a Value>,
}

//! What a document is evaluated with, beside the document itself.

use crate::parse::ParseLimits;
use serde_json::Value;

/// What a document is evaluated with.
pub struct EvalInput<'a> {
    pub env: &'a str,
    pub old: Option<&'a Value>,
    pub request: Option<&'a Value>,
    /// The CEL cost each rule may spend on this document (limit
    /// `cel-cost`, docs/limits.md); 10,000,000 by default.
    pub cel_cost: u64,
    /// The limits embedded files are parsed with: the document's own.
    pub parse: ParseLimits,
}

/// The CEL cost one rule may spend on one document unless configured:
/// Kubernetes' runtime budget for a ValidatingAdmissionPolicy.
pub const DEFAULT_CEL_COST: u64 = crate::cel::budget::DEFAULT_BUDGET;

impl Default for EvalInput<'_> {
    fn default() -> Self {
        EvalInput {
            env: "",
            old: None,
            request: None,
            cel_cost: DEFAULT_CEL_COST,
            parse: ParseLimits::DEFAULT,
        }
    }
}

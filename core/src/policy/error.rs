//! What is wrong with a policy: a typed kind, where it is, a message and a hint.

use crate::diag::Pos;
use serde::Serialize;

/// The kind of problem a policy has; hosts may branch on it, people read
/// the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyErrorKind {
    /// The file is not YAML, or a case file does not parse.
    Syntax,
    /// A field is unknown, missing or of the wrong type; an unsupported
    /// `apiVersion` or `kind`; no policy at all.
    Shape,
    /// A policy name, rule name or id that is not valid, or is taken.
    Name,
    /// A CEL expression that does not compile or cannot yield a bool.
    Expression,
    /// A JSON Schema that does not compile.
    Schema,
    /// A `$ref` to another file that cannot be read or is not allowed.
    Reference,
    /// A regex that does not compile or matches the empty string.
    Regex,
    /// A `path` that is not a JSON pointer.
    Pointer,
    /// A rollout policy whose steps, checks or settings do not hold together.
    Rollout,
    /// A test case without what it needs.
    Case,
    /// A policy file that cannot be read (hosts that read files).
    Read,
}

/// A problem with a policy file, located in that file.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct PolicyError {
    pub kind: PolicyErrorKind,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl PolicyError {
    /// A message may quote the policy's text, which may hold a token pasted
    /// by mistake: it is redacted here, for every host.
    pub fn at(kind: PolicyErrorKind, file: &str, pos: Pos, message: impl Into<String>) -> Self {
        PolicyError {
            kind,
            file: file.to_owned(),
            line: pos.line,
            column: pos.column,
            message: crate::redact::redact_text(&message.into()),
            rule: None,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_owned());
        self
    }

    /// The error as every host prints it: `file:line:col: message`, then
    /// ` (hint: …)` when it has one.
    pub fn printed(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{self} (hint: {hint})"),
            None => self.to_string(),
        }
    }

    /// The errors one a line, each as [`PolicyError::printed`].
    pub fn printed_lines(errors: &[PolicyError]) -> String {
        let lines: Vec<String> = errors.iter().map(PolicyError::printed).collect();
        lines.join("\n")
    }
}

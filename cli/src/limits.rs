//! `--limit NAME=VALUE`, shared by `check`, `review`, `decide` and `test`
//! (docs/limits.md, "Configuring limits"), and the `run-bytes` limit on
//! the input one `check` reads.

use assay_core::check::{failure, FileOutcome};
use assay_core::parse::{raise_note, size_text};
use assay_core::Limits;
use clap::Args;

/// The limits a command runs within: the defaults, with each `--limit`
/// applied in order (a later one wins).
#[derive(Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// Raise or lower a limit (repeatable): depth, values, document-bytes, documents, cel-cost,
    /// file-bytes, run-bytes, module-time, module-memory; sizes take KiB/MiB/GiB (64MiB), times
    /// ms/s/m (30s). Defaults and ceilings: docs/limits.md
    #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = limit_arg)]
    limit: Vec<String>,
}

/// One `--limit`, refused (a usage error, exit 2) with what is wrong and
/// the names there are when it does not set a limit.
fn limit_arg(pair: &str) -> Result<String, String> {
    Limits::default()
        .set_pair(pair)
        .map(|()| pair.to_owned())
        .map_err(|e| e.to_string())
}

impl LimitArgs {
    /// The limits: the defaults and every `--limit`.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        for pair in &self.limit {
            // Each was checked when the arguments were parsed.
            let _ = limits.set_pair(pair);
        }
        limits
    }
}

/// The input a run has read, against `run-bytes`: an input that would take
/// it past the limit is not read, nor is any input after it.
pub struct RunBytes {
    limit: u64,
    read: u64,
    over: bool,
}

impl RunBytes {
    pub fn new(limits: &Limits) -> RunBytes {
        RunBytes {
            limit: limits.run_bytes,
            read: 0,
            over: false,
        }
    }

    /// Whether the input `label` of `size` bytes (a file's size; stdin's is
    /// not known, and not counted) may be read: `None`, and it is counted;
    /// else the `limit` finding that stands for it.
    pub fn admit(&mut self, label: &str, size: Option<u64>) -> Option<FileOutcome> {
        let read = self.read.saturating_add(size.unwrap_or(0));
        self.over |= read > self.limit;
        if !self.over {
            self.read = read;
            return None;
        }
        let message = format!(
            "not read: with it this run would read more than {} of input ({})",
            size_text(self.limit),
            raise_note("run-bytes")
        );
        Some(FileOutcome {
            documents: 1,
            checked: 0,
            results: vec![failure(Some(label), 0, "limit", message, None)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_past_the_run_bytes_limit_are_not_read_nor_any_after() {
        let limits = Limits {
            run_bytes: 100,
            ..Limits::default()
        };
        let mut run = RunBytes::new(&limits);
        assert!(run.admit("a", Some(60)).is_none());
        assert!(run.admit("-", None).is_none());
        let over = run.admit("b", Some(50)).map(|o| o.results);
        let message = &over.as_deref().unwrap_or_default()[0].findings[0].message;
        assert!(
            message.contains("more than 100 bytes of input (limit `run-bytes`"),
            "{message}"
        );
        // Even an input that would fit is not read after one that did not.
        assert!(run.admit("c", Some(1)).is_some());
    }

    #[test]
    fn later_limits_win() {
        let args = LimitArgs {
            limit: vec!["documents=5".to_owned(), "documents=7".to_owned()],
        };
        assert_eq!(args.limits().documents, 7);
        assert!(limit_arg("documents=x").is_err());
    }
}

//! Every configurable limit of a run, as one value (docs/limits.md,
//! "Configuring limits"): what the CLI's `--limit NAME=VALUE`, Python's
//! `limits={...}`, JS's `options.limits` and the call API's `limits`
//! object set. `Default` is the safe values assay has always used.
//!
//! Core enforces the limits on documents (`depth`, `values`,
//! `document-bytes`, `documents`) and on rules (`cel-cost`); the others are
//! the native hosts' (`file-bytes`, `run-bytes` when reading files,
//! `module-time` and `module-memory` when running `.wasm` modules), named
//! here so that every host reads the same names and values.

use super::input::DEFAULT_CEL_COST;
use crate::parse::{size_text, ParseLimits, MAX_DEPTH_CEILING};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// The limits of a run. Each field is documented in docs/limits.md under
/// its name (`document_bytes` is `document-bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `depth`: levels of mappings and lists in a document; at most
    /// [`MAX_DEPTH_CEILING`].
    pub depth: usize,
    /// `values`: values per document, aliases expanded.
    pub values: usize,
    /// `document-bytes`: bytes of keys and scalars per document, aliases
    /// expanded (so also the longest scalar).
    pub document_bytes: u64,
    /// `documents`: documents checked per stream (an input file, stdin, a
    /// text); the ones after are not checked and one `limit` finding says so.
    pub documents: usize,
    /// `cel-cost`: the CEL cost one rule may spend on one document.
    pub cel_cost: u64,
    /// `file-bytes`: bytes read from one input, policy or schema file (hosts
    /// that read files).
    pub file_bytes: u64,
    /// `run-bytes`: bytes of input one CLI run reads, all inputs together.
    pub run_bytes: u64,
    /// `module-time`: how long one call into a `.wasm` module may run.
    pub module_time: Duration,
    /// `module-memory`: linear memory of a `.wasm` module's instance; at
    /// most 4 GiB, all wasm32 can address.
    pub module_memory: u64,
}

/// The most `module-memory` may be: wasm32's whole address space.
pub const MAX_MODULE_MEMORY: u64 = 4 << 30;

impl Limits {
    /// The defaults.
    pub const DEFAULT: Limits = Limits {
        depth: ParseLimits::DEFAULT.depth,
        values: ParseLimits::DEFAULT.values,
        document_bytes: ParseLimits::DEFAULT.document_bytes as u64,
        documents: 100_000,
        cel_cost: DEFAULT_CEL_COST,
        file_bytes: 64 << 20,
        run_bytes: 1 << 30,
        module_time: Duration::from_secs(10),
        module_memory: 512 << 20,
    };

    /// Every limit's name, as written on the command line and in `limits`
    /// objects, in the order docs/limits.md lists them.
    pub const NAMES: [&'static str; 9] = [
        "depth",
        "values",
        "document-bytes",
        "documents",
        "cel-cost",
        "file-bytes",
        "run-bytes",
        "module-time",
        "module-memory",
    ];

    /// Whether these are the defaults.
    pub fn is_default(&self) -> bool {
        *self == Limits::DEFAULT
    }

    /// The limits a document is parsed with.
    pub fn parse(&self) -> ParseLimits {
        ParseLimits {
            depth: self.depth,
            values: self.values,
            document_bytes: usize::try_from(self.document_bytes).unwrap_or(usize::MAX),
        }
    }

    /// Sets the limit `name` (`cel-cost`; `cel_cost` and `celCost` too) from
    /// its text as a user writes it: a count (`100000`), a size (`64MiB`,
    /// `1GiB`, `500kB`, bytes without a unit), or a time (`10s`, `500ms`,
    /// `2m`, seconds without a unit).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), LimitError> {
        let name = canonical(name)?;
        let n = parse_text(name, kind(name), value.trim())?;
        self.store(name, n)
    }

    /// Sets one limit from `NAME=VALUE` (the CLI's `--limit`).
    pub fn set_pair(&mut self, pair: &str) -> Result<(), LimitError> {
        match pair.split_once('=') {
            Some((name, value)) => self.set(name.trim(), value),
            None => Err(LimitError::NotAPair(pair.to_owned())),
        }
    }

    /// Sets the limit `name` from a JSON value: a number (a count, bytes,
    /// or seconds) or a string as [`set`](Self::set) reads it.
    pub fn set_value(&mut self, name: &str, value: &Value) -> Result<(), LimitError> {
        let name = canonical(name)?;
        let kind = kind(name);
        let n = match value {
            Value::String(text) => parse_text(name, kind, text.trim())?,
            Value::Number(number) => match (kind, number.as_u64(), number.as_f64()) {
                (Kind::Time, _, Some(seconds)) => scaled(name, kind, seconds, 1000.0)?,
                (_, Some(n), _) => n,
                _ => return Err(bad(name, kind, &number.to_string())),
            },
            other => return Err(bad(name, kind, &other.to_string())),
        };
        self.store(name, n)
    }

    /// These limits with every entry of `object` set (a `limits` object).
    pub fn with_object(mut self, object: &Map<String, Value>) -> Result<Limits, LimitError> {
        for (name, value) in object {
            self.set_value(name, value)?;
        }
        Ok(self)
    }

    /// Stores `n` (the unit's count: bytes, milliseconds) as the limit `name`.
    fn store(&mut self, name: &'static str, n: u64) -> Result<(), LimitError> {
        let out_of_range = |problem: String| LimitError::Value { name, problem };
        if n == 0 {
            return Err(out_of_range("must be at least 1".to_owned()));
        }
        let count = || usize::try_from(n).unwrap_or(usize::MAX);
        match name {
            "depth" if n > MAX_DEPTH_CEILING as u64 => {
                return Err(out_of_range(format!(
                    "{n} is above its ceiling of {MAX_DEPTH_CEILING} levels: deeper documents \
                     could overflow the stack of the code that reads them"
                )))
            }
            "module-memory" if n > MAX_MODULE_MEMORY => {
                return Err(out_of_range(format!(
                    "{} is above its ceiling of 4 GiB, all the memory a wasm32 module can address",
                    size_text(n)
                )))
            }
            "depth" => self.depth = count(),
            "values" => self.values = count(),
            "document-bytes" => self.document_bytes = n,
            "documents" => self.documents = count(),
            "cel-cost" => self.cel_cost = n,
            "file-bytes" => self.file_bytes = n,
            "run-bytes" => self.run_bytes = n,
            "module-time" => self.module_time = Duration::from_millis(n),
            "module-memory" => self.module_memory = n,
            _ => return Err(LimitError::Unknown(name.to_owned())),
        }
        Ok(())
    }

    /// Every limit, by name, with its value as a `limits` object holds it:
    /// counts and bytes as numbers, `module-time` in seconds.
    pub fn entries(&self) -> [(&'static str, Value); 9] {
        let seconds = self.module_time.as_millis() as f64 / 1000.0;
        [
            ("depth", self.depth.into()),
            ("values", self.values.into()),
            ("document-bytes", self.document_bytes.into()),
            ("documents", self.documents.into()),
            ("cel-cost", self.cel_cost.into()),
            ("file-bytes", self.file_bytes.into()),
            ("run-bytes", self.run_bytes.into()),
            ("module-time", seconds.into()),
            ("module-memory", self.module_memory.into()),
        ]
    }

    /// The [`entries`](Self::entries) that differ from the defaults.
    pub fn changed(&self) -> Vec<(&'static str, Value)> {
        let defaults = Limits::DEFAULT.entries();
        self.entries()
            .into_iter()
            .zip(defaults)
            .filter(|(mine, default)| mine != default)
            .map(|(mine, _)| mine)
            .collect()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Written as the limits that differ from the defaults, by name; read from
/// any names and values [`Limits::set_value`] takes, the others default.
impl Serialize for Limits {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let changed = self.changed();
        let mut map = serializer.serialize_map(Some(changed.len()))?;
        for (name, value) in &changed {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Limits {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        Limits::DEFAULT
            .with_object(&object)
            .map_err(serde::de::Error::custom)
    }
}

/// A limit that cannot be set as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("unknown limit `{0}`; the limits are {names}", names = names())]
    Unknown(String),
    #[error("`{0}` is not NAME=VALUE (e.g. documents=500000); the limits are {names}", names = names())]
    NotAPair(String),
    #[error("limit `{name}`: {problem}")]
    Value { name: &'static str, problem: String },
}

fn names() -> String {
    Limits::NAMES.join(", ")
}

/// What a limit's value counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    /// Bytes.
    Size,
    /// Milliseconds.
    Time,
}

fn kind(name: &str) -> Kind {
    match name {
        "document-bytes" | "file-bytes" | "run-bytes" | "module-memory" => Kind::Size,
        "module-time" => Kind::Time,
        _ => Kind::Count,
    }
}

/// The limit's name as [`Limits::NAMES`] has it: `cel_cost`, `celCost`
/// and `CEL-COST` are `cel-cost`.
fn canonical(name: &str) -> Result<&'static str, LimitError> {
    let mut kebab = String::with_capacity(name.len() + 2);
    let mut previous_lower = false;
    for c in name.trim().chars() {
        if c.is_ascii_uppercase() && previous_lower {
            kebab.push('-');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        kebab.push(if c == '_' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
    }
    Limits::NAMES
        .into_iter()
        .find(|n| *n == kebab)
        .ok_or_else(|| LimitError::Unknown(name.to_owned()))
}

/// The error for a value that is not of the limit's kind.
fn bad(name: &'static str, kind: Kind, value: &str) -> LimitError {
    let expected = match kind {
        Kind::Count => "a whole number (e.g. 500000)",
        Kind::Size => "a size: bytes, or a number with B, KiB, MiB, GiB, kB, MB or GB (e.g. 64MiB)",
        Kind::Time => "a time: seconds, or a number with ms, s, m or h (e.g. 30s)",
    };
    LimitError::Value {
        name,
        problem: format!("`{value}` is not {expected}"),
    }
}

/// `number * scale`, a whole count of the kind's unit.
fn scaled(name: &'static str, kind: Kind, number: f64, scale: f64) -> Result<u64, LimitError> {
    let n = (number * scale).round();
    if !n.is_finite() || n < 0.0 {
        return Err(bad(name, kind, &number.to_string()));
    }
    if n >= u64::MAX as f64 {
        return Err(LimitError::Value {
            name,
            problem: format!("`{number}` is too large"),
        });
    }
    Ok(n as u64)
}

/// A value as written: digits (`_` allowed between them), then a unit for
/// sizes and times.
fn parse_text(name: &'static str, kind: Kind, text: &str) -> Result<u64, LimitError> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (digits, unit) = (&text[..split], text[split..].trim());
    let plain: String = digits.chars().filter(|c| *c != '_').collect();
    if plain.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return Err(bad(name, kind, text));
    }
    let scale = match (kind, unit.to_ascii_lowercase().as_str()) {
        (Kind::Count, "") => 1.0,
        (Kind::Size, "" | "b") => 1.0,
        (Kind::Size, "kib" | "ki") => 1024.0,
        (Kind::Size, "mib" | "mi") => 1024.0 * 1024.0,
        (Kind::Size, "gib" | "gi") => 1024.0 * 1024.0 * 1024.0,
        (Kind::Size, "kb" | "k") => 1e3,
        (Kind::Size, "mb" | "m") => 1e6,
        (Kind::Size, "gb" | "g") => 1e9,
        (Kind::Time, "ms") => 1.0,
        (Kind::Time, "" | "s") => 1e3,
        (Kind::Time, "m" | "min") => 60e3,
        (Kind::Time, "h") => 3600e3,
        _ => return Err(bad(name, kind, text)),
    };
    if kind == Kind::Count || !plain.contains('.') {
        let whole: u64 = plain.parse().map_err(|_| match plain.contains('.') {
            true => bad(name, kind, text),
            false => LimitError::Value {
                name,
                problem: format!("`{text}` is too large"),
            },
        })?;
        return whole
            .checked_mul(scale as u64)
            .ok_or_else(|| LimitError::Value {
                name,
                problem: format!("`{text}` is too large"),
            });
    }
    let number: f64 = plain.parse().map_err(|_| bad(name, kind, text))?;
    scaled(name, kind, number, scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_defaults_are_the_constants() {
        let d = Limits::default();
        assert_eq!(d.parse(), ParseLimits::DEFAULT);
        assert_eq!(d.cel_cost, 10_000_000);
        assert_eq!(
            (d.documents, d.file_bytes, d.run_bytes),
            (100_000, 64 << 20, 1 << 30)
        );
        assert!(d.is_default() && d.changed().is_empty());
    }

    #[test]
    fn values_are_read_with_their_units() {
        let mut l = Limits::default();
        for (pair, check) in [
            (
                "documents=500",
                &(|l: &Limits| l.documents == 500) as &dyn Fn(&Limits) -> bool,
            ),
            ("cel_cost=1_000", &|l| l.cel_cost == 1000),
            ("fileBytes=2MiB", &|l| l.file_bytes == 2 << 20),
            ("run-bytes=1.5GiB", &|l| l.run_bytes == 3 << 29),
            ("document-bytes=500kB", &|l| l.document_bytes == 500_000),
            ("document-bytes=4096", &|l| l.document_bytes == 4096),
            ("module-time=500ms", &|l| {
                l.module_time == Duration::from_millis(500)
            }),
            ("module-time=2m", &|l| {
                l.module_time == Duration::from_secs(120)
            }),
            ("module-time=3", &|l| {
                l.module_time == Duration::from_secs(3)
            }),
            ("DEPTH = 256", &|l| l.depth == 256),
        ] {
            assert_eq!(l.set_pair(pair), Ok(()), "{pair}");
            assert!(check(&l), "{pair}: {l:?}");
        }
    }

    #[test]
    fn wrong_names_and_values_say_what_is_allowed() {
        let mut l = Limits::default();
        let e = |r: Result<(), LimitError>| r.err().map(|e| e.to_string()).unwrap_or_default();
        let unknown = e(l.set("cpu", "1"));
        assert!(
            unknown
                .starts_with("unknown limit `cpu`; the limits are depth, values, document-bytes"),
            "{unknown}"
        );
        assert!(e(l.set_pair("documents")).contains("is not NAME=VALUE"));
        assert!(e(l.set("documents", "many")).contains("`many` is not a whole number"));
        assert!(e(l.set("documents", "1.5")).contains("is not a whole number"));
        assert!(e(l.set("file-bytes", "64 parsecs")).contains("is not a size"));
        assert!(e(l.set("module-time", "soon")).contains("is not a time"));
        assert!(e(l.set("values", "0")).contains("at least 1"));
        assert!(e(l.set("values", "99999999999999999999999")).contains("too large"));
        assert!(e(l.set("depth", "1001")).contains("above its ceiling of 1000"));
        assert!(e(l.set("module-memory", "5GiB")).contains("above its ceiling of 4 GiB"));
        assert!(l.is_default(), "a refused value changes nothing: {l:?}");
        assert_eq!(l.set("depth", "1000"), Ok(()));
        assert_eq!(l.depth, 1000);
    }

    #[test]
    fn a_limits_object_reads_numbers_and_strings_and_round_trips() {
        let l: Limits = match serde_json::from_value(json!({
            "documents": 10, "celCost": "5000", "module_time": 1.5, "document-bytes": "1MiB"
        })) {
            Ok(l) => l,
            Err(e) => unreachable!("{e}"),
        };
        assert_eq!(
            (l.documents, l.cel_cost, l.document_bytes),
            (10, 5000, 1 << 20)
        );
        assert_eq!(l.module_time, Duration::from_millis(1500));
        let text = serde_json::to_string(&l).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"document-bytes":1048576,"documents":10,"cel-cost":5000,"module-time":1.5}"#
        );
        assert_eq!(serde_json::from_str::<Limits>(&text).ok(), Some(l));
        for bad in [
            json!({"nope": 1}),
            json!({"depth": -1}),
            json!({"depth": true}),
            json!([1]),
        ] {
            assert!(
                serde_json::from_value::<Limits>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    /// The ceiling is safe: a document nested as deep as it may be is
    /// checked by the built-in library and a rule that reads all of it, on
    /// a thread with Rust's default 2 MiB stack, in a debug build.
    #[test]
    fn a_document_at_the_depth_ceiling_does_not_overflow_the_stack() {
        let mut files = crate::library::files();
        files.push((
            "deep.yaml".to_owned(),
            "apiVersion: assay.dev/v1\nkind: ValidationPolicy\nmetadata: {name: deep}\nspec:\n  \
             rules:\n    - {name: whole, expr: 'object == object && string(object).size() > 0'}\n"
                .to_owned(),
        ));
        let set = match crate::PolicySet::load(&files) {
            Ok(set) => set,
            Err(e) => unreachable!("{e:?}"),
        };
        let mut text =
            String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n");
        for i in 1..MAX_DEPTH_CEILING - 1 {
            text.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        text.push_str(&format!("{}leaf: x\n", "  ".repeat(MAX_DEPTH_CEILING - 1)));
        let limits = Limits {
            depth: MAX_DEPTH_CEILING,
            ..Limits::DEFAULT
        };
        let checked = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let out =
                    crate::check::check_bytes_with(&set, None, text.as_bytes(), "", &[], &limits);
                let rules: Vec<String> = out
                    .results
                    .iter()
                    .flat_map(|r| r.findings.iter().map(|f| f.rule.clone()))
                    .collect();
                // The same document as a value of a call-API request, which
                // is read, and checked, a level per frame too.
                let value = crate::parse::parse_stream_with(&text, limits.parse())
                    .remove(0)
                    .map(|d| d.value)
                    .unwrap_or_default();
                let request = serde_json::json!({
                    "call": "check", "input": value, "limits": {"depth": MAX_DEPTH_CEILING},
                });
                let answer = crate::api::call(&set, request.to_string().as_bytes());
                (rules, answer)
            })
            .map(|t| t.join());
        match checked {
            Ok(Ok((rules, answer))) => {
                assert!(
                    !rules.iter().any(|r| r == "limit" || r == "parse"),
                    "{rules:?}"
                );
                let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
                let report = &answer["report"];
                assert_eq!(report["summary"]["checked"], 1, "{answer:.300}");
                let findings = report["results"].as_array().into_iter().flatten();
                let rules: Vec<_> = findings
                    .flat_map(|r| r["findings"].as_array().into_iter().flatten())
                    .collect();
                assert!(
                    !rules
                        .iter()
                        .any(|f| f["rule"] == "limit" || f["rule"] == "parse"),
                    "{rules:?}"
                );
            }
            other => unreachable!("{other:?}"),
        }
    }
}

//! Secret values are never shown: a finding says at most a 4-character
//! prefix, the length and a fingerprint (first 8 hex digits of SHA-256), so
//! two reports can be compared without either holding the secret.
//! `redact_findings` is the central pass over every finding message.

pub mod detectors;
pub mod filters;

use crate::diag::Finding;
use aho_corasick::{AhoCorasick, MatchKind};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use detectors::{Hit, Scanner, MAX_HITS};
use filters::KeyClass;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Values shorter than this are not searched for in messages: too many
/// innocent words would match.
const MIN_SEARCHED: usize = 6;
const MAX_DEPTH: usize = 64;
/// Pieces of a secret this long or longer are redacted wherever they
/// appear: a line of a key, `substring(1)` of a token.
pub const MIN_PIECE: usize = 8;
/// Pieces kept per document (each an 8-byte window of a sensitive value);
/// the values past it are redacted whole only.
pub const MAX_PIECES: usize = 1 << 20;

/// `*** (18 chars, sha256:1a2b3c4d)`: passwords and other values whose
/// start is as secret as the rest show no prefix.
pub fn redact(secret: &str) -> String {
    redacted(secret, false)
}

/// `ghp_*** (40 chars, sha256:1a2b3c4d)`: a token format's first 4
/// characters (mostly its public vendor prefix); none for short values.
pub fn redact_token(secret: &str) -> String {
    redacted(secret, true)
}

fn redacted(secret: &str, show_prefix: bool) -> String {
    let n = secret.chars().count();
    let digest = Sha256::digest(secret.as_bytes());
    let fp: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let prefix: String = if show_prefix && n >= 16 {
        secret.chars().take(4).collect()
    } else {
        String::new()
    };
    format!("{prefix}*** ({n} chars, sha256:{fp})")
}

/// Replaces every token-shaped secret in a text with its redacted form.
pub fn redact_text(text: &str) -> String {
    match Scanner::builtin() {
        Some(s) => replace_hits(&s, text),
        None => text.to_owned(),
    }
}

fn replace_hits(scanner: &Scanner, text: &str) -> String {
    let mut out = text.to_owned();
    // A scan stops at `MAX_HITS`: scan again until one comes back short
    // (bounded, in case a pattern matches its own redacted form).
    for _ in 0..64 {
        let hits = scanner.scan(None, &out);
        if hits.is_empty() {
            break;
        }
        let complete = hits.len() < MAX_HITS;
        out = replace_once(scanner, &out, hits);
        if complete {
            break;
        }
    }
    out
}

fn replace_once(scanner: &Scanner, text: &str, hits: Vec<Hit>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for h in hits {
        if h.start < last {
            continue;
        }
        if let (Some(before), Some(secret)) = (text.get(last..h.start), text.get(h.start..h.end)) {
            out.push_str(before);
            let prefixed = scanner
                .entries
                .get(h.detector)
                .is_some_and(|e| e.show_prefix());
            out.push_str(&redacted(secret, prefixed));
            last = h.end;
        }
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

/// What one document's findings must not show, gathered while its policies
/// run. With the document itself and its old version, it is read only when
/// there are findings to redact.
#[derive(Default)]
pub struct Withheld<'a> {
    /// Secrets the secret rules found, and the values they were found in.
    pub found: Vec<String>,
    /// Embedded files as parsed: their values are unescaped and unfolded,
    /// as a schema error quotes them, where the outer text is not.
    pub embedded: Vec<Value>,
    /// Policies' own token formats (`secrets.patterns`).
    pub scanners: Vec<&'a Scanner>,
}

/// Redacts secrets in finding messages: token-shaped values, and any value
/// of the document or its old version stored under a credential-like name or
/// in a Secret, or found by the secret rules, as quoted by a JSON Schema
/// error or a rule's `messageExpr`.
pub fn redact_findings<'f>(
    findings: impl IntoIterator<Item = &'f mut Finding>,
    doc: &Value,
    old: Option<&Value>,
    withheld: &Withheld,
) {
    let messages = findings.into_iter().map(|f| &mut f.message);
    redact_messages(messages, doc, old, withheld);
}

/// `redact_findings` for other texts that may quote a document's values:
/// the report of a failing test case (`api::cases`), which quotes the
/// messages findings should have had.
pub fn redact_messages<'m>(
    messages: impl IntoIterator<Item = &'m mut String>,
    doc: &Value,
    old: Option<&Value>,
    withheld: &Withheld,
) {
    let mut messages = messages.into_iter().peekable();
    if messages.peek().is_none() {
        return;
    }
    let Some(scanner) = Scanner::builtin() else {
        return;
    };
    let sensitive = sensitive_values(doc, old, withheld, &scanner).searched();
    for m in messages {
        let mut message = replace_hits(&scanner, m);
        for own in &withheld.scanners {
            message = replace_hits(own, &message);
        }
        if let Some(sensitive) = &sensitive {
            message = sensitive.replace_in(&message);
        }
        *m = message;
    }
}

/// String values that must not be echoed. Long ones are searched for
/// anywhere in a message; short or numeric ones (too many innocent words
/// and numbers would match) only where quoted, as a schema error quotes them.
struct Sensitive {
    anywhere: Vec<String>,
    quoted: Vec<String>,
}

/// Every form of every sensitive value in one automaton, so that redacting
/// n findings of a document with n such values is not n² searches.
struct Searched {
    forms: AhoCorasick,
    /// The value each form stands for, by pattern index.
    values: Vec<String>,
    pieces: Pieces,
}

impl Searched {
    fn replace_in(&self, message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        self.forms.replace_all_with(message, &mut out, |m, _, out| {
            out.push_str(&redact(&self.values[m.pattern().as_usize()]));
            true
        });
        self.pieces.mask(&out)
    }
}

/// Every 8-byte window of the sensitive values, in each form a message
/// may show them: a message that holds any such window holds a piece of a
/// secret. Windows are compared as integers, so no hashing of text.
#[derive(Default)]
struct Pieces {
    windows: std::collections::HashSet<u64, std::hash::BuildHasherDefault<WindowHasher>>,
}

impl Pieces {
    fn add(&mut self, form: &str) {
        for window in form.as_bytes().windows(MIN_PIECE) {
            if self.windows.len() >= MAX_PIECES {
                return;
            }
            // Windows of spaces alone are in every indented file.
            if window.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.windows.insert(window_key(window));
        }
    }

    /// `message` with each run of bytes covered by secret windows replaced
    /// by `***`; the run is widened to whole characters.
    fn mask(&self, message: &str) -> String {
        if self.windows.is_empty() || message.len() < MIN_PIECE {
            return message.to_owned();
        }
        let bytes = message.as_bytes();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (at, window) in bytes.windows(MIN_PIECE).enumerate() {
            if !self.windows.contains(&window_key(window)) {
                continue;
            }
            match runs.last_mut() {
                Some((_, end)) if *end >= at => *end = at + MIN_PIECE,
                _ => runs.push((at, at + MIN_PIECE)),
            }
        }
        if runs.is_empty() {
            return message.to_owned();
        }
        let mut out = String::with_capacity(message.len());
        let mut last = 0;
        for (mut start, mut end) in runs {
            while !message.is_char_boundary(start) {
                start -= 1;
            }
            while !message.is_char_boundary(end) {
                end += 1;
            }
            let start = start.max(last);
            out.push_str(message.get(last..start).unwrap_or(""));
            out.push_str("***");
            last = end;
        }
        out.push_str(message.get(last..).unwrap_or(""));
        out
    }
}

fn window_key(window: &[u8]) -> u64 {
    let mut key = [0u8; 8];
    key.copy_from_slice(&window[..MIN_PIECE]);
    u64::from_le_bytes(key)
}

/// The windows are already integers: a multiply spreads their bits.
#[derive(Default)]
struct WindowHasher(u64);

impl std::hash::Hasher for WindowHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl Sensitive {
    /// The forms a message may show a value in: as it is, JSON-escaped (as
    /// a JSON Schema error quotes it), and for short or numeric values
    /// only quoted. Where forms overlap the longest wins.
    fn searched(self) -> Option<Searched> {
        let mut forms = Vec::new();
        let mut values = Vec::new();
        let mut pieces = Pieces::default();
        let mut seen = std::collections::HashSet::new();
        let mut add = |form: String, value: &String| {
            if !form.is_empty() && seen.insert(form.clone()) {
                forms.push(form);
                values.push(value.clone());
            }
        };
        for v in &self.anywhere {
            add(v.clone(), v);
            pieces.add(v);
            if let Ok(quoted) = serde_json::to_string(v) {
                add(unquoted(&quoted).to_owned(), v);
                pieces.add(unquoted(&quoted));
            }
            // A finding's message is one line: a multi-line value shows
            // with its whitespace runs as single spaces.
            if v.contains(char::is_whitespace) {
                let flat = v.split_whitespace().collect::<Vec<_>>().join(" ");
                pieces.add(&flat);
                add(flat, v);
            }
        }
        for v in &self.quoted {
            if let Ok(quoted) = serde_json::to_string(v) {
                add(quoted, v);
            }
        }
        if forms.is_empty() {
            return None;
        }
        let forms = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&forms)
            .ok()?;
        Some(Searched {
            forms,
            values,
            pieces,
        })
    }

    fn push(&mut self, v: &str) {
        let v = v.trim();
        if v.len() >= MIN_SEARCHED && v.parse::<f64>().is_err() {
            self.anywhere.push(v.to_owned());
        } else if !v.is_empty() {
            self.quoted.push(v.to_owned());
        }
    }
}

/// Values under credential-like keys (also the `key: value` lines of
/// embedded files), a Secret's data (also decoded), token-shaped values
/// anywhere (so that a piece of one is found too), and what `withheld` holds.
fn sensitive_values(
    doc: &Value,
    old: Option<&Value>,
    withheld: &Withheld,
    builtin: &Scanner,
) -> Sensitive {
    let mut out = Sensitive {
        anywhere: Vec::new(),
        quoted: Vec::new(),
    };
    let mut scanners = vec![builtin];
    scanners.extend(withheld.scanners.iter().copied());
    let mut walk = Walk {
        scanners: &scanners,
        out: &mut out,
    };
    for doc in std::iter::once(doc).chain(old) {
        secret_data(doc, walk.out);
        walk.collect(doc, None, 0);
    }
    for v in &withheld.embedded {
        walk.collect(v, None, 0);
    }
    for v in &withheld.found {
        out.push(v);
    }
    for list in [&mut out.anywhere, &mut out.quoted] {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// A JSON string literal without its quotes.
fn unquoted(literal: &str) -> &str {
    literal
        .get(1..literal.len().saturating_sub(1))
        .unwrap_or("")
}

fn secret_data(doc: &Value, out: &mut Sensitive) {
    let mut values = Vec::new();
    secret_values(doc, &mut values);
    for v in &values {
        out.push(v);
    }
}

/// The values of a Secret's `data` (raw and decoded) and `stringData`;
/// nothing for other kinds.
pub fn secret_values(doc: &Value, out: &mut Vec<String>) {
    if doc.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = doc.get(field) {
            for v in m.values().filter_map(Value::as_str) {
                out.push(v.to_owned());
                if field == "data" {
                    let decoded = STANDARD.decode(v.trim()).ok();
                    if let Some(text) = decoded.and_then(|b| String::from_utf8(b).ok()) {
                        out.push(text);
                    }
                }
            }
        }
    }
}

/// A walk over a document's values, gathering what must not be echoed.
struct Walk<'w> {
    scanners: &'w [&'w Scanner],
    out: &'w mut Sensitive,
}

impl Walk<'_> {
    fn collect(&mut self, v: &Value, key: Option<&str>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::String(s) => {
                if key.is_some_and(|k| filters::key_class(k) != KeyClass::None) {
                    self.out.push(s);
                }
                if s.contains('\n') {
                    for (k, start, end) in filters::credential_line_pairs(s) {
                        if filters::key_class(k) != KeyClass::None {
                            self.out.push(s.get(start..end).unwrap_or(""));
                        }
                    }
                }
                for scanner in self.scanners {
                    for hit in scanner.scan(None, s) {
                        self.out.push(s.get(hit.start..hit.end).unwrap_or(""));
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.collect(item, key, depth + 1);
                }
            }
            Value::Object(m) => {
                // An env entry: `{name: DB_PASSWORD, value: …}`.
                let env_name = m.get("name").and_then(Value::as_str);
                for (k, item) in m {
                    let key = if k == "value" && env_name.is_some() {
                        env_name
                    } else {
                        Some(k.as_str())
                    };
                    self.collect(item, key, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// The first piece of `secret`, `MIN_PIECE` characters that neither start
/// nor end with whitespace, that `text` shows: redaction promises there is
/// none. For the leak tests (`core/tests/secret_leaks.rs`, the CLI's).
#[doc(hidden)]
pub fn shown_piece(text: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(MIN_PIECE)
        .map(|window| window.iter().collect::<String>())
        .filter(|piece| piece.trim().chars().count() == MIN_PIECE)
        .find(|piece| text.contains(piece.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;

    #[test]
    fn redacted_form() {
        let r = redact_token("abcdefghijklmnopqrstuvwxyz");
        assert!(r.starts_with("abcd*** (26 chars, sha256:"), "{r}");
        assert_eq!(redact("hunter2").split(' ').next(), Some("***"));
        assert_eq!(
            redact("a-long-password-value").split(' ').next(),
            Some("***")
        );
    }

    #[test]
    fn messages_lose_values() {
        let doc =
            serde_json::json!({"kind": "ConfigMap", "data": {"DB_PASSWORD": "Sup3r\"Secret"}});
        let mut f = vec![Finding {
            rule: "schema".into(),
            severity: Severity::Error,
            message: "\"Sup3r\\\"Secret\" is not valid".into(),
            path: "/data/DB_PASSWORD".into(),
            line: None,
            column: None,
        }];
        redact_findings(&mut f, &doc, None, &Withheld::default());
        assert!(!f[0].message.contains("Sup3r"), "{}", f[0].message);
    }

    #[test]
    fn each_sensitive_value_is_searched_for_once() {
        let doc = serde_json::json!({"kind": "ConfigMap", "data": {
            "A_PASSWORD": "same-secret-1", "B_TOKEN": "other-secret2", "C_PASSWORD": "same-secret-1"}});
        let scanner = Scanner::builtin().unwrap_or_else(|| unreachable!());
        let values = sensitive_values(&doc, None, &Withheld::default(), &scanner).anywhere;
        assert_eq!(values.len(), 2, "{values:?}");
    }

    #[test]
    fn every_finding_loses_every_value_including_values_inside_values() {
        let mut data = serde_json::Map::new();
        for i in 0..300 {
            data.insert(format!("TOKEN_{i}"), format!("tok-{i:04}-value").into());
        }
        // One value inside another, and a short one that is only searched quoted.
        data.insert("API_KEY".into(), "tok-0007-value-and-more".into());
        data.insert("PIN_SECRET".into(), "4711".into());
        let doc = serde_json::json!({"kind": "ConfigMap", "data": data});
        let finding = |message: String| Finding {
            rule: "r".into(),
            severity: Severity::Error,
            message,
            path: String::new(),
            line: None,
            column: None,
        };
        let mut f: Vec<Finding> = (0..300)
            .map(|i| finding(format!("tok-{i:04}-value, then tok-{:04}-value", 299 - i)))
            .collect();
        f.push(finding("got tok-0007-value-and-more and \"4711\"".into()));
        redact_findings(&mut f, &doc, None, &Withheld::default());
        for m in f.iter().map(|f| &f.message) {
            assert!(
                !m.contains("tok-") && !m.contains("-value") && !m.contains("4711"),
                "{m}"
            );
        }
        let last = f.last().map(|f| f.message.as_str()).unwrap_or("");
        assert!(last.starts_with("got *** (23 chars, sha256:"), "{last}");
    }
}

//! What is a credential-like key name, and which values are not secrets
//! (placeholders, references, documented examples, ids and digests).
//! The lists here are the ones `docs/secrets.md` documents.

use aho_corasick::{packed, AhoCorasick};
use std::sync::LazyLock;

/// Name segments that make a key a password (docs/secrets.md).
pub const PASSWORD_SEGMENTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
];

/// Name segments that make a key a credential on their own.
pub const CREDENTIAL_SEGMENTS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "secretkey",
    "apitoken",
    "authtoken",
    "accesstoken",
    "credentials",
    "credential",
    "creds",
    "auth",
    "bearer",
];

/// Adjacent segment pairs that make a key a credential (`api_key`, `accessKey`, …).
pub const CREDENTIAL_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("access", "key"),
    ("private", "key"),
    ("client", "secret"),
    ("signing", "key"),
    ("encryption", "key"),
    ("master", "key"),
    ("account", "key"),
];

/// A last segment that makes the key about a credential, not one:
/// `PASSWORD_MIN_LENGTH`, `TOKEN_TTL`, `SECRET_NAME`, `AUTH_URL`.
pub const MODIFIER_SEGMENTS: &[&str] = &[
    "file",
    "path",
    "dir",
    "directory",
    "name",
    "names",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "type",
    "kind",
    "method",
    "mode",
    "enabled",
    "enable",
    "disabled",
    "required",
    "length",
    "len",
    "size",
    "min",
    "max",
    "count",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "expiration",
    "lifetime",
    "age",
    "header",
    "prefix",
    "ref",
    "env",
    "var",
    "id",
    "version",
    "policy",
    "rules",
    "complexity",
    "strength",
    "hash",
    "algorithm",
    "algo",
    "scheme",
    "format",
    "encoding",
    "hint",
    "provider",
    "issuer",
    "audience",
    "scope",
    "scopes",
    "location",
    "mount",
    "store",
    "backend",
    "rotation",
    "interval",
    "days",
    "seconds",
    "duration",
    "field",
    "sha",
    "digest",
    "checksum",
    "fingerprint",
    "label",
    "user",
    "username",
    "email",
    "region",
    "level",
    "limit",
    "cache",
    "server",
    "realm",
    "domain",
];

/// Entropy floor (Shannon, bits per character) for values under
/// credential-like names other than passwords, and their minimum length.
pub const TOKEN_MIN_ENTROPY: f64 = 3.0;
pub const TOKEN_MIN_LEN: usize = 16;
/// Passwords are shorter and less random than tokens.
pub const PASSWORD_MIN_ENTROPY: f64 = 2.0;
pub const PASSWORD_MIN_LEN: usize = 6;
/// Longer values under a credential name are files or blobs, not one secret.
const MAX_VALUE_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    None,
    Password,
    Credential,
}

/// Why a value is not a leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSecret {
    Placeholder,
    Reference,
    Example,
}

/// A key name split at `_`, `-`, `.`, `/`, spaces and camelCase, lowercased.
pub fn segments(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().take(256).collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '_' | '-' | '.' | '/' | ' ') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every credential-like name holds one of these (ASCII case aside); checked
/// first because most keys hold none and splitting them allocates.
const KEY_MARKS: [&str; 9] = [
    "pass", "pwd", "secret", "token", "key", "cred", "auth", "bearer", "wandb",
];

/// Cheap test: false means the key is surely not credential-like. One
/// automaton pass over the key: comparing each mark at each position took
/// ~860 instructions per key, most of the redaction of a finding.
pub fn may_be_credential(key: &str) -> bool {
    // Without the automaton (it cannot fail to build) every key is a maybe.
    key_marks().is_none_or(|marks| marks.is_match(key))
}

fn key_marks() -> Option<&'static AhoCorasick> {
    static MARKS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(KEY_MARKS)
            .ok()
    });
    MARKS.as_ref()
}

/// `None` where Teddy is not built (wasm32).
fn lowercase_marks() -> Option<&'static packed::Searcher> {
    static MARKS: LazyLock<Option<packed::Searcher>> =
        LazyLock::new(|| packed::Config::new().builder().extend(KEY_MARKS).build());
    MARKS.as_ref()
}

pub fn key_class(key: &str) -> KeyClass {
    if !may_be_credential(key) {
        return KeyClass::None;
    }
    class_of(&segments(key))
}

/// The class of a key already split into segments.
pub fn class_of(s: &[String]) -> KeyClass {
    let Some(last) = s.last() else {
        return KeyClass::None;
    };
    if s.len() > 1 && MODIFIER_SEGMENTS.contains(&last.as_str()) {
        return KeyClass::None;
    }
    if s.iter().any(|x| PASSWORD_SEGMENTS.contains(&x.as_str())) {
        return KeyClass::Password;
    }
    let single = s.iter().any(|x| CREDENTIAL_SEGMENTS.contains(&x.as_str()));
    let pair = s.windows(2).any(|w| {
        CREDENTIAL_PAIRS
            .iter()
            .any(|(a, b)| w[0] == *a && w[1] == *b)
    });
    if single || pair {
        KeyClass::Credential
    } else {
        KeyClass::None
    }
}

/// Shannon entropy of the value's bytes, in bits per byte.
pub fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// A value under a credential-like name that looks like a real secret.
pub fn high_entropy(class: KeyClass, v: &str) -> bool {
    if v.len() > MAX_VALUE_LEN || v.contains('\n') || not_a_secret(v).is_some() {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if v.parse::<f64>().is_ok()
        || matches!(
            lower.as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off"
        )
        || is_uuid(v)
        || is_digest(&lower)
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
        || is_url(&lower)
        || is_email(v)
    {
        return false;
    }
    match class {
        KeyClass::None => false,
        KeyClass::Password => v.len() >= PASSWORD_MIN_LEN && entropy(v) >= PASSWORD_MIN_ENTROPY,
        KeyClass::Credential => {
            v.len() >= TOKEN_MIN_LEN && entropy(v) >= TOKEN_MIN_ENTROPY && !is_words(v)
        }
    }
}

fn is_uuid(v: &str) -> bool {
    v.len() == 36
        && v.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

fn is_digest(lower: &str) -> bool {
    ["sha1:", "sha256:", "sha384:", "sha512:", "md5:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || lower.contains("@sha256:")
}

fn is_url(lower: &str) -> bool {
    lower.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
    })
}

fn is_email(v: &str) -> bool {
    v.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !v.contains(char::is_whitespace)
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

/// Lowercase words or numbers joined by `-`, `.` or `_` (`ml-api-keys`,
/// `vault.default.svc`): names, not tokens.
fn is_words(v: &str) -> bool {
    let parts: Vec<&str> = v.split(['-', '.', '_']).collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p.bytes().all(|b| b.is_ascii_lowercase())
                    || p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Words that stand for a secret rather than being one.
const PLACEHOLDER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "changeit",
    "test",
    "none",
    "null",
    "empty",
    "todo",
    "tbd",
    "fixme",
    "dummy",
    "sample",
    "default",
    "undefined",
    "nil",
    "apikey",
    "api_key",
];

/// Parts of a value that make it a placeholder wherever they appear.
const PLACEHOLDER_MARKS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "replace_me",
    "replace-me",
    "replaceme",
    "placeholder",
    "redacted",
    "...",
    "…",
    "xxxx",
];

/// Placeholders, references to a secret kept elsewhere, and documented examples.
pub fn not_a_secret(v: &str) -> Option<NotSecret> {
    let t = v.trim();
    if (t.starts_with("${") && t.ends_with('}'))
        || (t.starts_with("$(") && t.ends_with(')'))
        || (t.contains("{{") && t.contains("}}"))
        || [
            "vault:",
            "ref+",
            "op://",
            "secretref:",
            "arn:aws:secretsmanager:",
            "arn:aws:ssm:",
        ]
        .iter()
        .any(|p| t.starts_with(p))
    {
        return Some(NotSecret::Reference);
    }
    let lower = t.to_ascii_lowercase();
    // A documented key (`AKIAIOSFODNN7EXAMPLE`) is one word; a file or JSON
    // that mentions example.com (a registry login's email) is a real value.
    let one_word = !t.contains(char::is_whitespace) && !t.starts_with(['{', '[']);
    if one_word && lower.contains("example") && !lower.contains("example.") {
        return Some(NotSecret::Example);
    }
    let angle = t
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .is_some_and(|(inner, _)| {
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' ' | b'.'))
        });
    let identifier = t.len() >= 3
        && t.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && (t.contains('_') || PLACEHOLDER_WORDS.contains(&lower.as_str()))
        && (key_class(t) != KeyClass::None || lower.ends_with("_here"));
    let placeholder = angle
        || identifier
        || PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m))
        || PLACEHOLDER_WORDS.contains(&lower.as_str())
        || ["your-", "your_", "your ", "your."]
            .iter()
            .any(|p| lower.starts_with(p))
        || ["-here", "_here", " here", ".here"]
            .iter()
            .any(|s| lower.ends_with(s))
        || (t.chars().count() >= 3 && one_char(t))
        || repeated_after_prefix(t);
    placeholder.then_some(NotSecret::Placeholder)
}

fn one_char(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| chars.all(|d| d == c))
}

/// A known prefix followed by one repeated character: `ghp_xxxxxxxx…`,
/// `sk-proj-aaaa…`, `AKIAXXXXXXXXXXXXXXXX`.
pub fn repeated_after_prefix(v: &str) -> bool {
    let after_separator = v.rfind(['-', '_']).and_then(|i| v.get(i + 1..));
    let after_four = v.get(4..);
    [after_separator, after_four]
        .into_iter()
        .flatten()
        .any(|rest| rest.chars().count() >= 4 && one_char(rest))
}

/// `key: value` and `KEY=VALUE` lines of a text (YAML, JSON, .env, INI,
/// code) whose key may be credential-like (`may_be_credential`): each key
/// with the byte range of its value, quotes and trailing commas and
/// comments removed. Only lines holding a credential mark are parsed: one
/// search finds them, where splitting and parsing every line cost more
/// than the rest of redacting a finding.
pub fn credential_line_pairs(text: &str) -> Vec<(&str, usize, usize)> {
    // The marks are lowercase ASCII, so lowercasing keeps every offset; it
    // lets a SIMD searcher (Teddy, on x86_64 and aarch64) find them, at ~2
    // instructions a byte where the case-blind automaton takes ~16.
    if let Some(teddy) = lowercase_marks() {
        let lower = text.as_bytes().to_ascii_lowercase();
        credential_pairs_at(text, teddy.find_iter(&lower).map(|m| m.start()))
    } else if let Some(marks) = key_marks() {
        credential_pairs_at(text, marks.find_iter(text).map(|m| m.start()))
    } else {
        credential_pairs_at(text, line_starts(text))
    }
}

/// `"key": "value"` pairs of JSON text (one line or several, nested or
/// not) whose key may be credential-like: each key with the byte range of
/// its string value inside the quotes, escapes as written. Line pairs miss
/// `{"db": {"password": "…"}}` on one line.
pub fn json_credential_pairs(text: &str) -> Vec<(&str, usize, usize)> {
    let Some(marks) = key_marks() else {
        return Vec::new();
    };
    let b = text.as_bytes();
    let is_key_byte = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    };
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    // Bytes before `read` belong to a pair already read.
    let mut read = 0;
    for mark in marks.find_iter(text) {
        if mark.start() < read {
            continue;
        }
        let (mut ks, mut ke) = (mark.start(), mark.start());
        while ks > 0 && is_key_byte(ks - 1) {
            ks -= 1;
        }
        while is_key_byte(ke) {
            ke += 1;
        }
        let colon = skip_ws(ke + 1);
        let open = skip_ws(colon + 1);
        let quoted_key = ks > 0 && b.get(ks - 1) == Some(&b'"') && b.get(ke) == Some(&b'"');
        if !quoted_key || b.get(colon) != Some(&b':') || b.get(open) != Some(&b'"') {
            continue;
        }
        let start = open + 1;
        let mut end = start;
        while let Some(c) = b.get(end) {
            match c {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        if end >= b.len() {
            break;
        }
        read = end + 1;
        if let Some(key) = text.get(ks..ke).filter(|k| may_be_credential(k)) {
            if end > start {
                out.push((key, start, end));
            }
        }
    }
    out
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
}

/// The credential pairs of the lines of `text` that hold the byte offsets
/// `positions` (ascending), each line read once.
fn credential_pairs_at(
    text: &str,
    positions: impl Iterator<Item = usize>,
) -> Vec<(&str, usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // Lines that start before `read` have been parsed.
    let mut read = 0;
    for at in positions {
        if at < read {
            continue;
        }
        let start = memchr::memrchr(b'\n', b.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
        let end =
            memchr::memchr(b'\n', b.get(at..).unwrap_or_default()).map_or(b.len(), |i| at + i);
        read = end + 1;
        let body = text
            .get(start..end)
            .unwrap_or_default()
            .trim_end_matches('\r');
        if let Some((k, s, e)) = pair(body) {
            if may_be_credential(k) {
                out.push((k, start + s, start + e));
            }
        }
    }
    out
}

fn pair(line: &str) -> Option<(&str, usize, usize)> {
    let b = line.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if b.get(i) == Some(&b'-') && b.get(i + 1) == Some(&b' ') {
        i = skip_ws(i + 2);
    }
    if line.get(i..).is_some_and(|r| r.starts_with("export ")) {
        i = skip_ws(i + 7);
    }
    let quote = b.get(i).copied().filter(|c| *c == b'"' || *c == b'\'');
    if quote.is_some() {
        i += 1;
    }
    let ks = i;
    while b
        .get(i)
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        i += 1;
    }
    let ke = i;
    if ke == ks {
        return None;
    }
    if let Some(q) = quote {
        if b.get(i) != Some(&q) {
            return None;
        }
        i += 1;
    }
    i = skip_ws(i);
    if !matches!(b.get(i), Some(b':' | b'=')) {
        return None;
    }
    i = skip_ws(i + 1);
    let mut end = line.len();
    while end > i && matches!(b.get(end - 1), Some(b' ' | b'\t' | b',' | b';')) {
        end -= 1;
    }
    let mut start = i;
    match b.get(start).copied() {
        Some(q @ (b'"' | b'\'')) => {
            start += 1;
            if let Some(close) = line.get(start..end).and_then(|r| r.rfind(q as char)) {
                end = start + close;
            }
        }
        _ => {
            // A comment starts at ` #` in an unquoted value.
            let value = b.get(start..end).unwrap_or_default();
            let hash = memchr::memchr_iter(b'#', value)
                .find(|&j| j > 0 && value.get(j - 1) == Some(&b' '));
            if let Some(j) = hash {
                end = start + j - 1;
            }
            while end > start && matches!(b.get(end - 1), Some(b' ' | b'\t')) {
                end -= 1;
            }
        }
    }
    let key = line.get(ks..ke)?;
    (end > start).then_some((key, start, end))
}

#[cfg(test)]
#[path = "filters/tests.rs"]
mod tests;

//! The detector table and the scanner: every token format, the key-name
//! detectors, and one precompiled `RegexSet` so a value is scanned in one pass.
//! `docs/secrets.md` lists the same table for users; keep them in step.

use super::filters::{self, KeyClass};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// What comes before a token: start of text or a character that cannot be
/// part of one. Capturing groups carry the secret, so consuming it is harmless.
const START: &str = r"(?:^|[^0-9A-Za-z_\-])";
/// What comes after a token.
const END: &str = r"(?:[^0-9A-Za-z_\-]|$)";

/// How a token's body must look beyond its regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The regex says it all.
    Any,
    /// Random-looking: at least one digit, one upper and one lower case
    /// letter, so `sk-learn-model-serving` is not an OpenAI key.
    MixedCase,
    /// A PEM block with a body of at least 64 base64 characters.
    PemBody,
}

/// A token format found by its text alone.
pub struct TokenDetector {
    pub id: &'static str,
    pub description: &'static str,
    /// Without START/END; capture group `group` is the secret.
    pub pattern: &'static str,
    pub group: usize,
    pub bounded: bool,
    pub shape: Shape,
}

/// Token formats, most specific first: where two overlap, the earlier wins
/// (`sk-ant-…` is Anthropic, not OpenAI).
pub const TOKEN_DETECTORS: &[TokenDetector] = &[
    TokenDetector {
        id: "private-key",
        description: "PEM private key",
        pattern: r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$))",
        group: 1,
        bounded: false,
        shape: Shape::PemBody,
    },
    TokenDetector {
        id: "aws-access-key-id",
        description: "AWS access key id",
        pattern: r"((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "gcp-api-key",
        description: "Google Cloud API key",
        pattern: r"(AIza[0-9A-Za-z_\-]{35})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "azure-storage-key",
        description: "Azure storage account key",
        pattern: r"(?i:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{40,}={0,2})",
        group: 1,
        bounded: false,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "github-token",
        description: "GitHub token",
        pattern: r"(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{70,255})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "gitlab-token",
        description: "GitLab personal access token",
        pattern: r"(glpat-[A-Za-z0-9_\-]{20,})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "slack-webhook",
        description: "Slack incoming webhook URL",
        pattern: r"(https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{16,})",
        group: 1,
        bounded: false,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "slack-token",
        description: "Slack token",
        pattern: r"(xox[abprs]-[A-Za-z0-9\-]{10,})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "anthropic-api-key",
        description: "Anthropic API key",
        pattern: r"(sk-ant-[A-Za-z0-9_\-]{32,})",
        group: 1,
        bounded: true,
        shape: Shape::MixedCase,
    },
    TokenDetector {
        id: "openai-api-key",
        description: "OpenAI API key",
        pattern: r"(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,})",
        group: 1,
        bounded: true,
        shape: Shape::MixedCase,
    },
    TokenDetector {
        id: "huggingface-token",
        description: "Hugging Face token",
        pattern: r"(hf_[A-Za-z0-9]{30,})",
        group: 1,
        bounded: true,
        shape: Shape::MixedCase,
    },
    TokenDetector {
        id: "databricks-token",
        description: "Databricks token",
        pattern: r"(dapi[0-9a-f]{32}(?:-[0-9])?)",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "stripe-secret-key",
        description: "Stripe live secret key",
        pattern: r"((?:sk|rk)_live_[A-Za-z0-9]{20,})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "npm-token",
        description: "npm access token",
        pattern: r"(npm_[A-Za-z0-9]{36})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        id: "jwt",
        description: "JSON Web Token",
        pattern: r"(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})",
        group: 1,
        bounded: true,
        shape: Shape::Any,
    },
    TokenDetector {
        // Greedy password up to the last `@` before the host, so `p@ss` and
        // `p#ss` (which strict URL parsers reject) are read whole. The scheme
        // starts after a character that cannot be in one: unanchored, every
        // letter of a long alphanumeric value began a match, and the set's
        // lazy DFA gave up for the PikeVM (2 MB took 1 s instead of 17 ms).
        id: "url-password",
        description: "password in a connection string or URL",
        pattern: r#"(?:^|[^A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,30}://[^\s:/@"'<>]*:([^\s"'<>]+)@[A-Za-z0-9._\-\[\]]+"#,
        group: 1,
        bounded: false,
        shape: Shape::Any,
    },
    TokenDetector {
        // libpq (`host=db password=…`), JDBC and ADO.NET (`…;Password=…;`):
        // after another `key=` on the same line, so a lone `password = …`
        // line is left to the keyed detectors and not reported twice.
        id: "connection-string-password",
        description: "password in a connection string",
        pattern: r#"(?i)=[^\n]*?[ \t;?&](?:password|pwd)[ \t]*=[ \t]*([^\s;&"'<>]{4,})"#,
        group: 1,
        bounded: false,
        shape: Shape::Any,
    },
    TokenDetector {
        // The query parameter that makes a URL a credential: an Azure SAS
        // `sig`, an S3 or GCS presigned signature, an STS session token.
        // 20 characters at least, so `sig=REDACTED` is not one.
        id: "signed-url",
        description: "signature or session token of a signed URL",
        pattern: r"(?i)[?&](?:sig|x-amz-signature|x-amz-security-token|x-goog-signature)=([A-Za-z0-9%+/=_\-]{20,})",
        group: 1,
        bounded: false,
        shape: Shape::Any,
    },
];

/// Detectors that need the key a value is stored under.
pub const KEYED_DETECTORS: &[(&str, &str)] = &[
    (
        "gcp-service-account",
        "Google Cloud service-account key (JSON with a private_key)",
    ),
    ("aws-secret-access-key", "AWS secret access key"),
    ("wandb-api-key", "Weights & Biases API key"),
    (
        "high-entropy-credential",
        "high-entropy value under a credential-like key",
    ),
];

/// Marks a GCP service-account JSON; its `private_key` is reported as such.
const SERVICE_ACCOUNT: &str = r#""type"\s*:\s*"service_account""#;
/// A coarse test for credential-like key names in a text: when it does not
/// match, the text's `key: value` lines need no closer look.
const KEYWORD: &str = r"(?i)pass|pwd|secret|token|key|credential|auth|bearer|wandb";

/// One hit: which detector, and the secret's byte range in the scanned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub detector: usize,
    pub start: usize,
    pub end: usize,
}

/// A detector as the scanner knows it (built-in or from `spec.secrets.patterns`).
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Cow<'static, str>,
    pub description: Cow<'static, str>,
    group: usize,
    bounded: bool,
    shape: Shape,
    min_entropy: Option<f64>,
}

/// Every detector, compiled once: token regexes in one `RegexSet` (plus the
/// service-account marker and the keyword test), then each matched regex
/// alone for positions.
pub struct Scanner {
    pub entries: Vec<Entry>,
    set: RegexSet,
    /// One per token entry, in `entries` order (the keyed ones have none).
    regexes: Vec<Regex>,
    tokens: usize,
    service_account: usize,
    keyword: usize,
}

/// A custom pattern from a policy.
pub struct Custom {
    pub id: String,
    pub description: String,
    pub regex: String,
    pub group: Option<usize>,
    pub min_entropy: Option<f64>,
}

const SIZE_LIMIT: usize = 8 << 20;
/// Hits kept per scanned value: enough to report a leaky file, and a bound
/// on the work a hostile value full of tokens can cause.
pub const MAX_HITS: usize = 64;

impl Scanner {
    /// The built-in detectors, compiled on first use.
    pub fn builtin() -> Option<Arc<Scanner>> {
        static BUILTIN: OnceLock<Option<Arc<Scanner>>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Scanner::new(&[]).ok().map(Arc::new))
            .clone()
    }

    /// Built-in detectors plus `custom` ones (already validated one by one).
    pub fn new(custom: &[Custom]) -> Result<Scanner, RegexError> {
        let mut entries = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        for d in TOKEN_DETECTORS {
            entries.push(Entry {
                id: Cow::Borrowed(d.id),
                description: Cow::Borrowed(d.description),
                group: d.group,
                bounded: d.bounded,
                shape: d.shape,
                min_entropy: None,
            });
            patterns.push(bounded(d.pattern, d.bounded));
        }
        for c in custom {
            entries.push(Entry {
                id: Cow::Owned(c.id.clone()),
                description: Cow::Owned(c.description.clone()),
                group: c.group.unwrap_or(0),
                bounded: false,
                shape: Shape::Any,
                min_entropy: c.min_entropy,
            });
            patterns.push(c.regex.clone());
        }
        let tokens = entries.len();
        for (id, description) in KEYED_DETECTORS {
            entries.push(Entry {
                id: Cow::Borrowed(id),
                description: Cow::Borrowed(description),
                group: 0,
                bounded: false,
                shape: Shape::Any,
                min_entropy: None,
            });
        }
        let regexes = patterns
            .iter()
            .map(|p| {
                RegexBuilder::new(p)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .map_err(RegexError::of)
            })
            .collect::<Result<Vec<_>, _>>()?;
        patterns.push(SERVICE_ACCOUNT.to_owned());
        patterns.push(KEYWORD.to_owned());
        let set = RegexSetBuilder::new(&patterns)
            .size_limit(SIZE_LIMIT * 4)
            .build()
            .map_err(RegexError::of)?;
        Ok(Scanner {
            entries,
            set,
            regexes,
            tokens,
            service_account: tokens,
            keyword: tokens + 1,
        })
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Token hits in `text` (one pass of the set, then the matched regexes),
    /// and whether the text has credential-like words at all.
    fn tokens_in(&self, text: &str, hits: &mut Vec<Hit>) -> (bool, bool) {
        let matched = self.set.matches(text);
        if !matched.matched_any() {
            return (false, false);
        }
        for i in matched.iter().filter(|i| *i < self.tokens) {
            let (Some(re), Some(entry)) = (self.regexes.get(i), self.entries.get(i)) else {
                continue;
            };
            for caps in re.captures_iter(text) {
                if hits.len() >= MAX_HITS {
                    break;
                }
                let Some(m) = caps.get(entry.group).or_else(|| caps.get(0)) else {
                    continue;
                };
                let secret = m.as_str();
                if secret.is_empty() || !entry.accepts(secret) {
                    continue;
                }
                hits.push(Hit {
                    detector: i,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        (
            matched.matched(self.service_account),
            matched.matched(self.keyword),
        )
    }

    /// The secrets in a value stored under `key` (a ConfigMap data key, an
    /// env var name), or in a text with no key. Multi-line texts are also
    /// read as `key: value` / `KEY=VALUE` lines.
    pub fn scan(&self, key: Option<&str>, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let (service_account, keyword) = self.tokens_in(text, &mut hits);
        if service_account {
            if let Some(sa) = self.index_of("gcp-service-account") {
                for h in hits.iter_mut() {
                    if self
                        .entries
                        .get(h.detector)
                        .is_some_and(|e| e.id == "private-key")
                    {
                        h.detector = sa;
                    }
                }
            }
        }
        if let Some(key) = key {
            if !text.contains('\n') {
                self.keyed(key, text, 0, &mut hits);
            }
        }
        if keyword && text.contains('\n') {
            for (k, start, end) in filters::credential_line_pairs(text) {
                if hits.len() >= MAX_HITS {
                    break;
                }
                if let Some(v) = text.get(start..end) {
                    self.keyed(k, v, start, &mut hits);
                }
            }
        }
        if keyword {
            self.json_keyed(text, &mut hits);
        }
        dedup(&mut hits);
        hits
    }

    /// Key-name detectors on the string values of a JSON object's
    /// credential-like keys, at any depth.
    fn json_keyed(&self, text: &str, hits: &mut Vec<Hit>) {
        let trimmed = text.trim();
        if !(trimmed.starts_with('{') && trimmed.ends_with('}')) {
            return;
        }
        for (k, start, end) in filters::json_credential_pairs(text) {
            if hits.len() >= MAX_HITS {
                break;
            }
            if let Some(v) = text.get(start..end) {
                self.keyed(k, v, start, hits);
            }
        }
    }

    /// Single-line values under their keys (a ConfigMap's data), scanned
    /// as one text so the set runs once, not once per value: `\n` cannot be
    /// part of a token, so no match spans two values.
    pub fn scan_values(&self, items: &[(&str, &str)]) -> Vec<Vec<Hit>> {
        let total = items.iter().map(|(_, v)| v.len() + 1).sum();
        let mut joined = String::with_capacity(total);
        let mut starts = Vec::with_capacity(items.len());
        for (_, v) in items {
            starts.push(joined.len());
            joined.push_str(v);
            joined.push('\n');
        }
        let mut all = Vec::new();
        self.tokens_in(&joined, &mut all);
        let mut out: Vec<Vec<Hit>> = items.iter().map(|_| Vec::new()).collect();
        for h in all {
            let i = starts.partition_point(|s| *s <= h.start).saturating_sub(1);
            let (Some(base), Some((_, v)), Some(hits)) =
                (starts.get(i), items.get(i), out.get_mut(i))
            else {
                continue;
            };
            hits.push(Hit {
                detector: h.detector,
                start: h.start - base,
                end: h.end.min(base + v.len()) - base,
            });
        }
        for ((k, v), hits) in items.iter().zip(out.iter_mut()) {
            self.keyed(k, v, 0, hits);
            self.json_keyed(v, hits);
            dedup(hits);
        }
        out
    }

    /// Key-name detectors on one value (`offset`: where it is in the text).
    fn keyed(&self, key: &str, value: &str, offset: usize, hits: &mut Vec<Hit>) {
        if !filters::may_be_credential(key) {
            return;
        }
        let segments = filters::segments(key);
        let class = filters::class_of(&segments);
        let has = |s: &str| segments.iter().any(|x| x == s);
        let v = value.trim();
        if v.is_empty()
            || hits
                .iter()
                .any(|h| h.start < offset + value.len() && offset < h.end)
        {
            return;
        }
        let lead = value.len() - value.trim_start().len();
        let at = |id: &str| {
            self.index_of(id).map(|detector| Hit {
                detector,
                start: offset + lead,
                end: offset + lead + v.len(),
            })
        };
        let hit = if has("wandb") && v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            at("wandb-api-key")
        } else if class == KeyClass::None {
            None
        } else if has("aws")
            && has("secret")
            && v.len() == 40
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        {
            at("aws-secret-access-key")
        } else if filters::high_entropy(class, v) {
            at("high-entropy-credential")
        } else {
            None
        };
        if let Some(h) = hit {
            if self.entries.get(h.detector).is_some_and(|e| e.accepts(v)) {
                hits.push(h);
            }
        }
    }
}

impl Entry {
    /// Whether its first characters are a public format prefix (`ghp_`,
    /// `hf_`), safe to show; not for passwords, keys or custom patterns.
    pub fn show_prefix(&self) -> bool {
        self.bounded && matches!(self.id, Cow::Borrowed(_))
    }

    /// Whether a match is a secret: its shape, and not a placeholder,
    /// reference or documented example.
    fn accepts(&self, secret: &str) -> bool {
        let shaped = match self.shape {
            Shape::Any => true,
            Shape::MixedCase => {
                secret.bytes().any(|b| b.is_ascii_digit())
                    && secret.bytes().any(|b| b.is_ascii_uppercase())
                    && secret.bytes().any(|b| b.is_ascii_lowercase())
            }
            Shape::PemBody => {
                // After the `-----BEGIN …-----` header; JSON-escaped `\n` are fine.
                let body = secret
                    .get(5..)
                    .and_then(|s| s.split_once("-----"))
                    .map_or("", |(_, b)| b);
                body.bytes()
                    .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
                    .count()
                    >= 64
            }
        };
        shaped
            && self
                .min_entropy
                .is_none_or(|m| filters::entropy(secret) >= m)
            && filters::not_a_secret(secret).is_none()
            && !(self.bounded && filters::repeated_after_prefix(secret))
    }
}

fn bounded(pattern: &str, bounded: bool) -> String {
    if bounded {
        format!("{START}{pattern}{END}")
    } else {
        pattern.to_owned()
    }
}

/// Drops hits that overlap an earlier detector's (table order = priority).
fn dedup(hits: &mut Vec<Hit>) {
    hits.sort_by_key(|h| (h.detector, h.start));
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits.drain(..) {
        if !kept.iter().any(|k| h.start < k.end && k.start < h.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    *hits = kept;
}

/// Why a regex does not compile, in a line (regex's own message draws a
/// caret under the pattern, which a located error does not need).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegexError {
    #[error("{0}")]
    Syntax(String),
    #[error("regex is too large")]
    TooLarge,
    #[error("invalid regex")]
    Invalid,
}

impl RegexError {
    fn of(e: regex::Error) -> RegexError {
        match e {
            regex::Error::Syntax(s) => RegexError::Syntax(
                s.lines()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or("invalid regex")
                    .to_owned(),
            ),
            regex::Error::CompiledTooBig(_) => RegexError::TooLarge,
            _ => RegexError::Invalid,
        }
    }
}

/// Compiles one custom regex alone, for a located error.
pub fn check_custom_regex(regex: &str) -> Result<Regex, RegexError> {
    RegexBuilder::new(regex)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(RegexError::of)
}

#[cfg(test)]
mod tests;

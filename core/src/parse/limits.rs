//! Limits on what one document may cost to parse (documented in
//! docs/limits.md). The defaults are the constants; a host may raise or
//! lower them per run with [`ParseLimits`] (`--limit depth=N`, the API's
//! `limits`), the nesting depth only up to [`MAX_DEPTH_CEILING`].

/// Deeper nesting than this is rejected by default: it is never real
/// config, and recursive consumers (CEL, serde) would overflow their stacks
/// on much deeper documents.
pub const MAX_DEPTH: usize = 128;
/// The most the nesting depth may be raised to: converting a document to
/// CEL values, dropping it and checking it recurse once per level, and a
/// thread's stack (a wasm module's is 1 MiB) must hold that many levels.
pub const MAX_DEPTH_CEILING: usize = 1000;
/// Upper bound on nodes per document, aliases expanded (billion-laughs guard).
pub const MAX_NODES: usize = 1_000_000;
/// Upper bound on the bytes of keys and scalars per document, aliases
/// expanded: an alias bomb of long strings has few values but many bytes.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// Upper bound on the bytes of JSON pointers one source map keeps.
pub const MAX_POINTER_BYTES: usize = 64 << 20;

/// The limits one document is parsed with. `Default` is the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Levels of mappings and lists inside one another (limit `depth`).
    pub depth: usize,
    /// Values (nodes) per document, aliases expanded (limit `values`).
    pub values: usize,
    /// Bytes of keys and scalars per document, aliases expanded (limit
    /// `document-bytes`); it bounds the length of any one scalar too.
    pub document_bytes: usize,
}

impl ParseLimits {
    /// Today's values: `MAX_DEPTH`, `MAX_NODES`, `MAX_TEXT_BYTES`.
    pub const DEFAULT: ParseLimits = ParseLimits {
        depth: MAX_DEPTH,
        values: MAX_NODES,
        document_bytes: MAX_TEXT_BYTES,
    };
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits::DEFAULT
    }
}

/// What every limit error says after its own words: which limit it was and
/// how to raise it, in terms every host shares.
pub fn raise_note(name: &str) -> String {
    format!(
        "limit `{name}`; raise it with `--limit {name}=…` or the API's `limits`, see docs/limits.md"
    )
}

/// `bytes` as the messages write a size: `64 MiB`, `1 GiB`, `1500 bytes`.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

//! Limits on what one document may cost to parse (documented in docs/limits.md).

/// Deeper nesting than this is rejected: it is never real config, and
/// recursive consumers (CEL, serde) would overflow their stacks on it.
pub const MAX_DEPTH: usize = 128;
/// Upper bound on nodes per document, aliases expanded (billion-laughs guard).
pub const MAX_NODES: usize = 1_000_000;
/// Upper bound on the bytes of keys and scalars per document, aliases
/// expanded: an alias bomb of long strings has few values but many bytes.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// Upper bound on the bytes of JSON pointers one source map keeps.
pub const MAX_POINTER_BYTES: usize = 64 << 20;

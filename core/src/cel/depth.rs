//! A bound on how deep a CEL expression's syntax tree can be, read from its
//! text before the `cel` crate parses it. The crate's parser, its syntax
//! tree and its interpreter all recurse once per level, and chains like
//! `a + b + c ...` or `x[0][0]...` grow the tree one level per operator,
//! which the crate's own nesting limit does not count. A few thousand terms
//! overflowed the stack: a crash natively, and in wasm a trap that leaves
//! the instance unusable. Every host runs this same check, so a policy that
//! loads in one loads in all.

/// Brackets, parentheses and braces inside one another.
pub const MAX_NESTING: usize = 32;
/// Operators, selections and indexes in a row, summed over the nesting levels
/// that enclose them: what the tree's depth grows with.
pub const MAX_CHAIN: usize = 64;

/// Where an expression goes past a bound, and which one.
#[derive(Debug, PartialEq, Eq)]
pub struct TooDeep {
    /// Byte offset in the expression.
    pub offset: usize,
    pub message: String,
}

/// Checks `text` against `MAX_NESTING` and `MAX_CHAIN`. It over-counts
/// (a unary minus counts as an operator, a list literal as an index), never
/// under-counts.
pub fn check(text: &str) -> Result<(), TooDeep> {
    let bytes = text.as_bytes();
    // One chain counter per open bracket, and one for the top level.
    let mut chains: Vec<usize> = vec![0];
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match b {
            b'\'' | b'"' => {
                i = skip_string(bytes, i);
                continue;
            }
            b'/' if next == Some(b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                if b == b'[' {
                    link(&mut chains, i)?;
                }
                chains.push(0);
                if chains.len() - 1 > MAX_NESTING {
                    return Err(TooDeep {
                        offset: i,
                        message: format!(
                            "the expression is nested more than {MAX_NESTING} brackets deep"
                        ),
                    });
                }
            }
            b')' | b']' | b'}' if chains.len() > 1 => {
                chains.pop();
            }
            // A new operand at the same level: `||` and `&&` chains are
            // balanced by the parser, and `,` `?` `:` start a sibling.
            b',' | b'?' | b':' => reset(&mut chains),
            b'|' | b'&' if next == Some(b) => {
                reset(&mut chains);
                i += 1;
            }
            b'.' if next.is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b'`') => {
                link(&mut chains, i)?;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'<' | b'>' => {
                link(&mut chains, i)?;
                if next == Some(b'=') {
                    i += 1;
                }
            }
            b'=' | b'!' if next == Some(b'=') => {
                link(&mut chains, i)?;
                i += 1;
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                // A string prefix (`r'...'`, `b"..."`) is skipped with its string.
                if matches!(bytes.get(i), Some(b'\'' | b'"'))
                    && bytes[start..i]
                        .iter()
                        .all(|c| matches!(c, b'r' | b'R' | b'b' | b'B'))
                {
                    let raw = bytes[start..i].iter().any(|c| matches!(c, b'r' | b'R'));
                    i = if raw {
                        skip_raw_string(bytes, i)
                    } else {
                        skip_string(bytes, i)
                    };
                } else if &bytes[start..i] == b"in" {
                    link(&mut chains, start)?;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn reset(chains: &mut [usize]) {
    if let Some(last) = chains.last_mut() {
        *last = 0;
    }
}

/// Counts one more link in the current chain.
fn link(chains: &mut [usize], offset: usize) -> Result<(), TooDeep> {
    if let Some(last) = chains.last_mut() {
        *last += 1;
    }
    let depth: usize = chains.iter().sum();
    if depth > MAX_CHAIN {
        return Err(TooDeep {
            offset,
            message: format!(
                "the expression chains more than {MAX_CHAIN} operators, selections and indexes"
            ),
        });
    }
    Ok(())
}

/// The index just past the string literal whose opening quote is at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let (quote, len) = quote_at(bytes, start);
    let mut i = start + len;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
        } else if bytes[i..].starts_with(quote) {
            return i + len;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

fn skip_raw_string(bytes: &[u8], start: usize) -> usize {
    let (quote, len) = quote_at(bytes, start);
    let body = &bytes[start + len..];
    body.windows(len)
        .position(|w| w == quote)
        .map_or(bytes.len(), |p| start + len + p + len)
}

/// The closing quote of the literal opening at `start`: `'`, `"`, `'''` or `"""`.
fn quote_at(bytes: &[u8], start: usize) -> (&[u8], usize) {
    let q = bytes[start];
    if bytes[start..].starts_with(&[q, q, q]) {
        (&bytes[start..start + 3], 3)
    } else {
        (&bytes[start..=start], 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<usize> {
        check(text).err().map(|e| e.offset)
    }

    #[test]
    fn everyday_expressions_pass() {
        for text in [
            "object.data.LOG_LEVEL in ['DEBUG', 'INFO'] && int(object.data.BATCH_SIZE) <= 512",
            "object.spec.containers.all(c, c.image.matches('^[a-z./-]+:[0-9.]+$'))",
            "has(object.metadata.labels) ? object.metadata.labels['team'] != '' : false",
            "1.5 * 2.0 >= double(size(object.data)) - 1.0",
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn long_chains_are_refused_where_they_pass_the_bound() {
        let plus = format!("1{}", " + 1".repeat(MAX_CHAIN));
        assert_eq!(check(&plus), Ok(()));
        let over = format!("{plus} + 1");
        assert_eq!(depth_error(&over), Some(over.len() - 3));
        let index = format!("x{}", "[0]".repeat(MAX_CHAIN + 1));
        assert!(depth_error(&index).is_some());
        let select = format!("x{} == 1", ".a".repeat(MAX_CHAIN + 1));
        assert!(depth_error(&select).is_some());
    }

    #[test]
    fn nesting_is_bounded_and_adds_to_chains() {
        let nested = format!("{}1{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(check(&nested), Ok(()));
        let deeper = format!("({nested})");
        assert_eq!(depth_error(&deeper), Some(MAX_NESTING));
        // Chains inside brackets count with the chains around them.
        let half = " + 1".repeat(MAX_CHAIN / 2);
        assert!(check(&format!("1{half} + (1{half})")).is_err());
    }

    #[test]
    fn siblings_and_logical_chains_start_afresh() {
        let term = format!("x{} == 1", ".a".repeat(10));
        let many = vec![term.as_str(); 500];
        assert_eq!(check(&many.join(" || ")), Ok(()));
        assert_eq!(check(&many.join(" && ")), Ok(()));
        assert_eq!(check(&format!("[{}]", many.join(", "))), Ok(()));
    }

    #[test]
    fn strings_and_comments_are_not_read_as_operators() {
        let ops = "+".repeat(500);
        for text in [
            format!("x == '{ops}'"),
            format!("x == \"{ops}\\\"{ops}\""),
            format!("x == '''{ops}'''"),
            format!("x == r'{ops}\\'"),
            format!("x == b\"{ops}\""),
            format!("x == 1 // {ops}\n"),
            format!("x == '{}'", "(".repeat(100)),
        ] {
            assert_eq!(check(&text), Ok(()), "{text}");
        }
    }
}

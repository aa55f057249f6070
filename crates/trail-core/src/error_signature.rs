//! Grouping errors: the same failure at another line number, object address or id
//! must land in the same group.

use sha2::{Digest, Sha256};

/// Hex SHA-256 (first 16 bytes) of the stack trace, or of the message when there is
/// no stack, after stripping digits, hex addresses and runs of whitespace.
pub fn signature(message: &str, stack_trace: Option<&str>) -> String {
    let basis = stack_trace
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(message);
    let digest = Sha256::digest(normalize(basis).as_bytes());
    hex::encode(&digest[..16])
}

/// Removes what varies between occurrences of one error: `0x7ffd…` addresses,
/// digits (line/column numbers, ids, counts) and whitespace differences.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut last_space = false;
    while let Some(c) = chars.next() {
        if c == '0' && matches!(chars.peek(), Some('x' | 'X')) {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                chars.next();
            }
            out.push('@');
            last_space = false;
        } else if c.is_ascii_digit() {
            last_space = false;
        } else if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_line_numbers_and_addresses() {
        let a = "TypeError: x is undefined\n  at render (app.js:120:7)\n  at 0x7ffd1234abcd";
        let b = "TypeError: x is undefined\n    at render (app.js:98:13)\n  at 0x55aa00ff";
        assert_eq!(signature("m1", Some(a)), signature("m2", Some(b)));
    }

    #[test]
    fn different_stacks_differ() {
        let a = "at render (app.js:1:1)";
        let b = "at load (app.js:1:1)";
        assert_ne!(signature("m", Some(a)), signature("m", Some(b)));
    }

    #[test]
    fn falls_back_to_message() {
        assert_eq!(
            signature("timeout after 30s", None),
            signature("timeout after 45s", Some(" "))
        );
        assert_eq!(signature("x", None).len(), 32);
    }
}

//! Splits a search string into terms: `-field:value,value`, `"a phrase"`, `word`.

use super::QueryError;

/// One whitespace-separated term, before its field and values are interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTerm {
    /// 1-based column (in characters) where the term starts, for error messages.
    pub column: usize,
    pub negated: bool,
    /// `Some("user")` for `user:alice`; `None` for free text.
    pub field: Option<String>,
    /// Comma-separated alternatives; quotes removed.
    pub values: Vec<String>,
    /// True when the (single) value was written in quotes.
    pub quoted: bool,
}

pub fn terms(input: &str) -> Result<Vec<RawTerm>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let (term, next) = term(&chars, i)?;
        out.push(term);
        i = next;
    }
    Ok(out)
}

fn term(chars: &[char], start: usize) -> Result<(RawTerm, usize), QueryError> {
    let mut i = start;
    let negated = chars[i] == '-' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
    if negated {
        i += 1;
    }
    let mut field = None;
    if chars[i] != '"' {
        let name_end = (i..chars.len())
            .find(|&j| !is_field_char(chars[j]))
            .unwrap_or(chars.len());
        if name_end > i && chars.get(name_end) == Some(&':') {
            field = Some(
                chars[i..name_end]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase(),
            );
            i = name_end + 1;
        }
    }
    let mut values = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    while i < chars.len() && !chars[i].is_whitespace() {
        match chars[i] {
            '"' => {
                let (text, next) = quoted_text(chars, i)?;
                current.push_str(&text);
                quoted = true;
                i = next;
            }
            ',' if field.is_some() => {
                values.push(std::mem::take(&mut current));
                i += 1;
            }
            c => {
                current.push(c);
                i += 1;
            }
        }
    }
    values.push(current);
    let column = start + 1;
    if field.is_some() && values.iter().any(|v| v.is_empty()) {
        let name = field.unwrap_or_default();
        return Err(QueryError::at(
            column,
            &name,
            format!("'{name}:' needs a value, e.g. {name}:something"),
        ));
    }
    Ok((
        RawTerm {
            column,
            negated,
            field,
            values,
            quoted,
        },
        i,
    ))
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'
}

/// The text of a quoted string starting at `start` (a `"`); `\"` and `\\` escape.
fn quoted_text(chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((text, i + 1)),
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::at(
        start + 1,
        "\"",
        "this quote is never closed".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Vec<RawTerm> {
        terms(s).unwrap()
    }

    #[test]
    fn fields_words_phrases_and_negation() {
        let got =
            t(r#"user:alice -action:created,deleted "sales db" 192.168.1 resource:"Q2 report""#);
        let fields: Vec<Option<&str>> = got.iter().map(|r| r.field.as_deref()).collect();
        assert_eq!(
            fields,
            [Some("user"), Some("action"), None, None, Some("resource")]
        );
        assert!(got[1].negated);
        assert_eq!(got[1].values, ["created", "deleted"]);
        assert_eq!(
            (got[2].values[0].as_str(), got[2].quoted),
            ("sales db", true)
        );
        assert_eq!(got[3].values, ["192.168.1"]);
        assert_eq!(got[4].values, ["Q2 report"]);
        assert_eq!(got[2].column, 36);
    }

    #[test]
    fn a_lone_dash_and_commas_in_free_text_are_text() {
        let got = t("a - b,c");
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].values, ["-"]);
        assert_eq!(got[2].values, ["b,c"]);
    }

    #[test]
    fn quotes_escape_and_must_close() {
        assert_eq!(t(r#""say \"hi\"""#)[0].values, [r#"say "hi""#]);
        let err = terms(r#"user:alice "open"#).unwrap_err();
        assert_eq!(err.column, 12);
        assert!(err.to_string().contains("never closed"));
        let err = terms("status:").unwrap_err();
        assert!(err.to_string().contains("needs a value"), "{err}");
    }
}

//! KDL v1 spellings and unquoted strings in a file the KDL v2 parser refused: the parser's own
//! message ("Expected identifier string") names neither the mistake nor the fix, so each such
//! value gets a diagnostic with what to write instead. Found over [`crate::lex`] tokens, which
//! accept v1 text.

use crate::diag::Code;
use crate::lex::{Tok, Token, is_newline, is_space, tokenize};

/// One mistake: its code, place (byte range), what was written and what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mistake {
    pub code: Code,
    pub start: usize,
    pub end: usize,
    pub written: String,
    pub instead: String,
}

impl Mistake {
    pub(crate) fn message(&self) -> String {
        match self.code {
            Code::V1Keyword => format!("`{}` is KDL v1; zkc reads KDL v2", self.written),
            Code::V1RawString => format!("`{}` is a KDL v1 raw string", self.written),
            _ => format!("`{}` must be quoted", self.written),
        }
    }

    pub(crate) fn label(&self) -> &'static str {
        match self.code {
            Code::V1Keyword => "a v1 keyword",
            Code::V1RawString => "a v1 raw string",
            _ => "not a number nor a bare identifier",
        }
    }

    pub(crate) fn help(&self) -> String {
        format!("write `{}`", self.instead)
    }
}

/// Every v1 keyword, v1 raw string and unquoted non-identifier in value position.
pub(crate) fn mistakes(text: &str) -> Vec<Mistake> {
    let tokens = tokenize(text);
    let mut found = Vec::new();
    let mut node_start = true;
    let mut escaped = false;
    let mut parens = 0usize;
    let mut i = 0;
    while let Some(&t) = tokens.get(i) {
        i += 1;
        match t.kind {
            Tok::Newline if !escaped => node_start = true,
            Tok::Newline => escaped = false,
            Tok::Escline => escaped = true,
            Tok::OpenBrace | Tok::CloseBrace | Tok::Semicolon => node_start = true,
            Tok::OpenParen => parens += 1,
            Tok::CloseParen => parens = parens.saturating_sub(1),
            Tok::Space | Tok::LineComment | Tok::BlockComment | Tok::Slashdash | Tok::Equals => {}
            _ if parens > 0 => {}
            _ if std::mem::take(&mut node_start) => {}
            _ if is_key(&tokens, i) => {}
            Tok::Word => {
                if let Some(m) = mistake_at(text, t) {
                    // Skip the tokens the mistake covers (a v1 raw string is three).
                    while tokens.get(i).is_some_and(|n| n.start < m.end) {
                        i += 1;
                    }
                    found.push(m);
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether the token before `next` is a property key (`key=`).
fn is_key(tokens: &[Token], next: usize) -> bool {
    tokens.get(next).is_some_and(|t| t.kind == Tok::Equals)
}

fn mistake_at(text: &str, t: Token) -> Option<Mistake> {
    let word = &text[t.start..t.end];
    if let Some(m) = v1_raw_string(text, t.start) {
        return Some(m);
    }
    let mistake = |code, end: usize, instead: String| Mistake {
        code,
        start: t.start,
        end,
        written: text[t.start..end].to_owned(),
        instead,
    };
    if matches!(word, "true" | "false" | "null") {
        return Some(mistake(Code::V1Keyword, t.end, format!("#{word}")));
    }
    let end = bare_end(text, t.start);
    let bare = &text[t.start..end];
    if is_number(bare) || is_identifier(bare) || bare.starts_with('#') {
        return None;
    }
    Some(mistake(Code::UnquotedString, end, quoted(bare)))
}

/// `r"…"` or `r#"…"#` at `start`, and its v2 spelling.
fn v1_raw_string(text: &str, start: usize) -> Option<Mistake> {
    let rest = text[start..].strip_prefix('r')?;
    let hashes = rest.bytes().take_while(|&b| b == b'#').count();
    let body = rest[hashes..].strip_prefix('"')?;
    let close = format!("\"{}", "#".repeat(hashes));
    let content = &body[..body.find(&close)?];
    let end = start + 1 + hashes + 1 + content.len() + close.len();
    let mut n = 1;
    while content.contains(&format!("\"{}", "#".repeat(n))) {
        n += 1;
    }
    let fence = "#".repeat(n);
    Some(Mistake {
        code: Code::V1RawString,
        start,
        end,
        written: text[start..end].to_owned(),
        instead: format!("{fence}\"{content}\"{fence}"),
    })
}

/// The end of the run of characters a user meant as one value: up to whitespace, a brace, a
/// semicolon or the start of a comment.
fn bare_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        let comment = rest[i..].starts_with("//") || rest[i..].starts_with("/*");
        if is_space(c) || is_newline(c) || matches!(c, '{' | '}' | ';') || comment {
            end = i;
            break;
        }
    }
    start + end
}

/// A KDL number: decimal (with `_`, fraction, exponent) or `0x`/`0o`/`0b`.
fn is_number(s: &str) -> bool {
    let s = s.replace('_', "");
    let unsigned = s.trim_start_matches(['+', '-']);
    let radix = |prefix: &str, radix: u32| {
        unsigned
            .strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && u128::from_str_radix(d, radix).is_ok())
    };
    radix("0x", 16)
        || radix("0o", 8)
        || radix("0b", 2)
        || (unsigned.starts_with(|c: char| c.is_ascii_digit()) && unsigned.parse::<f64>().is_ok())
}

/// A KDL v2 identifier string, which needs no quotes.
fn is_identifier(s: &str) -> bool {
    let disallowed =
        |c: char| "\\/(){};[]\"#=".contains(c) || is_space(c) || is_newline(c) || c.is_control();
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let unsigned = unsigned.strip_prefix('.').unwrap_or(unsigned);
    !s.is_empty()
        && !s.contains(disallowed)
        && !unsigned.starts_with(|c: char| c.is_ascii_digit())
        && !matches!(s, "true" | "false" | "null" | "inf" | "-inf" | "nan")
}

/// `s` as a KDL quoted string.
fn quoted(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Code, String, String)> {
        mistakes(text)
            .into_iter()
            .map(|m| (m.code, m.written, m.instead))
            .collect()
    }

    #[test]
    fn finds_each_v1_spelling_once() {
        let text = "a true k=false (t)null\nimage r\"x\" r#\"y\"#\nimage docker.io/zk:3.9.4 // c\nv 3.9.4; w 1_000 0x1f -2.5e3 #true zk:1 \"q\" #\"r\"#\n";
        assert_eq!(
            found(text),
            vec![
                (Code::V1Keyword, "true".into(), "#true".into()),
                (Code::V1Keyword, "false".into(), "#false".into()),
                (Code::V1Keyword, "null".into(), "#null".into()),
                (Code::V1RawString, "r\"x\"".into(), "#\"x\"#".into()),
                (Code::V1RawString, "r#\"y\"#".into(), "#\"y\"#".into()),
                (
                    Code::UnquotedString,
                    "docker.io/zk:3.9.4".into(),
                    "\"docker.io/zk:3.9.4\"".into()
                ),
                (Code::UnquotedString, "3.9.4".into(), "\"3.9.4\"".into()),
            ]
        );
    }

    #[test]
    fn node_names_keys_and_annotations_are_not_values() {
        assert!(found("true 1\n(null)n k=1\nn \\\n  2\n").is_empty());
        assert_eq!(
            found("n \\\n  true\n").len(),
            1,
            "a continued line is still values"
        );
    }
}

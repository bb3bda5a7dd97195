//! A small, lossless KDL tokenizer: concatenating the tokens gives back the text, byte for byte.
//! It knows only what `zkc fmt` and the syntax hints need — where strings, comments, newlines,
//! braces and terminators are — so it accepts KDL v1 spellings too (`true`, `r"…"`) instead of
//! failing on them. Everything else is a [`Tok::Word`]. The kdl crate stays the authority on
//! what is valid; this only finds the places.

/// The kind of one token; its text is `&text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Spaces and tabs (and the other KDL whitespace) within a line.
    Space,
    /// One KDL newline (`\r\n` counts as one).
    Newline,
    /// `// …` up to, not including, the newline.
    LineComment,
    /// `/* … */`, nested.
    BlockComment,
    /// `/-`
    Slashdash,
    /// `\` outside a string: the node continues on the next line.
    Escline,
    OpenBrace,
    CloseBrace,
    Semicolon,
    OpenParen,
    CloseParen,
    Equals,
    /// A quoted string, single- or multi-line.
    Str,
    /// A raw string `#"…"#` (any number of `#`).
    RawStr,
    /// Anything else: identifiers, numbers, `#true`, and whatever is not valid KDL.
    Word,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

pub(crate) fn is_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{b}' | '\u{c}' | '\u{2028}' | '\u{2029}'
    )
}

pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// Characters that end a [`Tok::Word`].
fn ends_word(c: char) -> bool {
    is_space(c) || is_newline(c) || matches!(c, '{' | '}' | ';' | '(' | ')' | '=' | '"' | '\\')
}

pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let (kind, end) = next(text, i);
        debug_assert!(end > i, "every token consumes text");
        tokens.push(Token {
            kind,
            start: i,
            end,
        });
        i = end;
    }
    tokens
}

fn next(text: &str, i: usize) -> (Tok, usize) {
    let rest = &text[i..];
    let c = rest.chars().next().expect("not at the end");
    let one = i + c.len_utf8();
    match c {
        '\r' if rest.starts_with("\r\n") => (Tok::Newline, i + 2),
        c if is_newline(c) => (Tok::Newline, one),
        c if is_space(c) => (
            Tok::Space,
            i + rest.find(|c: char| !is_space(c)).unwrap_or(rest.len()),
        ),
        '/' if rest.starts_with("//") => (
            Tok::LineComment,
            i + rest.find(is_newline).unwrap_or(rest.len()),
        ),
        '/' if rest.starts_with("/*") => (Tok::BlockComment, i + block_comment_len(rest)),
        '/' if rest.starts_with("/-") => (Tok::Slashdash, i + 2),
        '\\' => (Tok::Escline, one),
        '{' => (Tok::OpenBrace, one),
        '}' => (Tok::CloseBrace, one),
        ';' => (Tok::Semicolon, one),
        '(' => (Tok::OpenParen, one),
        ')' => (Tok::CloseParen, one),
        '=' => (Tok::Equals, one),
        '"' => (Tok::Str, i + quoted_len(rest)),
        '#' if raw_hashes(rest).is_some() => (Tok::RawStr, i + raw_len(rest)),
        _ => {
            // A lone `/` (invalid KDL) is one word character, so the scan always advances.
            let len = rest[c.len_utf8()..]
                .find(|c: char| ends_word(c) || c == '/')
                .map_or(rest.len(), |n| n + c.len_utf8());
            (Tok::Word, i + len)
        }
    }
}

/// Length of the nested block comment at the start of `rest` (all of it when unclosed).
fn block_comment_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i < b.len() {
        match &b[i..(i + 2).min(b.len())] {
            b"/*" => {
                depth += 1;
                i += 2;
            }
            b"*/" => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// Length of the quoted string at the start of `rest`: `"…"` or `"""…"""`, with escapes.
fn quoted_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let (delim, mut i): (&[u8], usize) = if rest.starts_with("\"\"\"") {
        (b"\"\"\"", 3)
    } else {
        (b"\"", 1)
    };
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
        } else if b[i..].starts_with(delim) {
            return i + delim.len();
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The number of `#` of a raw string starting at `rest`, if one does.
fn raw_hashes(rest: &str) -> Option<usize> {
    let hashes = rest.bytes().take_while(|&c| c == b'#').count();
    (rest.as_bytes().get(hashes) == Some(&b'"')).then_some(hashes)
}

/// Length of the raw string `#"…"#` or `#"""…"""#` at the start of `rest`.
fn raw_len(rest: &str) -> usize {
    let hashes = raw_hashes(rest).expect("a raw string");
    let quotes = if rest[hashes..].starts_with("\"\"\"") {
        3
    } else {
        1
    };
    let close = format!("{}{}", "\"".repeat(quotes), "#".repeat(hashes));
    let body = hashes + quotes;
    rest[body..]
        .find(&close)
        .map_or(rest.len(), |n| body + n + close.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        tokenize(text)
            .into_iter()
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn lossless_and_finds_strings_and_comments() {
        let text = "a \"x // y\" /* b /* c */ d */ k=#\"r\"\"#; // e\r\n/- n (t)1 \\\n{ }";
        let tokens = kinds(text);
        assert_eq!(tokens.iter().map(|t| t.1).collect::<String>(), text);
        assert!(tokens.contains(&(Tok::Str, "\"x // y\"")));
        assert!(tokens.contains(&(Tok::BlockComment, "/* b /* c */ d */")));
        assert!(tokens.contains(&(Tok::RawStr, "#\"r\"\"#")));
        assert!(tokens.contains(&(Tok::LineComment, "// e")));
        assert!(tokens.contains(&(Tok::Newline, "\r\n")));
        assert!(tokens.contains(&(Tok::Escline, "\\")));
    }

    #[test]
    fn multi_line_strings_are_one_token() {
        let text = "a \"\"\"\n  x \\\"\"\"\n  \"\"\" #\"\"\"\n \"#\n \"\"\"#";
        let tokens = kinds(text);
        assert_eq!(tokens[2], (Tok::Str, "\"\"\"\n  x \\\"\"\"\n  \"\"\""));
        assert_eq!(tokens[4], (Tok::RawStr, "#\"\"\"\n \"#\n \"\"\"#"));
    }

    #[test]
    fn unclosed_things_run_to_the_end() {
        for text in ["a \"open", "/* open /* */", "#\"open", "/", "a/b"] {
            assert_eq!(kinds(text).iter().map(|t| t.1).collect::<String>(), text);
        }
    }
}

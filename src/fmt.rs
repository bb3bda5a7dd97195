//! `zkc fmt`: the canonical layout of spec files — four-space indentation by block depth, one
//! node per line, single spaces between tokens, at most one blank line between paragraphs, none
//! at the start or end of a block — done as a re-indentation of the tokens of [`crate::lex`].
//! The kdl crate's `autoformat` drops comments between entries and at line ends, so it is not
//! used: here every token is written back unchanged, in order (comments, slashdashed nodes,
//! the spelling of every value); only the whitespace between tokens changes, and a `;` between
//! nodes becomes the newline it stands for.
//!
//! The result is parsed again and compared with the input, ignoring layout: a formatter bug
//! can never change what a spec means.

use kdl::{KdlDocument, KdlError};

use crate::lex::{Tok, Token, tokenize};

const INDENT: &str = "    ";
const BOM: char = '\u{feff}';

#[derive(Debug, thiserror::Error)]
pub enum FmtError {
    #[error(transparent)]
    Syntax(#[from] KdlError),
    /// The canonical layout would parse differently: a bug in the formatter, never written.
    #[error(
        "formatting would change the meaning of the file (a zkc bug; the file is left as it is)"
    )]
    WouldChangeMeaning,
}

pub fn format(text: &str) -> Result<String, FmtError> {
    let before = KdlDocument::parse_v2(text)?;
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(body) => (BOM.to_string(), body),
        None => (String::new(), text),
    };
    let formatted = bom + &layout(body);
    let same =
        KdlDocument::parse_v2(&formatted).is_ok_and(|after| meaning(after) == meaning(before));
    if same {
        Ok(formatted)
    } else {
        Err(FmtError::WouldChangeMeaning)
    }
}

/// The document without its layout and comments: what the compiler reads.
pub(crate) fn meaning(mut doc: KdlDocument) -> KdlDocument {
    doc.clear_format_recursive();
    doc
}

fn layout(text: &str) -> String {
    let tokens = tokenize(text);
    let mut w = Writer::default();
    let mut i = 0;
    while let Some(&t) = tokens.get(i) {
        let s = &text[t.start..t.end];
        match t.kind {
            Tok::Space => w.space = true,
            Tok::Newline => w.newline(),
            Tok::Semicolon => w.terminate(s),
            Tok::Escline => {
                w.push(s);
                w.escaped = true;
            }
            Tok::OpenBrace => {
                w.push(s);
                w.depth += 1;
                let next = next_solid(&tokens, i + 1);
                match next.map(|(_, t)| t.kind) {
                    // `{}` stays together.
                    Some(Tok::CloseBrace) => {
                        w.depth -= 1;
                        w.space = false;
                        w.push("}");
                        i = next.expect("a token").0;
                    }
                    // An end-of-line comment stays after the brace.
                    None | Some(Tok::Newline | Tok::LineComment) => {}
                    Some(_) => w.break_line(),
                }
            }
            Tok::CloseBrace => {
                w.break_line();
                w.depth = w.depth.saturating_sub(1);
                w.push(s);
            }
            _ => w.push(s),
        }
        i += 1;
    }
    w.break_line();
    w.out
}

/// The next token that is not a space, with its index.
fn next_solid(tokens: &[Token], from: usize) -> Option<(usize, Token)> {
    tokens
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, t)| t.kind != Tok::Space)
        .map(|(i, t)| (i, *t))
}

#[derive(Default)]
struct Writer {
    out: String,
    /// The current line without its indentation.
    line: String,
    /// Indentation of the current line, fixed by its first token.
    line_depth: usize,
    depth: usize,
    /// Whitespace came before the next token.
    space: bool,
    /// A blank line came before the next token.
    blank: bool,
    /// The last line was ended by `;` or a brace, so the source's own newline after it is
    /// not an empty line.
    ended_early: bool,
    /// The current line ends with `\`: the next line continues the node.
    escaped: bool,
    continuation: bool,
    /// The last line written opened a block (no blank line directly inside it).
    opened: bool,
}

impl Writer {
    fn push(&mut self, token: &str) {
        if self.line.is_empty() {
            let closes = token == "}";
            if self.blank && !self.out.is_empty() && !self.opened && !closes {
                self.out.push('\n');
            }
            self.blank = false;
            self.ended_early = false;
            self.line_depth = self.depth + usize::from(self.continuation);
        } else if self.space {
            self.line.push(' ');
        }
        self.line.push_str(token);
        self.space = false;
    }

    fn newline(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        } else if self.ended_early {
            self.ended_early = false;
        } else {
            self.blank = true;
        }
    }

    /// A `;`: the node ends here, and so does the line.
    fn terminate(&mut self, semicolon: &str) {
        if self.line.is_empty() {
            // Not between nodes (the kdl crate accepted it, so it means something): kept.
            self.push(semicolon);
        }
        self.break_line();
    }

    /// Ends the current line where the source had no newline.
    fn break_line(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
            self.ended_early = true;
        }
    }

    fn end_line(&mut self) {
        for _ in 0..self.line_depth {
            self.out.push_str(INDENT);
        }
        self.out.push_str(&self.line);
        self.out.push('\n');
        self.opened = self.line.ends_with('{');
        self.line.clear();
        self.space = false;
        self.continuation = std::mem::take(&mut self.escaped);
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn canonical_layout_keeps_comments_quotes_and_paragraphs() {
        let input = "// top\nenvironment   \"a\"   {\n  import    \"lib/base.kdl\"\n\n\n      // the ensemble\n  ensemble \"zk\" {   servers 3 ; image \"x:1\" }\n  labels team=\"a\"\n}\n\n\ntemplate \"small\" { servers 1 }\n";
        let expected = "// top\nenvironment \"a\" {\n    import \"lib/base.kdl\"\n\n    // the ensemble\n    ensemble \"zk\" {\n        servers 3\n        image \"x:1\"\n    }\n    labels team=\"a\"\n}\n\ntemplate \"small\" {\n    servers 1\n}\n";
        assert_eq!(format(input).unwrap(), expected);
        assert_eq!(format(expected).unwrap(), expected, "idempotent");
    }

    #[test]
    fn keeps_end_of_line_inline_and_slashdash_comments() {
        let input = "environment \"a\" { // why\n  ensemble \"zk\" {\n    servers 5 // we lost a rack in 2023\n    storage \"30Gi\" /* SSD only */ class=\"fast\"\n  /- image \"old\"\n    labels /- team=\"x\" a=\"b\" /* nested /* ok */ */\n  }\n}\n";
        let expected = "environment \"a\" { // why\n    ensemble \"zk\" {\n        servers 5 // we lost a rack in 2023\n        storage \"30Gi\" /* SSD only */ class=\"fast\"\n        /- image \"old\"\n        labels /- team=\"x\" a=\"b\" /* nested /* ok */ */\n    }\n}\n";
        assert_eq!(format(input).unwrap(), expected);
        assert_eq!(format(expected).unwrap(), expected, "idempotent");
    }

    #[test]
    fn continuation_lines_and_multi_line_strings_are_kept() {
        let input = "a 1 \\ // more\n2 \"\"\"\n   x\n   \"\"\"\n   b {}\n";
        let expected = "a 1 \\ // more\n    2 \"\"\"\n   x\n   \"\"\"\nb {}\n";
        assert_eq!(format(input).unwrap(), expected);
        assert_eq!(format(expected).unwrap(), expected, "idempotent");
    }
}

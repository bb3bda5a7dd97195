//! Stage 2: spec text → KDL documents (with spans), syntax errors as diagnostics.

use kdl::KdlDocument;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};

mod v1;

/// Deeper nesting than this is refused before it can exhaust the stack of a recursive walk.
/// Real specs nest four levels (`environment` → `ensemble` → `zoo-cfg` → `autopurge`).
pub const MAX_DEPTH: usize = 32;

/// One parsed file; `None` where the file had syntax errors (already reported).
pub struct Parsed {
    pub docs: Vec<Option<KdlDocument>>,
}

pub fn parse_all(sources: &SourceMap, diags: &mut Diagnostics) -> Parsed {
    let ids: Vec<FileId> = sources.ids().collect();
    let docs = crate::diag::par_map(ids, diags, |id, diags| parse_file(sources, id, diags));
    Parsed { docs }
}

fn parse_file(sources: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Option<KdlDocument> {
    // Reported as ZK0060 already; the text kept for the snippet is not the whole file.
    if sources.unreadable.iter().any(|(f, _, _)| *f == file) {
        return None;
    }
    let text = sources.get(file).text.as_str();
    if let Some(deep) = too_deep(text) {
        diags.push(
            Diagnostic::new(
                Code::Syntax,
                format!("{} too deeply (more than {MAX_DEPTH} levels, or chains of more than {MAX_CHAIN})", deep.what),
            )
            .at(file, miette::SourceSpan::new(deep.offset.into(), 1), "too deep")
            .help("zkc specs need a handful of levels; flatten the structure"),
        );
        return None;
    }
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(doc),
        Err(err) => {
            report_errors(text, file, err, diags);
            None
        }
    }
}

/// One diagnostic per mistake: each KDL v1 spelling or unquoted string with what to write
/// instead, then the parser's own errors that are not about those places.
fn report_errors(text: &str, file: FileId, err: kdl::KdlError, diags: &mut Diagnostics) {
    let mistakes = v1::mistakes(text);
    for m in &mistakes {
        diags.push(
            Diagnostic::new(m.code, m.message())
                .at(
                    file,
                    miette::SourceSpan::new(m.start.into(), m.end - m.start),
                    m.label(),
                )
                .help(m.help()),
        );
    }
    let explained = |span: miette::SourceSpan| {
        mistakes
            .iter()
            .any(|m| span.offset() < m.end && m.start < span.offset() + span.len().max(1))
    };
    let causes = root_causes(err.diagnostics);
    let only_follow_on = !mistakes.is_empty();
    for d in causes {
        if explained(d.span) || (only_follow_on && is_follow_on(&d)) {
            continue;
        }
        let message = d.message.unwrap_or_else(|| "invalid KDL".to_owned());
        let help = d.help.unwrap_or_else(|| {
            "KDL v2: strings in quotes, booleans #true/#false, blocks in { }".to_owned()
        });
        diags.push(
            Diagnostic::new(Code::Syntax, message)
                .at(file, d.span, d.label.unwrap_or_else(|| "here".to_owned()))
                .help(help),
        );
    }
}

fn is_follow_on(d: &kdl::KdlDiagnostic) -> bool {
    matches!(d.label.as_deref(), Some("not closed" | "not EOF"))
}

/// The kdl parser recovers from an error by reporting every block it can no longer close and
/// everything after it ("No closing '}'", "Expected end of document"): one bad number became
/// eight errors. Those follow-on errors are dropped when a real cause is among them.
fn root_causes(errors: Vec<kdl::KdlDiagnostic>) -> Vec<kdl::KdlDiagnostic> {
    if errors.iter().all(is_follow_on) {
        return errors.into_iter().take(1).collect();
    }
    errors.into_iter().filter(|d| !is_follow_on(d)).collect()
}

/// Longest chain of slashdashes (`/- /- node`) or of type annotations (`(a)(b)1`) accepted
/// before parsing: the parser recurses (and, for slashdashes, backtracks) once per link, so a
/// few thousand links overflowed its stack or took minutes. Real specs use one.
pub const MAX_CHAIN: usize = 8;

/// Why a text is refused before parsing, and where.
#[derive(Debug, PartialEq)]
pub(crate) struct TooDeep {
    pub offset: usize,
    pub what: &'static str,
}

/// The first place where nesting (`{`, `/*` block comments) exceeds [`MAX_DEPTH`] or a chain
/// of slashdashes or type annotations exceeds [`MAX_CHAIN`]. A small scanner that skips
/// strings and line comments, so braces in quoted text do not count.
pub(crate) fn too_deep(text: &str) -> Option<TooDeep> {
    let b = text.as_bytes();
    let (mut i, mut braces, mut comments, mut slashdashes, mut annotations) =
        (0, 0usize, 0usize, 0usize, 0usize);
    let refuse = |offset, what| Some(TooDeep { offset, what });
    while i < b.len() {
        let two = &b[i..(i + 2).min(b.len())];
        if comments > 0 {
            match two {
                b"/*" => {
                    comments += 1;
                    if comments > MAX_DEPTH {
                        return refuse(i, "block comments nest");
                    }
                    i += 2;
                }
                b"*/" => {
                    comments -= 1;
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match (b[i], two) {
            (_, b"/*") => {
                comments = 1;
                i += 2;
                continue;
            }
            (_, b"//") => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            (_, b"/-") => {
                slashdashes += 1;
                if slashdashes > MAX_CHAIN {
                    return refuse(i, "slashdashes follow each other");
                }
                i += 2;
                continue;
            }
            (b'"', _) => i = string_end(b, i),
            (b'#', b"#\"") | (b'#', b"##") => i = raw_string_end(b, i),
            (b'(', _) => {
                annotations += 1;
                if annotations > MAX_CHAIN {
                    return refuse(i, "type annotations follow each other");
                }
                i = text[i..].find(')').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            (b'{', _) => {
                braces += 1;
                if braces > MAX_DEPTH {
                    return refuse(i, "blocks nest");
                }
                i += 1;
            }
            (b'}', _) => {
                braces = braces.saturating_sub(1);
                i += 1;
            }
            (c, _) if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            _ => i += 1,
        }
        slashdashes = 0;
        annotations = 0;
    }
    None
}

/// Just past the quoted string starting at `start` (or the end of the text).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Just past the raw string `#"…"#` (any number of `#`) starting at `start`.
fn raw_string_end(b: &[u8], start: usize) -> usize {
    let hashes = b[start..].iter().take_while(|&&c| c == b'#').count();
    let open = start + hashes;
    if b.get(open) != Some(&b'"') {
        return open;
    }
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    b[open + 1..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map_or(b.len(), |p| open + 1 + p + close.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_kind_of_deep_nesting_and_long_chains() {
        let deep = |t: &str| too_deep(t).map(|d| d.what);
        assert_eq!(deep(&"a {".repeat(40)), Some("blocks nest"));
        assert_eq!(deep(&"/*".repeat(3600)), Some("block comments nest"));
        assert_eq!(
            deep(&format!("{}x", "/- ".repeat(3000))),
            Some("slashdashes follow each other")
        );
        assert_eq!(
            deep(&format!("x {}1", "(a)".repeat(30000))),
            Some("type annotations follow each other")
        );
    }

    #[test]
    fn accepts_what_specs_really_contain() {
        let deep = |t: &str| too_deep(t).map(|d| d.what);
        assert_eq!(
            deep("a { b { c { d 1; }; }; }\n/- e 1\nf (final)\"x\"\n"),
            None
        );
        assert_eq!(deep(&format!("x \"{}\"\n", "{".repeat(100))), None);
        assert_eq!(deep(&format!("x #\"{}\"#\n", "(a)/-".repeat(100))), None);
        assert_eq!(deep(&"/- n 1\n".repeat(2000)), None);
        assert_eq!(deep("// {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n"), None);
    }
}

//! Stage 2: spec text → KDL documents (with spans), syntax errors as diagnostics.

use kdl::KdlDocument;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};

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
    let text = sources.get(file).text.as_str();
    if let Some(offset) = too_deep(text) {
        diags.push(
            Diagnostic::new(
                Code::Syntax,
                format!("blocks nest more than {MAX_DEPTH} levels deep"),
            )
            .at(file, miette::SourceSpan::new(offset.into(), 1), "too deep")
            .help("zkc specs need a handful of levels; flatten the structure"),
        );
        return None;
    }
    match KdlDocument::parse_v2(text) {
        Ok(doc) => Some(doc),
        Err(err) => {
            for d in err.diagnostics {
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
            None
        }
    }
}

/// Offset of the first `{` beyond [`MAX_DEPTH`], ignoring braces inside strings and comments
/// only roughly: a false alarm needs 32 nested braces in string literals.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

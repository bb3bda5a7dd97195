//! `zkc fmt`: the canonical layout of spec files, built on the kdl crate's `autoformat` (comments
//! kept, four-space indentation, one node per line). Two things autoformat would lose are kept:
//! how each value is written (`"staging"` stays quoted, `0x10` stays hexadecimal), and one blank
//! line where the author separated nodes by one or more.

use kdl::{KdlDocument, KdlError};

pub fn format(text: &str) -> Result<String, KdlError> {
    let mut doc = KdlDocument::parse_v2(text)?;
    let breaks = paragraph_breaks(&doc);
    keep_value_reprs(&mut doc);
    doc.autoformat();
    restore(&mut doc, &mut breaks.into_iter());
    Ok(doc.to_string())
}

/// For every node in document order: whether a blank line separated it from the node before.
/// The previous node's terminator holds the first newline, so a newline in the whitespace
/// before a node's leading comments means an empty line.
fn paragraph_breaks(doc: &KdlDocument) -> Vec<bool> {
    let mut out = Vec::new();
    for (i, node) in doc.nodes().iter().enumerate() {
        let leading = node.format().map(|f| f.leading.as_str()).unwrap_or("");
        out.push(
            i > 0
                && leading
                    .trim_start_matches([' ', '\t'])
                    .starts_with(['\n', '\r']),
        );
        if let Some(children) = node.children() {
            out.extend(paragraph_breaks(children));
        }
    }
    out
}

fn keep_value_reprs(doc: &mut KdlDocument) {
    for node in doc.nodes_mut() {
        for entry in node.entries_mut() {
            entry.keep_format();
        }
        if let Some(children) = node.children_mut() {
            keep_value_reprs(children);
        }
    }
}

fn restore(doc: &mut KdlDocument, breaks: &mut impl Iterator<Item = bool>) {
    for node in doc.nodes_mut() {
        if breaks.next() == Some(true)
            && let Some(f) = node.format_mut()
        {
            f.leading.insert(0, '\n');
        }
        for entry in node.entries_mut() {
            if let Some(f) = entry.format_mut() {
                f.leading = " ".into();
            }
        }
        if let Some(children) = node.children_mut() {
            restore(children, breaks);
        }
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
}

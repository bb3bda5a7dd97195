//! Stage 1: the spec files on disk, loaded once into memory.
//!
//! Every later stage refers to a file by [`FileId`] and to a place in it by a byte span, so a
//! diagnostic can always be rendered against the exact text the compiler read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::SourceSpan;

/// Spec files larger than this are refused: a hand-written spec is a few kilobytes, and the limit
/// keeps a stray generated file from making the compiler crawl.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// What a file under the specs directory is to zkc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A `*.kdl` spec or library.
    Spec,
    /// A `*.yaml`/`*.yml` file an environment may ship with `manifests`: read only when named.
    Manifest,
}

#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the specs directory, with `/` separators (stable across machines); imports
    /// name files by it.
    pub rel: String,
    /// The path as the user knows it (the specs directory as given, joined with `rel`); shown in
    /// diagnostics so that editors and CI annotations find the file.
    pub name: String,
    pub text: Arc<String>,
    pub kind: FileKind,
}

/// A place in a spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

/// A byte range; `miette::SourceSpan` is not `Ord`, which provenance maps need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl From<SourceSpan> for Span {
    fn from(s: SourceSpan) -> Self {
        Span {
            offset: s.offset(),
            len: s.len(),
        }
    }
}

impl From<Span> for SourceSpan {
    fn from(s: Span) -> Self {
        SourceSpan::new(s.offset.into(), s.len)
    }
}

#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// `*.kdl` paths (relative) that are symbolic links: never read, so a spec tree cannot pull
    /// in files from outside the specs directory; remembered to explain a failing import.
    links: Vec<String>,
    /// Files that could not be read as a spec (too large, unreadable, not UTF-8): the file, the
    /// byte offset of the problem in the text kept (empty, or valid up to it) and why. They are
    /// reported as ZK0060 with every other problem of the run, instead of ending the run at
    /// the first one.
    pub unreadable: Vec<(FileId, usize, String)>,
    /// The same for manifests, reported only when an environment names the file.
    pub unreadable_manifests: Vec<(FileId, usize, String)>,
}

impl SourceMap {
    pub fn add(&mut self, rel: String, name: String, text: String) -> FileId {
        self.add_kind(rel, name, text, FileKind::Spec)
    }

    pub fn add_kind(&mut self, rel: String, name: String, text: String, kind: FileKind) -> FileId {
        self.files.push(SourceFile {
            rel,
            name,
            text: Arc::new(text),
            kind,
        });
        FileId(self.files.len() - 1)
    }

    /// Adds every file of `other` (for commands that read several paths).
    pub fn append(&mut self, other: SourceMap) {
        let shift = self.files.len();
        self.files.extend(other.files);
        self.links.extend(other.links);
        let shifted = |list: Vec<(FileId, usize, String)>| {
            list.into_iter()
                .map(move |(id, offset, why)| (FileId(id.0 + shift), offset, why))
        };
        self.unreadable.extend(shifted(other.unreadable));
        self.unreadable_manifests
            .extend(shifted(other.unreadable_manifests));
        self.specs_first();
    }

    /// Puts the spec files before the manifests, in their order: the later stages keep per-file
    /// tables indexed by the spec files' `FileId`s.
    fn specs_first(&mut self) {
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| self.files[i].kind == FileKind::Manifest);
        let mut new_id = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = new;
        }
        let mut files: Vec<Option<SourceFile>> = std::mem::take(&mut self.files)
            .into_iter()
            .map(Some)
            .collect();
        self.files = order
            .iter()
            .map(|&i| files[i].take().expect("each file once"))
            .collect();
        for list in [&mut self.unreadable, &mut self.unreadable_manifests] {
            for (id, _, _) in list.iter_mut() {
                *id = FileId(new_id[id.0]);
            }
        }
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn is_link(&self, rel: &str) -> bool {
        self.links.iter().any(|l| l == rel)
    }

    /// The spec file at `rel`.
    pub fn find(&self, rel: &str) -> Option<FileId> {
        self.find_kind(rel, FileKind::Spec)
    }

    /// The manifest file at `rel`.
    pub fn find_manifest(&self, rel: &str) -> Option<FileId> {
        self.find_kind(rel, FileKind::Manifest)
    }

    fn find_kind(&self, rel: &str, kind: FileKind) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.rel == rel && f.kind == kind)
            .map(FileId)
    }

    /// The spec files, in path order.
    pub fn ids(&self) -> impl Iterator<Item = FileId> + '_ {
        self.ids_of(FileKind::Spec)
    }

    /// The manifest files, in path order.
    pub fn manifest_ids(&self) -> impl Iterator<Item = FileId> + '_ {
        self.ids_of(FileKind::Manifest)
    }

    fn ids_of(&self, kind: FileKind) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len())
            .filter(move |&i| self.files[i].kind == kind)
            .map(FileId)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let text = &self.get(file).text;
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let (mut line, mut column) = (1, 1);
        let mut chars = before.chars().peekable();
        while let Some(c) = chars.next() {
            // CRLF is one line break; a CR at the very end of `before` may be the first half.
            let crlf = c == '\r' && chars.peek() == Some(&'\n');
            if is_kdl_newline(c) && !crlf {
                line += 1;
                column = 1;
            } else if !crlf {
                column += 1;
            }
        }
        (line, column)
    }
}

/// The line breaks of KDL v2 (spec, "Newline"): LF, CR (and CRLF as one), NEL, VT, FF, LS, PS.
/// Counting only LF put diagnostics on the wrong line in JSON and GitHub output.
fn is_kdl_newline(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{b}' | '\u{c}' | '\u{2028}' | '\u{2029}'
    )
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Why the specs directory could not be read at all (as opposed to a spec being wrong).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the specs directory {}: {source}", path.display())]
    Walk {
        path: PathBuf,
        source: walkdir::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the specs directory {} does not exist", path.display())]
    Missing { path: PathBuf },
}

/// Reads every `*.kdl` file below `dir`, and every `*.yaml`/`*.yml` file an environment may
/// name in `manifests`, in sorted path order. Symbolic links are not followed, so a spec tree can
/// never pull in files from elsewhere on the machine.
pub fn load_dir(dir: &Path) -> Result<SourceMap, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::Missing {
            path: dir.to_owned(),
        });
    }
    let mut map = SourceMap::default();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|source| LoadError::Walk {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("kdl") => FileKind::Spec,
            Some("yaml" | "yml") => FileKind::Manifest,
            _ => continue,
        };
        if entry.file_type().is_symlink() {
            map.links.push(relative_name(dir, path));
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative_name(dir, path);
        let name = display_path(dir, &rel);
        let (text, problem) = read_spec(path, entry.metadata().map(|m| m.len()).unwrap_or(0));
        let id = map.add_kind(rel, name, text, kind);
        if let Some((offset, why)) = problem {
            match kind {
                FileKind::Spec => map.unreadable.push((id, offset, why)),
                FileKind::Manifest => map.unreadable_manifests.push((id, offset, why)),
            }
        }
    }
    map.specs_first();
    Ok(map)
}

/// A spec file's text, or as much of it as can be kept with where and why reading failed.
fn read_spec(path: &Path, size: u64) -> (String, Option<(usize, String)>) {
    if size > MAX_FILE_BYTES {
        let why = format!("it is {size} bytes; spec files are limited to {MAX_FILE_BYTES} bytes");
        return (String::new(), Some((0, why)));
    }
    match std::fs::read(path) {
        Err(e) => (String::new(), Some((0, e.to_string()))),
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let kept = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
                (
                    kept,
                    Some((offset, "it is not valid UTF-8 from here".into())),
                )
            }
        },
    }
}

/// `path` relative to `dir`, with `/` separators on every platform.
pub fn relative_name(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn display_path(dir: &Path, rel: &str) -> String {
    let dir = dir.to_string_lossy();
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir == "." {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn every_kdl_newline_starts_a_line() {
        for newline in [
            "\n", "\r\n", "\r", "\u{85}", "\u{c}", "\u{2028}", "\u{2029}", "\u{b}",
        ] {
            let mut map = SourceMap::default();
            let text = format!("a{newline}bb{newline}ccc");
            let file = map.add("a.kdl".into(), "a.kdl".into(), text.clone());
            let offset = text.find("ccc").unwrap() + 1;
            assert_eq!(map.line_col(file, offset), (3, 2), "{newline:?}");
        }
    }
}

//! Diagnostics as data: every problem zkc reports is a [`Diagnostic`] with a stable [`Code`],
//! labelled places in the user's spec files and a help line. Rendering (miette for people,
//! JSON and GitHub workflow commands for machines) lives in [`render`].

pub mod render;

use crate::source::{FileId, Loc, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal, $explanation:literal; )*) => {
        /// Every diagnostic zkc can emit. The code string is stable: users grep for it, CI logs
        /// link to it, and `zkc explain CODE` prints its long explanation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One line: what kind of problem this is.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }

            /// The long explanation: why it matters, an example of the mistake, and the fix.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$variant => $explanation,)* }
            }
        }
    };
}

include!("diag/codes.rs");

impl Code {
    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }
}

/// A labelled place in a spec file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub loc: Loc,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// The first label is the primary location; further ones show related places (the other
    /// side of a conflict, the definition that was overridden, …).
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn at(mut self, file: FileId, span: impl Into<Span>, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            loc: Loc {
                file,
                span: span.into(),
            },
            text: text.into(),
        });
        self
    }

    pub fn at_loc(self, loc: Loc, text: impl Into<String>) -> Self {
        self.at(loc.file, loc.span, text)
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn primary(&self) -> Option<Loc> {
        self.labels.first().map(|l| l.loc)
    }
}

/// All problems of one run, reported together.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    /// The diagnostics in file order (then position, then code), duplicates removed: the same
    /// library problem is found once per environment that imports it but reported once.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (a.primary(), a.code, &a.message).cmp(&(b.primary(), b.code, &b.message))
        });
        self.items.dedup();
        self.items
    }
}

/// Maps `f` over `items` on all cores, each call with its own diagnostics, merged afterwards;
/// results keep the order of `items` (diagnostics are sorted by location at the end anyway).
pub fn par_map<I, T, F>(items: Vec<I>, diags: &mut Diagnostics, f: F) -> Vec<T>
where
    I: Send,
    T: Send,
    F: Fn(I, &mut Diagnostics) -> T + Sync,
{
    use rayon::prelude::*;
    let results: Vec<(T, Diagnostics)> = items
        .into_par_iter()
        .map(|item| {
            let mut local = Diagnostics::default();
            let value = f(item, &mut local);
            (value, local)
        })
        .collect();
    results
        .into_iter()
        .map(|(value, local)| {
            diags.extend(local);
            value
        })
        .collect()
}

/// Names longer than this get no suggestion (no setting or key is half as long).
const MAX_SUGGESTED_NAME: usize = 100;

/// "did you mean" for a misspelt name: the closest candidate within a small edit distance.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Nothing sensible is within a third of a very long name, and the distance is quadratic.
    if name.chars().count() > MAX_SUGGESTED_NAME {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The help line for an unknown name: the suggestion if there is one, and the valid names.
pub fn unknown_name_help(name: &str, valid: &[&str]) -> String {
    let list = valid.join(", ");
    match did_you_mean(name, valid.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? valid here: {list}"),
        None => format!("valid here: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("sever", ["servers", "image"]), Some("servers"));
        assert_eq!(
            did_you_mean("tik-time", ["tick-time", "init-limit"]),
            Some("tick-time")
        );
        assert_eq!(did_you_mean("completely-else", ["servers", "image"]), None);
    }

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(
                code.explanation().contains("Example"),
                "{} lacks an example",
                code.as_str()
            );
        }
    }
}

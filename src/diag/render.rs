//! Rendering diagnostics for people (miette's graphical reports) and for machines (JSON lines,
//! GitHub Actions workflow commands).

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};

use super::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
    Github,
}

pub fn render(d: &Diagnostic, sources: &SourceMap, format: MessageFormat, color: bool) -> String {
    match format {
        MessageFormat::Human => human(d, sources, color),
        MessageFormat::Json => json(d, sources),
        MessageFormat::Github => github(d, sources),
    }
}

fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let report = MietteView::new(d, sources);
    // Writing into a String cannot fail.
    let _ = handler.render_report(&mut out, &report);
    out
}

/// One diagnostic seen through miette's trait. Labels in the primary file are drawn on its
/// snippet; labels in other files become related reports with their own snippet.
struct MietteView {
    code: &'static str,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<Arc<String>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteView>,
}

impl MietteView {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Self {
        let primary_file = d.primary().map(|l| l.file);
        let mut related_by_file: Vec<(FileId, Vec<LabeledSpan>)> = Vec::new();
        let mut labels = Vec::new();
        for (i, label) in d.labels.iter().enumerate() {
            let text = printable(&label.text).into_owned();
            let span = LabeledSpan::new_with_span(Some(text.clone()), label.loc.span);
            let span = if i == 0 {
                LabeledSpan::new_primary_with_span(Some(text), label.loc.span)
            } else {
                span
            };
            if Some(label.loc.file) == primary_file {
                labels.push(span);
            } else if let Some((_, v)) = related_by_file
                .iter_mut()
                .find(|(f, _)| *f == label.loc.file)
            {
                v.push(span);
            } else {
                related_by_file.push((label.loc.file, vec![span]));
            }
        }
        let related = related_by_file
            .into_iter()
            .map(|(file, labels)| MietteView {
                code: d.code.as_str(),
                // Another file of the same problem: shown as advice under it.
                severity: miette::Severity::Advice,
                message: format!("see also {}", sources.get(file).name),
                help: None,
                source: named(sources, file),
                labels,
                related: Vec::new(),
            })
            .collect();
        MietteView {
            code: d.code.as_str(),
            severity: match d.severity() {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            message: printable(&d.message).into_owned(),
            help: d.help.as_deref().map(|h| printable(h).into_owned()),
            source: primary_file.and_then(|f| named(sources, f)),
            labels,
            related,
        }
    }
}

fn named(sources: &SourceMap, file: FileId) -> Option<NamedSource<Arc<String>>> {
    let f = sources.get(file);
    // miette's snippet renderer counts columns in u16 and panics past 65,535; no one reads a
    // snippet of such a line anyway. The diagnostic keeps its message and help.
    if f.text.lines().any(|l| l.len() > MAX_SNIPPET_LINE) {
        return None;
    }
    Some(
        NamedSource::new(f.name.clone(), Arc::new(printable(&f.text).into_owned()))
            .with_language("kdl"),
    )
}

/// Longest line drawn in a snippet.
const MAX_SNIPPET_LINE: usize = 10_000;

/// Text safe to print on a terminal: control characters and bidirectional overrides from a
/// spec would otherwise reach it raw (escape sequences can rewrite the screen). Each is replaced
/// by a visible character of the same UTF-8 length, so spans keep pointing at the same bytes.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            c if !unsafe_char(c) => c,
            c if c.len_utf8() == 1 => '?',
            c if c.len_utf8() == 2 => '\u{bf}',
            _ => '\u{fffd}',
        })
        .collect::<String>()
        .into()
}

impl fmt::Debug for MietteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView {}

impl miette::Diagnostic for MietteView {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Where a diagnostic is, as file name and 1-based line/column of its start and end.
struct Position<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn position<'a>(d: &Diagnostic, sources: &'a SourceMap) -> Option<Position<'a>> {
    let loc = d.primary()?;
    let (line, column) = sources.line_col(loc.file, loc.span.offset);
    let (end_line, end_column) = sources.line_col(loc.file, loc.span.offset + loc.span.len);
    Some(Position {
        file: &sources.get(loc.file).name,
        line,
        column,
        end_line,
        end_column,
    })
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn json(d: &Diagnostic, sources: &SourceMap) -> String {
    let pos = position(d, sources);
    let related: Vec<_> = d
        .labels
        .iter()
        .skip(1)
        .map(|l| {
            let (line, column) = sources.line_col(l.loc.file, l.loc.span.offset);
            serde_json::json!({ "file": sources.get(l.loc.file).name, "line": line, "column": column, "message": l.text })
        })
        .collect();
    let value = serde_json::json!({
        "code": d.code.as_str(),
        "severity": severity_word(d.severity()),
        "message": d.message,
        "file": pos.as_ref().map(|p| p.file),
        "line": pos.as_ref().map(|p| p.line),
        "column": pos.as_ref().map(|p| p.column),
        "end_line": pos.as_ref().map(|p| p.end_line),
        "end_column": pos.as_ref().map(|p| p.end_column),
        "label": d.labels.first().map(|l| &l.text),
        "help": d.help,
        "related": related,
    });
    format!("{value}\n")
}

/// A GitHub Actions workflow command; file names are as the user passed the specs directory, so
/// run from the repository root they land on the right file of the pull request.
fn github(d: &Diagnostic, sources: &SourceMap) -> String {
    let level = severity_word(d.severity());
    let mut message = printable(&d.message).into_owned();
    if let Some(h) = d.help.as_deref().map(printable) {
        message.push_str("\nhelp: ");
        message.push_str(&h);
    }
    let title = format!("{} {}", d.code.as_str(), d.code.title());
    match position(d, sources) {
        Some(p) => format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column,
            escape_property(&title),
            escape_data(&message)
        ),
        None => format!(
            "::{level} title={}::{}\n",
            escape_property(&title),
            escape_data(&message)
        ),
    }
}

// Escaping rules of workflow commands (actions/toolkit, packages/core/src/command.ts).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

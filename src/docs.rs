//! Reference pages generated from the tables the compiler itself uses: the diagnostic catalogue
//! (`docs/diagnostics.md`, from [`crate::diag::Code`]) and the spec reference
//! (`docs/spec-reference.md`, from [`crate::schema`]). Tests fail when the committed pages are
//! stale; `ZKC_BLESS=1 cargo test --test docs` regenerates them.

use std::fmt::Write;

use crate::diag::{Code, Severity};
use crate::schema::{self, Default, Kind, Setting, Shape};

pub fn diagnostics_catalogue() -> String {
    let mut out = String::from(
        "# Diagnostic catalogue\n\n\
         Generated from `src/diag/codes.rs` by `cargo test --test docs`; do not edit by hand.\n\
         `zkc explain CODE` prints the same text.\n\n| code | severity | title |\n| --- | --- | --- |\n",
    );
    for code in Code::ALL {
        let _ = writeln!(
            out,
            "| [{0}](#{1}) | {2} | {3} |",
            code.as_str(),
            code.as_str().to_lowercase(),
            severity(code.severity()),
            code.title()
        );
    }
    for code in Code::ALL {
        let _ = write!(
            out,
            "\n## {}\n\n**{}**: {}\n\n```text\n{}\n```\n",
            code.as_str(),
            severity(code.severity()),
            code.title(),
            code.explanation()
        );
    }
    out
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub fn spec_reference() -> String {
    let mut out = String::from(
        "# Spec reference\n\n\
         Generated from `src/schema.rs`, the table the parser reads, by `cargo test --test docs`;\n\
         do not edit by hand.\n\n\
         ## Files\n\n\
         Every `*.kdl` file under the specs directory is read, in sorted path order. Top-level nodes:\n\n\
         | node | meaning |\n| --- | --- |\n\
         | `environment \"NAME\" { … }` | an environment; the file is then an environment file |\n\
         | `template \"NAME\" [extends=\"T\"] { … }` | ensemble settings to extend; visible in its file and to importers |\n\
         | `defaults { … }` | ensemble settings for every environment importing this library (libraries only) |\n\
         | `import \"PATH\" …` | another library, relative to the specs directory (libraries only) |\n\n\
         Layers, lowest first: built-in defaults → imported libraries' `defaults` → the environment's\n\
         `defaults` → the `extends` chain (base first) → the ensemble. Maps merge key by key; lists\n\
         and records are replaced whole; `(final)` on a value or node pins it.\n\n\
         ## Environment settings\n\n\
         Inside `environment \"NAME\" { … }`, besides `import \"PATH\"`, `defaults { … }` and\n\
         `ensemble \"NAME\" [extends=\"TEMPLATE\"] [{ … }]`:\n\n",
    );
    table(&mut out, schema::ENVIRONMENT_SETTINGS, "", "");
    out.push_str("\n## Ensemble settings\n\nValid in `ensemble`, `template` and `defaults`:\n\n");
    table(&mut out, schema::ENSEMBLE_SETTINGS, "", "");
    out
}

/// `parent` names the item a nested table belongs to (`sidecars sidecar `), so that the
/// headings of items inside items stay unique.
fn table(out: &mut String, settings: &[Setting], prefix: &str, parent: &str) {
    out.push_str(
        "| setting | value | default | description | example |\n| --- | --- | --- | --- | --- |\n",
    );
    let mut blocks = Vec::new();
    for s in settings {
        let name = format!("{prefix}{}", s.name);
        let (value, default) = match s.shape {
            Shape::Value(kind) => (kind.describe(), default_text(s.default)),
            Shape::List(kind) => (
                format!("a list of {}", plural(kind)),
                default_text(s.default),
            ),
            Shape::Map => (
                "a map: `\"key\"=\"value\"` properties".to_owned(),
                "empty".to_owned(),
            ),
            Shape::Block(inner) => {
                blocks.push((name.clone(), inner, parent.to_owned()));
                (
                    format!("a block, see [`{name}`](#{})", name.replace('.', "")),
                    "-".to_owned(),
                )
            }
            Shape::Items { item, settings } => {
                let heading = format!("{parent}{name} {item}");
                blocks.push((heading.clone(), settings, format!("{heading} ")));
                (
                    format!(
                        "a block of `{item} \"NAME\"` nodes (a setting with one value may be a property of the node), see [`{heading}`](#{})",
                        heading.replace(' ', "-").replace('.', "")
                    ),
                    "none".to_owned(),
                )
            }
            Shape::Records { item, props } => (
                format!("a block of `{item}` nodes with {}", prop_list(props)),
                "none".to_owned(),
            ),
            Shape::Props { arg, props } => {
                let mut v = String::new();
                if let Some((_, kind)) = arg {
                    let _ = write!(v, "argument: {}", kind.describe());
                }
                if !props.is_empty() {
                    if !v.is_empty() {
                        v.push_str("; ");
                    }
                    v.push_str(&prop_list(props));
                }
                let d = if arg.is_some() {
                    default_text(s.default)
                } else {
                    "see properties".to_owned()
                };
                (v, d)
            }
        };
        let _ = writeln!(
            out,
            "| `{name}` | {value} | {default} | {} | `{}` |",
            s.doc,
            s.example.replace('|', "\\|")
        );
    }
    for (name, inner, parent) in blocks {
        let _ = writeln!(out, "\n### {name}\n");
        table(out, inner, "", &parent);
    }
}

fn prop_list(props: &[schema::Prop]) -> String {
    let items: Vec<String> = props
        .iter()
        .map(|p| {
            format!(
                "`{}=` {} (default: {}; {})",
                p.name,
                p.kind.describe(),
                default_text(p.default),
                p.doc
            )
        })
        .collect();
    format!("properties {}", items.join(", "))
}

fn plural(kind: Kind) -> String {
    match kind {
        Kind::Str => "strings".into(),
        other => other.describe(),
    }
}

fn default_text(d: Default) -> String {
    match d {
        Default::Unset => "unset".into(),
        Default::Int(i) => format!("`{i}`"),
        Default::Str(s) => format!("`\"{s}\"`"),
        Default::Bool(b) => format!("`#{b}`"),
        Default::List([]) => "empty".into(),
        Default::List(l) => l
            .iter()
            .map(|s| format!("`\"{s}\"`"))
            .collect::<Vec<_>>()
            .join(" "),
        Default::Derived(how) => how.to_owned(),
    }
}

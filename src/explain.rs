//! `zkc explain`: the long explanation of a diagnostic code, or a resolved ensemble with the
//! origin of every value.

use std::fmt::Write;

use crate::diag::Code;
use crate::model::{Ensemble, Environment};
use crate::resolve::{Layer, Origin};
use crate::source::SourceMap;

pub fn code(code: Code) -> String {
    format!(
        "{} ({}): {}\n\n{}\n",
        code.as_str(),
        match code.severity() {
            crate::diag::Severity::Error => "error",
            crate::diag::Severity::Warning => "warning",
        },
        code.title(),
        code.explanation()
    )
}

pub fn ensemble(sources: &SourceMap, env: &Environment, e: &Ensemble) -> String {
    let mut out = String::new();
    let (line, col) = sources.line_col(e.loc.file, e.loc.span.offset);
    let _ = writeln!(
        out,
        "ensemble {}/{} (namespace {}), declared at {}:{line}:{col}",
        env.name,
        e.name,
        env.namespace.value,
        sources.get(e.loc.file).name
    );
    let width = e
        .leaves
        .keys()
        .map(|k| k.to_string().len())
        .max()
        .unwrap_or(0);
    for (key, resolved) in &e.leaves {
        let from = origin(sources, &resolved.origin);
        let pin = if resolved.is_final { " (final)" } else { "" };
        let _ = writeln!(
            out,
            "  {:<width$}  {}{pin}  ← {from}",
            key.to_string(),
            resolved.value
        );
    }
    let derived = [
        (
            "resources.cpu-limit",
            &e.cpu_limit.value.text,
            "the CPU request",
        ),
        (
            "resources.memory-limit",
            &e.memory_limit.value.text,
            "the memory request",
        ),
        (
            "heap",
            &e.heap.value.text,
            "three quarters of the memory limit",
        ),
        (
            "client-service.name",
            &e.client_service_name.value,
            "the ensemble name",
        ),
    ];
    for (key, value, rule) in derived {
        if !e.leaves.keys().any(|k| k.path == key) {
            let _ = writeln!(out, "  {key:<width$}  {value:?}  ← derived: {rule}");
        }
    }
    out
}

fn origin(sources: &SourceMap, origin: &Origin) -> String {
    match origin {
        Origin::Builtin => "built-in default".to_owned(),
        Origin::Spec { loc, layer } => {
            let (line, col) = sources.line_col(loc.file, loc.span.offset);
            let layer = match layer {
                Layer::Library => "library defaults".to_owned(),
                Layer::EnvironmentDefaults => "environment defaults".to_owned(),
                Layer::Template(t) => format!("template \"{t}\""),
                Layer::Ensemble => "ensemble".to_owned(),
                Layer::Environment => "environment".to_owned(),
            };
            format!("{}:{line}:{col} ({layer})", sources.get(loc.file).name)
        }
    }
}

//! `zkc explain`: the long explanation of a diagnostic code, or a resolved ensemble with the
//! origin of every value.

use std::fmt::Write;

use crate::diag::Code;
use crate::model::{Ensemble, Environment};
use crate::resolve::{Layer, Origin, Value};
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

/// A diagnostic code as one JSON object (`zkc explain CODE --message-format json`).
pub fn code_json(code: Code) -> serde_json::Value {
    serde_json::json!({
        "code": code.as_str(),
        "severity": match code.severity() {
            crate::diag::Severity::Error => "error",
            crate::diag::Severity::Warning => "warning",
        },
        "title": code.title(),
        "explanation": code.explanation(),
    })
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
    for (key, value, rule) in derived(e) {
        if !e.leaves.keys().any(|k| k.path == key) {
            let _ = writeln!(out, "  {key:<width$}  {value:?}  ← derived: {rule}");
        }
    }
    out
}

/// The resolved ensemble as one JSON object (`zkc explain --message-format json`): every value
/// with its origin, for scripts and editors.
pub fn ensemble_json(sources: &SourceMap, env: &Environment, e: &Ensemble) -> serde_json::Value {
    let place = |loc: &crate::source::Loc| {
        let (line, column) = sources.line_col(loc.file, loc.span.offset);
        serde_json::json!({ "file": sources.get(loc.file).name, "line": line, "column": column })
    };
    let mut values = serde_json::Map::new();
    for (key, resolved) in &e.leaves {
        let origin = match &resolved.origin {
            Origin::Builtin => serde_json::json!({ "layer": "built-in" }),
            Origin::Spec { loc, layer } => {
                let mut o = place(loc);
                o["layer"] = layer_name(layer).into();
                o
            }
        };
        values.insert(
            key.to_string(),
            serde_json::json!({
                "value": json_value(&resolved.value),
                "final": resolved.is_final,
                "origin": origin,
            }),
        );
    }
    for (key, value, rule) in derived(e) {
        if !values.contains_key(key) {
            values.insert(
                key.to_owned(),
                serde_json::json!({
                    "value": value,
                    "final": false,
                    "origin": { "layer": "derived", "rule": rule },
                }),
            );
        }
    }
    serde_json::json!({
        "environment": env.name,
        "ensemble": e.name,
        "namespace": env.namespace.value,
        "declared": place(&e.loc),
        "values": values,
    })
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => (*i).into(),
        Value::Str(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Quantity(q) => q.text.clone().into(),
        Value::List(l) => l.clone().into(),
        Value::Records(r) => r
            .iter()
            .map(|record| {
                record
                    .iter()
                    .map(|(k, v)| (k.clone(), json_value(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect::<Vec<serde_json::Value>>()
            .into(),
        Value::Items(items) => items
            .iter()
            .map(|item| {
                let mut fields = serde_json::Map::new();
                fields.insert("name".into(), item.name.clone().into());
                for (key, def) in &item.leaves {
                    fields.insert(key.to_string(), json_value(&def.value));
                }
                serde_json::Value::Object(fields)
            })
            .collect::<Vec<serde_json::Value>>()
            .into(),
        // Never resolved into an ensemble: invalid values are replaced before the model.
        Value::Invalid => serde_json::Value::Null,
    }
}

/// Values computed from others when the spec does not set them, with the rule.
fn derived(e: &Ensemble) -> [(&'static str, &str, &'static str); 4] {
    [
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
    ]
}

fn layer_name(layer: &Layer) -> String {
    match layer {
        Layer::Library => "library defaults".to_owned(),
        Layer::EnvironmentDefaults => "environment defaults".to_owned(),
        Layer::Template(t) => format!("template \"{t}\""),
        Layer::Ensemble => "ensemble".to_owned(),
        Layer::Environment => "environment".to_owned(),
    }
}

fn origin(sources: &SourceMap, origin: &Origin) -> String {
    match origin {
        Origin::Builtin => "built-in default".to_owned(),
        Origin::Spec { loc, layer } => {
            let (line, col) = sources.line_col(loc.file, loc.span.offset);
            let layer = layer_name(layer);
            format!("{}:{line}:{col} ({layer})", sources.get(loc.file).name)
        }
    }
}

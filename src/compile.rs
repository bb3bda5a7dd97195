//! The whole pipeline in one call: spec files → diagnostics and the output tree.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::check::{self, Deployed};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{self, Environment};
use crate::render::{self, Tree};
use crate::source::{self, LoadError, SourceMap};
use crate::{resolve, syntax};

pub struct Compilation {
    pub sources: SourceMap,
    /// Every problem found, in file order.
    pub diagnostics: Vec<Diagnostic>,
    pub environments: Vec<Environment>,
    /// The output tree; `None` when there are errors, so nothing half-checked is ever written.
    pub tree: Option<Tree>,
    /// Time spent in each stage, in pipeline order.
    pub timings: Vec<(&'static str, Duration)>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.tree.is_none()
    }
}

pub fn compile_dir(specs: &Path, deployed: &dyn Deployed) -> Result<Compilation, LoadError> {
    let started = Instant::now();
    let sources = source::load_dir(specs)?;
    let read = started.elapsed();
    let mut compilation = compile(sources, deployed);
    compilation.timings.insert(0, ("read specs", read));
    Ok(compilation)
}

pub fn compile(sources: SourceMap, deployed: &dyn Deployed) -> Compilation {
    let mut timings = Vec::new();
    let mut stage = Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, stage.elapsed()));
        stage = Instant::now();
    };
    let mut diags = Diagnostics::default();
    for (file, offset, why) in &sources.unreadable {
        diags.push(
            Diagnostic::new(
                Code::UnreadableSpec,
                format!("{} cannot be read: {why}", sources.get(*file).name),
            )
            .at(*file, miette::SourceSpan::new((*offset).into(), 0), "here")
            .help(
                "save spec files as UTF-8 text of at most 1 MiB, readable by the user running zkc",
            ),
        );
    }
    let parsed = syntax::parse_all(&sources, &mut diags);
    lap("parse");
    let resolved = resolve::resolve(&sources, &parsed, &mut diags);
    // The KDL documents keep every token's formatting; nothing needs them past resolution.
    drop(parsed);
    lap("resolve");
    let mut environments = model::build(&sources, resolved);
    crate::manifests::load(&sources, &mut environments, &mut diags);
    if let Some(prefix) = deployed.path_prefix() {
        crate::repo::apply_path_prefix(&mut environments, prefix, &mut diags);
    }
    check::check(&environments, deployed, &mut diags);
    // Patches apply to the emitted objects, which need a model without errors; the patch
    // files' own problems are reported either way.
    let model_ok = !diags.has_errors();
    crate::patches::load(&sources, &mut environments, &mut diags);
    if model_ok {
        crate::patches::check(&environments, &mut diags);
    }
    lap("check");
    let mut tree = None;
    if !diags.has_errors() {
        match render::environments(&environments) {
            Ok(rendered) => {
                // `zkc check` reads `out/` as the build's result, not as what runs today.
                if !deployed.is_build_result() {
                    crate::plan::guard(
                        &environments,
                        &rendered,
                        deployed,
                        deployed.allowed(),
                        &mut diags,
                    );
                }
                if !diags.has_errors() {
                    tree = Some(rendered);
                }
            }
            Err(duplicate) => diags.push(
                Diagnostic::new(Code::ObjectNameClash, duplicate.to_string()).help(
                    "nothing was written; this is a bug in zkc: please report it with the specs",
                ),
            ),
        }
    }
    lap("emit and render");
    Compilation {
        sources,
        diagnostics: diags.into_sorted(),
        environments,
        tree,
        timings,
    }
}

/// Nothing deployed: for compiling without an output directory (tests, `explain`).
pub struct NothingDeployed;

impl Deployed for NothingDeployed {
    fn servers(&self, _: &str, _: &str) -> Option<i64> {
        None
    }
}

//! The whole pipeline in one call: spec files → diagnostics and the output tree.

use std::path::Path;

use crate::check::{self, Deployed};
use crate::diag::{Diagnostic, Diagnostics};
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
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.tree.is_none()
    }
}

pub fn compile_dir(specs: &Path, deployed: &dyn Deployed) -> Result<Compilation, LoadError> {
    Ok(compile(source::load_dir(specs)?, deployed))
}

pub fn compile(sources: SourceMap, deployed: &dyn Deployed) -> Compilation {
    let mut diags = Diagnostics::default();
    let parsed = syntax::parse_all(&sources, &mut diags);
    let resolved = resolve::resolve(&sources, &parsed, &mut diags);
    let environments = model::build(&sources, resolved);
    check::check(&environments, deployed, &mut diags);
    let tree = (!diags.has_errors()).then(|| render::environments(&environments));
    Compilation {
        sources,
        diagnostics: diags.into_sorted(),
        environments,
        tree,
    }
}

/// Nothing deployed: for compiling without an output directory (tests, `explain`).
pub struct NothingDeployed;

impl Deployed for NothingDeployed {
    fn servers(&self, _: &str, _: &str) -> Option<i64> {
        None
    }
}

//! Where the output directory sits in its git repository, so the Argo CD and Flux objects point
//! at the right path without the user repeating it in every spec.

use std::path::{Component, Path, PathBuf};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Environment, Sp};
use crate::resolve::Origin;

/// The path of `out` relative to the root of the git repository holding it (the nearest
/// directory above with a `.git`), with `/` separators; `None` outside a repository or when
/// `out` is the root itself.
pub fn path_in_repository(out: &Path) -> Option<String> {
    let out = resolved(out)?;
    let root = out.ancestors().skip(1).find(|d| d.join(".git").exists())?;
    let rel: Vec<String> = out
        .strip_prefix(root)
        .ok()?
        .components()
        .map(|c| match c {
            Component::Normal(n) => n.to_str().map(str::to_owned),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!rel.is_empty()).then(|| rel.join("/"))
}

/// `path` absolute with links and `.`/`..` resolved, for a path that need not exist yet: its
/// nearest existing ancestor is canonicalized and the rest appended.
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return Some(rest.iter().rev().fold(canonical, |p, n| p.join(n)));
        }
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
}

/// The default `path-prefix` of every Argo CD and Flux object becomes `prefix`; one the spec
/// sets to something else is kept, with a warning naming the right one.
pub(crate) fn apply_path_prefix(envs: &mut [Environment], prefix: &str, diags: &mut Diagnostics) {
    for env in envs {
        let argocd = env.argocd.as_mut().map(|a| (&mut a.path_prefix, a.loc));
        let flux = env.flux.as_mut().map(|f| (&mut f.path_prefix, f.loc));
        for (setting, (value, loc)) in [("argocd", argocd), ("flux", flux)]
            .into_iter()
            .filter_map(|(s, v)| Some((s, v?)))
        {
            match &value.origin {
                Origin::Builtin => value.value = prefix.to_owned(),
                Origin::Spec { .. } if same_path(&value.value, prefix) => {}
                Origin::Spec { .. } => diags.push(mismatch(setting, value, prefix, loc)),
            }
        }
    }
}

fn mismatch(
    setting: &str,
    value: &Sp<String>,
    prefix: &str,
    fallback: crate::source::Loc,
) -> Diagnostic {
    Diagnostic::new(
        Code::PathPrefixMismatch,
        format!(
            "{setting} path-prefix=\"{}\" does not match where the output directory sits in the git repository (\"{prefix}\")",
            value.value
        ),
    )
    .at_loc(value.loc_or(fallback), "set here")
    .help(format!(
        "remove `path-prefix` to use the derived \"{prefix}\", or write path-prefix=\"{prefix}\""
    ))
}

fn same_path(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_owned();
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_output_directory_in_its_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("deploy/zk/specs")).unwrap();
        assert_eq!(
            path_in_repository(&root.join("out")).as_deref(),
            Some("out")
        );
        assert_eq!(
            path_in_repository(&root.join("deploy/zk/specs/../out")).as_deref(),
            Some("deploy/zk/out")
        );
        assert_eq!(path_in_repository(root), None, "the root itself");
        let outside = tempfile::tempdir().unwrap();
        assert_eq!(path_in_repository(&outside.path().join("out")), None);
    }
}

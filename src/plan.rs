//! Stage 8: what this build does to the ensembles already deployed. The output tree is compared
//! with `out/`, the record of what the cluster runs, and the changes the cluster cannot take in
//! place (an immutable StatefulSet field) or that destroy an ensemble (a removed StatefulSet) are
//! errors unless the command line allows them by name. Resizes are checked earlier, in
//! `check`, because their acknowledgement lives in the spec.

use serde_yaml::Value;

use crate::check::Deployed;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Ensemble, Environment};
use crate::render::Tree;
use crate::resolve::Origin;
use crate::source::Loc;

/// What the command line allows this build to do to deployed ensembles.
#[derive(Debug, Default, Clone)]
pub struct Allowed {
    /// `--allow-removal NAMESPACE[/ENSEMBLE]`.
    pub removal: Vec<String>,
    /// `--allow-recreate NAMESPACE/ENSEMBLE`.
    pub recreate: Vec<String>,
}

/// Nothing allowed: what `zkc check` and library callers compile with.
pub static NOTHING_ALLOWED: Allowed = Allowed {
    removal: Vec::new(),
    recreate: Vec::new(),
};

impl Allowed {
    fn removal_of(&self, namespace: &str, ensemble: &str) -> bool {
        self.removal
            .iter()
            .any(|a| a == namespace || *a == format!("{namespace}/{ensemble}"))
    }

    fn recreate_of(&self, namespace: &str, ensemble: &str) -> bool {
        self.recreate
            .iter()
            .any(|a| *a == format!("{namespace}/{ensemble}"))
    }
}

/// The StatefulSet fields the API server lets an update change; every other field of its
/// `spec` is immutable. Source: kubernetes pkg/apis/apps/validation/validation.go,
/// `ValidateStatefulSetUpdate` ("updates to statefulset spec for fields other than 'replicas',
/// 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit',
/// 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"); the
/// control-plane suite shows the refusal.
const MUTABLE_STATEFULSET_FIELDS: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

pub fn guard(
    environments: &[Environment],
    tree: &Tree,
    deployed: &dyn Deployed,
    allowed: &Allowed,
    diags: &mut Diagnostics,
) {
    for env in environments {
        for e in &env.ensembles {
            immutable_fields(env, e, tree, deployed, allowed, diags);
        }
    }
    removed_ensembles(environments, tree, deployed, allowed, diags);
}

fn statefulset_path(namespace: &str, ensemble: &str) -> String {
    format!("{namespace}/statefulset-{ensemble}.yaml")
}

/// ZK0068: the API server refuses the update, so the GitOps sync would fail and keep failing.
fn immutable_fields(
    env: &Environment,
    e: &Ensemble,
    tree: &Tree,
    deployed: &dyn Deployed,
    allowed: &Allowed,
    diags: &mut Diagnostics,
) {
    let ns = &env.namespace.value;
    let path = statefulset_path(ns, &e.name);
    let (Some(old), Some(new)) = (deployed.file(&path), tree.get(&path)) else {
        return;
    };
    let changed = changed_immutable_fields(&parse(old), &parse(new));
    if changed.is_empty() || allowed.recreate_of(ns, &e.name) {
        return;
    }
    let mut diagnostic = Diagnostic::new(
        Code::ImmutableChange,
        format!(
            "StatefulSet {ns}/{}: {} cannot change on a running StatefulSet",
            e.name,
            changed.join(", ")
        ),
    );
    for field in &changed {
        let (loc, label) = setting_of(e, field, &parse(old), &parse(new));
        diagnostic = diagnostic.at_loc(loc, label);
    }
    diags.push(diagnostic.help(format!(
        "follow `zkc explain ZK0068` (orphan-delete the StatefulSet, keep the pods and volumes), then build with `--allow-recreate {ns}/{}`",
        e.name
    )));
}

fn changed_immutable_fields(old: &Value, new: &Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old["spec"].as_mapping(), new["spec"].as_mapping()) else {
        return Vec::new();
    };
    let mut keys: Vec<&str> = old
        .keys()
        .chain(new.keys())
        .filter_map(Value::as_str)
        .filter(|k| !MUTABLE_STATEFULSET_FIELDS.contains(k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(str::to_owned)
        .collect()
}

/// The spec setting that produces an immutable field, and what changed in it.
fn setting_of(e: &Ensemble, field: &str, old: &Value, new: &Value) -> (Loc, String) {
    match field {
        "volumeClaimTemplates" => {
            let volumes = e.datalog.iter().chain(std::iter::once(&e.storage));
            let loc = volumes
                .flat_map(|v| {
                    [&v.size.origin]
                        .into_iter()
                        .chain(v.class.as_ref().map(|c| &c.origin))
                })
                .find_map(|origin| match origin {
                    Origin::Spec { loc, .. } => Some(*loc),
                    Origin::Builtin => None,
                })
                .unwrap_or(e.loc);
            (loc, claims_change(old, new))
        }
        "podManagementPolicy" => (e.pod_management.loc_or(e.loc), "podManagementPolicy".into()),
        other => (e.loc, other.to_owned()),
    }
}

/// ZK0067: a StatefulSet in `out/` that this build no longer produces. Argo CD and Flux prune
/// it, and its servers with it; the volumes stay only if their retention policy keeps them.
fn removed_ensembles(
    environments: &[Environment],
    tree: &Tree,
    deployed: &dyn Deployed,
    allowed: &Allowed,
    diags: &mut Diagnostics,
) {
    for path in deployed.statefulsets() {
        if tree.contains_key(&path) {
            continue;
        }
        let Some((ns, name)) = path
            .strip_suffix(".yaml")
            .and_then(|p| p.split_once("/statefulset-"))
        else {
            continue;
        };
        if allowed.removal_of(ns, name) {
            continue;
        }
        let servers = deployed.servers(ns, name).unwrap_or(0);
        let env = environments.iter().find(|env| env.namespace.value == ns);
        let renamed = tree
            .keys()
            .filter(|p| p.starts_with(&format!("{ns}/statefulset-")))
            .find(|p| deployed.file(p).is_none())
            .and_then(|p| p.strip_suffix(".yaml")?.split_once("/statefulset-"))
            .map(|(_, new)| new.to_owned());
        let mut diagnostic = Diagnostic::new(
            Code::EnsembleRemoved,
            match env {
                Some(_) => format!(
                    "ensemble {ns}/{name} ({servers} servers) is no longer in the spec: the sync would delete it"
                ),
                None => format!(
                    "namespace {ns} is no longer built: the sync would delete ensemble {ns}/{name} ({servers} servers)"
                ),
            },
        );
        if let Some(env) = env {
            let new_ensemble = renamed
                .as_ref()
                .and_then(|new| env.ensembles.iter().find(|e| e.name == *new));
            diagnostic = match new_ensemble {
                Some(e) => diagnostic.at_loc(
                    e.loc,
                    format!("`{}` is new here: a renamed ensemble starts empty", e.name),
                ),
                None => {
                    diagnostic.at_loc(env.loc, format!("`{name}` is gone from this environment"))
                }
            };
        }
        let whole = if env.is_some() {
            format!("{ns}/{name}")
        } else {
            ns.to_owned()
        };
        diags.push(diagnostic.help(format!(
            "to remove it on purpose, build with `--allow-removal {whole}` (see `zkc explain ZK0067`)"
        )));
    }
}

/// What differs between two StatefulSets' volume claim templates, claim by claim:
/// `data: storage 10Gi → 20Gi`, `datalog: added`.
fn claims_change(old: &Value, new: &Value) -> String {
    let claims = |sts: &Value| -> Vec<(String, Value)> {
        sts["spec"]["volumeClaimTemplates"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["metadata"]["name"].as_str().unwrap_or("").to_owned(),
                    c.clone(),
                )
            })
            .collect()
    };
    let (old, new) = (claims(old), claims(new));
    let find = |list: &[(String, Value)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, c)| c.clone())
    };
    let mut names: Vec<&String> = old.iter().chain(&new).map(|(n, _)| n).collect();
    names.sort();
    names.dedup();
    let mut parts = Vec::new();
    for name in names {
        match (find(&old, name), find(&new, name)) {
            (None, Some(_)) => parts.push(format!("{name}: added")),
            (Some(_), None) => parts.push(format!("{name}: removed")),
            (Some(a), Some(b)) => {
                let size = |c: &Value| {
                    c["spec"]["resources"]["requests"]["storage"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                };
                let class = |c: &Value| {
                    c["spec"]["storageClassName"]
                        .as_str()
                        .unwrap_or("(default)")
                        .to_owned()
                };
                if size(&a) != size(&b) {
                    parts.push(format!("{name}: size {} → {}", size(&a), size(&b)));
                }
                if class(&a) != class(&b) {
                    parts.push(format!("{name}: class {} → {}", class(&a), class(&b)));
                }
                if a["metadata"] != b["metadata"] {
                    parts.push(format!("{name}: labels"));
                }
            }
            (None, None) => {}
        }
    }
    format!("volume claim templates change ({})", parts.join(", "))
}

fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or(Value::Null)
}

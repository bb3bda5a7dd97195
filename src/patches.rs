//! `patches "extra/hosts.yaml"`: RFC 6902 JSON patches on the objects zkc emits, for the fields
//! zkc does not model. A patch file holds one or more YAML documents:
//!
//! ```yaml
//! target: {kind: StatefulSet, name: zookeeper}
//! patch:
//!   - {op: add, path: /spec/template/spec/hostAliases, value: [{ip: 10.0.0.9, hostnames: [db]}]}
//! ```
//!
//! A patch may only reach the fields in [`PATCHABLE`]: each is something zkc leaves unset and
//! that cannot break what zkc guarantees (the selector, the server container, its volumes and
//! security context, zoo.cfg stay zkc's). The result is read back into the typed Kubernetes
//! object, so a misspelt field is an error pointing at the operation that wrote it.

use json_patch::PatchOperation;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::emit::{self, Object};
use crate::manifests::{find, missing_after, split_documents, within_specs};
use crate::model::Environment;
use crate::source::{FileId, Loc, SourceMap, Span};

/// Where a patch may write, per kind: JSON pointers a path must equal or lie under. A map
/// (`…/annotations`) takes keys only, and never one zkc writes itself.
const PATCHABLE: &[(&str, &[&str])] = &[
    (
        "StatefulSet",
        &[
            "/metadata/annotations/",
            "/spec/minReadySeconds",
            "/spec/revisionHistoryLimit",
            "/spec/template/metadata/annotations/",
            "/spec/template/spec/affinity/nodeAffinity",
            "/spec/template/spec/dnsConfig",
            "/spec/template/spec/dnsPolicy",
            "/spec/template/spec/hostAliases",
            "/spec/template/spec/readinessGates",
            "/spec/template/spec/runtimeClassName",
            "/spec/template/spec/schedulerName",
            "/spec/template/spec/terminationGracePeriodSeconds",
        ],
    ),
    (
        "Service",
        &[
            "/metadata/annotations/",
            "/spec/externalTrafficPolicy",
            "/spec/internalTrafficPolicy",
            "/spec/ipFamilies",
            "/spec/ipFamilyPolicy",
            "/spec/loadBalancerClass",
            "/spec/loadBalancerSourceRanges",
            "/spec/sessionAffinity",
            "/spec/sessionAffinityConfig",
            "/spec/trafficDistribution",
        ],
    ),
    ("ServiceAccount", &["/metadata/annotations/"]),
    (
        "PodDisruptionBudget",
        &["/metadata/annotations/", "/spec/unhealthyPodEvictionPolicy"],
    ),
];

/// One document of a patch file, checked: its target and operations, each with its place.
#[derive(Debug, Clone)]
pub struct Patch {
    pub kind: String,
    pub name: String,
    pub target: Loc,
    pub operations: Vec<(PatchOperation, Loc)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    target: Target,
    patch: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    kind: String,
    name: String,
}

/// Reads every environment's `patches`: files, YAML, operations and the fields they reach.
pub fn load(sources: &SourceMap, environments: &mut [Environment], diags: &mut Diagnostics) {
    for env in environments.iter_mut() {
        let spec_dir = env.file.rsplit_once('/').map_or("", |(dir, _)| dir);
        let at = env.patch_paths.loc_or(env.loc);
        let mut loaded = Vec::new();
        for path in &env.patch_paths.value {
            let Some(rel) = within_specs(spec_dir, path) else {
                diags.push(
                    Diagnostic::new(Code::ManifestNotFound, format!("patch file {path:?} is outside the specs directory"))
                        .at_loc(at, "outside specs/")
                        .help("keep patch files under the specs directory and name them relative to this spec file"),
                );
                continue;
            };
            if let Some(file) = find(sources, "patch file", &rel, at, diags) {
                loaded.extend(read_file(sources, file, diags));
            }
        }
        env.patches = loaded;
    }
}

fn read_file(sources: &SourceMap, file: FileId, diags: &mut Diagnostics) -> Vec<Patch> {
    let text = sources.get(file).text.as_str();
    let mut patches = Vec::new();
    for (offset, doc) in split_documents(text) {
        let here = |at: usize, len: usize| Loc {
            file,
            span: Span {
                offset: offset + at,
                len: len.max(1),
            },
        };
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue; // an empty document, as after a trailing `---`
        }
        let parsed: Document = match serde_yaml::from_str(doc) {
            Ok(d) => d,
            Err(e) => {
                let at = e.location().map_or(0, |l| l.index());
                diags.push(
                    Diagnostic::new(Code::PatchInvalid, format!("not a patch: {e}"))
                        .at_loc(here(at, 1), "here")
                        .help("a patch document is `target: {kind: …, name: …}` and `patch:`, a list of RFC 6902 operations"),
                );
                continue;
            }
        };
        let mut cursor = 0;
        let mut operations = Vec::new();
        for op in parsed.patch {
            let path = op
                .get("path")
                .and_then(|p| p.as_str())
                .unwrap_or_default()
                .to_owned();
            let at = doc[cursor..].find(&path).map_or(cursor, |i| cursor + i);
            cursor = at + path.len();
            let loc = here(at, path.len());
            match serde_json::from_value::<PatchOperation>(op) {
                Ok(op) => {
                    if let Some(problem) = reach(&parsed.target.kind, &op) {
                        diags.push(
                            Diagnostic::new(Code::PatchOwnedField, problem)
                                .at_loc(loc, "not patchable")
                                .help(patchable_help(&parsed.target.kind)),
                        );
                    } else {
                        operations.push((op, loc));
                    }
                }
                Err(e) => diags.push(
                    Diagnostic::new(
                        Code::PatchInvalid,
                        format!("not an RFC 6902 operation: {e}"),
                    )
                    .at_loc(loc, "this operation")
                    .help("write `{op: add|remove|replace|test, path: /…, value: …}`"),
                ),
            }
        }
        let kind_at = doc.find(&parsed.target.kind).unwrap_or(0);
        patches.push(Patch {
            target: here(kind_at, parsed.target.kind.len()),
            kind: parsed.target.kind,
            name: parsed.target.name,
            operations,
        });
    }
    patches
}

/// Why an operation may not be applied to an object of `kind`, if it may not.
fn reach(kind: &str, op: &PatchOperation) -> Option<String> {
    let path = op.path().to_string();
    match op {
        PatchOperation::Test(_) => return None,
        PatchOperation::Move(_) | PatchOperation::Copy(_) => {
            return Some(format!(
                "`{}` is not supported: write `add` and `remove`",
                op_name(op)
            ));
        }
        _ => {}
    }
    let Some((_, allowed)) = PATCHABLE.iter().find(|(k, _)| *k == kind) else {
        return Some(format!("zkc's {kind} objects take no patches"));
    };
    let fits = allowed.iter().any(|a| match a.strip_suffix('/') {
        // a map: one key of it, not the map itself
        Some(map) => {
            path.starts_with(a) && path.len() > a.len() && !path[map.len() + 1..].contains('/')
        }
        None => path == *a || path.starts_with(&format!("{a}/")),
    });
    (!fits).then(|| format!("{path} of a {kind} is zkc's, or not a field a patch may set"))
}

fn op_name(op: &PatchOperation) -> &'static str {
    match op {
        PatchOperation::Add(_) => "add",
        PatchOperation::Remove(_) => "remove",
        PatchOperation::Replace(_) => "replace",
        PatchOperation::Move(_) => "move",
        PatchOperation::Copy(_) => "copy",
        PatchOperation::Test(_) => "test",
    }
}

fn patchable_help(kind: &str) -> String {
    match PATCHABLE.iter().find(|(k, _)| *k == kind) {
        Some((_, allowed)) => format!(
            "a patch on a {kind} may set {} (a map takes single keys); what zkc models has a setting: see docs/spec-reference.md",
            allowed.join(", ")
        ),
        None => format!(
            "patches apply to {}",
            PATCHABLE
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// After the checks of the model: every patch finds its object, applies, and leaves an object
/// of its kind without unknown fields and without a change to an annotation zkc writes.
pub fn check(environments: &[Environment], diags: &mut Diagnostics) {
    for env in environments.iter().filter(|e| !e.patches.is_empty()) {
        let mut objects = emit::environment(env).namespaced;
        for patch in &env.patches {
            let Some(object) = objects
                .iter_mut()
                .find(|o| o.api_kind() == patch.kind && o.name() == patch.name)
            else {
                diags.push(missing_target(env, patch));
                continue;
            };
            for (index, message, help) in apply(object, patch).err().unwrap_or_default() {
                let at = patch
                    .operations
                    .get(index)
                    .map_or(patch.target, |(_, loc)| *loc);
                diags.push(
                    Diagnostic::new(Code::PatchInvalid, message)
                        .at_loc(at, "this operation")
                        .help(help),
                );
            }
        }
    }
}

fn missing_target(env: &Environment, patch: &Patch) -> Diagnostic {
    let names: Vec<String> = emit::environment(env)
        .namespaced
        .iter()
        .filter(|o| o.api_kind() == patch.kind)
        .map(|o| o.name().to_owned())
        .collect();
    let help = match crate::diag::did_you_mean(&patch.name, names.iter().map(String::as_str)) {
        Some(near) => format!(
            "did you mean `{near}`? {} objects here: {}",
            patch.kind,
            names.join(", ")
        ),
        None if names.is_empty() => format!(
            "environment `{}` has no {}; patches apply to {}",
            env.name,
            patch.kind,
            PATCHABLE
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("{} objects here: {}", patch.kind, names.join(", ")),
    };
    Diagnostic::new(
        Code::PatchTargetMissing,
        format!(
            "environment `{}` has no {} `{}` to patch",
            env.name, patch.kind, patch.name
        ),
    )
    .at_loc(patch.target, "no such object")
    .help(help)
}

/// What is wrong with one operation: (its index, message, help).
type Problem = (usize, String, String);

/// The patch applied to `object` in place, or every problem found.
pub fn apply(object: &mut Object, patch: &Patch) -> Result<(), Vec<Problem>> {
    match object {
        Object::StatefulSet(o) => apply_typed(o, patch),
        Object::Service(o) => apply_typed(o, patch),
        Object::ServiceAccount(o) => apply_typed(o, patch),
        Object::PodDisruptionBudget(o) => apply_typed(o, patch),
        other => Err(vec![(
            0,
            format!("zkc's {} objects take no patches", other.api_kind()),
            patchable_help(other.api_kind()),
        )]),
    }
}

fn apply_typed<T: Serialize + DeserializeOwned>(
    object: &mut T,
    patch: &Patch,
) -> Result<(), Vec<Problem>> {
    let before = serde_json::to_value(&*object).expect("Kubernetes objects serialise to JSON");
    let mut value = before.clone();
    // An object without annotations has no map to add a key to (nor `affinity` for
    // `nodeAffinity`): they are made for the patch, and dropped again if they stay empty.
    let made = make_maps(&mut value, &patch.kind);
    let operations: Vec<PatchOperation> =
        patch.operations.iter().map(|(op, _)| op.clone()).collect();
    json_patch::patch(&mut value, &operations).map_err(|e| {
        let what = format!("{} {}: {}", op_name(&operations[e.operation]), e.path, e.kind);
        vec![(e.operation, what, "`replace`, `remove` and `test` need the field to exist, `add` its parent; out/ shows the object the patch applies to".into())]
    })?;
    drop_empty(&mut value, made);
    let mut problems: Vec<Problem> = patch
        .operations
        .iter()
        .enumerate()
        .filter_map(|(index, (op, _))| {
            let key = owned_annotation(&before, op)?;
            Some((
                index,
                format!("annotation `{key}` is written by zkc"),
                "change it with the setting that writes it (`annotations`, `pod-annotations`, …)"
                    .into(),
            ))
        })
        .collect();
    let yaml = serde_yaml::to_value(&value).expect("JSON is YAML");
    problems.extend(missing_after::<T>(&yaml).into_iter().map(|field| {
        let index = patch
            .operations
            .iter()
            .rposition(|(op, _)| {
                let dotted = field_path(op);
                field == dotted || field.starts_with(&format!("{dotted}."))
            })
            .unwrap_or(0);
        (
            index,
            format!(
                "{} has no field {field}: the API server would drop it",
                patch.kind
            ),
            "check the spelling against `kubectl explain`".into(),
        )
    }));
    if !problems.is_empty() {
        return Err(problems);
    }
    *object = serde_json::from_value(value).map_err(|e| {
        vec![(
            0,
            format!("not a valid {}: {e}", patch.kind),
            "check the values' types against `kubectl explain`".into(),
        )]
    })?;
    Ok(())
}

/// Removes the maps [`make_maps`] made that the patch left empty.
fn drop_empty(value: &mut serde_json::Value, made: Vec<String>) {
    for map in made {
        if value
            .pointer(&map)
            .and_then(|m| m.as_object())
            .is_some_and(|m| m.is_empty())
        {
            let (parent, key) = map.rsplit_once('/').expect("a pointer below the root");
            if let Some(parent) = value.pointer_mut(parent).and_then(|p| p.as_object_mut()) {
                parent.remove(key);
            }
        }
    }
}

/// The objects on the way to each patchable field of `kind` that the object lacks (an
/// annotation map, `affinity` before `nodeAffinity`), created empty so that `add` has a parent;
/// returns their pointers, deepest first, for [`drop_empty`].
fn make_maps(value: &mut serde_json::Value, kind: &str) -> Vec<String> {
    let allowed = PATCHABLE
        .iter()
        .filter(|(k, _)| *k == kind)
        .flat_map(|(_, allowed)| allowed.iter());
    let mut made = Vec::new();
    for field in allowed {
        // a map's own pointer counts as a parent (its keys are what a patch adds)
        let parents = field.trim_end_matches('/');
        let parents = match field.ends_with('/') {
            true => parents,
            false => parents.rsplit_once('/').map_or("", |(p, _)| p),
        };
        let mut at = String::new();
        for token in parents.split('/').skip(1) {
            let parent = at.clone();
            at = format!("{at}/{token}");
            let Some(object) = value.pointer_mut(&parent).and_then(|p| p.as_object_mut()) else {
                break;
            };
            if !object.contains_key(token) {
                object.insert(token.to_owned(), serde_json::json!({}));
                made.push(at.clone());
            }
        }
    }
    made.reverse();
    made
}

/// An operation's path as the dotted field path of [`missing_after`], which gives list items
/// their list's path.
fn field_path(op: &PatchOperation) -> String {
    op.path()
        .tokens()
        .map(|t| t.decoded().into_owned())
        .filter(|t| t != "-" && !t.chars().all(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The annotation key an operation writes or removes when zkc's output already has it.
fn owned_annotation(before: &serde_json::Value, op: &PatchOperation) -> Option<String> {
    let path = op.path().to_string();
    let (map, key) = path.rsplit_once('/')?;
    if !map.ends_with("/annotations") || matches!(op, PatchOperation::Test(_)) {
        return None;
    }
    let key = key.replace("~1", "/").replace("~0", "~");
    before.pointer(map)?.get(&key).map(|_| key)
}

/// Every environment's objects with its patches applied, for the renderer: [`check`] has
/// shown they apply.
pub fn applied(env: &Environment, mut objects: Vec<Object>) -> Vec<Object> {
    for patch in &env.patches {
        if let Some(object) = objects
            .iter_mut()
            .find(|o| o.api_kind() == patch.kind && o.name() == patch.name)
        {
            apply(object, patch).expect("patches::check has applied this patch");
        }
    }
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(text: &str) -> PatchOperation {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_patch_reaches_only_the_listed_fields() {
        let ok = |kind, o: &str| reach(kind, &op(o)).is_none();
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliases","value":[]}"#
        ));
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliases/0","value":{}}"#
        ));
        assert!(ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/metadata/annotations/a.io~1b","value":"x"}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"replace","path":"/spec/template/metadata/annotations","value":{}}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostAliasesX","value":[]}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"replace","path":"/spec/selector","value":{}}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"add","path":"/spec/template/spec/hostNetwork","value":true}"#
        ));
        assert!(!ok(
            "StatefulSet",
            r#"{"op":"move","from":"/spec/template/spec/dnsPolicy","path":"/spec/template/spec/dnsConfig"}"#
        ));
        assert!(!ok(
            "ConfigMap",
            r#"{"op":"replace","path":"/data/zoo.cfg","value":""}"#
        ));
        assert!(ok(
            "ConfigMap",
            r#"{"op":"test","path":"/data","value":{}}"#
        ));
    }
}
